package main

// The UI's service-account pages: the list (search, filters, paging), creating, disabling and
// deleting accounts, and an account's page (name, role, tokens, permissions).

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ---- service accounts ----

// TestUI_CreateServiceAccount: the empty list, then "Create" present,
// submitting empty shows "Display name is required", typing "Data source scavenger" creates
// a Viewer and opens its page.
func TestUI_CreateServiceAccount(t *testing.T) {
	browserTest(t)
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
	browserTest(t)
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

	// Typing searches by itself after a pause, in place, and the caret stays in the box.
	uiqLiveList(t, ctx, "search alpha", "query=alpha", func() { uiqTypeAtOnce(t, ctx, "sa-search", "alpha") })
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
	uiqLiveList(t, ctx, "filter Disabled", "filter=disabled", func() { must(t, ctx, "Disabled", chromedp.Click(chromedp.CSS(`label[for=f-disabled]`))) })
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

	uiqLiveList(t, ctx, "filter With expired tokens", "filter=expired", func() {
		must(t, ctx, "With expired tokens", chromedp.Click(chromedp.CSS(`label[for=f-expired]`)))
	})
	if got := uiqListNames(t, ctx); !slices.Equal(got, []string{"delta-expired"}) {
		t.Fatalf("With expired tokens lists %q", got)
	}
	uiqLiveList(t, ctx, "filter All", "filter=all", func() { must(t, ctx, "All", chromedp.Click(chromedp.CSS(`label[for=f-all]`))) })
	if got := text(t, ctx, ".pager span"); got != "Page 1 of 2" {
		t.Fatalf("All again: pager = %q", got)
	}

	// Nothing found.
	uiqLiveList(t, ctx, "search no-such-account", "query=no-such-account", func() { uiqTypeAtOnce(t, ctx, "sa-search", "no-such-account") })
	if got := text(t, ctx, ".empty-filter"); got != "No service accounts found" {
		t.Fatalf("filtered empty state = %q", got)
	}
	screenshot(t, ctx, "list-04-nothing-found")
}

// TestUI_DisableEnable: Disable asks for confirmation with SPEC's texts (Cancel changes
// nothing), Enable does not; on the list and on the account's page.
func TestUI_DisableEnable(t *testing.T) {
	browserTest(t)
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
	browserTest(t)
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
// Expires / Created by / Last used at (time and address) / Revoked cells, and the permissions section (a user and a team
// added, one removed).
func TestUI_ServiceAccountPage(t *testing.T) {
	browserTest(t)
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
	if want := []string{"Name", "Expires", "Created", "Created by", "Last used at", "State", "Actions"}; !slices.Equal(heads, want) {
		t.Fatalf("token columns = %q, want %q", heads, want)
	}
	today := time.Now().UTC().Format("2006-01-02")
	rows := uiqRows(t, ctx, "table.tokens-table")
	want := map[string][]string{
		"forever": {"forever", "Never", today, "admin", "Never", "", "Rotate"},
		"weekly":  {"weekly", "Expires in 3 days", today, "admin", "Never", "", "Rotate"},
		"old":     {"old", "Expired", today, "admin", "Never", "", "Rotate"},
		"leaked":  {"leaked", "Never", today, "admin", "Never", "Revoked", "Rotate"},
	}
	for name, w := range want {
		if got := uiqRow(rows, name); !slices.Equal(got, w) {
			t.Errorf("token %s row = %q, want %q", name, got, w)
		}
	}
	if r := uiqRow(rows, "used"); r == nil || !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d UTC from 127\.0\.0\.1$`).MatchString(r[4]) {
		t.Errorf("used token row = %q, want a last-used time and address", r)
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
	// The browser applies autofocus when it next renders, which can be just after the load.
	waitJS(t, ctx, "the focus on the name field", `document.activeElement && document.activeElement.id === "edit-name"`)
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
