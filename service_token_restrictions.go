package warden

import (
	"context"
	"strings"
)

// checkRoleCap refuses a token role cap above the account's role in the org (m, nil when the
// account has no membership there).
func checkRoleCap(limit OrgRole, m *OrgUser) error {
	if limit == "" {
		return nil
	}
	role := RoleNone
	if m != nil {
		role = m.Role
	}
	if !role.Includes(limit) {
		return Errorf(EINVALID, "role: %s is above the service account's role (%s); a token's role can only narrow its account's", limit, role)
	}
	return nil
}

// auditDetail describes the restrictions for an audit row: "" when there are none.
func (r TokenRestrictions) auditDetail() string {
	var b strings.Builder
	if r.Role != "" {
		b.WriteString(" role=" + string(r.Role))
	}
	if len(r.Scopes) > 0 {
		b.WriteString(" scopes=" + strings.Join(r.Scopes, ","))
	}
	if len(r.AllowedCIDRs) > 0 {
		b.WriteString(" allowed_cidrs=" + strings.Join(r.CIDRStrings(), ","))
	}
	return b.String()
}

// TokenRestrictionsUpdate is a change of a token's restrictions: a nil field is left as it is;
// a set one replaces the token's (an empty role, list or range set removes that restriction).
type TokenRestrictionsUpdate struct {
	Role         *string // as ParseTokenRestrictions reads it; "" removes the cap
	Scopes       *[]string
	AllowedCIDRs *[]string
}

// UpdateTokenRestrictions changes the restrictions of a token of a service account of the
// caller's org, checked as at creation (a role cap at most the account's current role), and
// returns the token as it is now. Every instance's cache drops the token, so its next request
// anywhere is checked against the new restrictions.
func (s *Service) UpdateTokenRestrictions(ctx context.Context, saID, tokenID int64, upd TokenRestrictionsUpdate) (*Token, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, ErrServiceAccountNotFound
	}
	if _, err := s.FindServiceAccount(ctx, saID); err != nil {
		return nil, err
	}
	if tokenID <= 0 {
		return nil, errTokenInvalidID
	}
	if upd.Role == nil && upd.Scopes == nil && upd.AllowedCIDRs == nil {
		return nil, Errorf(EINVALID, "Nothing to change: send role, scopes or allowedCidrs")
	}
	// Each field is checked on its own, so that an error names the field the client sent.
	var role string
	var scopes, cidrs []string
	if upd.Role != nil {
		role = *upd.Role
	}
	if upd.Scopes != nil {
		scopes = *upd.Scopes
	}
	if upd.AllowedCIDRs != nil {
		cidrs = *upd.AllowedCIDRs
	}
	parsed, err := ParseTokenRestrictions(role, scopes, cidrs)
	if err != nil {
		return nil, err
	}
	var tk *Token
	err = s.store.Update(ctx, func(tx Tx) error {
		tk, err = tx.FindToken(ctx, p.OrgID, saID, tokenID)
		if IsNotFound(err) {
			return errTokenNotFound
		} else if err != nil {
			return err
		}
		next := tk.Restrictions
		if upd.Role != nil {
			next.Role = parsed.Role
			m, err := tx.FindOrgUser(ctx, p.OrgID, saID)
			if err != nil && !IsNotFound(err) {
				return err
			}
			if err := checkRoleCap(next.Role, m); err != nil {
				return err
			}
		}
		if upd.Scopes != nil {
			next.Scopes = parsed.Scopes
		}
		if upd.AllowedCIDRs != nil {
			next.AllowedCIDRs = parsed.AllowedCIDRs
		}
		tk.Restrictions, tk.Updated = next, s.now()
		if err := tx.UpdateToken(ctx, tk); err != nil {
			return err
		}
		detail := next.auditDetail()
		if detail == "" {
			detail = " unrestricted"
		}
		return s.audit(ctx, tx, "token.restrict", "token", idString(tk.ID), OutcomeSuccess,
			"serviceaccount="+idString(saID)+detail)
	})
	if err != nil {
		return nil, err
	}
	s.emit(Change{Kind: ChangeTokenUpdated, OrgID: p.OrgID, ServiceAccountID: saID, TokenID: tk.ID})
	return tk, nil
}
