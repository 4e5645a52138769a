package http

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// testEnv is a Warden server over a real Service on SQLite in t.TempDir(), bootstrapped with
// the server admin admin/admin in org 1.
type testEnv struct {
	svc     *warden.Service
	opts    Options
	handler http.Handler
	reg     *prometheus.Registry
	logs    *logBuffer
}

// fastPasswordHash is the argon2id cost of the tests' passwords: about a hundredth of the
// default's CPU (the default is tested in the root package).
var fastPasswordHash = warden.PasswordHashParams{MemoryKiB: 256, Iterations: 1}

// testConfig is warden.DefaultConfig with fastPasswordHash.
func testConfig() warden.Config {
	c := warden.DefaultConfig()
	c.PasswordHash = fastPasswordHash
	return c
}

// newTestEnv builds a testEnv; configure, if not nil, adjusts the service's settings.
func newTestEnv(t testing.TB, configure func(*warden.Config)) *testEnv {
	return newTestEnvOn(t, nil, configure)
}

// newTestEnvOn is newTestEnv with the store wrapped by wrap, when not nil.
func newTestEnvOn(t testing.TB, wrap func(warden.Store) warden.Store, configure func(*warden.Config)) *testEnv {
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
	var store warden.Store = db
	if wrap != nil {
		store = wrap(db)
	}
	logger, logs := newTestLogger()
	svc := warden.NewService(store, logger, cfg)
	if _, _, err := svc.Bootstrap(ctx, "admin", "admin@localhost", "admin"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	opts := Options{
		Logger:         logger,
		Service:        svc,
		Version:        "test",
		BasicAuth:      true,
		Registry:       reg,
		FeatureToggles: map[string]bool{"serviceAccounts": !cfg.DisableServiceAccounts},
	}
	return &testEnv{svc: svc, opts: opts, handler: NewServer(opts), reg: reg, logs: logs}
}

// reqOption changes a request before it is sent.
type reqOption func(*http.Request)

func basicAuth(user, pass string) reqOption {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func withCookie(name, value string) reqOption {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

func withHeader(k, v string) reqOption {
	return func(r *http.Request) { r.Header.Set(k, v) }
}

// do sends one request through the whole server.
func (e *testEnv) do(t *testing.T, method, target string, body io.Reader, opts ...reqOption) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = "192.0.2.1:1234"
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// createViewer adds the user viewer/viewer-pw as a Viewer of org 1.
func (e *testEnv) createViewer(t *testing.T) {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), warden.CreateUserInput{
		Login: "viewer", Email: "viewer@localhost", Password: "viewer-pw", OrgID: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.UserPrincipal(context.Background(), u, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.OrgRole, warden.RoleViewer; got != want {
		t.Fatalf("viewer's role = %q, want %q", got, want)
	}
}

// session signs user in and returns the session cookie's value.
func (e *testEnv) session(t *testing.T, user, pass string) string {
	t.Helper()
	_, token, err := e.svc.Login(context.Background(), user, pass, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// csrfFor returns the CSRF token the pages of session carry.
func csrfFor(session string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: session})
	return csrfToken(r)
}

// genericNotFound is the body of the catch-all /api/ 404.
const genericNotFound = `{"message":"Not found"}`

// answeredByCatchAll reports whether w is a catch-all 404 — the API's JSON one or the UI's
// "Page not found" page — rather than a route's own answer.
func answeredByCatchAll(w *httptest.ResponseRecorder) bool {
	return w.Code == http.StatusNotFound &&
		(body(w) == genericNotFound || strings.Contains(w.Body.String(), "<h1>Page not found</h1>"))
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// samplePath turns a route pattern into a method and a request path: {id}-style segments
// become 1 and {$} is dropped.
func samplePath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	return method, pathParam.ReplaceAllString(path, "1")
}

func TestRoutes_Table(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	seen := map[string]bool{}
	for _, rt := range routes(env.opts, newUI(env.opts)) {
		if seen[rt.pattern] {
			t.Errorf("pattern %q listed twice", rt.pattern)
		}
		seen[rt.pattern] = true
		if rt.handler == nil {
			t.Errorf("%s: nil handler", rt.pattern)
		}
		method, path := samplePath(rt.pattern)
		if method == "" || !strings.HasPrefix(path, "/") {
			t.Errorf("%s: pattern has no method", rt.pattern)
		}
		// Public routes are few and named here, so a new one is a deliberate choice.
		if rt.access.public {
			switch rt.pattern {
			case "GET /api/health", "HEAD /api/health", "GET /healthz", "GET /metrics", "POST /login",
				"GET /login", "GET /public/", "GET /avatar/{hash}", "GET /logout":
			default:
				t.Errorf("%s is public", rt.pattern)
			}
		}
		// Guarded routes outside /api are browser pages; those under /api are not.
		if api := strings.HasPrefix(path, "/api/"); !rt.access.public && rt.access.ui == api {
			t.Errorf("%s: ui = %v", rt.pattern, rt.access.ui)
		}
	}
}

// TestRoutes_Reachable checks that every route of the table is registered and matched by its
// own method and a plausible path, instead of falling through to the catch-all 404.
func TestRoutes_Reachable(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	mux := http.NewServeMux()
	addRoutes(mux, env.opts)
	for _, rt := range routes(env.opts, newUI(env.opts)) {
		t.Run(rt.pattern, func(t *testing.T) {
			method, path := samplePath(rt.pattern)
			want := rt.pattern
			if want == orgByNamePattern {
				want = orgsDispatchPattern // see addRoutes
			}
			if _, got := mux.Handler(httptest.NewRequest(method, path, nil)); got != want {
				t.Errorf("%s %s is matched by %q, want %q", method, path, got, want)
			}
			// Signed out: the guard, or the public handler, answers; never the catch-all.
			w := env.do(t, method, path, nil)
			if answeredByCatchAll(w) {
				t.Errorf("signed out: %d %s", w.Code, w.Body)
			}
			if w.Code >= 500 {
				t.Errorf("signed out: %d %s", w.Code, w.Body)
			}
		})
	}
}

// TestRoutes_ReachableAsAdmin sends every read route as the server admin, and every write
// route as the server admin on a server of its own (writes to id 1 may delete the admin).
func TestRoutes_ReachableAsAdmin(t *testing.T) {
	t.Parallel()
	shared := newTestEnv(t, nil)
	for _, rt := range routes(shared.opts, newUI(shared.opts)) {
		method, path := samplePath(rt.pattern)
		t.Run(rt.pattern, func(t *testing.T) {
			env := shared
			if !isSafeMethod(method) {
				t.Parallel()
				env = newTestEnv(t, nil)
			}
			var opts []reqOption
			if rt.pattern != "POST /login" {
				opts = append(opts, basicAuth("admin", "admin"))
			}
			var rd io.Reader
			if method == "POST" || method == "PUT" || method == "PATCH" {
				rd = strings.NewReader("{}")
				opts = append(opts, withHeader("Content-Type", "application/json"))
			}
			if rt.access.ui && method == "POST" {
				// A page form post signed in with Basic: no CSRF token can match, so the
				// guard refuses it with a page, which still proves the route is there.
				rd = strings.NewReader("x=1")
				opts = append(opts, withHeader("Content-Type", "application/x-www-form-urlencoded"))
			}
			w := env.do(t, method, path, rd, opts...)
			if answeredByCatchAll(w) {
				t.Errorf("as admin: %d %s", w.Code, w.Body)
			}
			if w.Code >= 500 {
				t.Errorf("as admin: %d %s\nlogs: %s", w.Code, w.Body, env.logs)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	env.createViewer(t)
	adminSession := env.session(t, "admin", "admin")
	viewerSession := env.session(t, "viewer", "viewer-pw")
	admin := basicAuth("admin", "admin")
	viewer := basicAuth("viewer", "viewer-pw")
	adminCookie := withCookie(SessionCookie, adminSession)
	viewerCookie := withCookie(SessionCookie, viewerSession)
	jsonBody := withHeader("Content-Type", "application/json")
	formBody := withHeader("Content-Type", "application/x-www-form-urlencoded")
	sameOrigin := withHeader("Origin", "http://example.com") // httptest requests go to example.com
	denied := func(action string) string {
		return "You'll need additional permissions to perform this action. Permissions needed: " + action
	}
	unauthorized := `{"extra":null,"message":"Unauthorized","messageId":"auth.unauthorized","statusCode":401,"traceID":""}`

	tests := []struct {
		name         string
		method       string
		target       string
		body         string
		opts         []reqOption
		wantStatus   int
		wantBody     string // exact JSON body, if set
		wantMessage  string // JSON "message", if set
		wantLocation string
		wantHTML     string // the HTML page contains this, if set
	}{
		// No credentials.
		{name: "api, no credentials", method: "GET", target: "/api/serviceaccounts/search",
			wantStatus: 401, wantBody: unauthorized},
		{name: "api write, no credentials", method: "POST", target: "/api/serviceaccounts", body: `{"name":"x"}`,
			opts: []reqOption{jsonBody}, wantStatus: 401, wantBody: unauthorized},
		{name: "api signed-in route, no credentials", method: "GET", target: "/api/user",
			wantStatus: 401, wantBody: unauthorized},
		{name: "api, unknown scheme", method: "GET", target: "/api/user", opts: []reqOption{withHeader("Authorization", "Digest x")},
			wantStatus: 401, wantBody: unauthorized},
		{name: "api, bad bearer", method: "GET", target: "/api/user", opts: []reqOption{withHeader("Authorization", "Bearer nope")},
			wantStatus: 401},
		{name: "api, bad password", method: "GET", target: "/api/user", opts: []reqOption{basicAuth("admin", "wrong")},
			wantStatus: 401},
		{name: "api, unknown session", method: "GET", target: "/api/user", opts: []reqOption{withCookie(SessionCookie, "nope")},
			wantStatus: 401},
		{name: "page, no credentials", method: "GET", target: "/org/serviceaccounts?query=a&page=2",
			wantStatus: 302, wantLocation: "/login?redirectTo=" + url.QueryEscape("/org/serviceaccounts?query=a&page=2")},
		{name: "home page, no credentials", method: "GET", target: "/",
			wantStatus: 302, wantLocation: "/login?redirectTo=%2F"},
		{name: "page post, no credentials", method: "POST", target: "/org/serviceaccounts/create", body: "name=x",
			opts: []reqOption{formBody}, wantStatus: 303, wantLocation: "/login"},
		{name: "page, unknown session", method: "GET", target: "/org/users", opts: []reqOption{withCookie(SessionCookie, "nope")},
			wantStatus: 302, wantLocation: "/login?redirectTo=%2Forg%2Fusers"},

		// Basic credentials.
		{name: "admin reads", method: "GET", target: "/api/serviceaccounts/search", opts: []reqOption{admin}, wantStatus: 200},
		{name: "admin creates", method: "POST", target: "/api/serviceaccounts", body: `{"name":"guard-sa"}`,
			opts: []reqOption{admin, jsonBody}, wantStatus: 201},
		{name: "admin, admin route", method: "GET", target: "/api/users", opts: []reqOption{admin}, wantStatus: 200},
		{name: "viewer, signed-in route", method: "GET", target: "/api/user", opts: []reqOption{viewer}, wantStatus: 200},
		{name: "viewer, sa create", method: "POST", target: "/api/serviceaccounts", body: `{"name":"x"}`,
			opts: []reqOption{viewer, jsonBody}, wantStatus: 403, wantMessage: denied(warden.ActionSACreate)},
		{name: "viewer, sa search", method: "GET", target: "/api/serviceaccounts/search",
			opts: []reqOption{viewer}, wantStatus: 403, wantMessage: denied(warden.ActionSARead)},
		{name: "viewer, user create", method: "POST", target: "/api/admin/users", body: `{"login":"x","password":"xxxxxxxx"}`,
			opts: []reqOption{viewer, jsonBody}, wantStatus: 403, wantMessage: denied(warden.ActionUsersCreate)},
		{name: "viewer, user search", method: "GET", target: "/api/users",
			opts: []reqOption{viewer}, wantStatus: 403, wantMessage: denied(warden.ActionUsersRead)},
		{name: "viewer, team create", method: "POST", target: "/api/teams", body: `{"name":"t"}`,
			opts: []reqOption{viewer, jsonBody}, wantStatus: 403, wantMessage: denied(warden.ActionTeamsCreate)},
		{name: "viewer, org update", method: "PUT", target: "/api/org", body: `{"name":"o"}`,
			opts: []reqOption{viewer, jsonBody}, wantStatus: 403, wantMessage: denied(warden.ActionOrgsWrite)},
		{name: "viewer, server-admin route", method: "PUT", target: "/api/admin/users/1/permissions", body: `{"isGrafanaAdmin":true}`,
			opts: []reqOption{viewer, jsonBody}, wantStatus: 403},
		{name: "bad org path", method: "GET", target: "/api/orgs/abc", opts: []reqOption{admin},
			wantStatus: 403, wantMessage: denied(warden.ActionOrgsRead)},

		// Sessions: pages.
		{name: "admin page", method: "GET", target: "/org/serviceaccounts", opts: []reqOption{adminCookie}, wantStatus: 200,
			wantHTML: "<html"},
		{name: "page post without csrf", method: "POST", target: "/org/serviceaccounts/create", body: "name=x",
			opts: []reqOption{adminCookie, formBody, sameOrigin}, wantStatus: 403, wantHTML: "This form has expired"},
		{name: "page post with wrong csrf", method: "POST", target: "/org/serviceaccounts/create", body: "name=x&csrf=00",
			opts: []reqOption{adminCookie, formBody, sameOrigin}, wantStatus: 403, wantHTML: "This form has expired"},
		{name: "page post with csrf, no origin", method: "POST", target: "/org/serviceaccounts/create",
			body: "name=x&csrf=" + csrfFor(adminSession), opts: []reqOption{adminCookie, formBody}, wantStatus: 403, wantHTML: "origin not allowed"},
		{name: "page post with csrf, other origin", method: "POST", target: "/org/serviceaccounts/create",
			body: "name=x&csrf=" + csrfFor(adminSession), opts: []reqOption{adminCookie, formBody, withHeader("Origin", "https://evil.example")},
			wantStatus: 403, wantHTML: "origin not allowed"},
		{name: "page post with csrf", method: "POST", target: "/org/serviceaccounts/create",
			body: "name=page-sa&role=Viewer&csrf=" + csrfFor(adminSession), opts: []reqOption{adminCookie, formBody, sameOrigin}, wantStatus: 303},
		{name: "viewer page denied", method: "GET", target: "/org/serviceaccounts/create", opts: []reqOption{viewerCookie},
			wantStatus: 403, wantHTML: warden.ActionSACreate},

		// Sessions: the API.
		{name: "cookie api read", method: "GET", target: "/api/serviceaccounts/search", opts: []reqOption{adminCookie}, wantStatus: 200},
		{name: "cookie api write without origin", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c1"}`,
			opts: []reqOption{adminCookie, jsonBody}, wantStatus: 403, wantBody: `{"message":"origin not allowed"}`},
		{name: "cookie api write, other origin", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c2"}`,
			opts: []reqOption{adminCookie, jsonBody, withHeader("Origin", "https://evil.example")}, wantStatus: 403,
			wantBody: `{"message":"origin not allowed"}`},
		{name: "cookie api write, null origin", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c3"}`,
			opts: []reqOption{adminCookie, jsonBody, withHeader("Origin", "null")}, wantStatus: 403,
			wantBody: `{"message":"origin not allowed"}`},
		{name: "cookie api write, same origin", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c4"}`,
			opts: []reqOption{adminCookie, jsonBody, sameOrigin}, wantStatus: 201},
		{name: "cookie api write, same referer", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c5"}`,
			opts: []reqOption{adminCookie, jsonBody, withHeader("Referer", "http://example.com/org/serviceaccounts")}, wantStatus: 201},
		{name: "basic api write needs no origin", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c6"}`,
			opts: []reqOption{admin, jsonBody}, wantStatus: 201},
		{name: "viewer cookie api write, same origin", method: "POST", target: "/api/serviceaccounts", body: `{"name":"c7"}`,
			opts: []reqOption{viewerCookie, jsonBody, sameOrigin}, wantStatus: 403, wantMessage: denied(warden.ActionSACreate)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader
			if tt.body != "" {
				rd = strings.NewReader(tt.body)
			}
			w := env.do(t, tt.method, tt.target, rd, tt.opts...)
			if got, want := w.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, w.Body)
			}
			if tt.wantBody != "" {
				if got, want := body(w), tt.wantBody; got != want {
					t.Errorf("body = %s, want %s", got, want)
				}
			}
			if tt.wantMessage != "" {
				var resp struct {
					Message string `json:"message"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
					t.Fatalf("body %q: %v", w.Body, err)
				}
				if got, want := resp.Message, tt.wantMessage; got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
			}
			if tt.wantLocation != "" {
				if got, want := w.Header().Get("Location"), tt.wantLocation; got != want {
					t.Errorf("Location = %q, want %q", got, want)
				}
			}
			ct := w.Header().Get("Content-Type")
			if tt.wantHTML != "" {
				if !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type = %q, want text/html", ct)
				}
				if !strings.Contains(w.Body.String(), tt.wantHTML) {
					t.Errorf("page does not contain %q:\n%s", tt.wantHTML, w.Body)
				}
			}
			if strings.HasPrefix(tt.target, "/api/") && w.Code != http.StatusNotModified && !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}

// TestGuard_ServiceAccountsToggleOff checks that with the serviceAccounts toggle off every
// service-account API route answers the generic 404, even to the server admin, and the
// service-account pages are gone.
func TestGuard_ServiceAccountsToggleOff(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, func(c *warden.Config) { c.DisableServiceAccounts = true })
	n := 0
	for _, rt := range routes(env.opts, newUI(env.opts)) {
		method, path := samplePath(rt.pattern)
		isSAPath := strings.HasPrefix(path, "/api/serviceaccounts") || strings.HasPrefix(path, "/api/access-control/serviceaccounts") ||
			strings.HasPrefix(path, "/org/serviceaccounts")
		if isSAPath != rt.access.serviceAccount {
			t.Errorf("%s: serviceAccount = %v", rt.pattern, rt.access.serviceAccount)
		}
		if !isSAPath {
			continue
		}
		n++
		t.Run(rt.pattern, func(t *testing.T) {
			for _, opts := range [][]reqOption{nil, {basicAuth("admin", "admin")}} {
				w := env.do(t, method, path, strings.NewReader("{}"), opts...)
				if got, want := w.Code, http.StatusNotFound; got != want {
					t.Errorf("status = %d, want %d; body %s", got, want, w.Body)
				}
				if strings.HasPrefix(path, "/api/") {
					if got, want := body(w), genericNotFound; got != want {
						t.Errorf("body = %s, want %s", got, want)
					}
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no service-account routes found")
	}
	// Other routes still work.
	if w := env.do(t, "GET", "/api/user", nil, basicAuth("admin", "admin")); w.Code != http.StatusOK {
		t.Errorf("GET /api/user = %d, want 200", w.Code)
	}
}

func TestPages_SecurityHeaders(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	env.createViewer(t)
	adminCookie := withCookie(SessionCookie, env.session(t, "admin", "admin"))
	viewerCookie := withCookie(SessionCookie, env.session(t, "viewer", "viewer-pw"))
	tests := []struct {
		name   string
		target string
		opts   []reqOption
		status int
	}{
		{name: "login page", target: "/login", status: 200},
		{name: "service accounts", target: "/org/serviceaccounts", opts: []reqOption{adminCookie}, status: 200},
		{name: "users", target: "/org/users", opts: []reqOption{adminCookie}, status: 200},
		{name: "teams", target: "/org/teams", opts: []reqOption{adminCookie}, status: 200},
		{name: "not found page", target: "/org/serviceaccounts/999", opts: []reqOption{adminCookie}, status: 404},
		{name: "denied page", target: "/org/serviceaccounts/create", opts: []reqOption{viewerCookie}, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := env.do(t, "GET", tt.target, nil, tt.opts...)
			if got, want := w.Code, tt.status; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			h := w.Header()
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			csp := h.Get("Content-Security-Policy")
			directives := map[string]string{}
			for _, d := range strings.Split(csp, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				directives[name] = value
			}
			if got, want := directives["frame-ancestors"], "'none'"; got != want {
				t.Errorf("CSP frame-ancestors = %q, want %q (CSP %q)", got, want, csp)
			}
			script, ok := directives["script-src"]
			if !ok {
				script = directives["default-src"]
			}
			if script == "" || strings.Contains(script, "'unsafe-inline'") || strings.Contains(script, "'unsafe-eval'") || strings.Contains(script, "*") {
				t.Errorf("CSP script-src = %q (CSP %q)", script, csp)
			}
			if got, want := h.Get("X-Content-Type-Options"), "nosniff"; got != want {
				t.Errorf("X-Content-Type-Options = %q, want %q", got, want)
			}
			switch rp := h.Get("Referrer-Policy"); rp {
			case "same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin":
			default:
				t.Errorf("Referrer-Policy = %q", rp)
			}
			if got, want := h.Get("X-Frame-Options"), "DENY"; got != want {
				t.Errorf("X-Frame-Options = %q, want %q", got, want)
			}
		})
	}
}

// browserLocation is what a browser makes of a Location header: the WHATWG URL parser
// removes every tab and newline first, and treats "\" like "/".
func browserLocation(loc string) string {
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(loc)
	return strings.ReplaceAll(loc, "\\", "/")
}

// TestLogin_RedirectStaysLocal checks that no redirectTo value sends a signed-in browser to
// another host.
func TestLogin_RedirectStaysLocal(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	adminCookie := withCookie(SessionCookie, env.session(t, "admin", "admin"))
	for _, target := range []string{"//evil.com", "/\\evil.com", "https://evil.com", "/\t/evil.com", "/\t\\evil.com",
		"/\n/evil.com", "javascript:alert(1)", "/%09/evil.com"} {
		t.Run(target, func(t *testing.T) {
			w := env.do(t, "GET", "/login?redirectTo="+url.QueryEscape(target), nil, adminCookie)
			if got, want := w.Code, http.StatusSeeOther; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			loc := browserLocation(w.Header().Get("Location"))
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Errorf("Location %q leads a browser to %q: another host", w.Header().Get("Location"), loc)
			}
		})
	}
}
