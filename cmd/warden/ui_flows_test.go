package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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

// ---- sign-in ----

// TestUI_SignIn: the sign-in page's labels and button, a clear message on failure, the way
// back to the page that was asked for, and signing out.
func TestUI_SignIn(t *testing.T) {
	ts := startServer(t, nil)
	ctx := newTab(t)

	uiqGo(t, ctx, ts, "/org/serviceaccounts/create")
	if got := uiqPath(t, ctx); got != "/login?redirectTo=%2Forg%2Fserviceaccounts%2Fcreate" {
		t.Fatalf("signed out, /org/serviceaccounts/create went to %s, want the sign-in page", got)
	}
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

// ---- navigation ----

// TestUI_Navigation: the sidebar's Configuration (gear) menu shows what the viewer may use. A
// Viewer sees no Service accounts entry (and is refused the page); with the serviceAccounts
// feature toggle off the entry disappears for everyone.
func TestUI_Navigation(t *testing.T) {
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "vera", "email": "vera@example.com", "name": "Vera", "password": "vera-password"})

	admin := newTab(t)
	browserLogin(t, admin, ts, "admin", ts.Password)
	if got := uiqSidebar(t, admin); !slices.Equal(got, []string{"Service accounts", "Users", "Teams"}) {
		t.Fatalf("org admin's menu = %q", got)
	}
	if got := uiqEval[[]string](t, admin, `[document.getElementById("nav-config").textContent.trim(),
		String(!!document.querySelector("#nav-config svg path")), document.querySelector(".nav-user .org").textContent.trim()]`); !slices.Equal(got, []string{"Configuration", "true", "Organization: Main Org."}) {
		t.Fatalf("menu heading = %q, want Configuration with its gear icon and the org", got)
	}
	if got := uiqPath(t, admin); got != "/org/serviceaccounts" {
		t.Fatalf("the admin's start page is %s, want the service accounts", got)
	}
	if got := uiqEval[string](t, admin, `document.querySelector("nav.sidebar a[aria-current=page]").textContent.trim()`); got != "Service accounts" {
		t.Fatalf("current menu entry = %q", got)
	}

	viewer := newTab(t)
	browserLogin(t, viewer, ts, "vera", "vera-password")
	screenshot(t, viewer, "nav-01-viewer-home")
	menu := uiqSidebar(t, viewer)
	if slices.Contains(menu, "Service accounts") || slices.Contains(menu, "Users") {
		t.Fatalf("a Viewer's menu = %q, want no Service accounts and no Users", menu)
	}
	if strings.Contains(text(t, viewer, "nav.sidebar"), "Service accounts") {
		t.Fatal("the sidebar names Service accounts for a Viewer")
	}
	if got := text(t, viewer, "h1"); got != "Welcome, vera" {
		t.Fatalf("a Viewer's start page h1 = %q", got)
	}
	uiqGo(t, viewer, ts, "/org/serviceaccounts")
	if got := text(t, viewer, "[role=alert]"); !strings.Contains(got, "You need additional permissions") {
		t.Fatalf("a Viewer opening /org/serviceaccounts sees %q", got)
	}
	screenshot(t, viewer, "nav-02-viewer-denied")

	// The feature toggle off.
	off := startServer(t, map[string]string{"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS": "false"})
	ctx := newTab(t)
	browserLogin(t, ctx, off, "admin", off.Password)
	if got := uiqSidebar(t, ctx); !slices.Equal(got, []string{"Users", "Teams"}) {
		t.Fatalf("with serviceAccounts off the admin's menu = %q, want Users and Teams", got)
	}
	if r := off.anon().do(t, "GET", "/org/serviceaccounts", nil); r.Status != http.StatusNotFound {
		t.Fatalf("with serviceAccounts off GET /org/serviceaccounts = %d, want 404", r.Status)
	}
	screenshot(t, ctx, "nav-03-toggle-off")
}

// ---- service accounts ----

// TestUI_CreateServiceAccount: the empty list, then SPEC §9 item 77 — "Create" present,
// submitting empty shows "Display name is required", typing "Data source scavenger" creates
// a Viewer and opens its page.
func TestUI_CreateServiceAccount(t *testing.T) {
	ts := startServer(t, nil)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)

	if got := text(t, ctx, ".empty h2"); got != "You haven't created any service accounts yet" {
		t.Fatalf("empty state = %q", got)
	}
	if got := text(t, ctx, ".empty .hint"); got != "Remember, you can provide specific permissions for API access to other applications" {
		t.Fatalf("pro tip = %q", got)
	}
	screenshot(t, ctx, "create-01-empty-list")
	uiqNav(t, ctx, "Add service account", chromedp.Click(uiqByText("a.button", "Add service account")))
	if got := uiqPath(t, ctx); got != "/org/serviceaccounts/create" {
		t.Fatalf("Add service account opened %s", got)
	}
	got := uiqEval[[]string](t, ctx, `[document.querySelector("label[for=sa-name]").textContent, document.querySelector("label[for=sa-role]").textContent,
		document.getElementById("sa-role").value, [...document.querySelectorAll("#sa-role option")].map(o => o.value).join(","),
		document.querySelector("form button[type=submit]").textContent]`)
	if want := []string{"Display name", "Role", "Viewer", "None,Viewer,Editor,Admin", "Create"}; !slices.Equal(got, want) {
		t.Fatalf("create form = %q, want %q", got, want)
	}
	uiqCheckLabels(t, ctx, "create page")

	// Empty: the message next to the field, nothing sent.
	must(t, ctx, "submit empty", chromedp.Click(uiqByText("button", "Create")), chromedp.WaitVisible(chromedp.ID("sa-name-error")))
	if got := text(t, ctx, "#sa-name-error"); got != "Display name is required" {
		t.Fatalf("empty name error = %q", got)
	}
	if got := uiqEval[[]string](t, ctx, `[location.pathname, document.getElementById("sa-name").getAttribute("aria-invalid"), document.activeElement.id]`); !slices.Equal(got, []string{"/org/serviceaccounts/create", "true", "sa-name"}) {
		t.Fatalf("after an empty submit: %q", got)
	}
	screenshot(t, ctx, "create-02-name-required")

	uiqNav(t, ctx, "create",
		chromedp.SendKeys(chromedp.ID("sa-name"), "Data source scavenger"),
		chromedp.Click(uiqByText("button", "Create")))
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search", nil).JSON(t)["serviceAccounts"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d service accounts after Create, want 1", len(list))
	}
	sa := list[0].(map[string]any)
	if sa["name"] != "Data source scavenger" || sa["role"] != "Viewer" || sa["login"] != "sa-1-data-source-scavenger" {
		t.Fatalf("created %v", sa)
	}
	id := itoa64(int64(sa["id"].(float64)))
	if got := uiqPath(t, ctx); got != "/org/serviceaccounts/"+id {
		t.Fatalf("after Create the browser shows %s, want the new account's page", got)
	}
	if got := text(t, ctx, "h1"); got != "Data source scavenger" {
		t.Fatalf("h1 = %q", got)
	}
	if got := uiqFlash(t, ctx); got != "Service account Data source scavenger created." {
		t.Fatalf("flash = %q", got)
	}
	info := uiqEval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("table.info tr")].map(tr =>
		[tr.querySelector("th").textContent.trim(), (tr.querySelector("select") ? tr.querySelector("select").value : tr.querySelector("td").textContent.trim())]))`)
	today := time.Now().UTC().Format("2006-01-02")
	if info["Name"] != "Data source scavenger" || info["ID"] != "sa-1-data-source-scavenger" || info["Roles"] != "Viewer" ||
		info["Creation date"] != today || info["Numerical identifier"] != id {
		t.Fatalf("information table = %v", info)
	}
	screenshot(t, ctx, "create-03-new-account")

	// The same name again: the server's refusal in plain words, next to the field.
	uiqGo(t, ctx, ts, "/org/serviceaccounts/create")
	uiqNav(t, ctx, "create a duplicate",
		chromedp.SendKeys(chromedp.ID("sa-name"), "Data source scavenger"),
		chromedp.Click(uiqByText("button", "Create")))
	if got := text(t, ctx, "#sa-name-error"); got != "A service account with this name already exists. Choose another name." {
		t.Fatalf("duplicate name error = %q", got)
	}
	if got := uiqEval[string](t, ctx, `document.getElementById("sa-name").value`); got != "Data source scavenger" {
		t.Fatalf("the typed name was not kept: %q", got)
	}

	// Without JavaScript the server says the same about an empty name.
	c := uiqSession(t, ts, "admin", ts.Password)
	form := uiqFormFields(t, c.expect(t, http.StatusOK, "GET", "/org/serviceaccounts/create", nil).Body, "/org/serviceaccounts/create")
	form.Set("name", "  ")
	form.Set("role", "Viewer")
	r := uiqPost(t, c, "/org/serviceaccounts/create", form)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), ">Display name is required</p>") {
		t.Fatalf("no-JS empty name: %d %s", r.Status, r.Body)
	}
}

// uiqListFixture creates, through the API, the accounts the list tests look at: 30 "bulk"
// accounts, "alpha-build" with two tokens, a disabled "gamma-disabled" and "delta-expired"
// with an expired token. It returns their ids by name.
func uiqListFixture(t *testing.T, ts *testServer) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	c := taAdminToken(t, ts) // cheap: no password hashing per request
	for i := range 30 {
		ids[fmt.Sprintf("bulk-%02d", i)] = taCreateSA(t, c, fmt.Sprintf("bulk-%02d", i), "Viewer")
	}
	ids["alpha-build"] = taCreateSA(t, c, "alpha-build", "Editor")
	taIssue(t, c, ids["alpha-build"], "a1", 0)
	taIssue(t, c, ids["alpha-build"], "a2", 0)
	ids["gamma-disabled"] = taCreateSA(t, c, "gamma-disabled", "Viewer")
	c.expect(t, http.StatusOK, "PATCH", "/api/serviceaccounts/"+itoa64(ids["gamma-disabled"]), map[string]any{"isDisabled": true})
	ids["delta-expired"] = taCreateSA(t, c, "delta-expired", "Viewer")
	tokID, _ := taIssue(t, c, ids["delta-expired"], "d1", 3600)
	taExec(t, taDB(t, ts), "UPDATE token SET expires = ? WHERE id = ?", time.Now().Add(-time.Hour).Unix(), tokID)
	return ids
}

// uiqListNames returns the account names listed.
func uiqListNames(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return uiqEval[[]string](t, ctx, `[...document.querySelectorAll("table.sa-table tbody tr td:nth-child(2) a")].map(a => a.textContent.trim())`)
}

// TestUI_ListSearchFilterPaging: the list's columns, the search box (debounced, it submits
// itself), the All / With expired tokens / Disabled filters, the filtered empty state and
// paging.
func TestUI_ListSearchFilterPaging(t *testing.T) {
	ts := startServer(t, nil)
	uiqListFixture(t, ts) // the poller account makes 35
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)

	heads := uiqEval[[]string](t, ctx, `[...document.querySelectorAll("table.sa-table thead th")].map(th => th.textContent.trim())`)
	if want := []string{"Avatar", "Account", "ID", "Roles", "Tokens", "Actions"}; !slices.Equal(heads, want) {
		t.Fatalf("columns = %q, want %q (avatar and actions for screen readers only)", heads, want)
	}
	if got := uiqEval[string](t, ctx, `document.getElementById("sa-search").placeholder`); got != "Search service account by name" {
		t.Fatalf("search placeholder = %q", got)
	}
	filters := uiqEval[[]string](t, ctx, `[...document.querySelectorAll(".segmented label")].map(l => l.textContent.trim() + (document.getElementById(l.htmlFor).checked ? "*" : ""))`)
	if want := []string{"All*", "With expired tokens", "Disabled"}; !slices.Equal(filters, want) {
		t.Fatalf("filters = %q, want %q", filters, want)
	}
	if got := uiqEval[string](t, ctx, `document.querySelector(".toolbar > a.button.primary").textContent.trim()`); got != "Add service account" {
		t.Fatalf("toolbar button = %q", got)
	}
	rows := uiqRows(t, ctx, "table.sa-table")
	if len(rows) != 30 {
		t.Fatalf("first page has %d rows, want 30", len(rows))
	}
	if got := text(t, ctx, ".pager span"); got != "Page 1 of 2" {
		t.Fatalf("pager = %q", got)
	}
	alpha := uiqRow(rows, "alpha-build")
	if alpha == nil || alpha[2] != "sa-1-alpha-build" || alpha[4] != "2" {
		t.Fatalf("alpha-build row = %q, want login and 2 tokens", alpha)
	}
	if got := uiqEval[string](t, ctx, `[...document.querySelectorAll("table.sa-table tbody tr")].find(tr => tr.textContent.includes("alpha-build")).querySelector("select").value`); got != "Editor" {
		t.Fatalf("alpha-build role picker = %q", got)
	}
	bulk := uiqRow(rows, "bulk-00")
	if bulk == nil || bulk[4] != "No tokens" || !strings.Contains(bulk[5], "Add token") || !strings.Contains(bulk[5], "Disable") {
		t.Fatalf("bulk-00 row = %q, want No tokens, Add token and Disable", bulk)
	}
	if n := uiqEval[int](t, ctx, `document.querySelectorAll('table.sa-table img.avatar[alt=""]').length`); n != 30 {
		t.Fatalf("%d avatars, want 30", n)
	}
	screenshot(t, ctx, "list-01-page-1")

	uiqNav(t, ctx, "Next page", chromedp.Click(uiqByText(".pager a", "Next")))
	if got := text(t, ctx, ".pager span"); got != "Page 2 of 2" {
		t.Fatalf("pager = %q", got)
	}
	if n := len(uiqRows(t, ctx, "table.sa-table")); n != 4 {
		t.Fatalf("second page has %d rows, want 4", n)
	}
	uiqNav(t, ctx, "Previous page", chromedp.Click(uiqByText(".pager a", "Previous")))
	if got := text(t, ctx, ".pager span"); got != "Page 1 of 2" {
		t.Fatalf("pager after Previous = %q", got)
	}

	// Typing searches by itself after a pause, and the caret stays in the box.
	must(t, ctx, "mark", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	must(t, ctx, "type a search", chromedp.SendKeys(chromedp.ID("sa-search"), "alpha"))
	waitJS(t, ctx, "the search to run", `!window.__uiqOld && document.readyState === "complete" && location.search.includes("query=alpha")`)
	if got := uiqListNames(t, ctx); !slices.Equal(got, []string{"alpha-build"}) {
		t.Fatalf("search alpha lists %q", got)
	}
	if got := uiqEval[[]any](t, ctx, `[document.activeElement.id, document.activeElement.selectionStart]`); len(got) != 2 || got[0] != "sa-search" || got[1] != float64(5) {
		t.Fatalf("after the search the focus is %v, want the search box with the caret at the end", got)
	}
	if uiqEval[bool](t, ctx, `!!document.querySelector(".pager")`) {
		t.Fatal("one page of results shows a pager")
	}
	screenshot(t, ctx, "list-02-search")

	// The filters, with the search cleared.
	uiqGo(t, ctx, ts, "/org/serviceaccounts")
	uiqNav(t, ctx, "filter Disabled", chromedp.Click(chromedp.CSS(`label[for=f-disabled]`)))
	if got := uiqPath(t, ctx); !strings.Contains(got, "filter=disabled") {
		t.Fatalf("Disabled filter shows %s", got)
	}
	if got := uiqListNames(t, ctx); !slices.Equal(got, []string{"gamma-disabled"}) {
		t.Fatalf("Disabled lists %q", got)
	}
	row := uiqRows(t, ctx, "table.sa-table")[0]
	if !strings.Contains(row[1], "Disabled") || !strings.Contains(row[5], "Enable") {
		t.Fatalf("disabled row = %q, want the Disabled badge and Enable", row)
	}
	if got := uiqEval[[]any](t, ctx, `(() => { const a = [...document.querySelectorAll("table.sa-table tbody a.button")].find(a => a.textContent.trim() === "Add token");
		return [a.getAttribute("aria-disabled"), a.hasAttribute("href")]; })()`); !slices.Equal(got, []any{"true", false}) {
		t.Fatalf("a disabled account's Add token: aria-disabled, href = %v, want disabled without a link", got)
	}
	if uiqEval[bool](t, ctx, `!!document.querySelector("table.sa-table tbody select")`) {
		t.Fatal("a disabled account's role can be changed in the list")
	}
	screenshot(t, ctx, "list-03-disabled")

	uiqNav(t, ctx, "filter With expired tokens", chromedp.Click(chromedp.CSS(`label[for=f-expired]`)))
	if got := uiqListNames(t, ctx); !slices.Equal(got, []string{"delta-expired"}) {
		t.Fatalf("With expired tokens lists %q", got)
	}
	uiqNav(t, ctx, "filter All", chromedp.Click(chromedp.CSS(`label[for=f-all]`)))
	if got := text(t, ctx, ".pager span"); got != "Page 1 of 2" {
		t.Fatalf("All again: pager = %q", got)
	}

	// Nothing found.
	must(t, ctx, "mark", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	must(t, ctx, "search for nothing", chromedp.SendKeys(chromedp.ID("sa-search"), "no-such-account"))
	waitJS(t, ctx, "the search to run", `!window.__uiqOld && document.readyState === "complete" && location.search.includes("query=no-such-account")`)
	if got := text(t, ctx, ".empty-filter"); got != "No service accounts found" {
		t.Fatalf("filtered empty state = %q", got)
	}
	screenshot(t, ctx, "list-04-nothing-found")
}

// TestUI_DisableEnable: Disable asks for confirmation with SPEC's texts (Cancel changes
// nothing), Enable does not; on the list and on the account's page.
func TestUI_DisableEnable(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "worker", "Viewer")
	disabled := func() bool {
		return ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id), nil).JSON(t)["isDisabled"].(bool)
	}
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)

	must(t, ctx, "Disable in the list", chromedp.Click(uiqByText("table.sa-table button", "Disable")))
	uiqShot(t, ctx, "disable-01-confirm")
	uiqConfirm(t, ctx, "Disable service account", "Are you sure you want to disable 'worker'?", "Disable service account", "Cancel")
	if disabled() {
		t.Fatal("Cancel disabled the account")
	}
	must(t, ctx, "Disable in the list", chromedp.Click(uiqByText("table.sa-table button", "Disable")))
	uiqConfirm(t, ctx, "Disable service account", "Are you sure you want to disable 'worker'?", "Disable service account", "Disable service account")
	if !disabled() {
		t.Fatal("the account is not disabled")
	}
	if got := uiqPath(t, ctx); got != "/org/serviceaccounts" {
		t.Fatalf("after Disable the browser shows %s, want the list", got)
	}
	row := uiqRows(t, ctx, "table.sa-table")[0]
	if !strings.Contains(row[1], "Disabled") || !strings.Contains(row[5], "Enable") {
		t.Fatalf("row after Disable = %q", row)
	}
	if !uiqEval[bool](t, ctx, `document.querySelector("table.sa-table tbody tr").classList.contains("disabled")`) {
		t.Fatal("a disabled row is not greyed")
	}
	uiqNav(t, ctx, "Enable in the list", chromedp.Click(uiqByText("table.sa-table button", "Enable")))
	if disabled() {
		t.Fatal("Enable left the account disabled")
	}

	// On the account's page.
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	must(t, ctx, "Disable service account", chromedp.Click(uiqByText("button", "Disable service account")))
	uiqConfirm(t, ctx, "Disable service account", "Are you sure you want to disable this service account?", "Disable service account", "Disable service account")
	if !disabled() {
		t.Fatal("the page's Disable did not disable")
	}
	if got := text(t, ctx, "h1"); got != "worker Disabled" {
		t.Fatalf("h1 of a disabled account = %q", got)
	}
	if got := uiqEval[[]any](t, ctx, `[document.getElementById("open-token-dialog").disabled, !!document.getElementById("token-dialog"), !!document.querySelector("#sa-role")]`); len(got) != 3 || got[0] != true || got[1] != false || got[2] != false {
		t.Fatalf("disabled account: Add token disabled, no dialog, no role picker: got %v", got)
	}
	screenshot(t, ctx, "disable-02-account-disabled")
	uiqNav(t, ctx, "Enable service account", chromedp.Click(uiqByText("button", "Enable service account")))
	if disabled() {
		t.Fatal("the page's Enable did not enable")
	}
	if got := uiqFlash(t, ctx); got != "Service account enabled." {
		t.Fatalf("flash = %q", got)
	}
}

// TestUI_DeleteTokenAndAccount: deleting a token and then the account, each after a
// confirmation, and what the tokens can do afterwards.
func TestUI_DeleteTokenAndAccount(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "doomed", "Viewer")
	tempID := createSA(t, ts, "temp", "Viewer")
	_, keep := uiqIssue(t, ts, id, "keep", 0)
	_, drop := uiqIssue(t, ts, id, "drop", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)

	// A token.
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	must(t, ctx, "delete the token", chromedp.Click(chromedp.CSS(`button[aria-label="Delete service account token drop"]`)))
	uiqShot(t, ctx, "delete-01-token-confirm")
	uiqConfirm(t, ctx, "Delete service account token", "Are you sure you want to delete the token 'drop'? Anything using it stops working.", "Delete", "Delete")
	if got := uiqFlash(t, ctx); got != "Token deleted." {
		t.Fatalf("flash = %q", got)
	}
	names := []string{}
	for _, r := range uiqRows(t, ctx, "table.tokens-table") {
		names = append(names, r[0])
	}
	if !slices.Equal(names, []string{"keep"}) {
		t.Fatalf("tokens after deleting drop: %q", names)
	}
	taWantInvalidKey(t, ts.bearer(drop).do(t, "GET", "/api/org", nil))
	checkTokenWorks(t, ts, keep)

	// From the list: an account without tokens, then the question for one with a token.
	uiqGo(t, ctx, ts, "/org/serviceaccounts")
	must(t, ctx, "delete temp", chromedp.Click(chromedp.CSS(`button[aria-label="Delete service account temp"]`)))
	uiqConfirm(t, ctx, "Delete service account", "Are you sure you want to delete 'temp'?", "Delete", "Delete")
	if got := uiqListNames(t, ctx); !slices.Equal(got, []string{"doomed"}) {
		t.Fatalf("list after deleting temp = %q", got)
	}
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/serviceaccounts/"+itoa64(tempID), nil)
	must(t, ctx, "delete doomed", chromedp.Click(chromedp.CSS(`button[aria-label="Delete service account doomed"]`)))
	uiqConfirm(t, ctx, "Delete service account", "Are you sure you want to delete 'doomed' and 1 accompanying token?", "Delete", "Cancel")

	// From its page.
	uiqNav(t, ctx, "open doomed", chromedp.Click(uiqByText("table.sa-table a", "doomed")))
	must(t, ctx, "Delete service account", chromedp.Click(uiqByText("button", "Delete service account")))
	uiqConfirm(t, ctx, "Delete service account", "Are you sure you want to delete this service account?", "Delete service account", "Delete service account")
	if got := uiqPath(t, ctx); got != "/org/serviceaccounts" {
		t.Fatalf("after deleting the account the browser shows %s", got)
	}
	if got := uiqFlash(t, ctx); got != "Service account deleted." {
		t.Fatalf("flash = %q", got)
	}
	if got := text(t, ctx, ".empty h2"); got != "You haven't created any service accounts yet" {
		t.Fatalf("list after deleting every account: %q", got)
	}
	taWantInvalidKey(t, ts.bearer(keep).do(t, "GET", "/api/org", nil))
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/serviceaccounts/"+itoa64(id), nil)
}

// TestUI_ServiceAccountPage: the name edited with Edit/Save, the role picker, the tokens'
// Expires / Last used at / Revoked cells, and the permissions section (a user and a team
// added, one removed).
func TestUI_ServiceAccountPage(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "reporter", "Viewer")
	danaID := ts.createUser(t, map[string]any{"login": "dana", "email": "dana@example.com", "name": "Dana", "password": "dana-password"})
	teamID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/teams", map[string]any{"name": "ops"}).JSON(t)["teamId"].(float64))
	uiqIssue(t, ts, id, "forever", 0)
	uiqIssue(t, ts, id, "weekly", 3*24*3600)
	oldID, _ := uiqIssue(t, ts, id, "old", 3600)
	leakedID, _ := uiqIssue(t, ts, id, "leaked", 0)
	usedID, used := uiqIssue(t, ts, id, "used", 0)
	db := taDB(t, ts)
	taExec(t, db, "UPDATE token SET expires = ? WHERE id = ?", time.Now().Add(-48*time.Hour).Unix(), oldID)
	taExec(t, db, "UPDATE token SET is_revoked = TRUE WHERE id = ?", leakedID)
	uiqWaitLastUsed(t, ts, id, usedID, used)

	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	if got := text(t, ctx, ".page-header .subtitle"); got != "Manage settings for an individual service account." {
		t.Fatalf("subtitle = %q", got)
	}
	heads := uiqEval[[]string](t, ctx, `[...document.querySelectorAll("table.tokens-table thead th")].map(th => th.textContent.trim())`)
	if want := []string{"Name", "Expires", "Created", "Last used at", "State", "Actions"}; !slices.Equal(heads, want) {
		t.Fatalf("token columns = %q, want %q", heads, want)
	}
	today := time.Now().UTC().Format("2006-01-02")
	rows := uiqRows(t, ctx, "table.tokens-table")
	want := map[string][]string{
		"forever": {"forever", "Never", today, "Never", "", ""},
		"weekly":  {"weekly", "Expires in 3 days", today, "Never", "", ""},
		"old":     {"old", "Expired", today, "Never", "", ""},
		"leaked":  {"leaked", "Never", today, "Never", "Revoked", ""},
	}
	for name, w := range want {
		if got := uiqRow(rows, name); !slices.Equal(got, w) {
			t.Errorf("token %s row = %q, want %q", name, got, w)
		}
	}
	if r := uiqRow(rows, "used"); r == nil || !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d UTC$`).MatchString(r[3]) {
		t.Errorf("used token row = %q, want a last-used time", r)
	}
	dim := uiqEval[[]string](t, ctx, `[...document.querySelectorAll("table.tokens-table tbody tr.dim")].map(tr => tr.cells[0].textContent.trim()).sort()`)
	if !slices.Equal(dim, []string{"leaked", "old"}) {
		t.Errorf("greyed rows = %q, want the expired and the revoked token", dim)
	}
	if got := uiqEval[string](t, ctx, `[...document.querySelectorAll("table.tokens-table .expired")][0].title`); got != "This token has expired" {
		t.Errorf("Expired tooltip = %q", got)
	}
	if n := uiqEval[int](t, ctx, `document.querySelectorAll('table.tokens-table button[aria-label^="Delete service account token "]').length`); n != 5 {
		t.Errorf("%d token delete buttons, want 5", n)
	}
	screenshot(t, ctx, "account-01-tokens")

	// Edit → Save.
	uiqNav(t, ctx, "Edit the name", chromedp.Click(uiqByText("table.info a", "Edit")))
	if got := uiqEval[[]string](t, ctx, `[document.activeElement.id, document.activeElement.value]`); !slices.Equal(got, []string{"edit-name", "reporter"}) {
		t.Fatalf("after Edit the focus is on %q", got)
	}
	uiqNav(t, ctx, "Save the name",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("edit-name").select()`),
		chromedp.SendKeys(chromedp.ID("edit-name"), "Nightly reporter"),
		chromedp.Click(uiqByText("table.info button", "Save")))
	if got := text(t, ctx, "h1"); got != "Nightly reporter" {
		t.Fatalf("h1 after renaming = %q", got)
	}
	if got := uiqFlash(t, ctx); got != "Name saved." {
		t.Fatalf("flash = %q", got)
	}
	sa := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id), nil).JSON(t)
	if sa["name"] != "Nightly reporter" || sa["login"] != "sa-1-reporter" {
		t.Fatalf("after renaming: %v", sa)
	}

	// The role picker saves by itself.
	must(t, ctx, "mark", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	uiqSelect(t, ctx, "#sa-role", "Editor")
	waitJS(t, ctx, "the role to be saved", `!window.__uiqOld && document.readyState === "complete"`)
	if got := uiqFlash(t, ctx); got != "Role changed to Editor." {
		t.Fatalf("flash = %q", got)
	}
	if r := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id), nil).JSON(t)["role"]; r != "Editor" {
		t.Fatalf("role after the picker = %v", r)
	}

	// Permissions: a user, a team, then the user removed.
	grant := func(principal, level string) {
		t.Helper()
		uiqSelect(t, ctx, "#perm-principal", principal)
		uiqSelect(t, ctx, "#perm-level", level)
		uiqNav(t, ctx, "save the permission", chromedp.Click(uiqByText(".add-permission button", "Save")))
		if got := uiqFlash(t, ctx); got != "Permission saved." {
			t.Fatalf("flash = %q", got)
		}
	}
	grant("user:"+itoa64(danaID), "Edit")
	grant("team:"+itoa64(teamID), "Admin")
	perms := uiqRows(t, ctx, "#perm-title ~ .table-wrap table")
	for _, w := range [][]string{{"User dana", "Edit", ""}, {"Team ops", "Admin", ""}, {"User admin", "Admin", ""}} {
		if !slices.ContainsFunc(perms, func(r []string) bool { return slices.Equal(r, w) }) {
			t.Fatalf("permissions = %q, want a row %q", perms, w)
		}
	}
	screenshot(t, ctx, "account-02-permissions")
	must(t, ctx, "remove dana", chromedp.Click(chromedp.CSS(`button[aria-label="Remove permission of dana"]`)))
	uiqConfirm(t, ctx, "Remove permission", "Remove Edit from dana?", "Remove", "Remove")
	if got := uiqFlash(t, ctx); got != "Permission removed." {
		t.Fatalf("flash = %q", got)
	}
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/"+itoa64(id), nil).List(t)
	var who []string
	for _, p := range list {
		if l, _ := p["userLogin"].(string); l != "" {
			who = append(who, "user:"+l+":"+p["permission"].(string))
		}
		if n, _ := p["team"].(string); n != "" {
			who = append(who, "team:"+n+":"+p["permission"].(string))
		}
	}
	slices.Sort(who)
	if !slices.Equal(who, []string{"team:ops:Admin", "user:admin:Admin"}) {
		t.Fatalf("permissions through the API = %q", who)
	}
}

// ---- the token dialog ----

// TestUI_TokenDialogDayLimit: with a three-day limit "Set expiration date" is preselected and
// "No expiration" disabled; a later date shows the server's refusal in plain words in the
// dialog, the typed name kept. Keyboard: the focus lands in the name field, Enter generates,
// Escape closes.
func TestUI_TokenDialogDayLimit(t *testing.T) {
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

// ---- CSRF and headers ----

// TestUI_CSRF: every state-changing form carries a CSRF token; a post without it (or with a
// wrong one) gets the 403 page and changes nothing.
func TestUI_CSRF(t *testing.T) {
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

// TestUI_SecurityHeaders: pages carry a CSP without 'unsafe-inline' scripts and with
// frame-ancestors 'none', nosniff and a Referrer-Policy, are never cached, and hold no inline
// script, style or event handler (which that CSP would block).
func TestUI_SecurityHeaders(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "headers", "Viewer")
	uiqIssue(t, ts, id, "t", 0)
	teamID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/teams", map[string]any{"name": "hdr"}).JSON(t)["teamId"].(float64))
	c := uiqSession(t, ts, "admin", ts.Password)
	ts.createUser(t, map[string]any{"login": "vic", "email": "vic@example.com", "password": "vic-password"})
	viewer := uiqSession(t, ts, "vic", "vic-password")

	pages := []struct {
		c      *client
		path   string
		status int
	}{
		{ts.anon(), "/login", http.StatusOK},
		{c, "/", http.StatusSeeOther},
		{c, "/org/serviceaccounts", http.StatusOK},
		{c, "/org/serviceaccounts/create", http.StatusOK},
		{c, "/org/serviceaccounts/" + itoa64(id), http.StatusOK},
		{c, "/org/serviceaccounts/99999", http.StatusNotFound},
		{c, "/org/users", http.StatusOK},
		{c, "/org/teams", http.StatusOK},
		{c, "/org/teams/" + itoa64(teamID), http.StatusOK},
		{viewer, "/", http.StatusOK},
		{viewer, "/org/serviceaccounts", http.StatusForbidden},
	}
	scriptTag := regexp.MustCompile(`(?i)<script[^>]*>`)
	inline := regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style`)
	for _, p := range pages {
		r := p.c.do(t, "GET", p.path, nil)
		if r.Status != p.status {
			t.Errorf("GET %s: %d, want %d", p.path, r.Status, p.status)
			continue
		}
		if r.Status == http.StatusSeeOther {
			continue
		}
		h := r.Header
		csp := map[string]string{}
		for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), " ")
			csp[name] = val
		}
		script, ok := csp["script-src"]
		if !ok {
			script = csp["default-src"]
		}
		if script == "" || strings.Contains(script, "'unsafe-inline'") || strings.Contains(script, "'unsafe-eval'") {
			t.Errorf("%s: script-src %q", p.path, script)
		}
		if csp["frame-ancestors"] != "'none'" {
			t.Errorf("%s: frame-ancestors %q, want 'none' (CSP %q)", p.path, csp["frame-ancestors"], h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", p.path, h.Get("X-Content-Type-Options"))
		}
		if rp := h.Get("Referrer-Policy"); rp != "same-origin" && rp != "no-referrer" && rp != "strict-origin-when-cross-origin" && rp != "strict-origin" {
			t.Errorf("%s: Referrer-Policy %q", p.path, rp)
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p.path, h.Get("Cache-Control"))
		}
		if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p.path, ct)
		}
		for _, tag := range scriptTag.FindAllString(string(r.Body), -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: an inline script the CSP blocks: %q", p.path, tag)
			}
		}
		if m := inline.FindString(string(r.Body)); m != "" {
			t.Errorf("%s: inline script or style the CSP blocks: %q", p.path, m)
		}
	}
}

// TestUI_NoCSPViolations: no page breaks its own CSP — the browser reports no
// violation while the main pages are used.
func TestUI_NoCSPViolations(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "csp", "Viewer")
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	for _, p := range []string{"/org/serviceaccounts", "/org/serviceaccounts/create", "/org/serviceaccounts/" + itoa64(id), "/org/users", "/org/teams"} {
		uiqGo(t, ctx, ts, p)
		must(t, ctx, "watch for CSP violations", chromedp.Evaluate[chromedp.Void](`window.__uiqCSP = [];
			document.addEventListener("securitypolicyviolation", e => window.__uiqCSP.push(e.violatedDirective + " " + e.blockedURI))`))
		if p == "/org/serviceaccounts/"+itoa64(id) {
			generateToken(t, ctx, "csp-check", "")
		}
		if v := uiqEval[[]string](t, ctx, `window.__uiqCSP`); len(v) > 0 {
			t.Errorf("%s: CSP violations %q", p, v)
		}
		if !uiqEval[bool](t, ctx, `document.documentElement.classList.contains("js")`) {
			t.Errorf("%s: warden.js did not run", p)
		}
	}
}

// ---- accessibility ----

// TestUI_Accessibility: on every main page each visible input and select has a label, the
// dialogs are real <dialog> elements, and pages have a language, one h1 and images with alt.
func TestUI_Accessibility(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "a11y", "Editor")
	uiqIssue(t, ts, id, "tok", 0)
	teamID := int64(ts.admin().expect(t, http.StatusOK, "POST", "/api/teams", map[string]any{"name": "a11y-team"}).JSON(t)["teamId"].(float64))
	ctx := newTab(t)
	uiqGo(t, ctx, ts, "/login")
	uiqCheckLabels(t, ctx, "/login")
	browserLogin(t, ctx, ts, "admin", ts.Password)

	basics := func(p string) {
		t.Helper()
		got := uiqEval[[]any](t, ctx, `[document.documentElement.lang, document.querySelectorAll("h1").length,
			[...document.images].filter(i => !i.hasAttribute("alt")).length, !!document.querySelector("main#main"), document.title]`)
		if got[0] != "en" || got[1] != float64(1) || got[2] != float64(0) || got[3] != true || !strings.HasSuffix(got[4].(string), " · Warden") {
			t.Errorf("%s: lang, h1 count, images without alt, main, title = %v", p, got)
		}
	}
	for _, p := range []string{"/org/serviceaccounts", "/org/serviceaccounts?query=none", "/org/serviceaccounts/create",
		"/org/serviceaccounts/" + itoa64(id), "/org/serviceaccounts/" + itoa64(id) + "?edit=name",
		"/org/users", "/org/teams", "/org/teams/" + itoa64(teamID)} {
		uiqGo(t, ctx, ts, p)
		uiqCheckLabels(t, ctx, p)
		basics(p)
	}

	// The token dialog, both steps, and the confirmation dialog.
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	if got := uiqEval[string](t, ctx, `document.getElementById("token-dialog").tagName`); got != "DIALOG" {
		t.Fatalf("the token dialog is a %s", got)
	}
	uiqOpenTokenDialog(t, ctx)
	must(t, ctx, "choose a date", chromedp.Click(chromedp.CSS("#token-dialog input[value=date]")), chromedp.WaitVisible(chromedp.ID("token-date")))
	uiqCheckLabels(t, ctx, "token dialog")
	must(t, ctx, "back to No expiration", chromedp.Click(chromedp.CSS("#token-dialog input[value=never]")))
	must(t, ctx, "close", chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, "the dialog to close", `!document.getElementById("token-dialog").open`)
	generateToken(t, ctx, "a11y-2", "")
	uiqCheckLabels(t, ctx, "token created")
	closeTokenDialog(t, ctx)
	must(t, ctx, "Disable", chromedp.Click(uiqByText("button", "Disable service account")))
	uiqConfirm(t, ctx, "Disable service account", "Are you sure you want to disable this service account?", "Disable service account", "Cancel")
}

// ---- users and teams ----

// TestUI_UsersAndTeams: an org admin's Users page (change a role, remove, add) and Teams pages
// (create a team, add and remove a member, delete the team).
func TestUI_UsersAndTeams(t *testing.T) {
	ts := startServer(t, nil)
	erinID := ts.createUser(t, map[string]any{"login": "erin", "email": "erin@example.com", "name": "Erin", "password": "erin-password"})
	orgRole := func() string {
		for _, u := range ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t) {
			if u["login"] == "erin" {
				return u["role"].(string)
			}
		}
		return ""
	}
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqNav(t, ctx, "Users", chromedp.Click(uiqByText("nav.sidebar a", "Users")))
	rows := uiqRows(t, ctx, "table")
	if r := uiqRow(rows, "erin"); r == nil || r[2] != "erin@example.com" || r[3] != "Erin" {
		t.Fatalf("users = %q", rows)
	}
	screenshot(t, ctx, "users-01-list")

	// Change the role.
	must(t, ctx, "mark", chromedp.Evaluate[chromedp.Void](`window.__uiqOld = true`))
	uiqSelect(t, ctx, "#urole-"+itoa64(erinID), "Editor")
	waitJS(t, ctx, "the role to be saved", `!window.__uiqOld && document.readyState === "complete"`)
	if got := uiqFlash(t, ctx); got != "Role changed." {
		t.Fatalf("flash = %q", got)
	}
	if r := orgRole(); r != "Editor" {
		t.Fatalf("erin's role = %q, want Editor", r)
	}

	// Remove, after a confirmation.
	must(t, ctx, "remove erin", chromedp.Click(chromedp.CSS(`button[aria-label="Remove user erin"]`)))
	uiqConfirm(t, ctx, "Remove user", "Remove erin from this organization?", "Remove", "Remove")
	if r := orgRole(); r != "" {
		t.Fatalf("erin is still a member (%s)", r)
	}
	if uiqRow(uiqRows(t, ctx, "table"), "erin") != nil {
		t.Fatal("erin is still listed")
	}

	// Add again, as Admin.
	uiqSelect(t, ctx, "#add-role", "Admin")
	uiqNav(t, ctx, "add erin",
		chromedp.SendKeys(chromedp.ID("add-login"), "erin"),
		chromedp.Click(uiqByText("button", "Add user")))
	if got := uiqFlash(t, ctx); got != "erin added as Admin." {
		t.Fatalf("flash = %q", got)
	}
	if r := orgRole(); r != "Admin" {
		t.Fatalf("erin's role after adding = %q", r)
	}
	if got := uiqEval[string](t, ctx, `document.getElementById("urole-`+itoa64(erinID)+`").value`); got != "Admin" {
		t.Fatalf("erin's role picker = %q", got)
	}
	// An unknown user: a plain message.
	uiqNav(t, ctx, "add nobody",
		chromedp.SendKeys(chromedp.ID("add-login"), "nobody"),
		chromedp.Click(uiqByText("button", "Add user")))
	if got := uiqFlash(t, ctx); got != "User not found." {
		t.Fatalf("adding an unknown user says %q", got)
	}

	// Teams.
	uiqNav(t, ctx, "Teams", chromedp.Click(uiqByText("nav.sidebar a", "Teams")))
	if got := text(t, ctx, "table tbody"); got != "No teams yet" {
		t.Fatalf("teams = %q", got)
	}
	uiqNav(t, ctx, "create a team",
		chromedp.SendKeys(chromedp.ID("team-name"), "Platform"),
		chromedp.SendKeys(chromedp.ID("team-email"), "platform@example.com"),
		chromedp.Click(uiqByText("button", "Create team")))
	if got := uiqEval[[]string](t, ctx, `[document.querySelector("h1").textContent, document.querySelector(".page-header .subtitle").textContent, document.querySelector(".flash").textContent.trim()]`); !slices.Equal(got, []string{"Platform", "1 member", "Team Platform created."}) {
		// The creator becomes the team's first member, as in Grafana.
		t.Fatalf("new team page = %q", got)
	}
	uiqSelect(t, ctx, "#member-user", itoa64(erinID))
	uiqNav(t, ctx, "add a member", chromedp.Click(uiqByText("button", "Add member")))
	if r := uiqRow(uiqRows(t, ctx, ".table-wrap table"), "erin"); r == nil || r[1] != "erin@example.com" || r[3] != "Member" {
		t.Fatalf("members = %q", uiqRows(t, ctx, ".table-wrap table"))
	}
	if got := text(t, ctx, ".page-header .subtitle"); got != "2 members" {
		t.Fatalf("member count = %q", got)
	}
	screenshot(t, ctx, "teams-01-team")
	must(t, ctx, "remove erin", chromedp.Click(chromedp.CSS(`button[aria-label="Remove member erin"]`)))
	uiqConfirm(t, ctx, "Remove member", "Remove erin from the team?", "Remove", "Remove")
	if got := uiqRows(t, ctx, ".table-wrap table"); len(got) != 1 || got[0][0] != "admin" {
		t.Fatalf("members after removing erin = %q, want admin alone", got)
	}
	must(t, ctx, "delete the team", chromedp.Click(uiqByText("button", "Delete team")))
	uiqConfirm(t, ctx, "Delete team", "Are you sure you want to delete the team 'Platform'? Permissions given to it end.", "Delete", "Delete")
	if got := uiqPath(t, ctx); got != "/org/teams" {
		t.Fatalf("after deleting the team: %s", got)
	}
	if got := text(t, ctx, "table tbody"); got != "No teams yet" {
		t.Fatalf("teams after deleting = %q", got)
	}
	screenshot(t, ctx, "teams-02-list")
}

// ---- phone width ----

// TestUI_PhoneWidth: at 390×844 the list, the account page and the token dialog fit the screen
// without sideways scrolling of the page.
func TestUI_PhoneWidth(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "phone-bot", "Editor")
	createSA(t, ts, "a service account with a rather long name", "Viewer")
	uiqIssue(t, ts, id, "first", 0)
	ctx := newTab(t)
	must(t, ctx, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	browserLogin(t, ctx, ts, "admin", ts.Password)

	fits := func(what string) {
		t.Helper()
		// A mobile browser widens the layout to fit wide content, so compare with 390 itself.
		got := uiqEval[[]any](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth,
			[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 391).map(e => e.tagName + "." + e.className + ":" + Math.round(e.getBoundingClientRect().right)).slice(0, 12)]`)
		if got[0].(float64) > 390 || got[1].(float64) > 390 {
			t.Errorf("%s: the page is %v px wide (layout %v px) on a 390 px screen; too wide: %v", what, got[0], got[1], got[2])
		}
	}
	fits("list")
	screenshot(t, ctx, "phone-01-list")
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	fits("account page")
	screenshot(t, ctx, "phone-02-account")
	uiqGo(t, ctx, ts, "/org/users")
	fits("users page")
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	uiqOpenTokenDialog(t, ctx)
	fits("token dialog")
	uiqShot(t, ctx, "phone-03-dialog")
	key := generateToken(t, ctx, "phone", "")
	got := uiqEval[[]float64](t, ctx, `(() => { const d = document.getElementById("token-dialog").getBoundingClientRect(),
		i = document.getElementById("new-token"), b = i.getBoundingClientRect();
		return [d.left, d.right, window.innerWidth, b.left, b.right, i.scrollWidth, i.clientWidth]; })()`)
	if got[0] < 0 || got[1] > got[2] || got[3] < got[0] || got[4] > got[1] {
		t.Errorf("token dialog %v..%v, token field %v..%v on a %v px screen", got[0], got[1], got[3], got[4], got[2])
	}
	t.Logf("token field: %v px of text in %v px", got[5], got[6])
	if key == "" {
		t.Fatal("no token")
	}
	uiqShot(t, ctx, "phone-04-token-created")
}

// uiqShot saves a screenshot of what the screen shows (not the whole page), for dialogs: a
// full-page capture would show the backdrop over the first screen only.
func uiqShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	uiqViewportShot(t, ctx, uiqShotDir(), name)
}

// uiqLowContrast lists visible text whose contrast with its background is below WCAG AA
// (4.5:1, or 3:1 for large text), skipping disabled controls, which WCAG exempts.
func uiqLowContrast(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return uiqEval[[]string](t, ctx, `(() => {
		const parse = c => { const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/); return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null; };
		const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
		const mix = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
		const background = el => {
			const layers = [];
			for (let e = el; e; e = e.parentElement) {
				const c = parse(getComputedStyle(e).backgroundColor);
				if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
			}
			let bg = [255, 255, 255, 1];
			if (layers.length && layers[layers.length - 1][3] === 1) bg = layers.pop();
			for (let i = layers.length - 1; i >= 0; i--) bg = mix(layers[i], bg);
			return bg;
		};
		const out = [];
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			if (!n.textContent.trim()) continue;
			const el = n.parentElement;
			if (!el || el.closest("[hidden], .visually-hidden, :disabled, [aria-disabled=true], option, dialog:not([open])") || el.getClientRects().length === 0) continue;
			const cs = getComputedStyle(el);
			if (cs.visibility === "hidden" || +cs.opacity === 0) continue;
			const fg = parse(cs.color); if (!fg) continue;
			const bg = background(el);
			const a = lum(mix(fg, bg)), b = lum(bg);
			const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
			const size = parseFloat(cs.fontSize), bold = +cs.fontWeight >= 700;
			const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
			if (ratio < need) out.push(n.textContent.trim().slice(0, 40) + " (" + ratio.toFixed(2) + ":1, " + cs.color + " on rgb(" + bg.slice(0, 3).map(Math.round).join(",") + "))");
		}
		return [...new Set(out)];
	})()`)
}

// TestUI_Contrast: text on the main pages meets WCAG AA contrast, in the light and the dark
// scheme (the pages follow the system setting).
func TestUI_Contrast(t *testing.T) {
	ts := startServer(t, nil)
	id := createSA(t, ts, "contrast", "Editor")
	disabledID := createSA(t, ts, "contrast-off", "Viewer")
	ts.admin().expect(t, http.StatusOK, "PATCH", "/api/serviceaccounts/"+itoa64(disabledID), map[string]any{"isDisabled": true})
	uiqIssue(t, ts, id, "live", 0)
	oldID, _ := uiqIssue(t, ts, id, "old", 3600)
	revokedID, _ := uiqIssue(t, ts, id, "leaked", 0)
	db := taDB(t, ts)
	taExec(t, db, "UPDATE token SET expires = ? WHERE id = ?", time.Now().Add(-time.Hour).Unix(), oldID)
	taExec(t, db, "UPDATE token SET is_revoked = TRUE WHERE id = ?", revokedID)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/org/serviceaccounts", "/org/serviceaccounts/" + itoa64(id), "/org/serviceaccounts/create", "/org/users", "/org/teams"} {
			uiqGo(t, ctx, ts, p)
			if bad := uiqLowContrast(t, ctx); len(bad) > 0 {
				t.Errorf("%s, %s scheme: low contrast: %q", p, scheme, bad)
			}
		}
		uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
		screenshot(t, ctx, "contrast-"+scheme+"-account")
		uiqOpenTokenDialog(t, ctx)
		must(t, ctx, "a refused name", chromedp.Click(chromedp.CSS("[data-generate]")), chromedp.WaitVisible(chromedp.ID("token-name-error")))
		if bad := uiqLowContrast(t, ctx); len(bad) > 0 {
			t.Errorf("token dialog, %s scheme: low contrast: %q", scheme, bad)
		}
		uiqShot(t, ctx, "contrast-"+scheme+"-dialog")
		must(t, ctx, "close", chromedp.KeyEvent(kb.Escape))
		waitJS(t, ctx, "the dialog to close", `!document.getElementById("token-dialog").open`)
		must(t, ctx, "Delete service account", chromedp.Click(uiqByText("button", "Delete service account")))
		waitJS(t, ctx, "the confirmation", `!!document.querySelector("dialog[open] #confirm-title")`)
		if bad := uiqLowContrast(t, ctx); len(bad) > 0 {
			t.Errorf("confirmation dialog, %s scheme: low contrast: %q", scheme, bad)
		}
		uiqShot(t, ctx, "contrast-"+scheme+"-confirm")
		uiqConfirm(t, ctx, "Delete service account", "Are you sure you want to delete this service account?", "Delete service account", "Cancel")
	}
	signedOut := newTab(t)
	uiqGo(t, signedOut, ts, "/login?redirectTo=%2Fx")
	uiqNav(t, signedOut, "a failed sign-in", chromedp.SendKeys(chromedp.ID("user"), "nobody"), chromedp.SendKeys(chromedp.ID("password"), "x"),
		chromedp.Click(uiqByText("button", "Log in")))
	if bad := uiqLowContrast(t, signedOut); len(bad) > 0 {
		t.Errorf("sign-in page: low contrast: %q", bad)
	}
}
