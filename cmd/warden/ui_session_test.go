package main

import (
	"net/http"
	"strings"
	"testing"
)

// A browser left holding a dead session cookie (the password was changed, the session
// expired) must still be able to sign in through the form: the form's CSRF token belongs to
// the pre-sign-in cookie, and protected pages drop the dead cookie.
func TestUI_SignInWithDeadSessionCookie(t *testing.T) {
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "dora", "password": "first-pass"})
	c := uiqSession(t, ts, "dora", "first-pass")

	// Changing the password ends every session of the user, this browser's too.
	c.expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "first-pass", "newPassword": "second-pass"})
	c.expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)

	// A protected page sends the browser to sign in and drops the dead cookie.
	r := c.expect(t, http.StatusFound, "GET", "/org/users", nil)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login?redirectTo=") {
		t.Fatalf("Location = %q, want the sign-in page", loc)
	}
	if sc := strings.Join(r.Header.Values("Set-Cookie"), "\n"); !strings.Contains(sc, "warden_session=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Fatalf("dead session cookie not cleared; Set-Cookie: %s", sc)
	}

	// Even with the dead cookie still sent (a browser that ignored the clearing, or going to
	// /login directly), the form works.
	c2 := uiqSession(t, ts, "dora", "second-pass") // a fresh session…
	c2.expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "second-pass", "newPassword": "third-pass"})
	page := c2.expect(t, http.StatusOK, "GET", "/login", nil) // …now dead, still in the jar
	form := uiqFormFields(t, page.Body, "/login")
	form.Set("user", "dora")
	form.Set("password", "third-pass")
	if r := uiqPost(t, c2, "/login", form); r.Status != http.StatusSeeOther {
		t.Fatalf("sign-in with a dead session cookie: status %d, want 303; body %s", r.Status, r.Body)
	}
	c2.expect(t, http.StatusOK, "GET", "/api/user", nil)
}
