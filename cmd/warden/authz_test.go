package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const cliRules = `rules:
  - host: api.example.com
    path: /orders/admin/
    role: Admin
  - host: api.example.com
    path: /orders/
    methods: [GET, HEAD]
    role: Viewer
  - path: /ci/
    role: Editor
    org: 1
    service_accounts: [sa-1-ci]
`

func writeRules(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// wantAuthzCheck runs `warden args…` and checks its exit code and that its output — stdout, or
// the error for a usage error (code 2) — holds each of out.
func wantAuthzCheck(t *testing.T, args []string, code int, out []string) {
	t.Helper()
	r := runCLI(t, nil, "", args...)
	text := r.Stdout
	if code == 0 {
		cliWantOK(t, r)
	} else {
		cliWantExit(t, r, code)
		if code == 2 {
			text = r.Err.Error()
		}
	}
	for _, want := range out {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestAuthz_CheckCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	writeRules(t, rules, cliRules)
	bad := filepath.Join(dir, "bad.yaml")
	writeRules(t, bad, "rules: [{path: orders, role: Viewer}]\n")

	tests := []struct {
		name string
		args []string
		code int      // 0: allowed
		out  []string // in stdout (or, for exit code 2, in the error)
	}{
		{"allowed", []string{"--method", "GET", "--path", "/orders/1?x=1", "--host", "API.example.com:443", "--role", "Viewer"}, 0,
			[]string{`rule 0 (line 2: host: api.example.com, path: /orders/admin/, role: Admin): no match: path "/orders/1" is not under "/orders/admin/"`,
				"rule 1 (line 5: host: api.example.com, path: /orders/, methods: [GET, HEAD], role: Viewer): matches; ALLOW",
				"ALLOW (200) by rule 1"}},
		{"denied by the first match", []string{"--path", "/orders/admin/x", "--host", "api.example.com", "--role", "Editor"}, 1,
			[]string{"rule 0", "matches; DENY: role Editor is below Admin", "DENY (403) by rule 0"}},
		{"no host given", []string{"--path", "/orders/1", "--role", "Admin"}, 1,
			[]string{`host "" is not "api.example.com"`, "no rule matches: DENY", "DENY (403): no rule matches"}},
		{"method not listed", []string{"--method", "POST", "--path", "/orders/1", "--host", "api.example.com"}, 1,
			[]string{"method POST is not one of [GET, HEAD]"}},
		{"login listed", []string{"--path", "/ci/run", "--role", "Editor", "--login", "sa-1-ci"}, 0, []string{"ALLOW (200) by rule 2"}},
		{"login not listed", []string{"--path", "/ci/run", "--role", "Admin", "--login", "sa-1-other"}, 1,
			[]string{`login "sa-1-other" is not one of [sa-1-ci]`}},
		{"other org", []string{"--path", "/ci/run", "--role", "Editor", "--login", "sa-1-ci", "--org", "2"}, 1, []string{"org 2 is not 1"}},
		{"bad path", []string{"--path", "/orders/../admin", "--host", "api.example.com"}, 1, []string{"DENY (403): the path not allowed"}},
		{"invalid file", []string{"--rules", bad, "--path", "/"}, 2, []string{"invalid rules file", "relative"}},
		{"missing file", []string{"--rules", filepath.Join(dir, "none.yaml"), "--path", "/"}, 2, []string{"invalid rules file"}},
		{"no path", []string{}, 2, []string{"--path is required"}},
		{"unknown role", []string{"--path", "/", "--role", "Owner"}, 2, []string{"unknown role"}},
		{"stray argument", []string{"--path", "/", "extra"}, 2, []string{"no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"authz", "check"}
			if !strings.Contains(strings.Join(tt.args, " "), "--rules") {
				args = append(args, "--rules", rules)
			}
			wantAuthzCheck(t, append(args, tt.args...), tt.code, tt.out)
		})
	}
	r := runCLI(t, nil, "", "authz")
	cliWantExit(t, r, 2)
	r = runCLI(t, nil, "", "authz", "check", "--rules")
	cliWantExit(t, r, 2)
}

// cliScopeRules has a scoped rule before an unscoped one for the same path.
const cliScopeRules = `rules:
  - path: /orders/
    methods: [POST]
    role: Viewer
    scopes: [orders:write, orders:audit]
  - path: /orders/
    role: Viewer
`

func TestAuthz_CheckCommandScopes(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, rules, cliScopeRules)

	tests := []struct {
		name string
		args []string
		code int      // 0: allowed
		out  []string // in stdout (or, for exit code 2, in the error)
	}{
		{"allowed with the scopes", []string{"--method", "POST", "--scopes", "orders:write orders:audit"}, 0,
			[]string{`token: role Viewer, org 1, login "", scopes [orders:write, orders:audit]`,
				"rule 0 (line 2: path: /orders/, methods: [POST], role: Viewer, scopes: [orders:write, orders:audit]): matches; ALLOW",
				"ALLOW (200) by rule 0"}},
		{"commas", []string{"--method", "POST", "--scopes", "orders:audit,orders:write"}, 0,
			[]string{"scopes [orders:audit, orders:write]", "ALLOW (200) by rule 0"}},
		{"commas and spaces, a superset", []string{"--method", "POST", "--scopes", " orders:read, orders:audit ,, orders:write,"}, 0,
			[]string{"scopes [orders:read, orders:audit, orders:write]", "ALLOW (200) by rule 0"}},
		{"listed twice counts once", []string{"--method", "POST", "--scopes=orders:write orders:write,orders:audit"}, 0,
			[]string{"scopes [orders:write, orders:audit]", "ALLOW (200) by rule 0"}},
		{"one missing", []string{"--method", "POST", "--scopes", "orders:write,orders:read"}, 1,
			[]string{"matches; DENY: scopes [orders:audit] missing (token has [orders:write, orders:read])", "DENY (403) by rule 0"}},
		{"denied without scopes", []string{"--method", "POST"}, 1,
			[]string{`token: role Viewer, org 1, login "", no scopes`, "matches; DENY: scopes [orders:write, orders:audit] missing (token has no scopes)", "DENY (403) by rule 0"}},
		{"empty scopes", []string{"--method", "POST", "--scopes", " , "}, 1,
			[]string{"(token has no scopes)", "DENY (403) by rule 0"}},
		{"scopes and a low role", []string{"--method", "POST", "--role", "None", "--scopes", "orders:write"}, 1,
			[]string{"DENY: role None is below Viewer; scopes [orders:audit] missing (token has [orders:write])"}},
		{"unscoped rule", []string{"--method", "GET"}, 0, []string{"ALLOW (200) by rule 1"}},
		{"bad scope", []string{"--method", "POST", "--scopes", "orders:write Orders:Audit"}, 2,
			[]string{"authz check: --scopes:", `"Orders:Audit" is not a scope`}},
		{"scope starting with a colon", []string{"--scopes", ":orders"}, 2, []string{`":orders" is not a scope`}},
		{"scope with a semicolon", []string{"--scopes", "orders:write;orders:audit"}, 2, []string{`"orders:write;orders:audit" is not a scope`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"authz", "check", "--rules", rules, "--path", "/orders/1"}, tt.args...)
			wantAuthzCheck(t, args, tt.code, tt.out)
		})
	}

	// The help lists the flag, and the synopsis too.
	for _, args := range [][]string{{"help", "authz", "check"}, {"authz", "check", "-h"}} {
		r := runCLI(t, nil, "", args...)
		cliWantOK(t, r)
		if !strings.Contains(r.Stdout, "-scopes SCOPES") || !strings.Contains(r.Stdout, `[--scopes "SCOPE …"]`) {
			t.Errorf("%q: help lacks --scopes:\n%s", args, r.Stdout)
		}
	}
	if r := runCLI(t, nil, "", "help"); !strings.Contains(r.Stdout, "[--login L] [--scopes S]") {
		t.Errorf("usage lacks --scopes:\n%s", r.Stdout)
	}
}

// forwardAs asks the server about an nginx-shape request.
func forwardAs(t *testing.T, ts *testServer, token, method, uri string) *response {
	t.Helper()
	return forward(t, ts.bearer(token).with("X-Forwarded-Host", "api.example.com"), method, uri)
}

// metricValue returns the value of an unlabelled metric from /metrics.
func metricValue(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	r := ts.anon().expect(t, http.StatusOK, "GET", "/metrics", nil)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return ""
}

// TestAuthz_ServerReloadsRules runs a server on a rules file (named by WARDEN_AUTHZ_RULES_FILE)
// and edits the file: a valid edit applies within the 2 s bound, an invalid one keeps the last
// good rules and is counted.
func TestAuthz_ServerReloadsRules(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, rules, cliRules)
	ts := startServer(t, map[string]string{"WARDEN_AUTHZ_RULES_FILE": rules})
	_, _, tok := taSA(t, ts, "reader", "Viewer")

	r := forwardAs(t, ts, tok, "GET", "/orders/1")
	if r.Status != http.StatusOK || r.Header.Get("X-Warden-Login") != "sa-1-reader" || r.Header.Get("X-Warden-Role") != "Viewer" {
		t.Fatalf("forward = %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := forwardAs(t, ts, tok, "GET", "/elsewhere"); r.Status != http.StatusForbidden {
		t.Fatalf("forward to an unlisted path = %d %s", r.Status, r.Body)
	}
	if r := ts.anon().with("X-Original-Method", "GET").with("X-Original-URI", "/orders/1").do(t, "GET", "/api/authz/forward", nil); r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("no token = %d %v", r.Status, r.Header)
	}

	// A valid edit (atomic rename) applies.
	tmp := rules + ".tmp"
	writeRules(t, tmp, cliRules+"  - path: /elsewhere\n    role: Viewer\n")
	if err := os.Rename(tmp, rules); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for forwardAs(t, ts, tok, "GET", "/elsewhere").Status != http.StatusOK {
		if time.Since(start) > 10*time.Second { // 5× the 2 s bound
			t.Fatalf("edit not applied after 10 s\n%s", ts.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("edit applied after %v (bound: 2 s)", time.Since(start))
	if got := metricValue(t, ts, "warden_authz_rules_loaded"); got != "4" {
		t.Fatalf("warden_authz_rules_loaded = %s, want 4", got)
	}

	// An invalid edit keeps the last good rules and is counted.
	writeRules(t, rules, "rules: [{path: /, role: Viewer, extra: 1}]\n")
	start = time.Now()
	for metricValue(t, ts, "warden_authz_rules_reload_failures_total") != "1" {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("invalid edit not noticed after 10 s\n%s", ts.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("invalid edit noticed after %v", time.Since(start))
	if r := forwardAs(t, ts, tok, "GET", "/elsewhere"); r.Status != http.StatusOK {
		t.Fatalf("after an invalid edit: %d, want the last good rules (200)", r.Status)
	}
	if r := forwardAs(t, ts, tok, "GET", "/anything"); r.Status != http.StatusForbidden {
		t.Fatalf("the invalid file's rule applies: %d", r.Status)
	}
	waitLog(t, ts.Logs, `unknown key \"extra\"`)
	if strings.Contains(ts.Logs(), tok) {
		t.Fatal("the token reached the log")
	}
}

// waitLog waits up to 10 s for text in logs (the server flushes its log once a second).
func waitLog(t *testing.T, logs func() string, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q after 10 s:\n%s", text, logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthz_StartWithoutRules(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, _, tok := taSA(t, ts, "admin-bot", "Admin")
	if r := forwardAs(t, ts, tok, "GET", "/"); r.Status != http.StatusForbidden {
		t.Fatalf("forward without rules = %d %s", r.Status, r.Body)
	}
	waitLog(t, ts.Logs, "no [authz] rules_file")
}

func TestAuthz_StartWithInvalidRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeRules(t, bad, "rules: [{path: /, role: Owner}]\n")
	for name, file := range map[string]string{"invalid": bad, "missing": filepath.Join(dir, "missing.yaml")} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"WARDEN_AUTHZ_RULES_FILE": file, "WARDEN_PATHS_DATA": filepath.Join(t.TempDir(), "data"),
				"WARDEN_SERVER_HTTP_PORT": "0", "WARDEN_SERVER_HTTP_ADDR": "127.0.0.1"}
			r := runCLI(t, env, "", "server")
			cliWantExit(t, r, 2)
			if msg := r.Err.Error(); !strings.Contains(msg, "[authz] rules_file") || !strings.Contains(msg, file) {
				t.Fatalf("error = %q", msg)
			}
		})
	}
}

func TestAuthz_Config(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("", func(k string) string {
		return map[string]string{"WARDEN_AUTHZ_RULES_FILE": "/etc/warden/rules.yaml", "WARDEN_AUTHZ_FORWARD_HEADERS": "Traefik"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authz.RulesFile != "/etc/warden/rules.yaml" || cfg.Authz.ForwardHeaders != "traefik" {
		t.Fatalf("authz = %+v", cfg.Authz)
	}
	cfg, err = LoadConfig("", nil)
	if err != nil || cfg.Authz.RulesFile != "" || cfg.Authz.ForwardHeaders != "auto" {
		t.Fatalf("defaults = %+v, %v", cfg.Authz, err)
	}
	_, err = LoadConfig("", func(k string) string {
		return map[string]string{"WARDEN_AUTHZ_FORWARD_HEADERS": "haproxy"}[k]
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Key != "forward_headers" || !strings.Contains(err.Error(), "auto, nginx, traefik, envoy") {
		t.Fatalf("err = %v", err)
	}
}
