package warden

import (
	"context"
	"sort"
)

// ResourcePermission is one managed grant on an object as the access-control API lists it.
type ResourcePermission struct {
	ID         int64
	UserID     int64
	UserUID    string
	UserLogin  string
	UserEmail  string
	TeamID     int64
	TeamName   string
	Level      ManagedLevel
	Actions    []string
	IsManaged  bool
	ResourceID int64
}

// ServiceAccountPermissions lists the managed grants on a service account of the caller's org.
func (s *Service) ServiceAccountPermissions(ctx context.Context, saID int64) ([]*ResourcePermission, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, ErrServiceAccountNotFound
	}
	var out []*ResourcePermission
	err = s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.FindServiceAccount(ctx, p.OrgID, saID); err != nil {
			if IsNotFound(err) {
				return ErrServiceAccountNotFound
			}
			return err
		}
		grants, err := tx.FindResourcePermissions(ctx, p.OrgID, ResourceServiceAccounts, saID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			rp := &ResourcePermission{ID: g.ID, UserID: g.UserID, TeamID: g.TeamID, Level: g.Level,
				Actions: ManagedActions(g.Resource, g.Level), IsManaged: true, ResourceID: saID}
			sort.Strings(rp.Actions)
			if g.UserID != 0 {
				u, err := tx.FindUserByID(ctx, g.UserID)
				if err != nil {
					return err
				}
				rp.UserUID, rp.UserLogin, rp.UserEmail = u.UID, u.Login, u.Email
			}
			if g.TeamID != 0 {
				t, err := tx.FindTeamByID(ctx, p.OrgID, g.TeamID)
				if err != nil {
					return err
				}
				rp.TeamName = t.Name
			}
			out = append(out, rp)
		}
		return nil
	})
	return out, err
}

// PermissionChange is one grant of a change to a service account's permissions: a user or a
// team (exactly one), and the level it gets; Level "" removes its grant.
type PermissionChange struct {
	UserID int64
	TeamID int64
	// BuiltInRole is never valid on a service account; it is here so that a client sending one
	// gets a clear refusal rather than having it ignored.
	BuiltInRole string
	Level       ManagedLevel
}

// SetServiceAccountUserPermission grants a user Edit or Admin on a service account of the
// caller's org, or removes the user's grant when level is "". Only users of the account's org
// can hold one. It reports whether a grant was removed.
func (s *Service) SetServiceAccountUserPermission(ctx context.Context, saID, userID int64, level ManagedLevel) (removed bool, err error) {
	err = s.SetServiceAccountPermissions(ctx, saID, []PermissionChange{{UserID: userID, Level: level}})
	return err == nil && level == "", err
}

// SetServiceAccountTeamPermission grants a team of the account's org Edit or Admin on a service
// account, or removes the grant when level is "".
func (s *Service) SetServiceAccountTeamPermission(ctx context.Context, saID, teamID int64, level ManagedLevel) (removed bool, err error) {
	err = s.SetServiceAccountPermissions(ctx, saID, []PermissionChange{{TeamID: teamID, Level: level}})
	return err == nil && level == "", err
}

// SetServiceAccountPermissions applies changes to the grants on a service account of the
// caller's org, in order and in one transaction: all of them or, when one is invalid, none.
// Grants the changes do not name are kept (Grafana's POST /api/access-control/serviceaccounts/:id).
func (s *Service) SetServiceAccountPermissions(ctx context.Context, saID int64, changes []PermissionChange) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return ErrServiceAccountNotFound
	}
	for _, c := range changes {
		if err := c.check(); err != nil {
			return err
		}
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindServiceAccount(ctx, p.OrgID, saID); err != nil {
			if IsNotFound(err) {
				return ErrServiceAccountNotFound
			}
			return err
		}
		for _, c := range changes {
			if err := s.applyPermissionChange(ctx, tx, p.OrgID, saID, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: c.UserID, ServiceAccountID: saID})
	}
	return nil
}

// check refuses a change that names no holder or more than one, or an unknown level.
func (c PermissionChange) check() error {
	switch {
	case c.BuiltInRole != "":
		return Errorf(EINVALID, "service account permissions cannot be granted to a built-in role")
	case (c.UserID != 0) == (c.TeamID != 0):
		return Errorf(EINVALID, "each permission needs exactly one of userId and teamId")
	case c.UserID < 0 || c.TeamID < 0:
		return Errorf(EINVALID, "invalid user or team id")
	case c.Level != "" && ManagedActions(ResourceServiceAccounts, c.Level) == nil:
		return Errorf(EINVALID, "invalid permission")
	}
	return nil
}

// applyPermissionChange sets or removes one grant on service account saID of org orgID, after
// vetting its holder: a user of that org, or a team of it.
func (s *Service) applyPermissionChange(ctx context.Context, tx Tx, orgID, saID int64, c PermissionChange) error {
	holder := "user=" + idString(c.UserID)
	if c.TeamID != 0 {
		holder = "team=" + idString(c.TeamID)
		if _, err := tx.FindTeamByID(ctx, orgID, c.TeamID); err != nil {
			if IsNotFound(err) {
				return Errorf(EINVALID, "team not found in the service account's organization")
			}
			return err
		}
	} else {
		u, err := tx.FindUserByID(ctx, c.UserID)
		if IsNotFound(err) || (err == nil && u.IsServiceAccount) {
			return Errorf(EINVALID, "user not found")
		}
		if err != nil {
			return err
		}
		if _, err := tx.FindOrgUser(ctx, orgID, c.UserID); err != nil {
			if IsNotFound(err) {
				return Errorf(EINVALID, "user is not a member of the service account's organization")
			}
			return err
		}
	}
	now := s.now()
	mp := &ManagedPermission{OrgID: orgID, Resource: ResourceServiceAccounts, ResourceID: saID,
		UserID: c.UserID, TeamID: c.TeamID, Level: c.Level, Created: now, Updated: now}
	var err error
	if c.Level == "" {
		err = tx.RemoveManagedPermission(ctx, mp)
	} else {
		err = tx.SetManagedPermission(ctx, mp)
	}
	if err != nil {
		return err
	}
	return s.audit(ctx, tx, "serviceaccount.permission.set", "serviceaccount", idString(saID), "success",
		holder+" permission="+string(c.Level))
}
