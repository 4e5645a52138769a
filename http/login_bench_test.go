package http

// "Unknown user" and "wrong password" must be indistinguishable (tracker issue 8): the same
// status, body and headers — and similar timing, which tests do not assert (machines are
// noisy) but the benchmarks below measure:
//
//	go test ./http -run '^$' -bench 'Login_' -benchtime 50x

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// loginAttempt is one way of failing to sign in.
type loginAttempt struct {
	name       string
	user, pass string
	// failFirst failed attempts with a wrong password are made first (from another IP), so
	// that the username is blocked.
	failFirst int
}

func loginFailures(t *testing.T, env *testEnv) []loginAttempt {
	t.Helper()
	env.createViewer(t)
	ctx := adminContext(t, env)
	if _, err := env.svc.CreateServiceAccount(ctx, "robot", nil, false); err != nil {
		t.Fatal(err)
	}
	u, err := env.svc.CreateUser(context.Background(), warden.CreateUserInput{
		Login: "off", Email: "off@localhost", Password: "off-pw", OrgID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.svc.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	return []loginAttempt{
		{name: "unknown user", user: "nobody", pass: "wrong"},
		{name: "known user, wrong password", user: "admin", pass: "wrong"},
		{name: "known user, wrong password, other case", user: "ADMIN", pass: "wrong"},
		{name: "known user, empty-looking password", user: "admin", pass: " "},
		{name: "unknown email", user: "nobody@localhost", pass: "wrong"},
		{name: "known email, wrong password", user: "admin@localhost", pass: "wrong"},
		{name: "service account login", user: "sa-1-robot", pass: "wrong"},
		{name: "disabled user, wrong password", user: "off", pass: "wrong"},
		{name: "blocked user, right password", user: "viewer", pass: "viewer-pw", failFirst: 5},
		{name: "blocked unknown user", user: "ghost", pass: "wrong", failFirst: 5},
		{name: "login of 321 bytes", user: strings.Repeat("a", 321), pass: "wrong"},
	}
}

// answer is what a client can observe of a response, apart from timing.
type answer struct {
	status int
	body   string
	header string
}

func observe(w *httptest.ResponseRecorder) answer {
	h := w.Header()
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, h[k])
	}
	return answer{status: w.Code, body: w.Body.String(), header: b.String()}
}

func TestLogin_UnknownUserAnswersLikeWrongPassword(t *testing.T) {
	t.Parallel()
	send := map[string]func(env *testEnv, user, pass, ip string) *httptest.ResponseRecorder{
		"POST /login": func(env *testEnv, user, pass, ip string) *httptest.ResponseRecorder {
			body := fmt.Sprintf(`{"user":%q,"password":%q}`, user, pass)
			r := httptest.NewRequest("POST", "/login", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = ip + ":1"
			w := httptest.NewRecorder()
			env.handler.ServeHTTP(w, r)
			return w
		},
		"Basic on /api": func(env *testEnv, user, pass, ip string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", "/api/org", nil)
			r.SetBasicAuth(user, pass)
			r.RemoteAddr = ip + ":1"
			w := httptest.NewRecorder()
			env.handler.ServeHTTP(w, r)
			return w
		},
	}
	const want = `{"extra":null,"message":"Invalid username or password","messageId":"password-auth.failed","statusCode":401,"traceID":""}` + "\n"
	for _, via := range []string{"POST /login", "Basic on /api"} {
		t.Run(via, func(t *testing.T) {
			env := newTestEnv(t, nil) // no failures left over from the other way in
			attempts := loginFailures(t, env)
			var ref *answer
			for i, a := range attempts {
				t.Run(a.name, func(t *testing.T) {
					// A fresh IP per attempt keeps the per-IP limit out of the way; the blocking
					// failures come from yet another one.
					for range a.failFirst {
						send[via](env, a.user, "wrong", "198.51.100.200")
					}
					got := observe(send[via](env, a.user, a.pass, fmt.Sprintf("198.51.100.%d", i+1)))
					if got.status != http.StatusUnauthorized || got.body != want {
						t.Errorf("got %d %s, want 401 %s", got.status, got.body, want)
					}
					if ref == nil {
						ref = &got
						return
					}
					if got != *ref {
						t.Errorf("answer differs from %q:\n got %+v\nwant %+v", attempts[0].name, got, *ref)
					}
				})
			}
		})
	}
}

// failLogin sends one sign-in that must fail with 401.
func failLogin(b *testing.B, env *testEnv, body string) {
	r := httptest.NewRequest("POST", "/login", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "198.51.100.1:1"
	w := httptest.NewRecorder()
	env.handler.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// benchLogin measures failed sign-ins through the whole handler. Brute-force protection is off
// so every iteration checks a password instead of being refused as blocked.
func benchLogin(b *testing.B, user, pass string) {
	env := newTestEnv(b, func(c *warden.Config) { c.DisableBruteForce = true })
	body := fmt.Sprintf(`{"user":%q,"password":%q}`, user, pass)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		failLogin(b, env, body)
	}
}

func BenchmarkLogin_UnknownUser(b *testing.B)   { benchLogin(b, "nobody", "wrong") }
func BenchmarkLogin_WrongPassword(b *testing.B) { benchLogin(b, "admin", "wrong") }

// BenchmarkLogin_Blocked is the refusal of a blocked username: no password is checked, so it
// is much faster — but blocking depends on the name's failures alone, never on whether the
// user exists, so its timing tells nothing about existence.
func BenchmarkLogin_Blocked(b *testing.B) {
	env := newTestEnv(b, nil)
	body := `{"user":"nobody","password":"wrong"}`
	for range warden.DefaultConfig().BruteForceMaxAttempts {
		failLogin(b, env, body) // the failures that block the name
	}
	b.ReportAllocs()
	for b.Loop() {
		failLogin(b, env, body)
	}
}
