package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/wardenhq/warden"
)

const teamSelect = `SELECT t.id, t.uid, t.org_id, t.name, t.email, t.created, t.updated,
	(SELECT COUNT(*) FROM team_member tm JOIN users u ON u.id = tm.user_id
	 WHERE tm.team_id = t.id AND u.is_service_account = 0) AS member_count FROM team t`

func scanTeam(row interface{ Scan(...any) error }) (*warden.Team, error) {
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
	res, err := t.exec(ctx, "INSERT INTO team (uid, org_id, name, email, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
		tm.UID, tm.OrgID, tm.Name, tm.Email, unix(tm.Created), unix(tm.Updated))
	if err != nil {
		return err
	}
	tm.ID, err = res.LastInsertId()
	return err
}

// FindTeamByID returns a team of an org.
func (t *Tx) FindTeamByID(ctx context.Context, orgID, id int64) (*warden.Team, error) {
	tm, err := scanTeam(t.tx.QueryRowContext(ctx, teamSelect+" WHERE t.org_id = ? AND t.id = ?", orgID, id))
	if err == sql.ErrNoRows {
		return nil, notFound("team")
	}
	return tm, err
}

// FindTeamByUID returns a team of an org by UID.
func (t *Tx) FindTeamByUID(ctx context.Context, orgID int64, uid string) (*warden.Team, error) {
	tm, err := scanTeam(t.tx.QueryRowContext(ctx, teamSelect+" WHERE t.org_id = ? AND t.uid = ?", orgID, uid))
	if err == sql.ErrNoRows {
		return nil, notFound("team")
	}
	return tm, err
}

var teamSorts = map[string]string{
	"name-asc": "t.name ASC", "name-desc": "t.name DESC",
	"email-asc": "t.email ASC", "email-desc": "t.email DESC",
	"memberCount-asc": "member_count ASC", "memberCount-desc": "member_count DESC",
}

// FindTeams returns a page of an org's teams.
func (t *Tx) FindTeams(ctx context.Context, f warden.TeamFilter) ([]*warden.Team, int, error) {
	where, args := []string{"t.org_id = ?"}, []any{f.OrgID}
	if f.Query != "" {
		where = append(where, `t.name LIKE ? ESCAPE '\'`)
		args = append(args, "%"+like(f.Query)+"%")
	}
	if f.Name != "" {
		where = append(where, "t.name = ?")
		args = append(args, f.Name)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		where = append(where, "t.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM team t"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := "t.name ASC"
	if o, ok := teamSorts[f.Sort]; ok {
		order = o
	}
	q, qargs := page(teamSelect+cond+" ORDER BY "+order+", t.id", args, f.Offset, f.Limit)
	rows, err := t.tx.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*warden.Team
	for rows.Next() {
		tm, err := scanTeam(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, tm)
	}
	return out, total, rows.Err()
}

// UpdateTeam writes a team's name and email.
func (t *Tx) UpdateTeam(ctx context.Context, tm *warden.Team) error {
	return t.execOne(ctx, "team", "UPDATE team SET name = ?, email = ?, updated = ? WHERE org_id = ? AND id = ?",
		tm.Name, tm.Email, unix(tm.Updated), tm.OrgID, tm.ID)
}

// DeleteTeam deletes a team; memberships and its grants go by foreign key.
func (t *Tx) DeleteTeam(ctx context.Context, orgID, id int64) error {
	return t.execOne(ctx, "team", "DELETE FROM team WHERE org_id = ? AND id = ?", orgID, id)
}

// AddTeamMember inserts a membership.
func (t *Tx) AddTeamMember(ctx context.Context, m *warden.TeamMember) error {
	_, err := t.exec(ctx, "INSERT INTO team_member (team_id, user_id, org_id, permission, created) VALUES (?, ?, ?, ?, strftime('%s','now'))",
		m.TeamID, m.UserID, m.OrgID, m.Permission)
	return err
}

// UpdateTeamMember changes a member's permission.
func (t *Tx) UpdateTeamMember(ctx context.Context, teamID, userID int64, permission int) error {
	return t.execOne(ctx, "team member", "UPDATE team_member SET permission = ? WHERE team_id = ? AND user_id = ?",
		permission, teamID, userID)
}

// RemoveTeamMember deletes a membership.
func (t *Tx) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	return t.execOne(ctx, "team member", "DELETE FROM team_member WHERE team_id = ? AND user_id = ?", teamID, userID)
}

const teamMemberSelect = `SELECT tm.org_id, tm.team_id, t.uid, tm.user_id, u.uid, u.login, u.email, u.name, tm.permission
	FROM team_member tm JOIN team t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id`

func (t *Tx) queryTeamMembers(ctx context.Context, q string, args ...any) ([]*warden.TeamMember, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.TeamMember
	for rows.Next() {
		var m warden.TeamMember
		if err := rows.Scan(&m.OrgID, &m.TeamID, &m.TeamUID, &m.UserID, &m.UserUID, &m.Login, &m.Email, &m.Name, &m.Permission); err != nil {
			return nil, err
		}
		out = append(out, &m)
	}
	return out, rows.Err()
}

// FindTeamMembers lists a team's human members by login.
func (t *Tx) FindTeamMembers(ctx context.Context, orgID, teamID int64) ([]*warden.TeamMember, error) {
	return t.queryTeamMembers(ctx, teamMemberSelect+
		" WHERE tm.org_id = ? AND tm.team_id = ? AND u.is_service_account = 0 ORDER BY u.login", orgID, teamID)
}

// FindUserTeams lists a user's memberships in an org.
func (t *Tx) FindUserTeams(ctx context.Context, orgID, userID int64) ([]*warden.TeamMember, error) {
	return t.queryTeamMembers(ctx, teamMemberSelect+" WHERE tm.org_id = ? AND tm.user_id = ? ORDER BY t.name", orgID, userID)
}
