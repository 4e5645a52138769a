package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestUI_READMEScreenshots generates the README's screenshots (docs/img/serviceaccount.png and
// docs/img/token-dialog.png, 1280×800) with a real server and headless Chromium, and checks
// they come out as 1280×800 PNGs. It always runs; it writes into the directory named by
// WARDEN_README_SCREENSHOTS, or into a temporary one. Regenerate the committed images with:
//
//	WARDEN_README_SCREENSHOTS=$PWD/docs/img go test ./cmd/warden -run TestUI_READMEScreenshots -count=1
func TestUI_READMEScreenshots(t *testing.T) {
	browserTest(t)
	dir := os.Getenv("WARDEN_README_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, nil)
	id := createSA(t, ts, "ci-pipeline", "Editor")
	createSA(t, ts, "grafana-backup", "Viewer")
	usedID, used := uiqIssue(t, ts, id, "deploy", 0)
	uiqIssue(t, ts, id, "release", 5*24*3600)
	oldID, _ := uiqIssue(t, ts, id, "legacy-cron", 3600)
	db, now := taDB(t, ts), time.Now()
	taExec(t, db, "UPDATE token SET created = ?, expires = ? WHERE id = ?", now.AddDate(0, 0, -120).Unix(), now.AddDate(0, 0, -30).Unix(), oldID)
	taExec(t, db, "UPDATE token SET created = ? WHERE id = ?", now.AddDate(0, 0, -45).Unix(), usedID)
	uiqWaitLastUsed(t, ts, id, usedID, used) // "Last used at" shows a time
	teamID := int64(ts.admin().expect(t, 200, "POST", "/api/teams", map[string]any{"name": "platform"}).JSON(t)["teamId"].(float64))
	ts.admin().expect(t, 200, "POST", "/api/access-control/serviceaccounts/"+itoa64(id)+"/teams/"+itoa64(teamID), map[string]string{"permission": "Edit"})

	ctx := newTab(t)
	must(t, ctx, "a 1280×800 screen", chromedp.EmulateViewport(1280, 800))
	browserLogin(t, ctx, ts, "admin", ts.Password)
	uiqGo(t, ctx, ts, "/org/serviceaccounts/"+itoa64(id))
	uiqViewportShot(t, ctx, dir, "serviceaccount")

	uiqOpenTokenDialog(t, ctx)
	must(t, ctx, "fill the dialog",
		chromedp.SendKeys(chromedp.ID("token-name"), "github-actions"),
		chromedp.Click(chromedp.CSS(`#token-dialog input[value=date]`)),
		chromedp.SetValue(chromedp.ID("token-date"), time.Now().AddDate(0, 0, 90).Format("2006-01-02")),
		chromedp.Click(chromedp.CSS("[data-generate]")),
		chromedp.WaitVisible(chromedp.ID("new-token")),
		chromedp.Focus(chromedp.CSS(`#token-dialog [data-step=created] button.primary`)))
	uiqViewportShot(t, ctx, dir, "token-dialog")

	for _, name := range []string{"serviceaccount", "token-dialog"} {
		f, err := os.Open(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.png is not a PNG: %v", name, err)
		}
		if cfg.Width != 1280 || cfg.Height != 800 {
			t.Fatalf("%s.png is %d×%d, want 1280×800", name, cfg.Width, cfg.Height)
		}
	}
}

// uiqViewportShot saves a PNG of what the screen shows (not the whole page) as dir/name.png.
func uiqViewportShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
