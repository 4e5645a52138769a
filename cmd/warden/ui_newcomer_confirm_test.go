package main

// A newcomer without JavaScript: destructive actions (deleting a token, a service account or
// a team, removing a user from the org, a member from a team, a permission from an account)
// ask first. The form posts without confirm=yes and the server answers a confirmation page
// whose form carries it; with JavaScript the dialog asks and sends the field.

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestUI_ConfirmWithoutJavaScript: with scripts disabled in Chromium, the trash button of a
// token shows a confirmation page; Cancel goes back and keeps the token; Delete deletes it.
func TestUI_ConfirmWithoutJavaScript(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "no-script", "Viewer")
	uiqIssue(t, ts, id, "keep", 0)
	uiqIssue(t, ts, id, "drop", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	account := "/org/serviceaccounts/" + itoa64(id)
	uiqGo(t, ctx, ts, account)
	if uiqEval[bool](t, ctx, `document.documentElement.classList.contains("js")`) {
		t.Fatal("warden.js ran with scripts disabled")
	}
	// Clicks, not script: the page's own script is off, and the test's evaluations only read.
	trash := chromedp.CSS(`button[aria-label="Delete service account token drop"]`)
	uiqNav(t, ctx, "the trash button", chromedp.Click(trash))
	got := uiqEval[[]string](t, ctx, `[document.querySelector("h1").textContent.trim(), document.querySelector("main form p").textContent.trim(),
		document.querySelector("main form button[type=submit]").textContent.trim(), document.querySelector("main form a").textContent.trim(),
		document.querySelector("main form a").getAttribute("href")]`)
	want := []string{"Delete service account token", "Are you sure you want to delete the token 'drop'? Anything using it stops working.", "Delete", "Cancel", account}
	if !slices.Equal(got, want) {
		t.Fatalf("confirmation page = %q, want %q", got, want)
	}
	if n := uiqTokenCount(t, ts, id); n != 2 {
		t.Fatalf("%d tokens while asking, want 2", n)
	}
	screenshot(t, ctx, "confirm-01-no-js")
	uiqNav(t, ctx, "Cancel", chromedp.Click(uiqByText("main form a", "Cancel")))
	if got := uiqPath(t, ctx); got != account {
		t.Fatalf("Cancel went to %s", got)
	}
	if n := uiqTokenCount(t, ts, id); n != 2 {
		t.Fatalf("%d tokens after Cancel, want 2", n)
	}
	uiqNav(t, ctx, "the trash button", chromedp.Click(trash))
	uiqNav(t, ctx, "Delete", chromedp.Click(uiqByText("main form button", "Delete")))
	if got := uiqFlash(t, ctx); got != "Token deleted." {
		t.Fatalf("flash = %q", got)
	}
	var names []string
	for _, r := range uiqRows(t, ctx, "table.tokens-table") {
		names = append(names, r[0])
	}
	if !slices.Equal(names, []string{"keep"}) {
		t.Fatalf("tokens = %q, want keep", names)
	}
}

// TestUI_ConfirmPagesHTTP: each destructive form, posted as a browser without JavaScript posts
// it, answers a confirmation page and changes nothing; the page's own form (carrying
// confirm=yes) does the deed. Cancel returns where the form was.
func TestUI_ConfirmPagesHTTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "doomed", "Viewer")
	tokID, _ := uiqIssue(t, ts, id, "drop", 0)
	listed := createSA(t, ts, "listed", "Viewer")
	erinID := ts.createUser(t, map[string]any{"login": "erin", "email": "erin@example.com", "password": "erin-password"})
	danaID := ts.createUser(t, map[string]any{"login": "dana", "email": "dana@example.com", "password": "dana-password"})
	teamID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/teams", map[string]any{"name": "Platform"}).JSON(t)["teamId"].(float64))
	ts.admin().expect(t, http.StatusOK, "POST", "/api/teams/"+itoa64(teamID)+"/members", map[string]any{"userId": erinID})
	ts.admin().expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(id)+"/users/"+itoa64(danaID), map[string]string{"permission": "Edit"})
	c := uiqSession(t, ts, "admin", ts.Password)
	sa, team := "/org/serviceaccounts/"+itoa64(id), "/org/teams/"+itoa64(teamID)

	exists := func(path string) bool { return ts.admin().do(t, "GET", path, nil).Status == http.StatusOK }
	member := func(list, login string) bool {
		return slices.ContainsFunc(ts.admin().expect(t, http.StatusOK, "GET", list, nil).List(t), func(m map[string]any) bool { return m["login"] == login })
	}
	permitted := func() bool {
		return slices.ContainsFunc(ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/"+itoa64(id), nil).List(t),
			func(p map[string]any) bool { return p["userLogin"] == "dana" })
	}
	cases := []struct {
		name, page, action, title, question, button, back, flash string
		done                                                     func() bool
	}{
		{"delete a token", sa, sa + "/tokens/" + itoa64(tokID) + "/delete", "Delete service account token",
			"Are you sure you want to delete the token 'drop'? Anything using it stops working.", "Delete", sa, "Token deleted.",
			func() bool { return uiqTokenCount(t, ts, id) == 0 }},
		{"remove a permission", sa, sa + "/permissions", "Remove permission", "Remove Edit from dana?", "Remove", sa, "Permission removed.",
			func() bool { return !permitted() }},
		{"delete an account from the list", "/org/serviceaccounts", "/org/serviceaccounts/" + itoa64(listed) + "/delete", "Delete service account",
			"Are you sure you want to delete 'listed'?", "Delete service account", "/org/serviceaccounts", "Service account deleted.",
			func() bool { return !exists("/api/serviceaccounts/" + itoa64(listed)) }},
		{"delete an account from its page", sa, sa + "/delete", "Delete service account",
			"Are you sure you want to delete 'doomed'?", "Delete service account", sa, "Service account deleted.",
			func() bool { return !exists("/api/serviceaccounts/" + itoa64(id)) }},
		{"remove a team member", team, team + "/members/" + itoa64(erinID) + "/remove", "Remove member", "Remove erin from the team?", "Remove", team, "Member removed.",
			func() bool { return !member("/api/teams/"+itoa64(teamID)+"/members", "erin") }},
		{"delete a team", team, team + "/delete", "Delete team", "Are you sure you want to delete the team 'Platform'? Permissions given to it end.", "Delete", team, "Team deleted.",
			func() bool { return !exists("/api/teams/" + itoa64(teamID)) }},
		{"remove a user from the org", "/org/users", "/org/users/" + itoa64(erinID) + "/remove", "Remove user", "Remove erin from this organization?", "Remove", "/org/users",
			"User removed from the organization.", func() bool { return !member("/api/org/users", "erin") }},
	}
	question := regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>.*?<p[^>]*>(.*?)</p>.*?<button type="submit"[^>]*>(.*?)</button>.*?<a [^>]*href="([^"]*)"[^>]*>Cancel</a>`)
	for _, tc := range cases {
		form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", tc.page, nil).Body, tc.action)
		if tc.action == sa+"/permissions" { // the first such form is the admin's own: take dana's
			form.Set("principal", "user:"+itoa64(danaID))
		}
		if form.Has("confirm") {
			t.Fatalf("%s: the page's form already carries confirm=%q", tc.name, form.Get("confirm"))
		}
		r := uiqPost(t, c, tc.action, form)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d, want 200 and a confirmation page; Location %q", tc.name, r.Status, r.Header.Get("Location"))
		}
		if tc.done() {
			t.Fatalf("%s: done without confirmation", tc.name)
		}
		body := string(r.Body)
		m := question.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "<h1>"+tc.title+"</h1>") {
			t.Fatalf("%s: no confirmation in the answer:\n%s", tc.name, body)
		}
		got := []string{m[1], html.UnescapeString(strings.TrimSpace(m[2])), html.UnescapeString(strings.TrimSpace(m[3])), m[4]}
		if want := []string{tc.action, tc.question, tc.button, tc.back}; !slices.Equal(got, want) {
			t.Errorf("%s: confirmation (action, question, button, Cancel) = %q, want %q", tc.name, got, want)
		}
		again := uiqFormFields(t, r.Body, tc.action)
		if again.Get("confirm") != "yes" || again.Get("csrf") == "" {
			t.Fatalf("%s: the confirmation's form carries %v, want confirm=yes and the CSRF token", tc.name, again)
		}
		r = uiqPost(t, c, tc.action, again)
		if r.Status != http.StatusSeeOther || !tc.done() {
			t.Fatalf("%s: confirmed: %d, done %v", tc.name, r.Status, tc.done())
		}
		if page := c.expect(t, http.StatusOK, "GET", r.Header.Get("Location"), nil); !strings.Contains(string(page.Body), tc.flash) {
			t.Errorf("%s: the next page does not say %q", tc.name, tc.flash)
		}
	}
}
