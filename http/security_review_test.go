package http

// Findings of the outside security review, through the whole HTTP server: an org Admin deleting
// a server admin's account, escapes that decode again in forward auth, empty Basic credentials
// counted as guesses, and valid tokens told they are invalid past the failed-lookup budget.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/authz"
	"github.com/wardenhq/warden/sqlite"
)

// secEnv is one Warden instance over SQLite, with a stopped clock, forward auth allowing any
// Viewer on any path, and the server admin admin/admin in org 1.
type secEnv struct {
	t       *testing.T
	db      *sqlite.DB
	svc     *warden.Service
	handler http.Handler
	reg     *prometheus.Registry
	now     time.Time
}

func newSecEnv(t *testing.T, configure func(*warden.Config)) *secEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := testConfig()
	if configure != nil {
		configure(&cfg)
	}
	logger, _ := newTestLogger()
	e := &secEnv{t: t, db: db, now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	e.svc = warden.NewService(db, logger, cfg)
	e.svc.Now = func() time.Time { return e.now } // stopped: per-second budgets do not refill
	if _, _, err := e.svc.Bootstrap(ctx, "admin", "admin@localhost", "admin"); err != nil {
		t.Fatal(err)
	}
	rules, err := authz.Parse([]byte("rules:\n  - path: /\n    role: Viewer\n"))
	if err != nil {
		t.Fatal(err)
	}
	holder := &authz.Holder{}
	holder.Set(rules)
	e.reg = prometheus.NewRegistry()
	e.handler = NewServer(Options{Logger: logger, Service: e.svc, Version: "test", BasicAuth: true,
		Registry: e.reg, AuthzRules: holder, FeatureToggles: map[string]bool{"serviceAccounts": true}})
	return e
}

// as returns a context acting as login in org 1.
func (e *secEnv) as(login string) context.Context {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.svc.LookupUser(ctx, login)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := e.svc.UserPrincipal(ctx, u, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	return warden.NewContextWithPrincipal(ctx, p)
}

// user creates a user in org 1 with role (a server admin when admin is set).
func (e *secEnv) user(login string, role warden.OrgRole, admin bool) *warden.User {
	e.t.Helper()
	ctx := e.as("admin")
	u, err := e.svc.CreateUser(ctx, warden.CreateUserInput{Login: login, Email: login + "@example.com",
		Password: login + "-pass", OrgID: 1, IsAdmin: admin})
	if err != nil {
		e.t.Fatal(err)
	}
	if role != "" {
		if err := e.svc.UpdateOrgUser(ctx, 1, u.ID, role); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// token creates a service account of org 1 with role and returns a token of it.
func (e *secEnv) token(svc *warden.Service, name string, role warden.OrgRole) string {
	e.t.Helper()
	ctx := e.as("admin")
	sa, err := svc.CreateServiceAccount(ctx, name, &role, false)
	if err != nil {
		e.t.Fatal(err)
	}
	_, secret, err := svc.IssueToken(ctx, sa.ID, name, 0, warden.TokenRestrictions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return secret.Reveal()
}

// do sends one request from ip with the given Authorization header ("" for none).
func (e *secEnv) do(method, target, ip, authorization string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = ip + ":4321"
	if strings.Contains(ip, ":") {
		r.RemoteAddr = "[" + ip + "]:4321"
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// counter reads a counter of the registry: the sum of the series whose labels include labels.
func (e *secEnv) counter(name string, labels map[string]string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func secBasic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// Finding 1 (Grafana's CVE-2025-3580): an org Admin — a user or an Admin service-account token
// — removing a server admin from the server admin's only org through DELETE /api/org/users/:id
// deleted the whole account. The server admin is now only removed from the org; its account,
// its server-admin flag and its password stay. An ordinary user in the same position is still
// deleted, as Grafana does on that route.
func TestSecurity_OrgAdminCannotDeleteServerAdmin(t *testing.T) {
	t.Parallel()
	for _, caller := range []string{"org Admin user", "Admin service-account token"} {
		t.Run(caller, func(t *testing.T) {
			e := newSecEnv(t, nil)
			root := e.user("root2", "", true) // a second server admin, in org 1 only
			e.user("orgadmin", warden.RoleAdmin, false)
			auth := secBasic("orgadmin", "orgadmin-pass")
			if caller != "org Admin user" {
				auth = "Bearer " + e.token(e.svc, "org-admin-sa", warden.RoleAdmin)
			}
			if orgs, err := e.svc.UserOrgs(context.Background(), root.ID); err != nil || len(orgs) != 1 {
				t.Fatalf("root2's orgs = %v, %v; want org 1 only", orgs, err)
			}

			w := e.do("DELETE", "/api/org/users/"+strconv.FormatInt(root.ID, 10), "192.0.2.10", auth)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"User removed from organization"`) {
				t.Fatalf("DELETE /api/org/users/%d as %s: %d %s; want 200 User removed from organization", root.ID, caller, w.Code, w.Body)
			}
			u, err := e.svc.FindUserByID(context.Background(), root.ID)
			if err != nil {
				t.Fatalf("the server admin's account is gone: %v", err)
			}
			if !u.IsAdmin || u.IsDisabled {
				t.Fatalf("server admin after removal: isAdmin=%v disabled=%v", u.IsAdmin, u.IsDisabled)
			}
			// It still signs in and still administers the server.
			if w := e.do("GET", "/api/users/"+strconv.FormatInt(root.ID, 10), "192.0.2.11", secBasic("root2", "root2-pass")); w.Code != http.StatusOK {
				t.Fatalf("the kept server admin reads its own account: %d %s", w.Code, w.Body)
			}

			// An ordinary user whose only org this is is still deleted on this route.
			plain := e.user("plain", "", false)
			w = e.do("DELETE", "/api/org/users/"+strconv.FormatInt(plain.ID, 10), "192.0.2.10", auth)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"User deleted"`) {
				t.Fatalf("DELETE /api/org/users/%d (an ordinary user): %d %s; want 200 User deleted", plain.ID, w.Code, w.Body)
			}
		})
	}
}

// Finding 5: forward auth refuses escapes that decode again to a character the normalisation
// refuses (;, space, #, …), as it refuses the other normalisation errors: 403, "path not
// allowed: …", before the token is even looked at.
func TestSecurity_ForwardRefusesEscapesThatDecodeAgain(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t, nil)
	tok := "Bearer " + e.token(e.svc, "viewer-sa", warden.RoleViewer)
	if w := e.do("GET", "/api/authz/forward", "192.0.2.20", tok, "X-Original-Method", "GET", "X-Original-URI", "/x/admin/x"); w.Code != http.StatusOK {
		t.Fatalf("a plain path: %d %s, want 200", w.Code, w.Body)
	}
	for _, uri := range []string{"/x/..%253B/admin/x", "/admin%2520/x", "/public%2523/admin", "/a%2509b", "/x/..%25253B/admin"} {
		w := e.do("GET", "/api/authz/forward", "192.0.2.20", tok, "X-Original-Method", "GET", "X-Original-URI", uri)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"path not allowed: `) {
			t.Errorf("X-Original-URI %s: %d %s; want 403 path not allowed", uri, w.Code, w.Body)
		}
	}
}

// Finding 6: Basic credentials with an empty user name or an empty password cannot be a guess:
// they get 401 and are not counted toward the client's per-IP limit, so a flood of them
// neither locks the client out nor fills the login-attempts table.
func TestSecurity_EmptyBasicCredentialsAreNotCounted(t *testing.T) {
	t.Parallel()
	const limit = 3
	e := newSecEnv(t, func(c *warden.Config) { c.PasswordCheckIPLimit = limit })
	const ip = "198.51.100.30"
	for i, h := range []string{"Basic Og==", secBasic("", "guess"), secBasic("admin", ""), secBasic("  ", "x")} {
		for range 3 * limit {
			w := e.do("GET", "/api/org", ip, h)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("empty credentials #%d (%s): %d %s; want 401", i, h, w.Code, w.Body)
			}
		}
	}
	if w := e.do("GET", "/api/org", ip, secBasic("admin", "admin")); w.Code != http.StatusOK {
		t.Fatalf("the right password after the empty ones: %d %s; want 200", w.Code, w.Body)
	}
	// Real guesses are still counted.
	for i := range limit {
		if w := e.do("GET", "/api/org", ip, secBasic("admin", "wrong")); w.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s; want 401", i, w.Code, w.Body)
		}
	}
	if w := e.do("GET", "/api/org", ip, secBasic("nobody", "wrong")); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a guess past the limit: %d %s; want 429", w.Code, w.Body)
	}
}

// Finding 7: past its budget of failed token lookups, a client's token that this instance has
// not cached (new to it, or past the cache's maximum age) cannot be looked up, and so cannot be
// known invalid: it gets 429 with Retry-After — in the API, in Grafana's auth error shape, and
// in forward auth — never a 401 "Invalid API key" that reads as "revoked". Each such answer is
// counted. Other clients, and tokens already known, are unaffected.
func TestSecurity_ValidTokenPastLookupBudgetGets429(t *testing.T) {
	t.Parallel()
	const budget = 5
	e := newSecEnv(t, func(c *warden.Config) { c.Cache.FailedLookupsPerIP = budget })
	// Another instance over the same database issues the token: this one has never seen it.
	logger, _ := newTestLogger()
	other := warden.NewService(e.db, logger, e.svc.Config())
	fresh := "Bearer " + e.token(other, "fresh", warden.RoleViewer)
	fresh2 := "Bearer " + e.token(other, "fresh2", warden.RoleViewer)

	const ip = "203.0.113.40"
	var unknown []string
	for range 2 * budget {
		s, err := warden.NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		unknown = append(unknown, "Bearer "+s.Reveal())
	}
	for _, tok := range unknown {
		if w := e.do("GET", "/api/org", ip, tok); w.Code != http.StatusUnauthorized && w.Code != http.StatusTooManyRequests {
			t.Fatalf("unknown token: %d %s; want 401 or 429", w.Code, w.Body)
		}
	}
	if e.svc.CacheStats().BudgetRefusals == 0 {
		t.Fatal("the flood never reached the budget")
	}
	// An unknown token already looked up is known unknown: still 401.
	if w := e.do("GET", "/api/org", ip, unknown[0]); w.Code != http.StatusUnauthorized {
		t.Errorf("a token known unknown: %d %s; want 401", w.Code, w.Body)
	}

	w := e.do("GET", "/api/org", ip, fresh)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("a valid token new to this instance, past the budget: %d %s; want 429", w.Code, w.Body)
	}
	if w.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	var body struct {
		Message    string  `json:"message"`
		MessageID  string  `json:"messageId"`
		StatusCode int     `json:"statusCode"`
		TraceID    *string `json:"traceID"`
		Extra      *any    `json:"extra"`
	}
	raw := w.Body.Bytes()
	if err := json.Unmarshal(raw, &body); err != nil || body.Message == "" || body.StatusCode != 429 || body.MessageID == "" || body.TraceID == nil {
		t.Errorf("429 body = %s; want Grafana's auth error shape (message, messageId, statusCode 429, traceID, extra)", raw)
	}
	if !strings.Contains(string(raw), `"extra":null`) {
		t.Errorf("429 body = %s; want \"extra\":null as Grafana's auth middleware writes", raw)
	}
	if strings.Contains(body.Message, "Invalid API key") {
		t.Errorf("429 message %q reads as a bad token", body.Message)
	}

	// Forward auth: the same answer, as 429, counted as a decision of its own.
	fw := e.do("GET", "/api/authz/forward", ip, fresh2, "X-Original-Method", "GET", "X-Original-URI", "/x")
	if fw.Code != http.StatusTooManyRequests || fw.Header().Get("Retry-After") == "" {
		t.Fatalf("forward auth, valid token new to this instance, past the budget: %d %s (Retry-After %q); want 429 with Retry-After",
			fw.Code, fw.Body, fw.Header().Get("Retry-After"))
	}
	if got := e.counter("warden_authz_forward_decisions_total", map[string]string{"decision": "limited"}); got != 1 {
		t.Errorf("warden_authz_forward_decisions_total{decision=limited} = %v, want 1", got)
	}
	if got := e.counter("warden_authz_forward_decisions_total", map[string]string{"decision": "unauthenticated"}); got != 0 {
		t.Errorf("warden_authz_forward_decisions_total{decision=unauthenticated} = %v, want 0", got)
	}
	if got := e.counter("warden_token_lookup_budget_refusals_total", nil); got < 2 {
		t.Errorf("warden_token_lookup_budget_refusals_total = %v, want at least 2", got)
	}

	// From another client the same tokens work.
	if w := e.do("GET", "/api/org", "203.0.113.41", fresh); w.Code != http.StatusOK {
		t.Fatalf("the valid token from another client: %d %s; want 200", w.Code, w.Body)
	}
	// And once cached, it works from the flooding client too: a cache hit needs no lookup.
	if w := e.do("GET", "/api/org", ip, fresh); w.Code != http.StatusOK {
		t.Fatalf("the valid token, now cached, from the flooding client: %d %s; want 200", w.Code, w.Body)
	}
}

// Finding 2, through the server: 15 failed password checks from 15 addresses of one IPv6 /64
// (limit 10) — the last 5 are refused with 429, as from one address; tokens likewise share the
// /64's failed-lookup budget.
func TestSecurity_IPv6ClientsCountedByPrefixOverHTTP(t *testing.T) {
	t.Parallel()
	const limit = 10
	e := newSecEnv(t, func(c *warden.Config) { c.PasswordCheckIPLimit = limit })
	refused := 0
	for i := range 15 {
		ip := "2001:db8:7:8::" + strconv.FormatInt(int64(i+1), 16)
		w := e.do("GET", "/api/org", ip, secBasic("nobody-"+strconv.Itoa(i), "wrong"))
		switch w.Code {
		case http.StatusTooManyRequests:
			refused++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("check %d from %s: %d %s", i, ip, w.Code, w.Body)
		}
	}
	if refused != 15-limit {
		t.Fatalf("15 failed checks from 15 addresses of one /64: %d got 429, want %d", refused, 15-limit)
	}
	if w := e.do("GET", "/api/org", "2001:db8:7:9::1", secBasic("admin", "admin")); w.Code != http.StatusOK {
		t.Fatalf("another /64: %d %s, want 200", w.Code, w.Body)
	}
}
