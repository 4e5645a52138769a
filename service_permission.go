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

// SetServiceAccountUserPermission grants a user Edit or Admin on a service account of the
// caller's org, or removes the user's grant when level is "". Only users of the account's org
// can hold one. It reports whether a grant was removed.
func (s *Service) SetServiceAccountUserPermission(ctx context.Context, saID, userID int64, level ManagedLevel) (removed bool, err error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return false, ErrServiceAccountNotFound
	}
	if level != "" && ManagedActions(ResourceServiceAccounts, level) == nil {
		return false, Errorf(EINVALID, "invalid permission")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindServiceAccount(ctx, p.OrgID, saID); err != nil {
			if IsNotFound(err) {
				return ErrServiceAccountNotFound
			}
			return err
		}
		u, err := tx.FindUserByID(ctx, userID)
		if IsNotFound(err) || (err == nil && u.IsServiceAccount) {
			return Errorf(EINVALID, "user not found")
		}
		if err != nil {
			return err
		}
		if _, err := tx.FindOrgUser(ctx, p.OrgID, userID); err != nil {
			if IsNotFound(err) {
				return Errorf(EINVALID, "user is not a member of the service account's organization")
			}
			return err
		}
		now := s.now()
		mp := &ManagedPermission{OrgID: p.OrgID, Resource: ResourceServiceAccounts, ResourceID: saID, UserID: userID,
			Level: level, Created: now, Updated: now}
		if level == "" {
			removed = true
			if err := tx.RemoveManagedPermission(ctx, mp); err != nil {
				return err
			}
		} else if err := tx.SetManagedPermission(ctx, mp); err != nil {
			return err
		}
		return s.audit(ctx, tx, "serviceaccount.permission.set", "serviceaccount", idString(saID), "success",
			"user="+idString(userID)+" permission="+string(level))
	})
	if err != nil {
		return false, err
	}
	s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: userID, ServiceAccountID: saID})
	return removed, nil
}
