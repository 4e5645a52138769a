package postgres

import (
	"context"
	"strings"

	"github.com/wardenhq/warden"
)

const teamSelect = `SELECT t.id, t.uid, t.org_id, t.name, t.email, t.created, t.updated,
	(SELECT COUNT(*) FROM team_member tm JOIN users u ON u.id = tm.user_id
	 WHERE tm.team_id = t.id AND NOT u.is_service_account) AS member_count FROM team t`

func scanTeam(row scanner) (*warden.Team, error) {
	var tm warden.Team
	var created, updated int64
	if err := row.Scan(&tm.ID, &tm.UID, &tm.OrgID, &tm.Name, &tm.Email, &created, &updated, &tm.MemberCount); err != nil {
		return nil, err
	}
	tm.Created, tm.Updated = fromUnix(created), fromUnix(updated)
	return &tm, nil
}

// CreateTeam inserts a team and sets its ID.
func (t *Tx) CreateTeam(ctx context.Context, tm *warden.Team) error {
	id, err := t.insert(ctx, "create team", `INSERT INTO team (uid, org_id, name, email, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6)`, tm.UID, tm.OrgID, tm.Name, tm.Email, unix(tm.Created), unix(tm.Updated))
	if err != nil {
		return err
	}
	tm.ID = id
	return nil
}

// FindTeamByID returns a team of an org.
func (t *Tx) FindTeamByID(ctx context.Context, orgID, id int64) (*warden.Team, error) {
	return findOne(ctx, t, "find team", "team", scanTeam, teamSelect+" WHERE t.org_id = $1 AND t.id = $2", orgID, id)
}

// FindTeamByUID returns a team of an org by UID.
func (t *Tx) FindTeamByUID(ctx context.Context, orgID int64, uid string) (*warden.Team, error) {
	return findOne(ctx, t, "find team", "team", scanTeam, teamSelect+" WHERE t.org_id = $1 AND t.uid = $2", orgID, uid)
}

var teamSorts = map[string]string{
	"name-asc": "t.name ASC", "name-desc": "t.name DESC",
	"email-asc": "t.email ASC", "email-desc": "t.email DESC",
	"memberCount-asc": "member_count ASC", "memberCount-desc": "member_count DESC",
}

// FindTeams returns a page of an org's teams.
func (t *Tx) FindTeams(ctx context.Context, f warden.TeamFilter) ([]*warden.Team, int, error) {
	a := args{}
	where := []string{"t.org_id = " + a.add(f.OrgID)}
	if f.Query != "" {
		where = append(where, "t.name ILIKE "+a.add("%"+like(f.Query)+"%"))
	}
	if f.Name != "" {
		where = append(where, "t.name = "+a.add(f.Name))
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		where = append(where, "t.id = ANY("+a.add(f.IDs)+")")
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	total, err := t.count(ctx, "find teams", "SELECT COUNT(*) FROM team t"+cond, a...)
	if err != nil {
		return nil, 0, err
	}
	order := "t.name ASC"
	if o, ok := teamSorts[f.Sort]; ok {
		order = o
	}
	q, a := page(teamSelect+cond+" ORDER BY "+order+", t.id", a, f.Offset, f.Limit)
	teams, err := findAll(ctx, t, "find teams", scanTeam, q, a...)
	if err != nil {
		return nil, 0, err
	}
	return teams, total, nil
}

// UpdateTeam writes a team's name and email.
func (t *Tx) UpdateTeam(ctx context.Context, tm *warden.Team) error {
	return t.execOne(ctx, "update team", "team", "UPDATE team SET name = $1, email = $2, updated = $3 WHERE org_id = $4 AND id = $5",
		tm.Name, tm.Email, unix(tm.Updated), tm.OrgID, tm.ID)
}

// DeleteTeam deletes a team; memberships and its grants go by foreign key.
func (t *Tx) DeleteTeam(ctx context.Context, orgID, id int64) error {
	return t.execOne(ctx, "delete team", "team", "DELETE FROM team WHERE org_id = $1 AND id = $2", orgID, id)
}

// AddTeamMember inserts a membership, created now by the database's clock (in whole seconds,
// as SQLite's strftime('%s','now')).
func (t *Tx) AddTeamMember(ctx context.Context, m *warden.TeamMember) error {
	_, err := t.exec(ctx, "add team member", `INSERT INTO team_member (team_id, user_id, org_id, permission, created)
		VALUES ($1, $2, $3, $4, floor(extract(epoch FROM now()))::bigint)`, m.TeamID, m.UserID, m.OrgID, m.Permission)
	return err
}

// UpdateTeamMember changes a member's permission.
func (t *Tx) UpdateTeamMember(ctx context.Context, teamID, userID int64, permission int) error {
	return t.execOne(ctx, "update team member", "team member",
		"UPDATE team_member SET permission = $1 WHERE team_id = $2 AND user_id = $3", permission, teamID, userID)
}

// RemoveTeamMember deletes a membership.
func (t *Tx) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	return t.execOne(ctx, "remove team member", "team member",
		"DELETE FROM team_member WHERE team_id = $1 AND user_id = $2", teamID, userID)
}

const teamMemberSelect = `SELECT tm.org_id, tm.team_id, t.uid, tm.user_id, u.uid, u.login, u.email, u.name, tm.permission
	FROM team_member tm JOIN team t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id`

func scanTeamMember(row scanner) (*warden.TeamMember, error) {
	var m warden.TeamMember
	if err := row.Scan(&m.OrgID, &m.TeamID, &m.TeamUID, &m.UserID, &m.UserUID, &m.Login, &m.Email, &m.Name, &m.Permission); err != nil {
		return nil, err
	}
	return &m, nil
}

// FindTeamMembers lists a team's human members by login.
func (t *Tx) FindTeamMembers(ctx context.Context, orgID, teamID int64) ([]*warden.TeamMember, error) {
	return findAll(ctx, t, "find team members", scanTeamMember, teamMemberSelect+
		" WHERE tm.org_id = $1 AND tm.team_id = $2 AND NOT u.is_service_account ORDER BY u.login", orgID, teamID)
}

// FindUserTeams lists a user's memberships in an org.
func (t *Tx) FindUserTeams(ctx context.Context, orgID, userID int64) ([]*warden.TeamMember, error) {
	return findAll(ctx, t, "find user teams", scanTeamMember, teamMemberSelect+
		" WHERE tm.org_id = $1 AND tm.user_id = $2 ORDER BY t.name", orgID, userID)
}
