package http

// Hostile and malformed input through the whole server (tracker issue 8): oversized and
// malformed bodies, deeply nested JSON, invalid UTF-8, absurd paging, negative and overflowing
// numbers, path traversal in ids and header injection. Every row names the exact status and,
// for errors, the exact Grafana-shaped {"message": …} body. The limits of the real net/http
// server (header size, slow bodies, lying Content-Length) are in cmd/warden/badinput_test.go.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// badInputCase is one request and the answer it must get.
type badInputCase struct {
	name   string
	method string
	target string
	body   string
	// header adds request headers; a body is sent as application/json unless this sets
	// Content-Type.
	header map[string]string
	// chunked hides the body's length, as a chunked upload does; contentLength, when not 0,
	// is the length the request claims instead of the real one.
	chunked       bool
	contentLength int64
	// auth: the admin's session cookie (the default, and cheap: no password hash), "basic"
	// (the admin's password) or "none".
	auth string

	wantStatus  int
	wantMessage string         // the JSON "message" of an error (status >= 400)
	wantFields  map[string]any // top-level JSON fields of a success, compared as JSON
	wantHeader  map[string]string
}

// badInputEnv is the server the bad-input rows run against: the admin, one service account
// and one team to aim at.
type badInputEnv struct {
	*testEnv
	session string
	saID    int64
	teamID  int64
}

func newBadInputEnv(t *testing.T) *badInputEnv {
	t.Helper()
	env := newTestEnv(t, nil)
	ctx := adminContext(t, env)
	a, err := env.svc.CreateServiceAccount(ctx, "target", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := env.svc.CreateTeam(ctx, "target-team", "")
	if err != nil {
		t.Fatal(err)
	}
	return &badInputEnv{testEnv: env, session: env.session(t, "admin", "admin"), saID: a.ID, teamID: tm.ID}
}

// adminContext returns a context acting as the server admin in org 1.
func adminContext(t testing.TB, env *testEnv) context.Context {
	t.Helper()
	ctx := context.Background()
	admin, err := env.svc.LookupUser(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.svc.UserPrincipal(ctx, admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	return warden.NewContextWithPrincipal(ctx, p)
}

// lengthHider hides a reader's type, so the request has no Content-Length.
type lengthHider struct{ io.Reader }

// run sends the case and checks the answer, plus what every answer must satisfy: no header
// carries CR or LF and none was injected.
func (e *badInputEnv) run(t *testing.T, tc badInputCase) {
	t.Helper()
	var rd io.Reader = strings.NewReader(tc.body)
	if tc.chunked {
		rd = lengthHider{rd}
	}
	r := httptest.NewRequest(tc.method, tc.target, rd)
	r.RemoteAddr = "192.0.2.1:1234"
	if tc.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range tc.header {
		r.Header[http.CanonicalHeaderKey(k)] = []string{v} // as sent: Set would not clean it either
	}
	if tc.contentLength != 0 {
		r.ContentLength = tc.contentLength
	}
	switch tc.auth {
	case "basic":
		r.SetBasicAuth("admin", "admin")
	case "", "session":
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: e.session})
		r.Header.Set("Origin", "http://example.com")
	case "none":
	default:
		t.Fatalf("unknown auth %q", tc.auth)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)

	if w.Code != tc.wantStatus {
		t.Errorf("status = %d, want %d; body: %.300s", w.Code, tc.wantStatus, w.Body)
	}
	for k, want := range tc.wantHeader {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	checkNoInjectedHeaders(t, w.Header())
	if tc.wantStatus >= 300 && tc.wantStatus < 400 {
		return // a redirect: its Location is checked above
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json; body: %.300s", ct, w.Body)
	}
	if tc.wantStatus >= 400 {
		checkErrorMessage(t, w.Body.Bytes(), tc.wantMessage)
		return
	}
	if len(tc.wantFields) == 0 {
		if !json.Valid(w.Body.Bytes()) {
			t.Errorf("body is not JSON: %.300s", w.Body)
		}
		return
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not a JSON object: %v: %.300s", err, w.Body)
	}
	for k, v := range tc.wantFields {
		want, _ := json.Marshal(v)
		if string(got[k]) != string(want) {
			t.Errorf("%s = %s, want %s", k, got[k], want)
		}
	}
}

// checkErrorMessage checks that body is Grafana's error shape with the given message.
func checkErrorMessage(t *testing.T, body []byte, want string) {
	t.Helper()
	var e struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == nil {
		t.Errorf("body is not a JSON error with a message: %.300s", body)
		return
	}
	if *e.Message == "" || *e.Message != want {
		t.Errorf("message = %q, want %q", *e.Message, want)
	}
}

// checkNoInjectedHeaders fails if a response header was injected or carries a line break.
func checkNoInjectedHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, vs := range h {
		if strings.EqualFold(k, "X-Injected") || strings.EqualFold(k, "X") {
			t.Errorf("injected response header %s: %q", k, vs)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Errorf("response header %s = %q holds a control character", k, v)
			}
		}
	}
}

// nested returns JSON arrays nested depth deep.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// padded returns the JSON object obj padded with spaces to exactly n bytes.
func padded(obj string, n int) string { return obj + strings.Repeat(" ", n-len(obj)) }

func TestBadInput_Bodies(t *testing.T) {
	t.Parallel()
	env := newBadInputEnv(t)
	tokens := "/api/serviceaccounts/" + strconv.FormatInt(env.saID, 10) + "/tokens"
	patch := "/api/serviceaccounts/" + strconv.FormatInt(env.saID, 10)
	const saBad, bad = "Bad request data", "bad request data"
	tooLarge := "Request body too large"

	tests := []badInputCase{
		// Invalid UTF-8 is refused, not stored with U+FFFD in place of the bad bytes.
		{name: "sa create, invalid UTF-8 name", method: "POST", target: "/api/serviceaccounts",
			body: "{\"name\":\"bad\xff\xfe\"}", wantStatus: 400, wantMessage: saBad},
		{name: "sa create, invalid UTF-8 name, basic auth", method: "POST", target: "/api/serviceaccounts", auth: "basic",
			body: "{\"name\":\"bad\xff\xfe\"}", wantStatus: 400, wantMessage: saBad},
		{name: "sa create, invalid UTF-8 in an ignored field", method: "POST", target: "/api/serviceaccounts",
			body: "{\"name\":\"ok-utf8\",\"x\":\"\xc3\"}", wantStatus: 400, wantMessage: saBad},
		{name: "sa create, overlong UTF-8 slash", method: "POST", target: "/api/serviceaccounts",
			body: "{\"name\":\"a\xc0\xafb\"}", wantStatus: 400, wantMessage: saBad},
		{name: "sa create, UTF-16 surrogate encoded as UTF-8", method: "POST", target: "/api/serviceaccounts",
			body: "{\"name\":\"a\xed\xa0\x80b\"}", wantStatus: 400, wantMessage: saBad},
		{name: "sa create, valid UTF-8 name", method: "POST", target: "/api/serviceaccounts", auth: "basic",
			body: `{"name":"Grüße 東京 🚀"}`, wantStatus: 201, wantFields: map[string]any{"name": "Grüße 東京 🚀"}},
		// A NUL cannot be stored by PostgreSQL: refused the same way on every store.
		{name: "sa create, NUL in name", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"nul\u0000x"}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, escaped backslash then u0000 is text", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"back\\u0000slash"}`, wantStatus: 201, wantFields: map[string]any{"name": `back\u0000slash`}},
		{name: "sa create, escaped backslash then NUL", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"back\\\u0000"}`, wantStatus: 400, wantMessage: saBad},
		// A lone surrogate escape is valid JSON syntax; Go (and Grafana) decode it as U+FFFD.
		{name: "sa create, lone surrogate escape", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"lone\ud800"}`, wantStatus: 201, wantFields: map[string]any{"name": "lone\ufffd"}},

		// Structure.
		{name: "sa create, nested 10001 deep", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"deep","x":` + nested(10001) + `}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, nested 100000 deep", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"deeper","x":` + nested(100000) + `}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, nested 10000 deep name", method: "POST", target: "/api/serviceaccounts",
			body: strings.Repeat(`{"name":`, 10000) + `"x"` + strings.Repeat("}", 10000), wantStatus: 400, wantMessage: saBad},
		{name: "sa create, nested 9000 deep in an ignored field", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"deep-ok","x":` + nested(9000) + `}`, wantStatus: 201, wantFields: map[string]any{"name": "deep-ok"}},
		{name: "sa create, trailing garbage", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"trail"} x`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, two objects", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"one"}{"name":"two"}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, truncated", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"trunc`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, duplicate keys: the last wins, as in Grafana", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"dup1","name":"dup2"}`, wantStatus: 201, wantFields: map[string]any{"name": "dup2"}},
		{name: "sa create, duplicate keys differing in case", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"dup3","NAME":"dup4"}`, wantStatus: 201, wantFields: map[string]any{"name": "dup4"}},
		{name: "sa create, array body", method: "POST", target: "/api/serviceaccounts",
			body: `[{"name":"arr"}]`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, string body", method: "POST", target: "/api/serviceaccounts",
			body: `"name"`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, null body", method: "POST", target: "/api/serviceaccounts",
			body: `null`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, name is a number", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":7}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, BOM before the object", method: "POST", target: "/api/serviceaccounts",
			body: "\ufeff{\"name\":\"bom\"}", wantStatus: 400, wantMessage: saBad},

		// Content types.
		{name: "sa create, text/plain", method: "POST", target: "/api/serviceaccounts", body: `{"name":"ct1"}`,
			header: map[string]string{"Content-Type": "text/plain"}, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, form encoded", method: "POST", target: "/api/serviceaccounts", body: `name=ct2`,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, multipart", method: "POST", target: "/api/serviceaccounts", body: "--b--",
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, content type with CRLF", method: "POST", target: "/api/serviceaccounts", body: `{"name":"ct3"}`,
			header: map[string]string{"Content-Type": "application/json\r\nX-Injected: 1"}, wantStatus: 400, wantMessage: saBad},
		{name: "sa create, json with charset", method: "POST", target: "/api/serviceaccounts", body: `{"name":"ct4"}`,
			header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, wantStatus: 201,
			wantFields: map[string]any{"name": "ct4"}},

		// Size: the limit is 1 MiB, refused by the Content-Length it claims or while reading.
		{name: "sa create, exactly 1 MiB", method: "POST", target: "/api/serviceaccounts",
			body: padded(`{"name":"big-ok"}`, maxBodyBytes), wantStatus: 201, wantFields: map[string]any{"name": "big-ok"}},
		{name: "sa create, 1 MiB + 1", method: "POST", target: "/api/serviceaccounts",
			body: padded(`{"name":"big"}`, maxBodyBytes+1), wantStatus: 413, wantMessage: tooLarge},
		{name: "sa create, 1 MiB + 1 chunked", method: "POST", target: "/api/serviceaccounts", chunked: true,
			body: padded(`{"name":"big"}`, maxBodyBytes+1), wantStatus: 413, wantMessage: tooLarge},
		{name: "sa create, 8 MiB chunked", method: "POST", target: "/api/serviceaccounts", chunked: true,
			body: padded(`{"name":"big"}`, 8*maxBodyBytes), wantStatus: 413, wantMessage: tooLarge},
		{name: "sa create, Content-Length claims 2 MiB", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"liar"}`, contentLength: 2 * maxBodyBytes, wantStatus: 413, wantMessage: tooLarge},
		{name: "sa create, Content-Length claims 2^63-1", method: "POST", target: "/api/serviceaccounts",
			body: `{"name":"liar"}`, contentLength: 1<<63 - 1, wantStatus: 413, wantMessage: tooLarge},
		{name: "login, 2 MiB", method: "POST", target: "/login", auth: "none",
			body: padded(`{"user":"admin","password":"admin"}`, 2*maxBodyBytes), wantStatus: 413, wantMessage: tooLarge},
		{name: "token issue, 2 MiB", method: "POST", target: tokens,
			body: padded(`{"name":"big"}`, 2*maxBodyBytes), wantStatus: 413, wantMessage: tooLarge},
		{name: "team create, 2 MiB chunked", method: "POST", target: "/api/teams", chunked: true,
			body: padded(`{"name":"big"}`, 2*maxBodyBytes), wantStatus: 413, wantMessage: tooLarge},
		{name: "org update, 2 MiB", method: "PUT", target: "/api/org",
			body: padded(`{"name":"big"}`, 2*maxBodyBytes), wantStatus: 413, wantMessage: tooLarge},

		// PATCH /api/serviceaccounts/{id}.
		{name: "sa update, invalid UTF-8 name", method: "PATCH", target: patch,
			body: "{\"name\":\"\xff\"}", wantStatus: 400, wantMessage: saBad},
		{name: "sa update, isDisabled is a string", method: "PATCH", target: patch,
			body: `{"isDisabled":"yes"}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa update, unknown role", method: "PATCH", target: patch,
			body: `{"role":"Superuser"}`, wantStatus: 400, wantMessage: saBad},
		{name: "sa update, name too long", method: "PATCH", target: patch,
			body: `{"name":"` + strings.Repeat("é", warden.MaxNameLen+1) + `"}`, wantStatus: 400,
			wantMessage: "name is too long (at most 190 characters)"},
		{name: "sa update, trailing garbage", method: "PATCH", target: patch,
			body: `{"name":"x"}]`, wantStatus: 400, wantMessage: saBad},

		// POST /api/serviceaccounts/{id}/tokens: secondsToLive.
		{name: "token, secondsToLive -1", method: "POST", target: tokens,
			body: `{"name":"neg","secondsToLive":-1}`, wantStatus: 400, wantMessage: "invalid SecondsToLive value"},
		{name: "token, secondsToLive -2^63", method: "POST", target: tokens,
			body: `{"name":"min","secondsToLive":-9223372036854775808}`, wantStatus: 400, wantMessage: "invalid SecondsToLive value"},
		{name: "token, secondsToLive 2^63-1", method: "POST", target: tokens,
			body: `{"name":"max","secondsToLive":9223372036854775807}`, wantStatus: 400, wantMessage: "invalid SecondsToLive value"},
		{name: "token, secondsToLive 2^63", method: "POST", target: tokens,
			body: `{"name":"over","secondsToLive":9223372036854775808}`, wantStatus: 400, wantMessage: saBad},
		{name: "token, secondsToLive 10^20", method: "POST", target: tokens,
			body: `{"name":"over","secondsToLive":99999999999999999999}`, wantStatus: 400, wantMessage: saBad},
		{name: "token, secondsToLive float", method: "POST", target: tokens,
			body: `{"name":"float","secondsToLive":1.5}`, wantStatus: 400, wantMessage: saBad},
		{name: "token, secondsToLive exponent", method: "POST", target: tokens,
			body: `{"name":"exp","secondsToLive":1e3}`, wantStatus: 400, wantMessage: saBad},
		{name: "token, secondsToLive string", method: "POST", target: tokens,
			body: `{"name":"str","secondsToLive":"60"}`, wantStatus: 400, wantMessage: saBad},
		{name: "token, secondsToLive true", method: "POST", target: tokens,
			body: `{"name":"bool","secondsToLive":true}`, wantStatus: 400, wantMessage: saBad},
		{name: "token, secondsToLive null means none", method: "POST", target: tokens,
			body: `{"name":"null-ttl","secondsToLive":null}`, wantStatus: 200, wantFields: map[string]any{"name": "null-ttl"}},
		{name: "token, secondsToLive 100 years", method: "POST", target: tokens,
			body: `{"name":"century","secondsToLive":3155760000}`, wantStatus: 200, wantFields: map[string]any{"name": "century"}},
		{name: "token, invalid UTF-8 name", method: "POST", target: tokens,
			body: "{\"name\":\"t\xff\"}", wantStatus: 400, wantMessage: saBad},
		{name: "token, NUL in name", method: "POST", target: tokens,
			body: `{"name":"t\u0000"}`, wantStatus: 400, wantMessage: saBad},

		// POST /api/admin/users.
		{name: "user create, invalid UTF-8 login", method: "POST", target: "/api/admin/users",
			body: "{\"login\":\"u\xff\",\"password\":\"secret\"}", wantStatus: 400, wantMessage: bad},
		{name: "user create, NUL in login", method: "POST", target: "/api/admin/users",
			body: `{"login":"u\u0000","password":"secret"}`, wantStatus: 400, wantMessage: bad},
		{name: "user create, NUL in password", method: "POST", target: "/api/admin/users",
			body: `{"login":"nulpw","password":"sec\u0000ret"}`, wantStatus: 400, wantMessage: bad},
		{name: "user create, orgId -1", method: "POST", target: "/api/admin/users",
			body: `{"login":"neg-org","password":"secret","orgId":-1}`, wantStatus: 400, wantMessage: "organization not found"},
		{name: "user create, orgId 2^63-1", method: "POST", target: "/api/admin/users",
			body: `{"login":"max-org","password":"secret","orgId":9223372036854775807}`, wantStatus: 400, wantMessage: "organization not found"},
		{name: "user create, orgId 2^64", method: "POST", target: "/api/admin/users",
			body: `{"login":"over-org","password":"secret","orgId":18446744073709551616}`, wantStatus: 400, wantMessage: bad},
		{name: "user create, orgId float", method: "POST", target: "/api/admin/users",
			body: `{"login":"float-org","password":"secret","orgId":1.5}`, wantStatus: 400, wantMessage: bad},
		{name: "user create, password is a number", method: "POST", target: "/api/admin/users",
			body: `{"login":"numpw","password":1234}`, wantStatus: 400, wantMessage: bad},
		{name: "user create, trailing garbage", method: "POST", target: "/api/admin/users",
			body: `{"login":"tg","password":"secret"}}`, wantStatus: 400, wantMessage: bad},

		// PUT /api/org.
		{name: "org update, invalid UTF-8 name", method: "PUT", target: "/api/org",
			body: "{\"name\":\"org\xff\"}", wantStatus: 400, wantMessage: bad},
		{name: "org update, name is a number", method: "PUT", target: "/api/org",
			body: `{"name":123}`, wantStatus: 400, wantMessage: bad},
		{name: "org update, empty name", method: "PUT", target: "/api/org",
			body: `{"name":""}`, wantStatus: 400, wantMessage: bad},
		{name: "org update, name too long", method: "PUT", target: "/api/org",
			body: `{"name":"` + strings.Repeat("a", warden.MaxNameLen+1) + `"}`, wantStatus: 400,
			wantMessage: "name is too long (at most 190 characters)"},
		{name: "org update, text/plain", method: "PUT", target: "/api/org", body: `{"name":"o"}`,
			header: map[string]string{"Content-Type": "text/plain"}, wantStatus: 400, wantMessage: bad},

		// POST /api/teams.
		{name: "team create, invalid UTF-8 name", method: "POST", target: "/api/teams",
			body: "{\"name\":\"team\xff\"}", wantStatus: 400, wantMessage: bad},
		{name: "team create, NUL in email", method: "POST", target: "/api/teams",
			body: `{"name":"nul-team","email":"a\u0000@b"}`, wantStatus: 400, wantMessage: bad},
		{name: "team create, array body", method: "POST", target: "/api/teams",
			body: `[]`, wantStatus: 400, wantMessage: bad},
		{name: "team create, nested 10001 deep", method: "POST", target: "/api/teams",
			body: `{"name":"deep","x":` + nested(10001) + `}`, wantStatus: 400, wantMessage: bad},

		// POST /login: malformed bodies are 400 "bad login data", never a 401 or 5xx.
		{name: "login, invalid UTF-8 user", method: "POST", target: "/login", auth: "none",
			body: "{\"user\":\"admin\xff\",\"password\":\"admin\"}", wantStatus: 400, wantMessage: "bad login data"},
		{name: "login, NUL in user", method: "POST", target: "/login", auth: "none",
			body: `{"user":"admin\u0000","password":"admin"}`, wantStatus: 400, wantMessage: "bad login data"},
		{name: "login, trailing garbage", method: "POST", target: "/login", auth: "none",
			body: `{"user":"admin","password":"admin"} {}`, wantStatus: 400, wantMessage: "bad login data"},
		{name: "login, nested 10001 deep", method: "POST", target: "/login", auth: "none",
			body: `{"user":"admin","password":"admin","x":` + nested(10001) + `}`, wantStatus: 400, wantMessage: "bad login data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { env.run(t, tc) })
	}
}

// TestBadInput_Paging sends absurd perpage and page values to every search: they fall back to
// the defaults (perpage 1000, page 1) or clamp; none is an error.
func TestBadInput_Paging(t *testing.T) {
	t.Parallel()
	env := newBadInputEnv(t)
	values := []struct {
		name      string
		value     string
		wantPer   int // perpage when sent as perpage
		wantPage  int // page when sent as page
		pageClamp bool
		// unstorable text (a NUL, invalid UTF-8) in any query value: 400 before any handler.
		unstorable bool
	}{
		{name: "10^20", value: "99999999999999999999", wantPer: 1000, wantPage: 1},
		{name: "2^63", value: "9223372036854775808", wantPer: 1000, wantPage: 1},
		{name: "2^64", value: "18446744073709551616", wantPer: 1000, wantPage: 1},
		{name: "2^63-1", value: "9223372036854775807", wantPer: 1000, wantPage: 1 << 30 / 1000},
		{name: "2^31", value: "2147483648", wantPer: 1000, wantPage: 1 << 30 / 1000},
		{name: "negative", value: "-5", wantPer: 1000, wantPage: 1},
		{name: "-2^63", value: "-9223372036854775808", wantPer: 1000, wantPage: 1},
		{name: "zero", value: "0", wantPer: 1000, wantPage: 1},
		{name: "non-numeric", value: "abc", wantPer: 1000, wantPage: 1},
		{name: "exponent", value: "1e3", wantPer: 1000, wantPage: 1},
		{name: "float", value: "2.5", wantPer: 1000, wantPage: 1},
		{name: "leading space", value: " 2", wantPer: 1000, wantPage: 1},
		{name: "NUL", value: "2\x00", unstorable: true},
		{name: "invalid UTF-8", value: "2\xff", unstorable: true},
		{name: "empty", value: "", wantPer: 1000, wantPage: 1},
		{name: "plain 7", value: "7", wantPer: 7, wantPage: 7},
	}
	searches := []struct {
		path    string
		perpage bool // the response reports perPage and page
	}{
		{"/api/serviceaccounts/search", true},
		{"/api/users/search", true},
		{"/api/teams/search", true},
		{"/api/org/users/search", true},
		{"/api/users", false},
		{"/api/orgs", false},
	}
	var tests []badInputCase
	for _, s := range searches {
		for _, v := range values {
			q := url.QueryEscape(v.value)
			per := badInputCase{name: s.path + " perpage " + v.name, method: "GET", target: s.path + "?perpage=" + q, wantStatus: 200}
			page := badInputCase{name: s.path + " page " + v.name, method: "GET", target: s.path + "?page=" + q, wantStatus: 200}
			if v.unstorable {
				per.wantStatus, per.wantMessage = 400, "Bad request data"
				page.wantStatus, page.wantMessage = 400, "Bad request data"
			} else if s.perpage {
				per.wantFields = map[string]any{"perPage": v.wantPer, "page": 1}
				page.wantFields = map[string]any{"perPage": 1000, "page": v.wantPage}
			}
			tests = append(tests, per, page)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { env.run(t, tc) })
	}
}

// TestBadInput_PathIDs sends traversal, NUL, signs, overflow and exponents as path ids. An id
// that is not an integer is a UID to resolve (404 when unknown), as in Grafana.
func TestBadInput_PathIDs(t *testing.T) {
	t.Parallel()
	env := newBadInputEnv(t)
	sa := strconv.FormatInt(env.saID, 10)
	const saNotFound, notFound = "service account not found", "Not found"
	type idCase struct {
		raw                      string // as written in the request target
		saStatus                 int
		saMessage                string
		userMessage, teamMessage string // GET /api/users/{id}, GET /api/teams/{id}: always 404
		tokenStatus              int    // DELETE …/tokens/{raw}
		tokenMessage             string
		orgStatus                int // GET /api/orgs/{raw}: 403 unless a positive integer
		orgMessage               string
		// unstorable: a NUL or invalid UTF-8, refused with 400 on every route before any
		// lookup (PostgreSQL could not even compare it).
		unstorable bool
	}
	const tokenInvalid = "Token ID is invalid"
	denied := "You'll need additional permissions to perform this action. Permissions needed: orgs:read"
	ids := []idCase{
		{raw: "..%2F1", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "%2e%2e%2f", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "..%5C1", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "1%00", unstorable: true},
		{raw: "1%0d%0aX-Injected:%201", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "-1", saStatus: 404, saMessage: saNotFound, userMessage: "user not found", teamMessage: "Team not found", tokenStatus: 404, tokenMessage: "service account token not found"},
		{raw: "0", saStatus: 404, saMessage: saNotFound, userMessage: "user not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: "invalid service account token id specified"},
		{raw: "99999999999999999999", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "9223372036854775807", saStatus: 404, saMessage: saNotFound, userMessage: "user not found", teamMessage: "Team not found", tokenStatus: 404, tokenMessage: "service account token not found",
			orgStatus: 404, orgMessage: "Organization not found"},
		{raw: "1e3", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "%201", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "0x10", saStatus: 404, saMessage: notFound, userMessage: "User not found", teamMessage: "Team not found", tokenStatus: 400, tokenMessage: tokenInvalid},
		{raw: "%ff", unstorable: true},
		{raw: "a%c3", unstorable: true}, // a UTF-8 sequence cut short
	}
	var tests []badInputCase
	for _, id := range ids {
		if id.unstorable {
			for _, c := range []struct{ method, target, body string }{
				{"GET", "/api/serviceaccounts/" + id.raw, ""},
				{"PATCH", "/api/serviceaccounts/" + id.raw, `{"name":"x"}`},
				{"POST", "/api/serviceaccounts/" + id.raw + "/tokens", `{"name":"x"}`},
				{"DELETE", "/api/serviceaccounts/" + sa + "/tokens/" + id.raw, ""},
				{"GET", "/api/users/" + id.raw, ""},
				{"GET", "/api/teams/" + id.raw, ""},
				{"GET", "/api/orgs/" + id.raw, ""},
				{"GET", "/org/serviceaccounts/" + id.raw, ""},
			} {
				tests = append(tests, badInputCase{name: c.method + " " + c.target, method: c.method, target: c.target,
					body: c.body, wantStatus: 400, wantMessage: "Bad request data"})
			}
			continue
		}
		if id.orgStatus == 0 {
			id.orgStatus, id.orgMessage = 403, denied
		}
		tests = append(tests,
			badInputCase{name: "sa get " + id.raw, method: "GET", target: "/api/serviceaccounts/" + id.raw,
				wantStatus: id.saStatus, wantMessage: id.saMessage},
			badInputCase{name: "sa patch " + id.raw, method: "PATCH", target: "/api/serviceaccounts/" + id.raw,
				body: `{"name":"x"}`, wantStatus: id.saStatus, wantMessage: id.saMessage},
			badInputCase{name: "token issue " + id.raw, method: "POST", target: "/api/serviceaccounts/" + id.raw + "/tokens",
				body: `{"name":"x"}`, wantStatus: id.saStatus, wantMessage: id.saMessage},
			badInputCase{name: "token delete " + id.raw, method: "DELETE", target: "/api/serviceaccounts/" + sa + "/tokens/" + id.raw,
				wantStatus: id.tokenStatus, wantMessage: id.tokenMessage},
			badInputCase{name: "user get " + id.raw, method: "GET", target: "/api/users/" + id.raw,
				wantStatus: 404, wantMessage: id.userMessage},
			badInputCase{name: "team get " + id.raw, method: "GET", target: "/api/teams/" + id.raw,
				wantStatus: 404, wantMessage: id.teamMessage},
			// Routes under /api/orgs/{orgId} refuse an org id that is not a positive integer
			// before looking anything up.
			badInputCase{name: "org get " + id.raw, method: "GET", target: "/api/orgs/" + id.raw,
				wantStatus: id.orgStatus, wantMessage: id.orgMessage},
		)
	}
	// An existing org id answers, so the 403s above are about the id alone.
	tests = append(tests, badInputCase{name: "org get 1", method: "GET", target: "/api/orgs/1", wantStatus: 200,
		wantFields: map[string]any{"id": 1}})
	// Unescaped dot segments never reach a handler: the mux redirects to the cleaned path.
	tests = append(tests,
		badInputCase{name: "dot segments in sa path", method: "GET", target: "/api/serviceaccounts/../1",
			wantStatus: 307, wantHeader: map[string]string{"Location": "/api/1"}},
		badInputCase{name: "dot segments out of api", method: "GET", target: "/api/../../etc/passwd",
			wantStatus: 307, wantHeader: map[string]string{"Location": "/etc/passwd"}},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { env.run(t, tc) })
	}
}

// TestBadInput_StaticTraversal checks that the static files cannot reach outside their
// embedded directory.
func TestBadInput_StaticTraversal(t *testing.T) {
	t.Parallel()
	env := newBadInputEnv(t)
	for _, target := range []string{
		"/public/..%2f..%2fgo.mod",
		"/public/%2e%2e/%2e%2e/go.mod",
		"/public/..%5c..%5cgo.mod",
		"/public/css/..%2f..%2f..%2fgo.mod",
	} {
		t.Run(target, func(t *testing.T) {
			w := env.do(t, "GET", target, nil)
			if w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400 or 404; body: %.200s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "module github.com/wardenhq/warden") {
				t.Errorf("served a file outside public/: %.200s", w.Body)
			}
		})
	}
}

// TestBadInput_Headers covers injection through request headers and values echoed into
// response headers, and X-Grafana-Org-Id values that are not org ids.
func TestBadInput_Headers(t *testing.T) {
	t.Parallel()
	env := newBadInputEnv(t)
	crlf := "1\r\nX-Injected: 1"
	org1 := map[string]any{"id": 1, "name": "Main Org."}
	tests := []badInputCase{
		// X-Grafana-Org-Id that is not a positive integer is ignored (SPEC-identity §2.2).
		{name: "org header with CRLF", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": crlf}, wantStatus: 200, wantFields: org1},
		{name: "org header negative", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "-1"}, wantStatus: 200, wantFields: org1},
		{name: "org header zero", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "0"}, wantStatus: 200, wantFields: org1},
		{name: "org header non-numeric", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "abc"}, wantStatus: 200, wantFields: org1},
		{name: "org header 2^63", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "9223372036854775808"}, wantStatus: 200, wantFields: org1},
		{name: "org header 10^20", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "99999999999999999999"}, wantStatus: 200, wantFields: org1},
		{name: "org header with NUL", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "1\x00"}, wantStatus: 200, wantFields: org1},
		{name: "org header 1e3", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "1e3"}, wantStatus: 200, wantFields: org1},
		{name: "org header of an org that does not exist", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "2"}, wantStatus: 404, wantMessage: "Organization not found"},
		{name: "org header 2^63-1", method: "GET", target: "/api/org",
			header: map[string]string{"X-Grafana-Org-Id": "9223372036854775807"}, wantStatus: 404, wantMessage: "Organization not found"},
		{name: "targetOrgId negative", method: "GET", target: "/api/org?targetOrgId=-1", wantStatus: 200, wantFields: org1},
		{name: "targetOrgId 2^64", method: "GET", target: "/api/org?targetOrgId=18446744073709551616", wantStatus: 200, wantFields: org1},
		{name: "targetOrgId with CRLF", method: "GET", target: "/api/org?targetOrgId=1%0d%0aX-Injected:%201", wantStatus: 200, wantFields: org1},

		// Credentials with control characters are malformed: 401, never a lookup.
		{name: "basic user with CRLF", method: "GET", target: "/api/org", auth: "none",
			header:     map[string]string{"Authorization": basicHeader("admin\r\nX-Injected: 1", "admin")},
			wantStatus: 401, wantMessage: "Unauthorized"},
		{name: "basic user with NUL", method: "GET", target: "/api/org", auth: "none",
			header:     map[string]string{"Authorization": basicHeader("admin\x00", "admin")},
			wantStatus: 401, wantMessage: "Unauthorized"},
		{name: "basic user with invalid UTF-8", method: "GET", target: "/api/org", auth: "none",
			header:     map[string]string{"Authorization": basicHeader("admin\xff", "admin")},
			wantStatus: 401, wantMessage: "Unauthorized"},
		{name: "authorization with CRLF", method: "GET", target: "/api/org", auth: "none",
			header: map[string]string{"Authorization": "Basic " + crlf}, wantStatus: 401, wantMessage: "Unauthorized"},
		{name: "bearer with CRLF", method: "GET", target: "/api/org", auth: "none",
			header: map[string]string{"Authorization": "Bearer " + crlf}, wantStatus: 401, wantMessage: "Invalid API key"},
		{name: "bearer with NUL", method: "GET", target: "/api/org", auth: "none",
			header: map[string]string{"Authorization": "Bearer \x00"}, wantStatus: 401, wantMessage: "Invalid API key"},
		{name: "authorization of 60 KiB", method: "GET", target: "/api/org", auth: "none",
			header: map[string]string{"Authorization": "Bearer " + strings.Repeat("A", 60<<10)}, wantStatus: 401, wantMessage: "Invalid API key"},
		{name: "basic user of 60 KiB", method: "GET", target: "/api/org", auth: "none",
			header:     map[string]string{"Authorization": basicHeader(strings.Repeat("a", 45<<10), "x")},
			wantStatus: 401, wantMessage: "Invalid username or password"},

		// Values echoed into Location never carry a line break.
		{name: "redirectTo with CRLF, signed in", method: "GET", target: "/login?redirectTo=%2F%0d%0aX-Injected:%201", auth: "session",
			wantStatus: 303, wantHeader: map[string]string{"Location": "/"}},
		{name: "redirectTo with encoded CRLF, signed in", method: "GET", target: "/login?redirectTo=%2Fa%250d%250aX-Injected:1", auth: "session",
			wantStatus: 303, wantHeader: map[string]string{"Location": "/a%0d%0aX-Injected:1"}},
		{name: "redirectTo to another host, signed in", method: "GET", target: "/login?redirectTo=%2F%2Fevil.example", auth: "session",
			wantStatus: 303, wantHeader: map[string]string{"Location": "/"}},
		{name: "page with CRLF in its query, signed out", method: "GET", target: "/org/serviceaccounts?q=%0d%0aX-Injected:%201", auth: "none",
			wantStatus: 302, wantHeader: map[string]string{"Location": "/login?redirectTo=" +
				url.QueryEscape("/org/serviceaccounts?q=%0d%0aX-Injected:%201")}},
		{name: "sa named with CRLF, api", method: "POST", target: "/api/serviceaccounts", body: `{"name":"crlf\r\nX-Injected: 1"}`,
			wantStatus: 201, wantFields: map[string]any{"name": "crlf\r\nX-Injected: 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { env.run(t, tc) })
	}

	// A service account created from the UI with a CRLF in its name: the redirect names it
	// by id, and the flash cookie is escaped.
	t.Run("sa named with CRLF, ui", func(t *testing.T) {
		form := url.Values{"name": {"ui\r\nX-Injected: 1"}, "role": {"Viewer"}, "csrf": {csrfFor(env.session)}}
		w := env.do(t, "POST", "/org/serviceaccounts/create", strings.NewReader(form.Encode()),
			withCookie(SessionCookie, env.session), withHeader("Origin", "http://example.com"),
			withHeader("Content-Type", "application/x-www-form-urlencoded"))
		if w.Code != http.StatusSeeOther {
			t.Fatalf("status = %d, want 303; body: %.300s", w.Code, w.Body)
		}
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/org/serviceaccounts/") {
			t.Errorf("Location = %q, want /org/serviceaccounts/<id>", loc)
		}
		checkNoInjectedHeaders(t, w.Header())
	})
}

func basicHeader(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}
