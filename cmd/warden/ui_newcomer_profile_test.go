package main

// A newcomer's own password: the first-start banner says "change it after signing in", so the
// UI has a profile page (GET/POST /profile, linked from the sidebar) where a signed-in user
// changes it, through the same service call as PUT /api/user/password.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// ncChangePassword fills the profile's password form and submits it.
func ncChangePassword(t *testing.T, ctxAction func(what string, steps ...chromedp.Action[chromedp.Void]), current, next, confirm string) {
	t.Helper()
	ctxAction("change the password",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById("current-password").value = %s;
			document.getElementById("new-password").value = %s; document.getElementById("confirm-password").value = %s`,
			uiqJS(current), uiqJS(next), uiqJS(confirm))),
		chromedp.Click(uiqByText("button", "Change password")))
}

// TestUI_ProfileChangePassword: the sidebar's Profile link opens the profile; a wrong current
// password, a new password too short and a confirmation that differs are refused in plain
// words, changing nothing; the right one changes the password, keeps this browser signed in
// (a new session), ends the user's other sessions and says so.
func TestUI_ProfileChangePassword(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "nina", "email": "nina@example.com", "name": "Nina", "password": "first-pass"})
	elsewhere := uiqSession(t, ts, "nina", "first-pass") // another browser of hers
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "nina", "first-pass")
	if !uiqEval[bool](t, ctx, `[...document.querySelectorAll("nav.sidebar a")].some(a => a.textContent.trim() === "Profile")`) {
		t.Fatalf("the sidebar has no Profile link: %q", text(t, ctx, "nav.sidebar"))
	}
	uiqNav(t, ctx, "Profile", chromedp.Click(uiqByText("nav.sidebar a", "Profile")))
	if got := uiqPath(t, ctx); got != "/profile" {
		t.Fatalf("Profile opened %s", got)
	}
	got := uiqEval[[]string](t, ctx, `[document.querySelector("h1").textContent.trim(), document.querySelector("nav.sidebar a[aria-current=page]").textContent.trim(),
		...["current-password", "new-password", "confirm-password"].map(id => document.querySelector("label[for=" + id + "]").textContent.trim() + "/" +
			document.getElementById(id).type + "/" + document.getElementById(id).autocomplete)]`)
	want := []string{"Profile", "Profile", "Current password/password/current-password", "New password/password/new-password", "Confirm new password/password/new-password"}
	if !slices.Equal(got, want) {
		t.Fatalf("profile page = %q, want %q", got, want)
	}
	if info := text(t, ctx, "table.info"); !strings.Contains(info, "nina") || !strings.Contains(info, "nina@example.com") {
		t.Fatalf("profile information = %q", info)
	}
	uiqCheckLabels(t, ctx, "/profile")
	screenshot(t, ctx, "profile-01-page")

	submit := func(what string, steps ...chromedp.Action[chromedp.Void]) { uiqNav(t, ctx, what, steps...) }
	refused := []struct{ current, next, confirm, msg string }{
		{"wrong-pass", "second-pass", "second-pass", "Your current password is not correct."},
		{"first-pass", "abc", "abc", "The new password is too short."},
		{"first-pass", "second-pass", "second-pasz", "The new passwords do not match. Type the same new password twice."},
		{"", "second-pass", "second-pass", "Enter your current password."},
	}
	for _, r := range refused {
		ncChangePassword(t, submit, r.current, r.next, r.confirm)
		if got := text(t, ctx, "[role=alert]"); !strings.HasPrefix(got, r.msg) {
			t.Errorf("current %q, new %q, confirm %q: the page says %q, want %q", r.current, r.next, r.confirm, got, r.msg)
		}
		if got := uiqEval[[]string](t, ctx, `["current-password", "new-password", "confirm-password"].map(id => document.getElementById(id).value)`); !slices.Equal(got, []string{"", "", ""}) {
			t.Errorf("the refused form came back holding passwords: %q", got)
		}
		if got := uiqPath(t, ctx); got != "/profile" {
			t.Errorf("after a refusal the browser shows %s", got)
		}
	}
	screenshot(t, ctx, "profile-02-refused")
	elsewhere.expect(t, http.StatusOK, "GET", "/api/user", nil) // nothing changed yet

	ncChangePassword(t, submit, "first-pass", "second-pass", "second-pass")
	if got := uiqPath(t, ctx); got != "/profile" {
		t.Fatalf("after changing the password the browser shows %s, want the profile, still signed in", got)
	}
	if got := uiqFlash(t, ctx); got != "Your password was changed. You stay signed in here; every other session of yours was signed out." {
		t.Fatalf("flash = %q", got)
	}
	screenshot(t, ctx, "profile-03-changed")
	elsewhere.expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)
	ts.basic("nina", "first-pass").expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)
	ts.basic("nina", "second-pass").expect(t, http.StatusOK, "GET", "/api/user", nil)
	uiqGo(t, ctx, ts, "/") // still signed in here
	if got := text(t, ctx, "h1"); got != "Welcome, nina" {
		t.Fatalf("after the change this browser's start page says %q", got)
	}
}

// TestUI_ProfileBruteForce: the current-password check counts as a password check: after the
// limit of wrong tries even the right password is refused for a while, and nothing changes.
func TestUI_ProfileBruteForce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS": "2"})
	ts.createUser(t, map[string]any{"login": "otto", "password": "otto-pass"})
	c := uiqSession(t, ts, "otto", "otto-pass")
	post := func(current string) *response {
		form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", "/profile", nil).Body, "/profile")
		form.Set("currentPassword", current)
		form.Set("newPassword", "otto-pass-2")
		form.Set("confirmPassword", "otto-pass-2")
		return uiqPost(t, c, "/profile", form)
	}
	for _, guess := range []string{"guess-1", "guess-2", "otto-pass"} {
		r := post(guess)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Your current password is not correct.") {
			t.Fatalf("current password %q: %d %s", guess, r.Status, r.Body)
		}
	}
	c.expect(t, http.StatusOK, "GET", "/api/user", nil) // no change: the session lives on
}

// TestUI_ProfileHTTP: the profile over plain HTTP — the form carries the CSRF token and posts
// without JavaScript; a service account's token has no profile (404); signed out goes to the
// sign-in page.
func TestUI_ProfileHTTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "ida", "email": "ida@example.com", "password": "ida-pass"})
	c := uiqSession(t, ts, "ida", "ida-pass")
	page := c.expect(t, http.StatusOK, "GET", "/profile", nil)
	form := uiqFormFields(t, page.Body, "/profile")
	if form.Get("csrf") == "" {
		t.Fatalf("the password form has no CSRF token: %v", form)
	}
	form.Set("currentPassword", "ida-pass")
	form.Set("newPassword", "ida-pass-2")
	form.Set("confirmPassword", "ida-pass-2")
	r := uiqPost(t, c, "/profile", form)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/profile" {
		t.Fatalf("change: %d Location %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	c.expect(t, http.StatusOK, "GET", "/api/user", nil) // the new session
	ts.basic("ida", "ida-pass-2").expect(t, http.StatusOK, "GET", "/api/user", nil)

	_, _, tok := taSA(t, ts, "robot", "Admin")
	r = ts.bearer(tok).do(t, "GET", "/profile", nil)
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "Service accounts have no profile") {
		t.Fatalf("a service account's token: %d %s", r.Status, r.Body)
	}
	r = ts.anon().do(t, "GET", "/profile", nil)
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/login?redirectTo="+url.QueryEscape("/profile") {
		t.Fatalf("signed out: %d Location %q", r.Status, r.Header.Get("Location"))
	}
}
