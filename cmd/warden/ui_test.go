package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var tokenPattern = regexp.MustCompile(`^glsa_[0-9A-Za-z]{32}_[0-9a-f]{8}$`)

// TestUI_AddTokenFlow walks Grafana's "Add a token to a service account" steps as a person
// would: sign in → Configuration → Service accounts → a service account → Add token → name →
// no expiry (then again with a date) → Generate → read the token from the page → the token
// authenticates against GET /api/org over real HTTP.
func TestUI_AddTokenFlow(t *testing.T) {
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
