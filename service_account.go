package warden

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Service-account errors, with Grafana's message ids (SPEC §2.9).
var (
	ErrServiceAccountNotFound = ErrorID(ENOTFOUND, "serviceaccounts.ErrNotFound", "service account not found")
	errSARoleForbidden        = ErrorID(EFORBIDDEN, "serviceaccounts.ErrRoleForbidden", "can not assign a role higher than user's role")
	errSAAlreadyExists        = ErrorID(EINVALID, "serviceaccounts.ErrAlreadyExists", "service account already exists")
	errSAInvalidOrg           = ErrorID(EINVALID, "serviceaccounts.ErrInvalidOrgId", "invalid org id specified")
	errTokenNotFound          = ErrorID(ENOTFOUND, "serviceaccounts.ErrTokenNotFound", "service account token not found")
	errTokenAlreadyExists     = ErrorID(EINVALID, "serviceaccounts.ErrTokenAlreadyExists",
		"service account token with given name already exists in the organization")
	errTokenInvalidTTL = ErrorID(EINVALID, "serviceaccounts.ErrInvalidInput", "invalid SecondsToLive value")
	errTokenInvalidID  = ErrorID(EINVALID, "serviceaccounts.ErrInvalidTokenId", "invalid service account token id specified")
	// ErrTokenExpiryLimit is refused with a plain-text body, as Grafana does.
	ErrTokenExpiryLimit = Errorf(EINVALID, "The expiration date input exceeds the limit for service account access tokens expiration date")
)

// MaxTokensListed caps GET …/tokens, as Grafana does.
const MaxTokensListed = 300

// MaxNameLen bounds names of service accounts, tokens, teams and orgs, as Grafana's columns
// (190 characters) do; Warden refuses longer ones with 400 instead of a database error.
const MaxNameLen = 190

func checkNameLen(name string) error {
	if utf8.RuneCountInString(name) > MaxNameLen {
		return Errorf(EINVALID, "name is too long (at most %d characters)", MaxNameLen)
	}
	return nil
}

// Subscribe registers fn to be called after every committed change, after the service's own
// caches have applied it. Listeners run synchronously and must be quick.
func (s *Service) Subscribe(fn func(Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

func (s *Service) emit(changes ...Change) {
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, c := range changes {
		s.cache.invalidate(c, s.Now())
		for _, fn := range ls {
			fn(c)
		}
	}
}

// ServiceAccountsEnabled reports whether the serviceAccounts feature toggle is on.
func (s *Service) ServiceAccountsEnabled() bool { return !s.cfg.DisableServiceAccounts }

func callerOrg(ctx context.Context) (*Principal, error) {
	p := PrincipalFromContext(ctx)
	if p == nil || p.OrgID <= 0 {
		return p, errSAInvalidOrg
	}
	return p, nil
}

// ResolveServiceAccountID turns a path segment into a service account id of the caller's org:
// a number is taken as it is; anything else is looked up as a UID.
func (s *Service) ResolveServiceAccountID(ctx context.Context, idOrUID string) (int64, error) {
	if idOrUID == "" {
		return 0, Errorf(ENOTFOUND, "Not found")
	}
	if id, err := strconv.ParseInt(idOrUID, 10, 64); err == nil {
		return id, nil
	}
	p := PrincipalFromContext(ctx)
	if p == nil || p.OrgID <= 0 {
		return 0, Errorf(ENOTFOUND, "Not found")
	}
	var a *ServiceAccount
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		a, err = tx.FindServiceAccountByUID(ctx, p.OrgID, idOrUID)
		return err
	})
	if IsNotFound(err) {
		return 0, Errorf(ENOTFOUND, "Not found")
	}
	if err != nil {
		return 0, err
	}
	return a.ID, nil
}

// CreateServiceAccount creates a service account in the caller's org. role nil means Viewer.
// A user creating it is granted the managed "Admin" permission on it, in the same transaction.
func (s *Service) CreateServiceAccount(ctx context.Context, name string, role *OrgRole, isDisabled bool) (*ServiceAccount, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, err
	}
	r := RoleViewer
	if role != nil {
		r = *role
		if !p.OrgRole.Includes(r) {
			return nil, errSARoleForbidden
		}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, Errorf(EINVALID, "Bad request data")
	}
	if err := checkNameLen(name); err != nil {
		return nil, err
	}
	login := ServiceAccountLogin(p.OrgID, name)
	uid, err := s.newUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &ServiceAccount{UID: uid, OrgID: p.OrgID, Name: name, Login: login, Role: r, IsDisabled: isDisabled, Created: now, Updated: now}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindUserByLoginOrEmail(ctx, login); err == nil {
			return errSAAlreadyExists
		} else if !IsNotFound(err) {
			return err
		}
		u := &User{UID: uid, Login: login, Email: login, Name: name, IsDisabled: isDisabled, IsServiceAccount: true,
			OrgID: p.OrgID, Created: now, Updated: now, LastSeenAt: now.AddDate(-10, 0, 0)}
		if err := tx.CreateUser(ctx, u); err != nil {
			if IsConflict(err) {
				return errSAAlreadyExists
			}
			return err
		}
		a.ID = u.ID
		if err := tx.AddOrgUser(ctx, &OrgUser{OrgID: p.OrgID, UserID: u.ID, Role: r, Created: now, Updated: now}); err != nil {
			return err
		}
		if p.IsUser() {
			if err := tx.SetManagedPermission(ctx, &ManagedPermission{OrgID: p.OrgID, Resource: ResourceServiceAccounts,
				ResourceID: u.ID, UserID: p.UserID, Level: LevelAdmin, Created: now, Updated: now}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "serviceaccount.create", "serviceaccount", idString(u.ID), "success", "login="+login+" role="+string(r))
	})
	if err != nil {
		return nil, err
	}
	if p.IsUser() {
		s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: p.UserID, ServiceAccountID: a.ID})
	}
	return a, nil
}

// FindServiceAccount returns a service account of the caller's org.
func (s *Service) FindServiceAccount(ctx context.Context, id int64) (*ServiceAccount, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, ErrServiceAccountNotFound
	}
	var a *ServiceAccount
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		a, err = tx.FindServiceAccount(ctx, p.OrgID, id)
		return err
	})
	if IsNotFound(err) {
		return nil, ErrServiceAccountNotFound
	}
	return a, err
}

// SearchServiceAccounts lists the caller's org's service accounts that the caller may read.
func (s *Service) SearchServiceAccounts(ctx context.Context, f ServiceAccountFilter) ([]*ServiceAccount, int, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, 0, nil
	}
	f.OrgID = p.OrgID
	f.IDs = readableIDs(p.Permissions, ActionSARead, "serviceaccounts:id:")
	if !f.ExpiredTokensAt.IsZero() {
		f.ExpiredTokensCreatedBefore = s.createdBeforeLimit(f.ExpiredTokensAt)
	}
	var list []*ServiceAccount
	var total int
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		list, total, err = tx.FindServiceAccounts(ctx, f)
		return err
	})
	return list, total, err
}

// readableIDs returns nil when perms allow action on every object of the kind, else the ids
// named by scopes with the given prefix (possibly none).
func readableIDs(perms Permissions, action, prefix string) []int64 {
	ids := []int64{}
	for _, sc := range perms[action] {
		if ScopeCovers(sc, prefix+"*") {
			return nil
		}
		if rest, ok := strings.CutPrefix(sc, prefix); ok {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// UpdateServiceAccount changes a service account's name, role or disabled flag. Its login never
// changes. Nobody gives a role above their own.
func (s *Service) UpdateServiceAccount(ctx context.Context, id int64, upd ServiceAccountUpdate) (*ServiceAccount, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, ErrServiceAccountNotFound
	}
	if upd.Role != nil && !p.OrgRole.Includes(*upd.Role) {
		return nil, errSARoleForbidden
	}
	if upd.Name != nil {
		n := strings.TrimSpace(*upd.Name)
		if n == "" {
			return nil, Errorf(EINVALID, "Bad request data")
		}
		if err := checkNameLen(n); err != nil {
			return nil, err
		}
		upd.Name = &n
	}
	var a *ServiceAccount
	changed := false
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		if a, err = tx.FindServiceAccount(ctx, p.OrgID, id); err != nil {
			if IsNotFound(err) {
				return ErrServiceAccountNotFound
			}
			return err
		}
		if upd.Name == nil && upd.Role == nil && upd.IsDisabled == nil {
			return nil
		}
		changed = true
		now := s.now()
		if upd.Role != nil && *upd.Role != a.Role {
			if err := tx.UpdateOrgUserRole(ctx, p.OrgID, id, *upd.Role, now); err != nil {
				return err
			}
			a.Role = *upd.Role
		}
		u, err := tx.FindUserByID(ctx, id)
		if err != nil {
			return err
		}
		if upd.Name != nil {
			u.Name, a.Name = *upd.Name, *upd.Name
		}
		if upd.IsDisabled != nil {
			u.IsDisabled, a.IsDisabled = *upd.IsDisabled, *upd.IsDisabled
		}
		u.Updated, a.Updated = now, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		detail := ""
		if upd.Role != nil {
			detail += " role=" + string(*upd.Role)
		}
		if upd.IsDisabled != nil {
			detail += fmt.Sprintf(" disabled=%t", *upd.IsDisabled)
		}
		if upd.Name != nil {
			detail += " name=" + *upd.Name
		}
		return s.audit(ctx, tx, "serviceaccount.update", "serviceaccount", idString(id), "success", strings.TrimSpace(detail))
	})
	if err != nil {
		return nil, err
	}
	// An empty update only reads: there is nothing for caches to drop.
	if changed {
		s.emit(Change{Kind: ChangeServiceAccountUpdated, OrgID: p.OrgID, ServiceAccountID: id})
	}
	return a, nil
}

// DeleteServiceAccount deletes a service account with its tokens and every grant on or by it,
// in one transaction.
func (s *Service) DeleteServiceAccount(ctx context.Context, id int64) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return ErrServiceAccountNotFound
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindServiceAccount(ctx, p.OrgID, id); err != nil {
			if IsNotFound(err) {
				return ErrServiceAccountNotFound
			}
			return err
		}
		if err := tx.DeleteUser(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "serviceaccount.delete", "serviceaccount", idString(id), "success", "")
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeServiceAccountDeleted, OrgID: p.OrgID, ServiceAccountID: id})
	return nil
}

// ListTokens lists a service account's tokens by name (at most 300). Like Grafana it does not
// check that the account exists: an unknown one has no tokens.
func (s *Service) ListTokens(ctx context.Context, saID int64) ([]*Token, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, nil
	}
	var list []*Token
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		list, err = tx.FindTokens(ctx, p.OrgID, saID, MaxTokensListed)
		return err
	})
	return list, err
}

// expiryLimitExceeded applies [service_accounts] token_expiration_day_limit the way Grafana
// does — comparing UTC days — and, unlike Grafana, also refuses "never expires" when a limit
// is set.
func (s *Service) expiryLimitExceeded(now time.Time, secondsToLive int64) bool {
	limit := s.cfg.TokenExpirationDayLimit
	if limit <= 0 {
		return false
	}
	if secondsToLive == 0 {
		return true
	}
	if secondsToLive < 0 {
		return false // refused later as invalid input
	}
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	limitDay := day(now.AddDate(0, 0, limit))
	if secondsToLive > int64(math.MaxInt64/time.Second) {
		return true
	}
	expDay := day(now.Add(time.Duration(secondsToLive) * time.Second))
	return expDay.After(limitDay)
}

// IssueToken creates a token for a service account of the caller's org and returns it with
// its plaintext, which exists nowhere else afterwards. secondsToLive 0 means no expiry. The
// restrictions (see ParseTokenRestrictions) may cap the role at most at the account's.
func (s *Service) IssueToken(ctx context.Context, saID int64, name string, secondsToLive int64,
	limits TokenRestrictions) (*Token, Secret, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, Secret{}, ErrServiceAccountNotFound
	}
	now := s.now()
	if _, err := s.FindServiceAccount(ctx, saID); err != nil {
		return nil, Secret{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, Secret{}, Errorf(EINVALID, "Bad request data")
	}
	if err := checkNameLen(name); err != nil {
		return nil, Secret{}, err
	}
	expires, err := s.tokenExpiry(now, secondsToLive)
	if err != nil {
		return nil, Secret{}, err
	}
	secret, err := NewSecret(s.Rand)
	if err != nil {
		return nil, Secret{}, err
	}
	tk := &Token{OrgID: p.OrgID, ServiceAccountID: saID, Name: name, Hash: secret.Hash(), Created: now, Updated: now,
		Expires: expires, CreatedBy: creator(ctx), Restrictions: limits}
	// The new token goes into this instance's cache, so its first use here is never a miss.
	gen, tokenGen, loaded := s.cache.gen.Load(), s.cache.tokenGen.Load(), s.Now()
	var entry *tokenEntry
	err = s.store.Update(ctx, func(tx Tx) error {
		// This transaction reads no token row (not even a count): on PostgreSQL's serializable
		// transactions, a read of the token table would make concurrent creates depend on one
		// another and fail each other with serialization errors.
		u, err := tx.FindUserByID(ctx, saID)
		if IsNotFound(err) || err == nil && (!u.IsServiceAccount || u.OrgID != p.OrgID) {
			return ErrServiceAccountNotFound
		} else if err != nil {
			return err
		}
		m, err := tx.FindOrgUser(ctx, p.OrgID, saID)
		if err != nil && !IsNotFound(err) {
			return err
		}
		if err := checkRoleCap(limits.Role, m); err != nil {
			return err
		}
		if err := tx.CreateToken(ctx, tk); err != nil {
			if IsConflict(err) {
				return errTokenAlreadyExists
			}
			return err
		}
		// A retried transaction starts over; an account without a membership authenticates
		// nowhere, so it has nothing to cache.
		entry = nil
		if m != nil {
			entry = s.tokenEntry(&TokenIdentity{Token: tk, Account: u, Role: m.Role})
		}
		return s.audit(ctx, tx, "token.create", "token", idString(tk.ID), "success",
			"serviceaccount="+idString(saID)+" name="+name+limits.auditDetail())
	})
	if err != nil {
		return nil, Secret{}, err
	}
	if entry != nil {
		entry.gen, entry.loaded = gen, loaded
		s.remember(tokenKey(secret.digest()), entry, tokenGen)
	}
	s.emit(Change{Kind: ChangeTokenCreated, OrgID: p.OrgID, ServiceAccountID: saID, TokenID: tk.ID})
	return tk, secret, nil
}

// DeleteToken deletes a token of a service account of the caller's org.
func (s *Service) DeleteToken(ctx context.Context, saID, tokenID int64) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return ErrServiceAccountNotFound
	}
	if _, err := s.FindServiceAccount(ctx, saID); err != nil {
		return err
	}
	if tokenID == 0 {
		return errTokenInvalidID
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteToken(ctx, p.OrgID, saID, tokenID); err != nil {
			if IsNotFound(err) {
				return errTokenNotFound
			}
			return err
		}
		return s.audit(ctx, tx, "token.delete", "token", idString(tokenID), "success", "serviceaccount="+idString(saID))
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeTokenDeleted, OrgID: p.OrgID, ServiceAccountID: saID, TokenID: tokenID})
	return nil
}

// RevokeToken marks a token revoked (as Grafana's secret scanning does): it stays listed with
// isRevoked and never authenticates again.
func (s *Service) RevokeToken(ctx context.Context, tokenID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.RevokeToken(ctx, tokenID); err != nil {
			if IsNotFound(err) {
				return errTokenNotFound
			}
			return err
		}
		return s.audit(ctx, tx, "token.revoke", "token", idString(tokenID), "success", "")
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeTokenRevoked, TokenID: tokenID})
	return nil
}
