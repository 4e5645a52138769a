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
	return s.setServiceAccountPermission(ctx, saID, &ManagedPermission{UserID: userID, Level: level},
		func(tx Tx, orgID int64) error {
			u, err := tx.FindUserByID(ctx, userID)
			if IsNotFound(err) || (err == nil && u.IsServiceAccount) {
				return Errorf(EINVALID, "user not found")
			}
			if err != nil {
				return err
			}
			if _, err := tx.FindOrgUser(ctx, orgID, userID); err != nil {
				if IsNotFound(err) {
					return Errorf(EINVALID, "user is not a member of the service account's organization")
				}
				return err
			}
			return nil
		})
}

// SetServiceAccountTeamPermission grants a team of the account's org Edit or Admin on a service
// account, or removes the grant when level is "".
func (s *Service) SetServiceAccountTeamPermission(ctx context.Context, saID, teamID int64, level ManagedLevel) (removed bool, err error) {
	return s.setServiceAccountPermission(ctx, saID, &ManagedPermission{TeamID: teamID, Level: level},
		func(tx Tx, orgID int64) error {
			if _, err := tx.FindTeamByID(ctx, orgID, teamID); err != nil {
				if IsNotFound(err) {
					return Errorf(EINVALID, "team not found in the service account's organization")
				}
				return err
			}
			return nil
		})
}

// setServiceAccountPermission sets or removes (Level "") the grant of mp's user or team on a
// service account of the caller's org, after checkHolder has vetted the holder in that org.
func (s *Service) setServiceAccountPermission(ctx context.Context, saID int64, mp *ManagedPermission,
	checkHolder func(tx Tx, orgID int64) error) (removed bool, err error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return false, ErrServiceAccountNotFound
	}
	if mp.Level != "" && ManagedActions(ResourceServiceAccounts, mp.Level) == nil {
		return false, Errorf(EINVALID, "invalid permission")
	}
	now := s.now()
	mp.OrgID, mp.Resource, mp.ResourceID, mp.Created, mp.Updated = p.OrgID, ResourceServiceAccounts, saID, now, now
	holder := "user=" + idString(mp.UserID)
	if mp.TeamID != 0 {
		holder = "team=" + idString(mp.TeamID)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindServiceAccount(ctx, p.OrgID, saID); err != nil {
			if IsNotFound(err) {
				return ErrServiceAccountNotFound
			}
			return err
		}
		if err := checkHolder(tx, p.OrgID); err != nil {
			return err
		}
		if mp.Level == "" {
			removed = true
			if err := tx.RemoveManagedPermission(ctx, mp); err != nil {
				return err
			}
		} else if err := tx.SetManagedPermission(ctx, mp); err != nil {
			return err
		}
		return s.audit(ctx, tx, "serviceaccount.permission.set", "serviceaccount", idString(saID), "success",
			holder+" permission="+string(mp.Level))
	})
	if err != nil {
		return false, err
	}
	s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: mp.UserID, ServiceAccountID: saID})
	return removed, nil
}
