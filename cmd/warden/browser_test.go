package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// One Chromium process serves the whole test binary; each test gets a fresh browser context
// (its own cookies and storage) in it.
var browser struct {
	once    sync.Once
	ctx     context.Context // the browser's chromedp context
	cancel  func()
	err     error
	missing bool
}

func chromiumPath() string {
	// Chromium's headless shell first: the same engine without the browser's own UI, it runs the
	// browser tests on less than half the CPU of a full Chromium in headless mode (whose
	// browser process draws windows and tab strips nobody sees).
	for _, p := range []string{os.Getenv("WARDEN_TEST_CHROMIUM"), "/usr/bin/chromium-headless-shell", "/usr/bin/chromium",
		"/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// browserTest starts a browser test: it runs in parallel with the others (each has its own
// server and its own browser context in the shared Chromium) and is skipped on the PostgreSQL
// stage, since the browser tests run once.
func browserTest(t *testing.T) {
	t.Helper()
	t.Parallel()
	skipOnPostgresStage(t, "browser tests run once, on SQLite")
}

// newTab returns a chromedp context for one test: a new tab in a new browser context. Without
// Chromium the test is skipped on a developer's machine and fails in CI (CI=true).
func newTab(t *testing.T) context.Context {
	t.Helper()
	skipOnPostgresStage(t, "browser tests run once, on SQLite")
	browser.once.Do(func() {
		path := chromiumPath()
		if path == "" {
			browser.missing = true
			return
		}
		dir, err := os.MkdirTemp("", "warden-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.UserDataDir(dir),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.WindowSize(1280, 900),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(allocCtx)
		if err := chromedp.Do(ctx); err != nil { // starts the browser
			browser.err = err
		}
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc(); os.RemoveAll(dir) }
	})
	if browser.missing {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is required in CI (install the chromium package)")
		}
		t.Skip("Chromium not installed; browser tests skipped")
	}
	if browser.err != nil {
		t.Fatalf("start Chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	// A bound for a hung browser only: the browser tests run in parallel, on as few as two
	// CPUs, and each takes seconds.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

// screenshot saves a PNG of the whole page as a test artefact in $WARDEN_SCREENSHOTS, so people
// can look at what the tests saw. Without WARDEN_SCREENSHOTS it does nothing: encoding the
// PNGs is Chromium's costliest work in the suite, and nothing checks them.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("WARDEN_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// must runs steps and fails the test on error, naming what was being done.
func must(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text returns the visible text of the first element matching a CSS selector.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// browserLogin signs in through the sign-in page.
func browserLogin(t *testing.T, ctx context.Context, ts *testServer, user, pass string) {
	t.Helper()
	must(t, ctx, "sign in",
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), pass),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("nav.sidebar")),
	)
}

// waitJS polls a JavaScript condition until it is true, failing the test after 30 seconds (a
// bound for a page that never gets there, not for a slow one: the tests run in parallel).
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v (last error %v)", what, expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
