package authz

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func mustParse(t testing.TB, src string) *Rules {
	t.Helper()
	rs, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestPathMatches(t *testing.T) {
	tests := []struct {
		prefix, path string
		want         bool
	}{
		{"/orders/", "/orders/1", true},
		{"/orders/", "/orders/", true},
		{"/orders/", "/orders", false},
		{"/orders/", "/orders-admin", false},
		{"/orders/", "/orders-admin/1", false},
		{"/orders", "/orders", true},
		{"/orders", "/orders/", true},
		{"/orders", "/orders/1/items", true},
		{"/orders", "/orders-admin", false},
		{"/orders", "/ordersX", false},
		{"/orders", "/order", false},
		{"/", "/", true},
		{"/", "/anything/at/all", true},
		{"/a/b", "/a/b/c", true},
		{"/a/b", "/a/bc", false},
		{"/a/b", "/A/b", false}, // paths are case-sensitive
	}
	for _, tt := range tests {
		if got := pathMatches(tt.prefix, tt.path); got != tt.want {
			t.Errorf("pathMatches(%q, %q) = %v, want %v", tt.prefix, tt.path, got, tt.want)
		}
	}
}

// matchRules is the table's rules file: a specific rule first, broader ones later.
const matchRules = `rules:
  - host: api.example.com
    path: /orders/admin/
    role: Admin
  - host: api.example.com
    path: /orders/
    methods: [GET, HEAD]
    role: Viewer
  - host: api.example.com
    path: /orders/
    methods: [POST]
    role: Editor
    service_accounts: [sa-1-ci]
  - path: /tenant/
    org: 2
    role: Viewer
  - path: /tenant/
    org: 3
    role: Editor
  - path: /public
    role: None
`

func TestDecide(t *testing.T) {
	rs := mustParse(t, matchRules)
	viewer := func(method, host, path string) Request {
		return Request{Method: method, Host: host, Path: path, OrgID: 1, Role: warden.RoleViewer, Login: "sa-1-bot"}
	}
	with := func(r Request, f func(*Request)) Request { f(&r); return r }
	tests := []struct {
		name    string
		req     Request
		index   int
		allowed bool
	}{
		{"viewer reads orders", viewer("GET", "api.example.com", "/orders/1"), 1, true},
		{"HEAD listed", viewer("HEAD", "api.example.com", "/orders/1"), 1, true},
		{"host case-insensitive", viewer("GET", "API.Example.COM", "/orders/1"), 1, true},
		{"host port ignored", viewer("GET", "api.example.com:8443", "/orders/1"), 1, true},
		{"host case and port", viewer("GET", "Api.Example.Com:443", "/orders/1"), 1, true},
		{"host with the root's trailing dot", viewer("GET", "api.example.com.", "/orders/1"), 1, true},
		{"trailing dot and port", viewer("GET", "API.example.com.:443", "/orders/admin/x"), 0, false},
		{"two trailing dots", viewer("GET", "api.example.com..", "/orders/1"), -1, false},
		{"other host", viewer("GET", "evil.example.com", "/orders/1"), -1, false},
		{"host suffix is not the host", viewer("GET", "api.example.com.evil", "/orders/1"), -1, false},
		{"whole segments only", viewer("GET", "api.example.com", "/orders-admin"), -1, false},
		{"prefix without its slash", viewer("GET", "api.example.com", "/orders"), -1, false},
		{"method not listed", viewer("DELETE", "api.example.com", "/orders/1"), -1, false},
		{"methods case-sensitive", viewer("get", "api.example.com", "/orders/1"), -1, false},
		// First match wins: the Admin rule for /orders/admin/ decides, though rule 1 would
		// allow a Viewer's GET.
		{"first match wins: denied", viewer("GET", "api.example.com", "/orders/admin/x"), 0, false},
		{"first match wins: admin allowed",
			with(viewer("GET", "api.example.com", "/orders/admin/x"), func(r *Request) { r.Role = warden.RoleAdmin }), 0, true},
		{"role below the rule's", viewer("POST", "api.example.com", "/orders/1"), 2, false},
		{"service account not listed",
			with(viewer("POST", "api.example.com", "/orders/1"), func(r *Request) { r.Role = warden.RoleEditor }), 2, false},
		{"service account listed",
			with(viewer("POST", "api.example.com", "/orders/1"), func(r *Request) { r.Role = warden.RoleEditor; r.Login = "sa-1-ci" }), 2, true},
		{"service account listed, case-insensitive",
			with(viewer("POST", "api.example.com", "/orders/1"), func(r *Request) { r.Role = warden.RoleAdmin; r.Login = "SA-1-CI" }), 2, true},
		{"admin includes editor",
			with(viewer("POST", "api.example.com", "/orders/1"), func(r *Request) { r.Role = warden.RoleAdmin; r.Login = "sa-1-ci" }), 2, true},
		{"org rule: other org not selected", viewer("GET", "x", "/tenant/1"), -1, false},
		{"org rule: org 2", with(viewer("GET", "x", "/tenant/1"), func(r *Request) { r.OrgID = 2 }), 3, true},
		{"org rule: org 3 needs Editor", with(viewer("GET", "x", "/tenant/1"), func(r *Request) { r.OrgID = 3 }), 4, false},
		{"org rule: org 3 editor",
			with(viewer("GET", "x", "/tenant/1"), func(r *Request) { r.OrgID = 3; r.Role = warden.RoleEditor }), 4, true},
		{"rule without org: every org", with(viewer("PUT", "any", "/public"), func(r *Request) { r.OrgID = 42 }), 5, true},
		{"role None allowed by None", with(viewer("GET", "any", "/public/x"), func(r *Request) { r.Role = warden.RoleNone }), 5, true},
		{"no role at all", with(viewer("GET", "any", "/public/x"), func(r *Request) { r.Role = "" }), 5, false},
		{"no rule", viewer("GET", "api.example.com", "/nothing"), -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			index, allowed := rs.Decide(&tt.req)
			if index != tt.index || allowed != tt.allowed {
				t.Fatalf("Decide(%+v) = %d, %v; want %d, %v", tt.req, index, allowed, tt.index, tt.allowed)
			}
			ex := rs.Explain(&tt.req)
			if ex.Index != tt.index || ex.Allowed != tt.allowed {
				t.Fatalf("Explain disagrees with Decide: %+v", ex)
			}
			mi, mr, ok := rs.Match(&tt.req)
			if ok != (tt.index >= 0) || mi != tt.index || (ok && mr != rs.Rule(mi)) {
				t.Fatalf("Match = %d, %v, %v", mi, mr, ok)
			}
		})
	}
}

func TestDecide_NoRules(t *testing.T) {
	req := &Request{Method: "GET", Path: "/", Role: warden.RoleAdmin}
	for name, rs := range map[string]*Rules{"nil": nil, "empty": mustParse(t, "rules: []")} {
		if i, ok := rs.Decide(req); i != -1 || ok {
			t.Errorf("%s: Decide = %d, %v; want -1, false", name, i, ok)
		}
	}
	var h *Holder
	if h.Rules().Len() != 0 || h.Failures() != 0 {
		t.Fatal("a nil holder must hold nothing")
	}
}

func TestDecide_NoAllocations(t *testing.T) {
	rs := mustParse(t, matchRules)
	req := Request{Method: "GET", Host: "API.example.com:443", Path: "/orders/1", OrgID: 1, Role: warden.RoleViewer, Login: "x"}
	n := testing.AllocsPerRun(100, func() {
		if _, ok := rs.Decide(&req); !ok {
			t.Fatal("denied")
		}
	})
	if n != 0 {
		t.Fatalf("Decide allocates %v times, want 0", n)
	}
}

// scopeRules has a scoped rule before an unscoped one for the same path: a token without the
// scopes is denied by the first, not let through by the second.
const scopeRules = `rules:
  - path: /orders/
    methods: [POST]
    role: Viewer
    scopes: [orders:write, orders:audit]
  - path: /orders/
    role: Viewer
`

func TestDecide_Scopes(t *testing.T) {
	rs := mustParse(t, scopeRules)
	tests := []struct {
		name    string
		method  string
		role    warden.OrgRole
		scopes  []string
		index   int
		allowed bool
	}{
		{"all scopes", "POST", warden.RoleViewer, []string{"orders:write", "orders:audit"}, 0, true},
		{"all scopes, other order", "POST", warden.RoleViewer, []string{"orders:audit", "orders:write"}, 0, true},
		{"a superset", "POST", warden.RoleViewer, []string{"a", "orders:audit", "b", "orders:write", "c"}, 0, true},
		{"one missing", "POST", warden.RoleViewer, []string{"orders:write"}, 0, false},
		{"other one missing", "POST", warden.RoleViewer, []string{"orders:audit", "orders:read"}, 0, false},
		{"no scopes", "POST", warden.RoleViewer, nil, 0, false},
		{"empty scopes", "POST", warden.RoleViewer, []string{}, 0, false},
		{"prefix is not the scope", "POST", warden.RoleViewer, []string{"orders:writer", "orders:audit"}, 0, false},
		{"scopes are compared exactly", "POST", warden.RoleViewer, []string{"ORDERS:WRITE", "orders:audit"}, 0, false},
		{"scopes do not replace the role", "POST", warden.RoleNone, []string{"orders:write", "orders:audit"}, 0, false},
		{"unscoped rule needs no scopes", "GET", warden.RoleViewer, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Method: tt.method, Path: "/orders/1", OrgID: 1, Role: tt.role, Login: "sa-1-bot", Scopes: tt.scopes}
			index, allowed := rs.Decide(&req)
			if index != tt.index || allowed != tt.allowed {
				t.Fatalf("Decide(%+v) = %d, %v; want %d, %v", req, index, allowed, tt.index, tt.allowed)
			}
			if ex := rs.Explain(&req); ex.Index != tt.index || ex.Allowed != tt.allowed {
				t.Fatalf("Explain disagrees with Decide: %+v", ex)
			}
		})
	}
}

func TestExplain_Scopes(t *testing.T) {
	rs := mustParse(t, scopeRules)
	tests := []struct {
		scopes []string
		want   string
	}{
		{[]string{"orders:read"}, "rule 0 (line 2: path: /orders/, methods: [POST], role: Viewer, scopes: [orders:write, orders:audit]): " +
			"matches; DENY: scopes [orders:write, orders:audit] missing (token has [orders:read])"},
		{[]string{"orders:audit", "orders:read"}, "matches; DENY: scopes [orders:write] missing (token has [orders:audit, orders:read])"},
		{nil, "matches; DENY: scopes [orders:write, orders:audit] missing (token has no scopes)"},
		{[]string{"orders:write", "orders:audit"}, "matches; ALLOW"},
	}
	for _, tt := range tests {
		req := &Request{Method: "POST", Path: "/orders/1", OrgID: 1, Role: warden.RoleViewer, Scopes: tt.scopes}
		ex := rs.Explain(req)
		if len(ex.Steps) != 1 || !strings.Contains(ex.Steps[0], tt.want) {
			t.Errorf("scopes %q: steps = %q, want one containing %q", tt.scopes, ex.Steps, tt.want)
		}
	}
	// Every failed requirement is named, the role and the scopes alike.
	req := &Request{Method: "POST", Path: "/orders/1", OrgID: 1, Role: warden.RoleNone, Scopes: []string{"orders:write"}}
	ex := rs.Explain(req)
	if want := "DENY: role None is below Viewer; scopes [orders:audit] missing (token has [orders:write])"; len(ex.Steps) != 1 || !strings.Contains(ex.Steps[0], want) {
		t.Fatalf("steps = %q, want %q", ex.Steps, want)
	}
}

func TestDecide_ScopesNoAllocations(t *testing.T) {
	rs := mustParse(t, scopeRules)
	allowed := Request{Method: "POST", Path: "/orders/1", OrgID: 1, Role: warden.RoleViewer,
		Scopes: []string{"orders:read", "orders:audit", "orders:write"}}
	denied := allowed
	denied.Scopes = []string{"orders:read", "orders:write"}
	n := testing.AllocsPerRun(100, func() {
		if i, ok := rs.Decide(&allowed); i != 0 || !ok {
			t.Fatal("denied")
		}
		if i, ok := rs.Decide(&denied); i != 0 || ok {
			t.Fatal("allowed")
		}
	})
	if n != 0 {
		t.Fatalf("Decide with a scoped rule allocates %v times, want 0", n)
	}
}

func TestExplain(t *testing.T) {
	rs := mustParse(t, matchRules)
	req := &Request{Method: "GET", Host: "api.example.com", Path: "/orders/admin/x", OrgID: 1, Role: warden.RoleViewer}
	ex := rs.Explain(req)
	if len(ex.Steps) != 1 || !strings.Contains(ex.Steps[0], "rule 0") || !strings.Contains(ex.Steps[0], "DENY: role Viewer is below Admin") {
		t.Fatalf("steps = %q", ex.Steps)
	}
	req = &Request{Method: "DELETE", Host: "other.example", Path: "/orders-admin", OrgID: 1, Role: warden.RoleViewer}
	ex = rs.Explain(req)
	if ex.Index != -1 || ex.Allowed || len(ex.Steps) != rs.Len()+1 {
		t.Fatalf("explanation = %+v", ex)
	}
	for _, want := range []string{`host "other.example" is not "api.example.com"`, `path "/orders-admin" is not under "/orders/"`,
		"method DELETE is not one of [GET, HEAD]", "org 1 is not 2", "no rule matches: DENY"} {
		if !strings.Contains(strings.Join(ex.Steps, "\n"), want) {
			t.Errorf("steps lack %q:\n%s", want, strings.Join(ex.Steps, "\n"))
		}
	}
}

// TestHostRule_TrailingDot checks that a host written with a trailing dot in the rules file or
// in the request is the same host, so a host rule is not skipped for an any-host rule.
func TestHostRule_TrailingDot(t *testing.T) {
	for _, rule := range []string{"admin.example.com", "Admin.Example.com."} {
		rs := mustParse(t, "rules: [{host: '"+rule+"', path: /, role: Admin}, {path: /, role: Viewer}]\n")
		if got := rs.Rule(0).Host; got != "admin.example.com" {
			t.Fatalf("host %q parsed as %q", rule, got)
		}
		for _, host := range []string{"admin.example.com", "admin.example.com.", "admin.example.com.:443"} {
			req := Request{Method: "GET", Host: host, Path: "/x", OrgID: 1, Role: warden.RoleViewer}
			if i, allowed := rs.Decide(&req); i != 0 || allowed {
				t.Errorf("rule host %q, request host %q: rule %d, allowed %v; want rule 0, denied", rule, host, i, allowed)
			}
		}
	}
}
