package main

// End-to-end tests of SPEC-identity §13 (the HTTP-level conformance checklist), one test per
// item, named by its number, plus tests for the issue's own requirements (routing 404s, request
// binding, CSRF origin checks, org context, session revocation, cookie attributes, the RBAC
// deny body and the per-IP limit). Every test runs a real server over real HTTP.
//
// Items that need routes not built yet are not here: 18, 30, 31 and the service-account parts
// of 45, 46, 52 and 72 (service accounts); 43, 44, 53's GET /api/users (user search); 55, 57,
// 58, 61, 63–65, 67–71, 73, 74, 77–79, 83–96, 100 (later issues). Item 14's expiry part (the
// attempts ageing out of the 5-minute window) needs an injected clock: a service test.

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------------------------
// Helpers (the harness in harness_test.go is shared; these are this file's own).

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
}

// wantBody fails unless r's JSON body equals want (compared as JSON values, so key order and
// spacing do not matter).
func wantBody(t *testing.T, r *response, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body = %s, want %s", strings.TrimSpace(string(r.Body)), want)
	}
}

// normalize turns v into what encoding/json decodes it as (numbers become float64 …).
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantFields fails unless every key of want is in the JSON object m with an equal value.
func wantFields(t *testing.T, m map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		got, ok := m[k]
		if !ok {
			t.Errorf("field %q missing in %v", k, m)
			continue
		}
		if !reflect.DeepEqual(got, normalize(t, v)) {
			t.Errorf("field %q = %#v, want %#v", k, got, v)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// wantKeys fails unless the JSON object m has exactly the keys.
func wantKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keys = %v, want %v (object %v)", got, want, m)
	}
}

var accessErrorIDRe = regexp.MustCompile(`^ACE[0-9]{10}$`)

// wantAccessDenied fails unless r is the RBAC 403 naming action.
func wantAccessDenied(t *testing.T, r *response, action string) {
	t.Helper()
	wantStatus(t, r, http.StatusForbidden)
	m := r.JSON(t)
	wantKeys(t, m, "title", "message", "accessErrorId")
	wantFields(t, m, map[string]any{
		"title":   "Access denied",
		"message": "You'll need additional permissions to perform this action. Permissions needed: " + action,
	})
	if id, _ := m["accessErrorId"].(string); !accessErrorIDRe.MatchString(id) {
		t.Fatalf("accessErrorId = %q, want ACE + 10 digits", m["accessErrorId"])
	}
}

// wantLoginFailed fails unless r is the 401 every failed password check answers.
func wantLoginFailed(t *testing.T, r *response) {
	t.Helper()
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{
		"message":    "Invalid username or password",
		"messageId":  "password-auth.failed",
		"statusCode": 401,
	})
}

// wantUnauthorized fails unless r is the 401 for missing or unusable credentials.
func wantUnauthorized(t *testing.T, r *response) {
	t.Helper()
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"message": "Unauthorized"})
}

// postLogin sends POST /login from a fresh anonymous client.
func postLogin(t *testing.T, ts *testServer, user, pass string) *response {
	t.Helper()
	return ts.anon().do(t, "POST", "/login", map[string]string{"user": user, "password": pass})
}

// sessionCookie returns the warden_session Set-Cookie of r, failing when there is none.
func sessionCookie(t *testing.T, r *response) (*http.Cookie, string) {
	t.Helper()
	for _, line := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("bad Set-Cookie %q: %v", line, err)
		}
		if c.Name == "warden_session" {
			return c, line
		}
	}
	t.Fatalf("no warden_session cookie set; Set-Cookie: %q", r.Header.Values("Set-Cookie"))
	return nil, ""
}

// sessionValue returns the session cookie a logged-in client holds in its jar.
func sessionValue(t *testing.T, c *client) string {
	t.Helper()
	u, _ := url.Parse(c.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "warden_session" {
			return ck.Value
		}
	}
	t.Fatal("client holds no warden_session cookie")
	return ""
}

// cookieClient returns a client that sends only the given session cookie (no jar) and the
// server's own Origin.
func cookieClient(ts *testServer, value string) *client {
	c := ts.anon()
	c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c.with("Cookie", "warden_session="+value).with("Origin", ts.URL)
}

// bare returns a copy of c without its extra headers (so without the Origin login adds).
func bare(c *client) *client {
	cp := *c
	cp.headers = map[string]string{}
	return &cp
}

// idOf returns the numeric field key of m.
func idOf(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	f, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%s = %#v, want a number (in %v)", key, m[key], m)
	}
	return int64(f)
}

func itoa64(id int64) string { return strconv.FormatInt(id, 10) }

// setOrgRole changes a user's role in the admin's current org (org 1).
func setOrgRole(t *testing.T, ts *testServer, userID int64, role string) {
	t.Helper()
	r := ts.admin().expect(t, http.StatusOK, "PATCH", "/api/org/users/"+itoa64(userID), map[string]string{"role": role})
	wantBody(t, r, `{"message":"Organization user updated"}`)
}

// createOrg2 creates org "Org2" as the admin and checks it got id 2.
func createOrg2(t *testing.T, ts *testServer) {
	t.Helper()
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	wantBody(t, r, `{"orgId":2,"message":"Organization created"}`)
}

// createUserU creates the checklist's user u (item 34) and returns its id.
func createUserU(t *testing.T, ts *testServer) int64 {
	t.Helper()
	return ts.createUser(t, map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"})
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

const emptyAddress = `{"address1":"","address2":"","city":"","zipCode":"","state":"","country":""}`

// ---------------------------------------------------------------------------------------------
// Health & routing

func TestIdentity13_01_HealthIsPublicJSON(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusOK, "GET", "/api/health", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json…", ct)
	}
	m := r.JSON(t)
	wantFields(t, m, map[string]any{"database": "ok"})
	if v, ok := m["version"].(string); !ok || v == "" {
		t.Fatalf("version = %#v, want a non-empty string", m["version"])
	}
	// Newest Grafana pretty-prints with two spaces, database first.
	if !strings.HasPrefix(string(r.Body), "{\n  \"database\": \"ok\",\n  \"version\": ") {
		t.Fatalf("body is not the indented database/version/commit document: %s", r.Body)
	}
}

func TestIdentity13_02_HealthHead(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusOK, "HEAD", "/api/health", nil)
	if len(r.Body) != 0 {
		t.Fatalf("HEAD body = %q, want empty", r.Body)
	}
}

func TestIdentity13_03_UnknownAPIRouteNotFound(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusNotFound, "GET", "/api/does-not-exist", nil)
	wantBody(t, r, `{"message":"Not found"}`)
}

func TestIdentity13_04_NoCredentialsUnauthorized(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/org", nil))
}

func TestIdentity13_05_FrontendSettings(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/frontend/settings", nil))
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/frontend/settings", nil).JSON(t)
	bi, ok := m["buildInfo"].(map[string]any)
	if !ok {
		t.Fatalf("buildInfo = %#v, want an object", m["buildInfo"])
	}
	if v, ok := bi["version"].(string); !ok || v == "" {
		t.Fatalf("buildInfo.version = %#v, want a non-empty string", bi["version"])
	}
	if _, ok := m["featureToggles"].(map[string]any); !ok {
		t.Fatalf("featureToggles = %#v, want an object", m["featureToggles"])
	}
}

// ---------------------------------------------------------------------------------------------
// Sign-in

func TestIdentity13_06_LoginSetsSessionCookie(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := postLogin(t, ts, "admin", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
	c, line := sessionCookie(t, r)
	if c.Value == "" {
		t.Fatalf("empty session cookie: %q", line)
	}
	if c.Path != "/" || c.MaxAge != 2592000 || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("Set-Cookie %q: want Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax", line)
	}
}

func TestIdentity13_07_SessionCookieAuthenticates(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	value := sessionValue(t, ts.login(t, "admin", "admin"))
	m := cookieClient(ts, value).expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"login": "admin", "isGrafanaAdmin": true, "orgId": 1})
}

func TestIdentity13_08_LoginIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := postLogin(t, ts, "ADMIN", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
}

func TestIdentity13_09_LoginByEmail(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantStatus(t, postLogin(t, ts, "admin@localhost", "admin"), http.StatusOK)
	wantStatus(t, postLogin(t, ts, "Admin@LocalHost", "admin"), http.StatusOK)
}

func TestIdentity13_10_LoginWrongPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := postLogin(t, ts, "admin", "wrong")
	wantLoginFailed(t, r)
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("failed login set cookies: %q", r.Header.Values("Set-Cookie"))
	}
}

func TestIdentity13_11_LoginUnknownUserSameBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wrong := postLogin(t, ts, "admin", "wrong")
	unknown := postLogin(t, ts, "nobody", "x")
	wantLoginFailed(t, unknown)
	if !reflect.DeepEqual(wrong.JSON(t), unknown.JSON(t)) {
		t.Fatalf("unknown user body %s differs from wrong password body %s", unknown.Body, wrong.Body)
	}
}

func TestIdentity13_12_LoginMissingPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusBadRequest, "POST", "/login", map[string]string{"user": "admin"})
	wantFields(t, r.JSON(t), map[string]any{"message": "bad login data", "messageId": "form-auth.invalid", "statusCode": 400})
}

func TestIdentity13_13_LoginEmptyBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusBadRequest, "POST", "/login", map[string]string{})
	wantFields(t, r.JSON(t), map[string]any{"message": "bad login data", "messageId": "form-auth.invalid", "statusCode": 400})
	r = ts.anon().expect(t, http.StatusBadRequest, "POST", "/login", map[string]string{"user": "", "password": "admin"})
	wantFields(t, r.JSON(t), map[string]any{"message": "bad login data"})
}

// The second half of item 14 (after the attempts are older than 5 minutes → 200) cannot be
// reached over HTTP, the window being fixed; it belongs to a service test with a clock.
func TestIdentity13_14_BruteForceLocksUsername(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "u1", "password": "pass1"})
	var first *response
	for i := 0; i < 5; i++ {
		user := "u1"
		if i%2 == 1 {
			user = "U1" // attempts are counted per lower-cased username
		}
		r := postLogin(t, ts, user, "wrong")
		wantLoginFailed(t, r)
		if first == nil {
			first = r
		}
	}
	r := postLogin(t, ts, "u1", "pass1")
	wantLoginFailed(t, r)
	if !reflect.DeepEqual(r.JSON(t), first.JSON(t)) {
		t.Fatalf("locked-out body %s differs from wrong-password body %s", r.Body, first.Body)
	}
	// Basic auth is locked too.
	wantLoginFailed(t, ts.basic("u1", "pass1").do(t, "GET", "/api/user", nil))
}

func TestIdentity13_15_BruteForceIsPerUsername(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "u1", "password": "pass1"})
	for i := 0; i < 5; i++ {
		wantLoginFailed(t, postLogin(t, ts, "u1", "wrong"))
	}
	wantLoginFailed(t, postLogin(t, ts, "u1", "pass1"))
	r := postLogin(t, ts, "admin", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
}

func TestIdentity13_16_BasicAuthWrongPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantLoginFailed(t, ts.basic("admin", "wrong").do(t, "GET", "/api/org", nil))
}

func TestIdentity13_17_BasicAuthFailuresCountTowardLockout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "u1", "password": "pass1"})
	for i := 0; i < 5; i++ {
		wantLoginFailed(t, ts.basic("u1", "wrong").do(t, "GET", "/api/org", nil))
	}
	wantLoginFailed(t, postLogin(t, ts, "u1", "pass1"))
}

func TestIdentity13_19_DisabledUserCannotLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := ts.createUser(t, map[string]any{"login": "u2", "password": "pass2"})
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(id)+"/disable", nil)
	r := postLogin(t, ts, "u2", "pass2")
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"message": "Unauthorized", "messageId": "identity.disabled", "statusCode": 401})
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("disabled user got cookies: %q", r.Header.Values("Set-Cookie"))
	}
	wantLoginFailed(t, postLogin(t, ts, "u2", "wrong"))
}

func TestIdentity13_20_LogoutEndsSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	c := ts.login(t, "admin", "admin")
	value := sessionValue(t, c)
	r := c.expect(t, http.StatusFound, "GET", "/logout", nil)
	if loc := r.Header.Get("Location"); loc != "/login" {
		t.Fatalf("Location = %q, want /login", loc)
	}
	ck, line := sessionCookie(t, r)
	if ck.Value != "" || ck.MaxAge >= 0 {
		t.Fatalf("logout Set-Cookie %q does not clear the cookie", line)
	}
	wantUnauthorized(t, cookieClient(ts, value).do(t, "GET", "/api/user", nil))
}

func TestIdentity13_21_LoginPing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.login(t, "admin", "admin").expect(t, http.StatusOK, "GET", "/api/login/ping", nil)
	wantBody(t, r, `{"message":"Logged in"}`)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/login/ping", nil))
}

// ---------------------------------------------------------------------------------------------
// Current user

func TestIdentity13_22_UserOrgs(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Admin"}]`)
}

func TestIdentity13_23_SwitchOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/user/using/1", nil)
	wantBody(t, r, `{"message":"Active organization changed"}`)
}

func TestIdentity13_24_SwitchOrgNotMember(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusUnauthorized, "POST", "/api/user/using/999", nil)
	wantBody(t, r, `{"message":"Not a valid organization"}`)
}

func TestIdentity13_25_SwitchOrgBadID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/user/using/abc", nil)
	wantBody(t, r, `{"message":"id is invalid"}`)
}

func TestIdentity13_26_ChangeOwnPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "newpass1"})
	wantBody(t, r, `{"message":"User password changed"}`)
	wantLoginFailed(t, postLogin(t, ts, "admin", "admin"))
	wantStatus(t, postLogin(t, ts, "admin", "newpass1"), http.StatusOK)
}

func TestIdentity13_27_ChangePasswordWrongOld(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "nope", "newPassword": "newpass1"})
	wantFields(t, r.JSON(t), map[string]any{"message": "Invalid old password", "messageId": "user.password-missmatch", "statusCode": 400})
	wantStatus(t, postLogin(t, ts, "admin", "admin"), http.StatusOK)
}

func TestIdentity13_28_ChangePasswordTooShort(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "abc"})
	wantFields(t, r.JSON(t), map[string]any{"message": "New password is too short",
		"messageId": "password.password-policy-too-short", "statusCode": 400})
	wantStatus(t, postLogin(t, ts, "admin", "admin"), http.StatusOK)
}

func TestIdentity13_29_ChangePasswordFourChars(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "abcd"})
	wantBody(t, r, `{"message":"User password changed"}`)
	wantStatus(t, postLogin(t, ts, "admin", "abcd"), http.StatusOK)
}

func TestIdentity13_32_OrgHeaderSelectsOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantBody(t, r, `{"id":2,"name":"Org2","address":`+emptyAddress+`}`)
	m := ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"orgId": 1})
	// The header is not persisted.
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1, "name": "Main Org."})
}

func TestIdentity13_33_TargetOrgIDWinsOverHeader(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().with("X-Grafana-Org-Id", "1").expect(t, http.StatusOK, "GET", "/api/org?targetOrgId=2", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 2, "name": "Org2"})
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org?targetOrgId=1", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1, "name": "Main Org."})
	// A value that is not a positive integer is ignored.
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org?targetOrgId=abc", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 2})
}

// ---------------------------------------------------------------------------------------------
// Admin user management

func TestIdentity13_34_AdminCreatesUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"})
	m := r.JSON(t)
	wantKeys(t, m, "id", "uid", "message")
	wantFields(t, m, map[string]any{"message": "User created"})
	if id := idOf(t, m, "id"); id <= 1 {
		t.Fatalf("id = %d, want a new id > 1", id)
	}
	if uid, _ := m["uid"].(string); uid == "" {
		t.Fatalf("uid = %#v, want a non-empty string", m["uid"])
	}
	// Login and email are stored lower-cased.
	id := ts.createUser(t, map[string]any{"email": "Mixed@Example.COM", "login": "MixedCase", "password": "pass"})
	p := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(id), nil).JSON(t)
	wantFields(t, p, map[string]any{"login": "mixedcase", "email": "mixed@example.com"})
}

func TestIdentity13_35_CreateUserConflict(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"})
	wantBody(t, r, `{"message":"User with email 'u@example.com' or username 'u' already exists"}`)
	// The check is case-insensitive and the message quotes the values as sent.
	r = ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"email": "U@EXAMPLE.COM", "login": "U2", "password": "pass"})
	wantBody(t, r, `{"message":"User with email 'U@EXAMPLE.COM' or username 'U2' already exists"}`)
	r = ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"login": "U", "password": "pass"})
	wantBody(t, r, `{"message":"User with email '' or username 'U' already exists"}`)
}

func TestIdentity13_36_CreateUserEmailCollidesWithLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "v", "password": "pass"})
	r := ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"email": "v", "login": "x", "password": "pass"})
	wantBody(t, r, `{"message":"User with email 'v' or username 'x' already exists"}`)
}

func TestIdentity13_37_CreateUserMissingPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", map[string]any{"login": "w"})
	wantBody(t, r, `{"message":"bad request data"}`)
}

func TestIdentity13_38_CreateUserNoLoginNorEmail(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", map[string]any{"password": "pass"})
	wantFields(t, r.JSON(t), map[string]any{"message": "Need to specify either username or email",
		"messageId": "user.empty-username-and-email", "statusCode": 400})
}

func TestIdentity13_39_CreateUserPasswordTooShort(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", map[string]any{"login": "w", "password": "abc"})
	wantFields(t, r.JSON(t), map[string]any{"message": "New password is too short"})
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=w", nil)
}

func TestIdentity13_40_CreateUserInOtherOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	z := ts.createUser(t, map[string]any{"login": "z", "password": "pass", "OrgId": 2})
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil)
	wantBody(t, r, `[{"orgId":2,"name":"Org2","role":"Viewer"}]`)
	// orgId binds case-insensitively too.
	y := ts.createUser(t, map[string]any{"login": "y2", "password": "pass", "orgId": 2})
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(y)+"/orgs", nil)
	wantBody(t, r, `[{"orgId":2,"name":"Org2","role":"Viewer"}]`)
}

func TestIdentity13_41_CreateUserUnknownOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users",
		map[string]any{"login": "y", "password": "pass", "OrgId": 999})
	wantFields(t, r.JSON(t), map[string]any{"message": "organization not found"})
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=y", nil)
}

func TestIdentity13_42_NewUserIsViewerOfMainOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	r := ts.basic("u", "pass").expect(t, http.StatusOK, "GET", "/api/user/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Viewer"}]`)
}

// The SA-id part (GET /api/users/<saId> → 404) waits for the service-account routes.
func TestIdentity13_45_GetUserByID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{
		"id": u, "login": "u", "email": "u@example.com", "name": "U", "orgId": 1,
		"isGrafanaAdmin": false, "isDisabled": false, "authLabels": []string{},
		"avatarUrl": "/avatar/" + md5hex("u@example.com"),
	})
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/99999", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

// The SA part (…?loginOrEmail=sa-1-bot → 404) waits for the service-account routes.
func TestIdentity13_46_LookupUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/lookup?loginOrEmail=u@example.com", nil).JSON(t)
	wantFields(t, m, map[string]any{"id": u, "login": "u", "email": "u@example.com"})
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/lookup?loginOrEmail=u", nil).JSON(t)
	wantFields(t, m, map[string]any{"id": u, "login": "u"})
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=ghost", nil)
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

func TestIdentity13_47_AdminSetsPasswordAndRevokesSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	uc := ts.login(t, "u", "pass")
	uc.expect(t, http.StatusOK, "GET", "/api/user", nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+itoa64(u)+"/password", map[string]string{"password": "newpass"})
	wantBody(t, r, `{"message":"User password updated"}`)
	wantUnauthorized(t, uc.do(t, "GET", "/api/user", nil))
	wantLoginFailed(t, postLogin(t, ts, "u", "pass"))
	wantStatus(t, postLogin(t, ts, "u", "newpass"), http.StatusOK)
	// Setting the password also clears the user's failed sign-ins.
	for i := 0; i < 5; i++ {
		wantLoginFailed(t, postLogin(t, ts, "u", "wrong"))
	}
	wantLoginFailed(t, postLogin(t, ts, "u", "newpass"))
	ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+itoa64(u)+"/password", map[string]string{"password": "third"})
	wantStatus(t, postLogin(t, ts, "u", "third"), http.StatusOK)
}

func TestIdentity13_48_GrantServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+itoa64(u)+"/permissions", map[string]bool{"isGrafanaAdmin": true})
	wantBody(t, r, `{"message":"User permissions updated"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{"isGrafanaAdmin": true})
	// u now holds the server-admin grants.
	ts.basic("u", "pass").expect(t, http.StatusOK, "GET", "/api/users/1", nil)
}

func TestIdentity13_49_CannotRemoveLastServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/admin/users/1/permissions", map[string]bool{"isGrafanaAdmin": false})
	wantBody(t, r, `{"message":"cannot remove last grafana admin"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"isGrafanaAdmin": true})
}

func TestIdentity13_50_DisableAndEnableUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	uc := ts.login(t, "u", "pass")
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(u)+"/disable", nil)
	wantBody(t, r, `{"message":"User disabled"}`)
	// Disabling ends the user's sessions.
	wantUnauthorized(t, uc.do(t, "GET", "/api/user", nil))
	r = postLogin(t, ts, "u", "pass")
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"messageId": "identity.disabled"})
	r = ts.basic("u", "pass").do(t, "GET", "/api/user", nil)
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"message": "Unauthorized", "messageId": "identity.disabled"})
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{"isDisabled": true})
	// Idempotent.
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(u)+"/disable", nil)
	r = ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(u)+"/enable", nil)
	wantBody(t, r, `{"message":"User enabled"}`)
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{"isDisabled": false})
	wantStatus(t, postLogin(t, ts, "u", "pass"), http.StatusOK)
}

func TestIdentity13_51_DisableUnknownUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/99999/disable", nil)
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/99999/enable", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

// The SA part (DELETE /api/admin/users/<saId> → 404) waits for the service-account routes.
func TestIdentity13_52_DeleteUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/admin/users/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"User deleted"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/admin/users/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"user not found"}`)
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/"+itoa64(u), nil)
	wantLoginFailed(t, postLogin(t, ts, "u", "pass"))
}

// GET /api/users is not built yet; the other user-admin routes answer the same RBAC 403.
func TestIdentity13_53_ViewerCannotManageUsers(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	uc := ts.basic("u", "pass")
	wantAccessDenied(t, uc.do(t, "GET", "/api/users/"+itoa64(u), nil), "users:read")
	wantAccessDenied(t, uc.do(t, "POST", "/api/admin/users", map[string]any{"login": "q", "password": "pass"}), "users:create")
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=q", nil)
}

func TestIdentity13_54_OrgAdminCannotSetServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	oa := ts.createUser(t, map[string]any{"login": "oa", "password": "pass"})
	setOrgRole(t, ts, oa, "Admin")
	r := ts.basic("oa", "pass").expect(t, http.StatusForbidden, "PUT", "/api/admin/users/"+itoa64(oa)+"/permissions",
		map[string]bool{"isGrafanaAdmin": true})
	wantBody(t, r, `{"message":"Permission denied"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(oa), nil).JSON(t)
	wantFields(t, m, map[string]any{"isGrafanaAdmin": false})
}

// ---------------------------------------------------------------------------------------------
// Organisations

func TestIdentity13_56_CurrentOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantBody(t, r, `{"id":1,"name":"Main Org.","address":`+emptyAddress+`}`)
}

func TestIdentity13_59_CreateOrgNameTaken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusConflict, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	wantBody(t, r, `{"message":"Organization name taken"}`)
}

func TestIdentity13_60_ViewerCannotCreateOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	wantAccessDenied(t, ts.basic("u", "pass").do(t, "POST", "/api/orgs", map[string]string{"name": "X"}), "orgs:create")
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/2", nil)
}

// GET /api/orgs/name/{name} is not built yet.
func TestIdentity13_62_GetOrgByID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/2", nil)
	wantBody(t, r, `{"id":2,"name":"Org2","address":`+emptyAddress+`}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/999", nil)
	wantBody(t, r, `{"message":"Organization not found"}`)
}

func TestIdentity13_66_OrgCreatorBecomesAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/2/users", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("org 2 members = %v, want only the admin", list)
	}
	wantFields(t, list[0], map[string]any{"orgId": 2, "userId": 1, "login": "admin", "role": "Admin"})
	// The creator's current org is unchanged.
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"orgId": 1})
}

// ---------------------------------------------------------------------------------------------
// Org membership

// setupZ creates Org2 and user z in org 2 only (item 40), returning z's id.
func setupZ(t *testing.T, ts *testServer) int64 {
	t.Helper()
	createOrg2(t, ts)
	return ts.createUser(t, map[string]any{"login": "z", "password": "pass", "OrgId": 2})
}

// POST /api/org/users (item 67) is not built; z joins org 1 through /api/orgs/1/users.
func TestIdentity13_72_OrgUsersList(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)
	if len(list) != 2 {
		t.Fatalf("org 1 members = %v, want admin and z", list)
	}
	var found bool
	for _, m := range list {
		for _, k := range []string{"orgId", "userId", "email", "name", "avatarUrl", "login", "role", "lastSeenAt", "lastSeenAtAge", "isDisabled"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("org user %v lacks %q", m, k)
			}
		}
		if _, ok := m["isDisabled"].(bool); !ok {
			t.Fatalf("isDisabled = %#v, want a bool", m["isDisabled"])
		}
		if m["login"] == "z" {
			found = true
			wantFields(t, m, map[string]any{"orgId": 1, "userId": z, "email": "z", "role": "Editor",
				"isDisabled": false, "lastSeenAtAge": "10 years", "avatarUrl": "/avatar/" + md5hex("z")})
		}
		if m["login"] == "admin" {
			wantFields(t, m, map[string]any{"userId": 1, "role": "Admin"})
		}
	}
	if !found {
		t.Fatalf("z missing from %v", list)
	}
}

func TestIdentity13_75_UpdateOrgUserRole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	r := ts.admin().expect(t, http.StatusOK, "PATCH", "/api/org/users/"+itoa64(z), map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Organization user updated"}`)
	for _, m := range ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t) {
		if m["login"] == "z" {
			wantFields(t, m, map[string]any{"role": "Viewer"})
		}
	}
	r = ts.admin().expect(t, http.StatusInternalServerError, "PATCH", "/api/org/users/99999", map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Failed update org user"}`)
}

func TestIdentity13_76_CannotDemoteLastOrgAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PATCH", "/api/org/users/1", map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Cannot change role so that there is no organization admin left"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Admin"}]`)
}

func TestIdentity13_80_RemoveFromLastOrgKeepsUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	w := ts.createUser(t, map[string]any{"login": "w", "password": "pass"})
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/orgs/1/users/"+itoa64(w), nil)
	wantBody(t, r, `{"message":"User removed from organization"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(w), nil).JSON(t)
	wantFields(t, m, map[string]any{"id": w, "login": "w"})
	if _, ok := m["orgId"]; ok {
		t.Fatalf("orgId = %v, want it omitted (no current org)", m["orgId"])
	}
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(w)+"/orgs", nil), `[]`)
}

func TestIdentity13_81_AdminOrgUsersRoutes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/1/users", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("org 1 members = %v, want only the admin", list)
	}
	wantFields(t, list[0], map[string]any{"orgId": 1, "userId": 1, "login": "admin", "role": "Admin"})
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Viewer"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	r = ts.admin().expect(t, http.StatusConflict, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Viewer"})
	wantBody(t, r, `{"message":"User is already member of this organization","userId":`+itoa64(z)+`}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Viewer"},{"orgId":2,"name":"Org2","role":"Viewer"}]`)
}

func TestIdentity13_82_OrgAdminSeesOnlyOwnOrgUsers(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	oa := ts.createUser(t, map[string]any{"login": "oa", "password": "pass"})
	setOrgRole(t, ts, oa, "Admin")
	oc := ts.basic("oa", "pass")
	list := oc.expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)
	if len(list) != 2 {
		t.Fatalf("org 1 members seen by org admin = %v, want admin and oa", list)
	}
	wantAccessDenied(t, oc.do(t, "GET", "/api/orgs/2/users", nil), "org.users:read")
	// Its own org through the admin route is allowed (evaluated in org 1).
	oc.expect(t, http.StatusOK, "GET", "/api/orgs/1/users", nil)
}

// ---------------------------------------------------------------------------------------------
// Access control

// permissionsOf decodes a permissions map, failing unless every value of the
// map is an array of strings.
func permissionsOf(t *testing.T, r *response) map[string][]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("body is not an object: %v: %s", err, r.Body)
	}
	out := make(map[string][]string, len(raw))
	for a, v := range raw {
		arr, ok := v.([]any)
		if !ok {
			t.Fatalf("%q = %#v, want an array of strings", a, v)
		}
		for _, s := range arr {
			str, ok := s.(string)
			if !ok {
				t.Fatalf("%q holds %#v, want strings", a, s)
			}
			out[a] = append(out[a], str)
		}
		if out[a] == nil {
			out[a] = []string{}
		}
	}
	return out
}

// wantScopes fails unless the scopes of action are, as a set, exactly want.
func wantScopes(t *testing.T, perms map[string][]string, action string, want ...string) {
	t.Helper()
	got, ok := perms[action]
	if !ok {
		t.Fatalf("permission %q missing", action)
	}
	set := map[string]bool{}
	for _, s := range got {
		set[s] = true
	}
	wantSet := map[string]bool{}
	for _, s := range want {
		wantSet[s] = true
	}
	if !reflect.DeepEqual(set, wantSet) {
		t.Fatalf("%q scopes = %q, want %q", action, got, want)
	}
}

func TestIdentity13_97_AdminPermissions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	perms := permissionsOf(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil))
	if !contains(perms["users:read"], "global.users:*") {
		t.Fatalf("users:read = %q, want it to contain global.users:*", perms["users:read"])
	}
	wantScopes(t, perms, "orgs:create", "")
	wantScopes(t, perms, "org.users:add", "users:*")
	wantScopes(t, perms, "teams:create", "")
	wantScopes(t, perms, "serviceaccounts:create", "")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// wantNoManagement checks the permissions of a Viewer or Editor (items 98, 99).
func wantNoManagement(t *testing.T, perms map[string][]string) {
	t.Helper()
	if _, ok := perms["orgs:read"]; !ok {
		t.Fatalf("orgs:read missing from %v", perms)
	}
	for _, a := range []string{"teams:create", "org.users:read", "users:read"} {
		if _, ok := perms[a]; ok {
			t.Fatalf("%q present in %v", a, perms)
		}
	}
	for a := range perms {
		if strings.HasPrefix(a, "serviceaccounts") {
			t.Fatalf("%q present in %v", a, perms)
		}
	}
}

func TestIdentity13_98_ViewerPermissions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	wantNoManagement(t, permissionsOf(t, ts.basic("u", "pass").expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil)))
}

func TestIdentity13_99_EditorPermissions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	e := ts.createUser(t, map[string]any{"login": "ed", "password": "pass"})
	setOrgRole(t, ts, e, "Editor")
	wantBody(t, ts.basic("ed", "pass").expect(t, http.StatusOK, "GET", "/api/user/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Editor"}]`)
	wantNoManagement(t, permissionsOf(t, ts.basic("ed", "pass").expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil)))
}

func TestIdentity13_101_PermissionsNeedAuth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/access-control/user/permissions", nil))
}

func TestIdentity13_102_UserActions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/user/actions", nil).JSON(t)
	if len(m) == 0 {
		t.Fatal("no actions")
	}
	for a, v := range m {
		if v != true {
			t.Fatalf("%q = %#v, want true", a, v)
		}
	}
	for _, a := range []string{"users:read", "orgs:create", "org.users:add", "teams:create", "serviceaccounts:create", "orgs:read"} {
		if _, ok := m[a]; !ok {
			t.Fatalf("action %q missing from %v", a, m)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Issue requirements beyond the checklist

func TestIdentityRouting_UnknownRoutesAndMethodsAreJSON404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, c := range []struct {
		who          *client
		method, path string
	}{
		{ts.anon(), "GET", "/api/does-not-exist"},
		{ts.admin(), "GET", "/api/does-not-exist"},
		{ts.anon(), "DELETE", "/api/org"},
		{ts.admin(), "DELETE", "/api/org"},
		{ts.admin(), "POST", "/api/user"},
		{ts.admin(), "PUT", "/api/health"},
		{ts.admin(), "DELETE", "/api/users/1"},
	} {
		r := c.who.do(t, c.method, c.path, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("%s %s: status %d, want 404; body %s", c.method, c.path, r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s: Content-Type %q, want JSON", c.method, c.path, ct)
		}
		wantBody(t, r, `{"message":"Not found"}`)
	}
}

func TestIdentityBinding_BadRequestBodies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, c := range []struct {
		name, contentType, body string
	}{
		{"truncated JSON", "application/json", `{"login":"a","password":`},
		{"not JSON", "application/json", `login=a&password=pass`},
		{"array", "application/json", `["a","pass"]`},
		{"login is a number", "application/json", `{"login":123,"password":"pass"}`},
		{"password is an object", "application/json", `{"login":"a","password":{"x":1}}`},
		{"OrgId is a string", "application/json", `{"login":"a","password":"pass","OrgId":"two"}`},
		{"text/plain", "text/plain", `{"login":"a","password":"pass"}`},
		{"form", "application/x-www-form-urlencoded", `login=a&password=pass`},
		{"garbage content type", "%%%", `{"login":"a","password":"pass"}`},
	} {
		r := ts.admin().with("Content-Type", c.contentType).do(t, "POST", "/api/admin/users", c.body)
		if r.Status != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 400; body %s", c.name, r.Status, r.Body)
		}
		wantBody(t, r, `{"message":"bad request data"}`)
	}
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=a", nil)

	// A missing Content-Type is accepted, as is JSON with parameters.
	ts.admin().with("Content-Type", "").expect(t, http.StatusOK, "POST", "/api/admin/users", `{"login":"nct","password":"pass"}`)
	ts.admin().with("Content-Type", "application/json; charset=utf-8").expect(t, http.StatusOK, "POST", "/api/admin/users", `{"login":"cs","password":"pass"}`)

	// Over 1 MiB → 413.
	big := `{"login":"big","password":"pass","name":"` + strings.Repeat("x", 1<<20) + `"}`
	r := ts.admin().do(t, "POST", "/api/admin/users", big)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=big", nil)
	r = ts.anon().do(t, "POST", "/login", `{"user":"admin","password":"`+strings.Repeat("x", 1<<20)+`"}`)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	// Malformed sign-in bodies are 400 "bad login data", never 500.
	for _, body := range []string{`{"user":`, `{"user":1,"password":"admin"}`, `[]`} {
		r = ts.anon().do(t, "POST", "/login", body)
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r.JSON(t), map[string]any{"message": "bad login data"})
	}
	// Just under the limit is read (and bound).
	ok := `{"login":"nearly","password":"pass","name":"` + strings.Repeat("x", 1<<20-100) + `"}`
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users", ok)
}

func TestIdentityCSRF_CookieWritesNeedSameOrigin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	c := ts.login(t, "admin", "admin")
	orgBody := func(name string) map[string]string { return map[string]string{"name": name} }

	// No Origin and no Referer.
	r := bare(c).do(t, "POST", "/api/orgs", orgBody("A"))
	wantStatus(t, r, http.StatusForbidden)
	wantBody(t, r, `{"message":"origin not allowed"}`)
	r = bare(c).do(t, "PUT", "/api/user/password", map[string]string{"oldPassword": "admin", "newPassword": "changed"})
	wantStatus(t, r, http.StatusForbidden)
	// A foreign Origin, or a foreign Referer without Origin.
	wantStatus(t, bare(c).with("Origin", "http://evil.example").do(t, "POST", "/api/orgs", orgBody("A")), http.StatusForbidden)
	wantStatus(t, bare(c).with("Referer", "http://evil.example/page").do(t, "POST", "/api/orgs", orgBody("A")), http.StatusForbidden)
	wantStatus(t, bare(c).with("Origin", "null").do(t, "POST", "/api/orgs", orgBody("A")), http.StatusForbidden)
	wantStatus(t, bare(c).with("Origin", "http://evil.example").do(t, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "changed"}), http.StatusForbidden)
	// Nothing happened.
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/2", nil)
	wantStatus(t, postLogin(t, ts, "admin", "admin"), http.StatusOK)
	// Reads need no Origin.
	bare(c).expect(t, http.StatusOK, "GET", "/api/user", nil)

	// The server's own Origin (or Referer) is allowed.
	r = c.expect(t, http.StatusOK, "POST", "/api/orgs", orgBody("A"))
	wantFields(t, r.JSON(t), map[string]any{"orgId": 2})
	bare(c).with("Referer", ts.URL+"/org/new").expect(t, http.StatusOK, "POST", "/api/orgs", orgBody("B"))

	// Basic auth writes need no Origin.
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", orgBody("C"))
	ts.admin().expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "admin", "newPassword": "changed"})
}

func TestIdentityOrgContext_NonMemberOrgHeaderDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	createUserU(t, ts)
	uc := ts.basic("u", "pass")
	wantAccessDenied(t, uc.with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/org", nil), "orgs:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/org?targetOrgId=2", nil), "orgs:read")
	wantAccessDenied(t, uc.with("X-Grafana-Org-Id", "999").do(t, "GET", "/api/org", nil), "orgs:read")
	// The same through a session.
	wantAccessDenied(t, ts.login(t, "u", "pass").with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/org", nil), "orgs:read")
	// Its own org still works.
	r := uc.expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1})
}

func TestIdentitySessions_PasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	s1 := ts.login(t, "u", "pass")
	s2 := ts.login(t, "u", "pass")
	r := s1.expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "pass", "newPassword": "newpass"})
	wantBody(t, r, `{"message":"User password changed"}`)
	wantUnauthorized(t, s1.do(t, "GET", "/api/user", nil))
	wantUnauthorized(t, s2.do(t, "GET", "/api/user", nil))
	// Other users' sessions are untouched.
	a := ts.login(t, "admin", "admin")
	ts.basic("u", "newpass").expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "newpass", "newPassword": "third"})
	a.expect(t, http.StatusOK, "GET", "/api/user", nil)
	s3 := ts.login(t, "u", "third")
	s3.expect(t, http.StatusOK, "GET", "/api/user", nil)
}

func TestIdentityCookie_Attributes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	c, line := sessionCookie(t, postLogin(t, ts, "admin", "admin"))
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 2592000 || c.Secure {
		t.Fatalf("Set-Cookie %q: want HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000; not Secure", line)
	}
	if !strings.Contains(line, "SameSite=Lax") {
		t.Fatalf("Set-Cookie %q lacks SameSite=Lax", line)
	}
}

func TestIdentityCookie_SecureWhenConfigured(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_COOKIE_SECURE": "true"})
	c, line := sessionCookie(t, postLogin(t, ts, "admin", "admin"))
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 2592000 {
		t.Fatalf("Set-Cookie %q: want Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000", line)
	}
}

func TestIdentityRBAC_DenyBodyShape(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	uc := ts.basic("u", "pass")
	r := uc.do(t, "GET", "/api/org/users", nil)
	wantAccessDenied(t, r, "org.users:read")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	// A Viewer holds orgs:read in its own org only.
	uc.expect(t, http.StatusOK, "GET", "/api/orgs/1", nil)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	wantAccessDenied(t, uc.do(t, "GET", "/api/orgs/2", nil), "orgs:read")
	wantAccessDenied(t, uc.do(t, "PUT", "/api/admin/users/1/password", map[string]string{"password": "xxxx"}), "users.password:write")
	// /api/orgs/{orgId} with a non-numeric or zero id fails the in-org check.
	wantAccessDenied(t, uc.do(t, "GET", "/api/orgs/abc", nil), "orgs:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/orgs/0", nil), "orgs:read")
	// Two denials carry their own ids.
	a := uc.do(t, "GET", "/api/org/users", nil).JSON(t)["accessErrorId"]
	b := uc.do(t, "GET", "/api/org/users", nil).JSON(t)["accessErrorId"]
	if a == b {
		t.Fatalf("accessErrorId %v repeated", a)
	}
}

func TestIdentityBruteForce_PerIPLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_PASSWORD_CHECK_IP_LIMIT": "3"})
	for _, user := range []string{"nobody1", "nobody2", "nobody3"} {
		wantLoginFailed(t, postLogin(t, ts, user, "wrong"))
	}
	r := postLogin(t, ts, "admin", "admin")
	wantStatus(t, r, http.StatusTooManyRequests)
	if msg, _ := r.JSON(t)["message"].(string); msg == "" {
		t.Fatalf("429 body without message: %s", r.Body)
	}
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("blocked login set cookies: %q", r.Header.Values("Set-Cookie"))
	}
	wantStatus(t, ts.admin().do(t, "GET", "/api/org", nil), http.StatusTooManyRequests)
}

func TestIdentityBruteForce_Disabled(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION": "true"})
	for i := 0; i < 10; i++ {
		wantLoginFailed(t, postLogin(t, ts, "admin", "wrong"))
	}
	r := postLogin(t, ts, "admin", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
}

// Logins and emails are bounded like Grafana's columns (190 characters): longer ones get 400,
// not a database error, on either store; names are not bounded (a 3,000-character one works,
// which an index on names would break on PostgreSQL).
func TestIdentityBinding_LongLoginEmailAndName(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	long := strings.Repeat("l", 191)
	for _, body := range []map[string]any{
		{"login": long, "password": "pass"},
		{"login": "short", "email": long + "@example.com", "password": "pass"},
	} {
		r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", body)
		wantMessage(t, r, "login and email must be at most 190 characters")
	}
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"login": strings.Repeat("k", 190), "password": "pass", "name": strings.Repeat("n", 3000)})
	id := ts.createUser(t, map[string]any{"login": "renamed", "password": "pass"})
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/users/"+strconv.FormatInt(id, 10), map[string]any{"login": long})
	wantMessage(t, r, "login and email must be at most 190 characters")
}
