package warden

import "context"

// PrincipalKind tells what kind of identity made a request.
type PrincipalKind string

// The kinds of principal.
const (
	KindUser           PrincipalKind = "user"
	KindServiceAccount PrincipalKind = "service_account"
)

// Principal is the identity of one request: who, in which org, with which permissions.
type Principal struct {
	Kind   PrincipalKind
	UserID int64 // the user's or service account's id
	UID    string
	Login  string
	Email  string
	Name   string

	// OrgID is the org this request acts in; -1 when a user named an org it does not belong to.
	OrgID   int64
	OrgName string
	// OrgRole is the principal's role in OrgID; "" when it has none there.
	OrgRole OrgRole
	// IsServerAdmin marks a server admin ("Grafana Admin").
	IsServerAdmin bool
	// CurrentOrgID is the user's stored current org (what GET /api/user reports).
	CurrentOrgID int64

	// How the request authenticated: "session", "basic" or "token".
	AuthMethod string
	SessionID  int64
	TokenID    int64

	// Permissions are the grants held in OrgID.
	Permissions Permissions
	// Scopes are a token's scopes (see TokenRestrictions); nil for anything else.
	Scopes []string
}

// IsUser reports whether the principal is a human user.
func (p *Principal) IsUser() bool { return p != nil && p.Kind == KindUser }

type contextKey int

const (
	principalKey contextKey = iota
	clientIPKey
)

// NewContextWithPrincipal returns a copy of ctx carrying p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFromContext returns the request's principal, or nil for an anonymous request.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// NewContextWithClientIP returns a copy of ctx carrying the client's IP, for audit rows and
// rate limits.
func NewContextWithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

// ClientIPFromContext returns the client IP stored in ctx, or "".
func ClientIPFromContext(ctx context.Context) string {
	s, _ := ctx.Value(clientIPKey).(string)
	return s
}
