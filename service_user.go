package warden

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CreateUserInput is the body of POST /api/admin/users.
type CreateUserInput struct {
	Name     string
	Email    string
	Login    string
	Password string
	OrgID    int64
	IsAdmin  bool
}

// ValidatePassword applies Grafana's password rules (SPEC-identity §3.7).
func (s *Service) ValidatePassword(pw string) error {
	if s.cfg.PasswordPolicy {
		var upper, lower, digit, symbol bool
		for _, r := range pw {
			switch {
			case unicode.IsUpper(r):
				upper = true
			case unicode.IsLower(r):
				lower = true
			case unicode.IsDigit(r):
				digit = true
			default:
				symbol = true
			}
		}
		if len(pw) < 12 || !upper || !lower || !digit || !symbol {
			return ErrorID(EINVALID, "password.password-policy-infringe",
				"New password doesn't comply with the password policy")
		}
		return nil
	}
	if len(pw) < 4 {
		return ErrorID(EINVALID, "password.password-policy-too-short", "New password is too short")
	}
	return nil
}

// checkLoginLen bounds logins and emails as Grafana's columns do (VARCHAR(190)): both are
// unique-indexed, and an index entry has a size limit (2704 bytes on PostgreSQL).
func checkLoginLen(login, email string) error {
	if utf8.RuneCountInString(login) > MaxNameLen || utf8.RuneCountInString(email) > MaxNameLen {
		return Errorf(EINVALID, "login and email must be at most %d characters", MaxNameLen)
	}
	return nil
}

// CreateUser creates a human user and places it in an org (SPEC-identity §5.1, §1.3).
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*User, error) {
	rawLogin, rawEmail := in.Login, in.Email
	login := strings.ToLower(strings.TrimSpace(in.Login))
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if login == "" {
		login = email
	}
	if email == "" {
		email = login
	}
	if login == "" {
		return nil, ErrorID(EINVALID, "user.empty-username-and-email", "Need to specify either username or email")
	}
	if err := checkLoginLen(login, email); err != nil {
		return nil, err
	}
	conflict := Errorf(EPRECONDITION, "User with email '%s' or username '%s' already exists", rawEmail, rawLogin)
	if err := s.ValidatePassword(in.Password); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	uid, err := s.newUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{UID: uid, Login: login, Email: email, Name: strings.TrimSpace(in.Name), PasswordHash: hash,
		IsAdmin: in.IsAdmin, Created: now, Updated: now, LastSeenAt: now.AddDate(-10, 0, 0)}
	err = s.store.Update(ctx, func(tx Tx) error {
		for _, v := range []string{login, email} {
			if _, err := tx.FindUserByLoginOrEmail(ctx, v); err == nil {
				return conflict
			} else if !IsNotFound(err) {
				return err
			}
		}
		orgID, role, err := s.placeNewUser(ctx, tx, in.OrgID, u)
		if err != nil {
			return err
		}
		u.OrgID = orgID
		if err := tx.CreateUser(ctx, u); err != nil {
			if IsConflict(err) {
				return conflict
			}
			return err
		}
		if err := tx.AddOrgUser(ctx, &OrgUser{OrgID: orgID, UserID: u.ID, Role: role, Created: now, Updated: now}); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.create", "user", idString(u.ID), "success", "login="+u.Login)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// placeNewUser picks the org and role of a new user: the requested org, else the auto-assign
// org, else a new org of its own where it is Admin.
func (s *Service) placeNewUser(ctx context.Context, tx Tx, requested int64, u *User) (int64, OrgRole, error) {
	role := s.cfg.AutoAssignOrgRole
	if u.IsAdmin {
		role = RoleAdmin
	}
	if requested != 0 {
		if _, err := tx.FindOrgByID(ctx, requested); err != nil {
			if IsNotFound(err) {
				return 0, "", Errorf(EINVALID, "organization not found")
			}
			return 0, "", err
		}
		return requested, role, nil
	}
	if s.cfg.AutoAssignOrg {
		if _, err := tx.FindOrgByID(ctx, s.cfg.AutoAssignOrgID); err == nil {
			return s.cfg.AutoAssignOrgID, role, nil
		} else if !IsNotFound(err) {
			return 0, "", err
		}
	}
	name := u.Email
	if name == "" {
		name = u.Login
	}
	now := s.now()
	org := &Org{Name: name, Created: now, Updated: now}
	if err := tx.CreateOrg(ctx, org); err != nil {
		return 0, "", fmt.Errorf("create org for new user: %w", err)
	}
	return org.ID, RoleAdmin, nil
}

// FindUserByID returns a human user; service accounts are "user not found".
func (s *Service) FindUserByID(ctx context.Context, id int64) (*User, error) {
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		u, err = findHuman(ctx, tx, id)
		return err
	})
	return u, err
}

// LookupUser finds a human user by login or email, as sign-in does.
func (s *Service) LookupUser(ctx context.Context, loginOrEmail string) (*User, error) {
	name := strings.ToLower(strings.TrimSpace(loginOrEmail))
	if name == "" {
		return nil, Errorf(ENOTFOUND, "user not found")
	}
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		u, err = findLoginUser(ctx, tx, name)
		return err
	})
	if IsNotFound(err) {
		return nil, Errorf(ENOTFOUND, "user not found")
	}
	return u, err
}

// UserOrgs lists the orgs a user belongs to, by name.
func (s *Service) UserOrgs(ctx context.Context, userID int64) ([]*UserOrg, error) {
	var orgs []*UserOrg
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		orgs, err = tx.FindUserOrgs(ctx, userID)
		return err
	})
	return orgs, err
}

// SetCurrentOrg switches the user's current org (POST /api/user/using/:id).
func (s *Service) SetCurrentOrg(ctx context.Context, userID, orgID int64) error {
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindOrgUser(ctx, orgID, userID); err != nil {
			if IsNotFound(err) {
				return Errorf(EUNAUTHORIZED, "Not a valid organization")
			}
			return err
		}
		u, err := tx.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		u.OrgID = orgID
		u.Updated = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.switch_org", "user", idString(userID), "success", "org="+idString(orgID))
	})
}

// ChangePassword changes the caller's own password after checking the old one. Unlike
// Grafana, every session of the user ends: a password change is what people do when they fear
// someone else is signed in.
func (s *Service) ChangePassword(ctx context.Context, userID int64, oldPassword, newPassword string) error {
	u, err := s.FindUserByID(ctx, userID)
	if err != nil {
		return err
	}
	// The old-password check is a password check like sign-in: same limits, same records, so
	// a stolen session cannot guess the password without bound.
	ip, now := s.clientKey(ClientIPFromContext(ctx)), s.now()
	keys := s.attemptKeysFor(u.Login, u)
	if !s.cfg.DisableBruteForce {
		release, err := s.admitPasswordCheck(ctx, keys, ip, now)
		if err != nil {
			if ErrorCode(err) == EUNAUTHORIZED {
				return ErrorID(EINVALID, "user.password-missmatch", "Invalid old password")
			}
			return err
		}
		defer release()
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, oldPassword)
	if err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		if err := s.recordFailedPassword(ctx, keys.record, ip, now, "user.change_password", idString(u.ID), "wrong old password"); err != nil {
			return err
		}
		return ErrorID(EINVALID, "user.password-missmatch", "Invalid old password")
	}
	if err := s.ValidatePassword(newPassword); err != nil {
		return err
	}
	return s.setPassword(ctx, u.ID, newPassword, "user.change_password")
}

// ResetPassword sets a user's password without the old one and clears its failed sign-ins.
// The admin CLI uses it; it is not exposed to callers without users.password:write.
func (s *Service) ResetPassword(ctx context.Context, login, newPassword string) error {
	if err := s.ValidatePassword(newPassword); err != nil {
		return err
	}
	u, err := s.LookupUser(ctx, login)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, u.ID, newPassword, "user.reset_password")
}

// setPassword stores a new hash, ends every session of the user and clears its failed
// sign-in attempts, in one transaction.
func (s *Service) setPassword(ctx context.Context, userID int64, password, action string) error {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		u.Updated = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		// The account's failures, and those stored under its names while they matched no
		// account (attemptKeysFor counts both).
		for _, k := range []string{accountAttemptKey(u.ID), s.nameAttemptKey(u.Login), s.nameAttemptKey(u.Email)} {
			if err := tx.DeleteLoginAttempts(ctx, k); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, action, "user", idString(u.ID), "success", "")
	})
	if err == nil {
		s.emit(Change{Kind: ChangeUserChanged, UserID: userID})
	}
	return err
}

var errUserNotFound = Errorf(ENOTFOUND, "user not found")

// findHuman loads a human user inside tx; service accounts are "user not found".
func findHuman(ctx context.Context, tx Tx, id int64) (*User, error) {
	u, err := tx.FindUserByID(ctx, id)
	if IsNotFound(err) || (err == nil && u.IsServiceAccount) {
		return nil, errUserNotFound
	}
	return u, err
}

// keepOneServerAdmin refuses a change that would leave no enabled server admin: without one,
// nobody could manage users or orgs any more.
func keepOneServerAdmin(ctx context.Context, tx Tx, target *User, message string) error {
	if !target.IsAdmin || target.IsDisabled {
		return nil
	}
	n, err := tx.CountServerAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Errorf(EINVALID, "%s", message)
	}
	return nil
}

// SetServerAdmin grants or removes the server-admin flag (PUT /api/admin/users/:id/permissions).
func (s *Service) SetServerAdmin(ctx context.Context, userID int64, isAdmin bool) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := findHuman(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !isAdmin {
			if err := keepOneServerAdmin(ctx, tx, u, "cannot remove last grafana admin"); err != nil {
				return err
			}
		}
		u.IsAdmin = isAdmin
		u.Updated = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.set_server_admin", "user", idString(userID), "success", fmt.Sprintf("isGrafanaAdmin=%t", isAdmin))
	})
	if err == nil {
		s.emit(Change{Kind: ChangeUserChanged, UserID: userID})
	}
	return err
}

// SetUserDisabled disables or enables a user. Disabling ends all of the user's sessions and
// is refused for the last enabled server admin.
func (s *Service) SetUserDisabled(ctx context.Context, userID int64, disabled bool) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := findHuman(ctx, tx, userID)
		if err != nil {
			return err
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if err := keepOneServerAdmin(ctx, tx, u, "cannot disable last grafana admin"); err != nil {
				return err
			}
			if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		u.IsDisabled = disabled
		u.Updated = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, action, "user", idString(userID), "success", "")
	})
	if err == nil {
		s.emit(Change{Kind: ChangeUserChanged, UserID: userID})
	}
	return err
}

// DeleteUser deletes a human user with its memberships, sessions and grants; refused for the
// last enabled server admin and for the last Admin of any org.
func (s *Service) DeleteUser(ctx context.Context, userID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := findHuman(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := keepOneServerAdmin(ctx, tx, u, "cannot delete last grafana admin"); err != nil {
			return err
		}
		// An org always keeps at least one Admin: refuse to delete its last one.
		orgs, err := tx.FindUserOrgs(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			if o.Role != RoleAdmin {
				continue
			}
			n, err := tx.CountOrgAdmins(ctx, o.OrgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return Errorf(EINVALID, "Cannot delete the last admin of organization %s", o.Name)
			}
		}
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.delete", "user", idString(userID), "success", "login="+u.Login)
	})
	if err == nil {
		s.emit(Change{Kind: ChangeUserChanged, UserID: userID})
	}
	return err
}

// SetUserPassword sets another user's password (PUT /api/admin/users/:id/password), ending its
// sessions and clearing its failed sign-ins.
func (s *Service) SetUserPassword(ctx context.Context, userID int64, password string) error {
	if _, err := s.FindUserByID(ctx, userID); err != nil {
		return err
	}
	if err := s.ValidatePassword(password); err != nil {
		return err
	}
	return s.setPassword(ctx, userID, password, "user.set_password")
}

// SearchUsers lists human users the caller may read (users:read), a page at a time.
func (s *Service) SearchUsers(ctx context.Context, f UserFilter) ([]*User, int, error) {
	p := PrincipalFromContext(ctx)
	if p == nil {
		return nil, 0, nil
	}
	f.ServiceAccounts = false
	f.IDs = readableIDs(p.Permissions, ActionUsersRead, "global.users:id:")
	var list []*User
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		list, total, err = tx.FindUsers(ctx, f)
		return err
	})
	return list, total, err
}

// ResolveUserID turns a path segment into a user id: a number as it is, anything else looked
// up as a user UID ("User not found" when there is none).
func (s *Service) ResolveUserID(ctx context.Context, idOrUID string) (int64, error) {
	if id, err := strconv.ParseInt(idOrUID, 10, 64); err == nil {
		return id, nil
	}
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		u, err = tx.FindUserByUID(ctx, idOrUID)
		return err
	})
	if IsNotFound(err) || (err == nil && u.IsServiceAccount) || idOrUID == "" {
		return 0, Errorf(ENOTFOUND, "User not found")
	}
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

// UserUpdate is the body of PUT /api/user and PUT /api/users/:id.
type UserUpdate struct {
	Name, Email, Login, Theme string
}

// UpdateUser changes a human user's profile. The login defaults to the email; both empty is
// refused; a login or email taken by another row is a conflict.
func (s *Service) UpdateUser(ctx context.Context, userID int64, upd UserUpdate) error {
	login := strings.ToLower(strings.TrimSpace(upd.Login))
	email := strings.ToLower(strings.TrimSpace(upd.Email))
	if login == "" {
		login = email
	}
	if login == "" {
		return ErrorID(EINVALID, "user.empty-username-and-email", "Need to specify either username or email")
	}
	if email == "" {
		email = login
	}
	if err := checkLoginLen(login, email); err != nil {
		return err
	}
	conflict := Errorf(ECONFLICT, "Update would result in user login conflict")
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := findHuman(ctx, tx, userID)
		if err != nil {
			return err
		}
		for _, v := range []string{login, email} {
			if other, err := tx.FindUserByLoginOrEmail(ctx, v); err == nil && other.ID != u.ID {
				return conflict
			} else if err != nil && !IsNotFound(err) {
				return err
			}
		}
		u.Login, u.Email = login, email
		u.Name, u.Theme = strings.TrimSpace(upd.Name), strings.TrimSpace(upd.Theme)
		u.Updated = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			if IsConflict(err) {
				return conflict
			}
			return err
		}
		return s.audit(ctx, tx, "user.update", "user", idString(u.ID), "success", "login="+login)
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeUserChanged, UserID: userID})
	return nil
}
