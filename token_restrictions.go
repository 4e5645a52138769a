package warden

import (
	"fmt"
	"net/netip"
	"strings"
)

// TokenRestrictions narrow what a token may do below what its service account may: a role cap,
// scopes for the caller's own API, and the client addresses it may be used from. The zero value
// restricts nothing, which is how every Grafana token behaves. Restrictions are parsed and
// checked once (ParseTokenRestrictions) and read-only afterwards, so that a token check only
// compares.
type TokenRestrictions struct {
	// Role caps the token's role: a request acts with the lower of it and the account's
	// current role. "": no cap.
	Role OrgRole
	// Scopes are opaque to Warden's own API; forward-auth rules and introspection use them.
	Scopes []string
	// AllowedCIDRs are the client address ranges the token may be used from; nil: any.
	AllowedCIDRs []netip.Prefix
}

// The bounds of a token's restrictions.
const (
	MaxTokenScopes   = 50
	MaxTokenCIDRs    = 50
	MaxTokenScopeLen = 128
)

// IsZero reports whether r restricts nothing.
func (r TokenRestrictions) IsZero() bool {
	return r.Role == "" && len(r.Scopes) == 0 && len(r.AllowedCIDRs) == 0
}

// HasScopes reports whether the token holds every scope of want. It does not allocate.
func (r TokenRestrictions) HasScopes(want []string) bool {
	for _, w := range want {
		found := false
		for _, s := range r.Scopes {
			if s == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// AllowsAddress reports whether a use from the client address ip is allowed: always without
// ranges; with ranges, only from a parseable address inside one of them (an IPv4 address
// written as IPv4-mapped IPv6 is its IPv4 self). It does not allocate.
func (r TokenRestrictions) AllowsAddress(ip string) bool {
	if len(r.AllowedCIDRs) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return false
	}
	addr = addr.Unmap()
	for _, p := range r.AllowedCIDRs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CIDRStrings returns the allowed ranges in their canonical text form.
func (r TokenRestrictions) CIDRStrings() []string {
	if len(r.AllowedCIDRs) == 0 {
		return nil
	}
	out := make([]string, len(r.AllowedCIDRs))
	for i, p := range r.AllowedCIDRs {
		out[i] = p.String()
	}
	return out
}

// ParseTokenRestrictions checks what a client asks for and returns it in the form a token
// holds. role "" means no cap; roles are read as Grafana binds them (case-insensitively). Scopes
// are 1–128 characters of [a-z0-9._:/-] starting with a letter or a digit, at most 50, none
// twice. Ranges are CIDRs or single addresses (a /32 or /128), at most 50, none twice, with no
// bits set past the prefix. An error names the field (role, scopes or allowedCidrs); it is
// EINVALID.
func ParseTokenRestrictions(role string, scopes, cidrs []string) (TokenRestrictions, error) {
	var r TokenRestrictions
	if role = strings.TrimSpace(role); role != "" {
		parsed, ok := ParseOrgRole(role)
		if !ok {
			return r, Errorf(EINVALID, "role: %q is not a role (None, Viewer, Editor or Admin)", role)
		}
		r.Role = parsed
	}
	if len(scopes) > MaxTokenScopes {
		return r, Errorf(EINVALID, "scopes: at most %d scopes, not %d", MaxTokenScopes, len(scopes))
	}
	for _, s := range scopes {
		if err := CheckScope(s); err != nil {
			return r, Errorf(EINVALID, "scopes: %v", err)
		}
		for _, prev := range r.Scopes {
			if prev == s {
				return r, Errorf(EINVALID, "scopes: %q is listed twice", s)
			}
		}
		r.Scopes = append(r.Scopes, s)
	}
	if len(cidrs) > MaxTokenCIDRs {
		return r, Errorf(EINVALID, "allowedCidrs: at most %d ranges, not %d", MaxTokenCIDRs, len(cidrs))
	}
	for _, c := range cidrs {
		p, err := parseCIDR(c)
		if err != nil {
			return r, Errorf(EINVALID, "allowedCidrs: %v", err)
		}
		for _, prev := range r.AllowedCIDRs {
			if prev == p {
				return r, Errorf(EINVALID, "allowedCidrs: %s is listed twice", p)
			}
		}
		r.AllowedCIDRs = append(r.AllowedCIDRs, p)
	}
	return r, nil
}

// CheckScope checks one scope's spelling: 1–128 characters of [a-z0-9._:/-], starting with a
// letter or a digit. Forward-auth rules spell their scopes the same way.
func CheckScope(s string) error {
	if s == "" || len(s) > MaxTokenScopeLen {
		return fmt.Errorf("%q is not a scope: a scope has 1 to %d characters", truncateForError(s), MaxTokenScopeLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if i == 0 && !alnum || !alnum && strings.IndexByte("._:/-", c) < 0 {
			return fmt.Errorf("%q is not a scope: use a-z, 0-9 and . _ : / -, starting with a letter or a digit (e.g. orders:write)", truncateForError(s))
		}
	}
	return nil
}

// parseCIDR reads a range or a single address into its canonical prefix.
func parseCIDR(s string) (netip.Prefix, error) {
	t := strings.TrimSpace(s)
	if !strings.Contains(t, "/") {
		a, err := netip.ParseAddr(t)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)", truncateForError(s))
		}
		if a.Is4In6() {
			return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 address; write it as IPv4 (%s)", s, a.Unmap())
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(t)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)", truncateForError(s))
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 range; write it as IPv4", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%q has address bits set past its prefix length; did you mean %s?", s, m)
	}
	return p, nil
}

// truncateForError keeps a client's value short enough to quote in an error.
func truncateForError(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// StoredScopes and StoredCIDRs are the columns' text form of a token's scopes and ranges: the
// values separated by single spaces (neither can hold one), "" for none.
func (r TokenRestrictions) StoredScopes() string { return strings.Join(r.Scopes, " ") }

// StoredCIDRs: see StoredScopes.
func (r TokenRestrictions) StoredCIDRs() string { return strings.Join(r.CIDRStrings(), " ") }

// RestrictionsFromStore rebuilds a token's restrictions from their stored form. A value the
// store holds but cannot parse is an error: a token must never lose a restriction silently.
func RestrictionsFromStore(role, scopes, cidrs string) (TokenRestrictions, error) {
	r := TokenRestrictions{Role: OrgRole(role), Scopes: strings.Fields(scopes)}
	if len(r.Scopes) == 0 {
		r.Scopes = nil
	}
	if r.Role != "" && !r.Role.Valid() {
		return r, fmt.Errorf("stored token role %q is not a role", role)
	}
	for _, c := range strings.Fields(cidrs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return r, fmt.Errorf("stored token range %q: %w", c, err)
		}
		r.AllowedCIDRs = append(r.AllowedCIDRs, p)
	}
	return r, nil
}
