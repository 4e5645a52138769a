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
