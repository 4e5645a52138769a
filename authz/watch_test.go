package authz

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	oneRule  = "rules: [{path: /one, role: Viewer}]\n"
	twoRules = "rules: [{path: /one, role: Viewer}, {path: /two, role: Viewer}]\n"
	badRules = "rules: [{path: relative, role: Viewer}]\n"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// saveAtomically writes content the way editors and config tools do: a temporary file
// renamed over the original.
func saveAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	write(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func newTestWatcher(t *testing.T, content string, interval time.Duration) (*Watcher, *Holder, string, *syncBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, path, content)
	logs := &syncBuffer{}
	h := &Holder{}
	w := NewWatcher(path, h, slog.New(slog.NewTextHandler(logs, nil)), interval)
	w.settle = time.Millisecond // the reads still must agree; TestWatcher_ReloadWaits checks the real pause
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	return w, h, path, logs
}

// waitRules waits until h holds n rules, up to 10 s (5× the 2 s bound), and returns how long
// that took.
func waitRules(t *testing.T, h *Holder, n int) time.Duration {
	t.Helper()
	start := time.Now()
	for h.Rules().Len() != n {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("rules not reloaded after 10 s: %d rules, want %d", h.Rules().Len(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func TestWatcher_PicksUpChanges(t *testing.T) {
	t.Parallel()
	w, h, path, logs := newTestWatcher(t, oneRule, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)

	write(t, path, twoRules) // in place
	d := waitRules(t, h, 2)
	t.Logf("in-place save applied after %v (bound: 2 s)", d)

	saveAtomically(t, path, oneRule)
	d = waitRules(t, h, 1)
	t.Logf("atomic-rename save applied after %v (bound: 2 s)", d)
	if h.Failures() != 0 {
		t.Fatalf("failures = %d", h.Failures())
	}
	if !strings.Contains(logs.String(), "authorization rules loaded") {
		t.Fatalf("no load logged:\n%s", logs)
	}
}

func TestWatcher_InvalidKeepsLastGood(t *testing.T) {
	t.Parallel()
	// Polling every 10 ms (the default interval is TestWatcher_PicksUpChanges's), so saves are
	// atomic: an in-place write caught between truncation and data by two polls would count an
	// empty file as a failure of its own.
	w, h, path, logs := newTestWatcher(t, twoRules, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	good := h.Rules()

	saveAtomically(t, path, badRules)
	start := time.Now()
	for h.Failures() == 0 {
		if time.Since(start) > 10*time.Second {
			t.Fatal("invalid file not noticed after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("invalid save noticed after %v", time.Since(start))
	if h.Rules() != good {
		t.Fatal("an invalid file replaced the rules")
	}
	if !strings.Contains(logs.String(), "the last good rules stay in effect") || !strings.Contains(logs.String(), "relative") {
		t.Fatalf("the failure and its reason are not logged:\n%s", logs)
	}
	// The same invalid content is counted once, however often it is polled.
	for range 4 {
		w.poll()
	}
	if got := h.Failures(); got != 1 {
		t.Fatalf("failures = %d after more polls of the same content, want 1", got)
	}

	// Fixed: the new rules apply.
	saveAtomically(t, path, oneRule)
	waitRules(t, h, 1)
}

func TestWatcher_MissingFile(t *testing.T) {
	w, h, path, logs := newTestWatcher(t, twoRules, 20*time.Millisecond)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		w.poll()
	}
	if h.Rules().Len() != 2 {
		t.Fatal("a missing file dropped the rules")
	}
	if got := h.Failures(); got != 1 {
		t.Fatalf("failures = %d, want 1 (counted once)", got)
	}
	if !strings.Contains(logs.String(), "no such file") {
		t.Fatalf("reason not logged:\n%s", logs)
	}
	write(t, path, oneRule)
	w.poll()
	w.poll()
	if h.Rules().Len() != 1 {
		t.Fatal("the file's return was not picked up")
	}
}

// TestWatcher_WaitsForStableContent checks that a change is applied only once two polls in a
// row see it, so that a file caught half-written is not loaded.
func TestWatcher_WaitsForStableContent(t *testing.T) {
	w, h, path, _ := newTestWatcher(t, oneRule, 0)
	write(t, path, "rules: [{path: /one, role: Viewer}, {path: /, role: None}]") // "half" of a save
	w.poll()
	write(t, path, twoRules) // the save completes
	w.poll()
	if h.Rules().Len() != 1 {
		t.Fatal("content seen once was applied")
	}
	w.poll()
	if h.Rules().Len() != 2 || h.Rules().Rule(1).Path != "/two" {
		t.Fatalf("stable content not applied: %d rules", h.Rules().Len())
	}
	if h.Loads() != 2 {
		t.Fatalf("loads = %d, want 2 (start, change)", h.Loads())
	}
}

func TestWatcher_Reload(t *testing.T) {
	w, h, path, _ := newTestWatcher(t, oneRule, time.Hour)
	write(t, path, twoRules)
	if err := w.Reload("SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if h.Rules().Len() != 2 {
		t.Fatal("Reload did not apply the file at once")
	}
	write(t, path, badRules)
	if err := w.Reload("SIGHUP"); err == nil {
		t.Fatal("Reload of an invalid file succeeded")
	}
	if h.Rules().Len() != 2 || h.Failures() != 1 {
		t.Fatalf("after an invalid reload: %d rules, %d failures", h.Rules().Len(), h.Failures())
	}
	// A poll does not count the same invalid content again.
	w.poll()
	w.poll()
	if h.Failures() != 1 {
		t.Fatalf("failures = %d", h.Failures())
	}
}

func TestWatcher_LoadInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, path, badRules)
	h := &Holder{}
	load := func(path string) error {
		w := NewWatcher(path, h, slog.New(slog.DiscardHandler), 0)
		w.settle = time.Millisecond
		return w.Load()
	}
	if err := load(path); err == nil {
		t.Fatal("Load of an invalid file succeeded")
	}
	if err := load(path + ".missing"); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if h.Rules() != nil || h.Failures() != 0 {
		t.Fatal("a failed start-up load changed the holder")
	}
}

// TestHolder_Independent checks that two watchers (two servers in one process) share nothing.
func TestHolder_Independent(t *testing.T) {
	_, h1, _, _ := newTestWatcher(t, oneRule, 0)
	_, h2, _, _ := newTestWatcher(t, twoRules, 0)
	if h1.Rules().Len() != 1 || h2.Rules().Len() != 2 {
		t.Fatalf("holders = %d, %d rules", h1.Rules().Len(), h2.Rules().Len())
	}
}

// scriptedReads makes w read the given contents in turn (the last one from then on), and
// returns how many reads were made.
func scriptedReads(w *Watcher, contents ...string) *int {
	n := new(int)
	w.readFile = func(string) ([]byte, error) {
		c := contents[min(*n, len(contents)-1)]
		*n++
		return []byte(c), nil
	}
	w.settle = time.Millisecond
	return n
}

// TestWatcher_ReloadWaitsForStableContent checks that a reload (SIGHUP) caught in the middle
// of a save does not apply what it saw first: a truncated file can be valid and broader (here
// a lost methods: line).
func TestWatcher_ReloadWaitsForStableContent(t *testing.T) {
	const (
		full      = "rules:\n  - path: /\n    methods: [GET]\n    role: Viewer\n  - path: /two\n    role: Viewer\n"
		truncated = "rules:\n  - path: /\n    role: Viewer\n"
	)
	w, h, _, _ := newTestWatcher(t, oneRule, time.Hour)
	reads := scriptedReads(w, truncated, full)
	if err := w.Reload("SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if h.Rules().Len() != 2 || h.Rules().Rule(0).Methods == nil {
		t.Fatalf("the first read of a changing file was applied: %d rules", h.Rules().Len())
	}
	if *reads != 3 {
		t.Fatalf("%d reads, want 3 (two disagreeing, then two agreeing)", *reads)
	}
	if h.Failures() != 0 || h.Loads() != 2 {
		t.Fatalf("failures = %d, loads = %d", h.Failures(), h.Loads())
	}
}

// TestWatcher_ReloadOfAFileThatKeepsChanging checks that a reload that never sees two equal
// reads keeps the rules in effect, and logs and counts a failure.
func TestWatcher_ReloadOfAFileThatKeepsChanging(t *testing.T) {
	w, h, _, logs := newTestWatcher(t, oneRule, time.Hour)
	good := h.Rules()
	var contents []string
	for i := range reloadAttempts + 1 {
		contents = append(contents, twoRules+strings.Repeat("#\n", i))
	}
	reads := scriptedReads(w, contents...)
	if err := w.Reload("SIGHUP"); err == nil {
		t.Fatal("Reload of a changing file succeeded")
	}
	if h.Rules() != good {
		t.Fatal("a changing file replaced the rules")
	}
	if *reads != reloadAttempts+1 || h.Failures() != 1 {
		t.Fatalf("reads = %d, failures = %d", *reads, h.Failures())
	}
	if !strings.Contains(logs.String(), "the last good rules stay in effect") || !strings.Contains(logs.String(), "changing") {
		t.Fatalf("the failure is not logged:\n%s", logs)
	}
}

// TestWatcher_ReloadWaits checks the real pause between a reload's two reads.
func TestWatcher_ReloadWaits(t *testing.T) {
	w, h, path, _ := newTestWatcher(t, oneRule, time.Hour)
	w.settle = ReloadSettle
	write(t, path, twoRules)
	start := time.Now()
	if err := w.Reload("SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < ReloadSettle {
		t.Fatalf("Reload took %v, want at least %v", d, ReloadSettle)
	}
	if h.Rules().Len() != 2 {
		t.Fatal("Reload did not apply the file")
	}
}

// TestWatcher_LoadWaitsForStableContent checks that the start-up load, too, applies only what
// two reads agree on, and refuses a file that never settles.
func TestWatcher_LoadWaitsForStableContent(t *testing.T) {
	const (
		full      = "rules:\n  - path: /\n    methods: [GET]\n    role: Viewer\n  - path: /two\n    role: Viewer\n"
		truncated = "rules:\n  - path: /\n    role: Viewer\n"
	)
	h := &Holder{}
	w := NewWatcher(filepath.Join(t.TempDir(), "rules.yaml"), h, slog.New(slog.DiscardHandler), time.Hour)
	reads := scriptedReads(w, truncated, full)
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	if h.Rules().Len() != 2 || h.Rules().Rule(0).Methods == nil || *reads != 3 {
		t.Fatalf("Load applied %d rules after %d reads, want the full file (2) after 3", h.Rules().Len(), *reads)
	}

	h = &Holder{}
	w = NewWatcher(filepath.Join(t.TempDir(), "rules.yaml"), h, slog.New(slog.DiscardHandler), time.Hour)
	var contents []string
	for i := range reloadAttempts + 1 {
		contents = append(contents, twoRules+strings.Repeat("#\n", i))
	}
	scriptedReads(w, contents...)
	if err := w.Load(); !errors.Is(err, errUnstable) || h.Rules().Len() != 0 {
		t.Fatalf("Load of a file that keeps changing = %v with %d rules, want errUnstable and none", err, h.Rules().Len())
	}
}
