package main

// A newcomer's phone (390 px wide): every page fits the screen and every action of every
// table is on it, without scrolling the page — or a table — sideways.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// ncPhoneProblems lists what does not fit a phone's screen on the page shown: the page
// scrolling sideways, a table wider than its box (a column hidden behind a sideways scroll),
// and any link, button or form control outside the screen or clipped by a scrolling box.
func ncPhoneProblems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return uiqEval[[]string](t, ctx, `(() => {
		const vw = document.documentElement.clientWidth, out = [];
		const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
			(el.textContent.trim() ? " '" + el.textContent.trim().replace(/\s+/g, " ").slice(0, 30) + "'" : "") +
			(el.getAttribute("aria-label") ? " [" + el.getAttribute("aria-label") + "]" : "");
		if (document.documentElement.scrollWidth > vw) out.push("the page is " + document.documentElement.scrollWidth + " px wide on a " + vw + " px screen");
		for (const t of document.querySelectorAll("table")) {
			const box = t.parentElement;
			if (box.scrollWidth > box.clientWidth + 1) out.push("a table is " + box.scrollWidth + " px wide in a " + box.clientWidth + " px box: " + name(box));
		}
		for (const el of document.querySelectorAll("a[href], button, select, input:not([type=hidden]), textarea")) {
			if (el.closest("dialog:not([open]), [hidden], .visually-hidden, .skip") || el.getClientRects().length === 0) continue;
			const r = el.getBoundingClientRect();
			if (r.width <= 1 && r.height <= 1) continue; // visually hidden (a radio behind its label)
			if (r.left < -0.5 || r.right > vw + 0.5) { out.push(name(el) + " is at " + Math.round(r.left) + ".." + Math.round(r.right) + " px"); continue; }
			for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
				if (getComputedStyle(a).overflowX === "visible") continue;
				const b = a.getBoundingClientRect();
				if (r.right > b.right + 0.5 || r.left < b.left - 0.5) { out.push(name(el) + " is cut off by " + name(a)); break; }
			}
		}
		return out;
	})()`)
}

// TestUI_PhoneEveryPageFits: at 390×844 every page — sign-in, the service accounts, an
// account's page with tokens and permissions, the create page, a token's rotate page, users, teams, a team, the
// error page, the 404 page, the profile, the confirmation page of a form sent without
// JavaScript and the start page of a Viewer — fits the screen, and
// every action in its tables can be reached without scrolling sideways.
func TestUI_PhoneEveryPageFits(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "nightly-backup-exporter", "Editor")
	createSA(t, ts, "a service account with a rather long name indeed", "Viewer")
	deployID, _ := uiqIssue(t, ts, id, "deploy-production-eu-west-1-primary", 0)
	uiqIssue(t, ts, id, "t2", 5*24*3600)
	uiqIssue(t, ts, id, "t10", 40*24*3600)
	userID := ts.createUser(t, map[string]any{"login": "margaret.hamilton", "email": "margaret.hamilton@apollo-guidance.example.com",
		"name": "Margaret Heafield Hamilton", "password": "margaret-password"})
	ts.createUser(t, map[string]any{"login": "vera", "email": "vera@example.com", "password": "vera-password"})
	teamID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/teams", map[string]any{"name": "platform-reliability", "email": "platform-reliability@example.com"}).JSON(t)["teamId"].(float64))
	ts.admin().expect(t, http.StatusOK, "POST", "/api/teams/"+itoa64(teamID)+"/members", map[string]any{"userId": userID})
	ts.admin().expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(id)+"/users/"+itoa64(userID), map[string]string{"permission": "Edit"})
	ts.admin().expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(id)+"/teams/"+itoa64(teamID), map[string]string{"permission": "Admin"})

	phone := func() context.Context {
		ctx := newTab(t)
		must(t, ctx, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		return ctx
	}
	check := func(ctx context.Context, what, shot string) {
		t.Helper()
		if bad := ncPhoneProblems(t, ctx); len(bad) > 0 {
			t.Errorf("%s at 390 px:\n\t%s", what, strings.Join(bad, "\n\t"))
		}
		screenshot(t, ctx, "phone-"+shot)
	}

	ctx := phone()
	uiqGo(t, ctx, ts, "/login")
	check(ctx, "the sign-in page", "signin")
	browserLogin(t, ctx, ts, "admin", ts.Password)
	pages := []struct{ path, what, shot string }{
		{"/org/serviceaccounts", "the service accounts", "list"},
		{"/org/serviceaccounts/" + itoa64(id), "an account's page (tokens, permissions)", "account"},
		{"/org/serviceaccounts/" + itoa64(id) + "?edit=name", "an account's page, editing the name", "account-edit"},
		{"/org/serviceaccounts/create", "the create page", "create"},
		{"/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(deployID) + "/rotate", "a token's rotate page", "rotate"},
		{"/org/users", "the users", "users"},
		{"/org/teams", "the teams", "teams"},
		{"/org/teams/" + itoa64(teamID), "a team's page", "team"},
		{"/org/serviceaccounts/99999", "the error page", "error"},
		{"/no/such/page", "the 404 page", "not-found"},
		{"/profile", "the profile", "profile"},
	}
	for _, p := range pages {
		uiqGo(t, ctx, ts, p.path)
		check(ctx, p.what, p.shot)
	}
	// The confirmation page a browser without JavaScript gets before a token is deleted.
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	uiqNav(t, ctx, "post a token's delete form without the dialog",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action$='/delete'][data-confirm-title='Delete service account token']").submit()`))
	if got := text(t, ctx, "h1"); got != "Delete service account token" {
		t.Fatalf("the form without the dialog shows %q", got)
	}
	check(ctx, "the confirmation page", "confirm")

	// The users' table: every Role picker and remove button is on the screen.
	uiqGo(t, ctx, ts, "/org/users")
	if got := uiqEval[[]int](t, ctx, `(() => { const all = [...document.querySelectorAll("table select, table button")].filter(el => el.getClientRects().length > 0);
		return [all.length, all.filter(el => { const r = el.getBoundingClientRect();
			return r.width > 1 && r.left >= 0 && r.right <= document.documentElement.clientWidth; }).length]; })()`); got[0] != 6 || got[1] != 6 {
		t.Errorf("the users' table has %d role pickers and remove buttons, %d of them on the screen; want 6 and 6 (three users)", got[0], got[1])
	}

	viewer := phone()
	browserLogin(t, viewer, ts, "vera", "vera-password")
	check(viewer, "a Viewer's start page", "home")
}
