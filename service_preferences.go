package warden

import "context"

// PreferencesOwner names whose preferences a call reads or writes, in the caller's org: the
// org itself (the zero value), one of its teams, or the calling identity.
type PreferencesOwner struct {
	TeamID int64
	Caller bool
}

// owner resolves o in tx: the org, user and team ids of the preferences row, and the audit
// target. A team must be of the caller's org.
func (o PreferencesOwner) resolve(ctx context.Context, tx Tx, p *Principal) (row Preferences, targetType, targetID string, err error) {
	row.OrgID = p.OrgID
	switch {
	case o.TeamID != 0:
		if _, err := tx.FindTeamByID(ctx, p.OrgID, o.TeamID); err != nil {
			if IsNotFound(err) {
				return row, "", "", errTeamNotFound
			}
			return row, "", "", err
		}
		row.TeamID = o.TeamID
		return row, "team", idString(o.TeamID), nil
	case o.Caller:
		row.UserID = p.UserID
		return row, "user", idString(p.UserID), nil
	default:
		return row, "org", idString(p.OrgID), nil
	}
}

// Preferences returns the stored preferences of o; none stored reads as Grafana's defaults
// (every field empty).
func (s *Service) Preferences(ctx context.Context, o PreferencesOwner) (*Preferences, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, errOrgNotFound
	}
	var out *Preferences
	err = s.store.View(ctx, func(tx Tx) error {
		row, _, _, err := o.resolve(ctx, tx, p)
		if err != nil {
			return err
		}
		out, err = tx.FindPreferences(ctx, row.OrgID, row.UserID, row.TeamID)
		if IsNotFound(err) {
			out, err = &row, nil
		}
		return err
	})
	return out, err
}

// SetPreferences replaces the preferences of o with prefs (Grafana's PUT: omitted fields are
// cleared).
func (s *Service) SetPreferences(ctx context.Context, o PreferencesOwner, prefs Preferences) error {
	return s.savePreferences(ctx, o, func(p *Preferences) {
		prefs.OrgID, prefs.UserID, prefs.TeamID, prefs.Created = p.OrgID, p.UserID, p.TeamID, p.Created
		*p = prefs
	})
}

// PatchPreferences changes only the preferences of o that patch names (Grafana's PATCH).
func (s *Service) PatchPreferences(ctx context.Context, o PreferencesOwner, patch PreferencesPatch) error {
	return s.savePreferences(ctx, o, patch.Apply)
}

// savePreferences loads the preferences of o, lets change modify them, validates and stores
// them, in one transaction.
func (s *Service) savePreferences(ctx context.Context, o PreferencesOwner, change func(*Preferences)) error {
	p, err := callerOrg(ctx)
	if err != nil {
		return errOrgNotFound
	}
	return s.store.Update(ctx, func(tx Tx) error {
		row, targetType, targetID, err := o.resolve(ctx, tx, p)
		if err != nil {
			return err
		}
		now := s.now()
		cur, err := tx.FindPreferences(ctx, row.OrgID, row.UserID, row.TeamID)
		if IsNotFound(err) {
			row.Created = now
			cur, err = &row, nil
		}
		if err != nil {
			return err
		}
		change(cur)
		if err := cur.validate(); err != nil {
			return err
		}
		cur.Updated = now
		if err := tx.SavePreferences(ctx, cur); err != nil {
			return err
		}
		return s.audit(ctx, tx, "preferences.update", targetType, targetID, "success", "")
	})
}
