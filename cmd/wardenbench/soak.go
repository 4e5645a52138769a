package main

// The soak test (-soak): a mixed load held for -duration against a real Warden process, on a
// fresh SQLite file or a fresh PostgreSQL database, checking every answer and sampling the
// server's memory, so a leak or a rare failure shows up before production finds it.
//
//	go run ./cmd/wardenbench -soak -duration 10m
//	go run ./cmd/wardenbench -soak -duration 10m -postgres 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//
// It exits non-zero when any answer was unexpected, the server logged an error or did not
// stop cleanly, or the mean resident memory of the last quarter of the run exceeds that of the
// second quarter by more than -max-growth. It is a command, not a test: `go test ./...` runs
// only the unit tests of its arithmetic (soak_test.go).

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/postgres/pgadmin"
)

// Operations, in the order of the report. Each is one kind of HTTP request with the answer it
// must get; an action of the mix may make several.
const (
	opOrg           = "GET /api/org (token)"
	opTokenSearch   = "GET /api/serviceaccounts/search (token; Admin 200, Viewer 403)"
	opSearch        = "GET /api/serviceaccounts/search?query=… (admin)"
	opTokenCreate   = "POST /api/serviceaccounts/{id}/tokens"
	opTokenDelete   = "DELETE /api/serviceaccounts/{id}/tokens/{tokenId}"
	opRefused       = "GET /api/org (deleted token or account → 401)"
	opSACreate      = "POST /api/serviceaccounts"
	opSADelete      = "DELETE /api/serviceaccounts/{id}"
	opBasic         = "GET /api/user (Basic admin:password)"
	opLogin         = "POST /login"
	opSessionUser   = "GET /api/user (session cookie)"
	opLogout        = "GET /logout"
	opEndedSession  = "GET /api/user (after logout → 401)"
	opSampleMetrics = "GET /metrics (sampler)"
	opSampleCount   = "GET /api/serviceaccounts/search?perpage=1 (sampler)"
)

var opOrder = []string{opOrg, opTokenSearch, opSearch, opTokenCreate, opTokenDelete, opRefused,
	opSACreate, opSADelete, opBasic, opLogin, opSessionUser, opLogout, opEndedSession, opSampleMetrics, opSampleCount}

// action is one entry of the mix; weight is relative to the others.
type action struct {
	name   string
	weight int
	run    func(s *soaker, ctx context.Context)
}

// mix is the weighted load. Creates and deletes have equal weights, and each turns into the
// other when its pool is 10% off its target, so the data stays the same size.
var mix = []action{
	{"token auth: GET /api/org", 40, (*soaker).authOrg},
	{"token auth: search", 8, (*soaker).authSearch},
	{"search with terms", 10, (*soaker).search},
	{"token create", 12, (*soaker).tokenCreate},
	{"token delete", 12, (*soaker).tokenDelete},
	{"service account create", 4, (*soaker).accountCreate},
	{"service account delete", 4, (*soaker).accountDelete},
	{"Basic sign-in", 1, (*soaker).basic},
	{"session sign-in and out", 1, (*soaker).session},
}

// stableAccounts is the number of service accounts that hold the token pool and are never
// deleted: half Admin, half Viewer.
const stableAccounts = 16

// soakToken is a token the soak created; key is its plaintext, never printed.
type soakToken struct {
	account int64
	id      int64
	key     string
	admin   bool // the account's role is Admin
}

// soakAccount is a churned service account with its one token (key "" if that failed).
type soakAccount struct {
	id  int64
	tok soakToken
}

// pool holds live items. An item taken out is used by one worker only, so no request ever
// races with the deletion of what it uses; it goes back with put or is gone with drop.
type pool[T any] struct {
	mu    sync.Mutex
	items []T
	out   int
}

func (p *pool[T]) add(v T) { p.mu.Lock(); p.items = append(p.items, v); p.mu.Unlock() }

func (p *pool[T]) take() (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var v T
	if len(p.items) == 0 {
		return v, false
	}
	i := mrand.IntN(len(p.items))
	v = p.items[i]
	p.items[i] = p.items[len(p.items)-1]
	p.items = p.items[:len(p.items)-1]
	p.out++
	return v, true
}

func (p *pool[T]) put(v T) { p.mu.Lock(); p.items = append(p.items, v); p.out--; p.mu.Unlock() }
func (p *pool[T]) drop()   { p.mu.Lock(); p.out--; p.mu.Unlock() }

// size is the number of live items, taken ones included.
func (p *pool[T]) size() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.items) + p.out }

// soaker is the state of one soak run.
type soaker struct {
	w          *server
	adminToken string
	password   string
	stable     []soakToken // one entry per stable account (id and role; no key)
	tokens     pool[soakToken]
	accounts   pool[soakAccount]
	tokenGoal  int
	acctGoal   int
	seq        atomic.Int64
	rec        recorder
}

// soak runs the soak test; dir and bin are the temporary directory and the built cmd/warden.
func soak(ctx context.Context, o options, dir, bin string, stdout, stderr io.Writer) (err error) {
	var env []string
	backend := "SQLite (a fresh file in a temporary directory)"
	if o.postgres != "" {
		dbURL, name, drop, cerr := createPostgresDB(ctx, o.postgres)
		if cerr != nil {
			return cerr
		}
		defer func() {
			if derr := drop(); derr != nil && err == nil {
				err = derr
			}
		}()
		env = []string{"WARDEN_DATABASE_TYPE=postgres", "WARDEN_DATABASE_URL=" + dbURL}
		backend = "PostgreSQL (fresh database " + name + ")"
	}
	w, err := newWarden(dir, bin, env...)
	if err != nil {
		return err
	}
	if err := w.start(ctx); err != nil {
		w.stop()
		return err
	}
	defer w.stop()

	s := &soaker{w: w, password: w.password(), tokenGoal: o.tokens, acctGoal: o.accounts}
	s.rec.init(stderr)
	setupStart := time.Now()
	fmt.Fprintf(stderr, "setup: %d stable accounts, %d tokens, %d churned accounts ...\n", stableAccounts, o.tokens, o.accounts)
	if err := s.setup(ctx); err != nil {
		w.stop()
		if n, lines := serverLogErrors(filepath.Join(dir, "server.log")); n > 0 {
			err = fmt.Errorf("%w\nthe server logged %d errors, first:\n  %s", err, n, strings.Join(lines, "\n  "))
		}
		return fmt.Errorf("setup: %w", err)
	}
	setupTime := time.Since(setupStart)

	// The load, with the sampler beside it. Both stop at the deadline or on Ctrl-C, but
	// requests in flight then finish (within the client's timeout): cancelling them would
	// make the server log failures the soak caused itself.
	loadCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	reqCtx := context.WithoutCancel(ctx)
	start := time.Now()
	samples := []sample{s.sample(ctx, 0)}
	fmt.Fprintf(stderr, "soak: %s for %s with %d workers; a sample every %s\n", backend, o.duration, o.conns, o.sample)
	fmt.Fprintln(stderr, samples[0].line())
	var wg sync.WaitGroup
	// No worker can make more than 100,000 requests a second: a bound that never binds.
	maxActions := int(o.duration.Seconds()+1) * 100_000
	total := 0
	for _, a := range mix {
		total += a.weight
	}
	for range o.conns {
		wg.Go(func() {
			for i := 0; i < maxActions && loadCtx.Err() == nil; i++ {
				n := mrand.IntN(total)
				for _, a := range mix {
					if n < a.weight {
						a.run(s, reqCtx)
						break
					}
					n -= a.weight
				}
			}
		})
	}
	tick := time.NewTicker(o.sample)
	for loadCtx.Err() == nil {
		select {
		case <-tick.C:
			sm := s.sample(ctx, time.Since(start))
			samples = append(samples, sm)
			fmt.Fprintln(stderr, sm.line())
		case <-loadCtx.Done():
		}
	}
	tick.Stop()
	wg.Wait()
	elapsed := time.Since(start)
	interrupted := ctx.Err() != nil

	// The report. The server is stopped first, so its log is complete and its exit checked.
	exitErr := w.stop()
	logErrors, logLines := serverLogErrors(filepath.Join(dir, "server.log"))
	fmt.Fprintf(stdout, "\nSoak: %s, %s", backend, elapsed.Round(time.Second))
	if interrupted {
		fmt.Fprintf(stdout, " (interrupted; %s planned)", o.duration)
	}
	fmt.Fprintf(stdout, ", %d workers, after a %s setup; data kept at ~%d tokens on %d accounts + ~%d churned accounts with a token each\n",
		o.conns, setupTime.Round(100*time.Millisecond), o.tokens, stableAccounts, o.accounts)
	errs := s.rec.report(stdout, elapsed)
	printSamples(stdout, samples)

	var failures []string
	if errs > 0 {
		failures = append(failures, fmt.Sprintf("%d unexpected answers", errs))
	}
	if logErrors > 0 {
		failures = append(failures, fmt.Sprintf("the server logged %d errors", logErrors))
	}
	if exitErr != nil {
		failures = append(failures, fmt.Sprintf("the server did not stop cleanly: %v", exitErr))
	}
	fmt.Fprintf(stdout, "\nUnexpected answers: %d. Server log: %d error lines", errs, logErrors)
	for _, l := range logLines {
		fmt.Fprintf(stdout, "\n  %s", l)
	}
	fmt.Fprintf(stdout, ". Server exit: %s.\n", errString(exitErr, "clean"))

	load := samples[1:]
	rss := make([]float64, len(load))
	heap := make([]float64, len(load))
	for i, sm := range load {
		rss[i], heap[i] = float64(sm.rssKB)*1024, sm.heapInuse
	}
	fr, fh := judgeFlat(rss), judgeFlat(heap)
	switch {
	case !fr.enough:
		failures = append(failures, fmt.Sprintf("only %d memory samples: too few to judge (need %d)", len(load), minSamples))
		fmt.Fprintf(stdout, "Memory: %d samples, too few to judge (need %d).\n", len(load), minSamples)
	default:
		verdict := "flat"
		if fr.growth > o.maxGrowth {
			verdict = "GROWING"
			failures = append(failures, fmt.Sprintf("resident memory grew %+.1f%% (limit %+.0f%%)", 100*fr.growth, 100*o.maxGrowth))
		}
		fmt.Fprintf(stdout, "Memory: mean RSS %.1f MB in the second quarter, %.1f MB in the last: %+.1f%% (limit %+.0f%%): %s. "+
			"Heap in use %.1f → %.1f MB (%+.1f%%, for information).\n",
			fr.base/1e6, fr.last/1e6, 100*fr.growth, 100*o.maxGrowth, verdict, fh.base/1e6, fh.last/1e6, 100*fh.growth)
	}
	first, last := samples[0], samples[len(samples)-1]
	fmt.Fprintf(stdout, "Data: tokens alive %d → %d, service accounts (server's count) %d → %d.\n",
		first.tokens, last.tokens, first.serverAccounts, last.serverAccounts)
	if hits, misses := last.cacheHits-first.cacheHits, last.cacheMisses-first.cacheMisses; hits+misses > 0 {
		fmt.Fprintf(stdout, "Token cache during the load: %.0f hits, %.0f misses (%.0f%% hits); %.0f → %.0f entries.\n",
			hits, misses, 100*hits/(hits+misses), first.cacheEntries, last.cacheEntries)
	}
	switch {
	case len(failures) > 0:
		fmt.Fprintf(stdout, "FAIL: %s\n", strings.Join(failures, "; "))
		return fmt.Errorf("soak failed: %s", strings.Join(failures, "; "))
	case interrupted:
		fmt.Fprintln(stdout, "No failure until interrupted.")
		return errors.New("soak interrupted")
	}
	fmt.Fprintln(stdout, "PASS")
	return nil
}

func errString(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

// createPostgresDB creates a fresh database warden_soak_<random> on the server at base and
// returns its URL, its name and a func that drops it.
func createPostgresDB(ctx context.Context, base string) (string, string, func() error, error) {
	var b [6]byte
	rand.Read(b[:])
	name := "warden_soak_" + hex.EncodeToString(b[:])
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	u, err := pgadmin.CreateDatabase(cctx, base, name)
	if err != nil {
		return "", "", nil, fmt.Errorf("create the soak database: %w", err)
	}
	drop := func() error {
		// Runs after an interrupt too, so not under ctx.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := pgadmin.DropDatabase(ctx, base, name); err != nil {
			return fmt.Errorf("drop the soak database %s: %w", name, err)
		}
		return nil
	}
	return u, name, drop, nil
}

// setup makes the admin token, the stable accounts, the token pool and the churned accounts.
// Its requests are not in the report, and it makes them one at a time: setup is not under
// test. The load then writes concurrently, and counts any failure.
func (s *soaker) setup(ctx context.Context) error {
	tok, _, err := s.w.adminToken(ctx)
	if err != nil {
		return err
	}
	s.adminToken = tok
	s.stable = make([]soakToken, stableAccounts)
	for i := range s.stable {
		role := "Viewer"
		if i%2 == 0 {
			role = "Admin"
		}
		var sa struct{ ID int64 }
		if err := s.w.call(ctx, "POST", "/api/serviceaccounts", s.adminToken, false,
			map[string]any{"name": fmt.Sprintf("soak-stable-%02d", i), "role": role}, http.StatusCreated, &sa); err != nil {
			return err
		}
		s.stable[i] = soakToken{account: sa.ID, admin: role == "Admin"}
	}
	for i := range s.tokenGoal {
		st := s.stable[i%stableAccounts]
		t, err := s.issue(ctx, st.account, st.admin)
		if err != nil {
			return err
		}
		s.tokens.add(t)
	}
	for range s.acctGoal {
		var sa struct{ ID int64 }
		if err := s.w.call(ctx, "POST", "/api/serviceaccounts", s.adminToken, false,
			map[string]any{"name": fmt.Sprintf("soak-churn-%d", s.seq.Add(1)), "role": "Viewer"}, http.StatusCreated, &sa); err != nil {
			return err
		}
		t, err := s.issue(ctx, sa.ID, false)
		if err != nil {
			return err
		}
		s.accounts.add(soakAccount{id: sa.ID, tok: t})
	}
	return nil
}

// issue creates a token on an account outside the measured load.
func (s *soaker) issue(ctx context.Context, account int64, admin bool) (soakToken, error) {
	var tk struct {
		ID  int64
		Key string
	}
	err := s.w.call(ctx, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", account), s.adminToken, false,
		map[string]any{"name": fmt.Sprintf("soak-setup-%d", s.seq.Add(1))}, http.StatusOK, &tk)
	return soakToken{account: account, id: tk.ID, key: tk.Key, admin: admin}, err
}

// exchange makes one measured request and records it under op: an error if the transport
// failed, the status is not want, or check (when not nil) rejects the body. It reports
// whether the answer was as expected.
func (s *soaker) exchange(ctx context.Context, op, method, path, token string, basic bool, cookies []*http.Cookie,
	body any, want int, check func(body []byte, h http.Header) error) ([]byte, http.Header, bool) {
	t0 := time.Now()
	status, raw, h, err := s.w.do(ctx, method, path, token, basic, cookies, body)
	d := time.Since(t0)
	switch {
	case err != nil:
	case status != want:
		err = fmt.Errorf("status %d, want %d: %s", status, want, redact(raw))
	case check != nil:
		if cerr := check(raw, h); cerr != nil {
			err = fmt.Errorf("status %d but %v: %s", status, cerr, redact(raw))
		}
	}
	if err != nil {
		err = fmt.Errorf("%s %s: %w", method, path, err)
	}
	s.rec.record(op, d, err)
	return raw, h, err == nil
}

// jsonCheck returns a check that decodes the body into a T and applies ok to it.
func jsonCheck[T any](ok func(T) error) func([]byte, http.Header) error {
	return func(b []byte, _ http.Header) error {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("bad JSON: %v", err)
		}
		return ok(v)
	}
}

type searchResult struct {
	TotalCount      int               `json:"totalCount"`
	ServiceAccounts []json.RawMessage `json:"serviceAccounts"`
}

var (
	checkOrg = jsonCheck(func(v struct{ ID int64 }) error {
		if v.ID != 1 {
			return fmt.Errorf("org id %d, want 1", v.ID)
		}
		return nil
	})
	checkAdminUser = jsonCheck(func(v struct{ Login string }) error {
		if v.Login != "admin" {
			return fmt.Errorf("login %q, want admin", v.Login)
		}
		return nil
	})
	checkInvalidKey = func(b []byte, _ http.Header) error {
		if !strings.Contains(string(b), "Invalid API key") {
			return errors.New(`no "Invalid API key"`)
		}
		return nil
	}
)

// checkSearch wants a search answer whose total is within [lo, hi] and whose page is no
// larger than perpage or the total.
func checkSearch(lo, hi, perpage int) func([]byte, http.Header) error {
	return jsonCheck(func(v searchResult) error {
		if v.TotalCount < lo || v.TotalCount > hi {
			return fmt.Errorf("totalCount %d, want %d..%d", v.TotalCount, lo, hi)
		}
		if len(v.ServiceAccounts) > perpage || len(v.ServiceAccounts) > v.TotalCount {
			return fmt.Errorf("%d accounts on a page of %d with total %d", len(v.ServiceAccounts), perpage, v.TotalCount)
		}
		return nil
	})
}

func (s *soaker) authOrg(ctx context.Context) {
	t, ok := s.tokens.take()
	if !ok {
		return
	}
	defer s.tokens.put(t)
	s.exchange(ctx, opOrg, "GET", "/api/org", t.key, false, nil, nil, http.StatusOK, checkOrg)
}

func (s *soaker) authSearch(ctx context.Context) {
	t, ok := s.tokens.take()
	if !ok {
		return
	}
	defer s.tokens.put(t)
	path := fmt.Sprintf("/api/serviceaccounts/search?perpage=10&page=%d", 1+mrand.IntN(3))
	if t.admin {
		s.exchange(ctx, opTokenSearch, "GET", path, t.key, false, nil, nil, http.StatusOK, checkSearch(stableAccounts, math.MaxInt, 10))
	} else {
		s.exchange(ctx, opTokenSearch, "GET", path, t.key, false, nil, nil, http.StatusForbidden, nil)
	}
}

func (s *soaker) search(ctx context.Context) {
	var path string
	var check func([]byte, http.Header) error
	switch mrand.IntN(4) {
	case 0: // one stable account by its full name
		path = fmt.Sprintf("/api/serviceaccounts/search?query=soak-stable-%02d&perpage=10", mrand.IntN(stableAccounts))
		check = checkSearch(1, 1, 10)
	case 1: // the churned accounts, a page of them
		path = fmt.Sprintf("/api/serviceaccounts/search?query=soak-churn&perpage=50&page=%d", 1+mrand.IntN(5))
		check = checkSearch(0, math.MaxInt, 50)
	case 2: // nothing
		path = "/api/serviceaccounts/search?query=no-such-account&perpage=10"
		check = checkSearch(0, 0, 10)
	default: // everything, unfiltered
		path = fmt.Sprintf("/api/serviceaccounts/search?perpage=100&page=%d", 1+mrand.IntN(3))
		check = checkSearch(stableAccounts+1, math.MaxInt, 100)
	}
	s.exchange(ctx, opSearch, "GET", path, s.adminToken, false, nil, nil, http.StatusOK, check)
}

// newToken creates a token on account, measured; key is "" if that failed.
func (s *soaker) newToken(ctx context.Context, account int64, admin bool) soakToken {
	body := map[string]any{"name": fmt.Sprintf("soak-t-%d", s.seq.Add(1))}
	if mrand.IntN(2) == 0 {
		body["secondsToLive"] = 86400
	}
	var t soakToken
	raw, _, ok := s.exchange(ctx, opTokenCreate, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", account), s.adminToken, false, nil,
		body, http.StatusOK, jsonCheck(func(v struct {
			ID  int64
			Key string
		}) error {
			if v.ID <= 0 || !strings.HasPrefix(v.Key, "glsa_") {
				return errors.New("no token id or key")
			}
			return nil
		}))
	if ok {
		var v struct {
			ID  int64
			Key string
		}
		json.Unmarshal(raw, &v)
		t = soakToken{account: account, id: v.ID, key: v.Key, admin: admin}
	}
	return t
}

func (s *soaker) tokenCreate(ctx context.Context) {
	if s.tokens.size() >= s.tokenGoal*11/10 {
		s.tokenDelete(ctx)
		return
	}
	st := s.stable[mrand.IntN(len(s.stable))]
	if t := s.newToken(ctx, st.account, st.admin); t.key != "" {
		s.tokens.add(t)
	}
}

func (s *soaker) tokenDelete(ctx context.Context) {
	if s.tokens.size() <= s.tokenGoal*9/10 {
		s.tokenCreate(ctx)
		return
	}
	t, ok := s.tokens.take()
	if !ok {
		return
	}
	// Gone from the pool whatever the answer: a failed delete is an error already, and must
	// not become more errors later.
	defer s.tokens.drop()
	path := fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", t.account, t.id)
	if _, _, ok := s.exchange(ctx, opTokenDelete, "DELETE", path, s.adminToken, false, nil, nil, http.StatusOK, nil); ok {
		s.exchange(ctx, opRefused, "GET", "/api/org", t.key, false, nil, nil, http.StatusUnauthorized, checkInvalidKey)
	}
}

func (s *soaker) accountCreate(ctx context.Context) {
	if s.accounts.size() >= s.acctGoal*11/10 {
		s.accountDelete(ctx)
		return
	}
	raw, _, ok := s.exchange(ctx, opSACreate, "POST", "/api/serviceaccounts", s.adminToken, false, nil,
		map[string]any{"name": fmt.Sprintf("soak-churn-%d", s.seq.Add(1)), "role": "Viewer"}, http.StatusCreated,
		jsonCheck(func(v struct{ ID int64 }) error {
			if v.ID <= 0 {
				return errors.New("no id")
			}
			return nil
		}))
	if !ok {
		return
	}
	var v struct{ ID int64 }
	json.Unmarshal(raw, &v)
	a := soakAccount{id: v.ID, tok: s.newToken(ctx, v.ID, false)}
	if a.tok.key != "" {
		s.exchange(ctx, opOrg, "GET", "/api/org", a.tok.key, false, nil, nil, http.StatusOK, checkOrg)
	}
	s.accounts.add(a)
}

func (s *soaker) accountDelete(ctx context.Context) {
	if s.accounts.size() <= s.acctGoal*9/10 {
		s.accountCreate(ctx)
		return
	}
	a, ok := s.accounts.take()
	if !ok {
		return
	}
	defer s.accounts.drop()
	if _, _, ok := s.exchange(ctx, opSADelete, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d", a.id), s.adminToken, false, nil,
		nil, http.StatusOK, nil); ok && a.tok.key != "" {
		s.exchange(ctx, opRefused, "GET", "/api/org", a.tok.key, false, nil, nil, http.StatusUnauthorized, checkInvalidKey)
	}
}

// basic and session sign in as admin, concurrently from every worker that picks them: a
// client with several requests in flight under one password must get every one answered.
func (s *soaker) basic(ctx context.Context) {
	s.exchange(ctx, opBasic, "GET", "/api/user", "", true, nil, nil, http.StatusOK, checkAdminUser)
}

func (s *soaker) session(ctx context.Context) {
	_, h, ok := s.exchange(ctx, opLogin, "POST", "/login", "", false, nil,
		map[string]any{"user": "admin", "password": s.password}, http.StatusOK,
		func(_ []byte, h http.Header) error {
			if sessionCookie(h) == nil {
				return errors.New("no warden_session cookie")
			}
			return nil
		})
	if !ok {
		return
	}
	c := []*http.Cookie{sessionCookie(h)}
	s.exchange(ctx, opSessionUser, "GET", "/api/user", "", false, c, nil, http.StatusOK, checkAdminUser)
	if _, _, ok := s.exchange(ctx, opLogout, "GET", "/logout", "", false, c, nil, http.StatusFound, nil); ok {
		s.exchange(ctx, opEndedSession, "GET", "/api/user", "", false, c, nil, http.StatusUnauthorized, nil)
	}
}

func sessionCookie(h http.Header) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "warden_session" && c.Value != "" {
			return c
		}
	}
	return nil
}

// sample is one point of the memory series.
type sample struct {
	at             time.Duration
	rssKB          int64   // VmRSS from /proc
	procRSS        float64 // process_resident_memory_bytes
	heapInuse      float64 // go_memstats_heap_inuse_bytes
	goroutines     float64
	cacheEntries   float64 // warden_token_cache_entries
	cacheHits      float64 // warden_token_cache_hits_total
	cacheMisses    float64 // warden_token_cache_misses_total
	tokens         int     // tokens alive, as the soak counts them
	accounts       int     // churned accounts alive, as the soak counts them
	serverAccounts int     // service accounts in the org, as the server counts them (-1: unknown)
	dbBytes        int64
	requests, errs int
	p99            time.Duration
}

// sample reads the server's memory and counts, and the requests since the last sample.
func (s *soaker) sample(ctx context.Context, at time.Duration) sample {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	sm := sample{at: at, rssKB: s.w.rssKB(), tokens: s.tokens.size(), accounts: s.accounts.size(), serverAccounts: -1, dbBytes: s.w.dataSize()}
	t0 := time.Now()
	m, err := s.w.metrics(ctx, "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_goroutines",
		"warden_token_cache_entries", "warden_token_cache_hits_total", "warden_token_cache_misses_total")
	if err == nil && len(m) < 6 {
		err = fmt.Errorf("missing samples in /metrics: got %v", m)
	}
	s.rec.record(opSampleMetrics, time.Since(t0), err)
	sm.procRSS, sm.heapInuse, sm.goroutines, sm.cacheEntries = m["process_resident_memory_bytes"], m["go_memstats_heap_inuse_bytes"], m["go_goroutines"], m["warden_token_cache_entries"]
	sm.cacheHits, sm.cacheMisses = m["warden_token_cache_hits_total"], m["warden_token_cache_misses_total"]
	raw, _, ok := s.exchange(ctx, opSampleCount, "GET", "/api/serviceaccounts/search?perpage=1", s.adminToken, false, nil, nil,
		http.StatusOK, checkSearch(stableAccounts+1, math.MaxInt, 1))
	if ok {
		var v searchResult
		json.Unmarshal(raw, &v)
		sm.serverAccounts = v.TotalCount
	}
	sm.requests, sm.errs, sm.p99 = s.rec.interval()
	return sm
}

func (sm sample) line() string {
	return fmt.Sprintf("  t=%-6s rss=%.1fMB heap=%.1fMB goroutines=%.0f tokens=%d accounts=%d requests=%d errors=%d p99=%s",
		sm.at.Round(time.Second), float64(sm.rssKB)*1024/1e6, sm.heapInuse/1e6, sm.goroutines, sm.tokens, sm.serverAccounts, sm.requests, sm.errs, fmtDur(sm.p99))
}

func printSamples(w io.Writer, samples []sample) {
	fmt.Fprintf(w, "\nOver time (each row covers the interval up to t; t=0 is before the load)\n\n")
	fmt.Fprintf(w, "| t | req/s | p99 | errors | VmRSS | process RSS (/metrics) | heap in use | goroutines | token cache | tokens alive | service accounts | SQLite files |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var prev time.Duration
	for _, sm := range samples {
		rps := 0.0
		if d := sm.at - prev; d > 0 {
			rps = float64(sm.requests) / d.Seconds()
		}
		prev = sm.at
		db := "-"
		if sm.dbBytes > 0 {
			db = fmt.Sprintf("%.1f MB", float64(sm.dbBytes)/1e6)
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %d | %.1f MB | %.1f MB | %.1f MB | %.0f | %.0f | %d | %d | %s |\n",
			sm.at.Round(time.Second), rps, fmtDur(sm.p99), sm.errs, float64(sm.rssKB)*1024/1e6, sm.procRSS/1e6, sm.heapInuse/1e6,
			sm.goroutines, sm.cacheEntries, sm.tokens, sm.serverAccounts, db)
	}
}

// serverLogErrors counts the error lines in the server's log (text or JSON) and returns the
// first three, redacted.
func serverLogErrors(path string) (int, []string) {
	f, err := os.Open(path)
	if err != nil {
		return 1, []string{"cannot read the server log: " + err.Error()}
	}
	defer f.Close()
	n := 0
	var first []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) {
			n++
			if len(first) < 3 {
				first = append(first, redact([]byte(line)))
			}
		}
	}
	return n, first
}

// maxErrDetails is how many unexpected answers are kept and printed in full.
const maxErrDetails = 10

// recorder counts requests per operation, and all requests since the last sample.
type recorder struct {
	log     io.Writer // where the first unexpected answers are shown as they happen
	mu      sync.Mutex
	ops     map[string]*opStats
	current histogram // every request since the last sample
	curErrs int
	errs    int
	details []string
}

type opStats struct {
	hist histogram
	errs int
}

func (r *recorder) init(log io.Writer) {
	r.log = log
	r.ops = map[string]*opStats{}
	for _, op := range opOrder {
		r.ops[op] = &opStats{}
	}
}

func (r *recorder) record(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.ops[op]
	o.hist.add(d)
	r.current.add(d)
	if err != nil {
		o.errs++
		r.errs++
		r.curErrs++
		if len(r.details) < maxErrDetails {
			r.details = append(r.details, err.Error())
			// Shown at once too, since a long run may be stopped before its report.
			fmt.Fprintf(r.log, "unexpected answer: %s\n", err)
		}
	}
}

// interval returns the requests, errors and p99 since the last call, and starts a new interval.
func (r *recorder) interval() (int, int, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, e, p99 := int(r.current.n), r.curErrs, r.current.quantile(0.99)
	r.current, r.curErrs = histogram{}, 0
	return n, e, p99
}

// report prints the table per operation and the first errors, and returns the error count.
func (r *recorder) report(w io.Writer, elapsed time.Duration) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(w, "\n| operation | count | req/s | errors | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	var all histogram
	row := func(name string, h *histogram, errs int) {
		fmt.Fprintf(w, "| %s | %d | %.1f | %d | %s | %s | %s | %s |\n", name, h.n, float64(h.n)/elapsed.Seconds(), errs,
			fmtDur(h.quantile(0.50)), fmtDur(h.quantile(0.90)), fmtDur(h.quantile(0.99)), fmtDur(h.max))
	}
	for _, op := range opOrder {
		o := r.ops[op]
		if o.hist.n == 0 {
			continue
		}
		row(op, &o.hist, o.errs)
		all.merge(&o.hist)
	}
	row("**all**", &all, r.errs)
	if len(r.details) > 0 {
		fmt.Fprintf(w, "\nFirst %d of %d unexpected answers:\n", len(r.details), r.errs)
		for _, d := range r.details {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	return r.errs
}

// histogram counts durations in buckets that grow by 2%, from 1 µs up to about 6 minutes,
// so percentiles of any number of requests cost 8 KB and are at most 2% high.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	histBuckets = 1000
	histGrowth  = 1.02
)

var logHistGrowth = math.Log(histGrowth)

// bucketOf returns the bucket of d: bucket 0 holds up to 1 µs, bucket i > 0 holds
// (1.02^(i-1), 1.02^i] µs; the last one holds everything longer.
func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	i := int(math.Ceil(math.Log(us) / logHistGrowth))
	return min(max(i, 1), histBuckets-1)
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q <= 1) as the upper bound of its bucket, never more
// than the largest value seen; 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.n))), 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == histBuckets-1 {
				return h.max // the last bucket has no upper bound
			}
			upper := time.Duration(math.Pow(histGrowth, float64(i)) * float64(time.Microsecond))
			return min(upper, h.max)
		}
	}
	return h.max
}

// minSamples is the fewest samples during the load that judgeFlat accepts: two per quarter.
const minSamples = 8

// flatness compares the mean of a series' last quarter with that of its second: the first
// quarter is warm-up (caches and pools filling, the heap finding its size).
type flatness struct {
	enough     bool
	base, last float64 // means of the second and the last quarter
	growth     float64 // last/base - 1
}

func judgeFlat(series []float64) flatness {
	n := len(series)
	if n < minSamples {
		return flatness{}
	}
	mean := func(xs []float64) float64 {
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		return sum / float64(len(xs))
	}
	f := flatness{enough: true, base: mean(series[n/4 : n/2]), last: mean(series[3*n/4:])}
	if f.base > 0 {
		f.growth = f.last/f.base - 1
	} else if f.last > 0 {
		f.growth = math.Inf(1)
	}
	return f
}
