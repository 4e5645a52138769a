package warden_test

// Tests of the token cache with a real SQLite store behind it: every change that affects a
// token takes effect on the next request, a new token is never a miss, misses are merged and
// bounded, unknown tokens are remembered, and a client's failed lookups have a budget. The
// store is wrapped only to count (and, for races, to interleave) what reaches it.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// countingStore passes everything to a real store, counting transactions and in-flight reads.
// afterView, when set, runs after each read transaction, before its result is used.
type countingStore struct {
	warden.Store
	views, updates   atomic.Int64
	inFlight, peak   atomic.Int64
	viewDelay        time.Duration
	mu               sync.Mutex
	afterView        func()
	blockViews       chan struct{} // when not nil, reads wait for it to close
	blockViewsActive atomic.Bool
}

func (s *countingStore) View(ctx context.Context, fn func(warden.Tx) error) error {
	s.views.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if s.blockViewsActive.Load() {
		<-s.blockViews
	}
	time.Sleep(s.viewDelay)
	err := s.Store.View(ctx, fn)
	s.mu.Lock()
	hook := s.afterView
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return err
}

func (s *countingStore) Update(ctx context.Context, fn func(warden.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

func (s *countingStore) setAfterView(fn func()) {
	s.mu.Lock()
	s.afterView = fn
	s.mu.Unlock()
}

// cacheEnv is a saEnv whose service sits on a countingStore.
type cacheEnv struct {
	*saEnv
	store *countingStore
	admin context.Context
}

func newCacheEnv(t *testing.T, configure func(*warden.Config)) *cacheEnv {
	t.Helper()
	e := newSAEnv(t, configure)
	cs := &countingStore{Store: e.db}
	cfg := testConfig()
	if configure != nil {
		configure(&cfg)
	}
	e.svc = warden.NewService(cs, discardLogger(), cfg)
	e.svc.Now = e.clock.Now
	return &cacheEnv{saEnv: e, store: cs, admin: e.asAdmin(t)}
}

// auth authenticates raw from ctx's client IP.
func (e *cacheEnv) auth(ctx context.Context, raw string) (*warden.Principal, error) {
	return e.svc.AuthenticateToken(ctx, raw, 0)
}

func (e *cacheEnv) mustAuth(t *testing.T, raw string) *warden.Principal {
	t.Helper()
	p, err := e.auth(context.Background(), raw)
	if err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	return p
}

// wantRefused fails unless authenticating raw gives the 401 message.
func (e *cacheEnv) wantRefused(t *testing.T, raw, message string) {
	t.Helper()
	p, err := e.auth(context.Background(), raw)
	var we *warden.Error
	if p != nil || !errors.As(err, &we) || we.Code != warden.EUNAUTHORIZED || we.Message != message {
		t.Fatalf("AuthenticateToken = %v, %v; want 401 %q", p, err, message)
	}
}

func TestCache_NewTokenIsNeverAMiss(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	a := e.newSA(t, e.admin, "fresh", warden.RoleEditor)
	tk, secret := e.token(t, e.admin, a.ID, "t", 0)
	views := e.store.views.Load()
	for range 3 {
		p := e.mustAuth(t, secret.Reveal())
		if p.UserID != a.ID || p.TokenID != tk.ID || p.OrgRole != warden.RoleEditor || p.AuthMethod != "token" {
			t.Fatalf("principal = %+v, want account %d via token %d as Editor", p, a.ID, tk.ID)
		}
		if !p.Permissions.Evaluate(warden.ActionOrgsRead, "") {
			t.Fatal("an Editor's token lacks orgs:read")
		}
	}
	if got := e.store.views.Load() - views; got != 0 {
		t.Fatalf("a token created on this instance cost %d database reads on its first uses, want 0", got)
	}
	if st := e.svc.CacheStats(); st.Hits != 3 || st.Lookups != 0 {
		t.Fatalf("cache stats = %+v, want 3 hits and no lookups", st)
	}
}

// Each change that affects a token's validity takes effect on the very next check, with the
// token's identity cached before the change.
func TestCache_ChangesTakeEffectImmediately(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, tk *warden.Token)
		check  func(t *testing.T, e *cacheEnv, raw string)
	}{
		{"token deleted", func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, tk *warden.Token) {
			if err := e.svc.DeleteToken(e.admin, a.ID, tk.ID); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e *cacheEnv, raw string) { e.wantRefused(t, raw, "Invalid API key") }},
		{"token revoked", func(t *testing.T, e *cacheEnv, _ *warden.ServiceAccount, tk *warden.Token) {
			if err := e.svc.RevokeToken(e.admin, tk.ID); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e *cacheEnv, raw string) { e.wantRefused(t, raw, "Revoked API key") }},
		{"account disabled", func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, _ *warden.Token) {
			disabled := true
			if _, err := e.svc.UpdateServiceAccount(e.admin, a.ID, warden.ServiceAccountUpdate{IsDisabled: &disabled}); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e *cacheEnv, raw string) { e.wantRefused(t, raw, "Unauthorized") }},
		{"account deleted", func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, _ *warden.Token) {
			if err := e.svc.DeleteServiceAccount(e.admin, a.ID); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e *cacheEnv, raw string) { e.wantRefused(t, raw, "Invalid API key") }},
		{"role changed", func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, _ *warden.Token) {
			role := warden.RoleAdmin
			if _, err := e.svc.UpdateServiceAccount(e.admin, a.ID, warden.ServiceAccountUpdate{Role: &role}); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e *cacheEnv, raw string) {
			if p := e.mustAuth(t, raw); p.OrgRole != warden.RoleAdmin || !p.Permissions.Evaluate(warden.ActionSADelete, "serviceaccounts:id:1") {
				t.Fatalf("after the role change the token acts as %s (can delete accounts: %v), want Admin",
					p.OrgRole, p.Permissions.Evaluate(warden.ActionSADelete, "serviceaccounts:id:1"))
			}
		}},
		{"expired", func(t *testing.T, e *cacheEnv, _ *warden.ServiceAccount, _ *warden.Token) {
			e.clock.Add(time.Hour) // the token lives for an hour
		}, func(t *testing.T, e *cacheEnv, raw string) { e.wantRefused(t, raw, "Expired API key") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCacheEnv(t, nil)
			a := e.newSA(t, e.admin, "subject", warden.RoleViewer)
			tk, secret := e.token(t, e.admin, a.ID, "t", 3600)
			e.mustAuth(t, secret.Reveal())
			e.mustAuth(t, secret.Reveal())
			if st := e.svc.CacheStats(); st.Hits != 2 {
				t.Fatalf("before the change: %d cache hits, want 2 (the test must exercise the cache)", st.Hits)
			}
			tc.change(t, e, a, tk)
			tc.check(t, e, secret.Reveal())
		})
	}
}

// Changes that cannot alter a token's identity leave the cache warm: a new token, a managed
// permission granted to a user on the account, another account's update or delete.
func TestCache_UnrelatedChangesKeepEntries(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	a := e.newSA(t, e.admin, "steady", warden.RoleViewer)
	_, secret := e.token(t, e.admin, a.ID, "t", 0)
	e.mustAuth(t, secret.Reveal())
	u := e.user(t, "editor")
	if _, err := e.svc.SetServiceAccountUserPermission(e.admin, a.ID, u.ID, warden.LevelEdit); err != nil {
		t.Fatal(err)
	}
	e.token(t, e.admin, a.ID, "another", 0)
	// Other accounts change and go: only their own tokens leave the cache.
	other := e.newSA(t, e.admin, "churn", warden.RoleViewer)
	_, otherSecret := e.token(t, e.admin, other.ID, "churned", 0)
	e.mustAuth(t, otherSecret.Reveal())
	role := warden.RoleEditor
	if _, err := e.svc.UpdateServiceAccount(e.admin, other.ID, warden.ServiceAccountUpdate{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteServiceAccount(e.admin, other.ID); err != nil {
		t.Fatal(err)
	}
	lookups := e.svc.CacheStats().Lookups
	e.mustAuth(t, secret.Reveal())
	if got := e.svc.CacheStats().Lookups - lookups; got != 0 {
		t.Fatalf("after a grant, a new token and another account's update and delete, the cached token was looked up %d times, want 0", got)
	}
	e.wantRefused(t, otherSecret.Reveal(), "Invalid API key")
}

// Deleting an org ends its accounts' tokens at once, though the cache held them.
func TestCache_OrgDeletedEndsItsTokens(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	org, err := e.svc.CreateOrg(e.admin, "Doomed")
	if err != nil {
		t.Fatal(err)
	}
	inOrg := e.asUser(t, e.saEnv.admin, org.ID)
	a := e.newSA(t, inOrg, "doomed", warden.RoleViewer)
	_, secret := e.token(t, inOrg, a.ID, "t", 0)
	if p := e.mustAuth(t, secret.Reveal()); p.OrgID != org.ID {
		t.Fatalf("token acts in org %d, want %d", p.OrgID, org.ID)
	}
	if _, err := e.svc.FindOrgByID(e.admin, org.ID); err != nil { // cache the org too
		t.Fatal(err)
	}
	if err := e.svc.DeleteOrg(e.admin, org.ID); err != nil {
		t.Fatal(err)
	}
	e.wantRefused(t, secret.Reveal(), "Invalid API key")
	if _, err := e.svc.FindOrgByID(e.admin, org.ID); err == nil {
		t.Fatal("the deleted org is still served from the cache")
	}
}

// A renamed org is served with its new name at once.
func TestCache_OrgRenameSeenAtOnce(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	for range 2 {
		if _, err := e.svc.FindOrgByID(e.admin, 1); err != nil {
			t.Fatal(err)
		}
	}
	views := e.store.views.Load()
	if _, err := e.svc.FindOrgByID(e.admin, 1); err != nil || e.store.views.Load() != views {
		t.Fatalf("a cached org was read from the database (%d reads, err %v)", e.store.views.Load()-views, err)
	}
	if err := e.svc.UpdateOrg(e.admin, 1, "Renamed", nil); err != nil {
		t.Fatal(err)
	}
	if o, err := e.svc.FindOrgByID(e.admin, 1); err != nil || o.Name != "Renamed" {
		t.Fatalf("after the rename FindOrgByID = %+v, %v; want name Renamed", o, err)
	}
}

// A lookup that read a token just before a change committed must not put what it read into
// the cache: the next check reads again and sees the change.
func TestCache_LookupRacingWithChangeIsNotCached(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, tk *warden.Token)
		want   string
	}{
		{"delete", func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, tk *warden.Token) {
			if err := e.svc.DeleteToken(e.admin, a.ID, tk.ID); err != nil {
				t.Error(err)
			}
		}, "Invalid API key"},
		{"disable", func(t *testing.T, e *cacheEnv, a *warden.ServiceAccount, _ *warden.Token) {
			disabled := true
			if _, err := e.svc.UpdateServiceAccount(e.admin, a.ID, warden.ServiceAccountUpdate{IsDisabled: &disabled}); err != nil {
				t.Error(err)
			}
		}, "Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCacheEnv(t, func(c *warden.Config) { c.Cache.Tokens = 0 })
			a := e.newSA(t, e.admin, "racer", warden.RoleViewer)
			tk, secret := e.token(t, e.admin, a.ID, "t", 0)
			// A second service over the same store with the cache on, so the token is not
			// warmed at creation and its first check is a lookup.
			svc := warden.NewService(e.store, discardLogger(), testConfig())
			svc.Now = e.clock.Now
			e.svc = svc
			e.store.setAfterView(func() {
				e.store.setAfterView(nil) // the change reads too
				tc.change(t, e, a, tk)
			})
			if _, err := e.auth(context.Background(), secret.Reveal()); err != nil {
				t.Fatalf("the check that raced with the change read the token before it: %v", err)
			}
			e.store.setAfterView(nil)
			e.wantRefused(t, secret.Reveal(), tc.want)
		})
	}
}

// Concurrent misses for one token make one database lookup.
func TestCache_ConcurrentMissesShareOneLookup(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, func(c *warden.Config) { c.Cache.Tokens = 0 })
	a := e.newSA(t, e.admin, "popular", warden.RoleViewer)
	_, secret := e.token(t, e.admin, a.ID, "t", 0)
	svc := warden.NewService(e.store, discardLogger(), testConfig())
	svc.Now = e.clock.Now
	e.store.blockViews = make(chan struct{})
	e.store.blockViewsActive.Store(true)
	views := e.store.views.Load()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := svc.AuthenticateToken(context.Background(), secret.Reveal(), 0); err != nil {
				errs <- err
			}
		})
	}
	// Wait until every check has missed, then let the lookup through. A check that arrives
	// after it finds the cached identity, so the count below cannot depend on timing.
	for deadline := time.Now().Add(5 * time.Second); svc.CacheStats().Misses < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d checks missed", svc.CacheStats().Misses, n)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(e.store.blockViews)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := e.store.views.Load() - views; got != 1 {
		t.Fatalf("%d concurrent misses made %d database reads, want 1", n, got)
	}
}

// Lookups for misses are bounded per instance, however many distinct tokens arrive at once.
func TestCache_LookupsInFlightAreBounded(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, func(c *warden.Config) { c.Cache.Lookups = 2; c.Cache.FailedLookupsPerIP = 0 })
	e.store.viewDelay = 20 * time.Millisecond
	var wg sync.WaitGroup
	for range 12 {
		s := newSecret(t)
		wg.Go(func() {
			if _, err := e.auth(context.Background(), s.Reveal()); !errors.Is(err, warden.ErrInvalidAPIKey) {
				t.Errorf("unknown token: %v, want Invalid API key", err)
			}
		})
	}
	wg.Wait()
	if peak := e.store.peak.Load(); peak > 2 || peak < 1 {
		t.Fatalf("peak database reads in flight = %d, want at most the bound 2", peak)
	}
	if got := e.svc.CacheStats().Lookups; got != 12 {
		t.Fatalf("%d lookups, want 12 (each distinct unknown token looked up once)", got)
	}
}

// A well-formed unknown token is looked up once and then remembered for a while.
func TestCache_UnknownTokensRemembered(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	unknown := newSecret(t)
	views := e.store.views.Load()
	for range 5 {
		e.wantRefused(t, unknown.Reveal(), "Invalid API key")
	}
	if got := e.store.views.Load() - views; got != 1 {
		t.Fatalf("5 checks of one unknown token made %d reads, want 1", got)
	}
	e.clock.Add(warden.DefaultCacheConfig().UnknownTTL)
	e.wantRefused(t, unknown.Reveal(), "Invalid API key")
	if got := e.store.views.Load() - views; got != 2 {
		t.Fatalf("after the unknown-token TTL, %d reads in all, want 2 (looked up again)", got)
	}
}

// A deleted token (or a deleted account's token) that was cached is remembered as unknown:
// clients retrying it cost no lookup and do not spend their IP's failed-lookup budget, so
// their valid tokens that are not cached yet are still looked up.
func TestCache_DeletedTokensAreRememberedUnknown(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, func(c *warden.Config) { c.Cache.FailedLookupsPerIP = 2 })
	client := warden.NewContextWithClientIP(context.Background(), "192.0.2.44")
	a := e.newSA(t, e.admin, "keeper", warden.RoleViewer)
	doomed := e.newSA(t, e.admin, "doomed", warden.RoleViewer)
	var deleted []warden.Secret
	for i := range 3 {
		tk, secret := e.token(t, e.admin, a.ID, fmt.Sprintf("t%d", i), 0)
		e.mustAuth(t, secret.Reveal())
		if err := e.svc.DeleteToken(e.admin, a.ID, tk.ID); err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, secret)
	}
	_, ofDoomed := e.token(t, e.admin, doomed.ID, "d", 0)
	e.mustAuth(t, ofDoomed.Reveal())
	if err := e.svc.DeleteServiceAccount(e.admin, doomed.ID); err != nil {
		t.Fatal(err)
	}
	deleted = append(deleted, ofDoomed)

	lookups := e.svc.CacheStats().Lookups
	for range 5 {
		for _, secret := range deleted {
			if _, err := e.auth(client, secret.Reveal()); !errors.Is(err, warden.ErrInvalidAPIKey) {
				t.Fatalf("deleted token: %v, want Invalid API key", err)
			}
		}
	}
	if got := e.svc.CacheStats().Lookups - lookups; got != 0 {
		t.Fatalf("20 checks of deleted tokens made %d lookups, want 0", got)
	}
	// The client's budget (2) is untouched: a valid token this instance has not cached is
	// looked up and accepted.
	_, cold := e.token(t, e.admin, a.ID, "cold", 0)                           // cached by e.svc at creation…
	e.svc.ApplyChange(warden.Change{Kind: warden.ChangeOrgUpdated, OrgID: 1}) // …then made stale
	if _, err := e.auth(client, cold.Reveal()); err != nil {
		t.Fatalf("a valid uncached token after 20 checks of deleted ones: %v", err)
	}
}

// A client past its budget of failed lookups gets 429 for further misses without a lookup;
// other clients, and its own cached tokens, are unaffected; the budget refills.
func TestCache_FailedLookupBudgetPerClientIP(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, func(c *warden.Config) { c.Cache.FailedLookupsPerIP = 5 })
	a := e.newSA(t, e.admin, "honest", warden.RoleViewer)
	_, good := e.token(t, e.admin, a.ID, "t", 0)
	attacker := warden.NewContextWithClientIP(context.Background(), "203.0.113.9")
	bystander := warden.NewContextWithClientIP(context.Background(), "198.51.100.7")

	for i := range 5 {
		if _, err := e.auth(attacker, newSecret(t).Reveal()); !errors.Is(err, warden.ErrInvalidAPIKey) {
			t.Fatalf("unknown token %d: %v", i, err)
		}
	}
	lookups := e.svc.CacheStats().Lookups
	// Past the budget a token is not looked up, and the answer says so (429), never that the
	// token is invalid: it may be a valid one this instance has not cached.
	for range 10 {
		if _, err := e.auth(attacker, newSecret(t).Reveal()); warden.ErrorCode(err) != warden.ETOOMANY {
			t.Fatalf("over budget: %v, want ETOOMANY", err)
		}
	}
	st := e.svc.CacheStats()
	if st.Lookups != lookups || st.BudgetRefusals != 10 {
		t.Fatalf("over budget: %d more lookups and %d refusals, want 0 and 10", st.Lookups-lookups, st.BudgetRefusals)
	}
	if _, err := e.auth(attacker, good.Reveal()); err != nil {
		t.Fatalf("the over-budget client's cached token was refused: %v", err)
	}
	if _, err := e.auth(bystander, newSecret(t).Reveal()); !errors.Is(err, warden.ErrInvalidAPIKey) || e.svc.CacheStats().Lookups != lookups+1 {
		t.Fatalf("another client's miss was not looked up (err %v)", err)
	}
	e.clock.Add(time.Second)
	if _, err := e.auth(attacker, newSecret(t).Reveal()); !errors.Is(err, warden.ErrInvalidAPIKey) || e.svc.CacheStats().Lookups != lookups+2 {
		t.Fatalf("a second later the client's budget did not refill (err %v)", err)
	}
}

// While caches are suspended (the cross-instance listener is down) every check reads the
// database, so changes made elsewhere — here straight in the database — are honoured.
func TestCache_SuspendedServesNothingFromCache(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	a := e.newSA(t, e.admin, "remote", warden.RoleViewer)
	tk, secret := e.token(t, e.admin, a.ID, "t", 0)
	e.mustAuth(t, secret.Reveal())

	e.svc.SuspendCaches()
	if err := e.db.Update(context.Background(), func(tx warden.Tx) error { return tx.RevokeToken(context.Background(), tk.ID) }); err != nil {
		t.Fatal(err)
	}
	e.wantRefused(t, secret.Reveal(), "Revoked API key")
	views := e.store.views.Load()
	e.wantRefused(t, secret.Reveal(), "Revoked API key")
	if e.store.views.Load() == views {
		t.Fatal("a suspended cache answered without reading the database")
	}
	e.svc.ResumeCaches()
	e.wantRefused(t, secret.Reveal(), "Revoked API key")
	views = e.store.views.Load()
	e.wantRefused(t, secret.Reveal(), "Revoked API key")
	if e.store.views.Load() != views {
		t.Fatal("after ResumeCaches the cache is not used again")
	}
}

// A change applied from another instance invalidates like a local one.
func TestCache_ApplyChangeFromElsewhere(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	a := e.newSA(t, e.admin, "shared", warden.RoleViewer)
	tk, secret := e.token(t, e.admin, a.ID, "t", 0)
	e.mustAuth(t, secret.Reveal())
	if err := e.db.Update(context.Background(), func(tx warden.Tx) error {
		return tx.DeleteToken(context.Background(), 1, a.ID, tk.ID)
	}); err != nil {
		t.Fatal(err)
	}
	e.mustAuth(t, secret.Reveal()) // not told yet: the cache still answers
	e.svc.ApplyChange(warden.Change{Kind: warden.ChangeTokenDeleted, TokenID: tk.ID})
	e.wantRefused(t, secret.Reveal(), "Invalid API key")
}

// An entry is read again after MaxAge even if no invalidation arrives, which bounds the harm
// of a lost one (an instance that died between its commit and its announcement).
func TestCache_EntriesReadAgainAfterMaxAge(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, nil)
	a := e.newSA(t, e.admin, "lost", warden.RoleViewer)
	tk, secret := e.token(t, e.admin, a.ID, "t", 0)
	e.mustAuth(t, secret.Reveal())
	if err := e.db.Update(context.Background(), func(tx warden.Tx) error {
		return tx.DeleteToken(context.Background(), 1, a.ID, tk.ID)
	}); err != nil {
		t.Fatal(err)
	}
	maxAge := warden.DefaultCacheConfig().MaxAge
	e.clock.Add(maxAge - time.Second)
	e.mustAuth(t, secret.Reveal()) // no invalidation arrived: the entry still answers
	e.clock.Add(time.Second)
	e.wantRefused(t, secret.Reveal(), "Invalid API key")
}

// However many tokens are used, the cache holds at most its size.
func TestCache_SizeIsBounded(t *testing.T) {
	t.Parallel()
	const size = 64
	e := newCacheEnv(t, func(c *warden.Config) { c.Cache.Tokens = size })
	a := e.newSA(t, e.admin, "many", warden.RoleViewer)
	var secrets []warden.Secret
	for i := range 300 {
		_, s := e.token(t, e.admin, a.ID, fmt.Sprintf("t%d", i), 0)
		secrets = append(secrets, s)
	}
	for _, s := range secrets {
		e.mustAuth(t, s.Reveal())
	}
	if n := e.svc.CacheStats().Entries; n > size || n == 0 {
		t.Fatalf("cache holds %d entries after 300 tokens, want 1..%d", n, size)
	}
	// Every token still authenticates, evicted or not.
	for _, s := range secrets {
		e.mustAuth(t, s.Reveal())
	}
}

func newSecret(t *testing.T) warden.Secret {
	s, err := warden.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Introspection looks tokens up under the same rules as the token check: a token found unknown
// is remembered, and past the client's budget of failed lookups the caller gets 429 instead of
// more lookups; a valid cached token costs no read.
func TestCache_IntrospectionLookupsAreBudgeted(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, func(c *warden.Config) { c.Cache.FailedLookupsPerIP = 3 })
	a := e.newSA(t, e.admin, "seen", warden.RoleViewer)
	_, good := e.token(t, e.admin, a.ID, "t", 0) // cached at creation
	ctx := warden.NewContextWithClientIP(e.admin, "203.0.113.50")
	introspect := func(raw string) (*warden.TokenInfo, error) { return e.svc.IntrospectToken(ctx, raw, "") }

	views := e.store.views.Load()
	if info, err := introspect(good.Reveal()); err != nil || info == nil {
		t.Fatalf("a valid token: %+v, %v", info, err)
	}
	unknown := []warden.Secret{newSecret(t), newSecret(t), newSecret(t)}
	for _, u := range unknown {
		if info, err := introspect(u.Reveal()); err != nil || info != nil {
			t.Fatalf("an unknown token: %+v, %v; want inactive", info, err)
		}
	}
	if info, err := introspect(unknown[0].Reveal()); err != nil || info != nil {
		t.Fatalf("an unknown token again: %+v, %v; want inactive", info, err)
	}
	// The valid token was answered from the cache; each unknown one was read once (the repeat
	// came from the unknown-token memory). A server admin's own check reads nothing.
	if got := e.store.views.Load() - views; got != 3 {
		t.Fatalf("%d database reads, want 3 (one per distinct unknown token)", got)
	}
	if _, err := introspect(newSecret(t).Reveal()); warden.ErrorCode(err) != warden.ETOOMANY {
		t.Fatalf("past the budget: %v, want ETOOMANY", err)
	}
	if got := e.store.views.Load() - views; got != 3 {
		t.Fatalf("past the budget, %d database reads in all, want still 3", got)
	}
}
