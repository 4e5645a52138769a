package warden

import (
	"context"
	"strings"
)

var (
	errOrgNotFound  = Errorf(ENOTFOUND, "Organization not found")
	errRoleTooHigh  = Errorf(EFORBIDDEN, "Cannot assign a role higher than user's role")
	errLastOrgAdmin = Errorf(EINVALID, "Cannot change role so that there is no organization admin left")
)

// FindOrgByID returns one org, from the cache when it holds it. The result is shared and must
// not be modified.
func (s *Service) FindOrgByID(ctx context.Context, id int64) (*Org, error) {
	now := s.Now()
	if org, ok := s.cache.org(id, now); ok {
		return org, nil
	}
	gen := s.cache.gen.Load()
	var org *Org
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		org, err = tx.FindOrgByID(ctx, id)
		return err
	})
	if IsNotFound(err) {
		return nil, errOrgNotFound
	}
	if err != nil {
		return nil, err
	}
	s.cache.putOrg(org, gen, now)
	return org, nil
}

// CreateOrg creates an org; the calling user becomes its Admin (its current org is unchanged).
func (s *Service) CreateOrg(ctx context.Context, name string) (*Org, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, Errorf(EINVALID, "bad request data")
	}
	if err := checkNameLen(name); err != nil {
		return nil, err
	}
	p := PrincipalFromContext(ctx)
	now := s.now()
	org := &Org{Name: name, Created: now, Updated: now}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateOrg(ctx, org); err != nil {
			if IsConflict(err) {
				return Errorf(ECONFLICT, "Organization name taken")
			}
			return err
		}
		if p.IsUser() {
			if err := tx.AddOrgUser(ctx, &OrgUser{OrgID: org.ID, UserID: p.UserID, Role: RoleAdmin, Created: now, Updated: now}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "org.create", "org", idString(org.ID), "success", "name="+name)
	})
	if err != nil {
		return nil, err
	}
	return org, nil
}

// OrgUsers lists the human members of an org.
func (s *Service) OrgUsers(ctx context.Context, f OrgUserFilter) ([]*OrgUser, int, error) {
	var list []*OrgUser
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		list, total, err = tx.FindOrgUsers(ctx, f)
		return err
	})
	return list, total, err
}

// checkAssignRole enforces that nobody assigns a role above their own in the org, unless they
// are a server admin.
func checkAssignRole(p *Principal, role OrgRole) error {
	if p == nil {
		return errRoleTooHigh
	}
	if p.IsServerAdmin && p.Kind == KindUser {
		return nil
	}
	if !p.OrgRole.Includes(role) {
		return errRoleTooHigh
	}
	return nil
}

// AddOrgUser adds an existing human user to an org with a role. The caller's principal must be
// evaluated in that org (its role there bounds the role it may give).
func (s *Service) AddOrgUser(ctx context.Context, orgID int64, loginOrEmail string, role OrgRole) (int64, error) {
	if !role.Valid() {
		return 0, Errorf(EINVALID, "Invalid role specified")
	}
	if err := checkAssignRole(PrincipalFromContext(ctx), role); err != nil {
		return 0, err
	}
	name := strings.ToLower(strings.TrimSpace(loginOrEmail))
	var userID int64
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := findLoginUser(ctx, tx, name)
		if IsNotFound(err) {
			return Errorf(ENOTFOUND, "User not found")
		}
		if err != nil {
			return err
		}
		userID = u.ID
		if _, err := tx.FindOrgUser(ctx, orgID, u.ID); err == nil {
			return &AlreadyMemberError{UserID: u.ID}
		} else if !IsNotFound(err) {
			return err
		}
		if _, err := tx.FindOrgByID(ctx, orgID); err != nil {
			if IsNotFound(err) {
				return Errorf(EINTERNAL, "Could not add user to organization")
			}
			return err
		}
		now := s.now()
		if err := tx.AddOrgUser(ctx, &OrgUser{OrgID: orgID, UserID: u.ID, Role: role, Created: now, Updated: now}); err != nil {
			if IsConflict(err) {
				return &AlreadyMemberError{UserID: u.ID}
			}
			return err
		}
		// A user with no current org (or one it left) gets this one.
		if u.OrgID == 0 {
			u.OrgID = orgID
			u.Updated = now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		} else if _, err := tx.FindOrgUser(ctx, u.OrgID, u.ID); IsNotFound(err) {
			u.OrgID = orgID
			u.Updated = now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "org.user.add", "user", idString(u.ID), "success",
			"org="+idString(orgID)+" role="+string(role))
	})
	return userID, err
}

// AlreadyMemberError is returned when a user is added to an org it already belongs to; Grafana's
// 409 body carries the user id.
type AlreadyMemberError struct{ UserID int64 }

func (e *AlreadyMemberError) Error() string { return "User is already member of this organization" }

// Unwrap lets ErrorCode see ECONFLICT.
func (e *AlreadyMemberError) Unwrap() error {
	return Errorf(ECONFLICT, "User is already member of this organization")
}

// UpdateOrgUser changes a member's role, keeping at least one Admin in the org.
func (s *Service) UpdateOrgUser(ctx context.Context, orgID, userID int64, role OrgRole) error {
	if !role.Valid() {
		return Errorf(EINVALID, "Invalid role specified")
	}
	if err := checkAssignRole(PrincipalFromContext(ctx), role); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		m, err := tx.FindOrgUser(ctx, orgID, userID)
		if err != nil || m.IsServiceAccount {
			if err == nil || IsNotFound(err) {
				return Errorf(EINTERNAL, "Failed update org user")
			}
			return err
		}
		if m.Role == RoleAdmin && role != RoleAdmin {
			n, err := tx.CountOrgAdmins(ctx, orgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastOrgAdmin
			}
		}
		if err := tx.UpdateOrgUserRole(ctx, orgID, userID, role, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "org.user.update", "user", idString(userID), "success",
			"org="+idString(orgID)+" role="+string(role))
	})
	if err == nil {
		s.emit(Change{Kind: ChangeUserChanged, OrgID: orgID, UserID: userID})
	}
	return err
}

// RemoveOrgUser removes a member from an org, keeping at least one Admin. When the user is left
// without any org and deleteOrphan is set (the current-org route), the user is deleted, as
// Grafana does; deleted reports that. A server admin is never deleted this way, last server
// admin or not: an org-level caller (an org Admin, an Admin service-account token) must not
// be able to delete an account that administers the whole server, so it is only removed from
// the org and kept without one, as Grafana does since CVE-2025-3580. Deleting a server admin
// takes DELETE /api/admin/users/:id, which only a server admin may call.
func (s *Service) RemoveOrgUser(ctx context.Context, orgID, userID int64, deleteOrphan bool) (deleted bool, err error) {
	err = s.store.Update(ctx, func(tx Tx) error {
		m, err := tx.FindOrgUser(ctx, orgID, userID)
		if err != nil || m.IsServiceAccount {
			if err == nil || IsNotFound(err) {
				return Errorf(EINTERNAL, "Failed to remove user from organization")
			}
			return err
		}
		if m.Role == RoleAdmin {
			n, err := tx.CountOrgAdmins(ctx, orgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return Errorf(EINVALID, "Cannot remove last organization admin")
			}
		}
		if err := tx.RemoveOrgUser(ctx, orgID, userID); err != nil {
			return err
		}
		orgs, err := tx.FindUserOrgs(ctx, userID)
		if err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		if len(orgs) == 0 && deleteOrphan && !u.IsAdmin {
			if err := tx.DeleteUser(ctx, userID); err != nil {
				return err
			}
			deleted = true
			return s.audit(ctx, tx, "user.delete", "user", idString(userID), "success", "removed from last org "+idString(orgID))
		}
		if u.OrgID == orgID {
			u.OrgID = 0
			if len(orgs) > 0 {
				u.OrgID = orgs[0].OrgID
			}
			u.Updated = s.now()
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "org.user.remove", "user", idString(userID), "success", "org="+idString(orgID))
	})
	if err == nil {
		s.emit(Change{Kind: ChangeUserChanged, OrgID: orgID, UserID: userID})
	}
	return deleted, err
}

// SearchOrgs lists orgs (GET /api/orgs): query is a name prefix, name an exact name.
func (s *Service) SearchOrgs(ctx context.Context, f OrgFilter) ([]*Org, error) {
	var list []*Org
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		list, err = tx.FindOrgs(ctx, f)
		return err
	})
	return list, err
}

// UpdateOrg renames an org and, when address is not nil, sets its address.
func (s *Service) UpdateOrg(ctx context.Context, orgID int64, name string, address *Address) error {
	name = strings.TrimSpace(name)
	if name == "" && address == nil {
		return Errorf(EINVALID, "bad request data")
	}
	if err := checkNameLen(name); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		org, err := tx.FindOrgByID(ctx, orgID)
		if IsNotFound(err) {
			return Errorf(EINTERNAL, "Failed to update organization")
		}
		if err != nil {
			return err
		}
		if name != "" {
			org.Name = name
		}
		if address != nil {
			org.Address = *address
		}
		org.Updated = s.now()
		if err := tx.UpdateOrg(ctx, org); err != nil {
			if IsConflict(err) {
				return Errorf(EINVALID, "Organization name taken")
			}
			return err
		}
		return s.audit(ctx, tx, "org.update", "org", idString(orgID), "success", "name="+org.Name)
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeOrgUpdated, OrgID: orgID})
	return nil
}

// DeleteOrg deletes an org with its memberships, teams, service accounts, their tokens and
// every managed permission in it, in one transaction. The caller's own current org cannot be
// deleted.
func (s *Service) DeleteOrg(ctx context.Context, orgID int64) error {
	if p := PrincipalFromContext(ctx); p != nil && p.CurrentOrgID == orgID {
		return Errorf(EINVALID, "Cannot delete your active organization")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		// Members acting in this org by default move to their first remaining org, as when
		// they are removed from their current org; otherwise they would be left with no org to
		// act in.
		members, _, err := tx.FindOrgUsers(ctx, OrgUserFilter{OrgID: orgID})
		if err != nil {
			return err
		}
		var moved []*User
		for _, m := range members {
			u, err := tx.FindUserByID(ctx, m.UserID)
			if err != nil {
				return err
			}
			if u.OrgID == orgID {
				moved = append(moved, u)
			}
		}
		if err := tx.DeleteOrg(ctx, orgID); err != nil {
			if IsNotFound(err) {
				return Errorf(ENOTFOUND, "Failed to delete organization. ID not found")
			}
			return err
		}
		for _, u := range moved {
			orgs, err := tx.FindUserOrgs(ctx, u.ID)
			if err != nil {
				return err
			}
			u.OrgID = 0
			if len(orgs) > 0 {
				u.OrgID = orgs[0].OrgID
			}
			u.Updated = s.now()
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "org.delete", "org", idString(orgID), "success", "")
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeOrgDeleted, OrgID: orgID})
	return nil
}

// FindOrgByName returns the org with exactly that name (GET /api/orgs/name/:name).
func (s *Service) FindOrgByName(ctx context.Context, name string) (*Org, error) {
	var org *Org
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		org, err = tx.FindOrgByName(ctx, name)
		return err
	})
	if IsNotFound(err) {
		return nil, errOrgNotFound
	}
	return org, err
}
