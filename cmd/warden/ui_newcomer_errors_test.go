package main

// A newcomer's rough edges: unknown addresses and a trailing slash show Warden's own 404 page
// (the API keeps Grafana's JSON 404), errors are worded for a person, tokens are listed in
// natural order (t2 before t10), and the default expiry "tomorrow" means 24 hours from now,
// with the exact time shown.

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestUI_NotFoundPage: an unknown address and a page's address with a trailing slash answer
// 404 with Warden's page — in the layout, with the sidebar when signed in, pointing to the page meant when only the slash was wrong — while unknown
// API paths keep Grafana's JSON 404.
func TestUI_NotFoundPage(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	c := uiqSession(t, ts, "admin", ts.Password)
	for _, tc := range []struct {
		c          *client
		path, hint string
		signedIn   bool
	}{
		{c, "/no/such/page", "", true},
		{c, "/org/serviceaccounts/", "/org/serviceaccounts", true},
		{c, "/org/users/", "/org/users", true},
		{c, "/org/teams/", "/org/teams", true},
		{ts.anon(), "/no/such/page", "", false},
		{ts.anon(), "/org/serviceaccounts/", "/org/serviceaccounts", false},
	} {
		r := tc.c.do(t, "GET", tc.path, nil)
		body := string(r.Body)
		if r.Status != http.StatusNotFound || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want a 404 page", tc.path, r.Status, r.Header.Get("Content-Type"))
			continue
		}
		if !strings.Contains(body, "<h1>Page not found</h1>") || !strings.Contains(body, "<title>Page not found · Warden</title>") ||
			strings.Contains(body, "404 page not found") {
			t.Errorf("GET %s: not Warden's 404 page:\n%s", tc.path, body)
		}
		if got := strings.Contains(body, `class="sidebar"`); got != tc.signedIn {
			t.Errorf("GET %s: sidebar shown %v, want %v", tc.path, got, tc.signedIn)
		}
		if tc.hint != "" && !strings.Contains(body, `<a href="`+tc.hint+`">`) {
			t.Errorf("GET %s: no link to %s in:\n%s", tc.path, tc.hint, body)
		}
		if r.Header.Get("Content-Security-Policy") == "" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: the 404 page lacks the pages' headers: %v", tc.path, r.Header)
		}
	}
	for _, path := range []string{"/api/no-such-route", "/api/serviceaccounts/search/"} {
		r := c.do(t, "GET", path, nil)
		if r.Status != http.StatusNotFound || strings.TrimSpace(string(r.Body)) != `{"message":"Not found"}` {
			t.Errorf("GET %s: %d %s, want the API's JSON 404", path, r.Status, r.Body)
		}
	}
}

// TestUI_ErrorPageWording: the error page of an account or team that does not exist says so
// for a person, never "service account not found" as the API words it.
func TestUI_ErrorPageWording(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	c := uiqSession(t, ts, "admin", ts.Password)
	for _, tc := range []struct{ path, want string }{
		{"/org/serviceaccounts/99999", "This service account does not exist. It may have been deleted, or it belongs to another organization."},
		{"/org/serviceaccounts/no-such-uid", "This service account does not exist. It may have been deleted, or it belongs to another organization."},
		{"/org/teams/99999", "This team does not exist. It may have been deleted, or it belongs to another organization."},
	} {
		r := c.do(t, "GET", tc.path, nil)
		body := string(r.Body)
		if r.Status != http.StatusNotFound || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want 404 saying %q:\n%s", tc.path, r.Status, tc.want, body)
		}
		for _, raw := range []string{"service account not found", "Team not found", `role="alert">Not found<`, "Not Found"} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: the page says %q as the API does", tc.path, raw)
			}
		}
	}
}

// TestUI_TokensNaturalOrder: an account's tokens are listed by name in natural order, numbers
// by value and letters regardless of case: t1, t2, T3, t10, t10b, t20.
func TestUI_TokensNaturalOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "numbered", "Viewer")
	for _, n := range []string{"t10", "t2", "t20", "T3", "t1", "t10b"} {
		uiqIssue(t, ts, id, n, 0)
	}
	c := uiqSession(t, ts, "admin", ts.Password)
	body := string(c.expect(t, http.StatusOK, "GET", "/org/serviceaccounts/"+itoa64(id), nil).Body)
	var got []string
	for _, m := range regexp.MustCompile(`aria-label="Delete service account token ([^"]+)"`).FindAllStringSubmatch(body, -1) {
		got = append(got, m[1])
	}
	if want := []string{"t1", "t2", "T3", "t10", "t10b", "t20"}; !slices.Equal(got, want) {
		t.Fatalf("tokens listed as %q, want %q", got, want)
	}
}

// TestUI_TokenDefaultExpiry: "Set expiration date" with the date it proposes (tomorrow) gives
// a token that lasts 24 hours — not one that ends at midnight, perhaps minutes away — and the
// dialog shows the exact time it will expire. The browser runs in a time zone where it is
// late evening, when "end of today" would be closest; and, first, in the zones farthest behind
// and ahead of UTC, so that at any hour one of them has another date than the server's.
func TestUI_TokenDefaultExpiry(t *testing.T) {
	browserTest(t)
	ts := startServer(t, nil)
	id := createSA(t, ts, "expiring", "Viewer")
	ctx := newTab(t)
	browserLogin(t, ctx, ts, "admin", ts.Password)
	// openDialog shows the token dialog in a browser set to zone, chooses "Set expiration
	// date", and checks the proposed expiry is 24 hours away in the browser's own time.
	openDialog := func(zone string) {
		t.Helper()
		if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
			t.Fatal(err)
		}
		uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
		uiqOpenTokenDialog(t, ctx)
		uiqTypeAtOnce(t, ctx, "token-name", "a-day")
		must(t, ctx, "Set expiration date", chromedp.Click(chromedp.CSS("#token-dialog input[value=date]")), chromedp.WaitVisible(chromedp.ID("token-date")))
		shown := uiqEval[[]string](t, ctx, `(() => { const e = document.getElementById("token-expires-at") || {textContent: ""}, w = new Date(Date.now() + 864e5);
		return [e.textContent.trim(), w.toLocaleDateString("en-GB", {weekday: "long", day: "numeric", month: "long", year: "numeric"}),
			String(w.getHours()).padStart(2, "0") + ":" + String(w.getMinutes()).padStart(2, "0")]; })()`)
		if !strings.Contains(shown[0], shown[1]) || !strings.Contains(shown[0], shown[2]) {
			t.Errorf("in %s the dialog says %q, want the date and time 24 hours from now (%s, %s)", zone, shown[0], shown[1], shown[2])
		}
	}
	openDialog("Etc/GMT+12") // UTC−12
	openDialog("Etc/GMT-14") // UTC+14
	// A fixed-offset zone where the local time is now 22:xx.
	offset := (22 - time.Now().UTC().Hour() + 24) % 24
	if offset > 14 {
		offset -= 24
	}
	zone := fmt.Sprintf("Etc/GMT%+d", -offset) // Etc/GMT-2 is UTC+2
	openDialog(zone)
	if h := uiqEval[int](t, ctx, `new Date().getHours()`); h != 22 && h != 23 {
		t.Fatalf("in %s the browser's hour is %d, want 22", zone, h)
	}
	uiqShot(t, ctx, "expiry-01-dialog")
	sent := time.Now()
	must(t, ctx, "generate", chromedp.Click(chromedp.CSS("[data-generate]")), chromedp.WaitVisible(chromedp.ID("new-token")))
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id)+"/tokens", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("%d tokens", len(list))
	}
	exp, err := time.Parse(time.RFC3339, list[0]["expiration"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(sent); d < 24*time.Hour-2*time.Minute || d > 24*time.Hour+2*time.Minute {
		t.Fatalf("the default expiry is %v from now (%s in %s), want 24 hours", d.Round(time.Minute), exp, zone)
	}
}

// TestUI_TokenFormWithoutJSExpiry: without JavaScript, a date means that day at the current
// time (UTC): tomorrow is 24 hours from now, and the form says so.
func TestUI_TokenFormWithoutJSExpiry(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := createSA(t, ts, "nojs-expiry", "Viewer")
	c := uiqSession(t, ts, "admin", ts.Password)
	path := "/org/serviceaccounts/" + itoa64(id)
	page := c.expect(t, http.StatusOK, "GET", path, nil)
	if !regexp.MustCompile(`The token expires on the chosen date at \d\d:\d\d UTC`).Match(page.Body) {
		t.Fatal("the token form does not say at what time the token expires")
	}
	form := uiqFormFields(t, page.Body, path+"/tokens")
	form.Set("name", "tomorrow")
	form.Set("expiration", "date")
	form.Set("expirationDate", time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02"))
	sent := time.Now()
	if r := uiqPost(t, c, path+"/tokens", form); r.Status != http.StatusOK {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	exp, err := time.Parse(time.RFC3339, ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(id)+"/tokens", nil).List(t)[0]["expiration"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(sent); d < 24*time.Hour-2*time.Minute || d > 24*time.Hour+2*time.Minute {
		t.Fatalf("tomorrow without JavaScript lasts %v, want 24 hours", d.Round(time.Minute))
	}
}
