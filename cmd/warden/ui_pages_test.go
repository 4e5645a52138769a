package main

// The UI as a whole: navigation by role and feature toggle, users and teams pages, security
// headers and CSP, accessibility, contrast, phone widths.

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ---- navigation ----

// TestUI_Navigation: the sidebar's Configuration (gear) menu shows what the viewer may use. A
// Viewer sees no Service accounts entry (and is refused the page); with the serviceAccounts
// feature toggle off the entry disappears for everyone.
func TestUI_Navigation(t *testing.T) {
	browserTest(t)
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

// TestUI_SecurityHeaders: pages carry a CSP without 'unsafe-inline' scripts and with
// frame-ancestors 'none', nosniff and a Referrer-Policy, are never cached, and hold no inline
// script, style or event handler (which that CSP would block).
func TestUI_SecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "headers", "Viewer")
	tokID, _ := uiqIssue(t, ts, id, "t", 0)
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
		{c, "/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(tokID) + "/rotate", http.StatusOK},
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
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "csp", "Viewer")
	tokID, _ := uiqIssue(t, ts, id, "to-rotate", 0)
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	for _, p := range []string{"/org/serviceaccounts", "/org/serviceaccounts/create", "/org/serviceaccounts/" + itoa64(id),
		"/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(tokID) + "/rotate", "/org/users", "/org/teams"} {
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
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "a11y", "Editor")
	tokID, _ := uiqIssue(t, ts, id, "tok", 0)
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
		"/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(tokID) + "/rotate",
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
	browserTest(t)
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
	browserTest(t)
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
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "contrast", "Editor")
	disabledID := createSA(t, ts, "contrast-off", "Viewer")
	ts.admin().expect(t, http.StatusOK, "PATCH", "/api/serviceaccounts/"+itoa64(disabledID), map[string]any{"isDisabled": true})
	liveID, _ := uiqIssue(t, ts, id, "live", 0)
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
		for _, p := range []string{"/org/serviceaccounts", "/org/serviceaccounts/" + itoa64(id), "/org/serviceaccounts/create",
			"/org/serviceaccounts/" + itoa64(id) + "/tokens/" + itoa64(liveID) + "/rotate", "/org/users", "/org/teams"} {
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
