package main

// The web UI end to end: browser tests (TestUI_…) walk the pages as a person would in headless
// Chromium; the HTTP-level tests check what a browser cannot show (headers, the no-JavaScript
// token form, CSRF refusals, redirect targets). These are their helpers, prefixed uiq; the
// browser itself is in browser_test.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// The web UI end to end: browser tests (TestUI_…) walk the pages as a person would in headless
// Chromium; the HTTP-level tests check what a browser cannot show (headers, the no-JavaScript
// token form, CSRF refusals, redirect targets). Helpers are prefixed uiq.

// ---- browser helpers ----

// uiqJS quotes s as a JavaScript string literal.
func uiqJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// uiqByText selects the first element matching css whose trimmed text is txt.
func uiqByText(css, txt string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`[...document.querySelectorAll(%s)].find(e => e.textContent.trim() === %s)`, uiqJS(css), uiqJS(txt)))
}

// uiqEval evaluates a JavaScript expression and returns its value.
func uiqEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// uiqNav runs steps that load another document (a click on a link or a form button) and
// waits until the new document has loaded.
func uiqNav(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	must(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	must(t, ctx, what, steps...)
	waitJS(t, ctx, what+": the next page", `!window.__uiqOld && document.readyState === "complete"`)
}

// uiqGo opens a path of the test server.
func uiqGo(t *testing.T, ctx context.Context, ts *testServer, path string) {
	t.Helper()
	must(t, ctx, "open "+path, chromedp.Navigate(ts.URL+path))
	waitJS(t, ctx, path+" loaded", `document.readyState === "complete"`)
}

// uiqPath returns the path and query of the page shown.
func uiqPath(t *testing.T, ctx context.Context) string {
	t.Helper()
	return uiqEval[string](t, ctx, `location.pathname + location.search`)
}

// uiqConfirm waits for the confirmation dialog, checks that it is a real <dialog> with the
// title, question and confirm button given, then presses the button named press.
func uiqConfirm(t *testing.T, ctx context.Context, title, question, button, press string) {
	t.Helper()
	waitJS(t, ctx, "the confirmation dialog", `!!document.querySelector("dialog[open] #confirm-title")`)
	got := uiqEval[[]string](t, ctx, `(() => { const d = document.querySelector("dialog[open]");
		return [d.tagName, d.querySelector("#confirm-title").textContent, d.querySelector(".confirm-text").textContent,
			d.querySelector("button.confirm").textContent, String(d.matches(":modal"))]; })()`)
	want := []string{"DIALOG", title, question, button, "true"}
	if !slices.Equal(got, want) {
		t.Fatalf("confirmation dialog = %q, want %q", got, want)
	}
	if press == "Cancel" {
		must(t, ctx, "cancel", chromedp.Click(uiqByText("dialog[open] button", "Cancel")))
		waitJS(t, ctx, "the dialog to close", `!document.querySelector("dialog[open]")`)
		return
	}
	uiqNav(t, ctx, "confirm "+press, chromedp.Click(chromedp.CSS("dialog[open] button.confirm")))
}

// uiqRows returns the cells' texts of a table's body rows.
func uiqRows(t *testing.T, ctx context.Context, table string) [][]string {
	t.Helper()
	return uiqEval[[][]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(tr =>
		[...tr.cells].map(c => c.textContent.replace(/\s+/g, " ").trim()))`, uiqJS(table+" tbody tr")))
}

// uiqRow returns the cells of the row whose cells include name, or nil.
func uiqRow(rows [][]string, name string) []string {
	for _, r := range rows {
		if slices.Contains(r, name) || (len(r) > 1 && strings.HasPrefix(r[1], name+" ")) {
			return r
		}
	}
	return nil
}

// uiqFlash returns the one-time message shown at the top of the page ("" when none).
func uiqFlash(t *testing.T, ctx context.Context) string {
	t.Helper()
	return uiqEval[string](t, ctx, `(document.querySelector(".flash") || {textContent: ""}).textContent.trim()`)
}

// uiqSidebar returns the entries of the sidebar's Configuration menu.
func uiqSidebar(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return uiqEval[[]string](t, ctx, `[...document.querySelectorAll("nav.sidebar .nav-section a")].map(a => a.textContent.trim())`)
}

// uiqTypeAtOnce types text into the field with the id in one input event, as pasting does. The
// search box submits its form 500 ms after the last input: typed key by key (SendKeys), a
// loaded machine can pause that long mid-word, and the page would search for part of the text.
func uiqTypeAtOnce(t *testing.T, ctx context.Context, id, text string) {
	t.Helper()
	must(t, ctx, "focus "+id, chromedp.Focus(chromedp.ID(id)))
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		t.Fatalf("type %q into %s: %v", text, id, err)
	}
}

// uiqSelect chooses an option of a <select> as a person would, firing its change event.
func uiqSelect(t *testing.T, ctx context.Context, css, value string) {
	t.Helper()
	must(t, ctx, "choose "+value+" in "+css, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector(%s); s.focus(); s.value = %s;
		s.dispatchEvent(new Event("input", {bubbles: true})); s.dispatchEvent(new Event("change", {bubbles: true})); })()`,
		uiqJS(css), uiqJS(value))))
}

// uiqUnlabelled lists the visible inputs, selects and text areas that have no label: no
// <label for>, no enclosing <label>, no aria-label or aria-labelledby.
func uiqUnlabelled(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return uiqEval[[]string](t, ctx, `[...document.querySelectorAll("input, select, textarea")].filter(el => {
		if (el.type === "hidden" || el.getClientRects().length === 0 || getComputedStyle(el).visibility === "hidden") return false;
		const byFor = el.id && [...document.querySelectorAll("label[for='" + CSS.escape(el.id) + "']")].some(l => l.textContent.trim() !== "");
		const wrapped = el.closest("label") && el.closest("label").textContent.trim() !== "";
		const aria = (el.getAttribute("aria-label") || "").trim() !== "" ||
			(el.getAttribute("aria-labelledby") || "").split(/\s+/).some(id => id && document.getElementById(id) && document.getElementById(id).textContent.trim() !== "");
		return !(byFor || wrapped || aria);
	}).map(el => el.outerHTML.slice(0, 160))`)
}

// uiqCheckLabels fails when a visible form control on the page has no label.
func uiqCheckLabels(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if bad := uiqUnlabelled(t, ctx); len(bad) > 0 {
		t.Errorf("%s: form controls without a label: %q", page, bad)
	}
}

// uiqOpenTokenDialog presses "Add service account token" and waits for the dialog.
func uiqOpenTokenDialog(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, ctx, "open the token dialog", chromedp.Click(chromedp.ID("open-token-dialog")), chromedp.WaitVisible(chromedp.ID("token-name")))
	waitJS(t, ctx, "the token dialog to open", `document.getElementById("token-dialog").open`)
}

// ---- HTTP helpers ----

var uiqHidden = regexp.MustCompile(`<input type="hidden" name="([a-zA-Z]+)" value="([^"]*)">`)

// uiqFormFields returns the hidden fields of the form whose action is action, read from a page
// as a browser would (the first form with that action).
func uiqFormFields(t *testing.T, page []byte, action string) url.Values {
	t.Helper()
	s := string(page)
	i := strings.Index(s, `action="`+action+`"`)
	if i < 0 {
		t.Fatalf("no form with action %s in the page:\n%s", action, page)
	}
	end := strings.Index(s[i:], "</form>")
	if end < 0 {
		t.Fatalf("form %s not closed", action)
	}
	v := url.Values{}
	for _, m := range uiqHidden.FindAllStringSubmatch(s[i:i+end], -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// uiqPost posts a form the way a browser without JavaScript does.
func uiqPost(t *testing.T, c *client, path string, form url.Values) *response {
	t.Helper()
	return c.with("Content-Type", "application/x-www-form-urlencoded").do(t, "POST", path, form.Encode())
}

// uiqSession signs in through the sign-in form and returns a cookie-jar client that sends the
// Origin header a browser sends with form posts.
func uiqSession(t *testing.T, ts *testServer, user, pass string) *client {
	t.Helper()
	c := ts.anon().with("Origin", ts.URL)
	page := c.expect(t, http.StatusOK, "GET", "/login", nil)
	form := uiqFormFields(t, page.Body, "/login")
	form.Set("user", user)
	form.Set("password", pass)
	r := uiqPost(t, c, "/login", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: status %d, want 303; body %s", r.Status, r.Body)
	}
	return c
}

// uiqTokenCount counts an account's tokens through the API.
func uiqTokenCount(t *testing.T, ts *testServer, saID int64) int {
	t.Helper()
	return len(ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(saID)+"/tokens", nil).List(t))
}

// uiqIssue creates a token through the API and returns its id and key.
func uiqIssue(t *testing.T, ts *testServer, saID int64, name string, secondsToLive int64) (int64, string) {
	t.Helper()
	body := map[string]any{"name": name}
	if secondsToLive > 0 {
		body["secondsToLive"] = secondsToLive
	}
	m := ts.admin().expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(saID)+"/tokens", body).JSON(t)
	return int64(m["id"].(float64)), m["key"].(string)
}

// uiqWaitLastUsed uses a token and waits until its lastUsedAt is recorded.
func uiqWaitLastUsed(t *testing.T, ts *testServer, saID, tokenID int64, key string) {
	t.Helper()
	checkTokenWorks(t, ts, key)
	poller := taAdminToken(t, ts) // a token check is cheap; Basic auth would hash a password each time
	deadline := time.Now().Add(10 * time.Second)
	for taTokenRow(t, poller, saID, tokenID)["lastUsedAt"] == nil {
		if time.Now().After(deadline) {
			t.Fatal("lastUsedAt not set within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var uiqAnyToken = regexp.MustCompile(`glsa_[0-9A-Za-z]{32}_[0-9a-f]{8}`)

// uiqShot saves a screenshot of what the screen shows (not the whole page), for dialogs: a
// full-page capture would show the backdrop over the first screen only. Like screenshot, it
// does nothing without $WARDEN_SCREENSHOTS.
func uiqShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if dir := os.Getenv("WARDEN_SCREENSHOTS"); dir != "" {
		uiqViewportShot(t, ctx, dir, name)
	}
}

var tokenPattern = regexp.MustCompile(`^glsa_[0-9A-Za-z]{32}_[0-9a-f]{8}$`)

// generateToken opens the token dialog, fills it and returns the token the page shows.
func generateToken(t *testing.T, ctx context.Context, name, date string) string {
	t.Helper()
	must(t, ctx, "open the token dialog",
		chromedp.Click(chromedp.ID("open-token-dialog")),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), name),
	)
	if date != "" {
		must(t, ctx, "choose a date",
			chromedp.Click(chromedp.CSS(`input[name=expiration][value=date]`)),
			chromedp.WaitVisible(chromedp.ID("token-date")),
			chromedp.SetValue(chromedp.ID("token-date"), date),
		)
	}
	must(t, ctx, "generate",
		chromedp.Click(chromedp.CSS("[data-generate]")),
		chromedp.WaitVisible(chromedp.ID("new-token")),
	)
	if got := text(t, ctx, "#token-dialog [data-step=created] h2"); got != "Service account token created" {
		t.Fatalf("dialog title = %q", got)
	}
	key, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("new-token")))
	if err != nil {
		t.Fatal(err)
	}
	if !tokenPattern.MatchString(key) {
		t.Fatalf("token on the page = %q, not a token", key)
	}
	return key
}

// checkTokenWorks makes a real HTTP request with the token, as curl would.
func checkTokenWorks(t *testing.T, ts *testServer, key string) {
	t.Helper()
	r := ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil)
	if got := r.JSON(t)["name"]; got != "Main Org." {
		t.Fatalf("GET /api/org with the token: name = %v", got)
	}
}

// createSA creates a service account through the API and returns its id.
func createSA(t *testing.T, ts *testServer, name, role string) int64 {
	t.Helper()
	r := ts.admin().expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]any{"name": name, "role": role})
	return int64(r.JSON(t)["id"].(float64))
}

// closeTokenDialog presses Close in the created step and waits for the page to reload
// without the dialog.
func closeTokenDialog(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__beforeClose = true`))
	must(t, ctx, "close the dialog",
		chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("#token-dialog [data-step=created] button")].filter(b => b.textContent.trim() === "Close")[0]`)))
	waitJS(t, ctx, "the page to reload", `!window.__beforeClose && !!document.querySelector("table.tokens-table")`)
}
