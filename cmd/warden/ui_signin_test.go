package main

// The UI's sign-in page, where it sends people afterwards, dead sessions, and the CSRF checks
// of the UI's forms.

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// ---- sign-in ----

// TestUI_SignIn: the sign-in page's labels and button, a clear message on failure, the way
// back to the page that was asked for, and signing out.
func TestUI_SignIn(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	ctx := newTab(t)

	uiqGo(t, ctx, ts, "/org/serviceaccounts/create")
	if got := uiqPath(t, ctx); got != "/login?redirectTo=%2Forg%2Fserviceaccounts%2Fcreate" {
		t.Fatalf("signed out, /org/serviceaccounts/create went to %s, want the sign-in page", got)
	}
	// The browser applies autofocus when it next renders, which can be just after the load.
	waitJS(t, ctx, "the focus on the name field", `document.activeElement && document.activeElement.id === "user"`)
	got := uiqEval[[]string](t, ctx, `[document.querySelector("label[for=user]").textContent.trim(),
		document.querySelector("label[for=password]").textContent.trim(), document.getElementById("password").type,
		document.querySelector("form button[type=submit]").textContent.trim(), document.activeElement.id]`)
	if want := []string{"Email or username", "Password", "password", "Log in", "user"}; !slices.Equal(got, want) {
		t.Fatalf("sign-in form = %q, want %q", got, want)
	}
	uiqCheckLabels(t, ctx, "sign-in page")
	screenshot(t, ctx, "signin-01-page")

	// A wrong password: a plain message, the name kept, still on the way to the same page.
	uiqNav(t, ctx, "sign in with a wrong password",
		chromedp.SendKeys(chromedp.ID("user"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(uiqByText("button", "Log in")))
	if got := text(t, ctx, "[role=alert]"); got != "Invalid username or password." {
		t.Fatalf("error after a wrong password = %q", got)
	}
	if got := uiqEval[[]string](t, ctx, `[document.getElementById("user").value, document.getElementById("password").value,
		document.querySelector("input[name=redirectTo]").value]`); !slices.Equal(got, []string{"admin", "", "/org/serviceaccounts/create"}) {
		t.Fatalf("after a wrong password the form holds %q, want the name, no password, the same target", got)
	}
	screenshot(t, ctx, "signin-02-wrong-password")

	// The right password goes back to the page asked for.
	uiqNav(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("password"), ts.Password),
		chromedp.Click(uiqByText("button", "Log in")))
	if got := uiqPath(t, ctx); got != "/org/serviceaccounts/create" {
		t.Fatalf("after signing in the browser shows %s, want /org/serviceaccounts/create", got)
	}
	if got := text(t, ctx, "h1"); got != "Create service account" {
		t.Fatalf("h1 = %q", got)
	}
	if got := text(t, ctx, ".nav-user .login"); got != "admin" {
		t.Fatalf("signed-in user shown as %q", got)
	}

	// Sign out: back to the sign-in page, and pages ask for it again.
	uiqNav(t, ctx, "sign out", chromedp.Click(uiqByText("nav.sidebar a", "Sign out")))
	if got := uiqPath(t, ctx); got != "/login" {
		t.Fatalf("after signing out the browser shows %s", got)
	}
	uiqGo(t, ctx, ts, "/org/serviceaccounts")
	if got := uiqPath(t, ctx); !strings.HasPrefix(got, "/login?redirectTo=") {
		t.Fatalf("after signing out /org/serviceaccounts shows %s, want the sign-in page", got)
	}
}

// TestUI_SignInRedirectTargets: the sign-in form returns only to a local path — one leading
// "/", never "//" or "/\" (nor what a browser turns into them) — and anything else goes to "/".
func TestUI_SignInRedirectTargets(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	cases := []struct{ target, want string }{
		{"/org/users?query=a", "/org/users?query=a"},
		{"/org/serviceaccounts/create", "/org/serviceaccounts/create"},
		{"", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"org/users", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{" //evil.example", "/"},
	}
	for _, tc := range cases {
		c := ts.anon().with("Origin", ts.URL)
		page := c.expect(t, http.StatusOK, "GET", "/login?redirectTo="+url.QueryEscape(tc.target), nil)
		form := uiqFormFields(t, page.Body, "/login")
		if got := form.Get("redirectTo"); got != tc.want {
			t.Errorf("redirectTo %q: the form carries %q, want %q", tc.target, got, tc.want)
		}
		form.Set("redirectTo", tc.target) // a forged form, too
		form.Set("user", "admin")
		form.Set("password", ts.Password)
		r := uiqPost(t, c, "/login", form)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != tc.want {
			t.Errorf("sign in with redirectTo %q: %d Location %q, want 303 %q", tc.target, r.Status, r.Header.Get("Location"), tc.want)
		}
		// Signed in, the sign-in page sends the visitor on, just as carefully.
		r = c.do(t, "GET", "/login?redirectTo="+url.QueryEscape(tc.target), nil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != tc.want {
			t.Errorf("signed in, GET /login?redirectTo=%q: %d Location %q, want 303 %q", tc.target, r.Status, r.Header.Get("Location"), tc.want)
		}
	}

	// A failed sign-in answers 401 with the page and its message, and sets no session.
	c := ts.anon().with("Origin", ts.URL)
	form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", "/login", nil).Body, "/login")
	form.Set("user", "admin")
	form.Set("password", "wrong")
	r := uiqPost(t, c, "/login", form)
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "Invalid username or password.") {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	for _, ck := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, "warden_session=") {
			t.Fatalf("a failed sign-in set a session cookie: %s", ck)
		}
	}
}

// ---- CSRF and headers ----

// TestUI_CSRF: every state-changing form carries a CSRF token; a post without it (or with a
// wrong one) gets the 403 page and changes nothing.
func TestUI_CSRF(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "guarded", "Viewer")
	userID := ts.createUser(t, map[string]any{"login": "uma", "email": "uma@example.com", "password": "uma-password"})
	teamID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/teams", map[string]any{"name": "guards"}).JSON(t)["teamId"].(float64))
	tokID, key := uiqIssue(t, ts, id, "kept", 0)
	c := uiqSession(t, ts, "admin", ts.Password)

	// Every form on the pages carries the token.
	for _, p := range []string{"/org/serviceaccounts", "/org/serviceaccounts/" + itoa64(id), "/org/serviceaccounts/create",
		"/org/users", "/org/teams", "/org/teams/" + itoa64(teamID)} {
		body := string(c.expect(t, http.StatusOK, "GET", p, nil).Body)
		forms := regexp.MustCompile(`(?s)<form method="post".*?</form>`).FindAllString(body, -1)
		if len(forms) == 0 {
			t.Errorf("%s has no post form", p)
		}
		for _, f := range forms {
			if !strings.Contains(f, `name="csrf" value="`) || strings.Contains(f, `name="csrf" value=""`) {
				t.Errorf("%s: a form without a CSRF token: %.200s", p, f)
			}
		}
	}

	sa := "/org/serviceaccounts/" + itoa64(id)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/org/serviceaccounts/create", url.Values{"name": {"sneaky"}, "role": {"Admin"}}},
		{sa + "/name", url.Values{"name": {"renamed"}}},
		{sa + "/role", url.Values{"role": {"Admin"}}},
		{sa + "/disable", nil},
		{sa + "/tokens", url.Values{"name": {"sneaky"}, "expiration": {"never"}, "nonce": {"0123456789abcdef0123"}}},
		{sa + "/tokens/" + itoa64(tokID) + "/delete", nil},
		{sa + "/permissions", url.Values{"principal": {"user:" + itoa64(userID)}, "permission": {"Admin"}}},
		{sa + "/delete", nil},
		{"/org/users", url.Values{"loginOrEmail": {"uma"}, "role": {"Admin"}}},
		{"/org/users/" + itoa64(userID) + "/role", url.Values{"role": {"Admin"}}},
		{"/org/users/" + itoa64(userID) + "/remove", nil},
		{"/org/teams", url.Values{"name": {"sneaky"}}},
		{"/org/teams/" + itoa64(teamID) + "/members", url.Values{"userId": {itoa64(userID)}}},
		{"/org/teams/" + itoa64(teamID) + "/delete", nil},
	}
	for _, p := range posts {
		for _, csrf := range []string{"", "0000"} {
			f := url.Values{}
			for k, v := range p.form {
				f[k] = v
			}
			if csrf != "" {
				f.Set("csrf", csrf)
			}
			r := uiqPost(t, c, p.path, f)
			if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "This form has expired. Reload the page and try again.") ||
				!strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("POST %s with csrf %q: %d %s, want the 403 page", p.path, csrf, r.Status, r.Header.Get("Content-Type"))
			}
		}
	}

	// Nothing changed.
	got := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id), nil).JSON(t)
	if got["name"] != "guarded" || got["role"] != "Viewer" || got["isDisabled"] != false || got["tokens"] != float64(1) {
		t.Fatalf("the account changed: %v", got)
	}
	checkTokenWorks(t, ts, key)
	if r := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search?query=sneaky", nil).JSON(t); r["totalCount"] != float64(0) {
		t.Fatalf("a service account was created: %v", r)
	}
	perms := ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/"+itoa64(id), nil).List(t)
	for _, p := range perms {
		if p["userLogin"] == "uma" {
			t.Fatalf("uma was given a permission: %v", p)
		}
	}
	users := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)
	if !slices.ContainsFunc(users, func(u map[string]any) bool { return u["login"] == "uma" && u["role"] == "Viewer" }) {
		t.Fatalf("uma's membership changed: %v", users)
	}
	if r := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?name=sneaky", nil).JSON(t); r["totalCount"] != float64(0) {
		t.Fatalf("a team was created: %v", r)
	}
	for _, m := range ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(teamID)+"/members", nil).List(t) {
		if m["login"] == "uma" {
			t.Fatalf("uma was added to the team: %v", m)
		}
	}

	// The sign-in form too: no token, no session.
	anon := ts.anon()
	anon.expect(t, http.StatusOK, "GET", "/login", nil)
	r := uiqPost(t, anon, "/login", url.Values{"user": {"admin"}, "password": {ts.Password}})
	if r.Status != http.StatusForbidden || strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "warden_session=") {
		t.Fatalf("sign-in without the CSRF token: %d, cookies %q", r.Status, r.Header.Values("Set-Cookie"))
	}

	// With the token the same post works (the token is what was missing).
	form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", sa, nil).Body, sa+"/disable")
	if r := uiqPost(t, c, sa+"/disable", form); r.Status != http.StatusSeeOther {
		t.Fatalf("disable with the CSRF token: %d %s", r.Status, r.Body)
	}
	if d := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id), nil).JSON(t)["isDisabled"]; d != true {
		t.Fatal("disable with the CSRF token did not disable")
	}
}

// A browser left holding a dead session cookie (the password was changed, the session
// expired) must still be able to sign in through the form: the form's CSRF token belongs to
// the pre-sign-in cookie, and protected pages drop the dead cookie.
func TestUI_SignInWithDeadSessionCookie(t *testing.T) {
	t.Parallel()
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
