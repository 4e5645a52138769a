package authz

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Holder keeps the rules in effect for readers on the hot path: Rules is one atomic load. The
// zero value holds no rules (everything is denied). A Holder belongs to one server; nothing is
// global, so several servers in one process keep their own.
type Holder struct {
	rules    atomic.Pointer[Rules]
	failures atomic.Uint64
	loads    atomic.Uint64
}

// Rules returns the rules in effect; nil (no rule: deny) when none were ever loaded.
func (h *Holder) Rules() *Rules {
	if h == nil {
		return nil
	}
	return h.rules.Load()
}

// Set puts rs in effect.
func (h *Holder) Set(rs *Rules) {
	h.rules.Store(rs)
	h.loads.Add(1)
}

// Failures counts reloads that found an invalid or unreadable file.
func (h *Holder) Failures() uint64 {
	if h == nil {
		return 0
	}
	return h.failures.Load()
}

// Loads counts the rules files put in effect.
func (h *Holder) Loads() uint64 {
	if h == nil {
		return 0
	}
	return h.loads.Load()
}

// DefaultPollInterval is how often a Watcher reads the file. A change is applied once two
// reads in a row see the same content, so within two intervals of the last write.
const DefaultPollInterval = 500 * time.Millisecond

// ReloadSettle is the pause between the reads of a Reload, which applies the file only once
// two reads in a row agree; it tries reloadAttempts times before giving up.
const (
	ReloadSettle   = 100 * time.Millisecond
	reloadAttempts = 5
)

// errUnstable is why a Reload gave up on a file that changed between every two reads.
var errUnstable = errors.New("the file kept changing while it was read; save it by atomic rename")

// Watcher reloads a rules file into a Holder: on demand (Reload, e.g. on SIGHUP) and when
// polling sees new content. An invalid or missing file keeps the last good rules; the reason
// is logged and counted (Holder.Failures) once per distinct content.
//
// Polling compares a hash of the content, so saves by atomic rename, in place or by delete
// and re-create are all seen; waiting for two equal reads in a row keeps a half-written file
// from being loaded. Reload does the same within one call, ReloadSettle apart.
type Watcher struct {
	path     string
	holder   *Holder
	logger   *slog.Logger
	interval time.Duration
	readFile func(string) ([]byte, error) // os.ReadFile; replaced by tests
	settle   time.Duration                // ReloadSettle; shortened by tests

	mu      sync.Mutex // serialises loads; guards the fields below
	applied [sha256.Size]byte
	pending [sha256.Size]byte
	waiting bool
}

// NewWatcher returns a watcher of the rules file at path; interval <= 0 means
// DefaultPollInterval.
func NewWatcher(path string, h *Holder, logger *slog.Logger, interval time.Duration) *Watcher {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	return &Watcher{path: path, holder: h, logger: logger, interval: interval, readFile: os.ReadFile, settle: ReloadSettle}
}

// read returns the file's content and a key identifying what was seen: the content's hash,
// or a hash of the read error.
func (w *Watcher) read() ([]byte, [sha256.Size]byte, error) {
	data, err := w.readFile(w.path)
	if err != nil {
		return nil, sha256.Sum256([]byte("error: " + err.Error())), err
	}
	return data, sha256.Sum256(data), nil
}

// Load reads the file (two reads that agree, as Reload) and puts it in effect, or returns why
// it could not. It logs and counts nothing: at start-up the caller decides (Warden refuses to
// start).
func (w *Watcher) Load() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, key, err := w.stableRead()
	if errors.Is(err, errUnstable) {
		return err
	}
	w.applied, w.waiting = key, false
	if err != nil {
		return err
	}
	rs, err := Parse(data)
	if err != nil {
		return err
	}
	rs.Source = w.path
	w.holder.Set(rs)
	return nil
}

// Reload reads the file now and puts it in effect if valid; otherwise it keeps the rules in
// effect, logs why and counts a failure. trigger names the cause in the log ("SIGHUP").
//
// Like polling, it applies only content that two reads in a row (ReloadSettle apart) agree
// on, so that a file caught half-written — which may still be valid, and broader — is not
// loaded. A file that changes between every two of reloadAttempts+1 reads is a failure; the
// next poll picks it up once it settles.
func (w *Watcher) Reload(trigger string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, key, err := w.stableRead()
	if errors.Is(err, errUnstable) {
		w.fail(trigger, err)
		return err
	}
	return w.apply(trigger, data, key, err)
}

// stableRead reads the file until two reads in a row (settle apart) agree, at most
// reloadAttempts+1 times, and returns what they saw; errUnstable when they never agreed. The
// start-up Load uses it too, so a file caught half-written is not loaded then either.
func (w *Watcher) stableRead() ([]byte, [sha256.Size]byte, error) {
	_, prev, _ := w.read()
	for range reloadAttempts {
		time.Sleep(w.settle)
		data, key, err := w.read()
		if key == prev {
			return data, key, err
		}
		prev = key
	}
	return nil, prev, errUnstable
}

// apply is called with mu held.
func (w *Watcher) apply(trigger string, data []byte, key [sha256.Size]byte, err error) error {
	w.applied, w.waiting = key, false
	var rs *Rules
	if err == nil {
		rs, err = Parse(data)
	}
	if err != nil {
		w.fail(trigger, err)
		return err
	}
	rs.Source = w.path
	w.holder.Set(rs)
	w.logger.Info("authorization rules loaded", "file", w.path, "trigger", trigger, "rules", rs.Len())
	return nil
}

// fail logs and counts a reload that kept the rules in effect; mu is held.
func (w *Watcher) fail(trigger string, err error) {
	w.logger.Error("authorization rules not reloaded; the last good rules stay in effect",
		"file", w.path, "trigger", trigger, "err", err, "rules_in_effect", w.holder.Rules().Len())
	// Counted after the log line, so whoever sees the count can also read why.
	w.holder.failures.Add(1)
}

// poll reads the file once and applies new content seen twice in a row.
func (w *Watcher) poll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, key, err := w.read()
	switch {
	case key == w.applied:
		w.waiting = false
	case w.waiting && key == w.pending:
		_ = w.apply("change", data, key, err)
	default:
		w.pending, w.waiting = key, true
	}
}

// Run polls the file until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll()
		}
	}
}
