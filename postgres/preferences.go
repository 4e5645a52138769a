package postgres

import (
	"context"

	"github.com/wardenhq/warden"
)

// owner returns the nullable user and team columns of a preferences row: an org's own row has
// neither.
func owner(p *warden.Preferences) (user, team *int64) {
	if p.UserID != 0 {
		user = &p.UserID
	}
	if p.TeamID != 0 {
		team = &p.TeamID
	}
	return user, team
}

// FindPreferences returns the preferences stored for an org (userID and teamID 0), a team or a
// user in an org.
func (t *Tx) FindPreferences(ctx context.Context, orgID, userID, teamID int64) (*warden.Preferences, error) {
	return findOne(ctx, t, "find preferences", "preferences", func(row scanner) (*warden.Preferences, error) {
		var doc string
		var created, updated int64
		if err := row.Scan(&doc, &created, &updated); err != nil {
			return nil, err
		}
		p, err := warden.ParsePreferences(doc)
		if err != nil {
			return nil, err
		}
		p.OrgID, p.UserID, p.TeamID, p.Created, p.Updated = orgID, userID, teamID, fromUnix(created), fromUnix(updated)
		return p, nil
	}, `SELECT json_data, created, updated FROM preferences
		WHERE org_id = $1 AND COALESCE(user_id, 0) = $2 AND COALESCE(team_id, 0) = $3`, orgID, userID, teamID)
}

// SavePreferences creates or replaces the preferences of p's owner.
func (t *Tx) SavePreferences(ctx context.Context, p *warden.Preferences) error {
	doc, err := p.Document()
	if err != nil {
		return err
	}
	user, team := owner(p)
	_, err = t.exec(ctx, "save preferences", `INSERT INTO preferences (org_id, user_id, team_id, json_data, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (org_id, COALESCE(user_id, 0), COALESCE(team_id, 0))
		DO UPDATE SET json_data = excluded.json_data, updated = excluded.updated`,
		p.OrgID, user, team, doc, unix(p.Created), unix(p.Updated))
	return err
}
