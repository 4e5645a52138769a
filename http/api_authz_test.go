package http

// Forward auth (/api/authz/forward): each proxy's request shape, refused requests and paths,
// credentials, the answer's headers, rules, metrics and the access log. Introspection is in
// api_authz_introspect_test.go; allocations and benchmarks are in api_authz_bench_test.go.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/authz"
)

// forwardRules is the rules file of the forward tests.
const forwardRules = `rules:
  - host: api.example.com
    path: /orders/admin/
    role: Admin
  - host: api.example.com
    path: /orders/
    methods: [GET, HEAD]
    role: Viewer
  - path: /ci/
    role: Viewer
    service_accounts: [sa-1-ci]
  - path: /org2/
    org: 2
    role: Viewer
  - path: /any-method/
    role: Viewer
`

// authzEnv is a testEnv serving /api/authz/forward with forwardRules (or none), the access
// log on, and a fresh metrics registry.
type authzEnv struct {
	*testEnv
	holder *authz.Holder
}

func newAuthzEnv(t testing.TB, mode, rules string) *authzEnv {
	t.Helper()
	env := newTestEnv(t, nil)
	h := &authz.Holder{}
	if rules != "" {
		rs, err := authz.Parse([]byte(rules))
		if err != nil {
			t.Fatal(err)
		}
		h.Set(rs)
	}
	env.opts.AuthzRules, env.opts.ForwardHeaders, env.opts.AccessLog = h, mode, true
	e := &authzEnv{testEnv: env, holder: h}
	e.rebuild()
	return e
}

// rebuild makes a new server (and metrics registry) from e.opts.
func (e *authzEnv) rebuild() {
	e.reg = prometheus.NewRegistry()
	e.opts.Registry = e.reg
	e.handler = NewServer(e.opts)
}

// as returns a context acting as the server admin in org.
func (e *authzEnv) as(t testing.TB, login string, org int64) context.Context {
	t.Helper()
	ctx := context.Background()
	u, err := e.svc.LookupUser(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.UserPrincipal(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	return warden.NewContextWithPrincipal(ctx, p)
}

// saToken creates a service account in org with role and a token for it (ttl seconds, 0: no
// expiry), and returns the account, the token's id and its plaintext.
func (e *authzEnv) saToken(t testing.TB, org int64, name string, role warden.OrgRole, ttl int64) (*warden.ServiceAccount, int64, string) {
	t.Helper()
	ctx := e.as(t, "admin", org)
	sa, err := e.svc.CreateServiceAccount(ctx, name, &role, false)
	if err != nil {
		t.Fatal(err)
	}
	tk, secret, err := e.svc.IssueToken(ctx, sa.ID, name+"-token", ttl, warden.TokenRestrictions{})
	if err != nil {
		t.Fatal(err)
	}
	return sa, tk.ID, secret.Reveal()
}

func bearer(tok string) reqOption { return withHeader("Authorization", "Bearer "+tok) }

// unknownToken is well-formed (its checksum is right) but never issued.
const unknownToken = "glsa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_d8dc8af3"

// wrongChecksum returns tok with the last digit of its checksum replaced by another one: always
// a wrong checksum (a fixed digit would be the right one 1 time in 16).
func wrongChecksum(tok string) string {
	const digits = "0123456789abcdef"
	last := strings.IndexByte(digits, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(digits[(last+1)%len(digits)])
}

// nginx describes the original request as nginx auth_request does.
func nginx(method, uri, host string) reqOption {
	return func(r *http.Request) {
		r.Header.Set("X-Original-Method", method)
		r.Header.Set("X-Original-URI", uri)
		if host != "" {
			r.Header.Set("X-Forwarded-Host", host)
		}
	}
}

// traefik describes the original request as Traefik ForwardAuth does.
func traefik(method, uri, host string) reqOption {
	return func(r *http.Request) {
		r.Header.Set("X-Forwarded-Method", method)
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", host)
		r.Header.Set("X-Forwarded-Uri", uri)
	}
}

// target replaces the request target, as the client sent it and as parsed.
func target(t string) reqOption {
	return func(r *http.Request) { r.URL.Path, r.URL.RawPath, r.RequestURI = t, "", t }
}

func withHost(h string) reqOption { return func(r *http.Request) { r.Host = h } }

func addHeader(k, v string) reqOption { return func(r *http.Request) { r.Header.Add(k, v) } }

// wantForward checks the status, the JSON message body and, on 401, the challenge.
func wantForward(t *testing.T, w *httptest.ResponseRecorder, status int, msgPart string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not JSON: %s", w.Body)
	}
	if msg, _ := m["message"].(string); msg == "" || !strings.Contains(msg, msgPart) {
		t.Fatalf("message = %q, want it to contain %q", msg, msgPart)
	}
	if got := w.Header().Get("WWW-Authenticate"); (status == http.StatusUnauthorized) != (got == "Bearer") {
		t.Fatalf("status %d with WWW-Authenticate %q", status, got)
	}
	if status != http.StatusOK && w.Header().Get("X-Warden-Login") != "" {
		t.Fatalf("status %d carries X-Warden-Login", status)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control = %q", got)
	}
}

// TestForward_Shapes sends one allowed and one denied request in each proxy's shape, in auto
// mode and in the shape's own mode.
func TestForward_Shapes(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ForwardAuto, ForwardNginx, ForwardTraefik, ForwardEnvoy} {
		t.Run(mode, func(t *testing.T) {
			env := newAuthzEnv(t, mode, forwardRules)
			_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
			type shape struct {
				name          string
				method, path  string // the request to Warden
				allow, denied []reqOption
			}
			shapes := []shape{
				{name: "nginx", method: "GET", path: "/api/authz/forward",
					allow:  []reqOption{nginx("GET", "/orders/1?page=2", "api.example.com")},
					denied: []reqOption{nginx("DELETE", "/orders/1", "api.example.com")}},
				{name: "nginx, host from Host", method: "GET", path: "/api/authz/forward",
					allow:  []reqOption{nginx("HEAD", "/orders/1", ""), withHost("API.example.com:443")},
					denied: []reqOption{nginx("GET", "/orders/1", ""), withHost("other.example.com")}},
				{name: "traefik", method: "GET", path: "/api/authz/forward",
					allow:  []reqOption{traefik("GET", "/orders/1?x=1", "api.example.com")},
					denied: []reqOption{traefik("POST", "/orders/1", "api.example.com")}},
				{name: "envoy", method: "GET", path: "/api/authz/forward/orders/1?x=1",
					allow:  []reqOption{withHost("api.example.com")},
					denied: []reqOption{withHost("api.example.com:8080"), func(r *http.Request) { r.Method = "DELETE" }}},
				{name: "envoy, any method", method: "PROPFIND", path: "/api/authz/forward/any-method/x",
					allow:  []reqOption{withHost("anything")},
					denied: []reqOption{withHost("anything"), target("/api/authz/forward/elsewhere")}},
			}
			for _, s := range shapes {
				own := strings.HasPrefix(s.name, mode) || mode == ForwardAuto
				t.Run(s.name, func(t *testing.T) {
					w := env.do(t, s.method, s.path, nil, append([]reqOption{bearer(tok)}, s.allow...)...)
					if !own {
						// Another proxy's shape is not read in this mode.
						if w.Code != http.StatusBadRequest {
							t.Fatalf("%s shape in %s mode: %d %s, want 400", s.name, mode, w.Code, w.Body)
						}
						return
					}
					wantForward(t, w, http.StatusOK, "OK")
					if got := w.Header().Get("X-Warden-Login"); got != "sa-1-reader" {
						t.Fatalf("X-Warden-Login = %q", got)
					}
					w = env.do(t, s.method, s.path, nil, append([]reqOption{bearer(tok)}, s.denied...)...)
					wantForward(t, w, http.StatusForbidden, "No authorization rule allows this request")
				})
			}
		})
	}
}

// TestForward_ModeReadsOnlyItsShape checks that an explicit mode ignores other proxies'
// headers, where auto mode refuses the mix.
func TestForward_ModeReadsOnlyItsShape(t *testing.T) {
	t.Parallel()
	spoof := []reqOption{nginx("GET", "/orders/1", "api.example.com"), withHeader("X-Forwarded-Method", "POST"),
		withHeader("X-Forwarded-Uri", "/elsewhere")}
	for mode, want := range map[string]int{ForwardAuto: 400, ForwardNginx: 200, ForwardTraefik: 403} {
		t.Run(mode, func(t *testing.T) {
			env := newAuthzEnv(t, mode, forwardRules)
			_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
			w := env.do(t, "GET", "/api/authz/forward", nil, append(spoof, bearer(tok))...)
			if w.Code != want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, want)
			}
		})
	}
	env := newAuthzEnv(t, ForwardEnvoy, forwardRules)
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	w := env.do(t, "GET", "/api/authz/forward/orders/1", nil, bearer(tok), withHost("api.example.com"),
		nginx("GET", "/ci/x", "other.example.com"))
	wantForward(t, w, http.StatusOK, "OK") // Envoy mode reads the path and Host only
}

func TestForward_BadRequest(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	tests := []struct {
		name string
		path string
		opts []reqOption
		want string
	}{
		{"no shape", "/api/authz/forward", nil, "No original request"},
		{"nginx and traefik", "/api/authz/forward", []reqOption{nginx("GET", "/orders/1", ""), traefik("GET", "/orders/1", "api.example.com")}, "Ambiguous"},
		// A client behind nginx adds X-Forwarded-Method: GET to a POST.
		{"spoofed method", "/api/authz/forward", []reqOption{nginx("POST", "/orders/1", "api.example.com"), withHeader("X-Forwarded-Method", "GET")}, "Ambiguous"},
		{"nginx and envoy", "/api/authz/forward/orders/1", []reqOption{nginx("GET", "/orders/1", "api.example.com")}, "Ambiguous"},
		{"traefik and envoy", "/api/authz/forward/orders/1", []reqOption{withHeader("X-Forwarded-Uri", "/orders/1")}, "Ambiguous"},
		{"X-Original-URI twice", "/api/authz/forward", []reqOption{nginx("GET", "/orders/1", ""), addHeader("X-Original-URI", "/admin")}, "X-Original-Uri is given more than once"},
		{"X-Original-Method twice", "/api/authz/forward", []reqOption{nginx("GET", "/orders/1", ""), addHeader("X-Original-Method", "POST")}, "more than once"},
		{"X-Forwarded-Method twice", "/api/authz/forward", []reqOption{traefik("GET", "/orders/1", "api.example.com"), addHeader("X-Forwarded-Method", "POST")}, "more than once"},
		{"X-Forwarded-Uri twice", "/api/authz/forward", []reqOption{traefik("GET", "/orders/1", "api.example.com"), addHeader("X-Forwarded-Uri", "/x")}, "more than once"},
		{"X-Forwarded-Host twice", "/api/authz/forward", []reqOption{nginx("GET", "/orders/1", "api.example.com"), addHeader("X-Forwarded-Host", "evil.example.com")}, "one host"},
		{"X-Forwarded-Host list", "/api/authz/forward", []reqOption{nginx("GET", "/orders/1", "api.example.com, evil.example.com")}, "one host"},
		{"nginx without method", "/api/authz/forward", []reqOption{withHeader("X-Original-URI", "/orders/1")}, "X-Original-Method is required"},
		{"nginx without URI", "/api/authz/forward", []reqOption{withHeader("X-Original-Method", "GET")}, "X-Original-Uri is required"},
		{"traefik without URI", "/api/authz/forward", []reqOption{withHeader("X-Forwarded-Method", "GET")}, "X-Forwarded-Uri is required"},
		{"bad method", "/api/authz/forward", []reqOption{nginx("GE T", "/orders/1", "")}, "not a method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := env.do(t, "GET", tt.path, nil, append([]reqOption{bearer(tok)}, tt.opts...)...)
			wantForward(t, w, http.StatusBadRequest, tt.want)
		})
	}
	// Explicit modes refuse duplicates and missing headers of their own shape too.
	for mode, opts := range map[string][]reqOption{
		ForwardNginx:   {nginx("GET", "/orders/1", ""), addHeader("X-Original-URI", "/admin")},
		ForwardTraefik: {traefik("GET", "/orders/1", "api.example.com"), addHeader("X-Forwarded-Uri", "/admin")},
	} {
		env := newAuthzEnv(t, mode, forwardRules)
		w := env.do(t, "GET", "/api/authz/forward", nil, append([]reqOption{bearer(tok)}, opts...)...)
		wantForward(t, w, http.StatusBadRequest, "more than once")
		w = env.do(t, "GET", "/api/authz/forward", nil, bearer(tok))
		wantForward(t, w, http.StatusBadRequest, "is required")
	}
	envoy := newAuthzEnv(t, ForwardEnvoy, forwardRules)
	wantForward(t, envoy.do(t, "GET", "/api/authz/forward", nil, bearer(tok)), http.StatusBadRequest, "No original path")
}

// TestForward_BadPaths sends every refused path in each shape; Envoy's goes in the request
// line itself, where ServeMux would otherwise redirect to the cleaned path. The one rule allows
// every path to anyone with a token, so each refusal is the path's alone.
func TestForward_BadPaths(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, "rules: [{path: /, role: None}]")
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	// Control: a clean path is allowed in each shape.
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", "/public/x?q=1", "api.example.com")), 200, "OK")
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), traefik("GET", "/public/x", "api.example.com")), 200, "OK")
	wantForward(t, env.do(t, "GET", "/api/authz/forward/public/x", nil, bearer(tok), withHost("api.example.com")), 200, "OK")
	paths := map[string]string{
		"dot segment":       "/public/./admin",
		"dot-dot segment":   "/public/../admin",
		"trailing dot-dot":  "/public/..",
		"encoded dot-dot":   "/public/%2e%2e/admin",
		"double slash":      "/public//admin",
		"backslash":         "/public/%5C..%5Cadmin",
		"encoded NUL":       "/public/a%00b",
		"encoded slash":     "/public%2F..%2Fadmin",
		"double-encoded":    "/public/%252e%252e/admin",
		"invalid escape":    "/public/%zz",
		"relative":          "public/admin",
		"absolute URL form": "http://api.example.com/admin",
		// A byte Go does not keep escaped as-is makes URL.EscapedPath rebuild the path from
		// its decoded form, turning %2F into /: the raw request target must be read instead.
		"encoded slash and {":         "/public%2Fadmin{",
		"encoded slash and |":         "/public%2Fadmin|x",
		"encoded slash and raw UTF-8": "/public%2Fadmin/é",
		// Paths that common backends read differently (docs/authz.md).
		"path parameter":                    "/admin;jsessionid=1/users",
		"dot-dot with parameter":            "/public/..;/admin/users",
		"encoded semicolon":                 "/admin%3Bx=1/users",
		"encoded semicolon, lower-case hex": "/admin%3b/users",
		"hash":                              "/public#/../admin",
		"encoded hash":                      "/public%23/admin",
		"overlong UTF-8 dot-dot":            "/public/%c0%ae%c0%ae/admin",
		"invalid UTF-8":                     "/public/%ff",
		"segment ending in dot":             "/admin./users",
		"segment ending in space":           "/admin%20/users",
		"encoded trailing dot":              "/admin%2e/users",
	}
	for name, p := range paths {
		t.Run(name, func(t *testing.T) {
			// The path is refused before credentials are looked at: no token needed.
			w := env.do(t, "GET", "/api/authz/forward", nil, nginx("GET", p+"?q=1", "api.example.com"))
			wantForward(t, w, http.StatusForbidden, "path not allowed")
			w = env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), traefik("GET", p, "api.example.com"))
			wantForward(t, w, http.StatusForbidden, "path not allowed")
			// net/http itself refuses a request line with an invalid escape (400).
			if strings.HasPrefix(p, "/") && name != "invalid escape" {
				r := httptest.NewRequest("GET", "http://api.example.com/api/authz/forward"+p, nil)
				w = httptest.NewRecorder()
				r.Header.Set("Authorization", "Bearer "+tok)
				env.handler.ServeHTTP(w, r)
				wantForward(t, w, http.StatusForbidden, "path not allowed")
			}
		})
	}
	// A raw backslash or NUL cannot be sent in a request line, but can be in a header.
	for _, p := range []string{`/public\..\admin`, "/a\x00b"} {
		w := env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", p, ""))
		wantForward(t, w, http.StatusForbidden, "path not allowed")
	}
	if got := decisionCounter(t, env, "bad_path", "none"); got < float64(2*len(paths)) {
		t.Fatalf("bad_path decisions = %v", got)
	}
}

// TestForward_PathMatching checks whole-segment prefixes and query stripping end to end.
func TestForward_PathMatching(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	for uri, want := range map[string]int{
		"/orders/1":                200,
		"/orders/":                 200,
		"/orders/1?token=x&a=/../": 200, // the query is not part of the path
		"/orders/%31":              200, // decoded once: /orders/1
		"/orders":                  403, // the rule's prefix is /orders/
		"/orders-admin":            403,
		"/orders-admin/1":          403,
		"/Orders/1":                403, // paths are case-sensitive
		"/orders/admin/x":          403, // rule 0 (Admin) decides first
	} {
		w := env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", uri, "api.example.com"))
		if w.Code != want {
			t.Errorf("%s: %d %s, want %d", uri, w.Code, w.Body, want)
		}
	}
}

// TestForward_TrailingDotHost checks that a host written with the root's trailing dot still
// selects the host's rules, rather than falling through to an any-host rule.
func TestForward_TrailingDotHost(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, "rules: [{host: admin.example.com, path: /, role: Admin}, {path: /, role: Viewer}]")
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	for _, host := range []string{"admin.example.com", "admin.example.com.", "ADMIN.example.com.:443"} {
		wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", "/x", host)), 403, "No authorization rule")
		wantForward(t, env.do(t, "GET", "/api/authz/forward/x", nil, bearer(tok), withHost(host)), 403, "No authorization rule")
	}
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", "/x", "other.example.com.")), 200, "OK")
}

// TestForward_EnvoyRawTarget checks the Envoy shape over a real connection: the original
// path is read from the request target as sent, so an encoded / stays encoded (and is
// refused) even when the target holds bytes that net/http would re-escape; such a path, when
// otherwise fine, is still allowed, and the route pattern reaches the access log.
func TestForward_EnvoyRawTarget(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardEnvoy, "rules: [{path: /admin, role: Admin}, {path: /public/, role: Viewer}]")
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	srv := httptest.NewServer(env.handler)
	defer srv.Close()
	send := func(target string) int {
		t.Helper()
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", target, tok)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for target, want := range map[string]int{
		"/api/authz/forward/public%2Fadmin{":                       403,
		"/api/authz/forward/public%2Fadmin/é":                      403,
		"/api/authz/forward/public%2F..%2Fadmin^":                  403,
		"/api/authz/forward/public/a{b}/é?x=1":                     200,
		"/api/authz/forward/public/a%7Bb%7D":                       200,
		"http://api.example.com/api/authz/forward/public%2Fadmin{": 403, // absolute form
		"http://api.example.com/api/authz/forward/public/x{":       200,
	} {
		if got := send(target); got != want {
			t.Errorf("GET %s: %d, want %d", target, got, want)
		}
	}
	logged := 0
	for _, l := range strings.Split(strings.TrimSpace(env.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] != "request" {
			continue
		}
		logged++
		if m["route"] != "GET /api/authz/forward/{path...}" {
			t.Errorf("route = %v in %s", m["route"], l)
		}
	}
	if logged != 7 {
		t.Errorf("%d request lines logged, want 7:\n%s", logged, env.logs)
	}
	if got := decisionCounter(t, env, "bad_path", "none"); got != 4 {
		t.Errorf("bad_path decisions = %v, want 4", got)
	}
}

func TestForward_Credentials(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	env.createViewer(t)
	sa, tokenID, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	req := nginx("GET", "/orders/1", "api.example.com")
	adminSession := env.session(t, "admin", "admin")
	basic := func(user, pass string) reqOption { return basicAuth(user, pass) }
	if _, ok := warden.ParseSecret(unknownToken); !ok {
		t.Fatalf("unknownToken %q is malformed: the \"unknown token\" case would test the format", unknownToken)
	}

	ok := []struct {
		name string
		opts []reqOption
	}{
		{"bearer", []reqOption{bearer(tok)}},
		{"bearer, lower-case scheme", []reqOption{withHeader("Authorization", "bearer "+tok)}},
		{"basic api_key", []reqOption{basic("api_key", tok)}},
		{"cookie ignored next to a token", []reqOption{bearer(tok), withCookie(SessionCookie, adminSession)}},
		// The token API would answer 401 (org mismatch); here the header is ignored.
		{"X-Grafana-Org-Id ignored", []reqOption{bearer(tok), withHeader("X-Grafana-Org-Id", "2")}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			w := env.do(t, "GET", "/api/authz/forward", nil, append(tt.opts, req)...)
			wantForward(t, w, http.StatusOK, "OK")
		})
	}
	refused := []struct {
		name, msg string
		opts      []reqOption
	}{
		{"none", "service-account token is required", nil},
		{"session cookie", "service-account token is required", []reqOption{withCookie(SessionCookie, adminSession)}},
		{"admin password", "service-account token is required", []reqOption{basic("admin", "admin")}},
		{"user password", "service-account token is required", []reqOption{basic("viewer", "viewer-pw")}},
		{"garbage", "Invalid API key", []reqOption{bearer("not-a-token")}},
		{"wrong checksum", "Invalid API key", []reqOption{bearer(wrongChecksum(tok))}},
		{"unknown token", "Invalid API key", []reqOption{bearer(unknownToken)}},
		{"other scheme", "service-account token is required", []reqOption{withHeader("Authorization", "Token "+tok)}},
		{"two Authorization headers", "service-account token is required", []reqOption{bearer(tok), addHeader("Authorization", "Bearer "+tok)}},
		{"basic api_key, garbage", "Invalid API key", []reqOption{basic("api_key", "nope")}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			w := env.do(t, "GET", "/api/authz/forward", nil, append(tt.opts, req)...)
			wantForward(t, w, http.StatusUnauthorized, tt.msg)
		})
	}

	// Expired, revoked, disabled and deleted: each on its own token, as the token API answers.
	ctx := env.as(t, "admin", 1)
	_, _, expiring := env.saToken(t, 1, "expiring", warden.RoleViewer, 60)
	_, revokedID, revoked := env.saToken(t, 1, "revoked", warden.RoleViewer, 0)
	disabledSA, _, disabled := env.saToken(t, 1, "disabled", warden.RoleViewer, 0)
	deletedSA, _, deletedAccount := env.saToken(t, 1, "deleted", warden.RoleViewer, 0)
	for _, tk := range []string{expiring, revoked, disabled, deletedAccount} {
		wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tk), req), http.StatusOK, "OK")
	}
	if err := env.svc.RevokeToken(ctx, revokedID); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := env.svc.UpdateServiceAccount(ctx, disabledSA.ID, warden.ServiceAccountUpdate{IsDisabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if err := env.svc.DeleteServiceAccount(ctx, deletedSA.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.svc.DeleteToken(ctx, sa.ID, tokenID); err != nil {
		t.Fatal(err)
	}
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(revoked), req), http.StatusUnauthorized, "Revoked API key")
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(disabled), req), http.StatusUnauthorized, "Unauthorized")
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(deletedAccount), req), http.StatusUnauthorized, "Invalid API key")
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), req), http.StatusUnauthorized, "Invalid API key")
	now := env.svc.Now
	env.svc.Now = func() time.Time { return now().Add(2 * time.Minute) }
	defer func() { env.svc.Now = now }()
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(expiring), req), http.StatusUnauthorized, "Expired API key")
}

func TestForward_Answer(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	sa, tokenID, tok := env.saToken(t, 1, "ci", warden.RoleEditor, 0)
	w := env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("POST", "/ci/deploy", "any.example.com"))
	wantForward(t, w, http.StatusOK, "OK")
	want := map[string]string{
		"X-Warden-Login":    "sa-1-ci",
		"X-Warden-Id":       itoa(sa.ID),
		"X-Warden-Org-Id":   "1",
		"X-Warden-Role":     "Editor",
		"X-Warden-Token-Id": itoa(tokenID),
		"Content-Type":      "application/json",
	}
	for k, v := range want {
		if got := w.Header().Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for k, vs := range w.Header() {
		for _, v := range vs {
			if strings.Contains(v, tok) || strings.Contains(v, "glsa_") {
				t.Fatalf("header %s carries the token", k)
			}
		}
	}
	if strings.Contains(w.Body.String(), "glsa_") {
		t.Fatal("the body carries a token")
	}
	// Same again: the cached identity answers with the same headers.
	w = env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("POST", "/ci/deploy", "any.example.com"))
	if w.Code != 200 || w.Header().Get("X-Warden-Login") != "sa-1-ci" || w.Header().Get("X-Warden-Token-Id") != itoa(tokenID) {
		t.Fatalf("second answer: %d %v", w.Code, w.Header())
	}

	// Org 2's token: only rules without an org or with org 2 select it.
	if _, err := env.svc.CreateOrg(env.as(t, "admin", 1), "Second"); err != nil {
		t.Fatal(err)
	}
	_, _, tok2 := env.saToken(t, 2, "other", warden.RoleViewer, 0)
	w = env.do(t, "GET", "/api/authz/forward", nil, bearer(tok2), nginx("GET", "/org2/x", ""))
	wantForward(t, w, http.StatusOK, "OK")
	if got := w.Header().Get("X-Warden-Org-Id"); got != "2" {
		t.Fatalf("X-Warden-Org-Id = %q", got)
	}
	_, _, tok1 := env.saToken(t, 1, "one", warden.RoleAdmin, 0)
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok1), nginx("GET", "/org2/x", "")),
		http.StatusForbidden, "No authorization rule")
	// service_accounts: only sa-1-ci passes rule 2.
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok1), nginx("GET", "/ci/x", "")),
		http.StatusForbidden, "No authorization rule")
}

func TestForward_NoRules(t *testing.T) {
	t.Parallel()
	for name, h := range map[string]*authz.Holder{"nil holder": nil, "empty holder": {}} {
		t.Run(name, func(t *testing.T) {
			env := newAuthzEnv(t, "", "")
			env.opts.AuthzRules = h
			env.rebuild()
			_, _, tok := env.saToken(t, 1, "admin-sa", warden.RoleAdmin, 0)
			wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", "/", "")),
				http.StatusForbidden, "No authorization rule")
			wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, nginx("GET", "/", "")),
				http.StatusUnauthorized, "token is required")
		})
	}
}

// TestForward_RulesSwap checks that a new rule set applies to the next request.
func TestForward_RulesSwap(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, "rules: []")
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	req := []reqOption{bearer(tok), nginx("GET", "/x", "")}
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, req...), http.StatusForbidden, "No authorization rule")
	rs, err := authz.Parse([]byte("rules: [{path: /x, role: Viewer}]"))
	if err != nil {
		t.Fatal(err)
	}
	env.holder.Set(rs)
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, req...), http.StatusOK, "OK")
}

func TestForward_LastUsed(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	sa, tokenID, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	ctx := env.as(t, "admin", 1)
	lastUsed := func() time.Time {
		t.Helper()
		if err := env.svc.FlushLastUsed(context.Background()); err != nil {
			t.Fatal(err)
		}
		tokens, err := env.svc.ListTokens(ctx, sa.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tokens {
			if tk.ID == tokenID {
				return tk.LastUsedAt
			}
		}
		t.Fatal("token not listed")
		return time.Time{}
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new token has a last use")
	}
	wantForward(t, env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", "/orders/1", "api.example.com")),
		http.StatusOK, "OK")
	if lastUsed().IsZero() {
		t.Fatal("a forward check did not record a use")
	}
}

// decisionCounter returns the count of decisions with one label pair.
func decisionCounter(t *testing.T, env *authzEnv, decision, rule string) float64 {
	t.Helper()
	mfs, err := env.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "warden_authz_forward_decisions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["decision"] == decision && labels["rule"] == rule {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestForward_Metrics(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	send := func(n int, opts ...reqOption) {
		for range n {
			env.do(t, "GET", "/api/authz/forward", nil, opts...)
		}
	}
	send(3, bearer(tok), nginx("GET", "/orders/secret-order-42", "api.example.com")) // allow, rule 1
	send(2, bearer(tok), nginx("GET", "/orders/admin/secret-x", "api.example.com"))  // deny, rule 0
	send(1, bearer(tok), nginx("GET", "/nowhere/secret-y", "api.example.com"))       // deny, none
	send(4, nginx("GET", "/orders/1", "api.example.com"))                            // unauthenticated
	send(1, bearer(tok))                                                             // bad request
	send(1, bearer(tok), nginx("GET", "/a/../secret-z", ""))                         // bad path
	for _, c := range []struct {
		decision, rule string
		want           float64
	}{
		{"allow", "1", 3}, {"deny", "0", 2}, {"deny", "none", 1}, {"unauthenticated", "none", 4},
		{"bad_request", "none", 1}, {"bad_path", "none", 1}, {"allow", "0", 0}, {"error", "none", 0},
	} {
		if got := decisionCounter(t, env, c.decision, c.rule); got != c.want {
			t.Errorf("decisions{decision=%q,rule=%q} = %v, want %v", c.decision, c.rule, got, c.want)
		}
	}
	w := env.do(t, "GET", "/metrics", nil)
	body := w.Body.String()
	for _, want := range []string{"warden_authz_rules_loaded 5", "warden_authz_rules_reload_failures_total 0",
		`warden_authz_forward_decisions_total{decision="allow",rule="1"} 3`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Raw paths never become labels.
	if strings.Contains(body, "secret-") || strings.Contains(body, "/orders/") {
		t.Fatal("/metrics carries a raw path")
	}
}

// TestForward_AccessLog checks the access-log line: the original URI without its query, the
// decision and rule, and no credential anywhere in the log.
func TestForward_AccessLog(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	env.do(t, "GET", "/api/authz/forward", nil, bearer(tok), nginx("GET", "/orders/7?api_key=QUERYSECRET", "api.example.com"))
	env.do(t, "GET", "/api/authz/forward", nil, basicAuth("api_key", tok), traefik("GET", "/orders/8?x=QUERYSECRET", "api.example.com"))
	env.do(t, "GET", "/api/authz/forward/orders/9?x=QUERYSECRET", nil, bearer(tok), withHost("api.example.com"))
	env.do(t, "GET", "/api/authz/forward", nil, bearer(tok+"x"), nginx("GET", "/orders/10", "api.example.com"))
	logs := env.logs.String()
	if strings.Contains(logs, tok) || strings.Contains(logs, "glsa_") || strings.Contains(logs, "QUERYSECRET") {
		t.Fatalf("the log carries a token or a query string:\n%s", logs)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("%d request lines, want 4:\n%s", len(lines), logs)
	}
	wantURIs := []string{"/orders/7", "/orders/8", "/orders/9", "/orders/10"}
	for i, l := range lines {
		fw, _ := l["forward"].(map[string]any)
		if fw == nil || fw["uri"] != wantURIs[i] || fw["method"] != "GET" || fw["host"] != "api.example.com" {
			t.Errorf("line %d: forward = %v, want uri %s", i, l["forward"], wantURIs[i])
		}
	}
	if fw := lines[0]["forward"].(map[string]any); fw["decision"] != "allow" || fw["rule"] != float64(1) {
		t.Errorf("line 0: %v", fw)
	}
	if fw := lines[3]["forward"].(map[string]any); fw["decision"] != "unauthenticated" || fw["rule"] != nil {
		t.Errorf("line 3: %v", fw)
	}
	if lines[2]["route"] != "GET /api/authz/forward/{path...}" {
		t.Errorf("Envoy-shape route = %v", lines[2]["route"])
	}
	if !strings.HasPrefix(lines[0]["caller"].(string), "service_account:") {
		t.Errorf("caller = %v", lines[0]["caller"])
	}
	// Other requests carry no forward group.
	env.do(t, "GET", "/api/health", nil)
	if strings.Contains(env.logs.String()[len(logs):], `"forward"`) {
		t.Fatal("a non-forward request logged a forward group")
	}
}

// TestForward_TwoServers checks that two servers in one process keep their own rules.
func TestForward_TwoServers(t *testing.T) {
	t.Parallel()
	a := newAuthzEnv(t, ForwardAuto, "rules: [{path: /a, role: Viewer}]")
	b := newAuthzEnv(t, ForwardAuto, "rules: [{path: /b, role: Viewer}]")
	_, _, ta := a.saToken(t, 1, "reader", warden.RoleViewer, 0)
	_, _, tb := b.saToken(t, 1, "reader", warden.RoleViewer, 0)
	wantForward(t, a.do(t, "GET", "/api/authz/forward", nil, bearer(ta), nginx("GET", "/a", "")), 200, "OK")
	wantForward(t, a.do(t, "GET", "/api/authz/forward", nil, bearer(ta), nginx("GET", "/b", "")), 403, "No authorization rule")
	wantForward(t, b.do(t, "GET", "/api/authz/forward", nil, bearer(tb), nginx("GET", "/b", "")), 200, "OK")
	wantForward(t, b.do(t, "GET", "/api/authz/forward", nil, bearer(tb), nginx("GET", "/a", "")), 403, "No authorization rule")
}

// TestForward_ConcurrentSwap swaps the rules while requests run (go test -race): every answer
// is one rule set's or the other's, never anything else.
func TestForward_ConcurrentSwap(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardNginx, "rules: [{path: /x, role: Viewer}]")
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	allow, err := authz.Parse([]byte("rules: [{path: /x, role: Viewer}]"))
	if err != nil {
		t.Fatal(err)
	}
	deny, err := authz.Parse([]byte("rules: [{path: /y, role: Viewer}]"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			if i%2 == 0 {
				env.holder.Set(deny)
			} else {
				env.holder.Set(allow)
			}
		}
	}()
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			for range 50 {
				r := httptest.NewRequest("GET", "/api/authz/forward", nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				nginx("GET", "/x", "")(r)
				w := httptest.NewRecorder()
				env.handler.ServeHTTP(w, r)
				if w.Code != http.StatusOK && w.Code != http.StatusForbidden {
					errs <- w.Body.String()
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Fatalf("unexpected answer: %s", e)
		}
	}
	<-done
}
