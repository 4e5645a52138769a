package main

// The token lifecycle in the web UI (issue 17): Rotate with a grace period (none, 1 hour,
// 1 day, 7 days) and the new token shown once; the token table's Created by, Last used at
// (time and address) and rotation marks; Delete expired tokens. The browser tests walk the
// pages (rotation is a page and a form of its own, so it works without JavaScript); the
// HTTP-level tests post the forms as a browser without JavaScript does.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tluRotatedName matches the name a rotated token steps aside to.
var tluRotatedName = regexp.MustCompile(`^deploy \(rotated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, #\d+\)$`)

// tluWorksUntil reads the end in a "Replaced by …, works until 2006-01-02 15:04 UTC" mark.
var tluWorksUntil = regexp.MustCompile(`^Replaced by deploy, (works|worked) until (\d{4}-\d\d-\d\d \d\d:\d\d UTC)$`)

// tluTokenRows returns the token table's rows by token name.
func tluTokenRows(t *testing.T, ctx context.Context) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	for _, r := range uiqRows(t, ctx, "table.tokens-table") {
		rows[r[0]] = r
	}
	return rows
}

// tluRotatedRow returns the row of the token that stepped aside, and its name.
func tluRotatedRow(t *testing.T, rows map[string][]string) (string, []string) {
	t.Helper()
	for name, r := range rows {
		if tluRotatedName.MatchString(name) {
			return name, r
		}
	}
	t.Fatalf("no rotated token among %q", rows)
	return "", nil
}

// tluRotate opens the rotate page of a token from the account's page (its Rotate action),
// checks the page, chooses the grace period and presses Rotate token. It returns the new
// token the answer shows.
func tluRotate(t *testing.T, ctx context.Context, name, grace string) string {
	t.Helper()
	uiqNav(t, ctx, "Rotate "+name, chromedp.Click(chromedp.CSS(`a[aria-label="Rotate service account token `+name+`"]`)))
	got := uiqEval[[]string](t, ctx, `[document.querySelector("h1").textContent.trim(), document.querySelector("fieldset legend").textContent.trim(),
		[...document.querySelectorAll("input[name=grace]")].map(i => i.value + (i.checked ? "*" : "")).join(" "),
		[...document.querySelectorAll("fieldset label")].map(l => l.textContent.trim()).join(" | ")]`)
	want := []string{"Rotate token", "Keep the old token working for", "0 3600 86400* 604800",
		"None: the old token stops working at once | 1 hour | 1 day | 7 days"}
	if !slices.Equal(got, want) {
		t.Fatalf("rotate page (heading, legend, grace choices, labels) = %q, want %q", got, want)
	}
	uiqCheckLabels(t, ctx, "the rotate page")
	must(t, ctx, "choose "+grace, chromedp.Click(chromedp.CSS(`input[name=grace][value="`+grace+`"]`)))
	uiqNav(t, ctx, "Rotate token", chromedp.Click(uiqByText("main form button", "Rotate token")))
	if got := text(t, ctx, "#created-title"); got != "Service account token created" {
		t.Fatalf("after rotating, the page's title is %q", got)
	}
	key := uiqEval[string](t, ctx, `document.getElementById("created-token").value`)
	if !tokenPattern.MatchString(key) {
		t.Fatalf("the rotate form's answer shows %q, not a token", key)
	}
	return key
}

// TestUI_TokenRotateGraceHour: Rotate on a token, 1 hour of grace: the new token is shown once
// and works, the old one still works, and the list marks the old one "Replaced by deploy,
// works until <an hour from now>" (its Expires says so too) and has no Rotate for it.
func TestUI_TokenRotateGraceHour(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "rotator", "Viewer")
	_, old := uiqIssue(t, ts, id, "deploy", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	uiqGo(t, ctx, ts, account)

	before := time.Now().UTC()
	key := tluRotate(t, ctx, "deploy", "3600")
	screenshot(t, ctx, "lifecycle-01-rotated")
	if key == old {
		t.Fatal("the rotation shows the old token")
	}
	flash := uiqFlash(t, ctx)
	if !strings.HasPrefix(flash, "Token deploy rotated. The old token works until ") {
		t.Errorf("flash after rotating = %q", flash)
	}
	checkTokenWorks(t, ts, key)
	checkTokenWorks(t, ts, old) // the grace period

	// Close: the account's page, the token not shown again.
	uiqNav(t, ctx, "Close", chromedp.Click(chromedp.CSS("a[data-close-link]")))
	if got := uiqPath(t, ctx); got != account {
		t.Fatalf("Close went to %s", got)
	}
	if strings.Contains(uiqEval[string](t, ctx, `document.documentElement.outerHTML`), key) {
		t.Fatal("the account page shows the new token again")
	}
	rows := tluTokenRows(t, ctx)
	if len(rows) != 2 {
		t.Fatalf("tokens after rotating = %q, want the new and the old", rows)
	}
	oldName, oldRow := tluRotatedRow(t, rows)
	m := tluWorksUntil.FindStringSubmatch(oldRow[5])
	if m == nil || m[1] != "works" {
		t.Fatalf("the old token's row = %q, want the mark Replaced by deploy, works until …", oldRow)
	}
	until, err := time.Parse("2006-01-02 15:04 MST", m[2])
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := before.Add(time.Hour).Truncate(time.Minute), time.Now().Add(time.Hour); until.Before(lo) || until.After(hi) {
		t.Errorf("the old token works until %v, want an hour after the rotation (%v..%v)", until, lo, hi)
	}
	if !strings.HasSuffix(flash, m[2]+".") {
		t.Errorf("flash %q and the list (%s) disagree on the old token's end", flash, m[2])
	}
	if oldRow[1] != "Expires in 1 hour" {
		t.Errorf("the old token's Expires = %q, want Expires in 1 hour", oldRow[1])
	}
	if got := rows["deploy"]; got == nil || got[1] != "Never" || got[5] != "Replaces "+oldName || got[6] != "Rotate" {
		t.Errorf("the new token's row = %q, want Never, Replaces %s, Rotate", got, oldName)
	}
	if oldRow[6] != "" {
		t.Errorf("the old token's actions = %q, want no Rotate (it was rotated)", oldRow[6])
	}
	screenshot(t, ctx, "lifecycle-02-replaced")

	// Rotated again: the new token steps aside in turn; the first old one keeps its end.
	key2 := tluRotate(t, ctx, "deploy", "0")
	checkTokenWorks(t, ts, key2)
	taWantAuthError(t, ts.bearer(key).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
	checkTokenWorks(t, ts, old)
}

// TestUI_TokenRotateNoGraceWithoutJS: with scripts off and the keyboard only, Rotate → None →
// Rotate token: the new token is shown once and works, the old one is refused at once (401),
// the list says it worked until now; Reload does not rotate again.
func TestUI_TokenRotateNoGraceWithoutJS(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "no-grace", "Viewer")
	_, old := uiqIssue(t, ts, id, "deploy", 30*24*3600)
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

	// The keyboard: Enter on Rotate, Space on None, Enter on Rotate token.
	must(t, ctx, "focus Rotate", chromedp.Focus(chromedp.CSS(`a[aria-label="Rotate service account token deploy"]`)))
	uiqNav(t, ctx, "Enter on Rotate", chromedp.KeyEvent(kb.Enter))
	if got := uiqPath(t, ctx); !strings.HasSuffix(got, "/rotate") {
		t.Fatalf("Enter on Rotate opened %s", got)
	}
	if got := text(t, ctx, "main .rotate-what"); got != "The new token takes the name deploy and is shown once. It is valid for 30 days, as the old token was." {
		t.Errorf("the rotate page says %q", got)
	}
	must(t, ctx, "Space on None", chromedp.Focus(chromedp.CSS(`input[name=grace][value="0"]`)), chromedp.KeyEvent(" "))
	if !uiqEval[bool](t, ctx, `document.querySelector("input[name=grace][value='0']").checked`) {
		t.Fatal("Space did not choose None")
	}
	screenshot(t, ctx, "lifecycle-03-rotate-page")
	must(t, ctx, "focus Rotate token", chromedp.Focus(chromedp.CSS("main form button[type=submit]")))
	uiqNav(t, ctx, "Enter on Rotate token", chromedp.KeyEvent(kb.Enter))
	key := uiqEval[string](t, ctx, `document.getElementById("created-token").value`)
	if !tokenPattern.MatchString(key) {
		t.Fatalf("the answer shows %q, not a token", key)
	}
	if got := uiqFlash(t, ctx); got != "Token deploy rotated. The old token no longer works." {
		t.Errorf("flash = %q", got)
	}
	checkTokenWorks(t, ts, key)
	r := ts.bearer(old).do(t, "GET", "/api/org", nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("the old token right after rotating without grace: %d %s, want 401", r.Status, r.Body)
	}
	taWantAuthError(t, r, "Expired API key", "api-key.expired")
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id)+"/tokens", nil).List(t)
	for _, tk := range list {
		if tk["name"] == "deploy" {
			exp, err := time.Parse(time.RFC3339, tk["expiration"].(string))
			if err != nil || time.Until(exp) < 29*24*time.Hour || time.Until(exp) > 30*24*time.Hour+time.Minute {
				t.Errorf("the new token expires %v (%v), want in 30 days as the old one", tk["expiration"], err)
			}
		}
	}

	// Reload posts the form again: the account's page, no second rotation.
	uiqNav(t, ctx, "Reload", chromedp.Reload())
	if got := uiqPath(t, ctx); got != account {
		t.Fatalf("after Reload the browser shows %s", got)
	}
	if got := uiqFlash(t, ctx); got != "That token was already rotated. The new token is shown only once; rotate it again if you need another." {
		t.Errorf("after Reload the flash says %q", got)
	}
	if uiqAnyToken.MatchString(uiqEval[string](t, ctx, `document.documentElement.outerHTML`)) {
		t.Fatal("Reload shows a token")
	}
	rows := tluTokenRows(t, ctx)
	if len(rows) != 2 {
		t.Fatalf("tokens after Reload = %q, want 2", rows)
	}
	_, oldRow := tluRotatedRow(t, rows)
	if m := tluWorksUntil.FindStringSubmatch(oldRow[5]); m == nil || m[1] != "worked" || oldRow[1] != "Expired" {
		t.Errorf("the old token's row = %q, want Expired and Replaced by deploy, worked until …", oldRow)
	}
	checkTokenWorks(t, ts, key)
}

// TestUI_TokenTableCreatedByAndLastUsed: the token table says who created each token (a user's
// login, a service account's login, "—" when not recorded) and, once a token is used, when
// and from which address (the test client's, 127.0.0.1), flushed in the background.
func TestUI_TokenTableCreatedByAndLastUsed(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "watched", "Viewer")
	_, used := uiqIssue(t, ts, id, "by-admin", 0)
	_, _, robot := taSA(t, ts, "robot", "Admin")
	ts.bearer(robot).expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(id)+"/tokens", map[string]any{"name": "by-robot"})
	oldID, _ := uiqIssue(t, ts, id, "legacy", 0)
	taExec(t, taDB(t, ts), "UPDATE token SET created_by_kind = '', created_by_id = 0, created_by_login = '' WHERE id = ?", oldID)

	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	uiqGo(t, ctx, ts, account)
	heads := uiqEval[[]string](t, ctx, `[...document.querySelectorAll("table.tokens-table thead th")].map(th => th.textContent.trim())`)
	if want := []string{"Name", "Expires", "Created", "Created by", "Last used at", "State", "Actions"}; !slices.Equal(heads, want) {
		t.Fatalf("token columns = %q, want %q", heads, want)
	}
	rows := tluTokenRows(t, ctx)
	for name, want := range map[string]string{"by-admin": "admin", "by-robot": "sa-1-robot", "legacy": "—"} {
		if r := rows[name]; r == nil || r[3] != want || r[4] != "Never" {
			t.Errorf("token %s row = %q, want created by %s, never used", name, r, want)
		}
	}

	// A use from the test client; the flusher writes it within a second or two.
	checkTokenWorks(t, ts, used)
	lastUsed := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d UTC from 127\.0\.0\.1$`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		uiqGo(t, ctx, ts, account)
		r := tluTokenRows(t, ctx)["by-admin"]
		if r != nil && lastUsed.MatchString(r[4]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("by-admin's row = %q, want a last-used time from 127.0.0.1 within 15 s", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := uiqEval[[]string](t, ctx, `(() => { const row = [...document.querySelectorAll("table.tokens-table tbody tr")].find(tr => tr.cells[0].textContent.trim() === "by-admin");
		const c = row.cells[4]; return [c.querySelector("time").getAttribute("datetime"), c.querySelector(".used-from").textContent.trim(), c.dataset.label]; })()`); got[1] != "from 127.0.0.1" || got[2] != "Last used at" {
		t.Errorf("last-used cell (datetime, address, label) = %q", got)
	} else if at, err := time.Parse(time.RFC3339, got[0]); err != nil || time.Since(at) > time.Minute || time.Until(at) > time.Minute {
		t.Errorf("last used at %q (%v), want about now", got[0], err)
	}
	if r := tluTokenRows(t, ctx)["by-robot"]; r == nil || r[4] != "Never" {
		t.Errorf("by-robot's row = %q, want never used", r)
	}
	screenshot(t, ctx, "lifecycle-04-created-by-last-used")
}

// TestUI_DeleteExpiredTokens: on a server whose clock has moved past two tokens' one-second
// lives, the account's page offers Delete expired tokens; it asks first, deletes both, keeps
// the live one, says how many went, and the button is gone. An account without expired tokens
// has no such button.
func TestUI_DeleteExpiredTokens(t *testing.T) {
	browserTest(t)
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	id := createSA(t, ts, "tidy", "Viewer")
	clean := createSA(t, ts, "clean", "Viewer")
	uiqIssue(t, ts, clean, "fresh", 0)
	for _, name := range []string{"short-1", "short-2"} {
		ts.admin().expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(id)+"/tokens", map[string]any{"name": name, "secondsToLive": 1})
	}
	_, live := uiqIssue(t, ts, id, "live", 0)
	clock.Advance(time.Minute)

	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(clean))
	if uiqEval[bool](t, ctx, `!!document.getElementById("delete-expired")`) {
		t.Fatal("an account without expired tokens offers Delete expired tokens")
	}
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	rows := tluTokenRows(t, ctx)
	if len(rows) != 3 || rows["short-1"][1] != "Expired" || rows["short-2"][1] != "Expired" {
		t.Fatalf("tokens = %q, want two expired and one live", rows)
	}
	if got := text(t, ctx, "#delete-expired"); got != "Delete expired tokens" {
		t.Fatalf("button = %q", got)
	}
	screenshot(t, ctx, "lifecycle-05-expired")

	// Cancel keeps them; Delete deletes them.
	must(t, ctx, "Delete expired tokens", chromedp.Click(chromedp.ID("delete-expired")))
	question := "Are you sure you want to delete the 2 expired tokens of this service account? They no longer work."
	uiqConfirm(t, ctx, "Delete expired tokens", question, "Delete", "Cancel")
	if n := uiqTokenCount(t, ts, id); n != 3 {
		t.Fatalf("%d tokens after Cancel, want 3", n)
	}
	must(t, ctx, "Delete expired tokens", chromedp.Click(chromedp.ID("delete-expired")))
	uiqConfirm(t, ctx, "Delete expired tokens", question, "Delete", "Delete")
	if got := uiqFlash(t, ctx); got != "Deleted 2 expired tokens." {
		t.Fatalf("flash = %q", got)
	}
	if names := slices.Sorted(func(yield func(string) bool) {
		for n := range tluTokenRows(t, ctx) {
			if !yield(n) {
				return
			}
		}
	}); !slices.Equal(names, []string{"live"}) {
		t.Fatalf("tokens after deleting the expired ones = %q, want live", names)
	}
	if uiqEval[bool](t, ctx, `!!document.getElementById("delete-expired")`) {
		t.Fatal("Delete expired tokens is still offered")
	}
	checkTokenWorks(t, ts, live)
}

// TestUI_TokenLifecyclePhone: at 390 px the account's page with a rotated pair, a token used
// from an address and an expired token (so Delete expired tokens), and the rotate page, fit
// the screen with every action on it; each has labels for its controls.
func TestUI_TokenLifecyclePhone(t *testing.T) {
	browserTest(t)
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	id := createSA(t, ts, "nightly-backup-exporter", "Editor")
	tokID, _ := uiqIssue(t, ts, id, "deploy-production-eu-west-1-primary", 0)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(id)+"/tokens/"+itoa64(tokID)+"/rotate", map[string]any{"gracePeriodSeconds": 7 * 86400})
	usedID, used := uiqIssue(t, ts, id, "used", 0)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(id)+"/tokens", map[string]any{"name": "short", "secondsToLive": 1})
	uiqWaitLastUsed(t, ts, id, usedID, used)
	clock.Advance(time.Minute)

	ctx := newTab(t)
	must(t, ctx, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	browserLogin(t, ctx, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	for _, p := range []struct{ path, what string }{
		{account, "the account's page"},
		{account + "/tokens/" + itoa64(usedID) + "/rotate", "the rotate page"},
	} {
		uiqGo(t, ctx, ts, p.path)
		if bad := ncPhoneProblems(t, ctx); len(bad) > 0 {
			t.Errorf("%s at 390 px:\n\t%s", p.what, strings.Join(bad, "\n\t"))
		}
		uiqCheckLabels(t, ctx, p.what)
		screenshot(t, ctx, "lifecycle-phone-"+strings.ReplaceAll(p.what, " ", "-"))
	}
	uiqGo(t, ctx, ts, account)
	if n := uiqEval[int](t, ctx, `[document.getElementById("delete-expired"), ...document.querySelectorAll('table.tokens-table a[aria-label^="Rotate "]')].filter(e => e && e.getClientRects().length > 0).length`); n != 4 {
		t.Errorf("%d of Delete expired tokens and the Rotate actions (the new deploy, used, short) shown, want 4", n)
	}
}

// ---- the forms without JavaScript, over HTTP ----

// TestUI_TokenRotateFormHTTP: the rotate page and form as a browser without JavaScript sends
// them: the page proposes a day; the answer shows the new token once (no-store); posting it
// again lands on the account's page without a token; a token already rotated and a grace
// period not offered are sent back with a message; without the CSRF field nothing happens.
func TestUI_TokenRotateFormHTTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "form-rotator", "Viewer")
	tokID, old := uiqIssue(t, ts, id, "deploy", 0)
	c := uiqSession(t, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	rotate := account + "/tokens/" + itoa64(tokID) + "/rotate"

	if !strings.Contains(string(c.expect(t, http.StatusOK, "GET", account, nil).Body), `href="`+rotate+`"`) {
		t.Fatal("the account's page has no Rotate link to " + rotate)
	}
	pg := c.expect(t, http.StatusOK, "GET", rotate, nil)
	if !strings.Contains(string(pg.Body), `<input type="radio" name="grace" value="86400" checked> 1 day`) {
		t.Fatalf("the rotate page does not propose a day:\n%s", pg.Body)
	}
	form := uiqFormFields(t, pg.Body, rotate)
	if form.Get("csrf") == "" || len(form.Get("nonce")) < 16 {
		t.Fatalf("rotate form fields = %v, want csrf and nonce", form)
	}

	// A grace period the page does not offer: back to the page, nothing rotated.
	bad := url.Values{"csrf": {form.Get("csrf")}, "nonce": {form.Get("nonce")}, "grace": {"5"}}
	if r := uiqPost(t, c, rotate, bad); r.Status != http.StatusSeeOther || r.Header.Get("Location") != rotate {
		t.Fatalf("grace 5: %d Location %q, want 303 to the rotate page", r.Status, r.Header.Get("Location"))
	}
	if !strings.Contains(string(c.expect(t, http.StatusOK, "GET", rotate, nil).Body), "Choose how long the old token keeps working.") {
		t.Fatal("the refused grace period is not explained")
	}
	// Without the CSRF field: refused.
	noCSRF := url.Values{"nonce": {form.Get("nonce")}, "grace": {"3600"}}
	if r := uiqPost(t, c, rotate, noCSRF); r.Status != http.StatusForbidden {
		t.Fatalf("without CSRF: %d, want 403", r.Status)
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after refused forms, want 1", n)
	}

	form.Set("grace", "3600")
	r := uiqPost(t, c, rotate, form)
	if r.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("the page with the new token has Cache-Control %q, want no-store", got)
	}
	keys := uiqAnyToken.FindAllString(string(r.Body), -1)
	if len(keys) != 1 || keys[0] == old {
		t.Fatalf("the answer holds tokens %q, want exactly the new one", keys)
	}
	if !strings.Contains(string(r.Body), `id="created-token" class="mono" type="text" readonly value="`+keys[0]+`"`) {
		t.Fatal("the new token is not in the read-only Token field")
	}
	if !regexp.MustCompile(`Token deploy rotated\. The old token works until \d{4}-\d\d-\d\d \d\d:\d\d UTC\.`).Match(r.Body) {
		t.Fatal("the answer does not say until when the old token works")
	}
	checkTokenWorks(t, ts, keys[0])
	checkTokenWorks(t, ts, old)
	oldRow := taTokenRow(t, ts.admin(), id, tokID)
	if oldRow["replacedBy"] == nil {
		t.Fatalf("the old token after rotating: %v", oldRow)
	}
	if exp, err := time.Parse(time.RFC3339, oldRow["expiration"].(string)); err != nil || time.Until(exp) < 58*time.Minute || time.Until(exp) > time.Hour {
		t.Fatalf("the old token's expiration %v (%v), want in an hour", oldRow["expiration"], err)
	}

	// Reload: the same post again.
	r = uiqPost(t, c, rotate, form)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != account || uiqAnyToken.Match(r.Body) {
		t.Fatalf("re-post: %d Location %q, want 303 to %s without a token", r.Status, r.Header.Get("Location"), account)
	}
	if n := uiqTokenCount(t, ts, id); n != 2 {
		t.Fatalf("%d tokens after the re-post, want 2", n)
	}
	if body := string(c.expect(t, http.StatusOK, "GET", account, nil).Body); !strings.Contains(body, "That token was already rotated. The new token is shown only once; rotate it again if you need another.") {
		t.Fatal("the account's page after the re-post does not say why no token is shown")
	}

	// The old token again: its page sends back, and so does a fresh form for it (409).
	r = c.do(t, "GET", rotate, nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != account {
		t.Fatalf("the rotated token's rotate page: %d Location %q, want 303 to %s", r.Status, r.Header.Get("Location"), account)
	}
	const again = "This token was already rotated; rotate the token that replaced it."
	if !strings.Contains(string(c.expect(t, http.StatusOK, "GET", account, nil).Body), again) {
		t.Fatal("the rotated token's rotate page does not say why")
	}
	newID := int64(oldRow["replacedBy"].(float64))
	fresh := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", account+"/tokens/"+itoa64(newID)+"/rotate", nil).Body, account+"/tokens/"+itoa64(newID)+"/rotate")
	fresh.Set("grace", "0")
	r = uiqPost(t, c, rotate, fresh)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != account {
		t.Fatalf("rotating the rotated token: %d Location %q, want 303 to %s", r.Status, r.Header.Get("Location"), account)
	}
	if !strings.Contains(string(c.expect(t, http.StatusOK, "GET", account, nil).Body), again) {
		t.Fatal("rotating a rotated token does not say why it was refused")
	}
	if n := uiqTokenCount(t, ts, id); n != 2 {
		t.Fatalf("%d tokens after the refused rotation, want 2", n)
	}
	checkTokenWorks(t, ts, old)

	// An unknown token: the 404 page.
	if r := c.do(t, "GET", account+"/tokens/99999/rotate", nil); r.Status != http.StatusNotFound {
		t.Fatalf("an unknown token's rotate page: %d, want 404", r.Status)
	}
}

// TestUI_TokenRotateDayLimitHTTP: with a day limit, rotating a token that has no expiry (made
// before the limit) gives the new token the limit, and the page says so.
func TestUI_TokenRotateDayLimitHTTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "3"})
	id := createSA(t, ts, "limited-later", "Viewer")
	tokID, _ := uiqIssue(t, ts, id, "forever", 2*24*3600)
	taExec(t, taDB(t, ts), "UPDATE token SET expires = NULL WHERE id = ?", tokID) // as if made before the limit
	c := uiqSession(t, ts, "admin", ts.Password)
	rotate := "/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(tokID) + "/rotate"
	pg := c.expect(t, http.StatusOK, "GET", rotate, nil)
	if !strings.Contains(string(pg.Body), "It is valid for 3 days, the longest this server allows.") {
		t.Fatalf("the rotate page does not give the limit:\n%s", pg.Body)
	}
	form := uiqFormFields(t, pg.Body, rotate)
	form.Set("grace", "0")
	r := uiqPost(t, c, rotate, form)
	if r.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	for _, tk := range ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id)+"/tokens", nil).List(t) {
		if tk["name"] == "forever" {
			exp, err := time.Parse(time.RFC3339, tk["expiration"].(string))
			if err != nil || time.Until(exp) < 71*time.Hour || time.Until(exp) > 72*time.Hour+time.Minute {
				t.Fatalf("the new token expires %v (%v), want in 3 days", tk["expiration"], err)
			}
		}
	}
}

// TestUI_TokenRotateMaxSecondsHTTP: with [auth] api_key_max_seconds_to_live, a token without
// expiry (made before that limit) is rotated into one of the longest lifetime allowed, rather
// than the rotation failing.
func TestUI_TokenRotateMaxSecondsHTTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_AUTH_API_KEY_MAX_SECONDS_TO_LIVE": "7200"})
	id := createSA(t, ts, "capped", "Viewer")
	tokID, _ := uiqIssue(t, ts, id, "forever", 3600)
	taExec(t, taDB(t, ts), "UPDATE token SET expires = NULL WHERE id = ?", tokID) // as if made before the limit
	c := uiqSession(t, ts, "admin", ts.Password)
	rotate := "/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(tokID) + "/rotate"
	form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", rotate, nil).Body, rotate)
	form.Set("grace", "0")
	if r := uiqPost(t, c, rotate, form); r.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	found := false
	for _, tk := range ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id)+"/tokens", nil).List(t) {
		if tk["name"] == "forever" {
			found = true
			exp, err := time.Parse(time.RFC3339, tk["expiration"].(string))
			if err != nil || time.Until(exp) < 119*time.Minute || time.Until(exp) > 2*time.Hour+time.Minute {
				t.Fatalf("the new token expires %v (%v), want in 2 hours", tk["expiration"], err)
			}
		}
	}
	if !found {
		t.Fatal("no token named forever after the rotation")
	}
}

// TestUI_DeleteExpiredFormHTTP: Delete expired tokens posted without JavaScript answers a
// confirmation page and deletes nothing; its form (confirm=yes) deletes them and says how many;
// again, there are none.
func TestUI_DeleteExpiredFormHTTP(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	id := createSA(t, ts, "expiring", "Viewer")
	uiqIssue(t, ts, id, "live", 0)
	c := uiqSession(t, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	action := account + "/tokens/delete-expired"
	if strings.Contains(string(c.expect(t, http.StatusOK, "GET", account, nil).Body), `action="`+action+`"`) {
		t.Fatal("Delete expired tokens is offered without an expired token")
	}
	briefID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(id)+"/tokens",
		map[string]any{"name": "brief", "secondsToLive": 1}).JSON(t)["id"].(float64))
	clock.Advance(time.Minute)

	// An expired token may be rotated (that is how one is regenerated): no grace to choose.
	rotate := account + "/tokens/" + itoa64(briefID) + "/rotate"
	pg := c.expect(t, http.StatusOK, "GET", rotate, nil)
	if f := uiqFormFields(t, pg.Body, rotate); f.Get("grace") != "0" || !strings.Contains(string(pg.Body), "This token has expired; the new token replaces it.") ||
		strings.Contains(string(pg.Body), `type="radio"`) {
		t.Fatalf("the rotate page of an expired token (fields %v):\n%s", f, pg.Body)
	}

	form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", account, nil).Body, action)
	r := uiqPost(t, c, action, form)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Are you sure you want to delete the expired token of this service account? It no longer works.") {
		t.Fatalf("without confirmation: %d %s", r.Status, r.Body)
	}
	if n := uiqTokenCount(t, ts, id); n != 2 {
		t.Fatalf("%d tokens while asking, want 2", n)
	}
	confirm := uiqFormFields(t, r.Body, action)
	if confirm.Get("confirm") != "yes" {
		t.Fatalf("the confirmation page's form = %v", confirm)
	}
	r = uiqPost(t, c, action, confirm)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != account {
		t.Fatalf("confirmed: %d Location %q", r.Status, r.Header.Get("Location"))
	}
	if body := string(c.expect(t, http.StatusOK, "GET", account, nil).Body); !strings.Contains(body, "Deleted 1 expired token.") || strings.Contains(body, `action="`+action+`"`) {
		t.Fatal("after deleting: no message, or the button is still there")
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after deleting the expired one, want 1", n)
	}
	r = uiqPost(t, c, action, confirm)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("again: %d", r.Status)
	}
	if !strings.Contains(string(c.expect(t, http.StatusOK, "GET", account, nil).Body), "There were no expired tokens to delete.") {
		t.Fatal("deleting again does not say there were none")
	}
}
