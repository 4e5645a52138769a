package http

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardenhq/warden"
)

// countingStore passes everything to the real store and counts the transactions opened.
type countingStore struct {
	warden.Store
	views, updates atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(warden.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *countingStore) Update(ctx context.Context, fn func(warden.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// newTokenEnv is a testEnv over a counting store with one Viewer service account and its token.
func newTokenEnv(t testing.TB) (*testEnv, *countingStore, string) {
	t.Helper()
	var cs *countingStore
	e := newTestEnvOn(t, func(s warden.Store) warden.Store {
		cs = &countingStore{Store: s}
		return cs
	}, nil)
	ctx := context.Background()
	admin, err := e.svc.LookupUser(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.UserPrincipal(ctx, admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx = warden.NewContextWithPrincipal(ctx, p)
	viewer := warden.RoleViewer
	a, err := e.svc.CreateServiceAccount(ctx, "reader", &viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := e.svc.IssueToken(ctx, a.ID, "reader", 0, warden.TokenRestrictions{})
	if err != nil {
		t.Fatal(err)
	}
	return e, cs, secret.Reveal()
}

// In steady state a token-authenticated GET /api/org touches no database at all: no write
// (lastUsedAt is batched elsewhere) and no read (identity and org come from the cache).
func TestCache_SteadyStateGetOrgTouchesNoDatabase(t *testing.T) {
	t.Parallel()
	e, cs, tok := newTokenEnv(t)
	bearer := withHeader("Authorization", "Bearer "+tok)
	e.do(t, "GET", "/api/org", nil, bearer) // the first request loads the org
	views, updates := cs.views.Load(), cs.updates.Load()
	const n = 200
	for range n {
		w := e.do(t, "GET", "/api/org", nil, bearer)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"name":"Main Org."`) {
			t.Fatalf("GET /api/org = %d %s", w.Code, w.Body)
		}
	}
	if v, u := cs.views.Load()-views, cs.updates.Load()-updates; v != 0 || u != 0 {
		t.Fatalf("%d token-authenticated GET /api/org made %d reads and %d writes, want 0 and 0", n, v, u)
	}
	if err := e.svc.FlushLastUsed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if u := cs.updates.Load() - updates; u != 1 {
		t.Fatalf("the flush after %d uses made %d writes, want 1", n, u)
	}
	if hits := metricOf(t, e, "warden_token_cache_hits_total"); hits < n {
		t.Fatalf("warden_token_cache_hits_total = %v, want at least %d", hits, n)
	}
}

// metricOf reads one unlabelled metric from the server's /metrics.
func metricOf(t *testing.T, e *testEnv, name string) float64 {
	t.Helper()
	w := e.do(t, "GET", "/metrics", nil)
	for line := range strings.SplitSeq(w.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s = %q: %v", name, v, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s:\n%s", name, w.Body)
	return 0
}

// BenchmarkServer_TokenGetOrg sends a recorded token-authenticated GET /api/org through the
// whole handler as shipped (access log on, metrics on), with the cache warm.
func BenchmarkServer_TokenGetOrg(b *testing.B) {
	e, _, tok := newTokenEnv(b)
	opts := e.opts
	opts.AccessLog = true
	opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	opts.Registry = nil
	h := NewServer(opts)
	r := httptest.NewRequest("GET", "/api/org", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
