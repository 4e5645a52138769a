package authz

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

const exampleFile = `rules:
  - host: API.example.com        # optional; any host when absent
    path: /orders/               # required; a path prefix
    methods: [GET, HEAD]         # optional; any method when absent
    role: Viewer                 # required minimum org role
    org: 1                       # optional org id
    service_accounts: [sa-1-ci]  # optional; only these logins
  - path: /
    role: Admin
`

func TestParse_Example(t *testing.T) {
	rs, err := Parse([]byte(exampleFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Host: "api.example.com", Path: "/orders/", Methods: []string{"GET", "HEAD"}, Role: warden.RoleViewer, Org: 1,
			ServiceAccounts: []string{"sa-1-ci"}, Line: 2},
		{Path: "/", Role: warden.RoleAdmin, Line: 8},
	}
	if !reflect.DeepEqual(rs.list, want) {
		t.Fatalf("rules = %+v\nwant    %+v", rs.list, want)
	}
	if rs.Len() != 2 || rs.Rule(1).Path != "/" {
		t.Fatalf("Len/Rule: %d %+v", rs.Len(), rs.Rule(1))
	}
}

func TestParse_Valid(t *testing.T) {
	for name, src := range map[string]string{
		"no rules":         "rules: []\n",
		"flow style":       "rules: [{path: /a, role: None}]\n",
		"document marker":  "---\nrules:\n  - {path: /a, role: Editor}\n",
		"ipv6 host":        "rules: [{host: '[::1]', path: /, role: Viewer}]\n",
		"bare ipv6 host":   "rules: [{host: '::1', path: /, role: Viewer}]\n",
		"method with dash": "rules: [{path: /, role: Viewer, methods: [M-SEARCH, PROPFIND]}]\n",
		"alias":            "rules:\n  - &base {path: /a, role: Viewer}\n  - *base\n",
		"scopes":           "rules: [{path: /, role: Viewer, scopes: [orders:write, a, 0.b_c/d-e]}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestParse_Invalid lists what makes a file invalid; each error must name the problem.
func TestParse_Invalid(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty file", "", "empty"},
		{"only a comment", "# nothing\n", "empty"},
		{"not yaml", "rules: [\n", "yaml"},
		{"not a mapping", "- path: /\n", "mapping"},
		{"rules missing", "other: 1\n", `unknown key "other"`},
		{"anchor holder key", "x: &r {path: /a, role: Viewer}\nrules: [*r]\n", `unknown key "x"`},
		{"rules key missing", "{}\n", `"rules" is missing`},
		{"rules null", "rules:\n", "no value"},
		{"rules not a list", "rules: {path: /}\n", "must be a list"},
		{"second document", "rules: []\n---\nrules: []\n", "second YAML document"},
		{"trailing garbage", "rules: []\n...\nfoo: [\n", "yaml"},
		{"duplicate top key", "rules: []\nrules: []\n", `duplicate key "rules"`},
		{"unknown rule key", "rules: [{path: /, role: Viewer, roles: Admin}]\n", `unknown key "roles"`},
		{"merge key", "rules: [{<<: {path: /}, role: Viewer}]\n", "plain names"},
		{"duplicate rule key", "rules:\n  - path: /a\n    path: /b\n    role: Viewer\n", `duplicate key "path"`},
		{"rule not a mapping", "rules: [/a]\n", "must be a mapping"},
		{"missing path", "rules: [{role: Viewer}]\n", "path is required"},
		{"missing role", "rules: [{path: /}]\n", "role is required"},
		{"null path", "rules: [{path: ~, role: Viewer}]\n", "no value"},
		{"null host", "rules:\n  - path: /\n    host:\n    role: Viewer\n", "no value"},
		{"relative path", "rules: [{path: orders/, role: Viewer}]\n", "relative"},
		{"empty path", "rules: [{path: '', role: Viewer}]\n", "relative"},
		{"numeric path", "rules: [{path: 1, role: Viewer}]\n", "must be a string"},
		{"path with dot-dot", "rules: [{path: /a/../b, role: Viewer}]\n", "not allowed"},
		{"path with double slash", "rules: [{path: //a, role: Viewer}]\n", "not allowed"},
		{"path with query", "rules: [{path: '/a?x=1', role: Viewer}]\n", "query"},
		{"path with escape", "rules: [{path: /a%20b, role: Viewer}]\n", "percent"},
		{"path with backslash", `rules: [{path: '/a\b', role: Viewer}]` + "\n", "not allowed"},
		{"unknown role", "rules: [{path: /, role: Owner}]\n", `unknown role "Owner"`},
		{"lower-case role", "rules: [{path: /, role: viewer}]\n", `unknown role "viewer"`},
		{"empty role", "rules: [{path: /, role: ''}]\n", "unknown role"},
		{"role list", "rules: [{path: /, role: [Viewer]}]\n", "must be a string"},
		{"lower-case method", "rules: [{path: /, role: Viewer, methods: [get]}]\n", "case-sensitive; write GET"},
		{"empty method", "rules: [{path: /, role: Viewer, methods: ['']}]\n", "empty method"},
		{"null method", "rules: [{path: /, role: Viewer, methods: [GET, ~]}]\n", "must be strings"},
		{"method with space", "rules: [{path: /, role: Viewer, methods: ['GET POST']}]\n", "not a method"},
		{"empty methods", "rules: [{path: /, role: Viewer, methods: []}]\n", "is empty"},
		{"methods scalar", "rules: [{path: /, role: Viewer, methods: GET}]\n", "must be a list"},
		{"duplicate method", "rules: [{path: /, role: Viewer, methods: [GET, GET]}]\n", "listed twice"},
		{"org zero", "rules: [{path: /, role: Viewer, org: 0}]\n", "positive"},
		{"org negative", "rules: [{path: /, role: Viewer, org: -1}]\n", "positive"},
		{"org string", "rules: [{path: /, role: Viewer, org: '1'}]\n", "org id"},
		{"org float", "rules: [{path: /, role: Viewer, org: 1.5}]\n", "org id"},
		{"host with port", "rules: [{host: 'a.example:443', path: /, role: Viewer}]\n", "port"},
		{"ipv6 host with port", "rules: [{host: '[::1]:443', path: /, role: Viewer}]\n", "port"},
		{"host with scheme", "rules: [{host: 'https://a.example', path: /, role: Viewer}]\n", "not a host name"},
		{"wildcard host", "rules: [{host: '*.example.com', path: /, role: Viewer}]\n", "not a host name"},
		{"empty host", "rules: [{host: '', path: /, role: Viewer}]\n", "empty"},
		{"only a dot", "rules: [{host: '.', path: /, role: Viewer}]\n", "not a host name"},
		{"two trailing dots", "rules: [{host: 'a.example..', path: /, role: Viewer}]\n", "not a host name"},
		{"path with a parameter", "rules: [{path: '/a;b', role: Viewer}]\n", "not allowed"},
		{"path segment ending in a dot", "rules: [{path: /a./b, role: Viewer}]\n", "not allowed"},
		{"path segment ending in a space", "rules: [{path: '/a /b', role: Viewer}]\n", "not allowed"},
		{"empty service_accounts", "rules: [{path: /, role: Viewer, service_accounts: []}]\n", "is empty"},
		{"blank login", "rules: [{path: /, role: Viewer, service_accounts: [' ']}]\n", "not a login"},
		{"empty scopes", "rules: [{path: /, role: Viewer, scopes: []}]\n", "scopes: is empty"},
		{"null scopes", "rules:\n  - path: /\n    role: Viewer\n    scopes:\n", "no value"},
		{"scopes scalar", "rules: [{path: /, role: Viewer, scopes: orders:write}]\n", "scopes: must be a list"},
		{"upper-case scope", "rules: [{path: /, role: Viewer, scopes: [Orders:write]}]\n", `"Orders:write" is not a scope`},
		{"scope with a space", "rules: [{path: /, role: Viewer, scopes: ['orders write']}]\n", `"orders write" is not a scope`},
		{"scope starting with a colon", "rules: [{path: /, role: Viewer, scopes: [':orders']}]\n", `":orders" is not a scope`},
		{"empty scope", "rules: [{path: /, role: Viewer, scopes: ['']}]\n", "is not a scope"},
		{"long scope", "rules: [{path: /, role: Viewer, scopes: [" + strings.Repeat("a", 129) + "]}]\n", "1 to 128 characters"},
		{"duplicate scope", "rules: [{path: /, role: Viewer, scopes: [orders:write, orders:read, orders:write]}]\n", `"orders:write" is listed twice`},
		{"numeric scope", "rules: [{path: /, role: Viewer, scopes: [orders:write, 42]}]\n", "scopes: line 1: entries must be strings"},
		{"null scope", "rules: [{path: /, role: Viewer, scopes: [~]}]\n", "entries must be strings"},
		{"scope mapping", "rules: [{path: /, role: Viewer, scopes: [{a: b}]}]\n", "entries must be strings"},
		{"unknown key lists scopes", "rules: [{path: /, role: Viewer, scope: [a]}]\n", `unknown key "scope" (rules have host, path, methods, role, org, service_accounts and scopes)`},
		{"second rule reported", "rules:\n  - {path: /, role: Viewer}\n  - {path: x, role: Viewer}\n", "rule 1 (line 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse(%q) = %d rules, want an error containing %q", tt.src, rs.Len(), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %q, want it to contain %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestParse_Scopes(t *testing.T) {
	rs := mustParse(t, "rules:\n  - path: /orders/\n    role: Viewer\n    scopes: [orders:write, 'orders:read']\n  - {path: /, role: Admin}\n")
	want := []Rule{
		{Path: "/orders/", Role: warden.RoleViewer, Scopes: []string{"orders:write", "orders:read"}, Line: 2},
		{Path: "/", Role: warden.RoleAdmin, Line: 5},
	}
	if !reflect.DeepEqual(rs.list, want) {
		t.Fatalf("rules = %+v\nwant    %+v", rs.list, want)
	}
	if got := rs.Rule(0).String(); got != "path: /orders/, role: Viewer, scopes: [orders:write, orders:read]" {
		t.Fatalf("String = %q", got)
	}
	if got := rs.Rule(1).String(); strings.Contains(got, "scopes") {
		t.Fatalf("String of a rule without scopes = %q", got)
	}
	// The longest scope allowed.
	long := strings.Repeat("a", warden.MaxTokenScopeLen)
	if rs := mustParse(t, "rules: [{path: /, role: Viewer, scopes: ["+long+"]}]\n"); !reflect.DeepEqual(rs.Rule(0).Scopes, []string{long}) {
		t.Fatalf("scopes = %q", rs.Rule(0).Scopes)
	}
}

func TestParse_TooLarge(t *testing.T) {
	src := "rules: []\n" + strings.Repeat("# padding\n", MaxFileSize/10+1)
	if _, err := Parse([]byte(src)); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(p, []byte(exampleFile), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Source != p || rs.Len() != 2 {
		t.Fatalf("Load = %+v", rs)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if err := os.WriteFile(p, []byte("rules: [{path: x, role: Viewer}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Load of an invalid file: %v, want the file named", err)
	}
}
