package warden

import (
	"context"
	"strconv"
	"strings"
)

var (
	errTeamNotFound       = Errorf(ENOTFOUND, "Team not found")
	errTeamMemberNotFound = Errorf(ENOTFOUND, "Team member not found.")
)

// ResolveTeamID turns a path segment into a team id of the caller's org: a number as it is,
// anything else looked up as a team UID.
func (s *Service) ResolveTeamID(ctx context.Context, idOrUID string) (int64, error) {
	if id, err := strconv.ParseInt(idOrUID, 10, 64); err == nil {
		return id, nil
	}
	p := PrincipalFromContext(ctx)
	if p == nil || p.OrgID <= 0 || idOrUID == "" {
		return 0, errTeamNotFound
	}
	var t *Team
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = tx.FindTeamByUID(ctx, p.OrgID, idOrUID)
		return err
	})
	if IsNotFound(err) {
		return 0, errTeamNotFound
	}
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

// CreateTeam creates a team in the caller's org. A human creator becomes its Admin; a service
// account creator does not become a member.
func (s *Service) CreateTeam(ctx context.Context, name, email string) (*Team, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, Errorf(EINVALID, "bad request data")
	}
	if err := checkNameLen(name); err != nil {
		return nil, err
	}
	uid, err := s.newUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	t := &Team{UID: uid, OrgID: p.OrgID, Name: name, Email: strings.TrimSpace(email), Created: now, Updated: now}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateTeam(ctx, t); err != nil {
			if IsConflict(err) {
				return Errorf(ECONFLICT, "Team name taken")
			}
			return err
		}
		if p.IsUser() {
			if err := tx.AddTeamMember(ctx, &TeamMember{OrgID: p.OrgID, TeamID: t.ID, UserID: p.UserID, Permission: TeamPermissionAdmin}); err != nil {
				return err
			}
			t.MemberCount = 1
		}
		return s.audit(ctx, tx, "team.create", "team", idString(t.ID), "success", "name="+name)
	})
	if err != nil {
		return nil, err
	}
	if p.IsUser() {
		s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: p.UserID})
	}
	return t, nil
}

// SearchTeams lists the teams of the caller's org that the caller may read.
func (s *Service) SearchTeams(ctx context.Context, f TeamFilter) ([]*Team, int, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, 0, nil
	}
	f.OrgID = p.OrgID
	f.IDs = readableIDs(p.Permissions, ActionTeamsRead, "teams:id:")
	var list []*Team
	var total int
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		list, total, err = tx.FindTeams(ctx, f)
		return err
	})
	return list, total, err
}

// FindTeam returns a team of the caller's org.
func (s *Service) FindTeam(ctx context.Context, id int64) (*Team, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, errTeamNotFound
	}
	var t *Team
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = tx.FindTeamByID(ctx, p.OrgID, id)
		return err
	})
	if IsNotFound(err) {
		return nil, errTeamNotFound
	}
	return t, err
}

// UserTeams lists the teams of the caller's org that a user belongs to.
func (s *Service) UserTeams(ctx context.Context, userID int64) ([]*Team, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, nil
	}
	var out []*Team
	err = s.store.View(ctx, func(tx Tx) error {
		ms, err := tx.FindUserTeams(ctx, p.OrgID, userID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			t, err := tx.FindTeamByID(ctx, p.OrgID, m.TeamID)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// UpdateTeam renames a team or changes its email (an omitted email clears it, as in Grafana).
func (s *Service) UpdateTeam(ctx context.Context, id int64, name, email string) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errTeamNotFound
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Errorf(EINVALID, "bad request data")
	}
	if err := checkNameLen(name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.FindTeamByID(ctx, p.OrgID, id)
		if err != nil {
			if IsNotFound(err) {
				return errTeamNotFound
			}
			return err
		}
		t.Name, t.Email, t.Updated = name, strings.TrimSpace(email), s.now()
		if err := tx.UpdateTeam(ctx, t); err != nil {
			if IsConflict(err) {
				return Errorf(EINVALID, "Team name taken")
			}
			return err
		}
		return s.audit(ctx, tx, "team.update", "team", idString(id), "success", "name="+name)
	})
}

// DeleteTeam deletes a team with its memberships and the grants it held.
func (s *Service) DeleteTeam(ctx context.Context, id int64) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errTeamNotFound
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteTeam(ctx, p.OrgID, id); err != nil {
			if IsNotFound(err) {
				return errTeamNotFound
			}
			return err
		}
		return s.audit(ctx, tx, "team.delete", "team", idString(id), "success", "")
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID})
	return nil
}

// TeamMembers lists a team's members (an unknown team has none).
func (s *Service) TeamMembers(ctx context.Context, teamID int64) ([]*TeamMember, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, nil
	}
	var out []*TeamMember
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.FindTeamMembers(ctx, p.OrgID, teamID)
		return err
	})
	return out, err
}

// AddTeamMember adds a user of the caller's org to a team as a Member.
func (s *Service) AddTeamMember(ctx context.Context, teamID, userID int64) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errTeamNotFound
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindTeamByID(ctx, p.OrgID, teamID); err != nil {
			if IsNotFound(err) {
				return errTeamNotFound
			}
			return err
		}
		u, err := tx.FindUserByID(ctx, userID)
		if err != nil || u.IsServiceAccount {
			if err == nil || IsNotFound(err) {
				return Errorf(EINTERNAL, "Failed to add Member to Team")
			}
			return err
		}
		if _, err := tx.FindOrgUser(ctx, p.OrgID, userID); err != nil {
			if IsNotFound(err) {
				return Errorf(EINTERNAL, "Failed to add Member to Team")
			}
			return err
		}
		if err := tx.AddTeamMember(ctx, &TeamMember{OrgID: p.OrgID, TeamID: teamID, UserID: userID, Permission: TeamPermissionMember}); err != nil {
			if IsConflict(err) {
				return Errorf(EINVALID, "User is already added to this team")
			}
			return err
		}
		return s.audit(ctx, tx, "team.member.add", "team", idString(teamID), "success", "user="+idString(userID))
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: userID})
	return nil
}

// UpdateTeamMember sets a member's permission (0 Member, 4 Admin).
func (s *Service) UpdateTeamMember(ctx context.Context, teamID, userID int64, permission int) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errTeamNotFound
	}
	if permission != TeamPermissionMember && permission != TeamPermissionAdmin {
		return Errorf(EINVALID, "bad request data")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindTeamByID(ctx, p.OrgID, teamID); err != nil {
			if IsNotFound(err) {
				return errTeamNotFound
			}
			return err
		}
		if err := tx.UpdateTeamMember(ctx, teamID, userID, permission); err != nil {
			if IsNotFound(err) {
				return errTeamMemberNotFound
			}
			return err
		}
		return s.audit(ctx, tx, "team.member.update", "team", idString(teamID), "success",
			"user="+idString(userID)+" permission="+strconv.Itoa(permission))
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: userID})
	return nil
}

// RemoveTeamMember removes a member from a team.
func (s *Service) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errTeamNotFound
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindTeamByID(ctx, p.OrgID, teamID); err != nil {
			if IsNotFound(err) {
				return errTeamNotFound
			}
			return err
		}
		if err := tx.RemoveTeamMember(ctx, teamID, userID); err != nil {
			if IsNotFound(err) {
				return Errorf(ENOTFOUND, "Team member not found")
			}
			return err
		}
		return s.audit(ctx, tx, "team.member.remove", "team", idString(teamID), "success", "user="+idString(userID))
	})
	if err != nil {
		return err
	}
	s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: userID})
	return nil
}

// SetTeamMemberships replaces a team's members (Grafana's PUT /api/teams/:id/members): afterwards
// the users named in admins are its Admins, the others named in members its Members, and nobody
// else belongs to it. Users are named by email or login and must be of the caller's org; one
// unknown name changes nothing.
func (s *Service) SetTeamMemberships(ctx context.Context, teamID int64, members, admins []string) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errTeamNotFound
	}
	var changed []int64
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.FindTeamByID(ctx, p.OrgID, teamID); err != nil {
			if IsNotFound(err) {
				return errTeamNotFound
			}
			return err
		}
		want := map[int64]int{}
		for _, list := range []struct {
			names      []string
			permission int
		}{{members, TeamPermissionMember}, {admins, TeamPermissionAdmin}} {
			for _, name := range list.names {
				id, err := orgMemberByName(ctx, tx, p.OrgID, name)
				if err != nil {
					return err
				}
				want[id] = max(want[id], list.permission)
			}
		}
		current, err := tx.FindTeamMembers(ctx, p.OrgID, teamID)
		if err != nil {
			return err
		}
		for _, m := range current {
			perm, keep := want[m.UserID]
			delete(want, m.UserID)
			switch {
			case !keep:
				err = tx.RemoveTeamMember(ctx, teamID, m.UserID)
			case perm != m.Permission:
				err = tx.UpdateTeamMember(ctx, teamID, m.UserID, perm)
			default:
				continue
			}
			if err != nil {
				return err
			}
			changed = append(changed, m.UserID)
		}
		for id, perm := range want {
			if err := tx.AddTeamMember(ctx, &TeamMember{OrgID: p.OrgID, TeamID: teamID, UserID: id, Permission: perm}); err != nil {
				return err
			}
			changed = append(changed, id)
		}
		return s.audit(ctx, tx, "team.members.set", "team", idString(teamID), "success",
			"members="+strconv.Itoa(len(members))+" admins="+strconv.Itoa(len(admins)))
	})
	if err != nil {
		return err
	}
	for _, id := range changed {
		s.emit(Change{Kind: ChangeManagedPermissionChanged, OrgID: p.OrgID, UserID: id})
	}
	return nil
}

// orgMemberByName finds a human member of org orgID by email or login; anyone else is
// Grafana's 404 "user not found".
func orgMemberByName(ctx context.Context, tx Tx, orgID int64, name string) (int64, error) {
	u, err := tx.FindUserByLoginOrEmail(ctx, strings.ToLower(strings.TrimSpace(name)))
	if IsNotFound(err) || (err == nil && u.IsServiceAccount) {
		return 0, errUserNotFound
	}
	if err != nil {
		return 0, err
	}
	if _, err := tx.FindOrgUser(ctx, orgID, u.ID); err != nil {
		if IsNotFound(err) {
			return 0, errUserNotFound
		}
		return 0, err
	}
	return u.ID, nil
}
