package main

// The UI's token dialog: adding a token (with or without expiry, within a day limit), the
// token shown once, copying it, and the form that works without JavaScript.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ---- the token dialog ----

// TestUI_TokenDialogDayLimit: with a three-day limit "Set expiration date" is preselected and
// "No expiration" disabled; a later date shows the server's refusal in plain words in the
// dialog, the typed name kept. Keyboard: the focus lands in the name field, Enter generates,
// Escape closes.
func TestUI_TokenDialogDayLimit(t *testing.T) {
	browserTest(t)
	ts := startServer(t, map[string]string{"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "3"})
	id := createSA(t, ts, "limited", "Viewer")
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	uiqOpenTokenDialog(t, ctx)

	state := uiqEval[map[string]any](t, ctx, `(() => { const d = document.getElementById("token-dialog"), q = s => d.querySelector(s);
		return {tag: d.tagName, modal: d.matches(":modal"), focus: document.activeElement.id, title: q("#add-token-title").textContent.trim(),
			never: q("input[value=never]").checked, neverDisabled: q("input[value=never]").disabled, date: q("input[value=date]").checked,
			dateVisible: q("#token-date").getClientRects().length > 0, max: q("#token-date").max, hint: q("[data-expiration-date] .hint").textContent.trim(),
			labelledBy: document.getElementById(d.getAttribute("aria-labelledby")).textContent.trim()}; })()`)
	want := map[string]any{"tag": "DIALOG", "modal": true, "focus": "token-name", "title": "Add service account token",
		"never": false, "neverDisabled": true, "date": true, "dateVisible": true,
		"max": time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02"), "hint": "Tokens on this server must expire within 3 days.",
		"labelledBy": "Add service account token"}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("dialog %s = %v, want %v", k, state[k], v)
		}
	}
	uiqCheckLabels(t, ctx, "token dialog")

	// Ten days: refused, in plain words, in the dialog.
	must(t, ctx, "type a name and a date past the limit",
		chromedp.SendKeys(chromedp.ID("token-name"), "nightly"),
		chromedp.SetValue(chromedp.ID("token-date"), time.Now().AddDate(0, 0, 10).Format("2006-01-02")),
		chromedp.Click(chromedp.CSS("[data-generate]")),
		chromedp.WaitVisible(chromedp.CSS("[data-token-error]")))
	if got := text(t, ctx, "[data-token-error]"); got != "The expiration date is later than this server allows for tokens. Choose an earlier date." {
		t.Fatalf("refusal shown as %q", got)
	}
	after := uiqEval[[]any](t, ctx, `[document.getElementById("token-dialog").open, document.getElementById("token-name").value,
		document.querySelector("[data-generate]").disabled, document.querySelector("[data-token-error]").getAttribute("role")]`)
	if !slices.Equal(after, []any{true, "nightly", false, "alert"}) {
		t.Fatalf("after the refusal: dialog open, name, generate disabled, role = %v", after)
	}
	if n := uiqTokenCount(t, ts, id); n != 0 {
		t.Fatalf("%d tokens after a refused date", n)
	}
	uiqShot(t, ctx, "dialog-01-limit-refused")

	// Escape closes the dialog.
	must(t, ctx, "press Escape", chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, "the dialog to close", `!document.getElementById("token-dialog").open`)

	// Again, by keyboard: the focus is in the name field, Enter generates.
	uiqOpenTokenDialog(t, ctx)
	if got := uiqEval[string](t, ctx, `document.activeElement.id`); got != "token-name" {
		t.Fatalf("reopened, the focus is on %q", got)
	}
	must(t, ctx, "a date within the limit, then Enter",
		chromedp.SetValue(chromedp.ID("token-date"), time.Now().AddDate(0, 0, 2).Format("2006-01-02")),
		chromedp.Focus(chromedp.ID("token-name")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("new-token")))
	created := uiqEval[[]string](t, ctx, `[document.getElementById("new-token").value, document.activeElement.id,
		document.getElementById(document.getElementById("token-dialog").getAttribute("aria-labelledby")).textContent.trim(),
		document.getElementById("new-token-hint").textContent.trim()]`)
	if !tokenPattern.MatchString(created[0]) || created[1] != "new-token" || created[2] != "Service account token created" ||
		created[3] != "Copy the token now as you will not be able to see it again. Losing a token requires creating a new one." {
		t.Fatalf("created step = %q", created)
	}
	checkTokenWorks(t, ts, created[0])
	uiqShot(t, ctx, "dialog-02-limit-created")
	must(t, ctx, "mark", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	must(t, ctx, "press Escape", chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, "the page to reload", `!window.__uiqOld && document.readyState === "complete" && !!document.querySelector("table.tokens-table")`)
	if r := uiqRows(t, ctx, "table.tokens-table"); len(r) != 1 || r[0][0] != "nightly" || r[0][1] != "Expires in 2 days" {
		t.Fatalf("tokens after creating nightly = %q", r)
	}
}

// TestUI_TokenDialogDefaults: without a limit "No expiration" is chosen and the date hidden;
// an empty name is refused in the dialog; a name taken in the org is refused in plain words.
func TestUI_TokenDialogDefaults(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "plain", "Viewer")
	other := createSA(t, ts, "other", "Viewer")
	uiqIssue(t, ts, other, "taken", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	uiqOpenTokenDialog(t, ctx)
	got := uiqEval[[]any](t, ctx, `[document.querySelector("#token-dialog input[value=never]").checked, document.querySelector("#token-dialog input[value=never]").disabled,
		document.getElementById("token-date").getClientRects().length > 0, document.querySelector("label[for=token-name]").textContent, document.getElementById("token-name-hint").textContent]`)
	if !slices.Equal(got, []any{true, false, false, "Display name", "Name to easily identify the token"}) {
		t.Fatalf("dialog defaults = %v", got)
	}
	must(t, ctx, "Set expiration date shows the date", chromedp.Click(chromedp.CSS("#token-dialog input[value=date]")), chromedp.WaitVisible(chromedp.ID("token-date")))
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	if got := uiqEval[[]string](t, ctx, `[document.getElementById("token-date").value, document.getElementById("token-date").min, document.getElementById("token-date").max]`); !slices.Equal(got, []string{tomorrow, tomorrow, ""}) {
		t.Fatalf("date value, min, max = %q, want tomorrow, tomorrow, none", got)
	}
	must(t, ctx, "clearing the date disables Generate", chromedp.SetValue(chromedp.ID("token-date"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("token-date").dispatchEvent(new Event("input"))`))
	if !uiqEval[bool](t, ctx, `document.querySelector("[data-generate]").disabled`) {
		t.Fatal("Generate token is enabled with Set expiration date and no date")
	}
	must(t, ctx, "back to No expiration", chromedp.Click(chromedp.CSS("#token-dialog input[value=never]")))
	must(t, ctx, "generate without a name", chromedp.Click(chromedp.CSS("[data-generate]")), chromedp.WaitVisible(chromedp.ID("token-name-error")))
	if got := text(t, ctx, "#token-name-error"); got != "Display name is required" {
		t.Fatalf("empty token name error = %q", got)
	}
	must(t, ctx, "a name taken in the org",
		chromedp.SendKeys(chromedp.ID("token-name"), "taken"),
		chromedp.Click(chromedp.CSS("[data-generate]")),
		chromedp.WaitVisible(chromedp.CSS("[data-token-error]")))
	if got := text(t, ctx, "[data-token-error]"); got != "A token with this name already exists in this organization. Choose another name." {
		t.Fatalf("duplicate token name shown as %q", got)
	}
	uiqShot(t, ctx, "dialog-03-name-taken")
	must(t, ctx, "Cancel", chromedp.Click(uiqByText("#token-dialog button", "Cancel")))
	waitJS(t, ctx, "the dialog to close", `!document.getElementById("token-dialog").open`)
	if n := uiqTokenCount(t, ts, id); n != 0 {
		t.Fatalf("%d tokens after refusals", n)
	}
	// "Add token" in the list opens the same dialog on the account's page.
	uiqGo(t, ctx, ts, "/org/serviceaccounts")
	uiqNav(t, ctx, "Add token", chromedp.Click(chromedp.CSS(`a[href="/org/serviceaccounts/`+itoa64(id)+`#add-token"]`)))
	waitJS(t, ctx, "the dialog to open", `document.getElementById("token-dialog").open && document.activeElement.id === "token-name"`)
}

// TestUI_CopyFallback: where the Clipboard API is missing (plain http on another host),
// "Copy to clipboard" selects the token so Ctrl+C copies it.
func TestUI_CopyFallback(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "copier", "Viewer")
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	key := generateToken(t, ctx, "copy-me", "")

	// 127.0.0.1 is a secure context, so take the Clipboard API away as plain http on another
	// host does, and clear the selection the dialog made.
	must(t, ctx, "remove the Clipboard API", chromedp.Evaluate[chromedp.Void](`(() => {
		Object.defineProperty(Navigator.prototype, "clipboard", {get: () => undefined, configurable: true});
		const i = document.getElementById("new-token"); i.setSelectionRange(0, 0); i.blur(); getSelection().removeAllRanges(); })()`))
	if uiqEval[bool](t, ctx, `!!navigator.clipboard`) {
		t.Fatal("the Clipboard API is still there")
	}
	must(t, ctx, "Copy to clipboard", chromedp.Click(uiqByText("#token-dialog [data-step=created] button", "Copy to clipboard")))
	waitJS(t, ctx, "the token to be selected", `(() => { const i = document.getElementById("new-token");
		return document.activeElement === i && i.selectionStart === 0 && i.selectionEnd === i.value.length && i.value.length === 46; })()`)
	if got := uiqEval[string](t, ctx, `getSelection().toString()`); got != key {
		t.Fatalf("window.getSelection() = %q, want the token", got)
	}
	uiqShot(t, ctx, "copy-01-selected")
}

// TestUI_TokenShownOnce: the token appears once. In the browser: Reload and Back after the
// no-JavaScript form, and Back after the dialog, show no token and create none.
func TestUI_TokenShownOnce(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "once", "Viewer")
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))

	leaks := func(key string) bool {
		return uiqEval[bool](t, ctx, fmt.Sprintf(`document.documentElement.outerHTML.includes(%[1]s) ||
			[...document.querySelectorAll("input")].some(i => i.value.includes(%[1]s))`, uiqJS(key)))
	}

	// The form as a browser without JavaScript sends it (form.submit() skips the script).
	uiqNav(t, ctx, "post the token form",
		chromedp.SetValue(chromedp.ID("token-name"), "no-js"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#add-token form").submit()`))
	key := uiqEval[string](t, ctx, `document.getElementById("created-token").value`)
	if !tokenPattern.MatchString(key) {
		t.Fatalf("the form's answer shows %q, not a token", key)
	}
	if got := text(t, ctx, "#created-title"); got != "Service account token created" {
		t.Fatalf("title = %q", got)
	}
	checkTokenWorks(t, ts, key)
	screenshot(t, ctx, "once-01-no-js-created")
	must(t, ctx, "leave (as the back-forward cache would keep the page)",
		chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new PageTransitionEvent("pagehide", {persisted: true}))`))
	if got := uiqEval[string](t, ctx, `document.getElementById("created-token").value`); got != "" {
		t.Fatal("leaving the page keeps the token in its field")
	}

	// Reload re-posts the form: the nonce is spent, so the account's page, no token.
	must(t, ctx, "mark", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	if _, err := chromedp.Call(ctx, page.Reload, page.ReloadParams{}); err != nil {
		t.Fatalf("reload: %v", err)
	}
	waitJS(t, ctx, "the reloaded page", `!window.__uiqOld && document.readyState === "complete"`)
	if leaks(key) {
		t.Fatal("Reload shows the token again")
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after Reload, want 1", n)
	}
	if got := uiqPath(t, ctx); got != "/org/serviceaccounts/"+itoa64(id) {
		t.Fatalf("after Reload the browser shows %s, want the account page", got)
	}
	if got := uiqFlash(t, ctx); got != "That token was already generated. It is shown only once; add a new token if you need one." {
		t.Fatalf("after Reload the flash says %q", got)
	}

	// Elsewhere, then Back.
	uiqGo(t, ctx, ts, "/org/users")
	must(t, ctx, "Back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	waitJS(t, ctx, "Back", `location.pathname !== "/org/users" && document.readyState === "complete"`)
	if leaks(key) {
		t.Fatal("Back shows the token again")
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after Back, want 1", n)
	}

	// The dialog: leave the page with the token on screen, then come Back.
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	key2 := generateToken(t, ctx, "dialog", "")
	uiqGo(t, ctx, ts, "/org/teams")
	must(t, ctx, "Back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	waitJS(t, ctx, "Back to the account", `location.pathname === "/org/serviceaccounts/`+itoa64(id)+`" && document.readyState === "complete" && !!document.querySelector("table.tokens-table")`)
	if leaks(key2) || uiqEval[bool](t, ctx, `!!document.querySelector("dialog[open]")`) {
		t.Fatal("Back after the dialog shows the token again")
	}
	if n := uiqTokenCount(t, ts, id); n != 2 {
		t.Fatalf("%d tokens, want 2", n)
	}

	// Chromium keeps no-store pages out of the back-forward cache; where a browser does keep
	// one, leaving forgets the token and coming back replaces the page. Play those events.
	key3 := generateToken(t, ctx, "cached", "")
	must(t, ctx, "leave", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new PageTransitionEvent("pagehide", {persisted: true}))`))
	if leaks(key3) {
		t.Fatal("leaving the page keeps the token in it")
	}
	uiqNav(t, ctx, "come back from the cache",
		chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}))`))
	if leaks(key3) || uiqEval[bool](t, ctx, `!!document.querySelector("dialog[open]")`) {
		t.Fatal("the page restored from the cache shows the token")
	}
}

// TestUI_TokenFormWithoutJS: the no-JavaScript token form over plain HTTP. The first post
// shows the token once with Cache-Control: no-store; posting the same nonce again (what Reload
// does) answers 303 to the account page without any token and creates no second token.
func TestUI_TokenFormWithoutJS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "nojs", "Viewer")
	c := uiqSession(t, ts, "admin", ts.Password)
	path := "/org/serviceaccounts/" + itoa64(id)
	form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", path, nil).Body, path+"/tokens")
	if form.Get("csrf") == "" || len(form.Get("nonce")) < 16 {
		t.Fatalf("token form fields = %v, want csrf and nonce", form)
	}
	form.Set("name", "from-a-form")
	form.Set("expiration", "date")
	form.Set("expirationDate", time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02"))

	r := uiqPost(t, c, path+"/tokens", form)
	if r.Status != http.StatusOK {
		t.Fatalf("first post: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("the page with the token has Cache-Control %q, want no-store", got)
	}
	keys := uiqAnyToken.FindAllString(string(r.Body), -1)
	if len(keys) != 1 {
		t.Fatalf("the answer holds %d tokens, want exactly one: %q", len(keys), keys)
	}
	if !strings.Contains(string(r.Body), `id="created-token" class="mono" type="text" readonly value="`+keys[0]+`"`) {
		t.Fatal("the token is not in the read-only Token field")
	}
	checkTokenWorks(t, ts, keys[0])
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id)+"/tokens", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("%d tokens after the first post", len(list))
	}
	exp, err := time.Parse(time.RFC3339, list[0]["expiration"].(string))
	if err != nil || time.Until(exp) < 6*24*time.Hour || time.Until(exp) > 8*24*time.Hour {
		t.Fatalf("expiration %v (%v), want the end of the day seven days ahead", list[0]["expiration"], err)
	}

	// Reload: the same post again.
	r = uiqPost(t, c, path+"/tokens", form)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != path {
		t.Fatalf("re-post: %d Location %q, want 303 %s", r.Status, r.Header.Get("Location"), path)
	}
	if uiqAnyToken.Match(r.Body) {
		t.Fatal("the re-post's answer holds a token")
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after the re-post, want 1", n)
	}
	page := c.expect(t, http.StatusOK, "GET", path, nil)
	if uiqAnyToken.Match(page.Body) {
		t.Fatal("the account page holds a token")
	}
	if !strings.Contains(string(page.Body), "That token was already generated. It is shown only once; add a new token if you need one.") {
		t.Fatal("the account page after the re-post does not say why no token is shown")
	}
	// A fresh form works again; a refused one (no name) keeps nothing and issues a new nonce.
	form2 := uiqFormFields(t, page.Body, path+"/tokens")
	form2.Set("name", "")
	r = uiqPost(t, c, path+"/tokens", form2)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Display name is required") || uiqAnyToken.Match(r.Body) {
		t.Fatalf("empty name: %d %s", r.Status, r.Body)
	}
	if f := uiqFormFields(t, r.Body, path+"/tokens"); f.Get("nonce") == form2.Get("nonce") {
		t.Fatal("the refused form came back with the spent nonce")
	}
}

// TestUI_AddTokenFlow walks Grafana's "Add a token to a service account" steps as a person
// would: sign in → Configuration → Service accounts → a service account → Add token → name →
// no expiry (then again with a date) → Generate → read the token from the page → the token
// authenticates against GET /api/org over real HTTP.
func TestUI_AddTokenFlow(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	saID := createSA(t, ts, "ci-bot", "Editor")
	ctx := newTab(t)

	browserLogin(t, ctx, ts, "admin", ts.Password)
	screenshot(t, ctx, "01-after-login")

	// Configuration → Service accounts.
	if got := text(t, ctx, "#nav-config"); !strings.Contains(got, "Configuration") {
		t.Fatalf("sidebar heading = %q, want Configuration", got)
	}
	must(t, ctx, "open service accounts",
		chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("nav.sidebar a")].filter(a => a.textContent.trim() === "Service accounts")[0]`)),
		chromedp.WaitVisible(chromedp.CSS("table.sa-table")),
	)
	screenshot(t, ctx, "02-service-accounts")
	if got := text(t, ctx, "table.sa-table tbody"); !strings.Contains(got, "ci-bot") || !strings.Contains(got, "sa-1-ci-bot") || !strings.Contains(got, "No tokens") {
		t.Fatalf("list shows %q, want name, login and No tokens", got)
	}

	// A service account → Add service account token.
	must(t, ctx, "open the account",
		chromedp.Click(chromedp.CSS(`table.sa-table a[href="/org/serviceaccounts/`+itoa64(saID)+`"]`)),
		chromedp.WaitVisible(chromedp.ID("open-token-dialog")),
	)
	if got := text(t, ctx, "#open-token-dialog"); got != "Add service account token" {
		t.Fatalf("token button = %q", got)
	}
	screenshot(t, ctx, "03-service-account")

	key := generateToken(t, ctx, "deploy", "")
	screenshot(t, ctx, "04-token-created")
	checkTokenWorks(t, ts, key)

	// The dialog closes; the token is listed but never shown again.
	closeTokenDialog(t, ctx)
	page := text(t, ctx, "main")
	if strings.Contains(page, key) {
		t.Fatal("the token is shown again after closing the dialog")
	}
	if got := text(t, ctx, "table.tokens-table tbody"); !strings.Contains(got, "deploy") || !strings.Contains(got, "Never") {
		t.Fatalf("tokens table = %q, want deploy with Never", got)
	}

	// Again with an expiration date, five days ahead in the browser's time zone.
	date := time.Now().AddDate(0, 0, 5).Format("2006-01-02")
	key2 := generateToken(t, ctx, "release", date)
	checkTokenWorks(t, ts, key2)
	closeTokenDialog(t, ctx)
	rows := text(t, ctx, "table.tokens-table tbody")
	if !strings.Contains(rows, "release") || !regexp.MustCompile(`Expires in [45] days`).MatchString(rows) {
		t.Fatalf("tokens table = %q, want release expiring in 4-5 days", rows)
	}
	screenshot(t, ctx, "05-tokens")

	// The API agrees: the dated token expires within the sixth day from now.
	var list []map[string]any
	if err := json.Unmarshal(ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(saID)+"/tokens", nil).Body, &list); err != nil {
		t.Fatal(err)
	}
	for _, tk := range list {
		if tk["name"] == "release" {
			exp, err := time.Parse(time.RFC3339, tk["expiration"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Until(exp); d < 4*24*time.Hour || d > 6*24*time.Hour {
				t.Fatalf("release expires in %v, want about 5 days", d)
			}
		}
	}
}
