package main

// A newcomer on the keyboard: real key presses in Chromium against the WAI-ARIA Authoring
// Practices patterns — buttons (Enter and Space activate, nothing is judged before the person
// acts), dialogs (the focus moves in, Tab stays in, Escape closes, the focus returns to the
// opener) and radio groups (arrow keys move the selection without reloading the page).

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ncKey presses a key (kb.Enter, kb.Tab, " " for Space…) on whatever has the focus.
func ncKey(t *testing.T, ctx context.Context, what, key string, opts ...chromedp.KeyOption) {
	t.Helper()
	must(t, ctx, what, chromedp.KeyEvent(key, opts...))
}

// ncFocused describes the focused element: its id, or its tag and text.
func ncFocused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return uiqEval[string](t, ctx, `(() => { const e = document.activeElement;
		return !e || e === document.body ? "nothing (body)" : e.id ? "#" + e.id : e.tagName.toLowerCase() + " '" + e.textContent.trim() + "'"; })()`)
}

// ncWithin polls a condition until it holds, for at most d (a bound for a page that never gets
// there), and reports whether it did.
func ncWithin(t *testing.T, ctx context.Context, d time.Duration, expr string) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// ncTabStaysIn presses Tab, then Shift+Tab, once more than the dialog has focusable elements,
// and fails when the focus leaves the dialog.
func ncTabStaysIn(t *testing.T, ctx context.Context, dialog string) {
	t.Helper()
	n := uiqEval[int](t, ctx, fmt.Sprintf(`[...document.querySelector(%s).querySelectorAll("a[href], button, input, select, textarea")]
		.filter(e => !e.disabled && e.getClientRects().length > 0).length`, uiqJS(dialog)))
	if n < 2 {
		t.Fatalf("%s has %d focusable elements", dialog, n)
	}
	inside := fmt.Sprintf(`document.querySelector(%s).contains(document.activeElement)`, uiqJS(dialog))
	for _, back := range []bool{false, true} {
		var seen []string
		for i := 0; i <= n+1; i++ {
			if back {
				ncKey(t, ctx, "Shift+Tab", kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
			} else {
				ncKey(t, ctx, "Tab", kb.Tab)
			}
			seen = append(seen, ncFocused(t, ctx))
			if !uiqEval[bool](t, ctx, inside) {
				t.Fatalf("%s: after %d presses of %s the focus left the dialog: %q", dialog, i+1, map[bool]string{false: "Tab", true: "Shift+Tab"}[back], seen)
			}
		}
	}
}

// TestUI_KeyboardAddTokenButton: "Add service account token" is a button: Enter and Space open
// the dialog, the focus lands in the name field with no error shown (nothing was submitted),
// Tab and Shift+Tab stay in the dialog, Escape closes it and the focus is back on the button.
func TestUI_KeyboardAddTokenButton(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "keyboard-bot", "Viewer")
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))

	for _, key := range []struct{ name, key string }{{"Enter", kb.Enter}, {"Space", " "}} {
		must(t, ctx, "focus Add service account token", chromedp.Focus(chromedp.ID("open-token-dialog")))
		ncKey(t, ctx, "press "+key.name, key.key)
		if !ncWithin(t, ctx, 5*time.Second, `document.getElementById("token-dialog").open`) {
			t.Fatalf("%s on Add service account token did not open the dialog (focus on %s)", key.name, ncFocused(t, ctx))
		}
		got := uiqEval[[]any](t, ctx, `[document.activeElement.id, document.getElementById("token-name-error").hidden,
			document.getElementById("token-name").getAttribute("aria-invalid") === "true", document.querySelector("[data-token-error]").hidden,
			document.getElementById("token-dialog").matches(":modal")]`)
		if want := []any{"token-name", true, false, true, true}; !slices.Equal(got, want) {
			t.Errorf("after %s: focus, name error hidden, name invalid, dialog error hidden, modal = %v, want %v", key.name, got, want)
		}
		uiqShot(t, ctx, "keyboard-01-dialog-"+strings.ToLower(key.name))
		ncTabStaysIn(t, ctx, "#token-dialog")
		ncKey(t, ctx, "press Escape", kb.Escape)
		waitJS(t, ctx, "the dialog to close", `!document.getElementById("token-dialog").open`)
		if got := ncFocused(t, ctx); got != "#open-token-dialog" {
			t.Errorf("after Escape the focus is on %s, want Add service account token", got)
		}
	}
	if n := uiqTokenCount(t, ts, id); n != 0 {
		t.Fatalf("%d tokens after opening and closing the dialog", n)
	}
}

// TestUI_KeyboardTokenDialogServerError: a name the server refuses (taken in the org), sent
// with Enter or Space on "Generate token": the refusal is shown and the focus goes to the name
// field, which is marked invalid and described by the message — it is not lost.
func TestUI_KeyboardTokenDialogServerError(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "refused", "Viewer")
	uiqIssue(t, ts, createSA(t, ts, "other", "Viewer"), "taken", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	uiqOpenTokenDialog(t, ctx)
	uiqTypeAtOnce(t, ctx, "token-name", "taken")

	for _, key := range []struct{ name, key string }{{"Enter", kb.Enter}, {"Space", " "}} {
		must(t, ctx, "clear the message", chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-token-error]").hidden = true`))
		must(t, ctx, "focus Generate token", chromedp.Focus(chromedp.CSS("[data-generate]")))
		ncKey(t, ctx, "press "+key.name+" on Generate token", key.key)
		waitJS(t, ctx, "the refusal", `!document.querySelector("[data-token-error]").hidden`)
		if !ncWithin(t, ctx, 5*time.Second, `document.activeElement && document.activeElement.id === "token-name"`) {
			t.Errorf("after the refusal (%s) the focus is on %s, want the name field", key.name, ncFocused(t, ctx))
		}
		got := uiqEval[[]string](t, ctx, `(() => { const i = document.getElementById("token-name"), e = document.querySelector("[data-token-error]");
			return [e.textContent.trim(), i.getAttribute("aria-invalid"), String((i.getAttribute("aria-describedby") || "").split(" ").includes(e.id) && e.id !== ""),
				String(document.querySelector("[data-generate]").disabled)]; })()`)
		if want := []string{"A token with this name already exists in this organization. Choose another name.", "true", "true", "false"}; !slices.Equal(got, want) {
			t.Errorf("after the refusal (%s): message, aria-invalid, described by the message, Generate disabled = %q, want %q", key.name, got, want)
		}
	}
	uiqShot(t, ctx, "keyboard-02-refused")
}

// TestUI_KeyboardConfirmDialog: the confirmation before deleting a token opens with Enter or
// Space on the trash button; the focus starts on Cancel (the least destructive choice), stays
// in the dialog, Escape closes it and the focus returns to the trash button; Tab to Delete and
// Enter deletes.
func TestUI_KeyboardConfirmDialog(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "confirming", "Viewer")
	uiqIssue(t, ts, id, "drop", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	trash := `button[aria-label="Delete service account token drop"]`

	for _, key := range []struct{ name, key string }{{"Enter", kb.Enter}, {"Space", " "}} {
		must(t, ctx, "focus the trash button", chromedp.Focus(chromedp.CSS(trash)))
		ncKey(t, ctx, "press "+key.name, key.key)
		if !ncWithin(t, ctx, 5*time.Second, `!!document.querySelector("dialog[open] #confirm-title")`) {
			t.Fatalf("%s on the trash button opened no confirmation", key.name)
		}
		if got := uiqEval[[]string](t, ctx, `[document.activeElement.textContent.trim(), String(document.querySelector("dialog[open]").contains(document.activeElement)),
			document.querySelector("dialog[open]").getAttribute("role") || "dialog"]`); !slices.Equal(got, []string{"Cancel", "true", "alertdialog"}) {
			t.Errorf("confirmation opened by %s: focus, focus inside, role = %q, want Cancel, inside, alertdialog", key.name, got)
		}
		ncTabStaysIn(t, ctx, "dialog[open]")
		ncKey(t, ctx, "press Escape", kb.Escape)
		waitJS(t, ctx, "the confirmation to close", `!document.querySelector("dialog[open]")`)
		if got := uiqEval[string](t, ctx, `document.activeElement.getAttribute("aria-label") || ""`); got != "Delete service account token drop" {
			t.Errorf("after Escape the focus is on %s, want the trash button", ncFocused(t, ctx))
		}
	}
	if n := uiqTokenCount(t, ts, id); n != 1 {
		t.Fatalf("%d tokens after cancelling, want 1", n)
	}

	must(t, ctx, "focus the trash button", chromedp.Focus(chromedp.CSS(trash)))
	ncKey(t, ctx, "press Enter", kb.Enter)
	waitJS(t, ctx, "the confirmation", `!!document.querySelector("dialog[open] #confirm-title")`)
	must(t, ctx, "focus Delete", chromedp.Focus(chromedp.CSS("dialog[open] button.confirm")))
	uiqNav(t, ctx, "Enter on Delete", chromedp.KeyEvent(kb.Enter))
	if got := uiqFlash(t, ctx); got != "Token deleted." {
		t.Fatalf("flash = %q", got)
	}
	if n := uiqTokenCount(t, ts, id); n != 0 {
		t.Fatalf("%d tokens after confirming, want 0", n)
	}
}

// TestUI_KeyboardFilterArrows: on the service-account list the arrow keys move through the
// All / With expired tokens / Disabled filters as a radio group does: the list follows, the
// page does not reload, the focus stays on the filter, and the address keeps the choice (so
// Reload shows the same). Typing a search works the same way.
func TestUI_KeyboardFilterArrows(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	c := taAdminToken(t, ts)
	taCreateSA(t, c, "alpha", "Viewer")
	gamma := taCreateSA(t, c, "gamma-disabled", "Viewer")
	c.expect(t, http.StatusOK, "PATCH", "/api/serviceaccounts/"+itoa64(gamma), map[string]any{"isDisabled": true})
	delta := taCreateSA(t, c, "delta-expired", "Viewer")
	tokID, _ := taIssue(t, c, delta, "d1", 3600)
	taExec(t, taDB(t, ts), "UPDATE token SET expires = ? WHERE id = ?", time.Now().Add(-time.Hour).Unix(), tokID)

	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts")
	all := uiqListNames(t, ctx)
	slices.Sort(all)
	if len(all) != 4 { // the admin token's account too
		t.Fatalf("the list = %q", all)
	}
	must(t, ctx, "focus the All filter", chromedp.Focus(chromedp.ID("f-all")), chromedp.Evaluate[chromedp.Void](`window.__ncSamePage = true`))

	step := func(key, keyName, focus, filter string, want []string) {
		t.Helper()
		ncKey(t, ctx, "press "+keyName, key)
		wantJS := uiqJS(strings.Join(want, ","))
		listed := `[...document.querySelectorAll("table.sa-table tbody tr td:nth-child(2) a")].map(a => a.textContent.trim()).sort().join(",")`
		// Either the list follows in place, or the page reloaded (which the checks below refuse).
		if !ncWithin(t, ctx, 10*time.Second, `!window.__ncSamePage || (`+listed+` === `+wantJS+` && location.search.includes("filter=`+filter+`"))`) {
			t.Fatalf("%s: the list shows %q, want %q", keyName, uiqListNames(t, ctx), want)
		}
		got := uiqEval[[]any](t, ctx, `[!!window.__ncSamePage, document.activeElement.id, document.activeElement.checked]`)
		if !slices.Equal(got, []any{true, focus, true}) {
			t.Fatalf("after %s: same page, focus, checked = %v, want true, %s, true (the page must not reload)", keyName, got, focus)
		}
	}
	step(kb.ArrowRight, "ArrowRight", "f-expired", "expired", []string{"delta-expired"})
	if got := text(t, ctx, "#sa-results-status"); got != "1 service account found" {
		t.Errorf("the results are announced as %q", got)
	}
	step(kb.ArrowRight, "ArrowRight", "f-disabled", "disabled", []string{"gamma-disabled"})
	uiqShot(t, ctx, "keyboard-03-filter-disabled")
	step(kb.ArrowLeft, "ArrowLeft", "f-expired", "expired", []string{"delta-expired"})
	step(kb.ArrowLeft, "ArrowLeft", "f-all", "all", all)

	// Typing a search: the list follows, the caret stays in the box.
	uiqTypeAtOnce(t, ctx, "sa-search", "alp")
	if !ncWithin(t, ctx, 10*time.Second, `!window.__ncSamePage || location.search.includes("query=alp")`) {
		t.Fatal("the search did not run")
	}
	got := uiqEval[[]any](t, ctx, `[!!window.__ncSamePage, document.activeElement.id, document.activeElement.selectionStart]`)
	if !slices.Equal(got, []any{true, "sa-search", float64(3)}) {
		t.Fatalf("after typing: same page, focus, caret = %v", got)
	}
	waitJS(t, ctx, "the search results", `[...document.querySelectorAll("table.sa-table tbody tr td:nth-child(2) a")].map(a => a.textContent.trim()).join(",") === "alpha"`)

	// Reload shows the same list.
	uiqGo(t, ctx, ts, uiqPath(t, ctx))
	if got := uiqListNames(t, ctx); !slices.Equal(got, []string{"alpha"}) {
		t.Fatalf("after Reload the list = %q", got)
	}
}

// uiqLiveList runs act (a search typed, a filter chosen) on the service-account list and waits
// until the results were replaced in place and the address holds param; it fails when the
// page reloaded instead.
func uiqLiveList(t *testing.T, ctx context.Context, what, param string, act func()) {
	t.Helper()
	must(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__uiqSamePage = true; window.__uiqResults = document.getElementById("sa-results")`))
	act()
	waitJS(t, ctx, what, `!window.__uiqSamePage || (document.getElementById("sa-results") !== window.__uiqResults && location.search.includes(`+uiqJS(param)+`))`)
	if !uiqEval[bool](t, ctx, `!!window.__uiqSamePage`) {
		t.Fatalf("%s reloaded the page; the results should follow in place", what)
	}
}

// TestUI_KeyboardRolePicker: arrow keys on a role picker change the choice without saving it
// (each press would otherwise save a role and reload the page): the picker's Save button
// appears, and Tab then Enter saves the role chosen.
func TestUI_KeyboardRolePicker(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	erinID := ts.createUser(t, map[string]any{"login": "erin", "email": "erin@example.com", "password": "erin-password"})
	role := func() string {
		for _, u := range ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t) {
			if u["login"] == "erin" {
				return u["role"].(string)
			}
		}
		return ""
	}
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/users")
	picker := "urole-" + itoa64(erinID)
	must(t, ctx, "focus erin's role", chromedp.Focus(chromedp.ID(picker)), chromedp.Evaluate[chromedp.Void](`window.__ncSamePage = true`))
	ncKey(t, ctx, "ArrowDown", kb.ArrowDown)
	ncKey(t, ctx, "ArrowDown", kb.ArrowDown)
	save := `document.getElementById("` + picker + `").form.querySelector("button[type=submit]")`
	got := uiqEval[[]any](t, ctx, `[!!window.__ncSamePage, document.activeElement.id, document.getElementById("`+picker+`").value, `+save+`.getClientRects().length > 0]`)
	if !slices.Equal(got, []any{true, picker, "Admin", true}) {
		t.Fatalf("after two ArrowDowns: same page, focus, value, Save shown = %v, want true, %s, Admin, true", got, picker)
	}
	if r := role(); r != "Viewer" {
		t.Fatalf("the arrow keys saved the role %s", r)
	}
	uiqShot(t, ctx, "keyboard-04-role-unsaved")
	ncKey(t, ctx, "Tab", kb.Tab)
	if got := uiqEval[bool](t, ctx, `document.activeElement === `+save); !got {
		t.Fatalf("Tab went to %s, want the picker's Save button", ncFocused(t, ctx))
	}
	uiqNav(t, ctx, "Enter on Save", chromedp.KeyEvent(kb.Enter))
	if got := uiqFlash(t, ctx); got != "Role changed." {
		t.Fatalf("flash = %q", got)
	}
	if r := role(); r != "Admin" {
		t.Fatalf("erin's role = %s, want Admin", r)
	}
}
