package main

// Signing in: POST /login and its session cookie, HTTP Basic, signing out, the brute-force
// limits (per user name and per client IP), CSRF checks of cookie-authenticated writes.

import (
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignIn_SetsSessionCookie(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := postLogin(t, ts, "admin", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
	c, line := sessionCookie(t, r)
	if c.Value == "" {
		t.Fatalf("empty session cookie: %q", line)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 2592000 || c.Secure {
		t.Fatalf("Set-Cookie %q: want HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000; not Secure", line)
	}
	if !strings.Contains(line, "SameSite=Lax") {
		t.Fatalf("Set-Cookie %q lacks SameSite=Lax", line)
	}
}

func TestSignIn_SessionCookieAuthenticates(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	value := sessionValue(t, ts.login(t, "admin", "admin"))
	m := cookieClient(ts, value).expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"login": "admin", "isGrafanaAdmin": true, "orgId": 1})
}

// The user field of a sign-in is the login or the email, in any case.
func TestSignIn_ByLoginOrEmailInAnyCase(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := postLogin(t, ts, "ADMIN", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
	wantStatus(t, postLogin(t, ts, "admin@localhost", "admin"), http.StatusOK)
	wantStatus(t, postLogin(t, ts, "Admin@LocalHost", "admin"), http.StatusOK)
}

func TestSignIn_WrongPasswordSetsNoCookie(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := postLogin(t, ts, "admin", "wrong")
	wantLoginFailed(t, r)
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("failed login set cookies: %q", r.Header.Values("Set-Cookie"))
	}
}

func TestSignIn_UnknownUserAnswersLikeWrongPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wrong := postLogin(t, ts, "admin", "wrong")
	unknown := postLogin(t, ts, "nobody", "x")
	wantLoginFailed(t, unknown)
	if !reflect.DeepEqual(wrong.JSON(t), unknown.JSON(t)) {
		t.Fatalf("unknown user body %s differs from wrong password body %s", unknown.Body, wrong.Body)
	}
}

func TestSignIn_IncompleteBodyIsBadLoginData(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusBadRequest, "POST", "/login", map[string]string{"user": "admin"})
	wantFields(t, r.JSON(t), map[string]any{"message": "bad login data", "messageId": "form-auth.invalid", "statusCode": 400})
	r = ts.anon().expect(t, http.StatusBadRequest, "POST", "/login", map[string]string{})
	wantFields(t, r.JSON(t), map[string]any{"message": "bad login data", "messageId": "form-auth.invalid", "statusCode": 400})
	r = ts.anon().expect(t, http.StatusBadRequest, "POST", "/login", map[string]string{"user": "", "password": "admin"})
	wantFields(t, r.JSON(t), map[string]any{"message": "bad login data"})
}

// Five failed sign-ins lock a user name out, for sign-in and Basic alike, with the answer of a
// wrong password; the lock ends when the attempts are older than the 5-minute window (the
// server runs on a testClock, moved on past it).
func TestSignIn_BruteForceLocksUsername(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
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
	// Still locked just within the window; free once the attempts have aged out of it.
	clock.Advance(4 * time.Minute)
	wantLoginFailed(t, postLogin(t, ts, "u1", "pass1"))
	clock.Advance(5*time.Minute + time.Second)
	wantStatus(t, postLogin(t, ts, "u1", "pass1"), http.StatusOK)
}

func TestSignIn_BruteForceLockIsPerUsername(t *testing.T) {
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

func TestSignIn_BasicAuthFailuresCountTowardLockout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "u1", "password": "pass1"})
	for i := 0; i < 5; i++ {
		wantLoginFailed(t, ts.basic("u1", "wrong").do(t, "GET", "/api/org", nil))
	}
	wantLoginFailed(t, postLogin(t, ts, "u1", "pass1"))
}

func TestSignIn_DisabledUserRefused(t *testing.T) {
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

func TestSignIn_LogoutEndsSession(t *testing.T) {
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

func TestSignIn_LoginPing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.login(t, "admin", "admin").expect(t, http.StatusOK, "GET", "/api/login/ping", nil)
	wantBody(t, r, `{"message":"Logged in"}`)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/login/ping", nil))
}

func TestSignIn_CookieWritesNeedSameOrigin(t *testing.T) {
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
	ts.adminBasic().expect(t, http.StatusOK, "POST", "/api/orgs", orgBody("C"))
	ts.adminBasic().expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "admin", "newPassword": "changed"})
}

func TestSignIn_CookieSecureWhenConfigured(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_COOKIE_SECURE": "true"})
	c, line := sessionCookie(t, postLogin(t, ts, "admin", "admin"))
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 2592000 {
		t.Fatalf("Set-Cookie %q: want Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000", line)
	}
}

func TestSignIn_PasswordChecksLimitedPerIP(t *testing.T) {
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
	wantStatus(t, ts.adminBasic().do(t, "GET", "/api/org", nil), http.StatusTooManyRequests)
}

func TestSignIn_BruteForceProtectionDisabled(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION": "true"})
	for i := 0; i < 10; i++ {
		wantLoginFailed(t, postLogin(t, ts, "admin", "wrong"))
	}
	r := postLogin(t, ts, "admin", "admin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `{"message":"Logged in","redirectUrl":"/"}`)
}

func TestSignIn_ServiceAccountCannotSignIn(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, login := apiSA(t, ts.admin(), "bot", "")
	if login != "sa-1-bot" {
		t.Fatalf("SA login = %q, want sa-1-bot", login)
	}
	wrong := postLogin(t, ts, "admin", "wrong")
	r := postLogin(t, ts, "sa-1-bot", "anything")
	wantLoginFailed(t, r)
	wantBody(t, r, string(wrong.Body))
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("SA login set cookies: %q", r.Header.Values("Set-Cookie"))
	}
	// An empty password does not match the SA's empty hash either, and Basic auth is refused alike.
	wantStatus(t, ts.anon().do(t, "POST", "/login", map[string]string{"user": "sa-1-bot", "password": ""}), http.StatusBadRequest)
	wantLoginFailed(t, ts.basic("sa-1-bot", "anything").do(t, "GET", "/api/org", nil))
}

// A client with several requests in flight under one user's password (Basic auth, as scripts
// and Terraform use it) gets every one of them answered, while concurrent wrong passwords still
// get no more tries than the brute-force limit.
func TestSignIn_ConcurrentBasicAuth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	const n = 12 // more than the 5 failed sign-ins per user the limit allows
	run := func(pass string) map[int]int {
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				r := ts.basic("admin", pass).do(t, "GET", "/api/org", nil)
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return statuses
	}
	if got := run(ts.Password); got[http.StatusOK] != n {
		t.Fatalf("%d concurrent requests with the right password: statuses %v, want all 200", n, got)
	}
	if got := run("wrong-password"); got[http.StatusUnauthorized] != n {
		t.Fatalf("%d concurrent requests with a wrong password: statuses %v, want all 401", n, got)
	}
	// The limit held: 5 failures were recorded (not 12), and the user is now blocked.
	r := ts.adminBasic().expect(t, http.StatusUnauthorized, "GET", "/api/org", nil)
	wantMessage(t, r, "Invalid username or password")
}
