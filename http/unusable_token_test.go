package http

// Unusable tokens on /api always get 401 with Grafana's JSON body: never 400 or 5xx, however
// malformed the token or whatever happened to its account. The one other answer is for a
// client past its per-IP budget of failed token lookups: a token that would need a lookup
// gets 429 with Retry-After, never "Invalid API key", since it may be a valid token this
// instance has not cached. Failed *password* checks past the per-IP limit get 429 too.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// unusableTokens builds a server and one token of every unusable kind, with the message each
// must be refused with, plus a working token.
func unusableTokens(t *testing.T, env *testEnv) (live string, cases []unusableToken) {
	t.Helper()
	ctx := adminContext(t, env)
	svc := env.svc
	issue := func(ctx context.Context, sa int64, name string, ttl int64) (*warden.Token, string) {
		t.Helper()
		tk, secret, err := svc.IssueToken(ctx, sa, name, ttl, warden.TokenRestrictions{})
		if err != nil {
			t.Fatal(err)
		}
		return tk, secret.Reveal()
	}
	account := func(ctx context.Context, name string) int64 {
		t.Helper()
		a, err := svc.CreateServiceAccount(ctx, name, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	liveSA := account(ctx, "live")
	_, live = issue(ctx, liveSA, "live", 0)
	// A working token whose checksum has a letter, to send in upper case.
	var lettered string
	for i := 0; !strings.ContainsAny(lettered[max(len(lettered)-8, 0):], "abcdef"); i++ {
		_, lettered = issue(ctx, liveSA, fmt.Sprintf("lettered-%d", i), 0)
	}

	// Expired: issued two hours ago for one minute.
	realNow := svc.Now
	svc.Now = func() time.Time { return realNow().Add(-2 * time.Hour) }
	_, expired := issue(ctx, liveSA, "expired", 60)
	svc.Now = realNow

	revokedTk, revoked := issue(ctx, liveSA, "revoked", 0)
	check(svc.RevokeToken(ctx, revokedTk.ID))

	disabledSA := account(ctx, "disabled")
	_, disabled := issue(ctx, disabledSA, "disabled", 0)
	yes := true
	_, err := svc.UpdateServiceAccount(ctx, disabledSA, warden.ServiceAccountUpdate{IsDisabled: &yes})
	check(err)

	deletedSA := account(ctx, "deleted")
	_, deletedAccount := issue(ctx, deletedSA, "deleted-account", 0)
	check(svc.DeleteServiceAccount(ctx, deletedSA))

	deletedTk, deletedToken := issue(ctx, liveSA, "deleted-token", 0)
	check(svc.DeleteToken(ctx, liveSA, deletedTk.ID))

	// A token of an org that was then deleted.
	org, err := svc.CreateOrg(ctx, "doomed")
	check(err)
	admin, err := svc.LookupUser(context.Background(), "admin")
	check(err)
	p2, err := svc.UserPrincipal(context.Background(), admin, org.ID)
	check(err)
	ctx2 := warden.NewContextWithPrincipal(context.Background(), p2)
	_, deletedOrg := issue(ctx2, account(ctx2, "doomed"), "doomed", 0)
	check(svc.DeleteOrg(ctx, org.ID))

	unknown, err := warden.NewSecret(rand.Reader)
	check(err)

	const invalid, invalidID = "Invalid API key", "api-key.invalid"
	cases = []unusableToken{
		{name: "garbage", token: "nope", message: invalid, messageID: invalidID},
		{name: "empty", token: "", message: invalid, messageID: invalidID},
		{name: "prefix only", token: "glsa_", message: invalid, messageID: invalidID},
		{name: "truncated", token: live[:len(live)-1], message: invalid, messageID: invalidID},
		{name: "one char too many", token: live + "0", message: invalid, messageID: invalidID},
		{name: "wrong checksum", token: wrongChecksum(live), message: invalid, messageID: invalidID},
		{name: "upper-case checksum", token: lettered[:len(lettered)-8] + strings.ToUpper(lettered[len(lettered)-8:]), message: invalid, messageID: invalidID},
		{name: "other prefix", token: "glxx" + live[4:], message: invalid, messageID: invalidID},
		{name: "right format, unknown", token: unknown.Reveal(), message: invalid, messageID: invalidID},
		{name: "legacy api key shape", token: base64.StdEncoding.EncodeToString([]byte(`{"k":"x","n":"y","id":1}`)), message: invalid, messageID: invalidID},
		{name: "10 KiB", token: strings.Repeat("glsa_", 2048), message: invalid, messageID: invalidID},
		{name: "NUL", token: "glsa_\x00", message: invalid, messageID: invalidID},
		{name: "CRLF", token: live + "\r\nX-Injected: 1", message: invalid, messageID: invalidID},
		{name: "invalid UTF-8", token: "glsa_\xff\xfe", message: invalid, messageID: invalidID},
		{name: "expired", token: expired, message: "Expired API key", messageID: "api-key.expired"},
		{name: "revoked", token: revoked, message: "Revoked API key", messageID: "api-key.revoked"},
		{name: "disabled account", token: disabled, message: "Unauthorized", messageID: "identity.disabled"},
		{name: "deleted account", token: deletedAccount, message: invalid, messageID: invalidID},
		{name: "deleted token", token: deletedToken, message: invalid, messageID: invalidID},
		{name: "deleted org", token: deletedOrg, message: invalid, messageID: invalidID},
		{name: "other org asked for", token: live, orgHeader: "2", message: "API key does not belong to the requested organization",
			messageID: "api-key.organization-mismatch"},
		{name: "missing org asked for", token: live, orgHeader: "9223372036854775807",
			message: "API key does not belong to the requested organization", messageID: "api-key.organization-mismatch"},
	}
	return live, cases
}

// unusableToken is a token that must be refused, and how.
type unusableToken struct {
	name      string
	token     string
	orgHeader string // X-Grafana-Org-Id, if set
	message   string
	messageID string
}

// tokenRoutes are the /api routes the tokens are tried on: reads and writes, org-scoped and
// not, with and without a body.
var tokenRoutes = []struct{ method, path, body string }{
	{"GET", "/api/org", ""},
	{"GET", "/api/serviceaccounts/search", ""},
	{"GET", "/api/user", ""},
	{"POST", "/api/serviceaccounts", `{"name":"never"}`},
	{"PUT", "/api/org", `{"name":"never"}`},
	{"DELETE", "/api/serviceaccounts/1/tokens/1", ""},
}

// tokenRequest builds a request carrying token as "bearer" or "basic" (user api_key).
func tokenRequest(method, path, body, form, token, ip string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = ip + ":4321"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	switch form {
	case "bearer":
		r.Header["Authorization"] = []string{"Bearer " + token} // as sent, CR/LF and all
	case "basic":
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("api_key:"+token)))
	}
	return r
}

// checkUnauthorized checks a 401 with Grafana's auth-middleware body.
func checkUnauthorized(t *testing.T, w *httptest.ResponseRecorder, message, messageID string) {
	t.Helper()
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401; body: %.300s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got struct {
		Message   *string `json:"message"`
		MessageID string  `json:"messageId"`
		Status    int     `json:"statusCode"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Message == nil {
		t.Fatalf("body is not a JSON error: %.300s", w.Body)
	}
	if *got.Message != message || got.MessageID != messageID || got.Status != 401 {
		t.Errorf("body = %s, want message %q, messageId %q, statusCode 401", w.Body, message, messageID)
	}
	if w.Header().Get("Retry-After") != "" {
		t.Errorf("Retry-After = %q on a 401", w.Header().Get("Retry-After"))
	}
}

// checkLookupBudget checks the answer to a token refused by the per-IP lookup budget: 429 in
// the authentication error shape, with Retry-After.
func checkLookupBudget(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	const want = `{"extra":null,"message":"Too many lookups of unknown tokens from this address. Try again later.",` +
		`"messageId":"auth.lookup-budget","statusCode":429,"traceID":""}`
	if got := strings.TrimSpace(w.Body.String()); w.Code != http.StatusTooManyRequests || got != want {
		t.Fatalf("budget refusal: %d %s, want 429 %s", w.Code, got, want)
	}
	if w.Header().Get("Retry-After") == "" {
		t.Errorf("budget refusal without Retry-After")
	}
}

func TestUnusableToken_Always401(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	live, cases := unusableTokens(t, env)

	// The working token works, as Bearer and as Basic, so the refusals below are about the
	// tokens alone.
	for _, form := range []string{"bearer", "basic"} {
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, tokenRequest("GET", "/api/org", "", form, live, "198.51.100.1"))
		if w.Code != http.StatusOK {
			t.Fatalf("live token as %s: %d %s", form, w.Code, w.Body)
		}
	}
	for _, tc := range cases {
		for _, form := range []string{"bearer", "basic"} {
			for _, rt := range tokenRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s %s", tc.name, form, rt.method, rt.path), func(t *testing.T) {
					r := tokenRequest(rt.method, rt.path, rt.body, form, tc.token, "198.51.100.2")
					if tc.orgHeader != "" {
						r.Header.Set("X-Grafana-Org-Id", tc.orgHeader)
					}
					w := httptest.NewRecorder()
					env.handler.ServeHTTP(w, r)
					checkUnauthorized(t, w, tc.message, tc.messageID)
				})
			}
		}
	}
}

// TestUnusableToken_ManyTimesFromOneIP retries every unusable token, and a flood of distinct
// unknown ones, from one client IP: well past the failed-lookup budget (100 a second) and the
// failed-password limit, every answer is the token's own 401 or, for a token that would need
// a lookup, the budget's 429.
func TestUnusableToken_ManyTimesFromOneIP(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	_, cases := unusableTokens(t, env)
	// A stopped clock: the budget does not refill, however slow the machine.
	now := time.Now()
	env.svc.Now = func() time.Time { return now }
	const ip = "203.0.113.7"
	budget := warden.DefaultCacheConfig().FailedLookupsPerIP
	limit := warden.DefaultConfig().PasswordCheckIPLimit
	n, refused := 0, 0
	send := func(t *testing.T, token, form string, tc unusableToken) {
		t.Helper()
		rt := tokenRoutes[n%len(tokenRoutes)]
		n++
		r := tokenRequest(rt.method, rt.path, rt.body, form, token, ip)
		if tc.orgHeader != "" {
			r.Header.Set("X-Grafana-Org-Id", tc.orgHeader)
		}
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, r)
		// Once the IP's budget is spent, a token the cache does not know yet is refused
		// without a lookup, with the budget's 429: even a valid token may be refused so.
		if w.Code == http.StatusTooManyRequests {
			refused++
			checkLookupBudget(t, w)
			return
		}
		checkUnauthorized(t, w, tc.message, tc.messageID)
	}
	// Distinct, well-formed, unknown tokens: each one is a database lookup until the budget
	// is spent, then refused without one.
	flood := 3*budget + limit
	invalid := unusableToken{message: "Invalid API key", messageID: "api-key.invalid"}
	for i := range flood {
		s, err := warden.NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		send(t, s.Reveal(), []string{"bearer", "basic"}[i%2], invalid)
		if t.Failed() {
			t.Fatalf("after %d requests", n)
		}
	}
	if got := env.svc.CacheStats().BudgetRefusals; got == 0 || refused != flood-budget {
		t.Errorf("BudgetRefusals = %d and %d answers of 429 after %d unknown tokens from one IP, want > 0 and %d",
			got, refused, flood, flood-budget)
	}
	// And every kind of unusable token, again and again, from the same exhausted IP.
	for round := range 10 {
		for _, tc := range cases {
			for _, form := range []string{"bearer", "basic"} {
				send(t, tc.token, form, tc)
				if t.Failed() {
					t.Fatalf("round %d, %s as %s", round, tc.name, form)
				}
			}
		}
	}
	t.Logf("%d requests from %s: %d answered 429 by the budget, the rest 401", n, ip, refused)
}

// TestUnusableToken_PasswordLimitContrast: failed password checks past the per-IP limit get
// 429 — from Basic auth and /login alike — while unusable tokens from that very IP still get
// 401, and Basic with user api_key is a token, not a password check.
func TestUnusableToken_PasswordLimitContrast(t *testing.T) {
	t.Parallel()
	const limit = 10
	env := newTestEnv(t, func(c *warden.Config) { c.PasswordCheckIPLimit = limit })
	_, cases := unusableTokens(t, env)
	const ip = "203.0.113.9"
	basic := func(user, pass string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/org", nil)
		r.RemoteAddr = ip + ":4321"
		r.SetBasicAuth(user, pass)
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, r)
		return w
	}
	// Distinct unknown users, so the per-username limit (5) never decides.
	for i := range limit {
		w := basic(fmt.Sprintf("nobody-%d", i), "wrong")
		checkUnauthorized(t, w, "Invalid username or password", "password-auth.failed")
	}
	const limited = "Too many failed login attempts from this address. Try again later."
	tests := []struct {
		name        string
		req         func() *http.Request
		wantStatus  int
		wantMessage string
		wantID      string
	}{
		{name: "basic, unknown user", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/api/org", nil)
			r.SetBasicAuth("nobody-else", "wrong")
			return r
		}, wantStatus: 429, wantMessage: limited, wantID: "password-auth.ip-limited"},
		{name: "basic, right password", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/api/serviceaccounts/search", nil)
			r.SetBasicAuth("admin", "admin")
			return r
		}, wantStatus: 429, wantMessage: limited, wantID: "password-auth.ip-limited"},
		{name: "login", req: func() *http.Request {
			r := httptest.NewRequest("POST", "/login", strings.NewReader(`{"user":"admin","password":"wrong"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, wantStatus: 429, wantMessage: limited, wantID: "password-auth.ip-limited"},
		{name: "bearer garbage", req: func() *http.Request {
			return tokenRequest("GET", "/api/org", "", "bearer", "nope", ip)
		}, wantStatus: 401, wantMessage: "Invalid API key", wantID: "api-key.invalid"},
		{name: "basic api_key garbage", req: func() *http.Request {
			return tokenRequest("POST", "/api/serviceaccounts", `{"name":"x"}`, "basic", "nope", ip)
		}, wantStatus: 401, wantMessage: "Invalid API key", wantID: "api-key.invalid"},
	}
	for _, tc := range cases {
		tc := tc
		tests = append(tests, struct {
			name        string
			req         func() *http.Request
			wantStatus  int
			wantMessage string
			wantID      string
		}{name: "token " + tc.name, req: func() *http.Request {
			r := tokenRequest("GET", "/api/org", "", "basic", tc.token, ip)
			if tc.orgHeader != "" {
				r.Header.Set("X-Grafana-Org-Id", tc.orgHeader)
			}
			return r
		}, wantStatus: 401, wantMessage: tc.message, wantID: tc.messageID})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			r.RemoteAddr = ip + ":4321"
			w := httptest.NewRecorder()
			env.handler.ServeHTTP(w, r)
			if tt.wantStatus == 401 {
				checkUnauthorized(t, w, tt.wantMessage, tt.wantID)
				return
			}
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body: %.300s", w.Code, tt.wantStatus, w.Body)
			}
			var got struct {
				Message   string `json:"message"`
				MessageID string `json:"messageId"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body is not JSON: %.300s", w.Body)
			}
			if got.Message != tt.wantMessage || got.MessageID != tt.wantID {
				t.Errorf("body = %s, want message %q, messageId %q", w.Body, tt.wantMessage, tt.wantID)
			}
			if got := w.Header().Get("Retry-After"); got == "" {
				t.Error("no Retry-After on a 429")
			}
		})
	}
}
