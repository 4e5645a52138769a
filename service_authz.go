package warden

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// TokenInfo is what introspection tells about an active token.
type TokenInfo struct {
	Login   string // the service account's login
	UserID  int64  // the service account's id
	OrgID   int64
	Role    OrgRole
	TokenID int64
	Expires time.Time // zero: never
	// Scopes and AllowedCIDRs are the token's restrictions (nil: none); Role is already the
	// effective role, capped by the token's.
	Scopes       []string
	AllowedCIDRs []string
}

// AdministeredOrgs returns the orgs whose tokens p may inspect: every org (all) for a server
// admin; for a user, the orgs where it is Admin; for a service account with the Admin role,
// its own org. A caller administering no org gets EFORBIDDEN, an anonymous one EUNAUTHORIZED.
func (s *Service) AdministeredOrgs(ctx context.Context, p *Principal) (all bool, orgs []int64, err error) {
	switch {
	case p == nil:
		return false, nil, ErrUnauthorized
	case p.IsUser() && p.IsServerAdmin:
		return true, nil, nil
	case p.IsUser():
		memberships, err := s.UserOrgs(ctx, p.UserID)
		if err != nil {
			return false, nil, fmt.Errorf("administered orgs: %w", err)
		}
		for _, m := range memberships {
			if m.Role == RoleAdmin {
				orgs = append(orgs, m.OrgID)
			}
		}
	case p.Kind == KindServiceAccount && p.OrgRole == RoleAdmin && p.OrgID > 0:
		orgs = []int64{p.OrgID}
	}
	if len(orgs) == 0 {
		return false, nil, Errorf(EFORBIDDEN, "Permission denied")
	}
	return false, orgs, nil
}

// IntrospectToken tells the caller in ctx (see AdministeredOrgs) about the token raw, in the
// spirit of RFC 7662. It returns nil, nil — "not active" — for anything but a token that
// passes exactly the checks of the token API (malformed, unknown, expired, revoked, of a
// disabled or deleted account) and that belongs to an org the caller administers, so an org
// Admin learns nothing about other orgs' tokens; a token of another org is not even checked.
//
// clientIP is the address the token's own client used, when the caller knows it: a token
// used from outside its allowed ranges is then not active (and the refusal is counted and
// audited as one of the token API). With clientIP "", the ranges are not checked — the caller
// is not the token's client — and TokenInfo carries them for the caller to apply. An active
// token's check counts as a use (lastUsedAt; the address only when clientIP is given).
func (s *Service) IntrospectToken(ctx context.Context, raw, clientIP string) (*TokenInfo, error) {
	all, orgs, err := s.AdministeredOrgs(ctx, PrincipalFromContext(ctx))
	if err != nil {
		return nil, err
	}
	if !s.ServiceAccountsEnabled() {
		return nil, nil
	}
	secret, ok := ParseSecret(raw)
	if !ok {
		return nil, nil
	}
	// The token is found as the token check finds it (cache, unknown-token memory, the
	// caller's budget of failed lookups), but checked — and its use recorded — only when it is
	// of an org the caller administers.
	now := s.Now()
	e, err := s.findToken(ctx, secret, now)
	switch {
	case errors.Is(err, errLookupBudget):
		return nil, errIntrospectLimited
	case ErrorCode(err) == EUNAUTHORIZED:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("introspect token: %w", err)
	case !all && !slices.Contains(orgs, e.orgID):
		return nil, nil
	}
	if s.usable(e, now, e.orgID) != nil {
		return nil, nil // expired, revoked, disabled: not active
	}
	if clientIP != "" && !e.restrict.AllowsAddress(clientIP) {
		_ = s.refuseAddress(ctx, e, clientIP, now)
		return nil, nil
	}
	s.recordUse(e, now, clientIP)
	p := e.identity
	return &TokenInfo{Login: p.Login, UserID: p.UserID, OrgID: p.OrgID, Role: p.OrgRole, TokenID: p.TokenID,
		Expires: e.expires, Scopes: e.restrict.Scopes, AllowedCIDRs: e.restrict.CIDRStrings()}, nil
}

// errIntrospectLimited answers a caller whose introspections found too many unknown tokens.
var errIntrospectLimited = ErrorID(ETOOMANY, "authz.introspect-limited",
	"Too many introspections of unknown tokens from this address. Try again later.")
