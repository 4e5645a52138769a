package main

// A token's lastUsedAt: shown within 2 s of a first use, written at most once a minute,
// never by a failed check, never on the request's path, flushed on shutdown.
//
// Time bounds ("lastUsedAt within 2 s") are checked by polling with a deadline of 5× the bound
// and logging the delay observed, never by a timed assertion. Where a test needs time to pass
// on the server (a minute of use), the server runs on a testClock the test moves on.

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// taLastUsedBound is the promised delay before a first use shows in the token list; polls wait
// five times as long.
const taLastUsedBound = 2 * time.Second

// taLastUsed returns the token's lastUsedAt, zero when null.
func taLastUsed(t *testing.T, c *client, saID, tokenID int64) time.Time {
	t.Helper()
	row := taTokenRow(t, c, saID, tokenID)
	v, present := row["lastUsedAt"]
	if !present {
		t.Fatalf("token %d has no lastUsedAt field: %v", tokenID, row)
	}
	if v == nil {
		return time.Time{}
	}
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("lastUsedAt = %#v: %v", v, err)
	}
	return at
}

// taPollLastUsed polls the token list (through c) until the token's lastUsedAt is at or after
// notBefore (the server's time), with a deadline of five times the promised bound, and returns
// the value and the delay counted from `from` (real time: the two differ on a server with a
// testClock).
func taPollLastUsed(t *testing.T, c *client, saID, tokenID int64, notBefore, from time.Time) (time.Time, time.Duration) {
	t.Helper()
	deadline := from.Add(5 * taLastUsedBound)
	notBefore = notBefore.Truncate(time.Second) // stored with second precision
	for {
		at := taLastUsed(t, c, saID, tokenID)
		if !at.IsZero() && !at.Before(notBefore) {
			return at, time.Since(from)
		}
		if time.Now().After(deadline) {
			t.Fatalf("token %d: lastUsedAt = %v after %v, want a value at or after %v", tokenID, at, time.Since(from),
				notBefore.UTC())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// taAdminToken returns a client authenticated with the token of a new Admin-role service
// account: a cheap poller (no password hashing per request).
func taAdminToken(t *testing.T, ts *testServer) *client {
	t.Helper()
	_, _, tok := taSA(t, ts, "poller", "Admin")
	return ts.bearer(tok)
}

// A use shows in lastUsedAt within 2 s (Warden's bound), recorded asynchronously; a
// use less than a minute after the stored one is not written again (Warden's resolution is
// one minute where Grafana's is five); a stored value older than a minute is refreshed. The
// server's clock is a testClock: the test moves it on instead of waiting.
func TestTokens_LastUsedAt(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	poll := taAdminToken(t, ts)
	saID, tokID, tok := taSA(t, ts, "used", "Viewer")
	if !taLastUsed(t, poll, saID, tokID).IsZero() {
		t.Fatal("a new token has a lastUsedAt")
	}

	before := clock.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	after := clock.Now()
	first, delay := taPollLastUsed(t, poll, saID, tokID, before, time.Now())
	t.Logf("first use showed in lastUsedAt after %v (bound %v)", delay.Round(time.Millisecond), taLastUsedBound)
	if first.After(after) {
		t.Fatalf("lastUsedAt = %v, later than the request (%v)", first, after)
	}

	// Used again a few seconds later, within the minute: the stored value does not move.
	// Another token's first use, polled until visible, proves a flush has run since.
	clock.Advance(5 * time.Second)
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	barrierSA, barrierID, barrier := taSA(t, ts, "barrier", "Viewer")
	b0 := clock.Now()
	ts.bearer(barrier).expect(t, http.StatusOK, "GET", "/api/org", nil)
	taPollLastUsed(t, poll, barrierSA, barrierID, b0, time.Now())
	if got := taLastUsed(t, poll, saID, tokID); !got.Equal(first) {
		t.Fatalf("lastUsedAt moved from %v to %v on a use within the minute (resolution is one minute)", first, got)
	}

	// A stored value more than a minute old (as left by an earlier run) is refreshed on use.
	db := taDB(t, ts)
	stale := clock.Now().Add(-90 * time.Second).Unix()
	agedSA, agedID, aged := taSA(t, ts, "aged", "Viewer")
	taExec(t, db, "UPDATE token SET last_used_at = ? WHERE id = ?", stale, agedID)
	u0 := clock.Now()
	ts.bearer(aged).expect(t, http.StatusOK, "GET", "/api/org", nil)
	got, d := taPollLastUsed(t, poll, agedSA, agedID, u0, time.Now())
	t.Logf("a use refreshed a 90-second-old lastUsedAt to %v after %v", got.UTC(), d.Round(time.Millisecond))
}

// Over time, a token used steadily keeps a lastUsedAt no more than a minute (plus the
// flush bound) old. The server's clock is a testClock, moved on five seconds between uses
// until over a minute has passed, so the test takes a second or two, not a minute.
func TestTokens_LastUsedAtStaysCurrent(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	poll := taAdminToken(t, ts)
	saID, tokID, tok := taSA(t, ts, "steady", "Viewer")
	before := clock.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	first, _ := taPollLastUsed(t, poll, saID, tokID, before, time.Now())

	// Use it every five seconds until more than a minute has passed since the stored value.
	for clock.Now().Sub(first) <= time.Minute+2*time.Second {
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
		clock.Advance(5 * time.Second)
	}
	last := clock.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	// The value has moved on from the first use, and is at most a minute older than the
	// latest use (uses within a minute of the stored value are not written again).
	got, _ := taPollLastUsed(t, poll, saID, tokID, first.Add(time.Second), time.Now())
	stale := last.Truncate(time.Second).Sub(got)
	t.Logf("after %v of steady use, lastUsedAt moved from %v to %v; %v older than the latest use",
		last.Sub(first).Round(time.Second), first.UTC(), got.UTC(), stale)
	if stale > time.Minute {
		t.Fatalf("lastUsedAt %v is %v older than the latest use, want at most a minute", got.UTC(), stale)
	}
}

// Failed checks never set lastUsedAt: org mismatch, disabled account, revoked and expired
// token. Another token's use, polled until visible, proves a flush ran after the failures.
func TestTokens_FailedChecksDoNotSetLastUsed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, noTokenCache)
	db := taDB(t, ts)
	poll := taAdminToken(t, ts)
	saID, tokID, tok := taSA(t, ts, "failing", "Viewer")

	taWantAuthError(t, ts.bearer(tok).with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/org", nil),
		"API key does not belong to the requested organization", "api-key.organization-mismatch")
	ts.admin().expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": true})
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
	ts.admin().expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": false})
	taExec(t, db, "UPDATE token SET is_revoked = TRUE WHERE id = ?", tokID)
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Revoked API key", "api-key.revoked")
	taExec(t, db, "UPDATE token SET is_revoked = FALSE, expires = ? WHERE id = ?", time.Now().Add(-time.Minute).Unix(), tokID)
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
	taExec(t, db, "UPDATE token SET expires = NULL WHERE id = ?", tokID)

	bSA, bID, b := taSA(t, ts, "barrier", "Viewer")
	b0 := time.Now()
	ts.bearer(b).expect(t, http.StatusOK, "GET", "/api/org", nil)
	taPollLastUsed(t, poll, bSA, bID, b0, time.Now())
	if at := taLastUsed(t, poll, saID, tokID); !at.IsZero() {
		t.Fatalf("lastUsedAt = %v after only failed checks, want null", at)
	}

	// Restored, the token works and its use is recorded.
	u0 := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	_, d := taPollLastUsed(t, poll, saID, tokID, u0, time.Now())
	t.Logf("after the failures, a successful use showed in lastUsedAt after %v", d.Round(time.Millisecond))
}

// No database write on the request's path: with another connection holding the database's
// write lock, token-authenticated requests (including a first use, which must be recorded)
// still answer, and the use is written once the lock is gone. On SQLite the lock is BEGIN
// IMMEDIATE's; on PostgreSQL, a transaction holding every table in EXCLUSIVE mode, which lets
// plain reads through and blocks every write.
func TestTokens_NoDatabaseWriteOnTheRequestPath(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	poll := taAdminToken(t, ts)
	saID, tokID, tok := taSA(t, ts, "lockstep", "Admin")
	db := taDB(t, ts)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close() // on failure, db.Close (a cleanup) ends the transaction
	if ts.Postgres {
		var tables string
		if err := conn.QueryRowContext(ctx, `SELECT string_agg(format('%I', tablename), ', ')
			FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "LOCK TABLE "+tables+" IN EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
	} else if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := time.Now()
	var slowest time.Duration
	// A write on PostgreSQL would wait for as long as the lock is held: give up after 10 s.
	c := ts.bearer(tok)
	c.http.Timeout = 10 * time.Second
	for _, path := range []string{"/api/org", "/api/serviceaccounts/search", taSAPath(saID) + "/tokens", "/api/user"} {
		start := time.Now()
		r := c.do(t, "GET", path, nil)
		d := time.Since(start)
		slowest = max(slowest, d)
		if r.Status != http.StatusOK {
			conn.ExecContext(ctx, "ROLLBACK")
			t.Fatalf("GET %s with the database write-locked: status %d, want 200; body %s", path, r.Status, r.Body)
		}
	}
	held := time.Since(locked)
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	t.Logf("4 token requests answered while the write lock was held (%v); slowest %v", held.Round(time.Millisecond),
		slowest.Round(time.Millisecond))
	// A request that waited for the lock would have taken SQLite's 5 s busy timeout, or on
	// PostgreSQL the whole time the lock was held.
	if slowest >= 5*time.Second {
		t.Errorf("a token request took %v with the database write-locked: it waited for a write", slowest)
	}
	_, d := taPollLastUsed(t, poll, saID, tokID, locked, time.Now())
	t.Logf("the use made under the lock showed in lastUsedAt %v after the lock was released", d.Round(time.Millisecond))
}

// Pending uses are flushed on graceful shutdown: a use immediately followed by a stop is in
// the database when the next server starts.
func TestTokens_LastUsedFlushedOnShutdown(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	saID, tokID, tok := taSA(t, ts, "last-words", "Viewer")
	before := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.Stop()

	ts2 := startServer(t, ts.sameStore(nil))
	at := taLastUsed(t, ts2.admin(), saID, tokID)
	if at.IsZero() || at.Before(before.Truncate(time.Second)) {
		t.Fatalf("after a graceful stop, lastUsedAt = %v, want the use made just before it (%v)", at, before.UTC())
	}
	ts2.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
}
