package main

// Token restrictions in the web UI (issue 18): the token dialog's Advanced part (role cap,
// scopes, allowed address ranges), the token table's line of restrictions under a token's
// name, the account page's summary of restricted tokens, and the restrictions page of a
// token. The browser walks them in headless Chromium; the API says what was stored.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// utrStored returns the restrictions the API lists for an account's token (basic auth as
// the admin): role, scopes and allowedCidrs, each nil when the token has none.
func utrStored(t *testing.T, ts *testServer, saID int64, name string) (role any, scopes, cidrs []string) {
	t.Helper()
	strs := func(v any) []string {
		if v == nil {
			return nil
		}
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	for _, tk := range ts.adminBasic().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(saID)+"/tokens", nil).List(t) {
		if tk["name"] == name {
			return tk["role"], strs(tk["scopes"]), strs(tk["allowedCidrs"])
		}
	}
	t.Fatalf("the API lists no token %s", name)
	return nil, nil, nil
}

// utrLine returns the restrictions line under a token's name in the token table ("" when
// the row has none).
func utrLine(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	return uiqEval[string](t, ctx, `(() => { const row = [...document.querySelectorAll("table.tokens-table tbody tr")].find(tr => tr.cells[0].firstChild.textContent.trim() === `+uiqJS(name)+`);
		if (!row) return "no row"; const l = row.querySelector(".restrictions"); return l ? l.textContent.trim() : ""; })()`)
}

// utrSummary returns the account page's summary of restricted tokens ("" when none).
func utrSummary(t *testing.T, ctx context.Context) string {
	t.Helper()
	return uiqEval[string](t, ctx, `(document.getElementById("tokens-restricted") || {textContent: ""}).textContent.trim()`)
}

// TestUI_TokenRestrictions: Add token → Advanced (opened with the keyboard) → role Viewer,
// scopes "orders:read orders:write", range 10.0.0.0/8 → Generate: a bad range first is refused
// in the dialog on its field; then the token is shown once, the table and the summary show its
// restrictions, the API lists them and the token is refused from outside its range. The
// restrictions page then clears the range: the API lists none and the token works.
func TestUI_TokenRestrictions(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "orders-api", "Editor")
	uiqIssue(t, ts, id, "plain", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	uiqGo(t, ctx, ts, account)
	if got := utrSummary(t, ctx); got != "" {
		t.Fatalf("without restricted tokens the page says %q", got)
	}
	uiqOpenTokenDialog(t, ctx)

	// Advanced starts closed; Enter on its summary opens it.
	if uiqEval[bool](t, ctx, `document.getElementById("token-advanced").open || document.getElementById("token-role").checkVisibility()`) {
		t.Fatal("the Advanced part starts open")
	}
	must(t, ctx, "type the name", chromedp.SendKeys(chromedp.ID("token-name"), "deploy"))
	must(t, ctx, "Enter on Advanced", chromedp.Focus(chromedp.CSS("#token-advanced > summary")), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the Advanced part to open", `document.getElementById("token-advanced").open && document.getElementById("token-role").checkVisibility()`)
	got := uiqEval[[]string](t, ctx, `[document.querySelector("#token-advanced > summary").textContent.trim(),
		[...document.querySelectorAll("#token-role option")].map(o => o.textContent.trim() + "=" + o.value).join(" | "),
		document.querySelector("label[for=token-role]").textContent.trim(), document.querySelector("label[for=token-scopes]").textContent.trim(),
		document.querySelector("label[for=token-cidrs]").textContent.trim(), document.getElementById("token-cidrs").tagName,
		...["token-role", "token-scopes", "token-cidrs"].map(id => document.getElementById(id).getAttribute("aria-describedby").split(" ").map(h => document.getElementById(h).textContent.trim()).join(" + "))]`)
	want := []string{"Advanced", "Same as the service account= | None=None | Viewer=Viewer | Editor=Editor",
		"Role", "Scopes", "Allowed address ranges", "TEXTAREA",
		"The token acts with at most this role, and never above the service account's (now Editor).",
		"Separated by spaces, commas or new lines, e.g. orders:read orders:write. Forward-auth rules check them; Warden's own API does not.",
		"One range or address per line, or separated by commas, e.g. 10.0.0.0/8. Requests from other addresses are refused; empty allows any address."}
	if !slices.Equal(got, want) {
		t.Fatalf("the Advanced part (summary, role choices, labels, range field, hints) =\n%q\nwant\n%q", got, want)
	}
	uiqCheckLabels(t, ctx, "the token dialog with Advanced open")
	uiqSelect(t, ctx, "#token-role", "Viewer")
	must(t, ctx, "type the scopes and a bad range",
		chromedp.SendKeys(chromedp.ID("token-scopes"), "orders:read orders:write"),
		chromedp.SendKeys(chromedp.ID("token-cidrs"), "10.0.0.300/8"))
	uiqShot(t, ctx, "restrictions-01-advanced")

	// A bad range: refused in the dialog, on the range field, nothing made.
	must(t, ctx, "Generate", chromedp.Click(chromedp.CSS("[data-generate]")), chromedp.WaitVisible(chromedp.CSS("[data-token-error]")))
	refused := uiqEval[[]string](t, ctx, `[document.querySelector("[data-token-error]").textContent.trim(), document.activeElement.id,
		document.getElementById("token-cidrs").getAttribute("aria-invalid"), String(document.getElementById("token-cidrs").getAttribute("aria-describedby").split(" ").includes("token-error")),
		document.getElementById("token-name").value, document.getElementById("token-role").value, document.getElementById("token-scopes").value]`)
	wantRefused := []string{`Allowed address ranges: "10.0.0.300/8" is not an IP address or a CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)`,
		"token-cidrs", "true", "true", "deploy", "Viewer", "orders:read orders:write"}
	if !slices.Equal(refused, wantRefused) {
		t.Fatalf("after a bad range (message, focus, invalid, described by the message, name, role, scopes) =\n%q\nwant\n%q", refused, wantRefused)
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after the refusal, want 1", n)
	}

	// The range corrected: the token, shown once.
	utrClear(t, ctx, "token-cidrs")
	must(t, ctx, "correct the range", chromedp.SendKeys(chromedp.ID("token-cidrs"), "10.0.0.0/8"))
	must(t, ctx, "Generate", chromedp.Click(chromedp.CSS("[data-generate]")), chromedp.WaitVisible(chromedp.ID("new-token")))
	key := uiqEval[string](t, ctx, `document.getElementById("new-token").value`)
	if !tokenPattern.MatchString(key) {
		t.Fatalf("the dialog shows %q, not a token", key)
	}
	uiqShot(t, ctx, "restrictions-02-created")
	closeTokenDialog(t, ctx)
	if strings.Contains(uiqEval[string](t, ctx, `document.documentElement.outerHTML`), key) {
		t.Fatal("the account page shows the token again")
	}
	if got := utrLine(t, ctx, "deploy"); got != "Role: Viewer · Scopes: orders:read, orders:write · From: 10.0.0.0/8" {
		t.Errorf("deploy's restrictions in the table = %q", got)
	}
	if got := utrLine(t, ctx, "plain"); got != "" {
		t.Errorf("the unrestricted token's row shows %q", got)
	}
	if got := utrSummary(t, ctx); got != "1 of 2 tokens is restricted: deploy" {
		t.Errorf("summary = %q", got)
	}
	screenshot(t, ctx, "restrictions-03-table")

	role, scopes, cidrs := utrStored(t, ts, id, "deploy")
	if role != "Viewer" || !slices.Equal(scopes, []string{"orders:read", "orders:write"}) || !slices.Equal(cidrs, []string{"10.0.0.0/8"}) {
		t.Fatalf("the API lists deploy's role %v, scopes %q, ranges %q", role, scopes, cidrs)
	}
	if r := ts.bearer(key).do(t, "GET", "/api/org", nil); r.Status != http.StatusForbidden {
		t.Errorf("the token from 127.0.0.1, outside 10.0.0.0/8: %d %s, want 403", r.Status, r.Body)
	}

	// The restrictions page: the three fields as stored; the range cleared and saved.
	uiqNav(t, ctx, "Edit restrictions", chromedp.Click(chromedp.CSS(`a[aria-label="Edit restrictions of service account token deploy"]`)))
	if got := uiqPath(t, ctx); got != account+"/tokens/"+itoa64(utrTokenID(t, ts, id, "deploy"))+"/restrictions" {
		t.Fatalf("Edit restrictions opened %s", got)
	}
	page := uiqEval[[]string](t, ctx, `[document.querySelector("h1").textContent.trim(), document.getElementById("token-role").value,
		document.getElementById("token-scopes").value, document.getElementById("token-cidrs").value, document.querySelector("main form button[type=submit]").textContent.trim()]`)
	if want := []string{"Token restrictions", "Viewer", "orders:read orders:write", "10.0.0.0/8", "Save restrictions"}; !slices.Equal(page, want) {
		t.Fatalf("the restrictions page (heading, role, scopes, ranges, button) = %q, want %q", page, want)
	}
	uiqCheckLabels(t, ctx, "the restrictions page")
	screenshot(t, ctx, "restrictions-04-page")
	utrClear(t, ctx, "token-cidrs")
	uiqNav(t, ctx, "Save restrictions", chromedp.Click(uiqByText("main form button", "Save restrictions")))
	if got := uiqPath(t, ctx); got != account {
		t.Fatalf("after saving the browser shows %s", got)
	}
	if got := uiqFlash(t, ctx); got != "Restrictions of token deploy saved." {
		t.Errorf("flash = %q", got)
	}
	if got := utrLine(t, ctx, "deploy"); got != "Role: Viewer · Scopes: orders:read, orders:write" {
		t.Errorf("deploy's restrictions after saving = %q", got)
	}
	role, scopes, cidrs = utrStored(t, ts, id, "deploy")
	if role != "Viewer" || !slices.Equal(scopes, []string{"orders:read", "orders:write"}) || cidrs != nil {
		t.Fatalf("after clearing the ranges the API lists role %v, scopes %q, ranges %q; want no ranges", role, scopes, cidrs)
	}
	checkTokenWorks(t, ts, key)
}

// utrClear empties a text field as a person does: select all, then Backspace.
func utrClear(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	must(t, ctx, "clear "+id, chromedp.Focus(chromedp.ID(id)), chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`), chromedp.KeyEvent(kb.Backspace))
	if v := uiqEval[string](t, ctx, `document.getElementById(`+uiqJS(id)+`).value`); v != "" {
		t.Fatalf("%s still holds %q", id, v)
	}
}

// utrTokenID returns the id of an account's token by name, from the API.
func utrTokenID(t *testing.T, ts *testServer, saID int64, name string) int64 {
	t.Helper()
	for _, tk := range ts.adminBasic().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(saID)+"/tokens", nil).List(t) {
		if tk["name"] == name {
			return int64(tk["id"].(float64))
		}
	}
	t.Fatalf("the API lists no token %s", name)
	return 0
}

// TestUI_TokenRestrictionsPhone: at 390 px a token with long restrictions, the summary, the
// token dialog with Advanced open and the restrictions page fit the screen, every action on
// it.
func TestUI_TokenRestrictionsPhone(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "nightly-backup-exporter", "Admin")
	m := ts.admin().expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(id)+"/tokens", map[string]any{
		"name": "deploy-production-eu-west-1-primary", "role": "Editor",
		"scopes":       []string{"orders:read", "orders:write", "inventory.warehouse-eu-west-1:reserve", "billing/invoices:export"},
		"allowedCidrs": []string{"10.0.0.0/8", "2001:db8:abcd:1234::/64", "192.0.2.7"},
	}).JSON(t)
	tokID := int64(m["id"].(float64))
	uiqIssue(t, ts, id, "plain", 0)

	ctx := newTab(t)
	must(t, ctx, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	browserLogin(t, ctx, ts, "admin", ts.Password)
	account := "/org/serviceaccounts/" + itoa64(id)
	check := func(what string) {
		t.Helper()
		if bad := ncPhoneProblems(t, ctx); len(bad) > 0 {
			t.Errorf("%s at 390 px:\n\t%s", what, strings.Join(bad, "\n\t"))
		}
		uiqCheckLabels(t, ctx, what)
	}
	uiqGo(t, ctx, ts, account)
	check("the account's page")
	screenshot(t, ctx, "restrictions-phone-account")
	if got := utrSummary(t, ctx); got != "1 of 2 tokens is restricted: deploy-production-eu-west-1-primary" {
		t.Errorf("summary = %q", got)
	}
	// The line is shown in full, in the row, below the name.
	line := uiqEval[[]float64](t, ctx, `(() => { const l = document.querySelector("table.tokens-table .restrictions"), r = l.getBoundingClientRect(),
		row = l.closest("tr").getBoundingClientRect(), name = l.closest("td").getBoundingClientRect();
		return [r.width, r.left - row.left, row.right - r.right, r.top - name.top, l.scrollWidth - l.clientWidth]; })()`)
	if line[0] < 100 || line[1] < 0 || line[2] < 0 || line[3] <= 0 || line[4] > 0 {
		t.Errorf("the restrictions line (width, left gap, right gap, below the name's top, overflow) = %v", line)
	}
	uiqOpenTokenDialog(t, ctx)
	must(t, ctx, "open Advanced", chromedp.Click(chromedp.CSS("#token-advanced > summary")))
	waitJS(t, ctx, "the Advanced part to open", `document.getElementById("token-role").checkVisibility()`)
	check("the token dialog with Advanced open")
	uiqShot(t, ctx, "restrictions-phone-dialog")
	uiqGo(t, ctx, ts, account+"/tokens/"+itoa64(tokID)+"/restrictions")
	check("the restrictions page")
	screenshot(t, ctx, "restrictions-phone-page")
}
