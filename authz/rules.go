// Package authz holds the request-authorization rules of Warden's forward-auth endpoint: the
// rules file and its strict parser, how a request is matched against the rules, the path
// normalisation every request goes through first, and a holder that reloads the file.
//
// A rule is selected by the request: its host, path, methods and org (when given) must all
// match. The first selected rule decides: it allows the request when the token's role is at
// least the rule's role, if the rule names service accounts, the token's login is one of them,
// and, if the rule lists scopes, the token holds every one of them; otherwise it denies. A
// request no rule selects is denied. See docs/authz.md.
package authz

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// Rule is one entry of the rules file. Rules are immutable once parsed.
type Rule struct {
	// Host is the lower-cased host name (IPv6 without brackets); "" matches any host.
	Host string
	// Path is the path prefix, matched on whole segments.
	Path string
	// Methods are the upper-case methods matched; nil matches any method.
	Methods []string
	// Role is the minimum org role the token must have.
	Role warden.OrgRole
	// Org is the org id whose tokens the rule selects; 0 selects tokens of every org.
	Org int64
	// ServiceAccounts, when not nil, are the only logins the rule allows.
	ServiceAccounts []string
	// Scopes, when not nil, are the scopes a token must all hold (more do no harm).
	Scopes []string
	// Line is the line of the rule in its file, for messages.
	Line int
}

// String describes the rule in the file's own terms, for the CLI and logs.
func (r *Rule) String() string {
	var b strings.Builder
	if r.Host != "" {
		b.WriteString("host: " + r.Host + ", ")
	}
	b.WriteString("path: " + r.Path)
	if r.Methods != nil {
		b.WriteString(", methods: [" + strings.Join(r.Methods, ", ") + "]")
	}
	b.WriteString(", role: " + string(r.Role))
	if r.Org != 0 {
		b.WriteString(", org: " + strconv.FormatInt(r.Org, 10))
	}
	if r.ServiceAccounts != nil {
		b.WriteString(", service_accounts: [" + strings.Join(r.ServiceAccounts, ", ") + "]")
	}
	if r.Scopes != nil {
		b.WriteString(", scopes: [" + strings.Join(r.Scopes, ", ") + "]")
	}
	return b.String()
}

// Rules is one parsed rules file. The zero value (and nil) holds no rule and denies everything.
type Rules struct {
	list []Rule
	// Source names where the rules came from (the file path), for logs.
	Source string
	// Hash is the SHA-256 of the file's content.
	Hash [sha256.Size]byte
}

// Len returns the number of rules.
func (rs *Rules) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.list)
}

// Rule returns rule i (0-based).
func (rs *Rules) Rule(i int) *Rule { return &rs.list[i] }

// Request is what a decision is made on: the original request, normalised, and the token's
// identity.
type Request struct {
	Method string
	// Host is the original host, in any case, with or without a port.
	Host string
	// Path is the original path after CleanPath.
	Path string
	// OrgID, Role and Login describe the token's service account.
	OrgID int64
	Role  warden.OrgRole
	Login string
	// Scopes are the token's scopes (read-only: a cached token's own slice).
	Scopes []string
}

// Match returns the first rule that selects req (host, path, methods and org), or ok false
// when none does.
func (rs *Rules) Match(req *Request) (index int, rule *Rule, ok bool) {
	if rs == nil {
		return -1, nil, false
	}
	for i := range rs.list {
		if rs.list[i].selects(req) {
			return i, &rs.list[i], true
		}
	}
	return -1, nil, false
}

// Decide returns whether req is allowed, and the index of the deciding rule (-1 when no rule
// selects the request). It does not allocate.
func (rs *Rules) Decide(req *Request) (index int, allowed bool) {
	i, r, ok := rs.Match(req)
	if !ok {
		return -1, false
	}
	return i, r.allows(req)
}

// selects reports whether the request part of the rule (host, path, methods, org) matches.
func (r *Rule) selects(req *Request) bool {
	return r.hostMatches(req.Host) && pathMatches(r.Path, req.Path) && r.methodMatches(req.Method) &&
		(r.Org == 0 || r.Org == req.OrgID)
}

// allows reports whether the token meets the rule's requirements (role, service accounts,
// scopes).
func (r *Rule) allows(req *Request) bool {
	return req.Role.Includes(r.Role) && r.accountAllowed(req.Login) && r.scopesHeld(req.Scopes)
}

func (r *Rule) hostMatches(host string) bool {
	return r.Host == "" || strings.EqualFold(r.Host, HostOnly(host))
}

func (r *Rule) methodMatches(m string) bool {
	if r.Methods == nil {
		return true
	}
	for _, x := range r.Methods {
		if x == m { // methods are case-sensitive (RFC 9110 §9.1)
			return true
		}
	}
	return false
}

func (r *Rule) accountAllowed(login string) bool {
	if r.ServiceAccounts == nil {
		return true
	}
	for _, l := range r.ServiceAccounts {
		if strings.EqualFold(l, login) {
			return true
		}
	}
	return false
}

// scopesHeld reports whether the token's scopes include every scope of the rule. It does not
// allocate: both lists are short, a linear scan is enough.
func (r *Rule) scopesHeld(have []string) bool {
	for _, w := range r.Scopes {
		if !hasScope(have, w) {
			return false
		}
	}
	return true
}

// missingScopes returns the rule's scopes the token lacks, in the rule's order.
func (r *Rule) missingScopes(have []string) []string {
	var missing []string
	for _, w := range r.Scopes {
		if !hasScope(have, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

// hasScope reports whether scope is one of have; scopes are compared exactly.
func hasScope(have []string, scope string) bool {
	for _, s := range have {
		if s == scope {
			return true
		}
	}
	return false
}

// pathMatches reports whether path lies under prefix, on whole segments: "/orders/" and
// "/orders" both match "/orders/1", neither matches "/orders-admin"; "/orders" also matches
// "/orders" itself.
func pathMatches(prefix, path string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || prefix[len(prefix)-1] == '/' || path[len(prefix)] == '/'
}

// HostOnly returns host without its port, without the brackets of an IPv6 literal and without
// one trailing dot: "admin.example.com." (the fully qualified form, which DNS and most
// servers treat as "admin.example.com") is the same host.
func HostOnly(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			return host[1:i]
		}
		return host
	}
	if i := strings.IndexByte(host, ':'); i >= 0 && strings.IndexByte(host[i+1:], ':') < 0 {
		host = host[:i] // one colon: host:port; more is a bare IPv6 address
	}
	return strings.TrimSuffix(host, ".")
}

// Explanation says, rule by rule, how a request was decided.
type Explanation struct {
	// Index is the deciding rule, -1 when none selected the request.
	Index   int
	Allowed bool
	// Steps has one line per rule examined, in order.
	Steps []string
}

// Explain decides req like Decide and says why, for people writing rules.
func (rs *Rules) Explain(req *Request) Explanation {
	ex := Explanation{Index: -1}
	for i := 0; i < rs.Len(); i++ {
		r := &rs.list[i]
		var why []string
		if !r.hostMatches(req.Host) {
			why = append(why, fmt.Sprintf("host %q is not %q", HostOnly(req.Host), r.Host))
		}
		if !pathMatches(r.Path, req.Path) {
			why = append(why, fmt.Sprintf("path %q is not under %q", req.Path, r.Path))
		}
		if !r.methodMatches(req.Method) {
			why = append(why, fmt.Sprintf("method %s is not one of [%s]", req.Method, strings.Join(r.Methods, ", ")))
		}
		if r.Org != 0 && r.Org != req.OrgID {
			why = append(why, fmt.Sprintf("org %d is not %d", req.OrgID, r.Org))
		}
		head := fmt.Sprintf("rule %d (line %d: %s)", i, r.Line, r)
		if len(why) > 0 {
			ex.Steps = append(ex.Steps, head+": no match: "+strings.Join(why, "; "))
			continue
		}
		ex.Index = i
		var denied []string
		if !req.Role.Includes(r.Role) {
			denied = append(denied, fmt.Sprintf("role %s is below %s", displayRole(req.Role), r.Role))
		}
		if !r.accountAllowed(req.Login) {
			denied = append(denied, fmt.Sprintf("login %q is not one of [%s]", req.Login, strings.Join(r.ServiceAccounts, ", ")))
		}
		if missing := r.missingScopes(req.Scopes); len(missing) > 0 {
			denied = append(denied, fmt.Sprintf("scopes [%s] missing (token has %s)", strings.Join(missing, ", "), DisplayScopes(req.Scopes)))
		}
		if len(denied) > 0 {
			ex.Steps = append(ex.Steps, head+": matches; DENY: "+strings.Join(denied, "; "))
			return ex
		}
		ex.Allowed = true
		ex.Steps = append(ex.Steps, head+": matches; ALLOW")
		return ex
	}
	ex.Steps = append(ex.Steps, "no rule matches: DENY")
	return ex
}

// DisplayScopes writes a token's scopes for people: "[orders:read, orders:write]", or "no
// scopes".
func DisplayScopes(scopes []string) string {
	if len(scopes) == 0 {
		return "no scopes"
	}
	return "[" + strings.Join(scopes, ", ") + "]"
}

func displayRole(r warden.OrgRole) string {
	if r == "" {
		return "(none)"
	}
	return string(r)
}
