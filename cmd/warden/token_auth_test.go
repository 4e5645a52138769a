package main

// End-to-end tests of service-account token authentication (SPEC §3, §4, §6 and checklist
// items 53–60), on a real server over real HTTP: how tokens are read, the 401 bodies, the org
// check, roles, changes that must hold for the very next request, lastUsedAt, storage at rest,
// the lifetime limits and the serviceAccounts feature toggle.
//
// Time bounds ("lastUsedAt within 2 s") are checked by polling with a deadline of 5× the bound
// and logging the delay observed, never by a timed assertion.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to reach the server's PostgreSQL database
	"github.com/wardenhq/warden"
	_ "modernc.org/sqlite" // the "sqlite" driver, to reach the server's database file directly
)

// ---------------------------------------------------------------------------------------------
// Helpers (prefixed ta: the package's test files share one namespace).

// taLastUsedBound is the promised delay before a first use shows in the token list; polls wait
// five times as long.
const taLastUsedBound = 2 * time.Second

// taCreateSA creates a service account in the caller's org and returns its id.
func taCreateSA(t *testing.T, c *client, name, role string) int64 {
	t.Helper()
	r := c.expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]any{"name": name, "role": role})
	return taID(t, r.JSON(t), "id")
}

// taIssue creates a token (secondsToLive 0: none sent) and returns its id and plaintext.
func taIssue(t *testing.T, c *client, saID int64, name string, secondsToLive int64) (int64, string) {
	t.Helper()
	body := map[string]any{"name": name}
	if secondsToLive != 0 {
		body["secondsToLive"] = secondsToLive
	}
	r := c.expect(t, http.StatusOK, "POST", taSAPath(saID)+"/tokens", body)
	m := r.JSON(t)
	key, _ := m["key"].(string)
	if _, ok := warden.ParseSecret(key); !ok {
		t.Fatalf("token create returned key %q, not a valid glsa_ token", key)
	}
	return taID(t, m, "id"), key
}

// taSA creates a service account with one token through the admin and returns both ids and
// the token.
func taSA(t *testing.T, ts *testServer, name, role string) (saID, tokenID int64, token string) {
	t.Helper()
	saID = taCreateSA(t, ts.admin(), name, role)
	tokenID, token = taIssue(t, ts.admin(), saID, name+"-token", 0)
	return saID, tokenID, token
}

func taSAPath(id int64) string { return "/api/serviceaccounts/" + strconv.FormatInt(id, 10) }

func taID(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	f, ok := m[key].(float64)
	if !ok || f <= 0 {
		t.Fatalf("%s = %#v, want a positive id (in %v)", key, m[key], m)
	}
	return int64(f)
}

// taTokenRow returns one token of the list GET /api/serviceaccounts/{id}/tokens.
func taTokenRow(t *testing.T, c *client, saID, tokenID int64) map[string]any {
	t.Helper()
	for _, tk := range c.expect(t, http.StatusOK, "GET", taSAPath(saID)+"/tokens", nil).List(t) {
		if id, _ := tk["id"].(float64); int64(id) == tokenID {
			return tk
		}
	}
	t.Fatalf("token %d not in the list of service account %d", tokenID, saID)
	return nil
}

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
// notBefore, with a deadline of five times the promised bound, and returns the value and the
// delay counted from `from`.
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

// taWantAuthError fails unless r is Grafana's token-authentication 401 (SPEC §4.3).
func taWantAuthError(t *testing.T, r *response, message, messageID string) {
	t.Helper()
	taWantJSON(t, r, http.StatusUnauthorized, map[string]any{
		"extra": nil, "message": message, "messageId": messageID, "statusCode": 401, "traceID": "",
	})
}

func taWantInvalidKey(t *testing.T, r *response) {
	t.Helper()
	taWantAuthError(t, r, "Invalid API key", "api-key.invalid")
}

// taWantJSON fails unless r has the status and exactly the JSON body want.
func taWantJSON(t *testing.T, r *response, status int, want map[string]any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	var got any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %s", r.Body)
	}
	wb, _ := json.Marshal(want)
	var exp any
	_ = json.Unmarshal(wb, &exp)
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body = %s, want %s", bytes.TrimSpace(r.Body), wb)
	}
}

// taWantUnauthorized fails unless r is a 401 whose message is "Unauthorized" (no usable
// credentials).
func taWantUnauthorized(t *testing.T, r *response) {
	t.Helper()
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401; body %s", r.Status, r.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil || m["message"] != "Unauthorized" {
		t.Fatalf("body = %s, want message Unauthorized", r.Body)
	}
}

// taDB opens the server's database directly, as another process would: its SQLite file, or
// its PostgreSQL database (with the pgx driver). Write queries with ? placeholders and run them
// through taExec or taQueryRow, which rewrite them for PostgreSQL; booleans as TRUE and FALSE,
// which both databases read.
func taDB(t *testing.T, ts *testServer) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if ts.Postgres {
		db, err = sql.Open("pgx", ts.DBURL)
	} else {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(5000)")
		db, err = sql.Open("sqlite", "file:"+filepath.Join(ts.DataDir, "warden.db")+"?"+q.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// taIsPostgres reports whether db was opened by taDB on a PostgreSQL database.
func taIsPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

// taQuery returns query for db: on PostgreSQL each ? placeholder (outside quoted strings and
// identifiers) becomes $1, $2, ...
func taQuery(db *sql.DB, query string) string {
	if !taIsPostgres(db) {
		return query
	}
	var b strings.Builder
	n := 0
	var quote rune // the quote character of the literal or identifier we are in, or 0
	for _, r := range query {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// taQueryRow runs a query (with ? placeholders) returning one row.
func taQueryRow(db *sql.DB, query string, args ...any) *sql.Row {
	return db.QueryRow(taQuery(db, query), args...)
}

// noTokenCache configures a server without the token cache, for tests that change token rows
// behind the server's back (as no API can: revoking, back-dating an expiry) and expect the next
// request to see it. The cache's own invalidation is tested in the root package
// (auth_cache_test.go) and across instances in the multi-instance test.
var noTokenCache = map[string]string{"WARDEN_AUTH_TOKEN_CACHE_SIZE": "0"}

func taExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := db.Exec(taQuery(db, query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows affected, want 1", query, n)
	}
}

// taAdminToken returns a client authenticated with the token of a new Admin-role service
// account: a cheap poller (no password hashing per request).
func taAdminToken(t *testing.T, ts *testServer) *client {
	t.Helper()
	_, _, tok := taSA(t, ts, "poller", "Admin")
	return ts.bearer(tok)
}

// taStartWithArgs starts `warden <args>` in process like startServer does, for tests that pass
// a config file on the command line.
func taStartWithArgs(t *testing.T, args []string, env map[string]string) *testServer {
	t.Helper()
	return startRun(t, args, env, nil)
}

// taBasicHeader is an Authorization header for HTTP Basic.
func taBasicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// ---------------------------------------------------------------------------------------------
// Checklist items 53–60 (authentication client).

// Item 53: a valid token whose row does not belong to a service account is refused. The row
// is written straight into the database, pointing at the (human) server admin.
func TestToken09_53_TokenOfHumanUserIsInvalid(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	adminID := taID(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t), "id")
	sec, err := warden.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	taExec(t, taDB(t, ts), `INSERT INTO token (org_id, service_account_id, name, key_hash, created, updated, is_revoked)
		VALUES (1, ?, 'human', ?, ?, ?, FALSE)`, adminID, sec.Hash(), now, now)
	taWantInvalidKey(t, ts.bearer(sec.Reveal()).do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, ts.basic("api_key", sec.Reveal()).do(t, "GET", "/api/org", nil))
}

// Item 54: a valid token acts as its service account, in its org.
func TestToken09_54_TokenActsAsServiceAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	saID, _, tok := taSA(t, ts, "acting", "Viewer")
	u := ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	if u["uid"] != "service-account:"+strconv.FormatInt(saID, 10) || u["login"] != "sa-1-acting" || u["orgId"] != float64(1) {
		t.Fatalf("GET /api/user with the token = %v, want service-account:%d, login sa-1-acting, org 1", u, saID)
	}
	org := ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t)
	if org["id"] != float64(1) {
		t.Fatalf("GET /api/org with the token = %v, want org 1", org)
	}
}

// Item 55: an expired token answers "Expired API key"; expiry is inclusive (expires <= now).
func TestToken09_55_ExpiredToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, noTokenCache)
	db := taDB(t, ts)
	saID, tokID, tok := taSA(t, ts, "expiring", "Viewer")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)

	taExec(t, db, "UPDATE token SET expires = ? WHERE id = ?", time.Now().Add(-time.Hour).Unix(), tokID)
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
	taWantAuthError(t, ts.basic("api_key", tok).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
	if row := taTokenRow(t, ts.admin(), saID, tokID); row["hasExpired"] != true || row["expiration"] == nil {
		t.Fatalf("listed expired token = %v, want hasExpired true and an expiration", row)
	}

	// The boundary: a token whose expiry is this very second is already expired.
	taExec(t, db, "UPDATE token SET expires = ? WHERE id = ?", time.Now().Unix(), tokID)
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")

	// In real time, on a server as shipped (its cache holding the token from creation):
	// secondsToLive 1 works at once and expires within a second or two.
	ts = startServer(t, nil)
	saID, _, _ = taSA(t, ts, "expiring", "Viewer")
	_, short := taIssue(t, ts.admin(), saID, "one-second", 1)
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for {
		r := ts.bearer(short).do(t, "GET", "/api/org", nil)
		if r.Status == http.StatusUnauthorized {
			taWantAuthError(t, r, "Expired API key", "api-key.expired")
			t.Logf("a 1-second token expired %v after creation", time.Since(start).Round(time.Millisecond))
			break
		}
		if r.Status != http.StatusOK {
			t.Fatalf("1-second token: status %d %s", r.Status, r.Body)
		}
		if time.Now().After(deadline) {
			t.Fatal("a 1-second token still works after 10 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Item 56: a revoked token answers "Revoked API key" and is listed as revoked.
func TestToken09_56_RevokedToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, noTokenCache)
	saID, tokID, tok := taSA(t, ts, "leaky", "Viewer")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	taExec(t, taDB(t, ts), "UPDATE token SET is_revoked = TRUE WHERE id = ?", tokID)
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Revoked API key", "api-key.revoked")
	taWantAuthError(t, ts.basic("api_key", tok).do(t, "GET", "/api/org", nil), "Revoked API key", "api-key.revoked")
	if row := taTokenRow(t, ts.admin(), saID, tokID); row["isRevoked"] != true {
		t.Fatalf("listed revoked token = %v, want isRevoked true", row)
	}
}

// Item 57: a token used for another org than its own answers "API key does not belong to the
// requested organization", whether the org is named by header or by targetOrgId.
func TestToken09_57_OrgMismatch(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	org2 := taID(t, r.JSON(t), "orgId")
	_, _, tok1 := taSA(t, ts, "in-org1", "Viewer")
	admin2 := ts.admin().with("X-Grafana-Org-Id", strconv.FormatInt(org2, 10))
	sa2 := taCreateSA(t, admin2, "in-org2", "Viewer")
	_, tok2 := taIssue(t, admin2, sa2, "org2-token", 0)

	mismatch := func(r *response) {
		t.Helper()
		taWantAuthError(t, r, "API key does not belong to the requested organization", "api-key.organization-mismatch")
	}
	org2s := strconv.FormatInt(org2, 10)
	mismatch(ts.bearer(tok1).with("X-Grafana-Org-Id", org2s).do(t, "GET", "/api/org", nil))
	mismatch(ts.basic("api_key", tok1).with("X-Grafana-Org-Id", org2s).do(t, "GET", "/api/org", nil))
	mismatch(ts.bearer(tok1).do(t, "GET", "/api/org?targetOrgId="+org2s, nil))
	mismatch(ts.bearer(tok2).with("X-Grafana-Org-Id", "1").do(t, "GET", "/api/org", nil))
	mismatch(ts.bearer(tok1).with("X-Grafana-Org-Id", "99").do(t, "GET", "/api/org", nil))

	// Naming the token's own org, or none, is fine; without a header the token's org is used.
	if m := ts.bearer(tok1).with("X-Grafana-Org-Id", "1").expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t); m["id"] != float64(1) {
		t.Fatalf("org-1 token with header 1: org %v", m)
	}
	if m := ts.bearer(tok2).expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t); m["id"] != float64(org2) {
		t.Fatalf("org-2 token without header: org %v, want %d", m, org2)
	}
}

// Item 58: where tokens are read. Bearer and Basic with user api_key are tokens; no header,
// another scheme, and the query string are not.
func TestToken09_58_TokenDetection(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, _, tok := taSA(t, ts, "detect", "Viewer")

	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.basic("api_key", tok).expect(t, http.StatusOK, "GET", "/api/org", nil)

	// Recognised as tokens, but not valid ones: "Invalid API key", not a password failure.
	taWantInvalidKey(t, ts.bearer("123123").do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, ts.basic("api_key", "not-a-token").do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, ts.basic("api_key", tok[:len(tok)-1]+flipHex(tok[len(tok)-1])).do(t, "GET", "/api/org", nil))
	other, _ := warden.NewSecret(rand.Reader) // well formed, never issued
	taWantInvalidKey(t, ts.basic("api_key", other.Reveal()).do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, ts.bearer(other.Reveal()).do(t, "GET", "/api/org", nil))

	// Not credentials.
	taWantUnauthorized(t, ts.anon().do(t, "GET", "/api/org", nil))
	for _, h := range []string{"Token " + tok, tok, "Digest " + tok, "api_key " + tok} {
		taWantUnauthorized(t, ts.anon().with("Authorization", h).do(t, "GET", "/api/org", nil))
	}
	// Basic with another user name is a password check, never a token check.
	if r := ts.anon().with("Authorization", taBasicHeader("admin", tok)).do(t, "GET", "/api/org", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("Basic admin:<token>: status %d, want 401; body %s", r.Status, r.Body)
	}

	// Never from the query string.
	for _, q := range []string{"token", "api_key", "apiKey", "access_token", "auth_token", "authorization"} {
		taWantUnauthorized(t, ts.anon().do(t, "GET", "/api/org?"+q+"="+url.QueryEscape(tok), nil))
	}
	taWantUnauthorized(t, ts.anon().do(t, "GET", "/api/org?authorization="+url.QueryEscape("Bearer "+tok), nil))
}

// flipHex returns another lowercase hex digit than c.
func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// Item 59: a use shows in lastUsedAt within 2 s (Warden's bound), recorded asynchronously; a
// use less than a minute after the stored one is not written again (Warden's resolution is
// one minute where Grafana's is five); a stored value older than a minute is refreshed.
func TestToken09_59_LastUsedAt(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	poll := taAdminToken(t, ts)
	saID, tokID, tok := taSA(t, ts, "used", "Viewer")
	if !taLastUsed(t, poll, saID, tokID).IsZero() {
		t.Fatal("a new token has a lastUsedAt")
	}

	before := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	after := time.Now()
	first, delay := taPollLastUsed(t, poll, saID, tokID, before, after)
	t.Logf("first use showed in lastUsedAt after %v (bound %v)", delay.Round(time.Millisecond), taLastUsedBound)
	if first.After(after) {
		t.Fatalf("lastUsedAt = %v, later than the request (%v)", first, after)
	}

	// Used again a few seconds later, within the minute: the stored value does not move.
	// Another token's first use, polled until visible, proves a flush has run since.
	for time.Since(first) < 2*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	barrierSA, barrierID, barrier := taSA(t, ts, "barrier", "Viewer")
	b0 := time.Now()
	ts.bearer(barrier).expect(t, http.StatusOK, "GET", "/api/org", nil)
	taPollLastUsed(t, poll, barrierSA, barrierID, b0, time.Now())
	if got := taLastUsed(t, poll, saID, tokID); !got.Equal(first) {
		t.Fatalf("lastUsedAt moved from %v to %v on a use within the minute (resolution is one minute)", first, got)
	}

	// A stored value more than a minute old (as left by an earlier run) is refreshed on use.
	db := taDB(t, ts)
	stale := time.Now().Add(-90 * time.Second).Unix()
	agedSA, agedID, aged := taSA(t, ts, "aged", "Viewer")
	taExec(t, db, "UPDATE token SET last_used_at = ? WHERE id = ?", stale, agedID)
	u0 := time.Now()
	ts.bearer(aged).expect(t, http.StatusOK, "GET", "/api/org", nil)
	got, d := taPollLastUsed(t, poll, agedSA, agedID, u0, time.Now())
	t.Logf("a use refreshed a 90-second-old lastUsedAt to %v after %v", got.UTC(), d.Round(time.Millisecond))
}

// Item 59 in real time: a token used steadily keeps a lastUsedAt no more than a minute (plus
// the flush bound) old. This needs a minute of wall-clock time; -short skips it.
func TestToken09_59_LastUsedAtStaysCurrentAfterAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("needs more than a minute of real time")
	}
	t.Parallel()
	ts := startServer(t, nil)
	poll := taAdminToken(t, ts)
	saID, tokID, tok := taSA(t, ts, "steady", "Viewer")
	before := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	first, _ := taPollLastUsed(t, poll, saID, tokID, before, time.Now())

	// Use it every few seconds until more than a minute has passed since the stored value.
	for time.Since(first) <= time.Minute+2*time.Second {
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
		time.Sleep(5 * time.Second)
	}
	last := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	// The value has moved on from the first use, and is at most a minute older than the
	// latest use (uses within a minute of the stored value are not written again).
	got, _ := taPollLastUsed(t, poll, saID, tokID, first.Add(time.Second), last)
	stale := last.Truncate(time.Second).Sub(got)
	t.Logf("after %v of steady use, lastUsedAt moved from %v to %v; %v older than the latest use",
		last.Sub(first).Round(time.Second), first.UTC(), got.UTC(), stale)
	if stale > time.Minute {
		t.Fatalf("lastUsedAt %v is %v older than the latest use, want at most a minute", got.UTC(), stale)
	}
}

// Item 60: a disabled service account's tokens answer 401 identity.disabled; re-enabled, the
// same token works again.
func TestToken09_60_DisabledServiceAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	saID, _, tok := taSA(t, ts, "sleepy", "Viewer")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.admin().expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": true})
	taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
	taWantAuthError(t, ts.basic("api_key", tok).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
	// Management still works on a disabled account.
	ts.admin().expect(t, http.StatusOK, "GET", taSAPath(saID)+"/tokens", nil)
	ts.admin().expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": false})
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
}

// ---------------------------------------------------------------------------------------------
// Roles and freshness.

// The request acts with the service account's role: Admin manages service accounts; Viewer
// reads the org but every write is refused.
func TestToken_ActsWithServiceAccountRole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, _, adminTok := taSA(t, ts, "robot-admin", "Admin")
	_, _, viewerTok := taSA(t, ts, "robot-viewer", "Viewer")

	a := ts.bearer(adminTok)
	id := taCreateSA(t, a, "made-by-robot", "Editor")
	a.expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search?query=made-by", nil)
	a.expect(t, http.StatusOK, "PATCH", taSAPath(id), map[string]any{"name": "renamed-by-robot"})
	tid, tok := taIssue(t, a, id, "robot-made", 0)
	if taTokenRow(t, a, id, tid)["name"] != "robot-made" {
		t.Fatal("token created by an Admin service account is not listed")
	}
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	a.expect(t, http.StatusOK, "DELETE", taSAPath(id)+"/tokens/"+strconv.FormatInt(tid, 10), nil)
	a.expect(t, http.StatusOK, "DELETE", taSAPath(id), nil)

	v := ts.bearer(viewerTok)
	v.expect(t, http.StatusOK, "GET", "/api/org", nil)
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/serviceaccounts", map[string]any{"name": "nope"}},
		{"PATCH", "/api/org/users/1", map[string]any{"role": "Viewer"}},
		{"POST", "/api/orgs", map[string]any{"name": "nope"}},
		{"POST", "/api/admin/users", map[string]any{"login": "nope", "password": "password1"}},
	} {
		if r := v.do(t, w.method, w.path, w.body); r.Status != http.StatusForbidden {
			t.Errorf("Viewer service account %s %s: status %d, want 403; body %s", w.method, w.path, r.Status, r.Body)
		}
	}
	if r := v.do(t, "GET", "/api/serviceaccounts/search", nil); r.Status != http.StatusForbidden {
		t.Errorf("Viewer service account searching service accounts: status %d, want 403", r.Status)
	}
}

// Every change holds for the very next request: token deleted, account disabled, re-roled,
// deleted, and a managed permission granted or removed.
func TestToken_ChangesHoldForTheNextRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := ts.admin()

	t.Run("token deleted", func(t *testing.T) {
		saID, tokID, tok := taSA(t, ts, "del-token", "Viewer")
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
		admin.expect(t, http.StatusOK, "DELETE", taSAPath(saID)+"/tokens/"+strconv.FormatInt(tokID, 10), nil)
		taWantInvalidKey(t, ts.bearer(tok).do(t, "GET", "/api/org", nil))
	})
	t.Run("account disabled", func(t *testing.T) {
		saID, _, tok := taSA(t, ts, "disable-me", "Viewer")
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
		admin.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": true})
		taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
		admin.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": false})
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	})
	t.Run("role changed", func(t *testing.T) {
		saID, _, tok := taSA(t, ts, "promote-me", "Viewer")
		c := ts.bearer(tok)
		if r := c.do(t, "GET", "/api/serviceaccounts/search", nil); r.Status != http.StatusForbidden {
			t.Fatalf("Viewer: status %d, want 403", r.Status)
		}
		admin.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"role": "Admin"})
		c.expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search", nil)
		taCreateSA(t, c, "made-after-promotion", "Viewer")
		admin.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"role": "Viewer"})
		if r := c.do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "made-after-demotion"}); r.Status != http.StatusForbidden {
			t.Fatalf("demoted to Viewer: create status %d, want 403; body %s", r.Status, r.Body)
		}
		admin.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"role": "None"})
		if r := c.do(t, "GET", "/api/org", nil); r.Status != http.StatusForbidden {
			t.Fatalf("role None: GET /api/org status %d, want 403; body %s", r.Status, r.Body)
		}
	})
	t.Run("account deleted", func(t *testing.T) {
		saID, _, tok := taSA(t, ts, "delete-me", "Admin")
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search", nil)
		admin.expect(t, http.StatusOK, "DELETE", taSAPath(saID), nil)
		taWantInvalidKey(t, ts.bearer(tok).do(t, "GET", "/api/org", nil))
		taWantInvalidKey(t, ts.basic("api_key", tok).do(t, "GET", "/api/org", nil))
	})
	t.Run("managed permission", func(t *testing.T) {
		saID := taCreateSA(t, admin, "guarded", "Viewer")
		uid := ts.createUser(t, map[string]any{"name": "Pat", "email": "pat@example.com", "login": "pat", "password": "pat-password"})
		pat := ts.basic("pat", "pat-password")
		if r := pat.do(t, "GET", taSAPath(saID), nil); r.Status != http.StatusForbidden {
			t.Fatalf("before the grant: status %d, want 403", r.Status)
		}
		grant := "/api/access-control/serviceaccounts/" + strconv.FormatInt(saID, 10) + "/users/" + strconv.FormatInt(uid, 10)
		admin.expect(t, http.StatusOK, "POST", grant, map[string]any{"permission": "Edit"})
		pat.expect(t, http.StatusOK, "GET", taSAPath(saID), nil)
		pat.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"name": "guarded-renamed"})
		if r := pat.do(t, "DELETE", taSAPath(saID), nil); r.Status != http.StatusForbidden {
			t.Fatalf("Edit does not include delete: status %d, want 403", r.Status)
		}
		admin.expect(t, http.StatusOK, "POST", grant, map[string]any{"permission": "Admin"})
		taIssue(t, pat, saID, "pat-made", 0)
		admin.expect(t, http.StatusOK, "POST", grant, map[string]any{"permission": ""})
		if r := pat.do(t, "GET", taSAPath(saID), nil); r.Status != http.StatusForbidden {
			t.Fatalf("after the grant was removed: status %d, want 403", r.Status)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// lastUsedAt bookkeeping.

// Failed checks never set lastUsedAt: org mismatch, disabled account, revoked and expired
// token. Another token's use, polled until visible, proves a flush ran after the failures.
func TestToken_FailedChecksDoNotSetLastUsed(t *testing.T) {
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
func TestToken_NoDatabaseWriteOnTheRequestPath(t *testing.T) {
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
func TestToken_LastUsedFlushedOnShutdown(t *testing.T) {
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

// ---------------------------------------------------------------------------------------------
// Storage at rest and leaks.

// Only the tagged SHA-256 of the whole token is stored; the plaintext is nowhere in the
// database (its files on SQLite, its rows on PostgreSQL) or in the logs; the create response
// is not cacheable.
func TestToken_NeverStoredNorLoggedInPlaintext(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_LOG_LEVEL": "debug"})
	poll := taAdminToken(t, ts)
	saID := taCreateSA(t, ts.admin(), "secretive", "Viewer")
	r := ts.admin().expect(t, http.StatusOK, "POST", taSAPath(saID)+"/tokens", map[string]any{"name": "hidden"})
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("token create response Cache-Control = %q, want no-store", cc)
	}
	m := r.JSON(t)
	tok, tokID := m["key"].(string), taID(t, m, "id")
	if len(tok) != 46 || !strings.HasPrefix(tok, "glsa_") {
		t.Fatalf("key = %q, want a 46-character glsa_ token", tok)
	}
	secret := tok[5:37]

	// The stored value: "sha256:" + hex SHA-256 of the full token, nothing else.
	sum := sha256.Sum256([]byte(tok))
	var stored string
	if err := taQueryRow(taDB(t, ts), "SELECT key_hash FROM token WHERE id = ?", tokID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + hex.EncodeToString(sum[:]); stored != want {
		t.Fatalf("stored key_hash = %q, want %q", stored, want)
	}

	// Use the token, in accepted and refused ways, so every code path that might log it runs.
	u0 := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.basic("api_key", tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.anon().do(t, "GET", "/api/org?api_key="+tok+"&token="+tok, nil)
	ts.bearer(tok[:45]+flipHex(tok[45])).do(t, "GET", "/api/org", nil)
	ts.bearer(tok).with("X-Grafana-Org-Id", "7").do(t, "GET", "/api/org", nil)
	ts.basic("admin", tok).do(t, "GET", "/api/org", nil)
	ts.anon().with("Authorization", "Token "+tok).do(t, "GET", "/api/org", nil)
	taPollLastUsed(t, poll, saID, tokID, u0, time.Now())

	checkFiles := func(when string) {
		t.Helper()
		if ts.Postgres {
			taCheckPostgresRows(t, ts, when, secret, stored)
			return
		}
		files, _ := filepath.Glob(filepath.Join(ts.DataDir, "warden.db*"))
		if len(files) == 0 {
			t.Fatalf("%s: no database files under %s", when, ts.DataDir)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s: %s contains the token's secret", when, filepath.Base(f))
			}
		}
	}
	checkFiles("while running")
	ts.Stop()
	checkFiles("after stop")
	logs := ts.Logs()
	if strings.Contains(logs, secret) {
		t.Errorf("the server logs contain the token's secret:\n%s", logs)
	}
	if !strings.Contains(logs, "/api/org") {
		t.Errorf("no access log lines for the requests made (is the log captured?):\n%s", logs)
	}
}

// taCheckPostgresRows is the PostgreSQL form of the search of the database files for the
// token's secret: no row of any table, in its text form, contains secret. Searching the same
// way for present (a value known to be stored) proves the search sees the rows.
func taCheckPostgresRows(t *testing.T, ts *testServer, when, secret, present string) {
	t.Helper()
	dump := postgresDump(t, ts)
	for line := range bytes.Lines(dump) {
		if bytes.Contains(line, []byte(secret)) {
			table, _, _ := bytes.Cut(line, []byte(": "))
			t.Errorf("%s: a row of table %s contains the token's secret", when, table)
		}
	}
	if !bytes.Contains(dump, []byte(present)) {
		t.Fatalf("%s: the search of the PostgreSQL rows did not find the stored key hash %q", when, present)
	}
}

// postgresDump returns the text of every row of every table of the server's PostgreSQL
// database, one "table: row" line each.
func postgresDump(t *testing.T, ts *testServer) []byte {
	t.Helper()
	db := taDB(t, ts)
	defer db.Close()
	rows, err := db.Query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatal("no tables in the server's PostgreSQL database")
	}
	var out bytes.Buffer
	for _, table := range tables {
		q := `SELECT r::text FROM "` + strings.ReplaceAll(table, `"`, `""`) + `" AS r`
		rs, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rs.Next() {
			var row string
			if err := rs.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out.WriteString(table + ": " + row + "\n")
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		rs.Close()
	}
	return out.Bytes()
}

// ---------------------------------------------------------------------------------------------
// Lifetime limits (SPEC §2.8 steps 4 and 5).

// taWantPlainText fails unless r is a 400 whose body is exactly the plain text want.
func taWantPlainText(t *testing.T, r *response, want string) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	if string(r.Body) != want {
		t.Fatalf("body = %q, want the plain text %q", r.Body, want)
	}
}

const taDayLimitMessage = "The expiration date input exceeds the limit for service account access tokens expiration date"

func TestToken_ExpirationDayLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "3"})
	admin := ts.admin()
	saID := taCreateSA(t, admin, "limited", "Viewer")
	path := taSAPath(saID) + "/tokens"
	const day = 24 * 60 * 60

	// Unlike Grafana, "never expires" is refused too when a limit is set.
	taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "absent"}), taDayLimitMessage)
	taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "zero", "secondsToLive": 0}), taDayLimitMessage)
	taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "five-days", "secondsToLive": 5 * day}), taDayLimitMessage)
	taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "four-days", "secondsToLive": 4 * day}), taDayLimitMessage)
	taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "huge", "secondsToLive": int64(1) << 62}), taDayLimitMessage)
	taIssue(t, admin, saID, "one-day", day)
	taIssue(t, admin, saID, "three-days", 3*day)

	// Days are compared as UTC days: the whole last day is allowed, the next one is not.
	now := time.Now().UTC()
	// (Skipped within five minutes of UTC midnight, where the server's clock may be a day on.)
	if midnight := now.Truncate(24 * time.Hour); now.Sub(midnight) > 5*time.Minute && midnight.Add(24*time.Hour).Sub(now) > 5*time.Minute {
		lastDayEnd := now.AddDate(0, 0, 3).Truncate(24 * time.Hour).Add(24 * time.Hour)
		ttl := int64(lastDayEnd.Sub(now)/time.Second) - 60
		taIssue(t, admin, saID, "end-of-last-day", ttl)
		taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "next-day", "secondsToLive": ttl + 120}), taDayLimitMessage)
	}

	// Negative lifetimes pass the day check (as in Grafana) and are refused as invalid input.
	taWantJSON(t, admin.do(t, "POST", path, map[string]any{"name": "negative", "secondsToLive": -5}), http.StatusBadRequest,
		map[string]any{"message": "invalid SecondsToLive value", "messageId": "serviceaccounts.ErrInvalidInput", "statusCode": 400})

	// None of the refused tokens exists.
	names := map[string]bool{}
	for _, tk := range admin.expect(t, http.StatusOK, "GET", path, nil).List(t) {
		names[tk["name"].(string)] = true
	}
	for _, n := range []string{"absent", "zero", "five-days", "four-days", "huge", "next-day", "negative"} {
		if names[n] {
			t.Errorf("refused token %q was created anyway", n)
		}
	}

	fs := admin.expect(t, http.StatusOK, "GET", "/api/frontend/settings", nil).JSON(t)
	if fs["tokenExpirationDayLimit"] != float64(3) {
		t.Errorf("frontend settings tokenExpirationDayLimit = %v, want 3", fs["tokenExpirationDayLimit"])
	}
}

func TestToken_APIKeyMaxSecondsToLive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_AUTH_API_KEY_MAX_SECONDS_TO_LIVE": "3600"})
	admin := ts.admin()
	saID := taCreateSA(t, admin, "capped", "Viewer")
	path := taSAPath(saID) + "/tokens"
	taWantJSON(t, admin.do(t, "POST", path, map[string]any{"name": "absent"}), http.StatusBadRequest,
		map[string]any{"message": "Number of seconds before expiration should be set"})
	taWantJSON(t, admin.do(t, "POST", path, map[string]any{"name": "zero", "secondsToLive": 0}), http.StatusBadRequest,
		map[string]any{"message": "Number of seconds before expiration should be set"})
	taWantJSON(t, admin.do(t, "POST", path, map[string]any{"name": "too-long", "secondsToLive": 3601}), http.StatusBadRequest,
		map[string]any{"message": "Number of seconds before expiration is greater than the global limit"})
	taIssue(t, admin, saID, "max", 3600)
	_, tok := taIssue(t, admin, saID, "short", 60)
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
}

// ---------------------------------------------------------------------------------------------
// Feature toggle (SPEC §6, "deliberately differs" 4).

// taSARoutes lists every service-account route with a request for it.
var taSARoutes = []struct {
	method, path string
	body         any
}{
	{"GET", "/api/serviceaccounts/search", nil},
	{"POST", "/api/serviceaccounts", map[string]any{"name": "x"}},
	{"POST", "/api/serviceaccounts/", map[string]any{"name": "x"}},
	{"GET", "/api/serviceaccounts/2", nil},
	{"PATCH", "/api/serviceaccounts/2", map[string]any{"name": "y"}},
	{"DELETE", "/api/serviceaccounts/2", nil},
	{"GET", "/api/serviceaccounts/2/tokens", nil},
	{"POST", "/api/serviceaccounts/2/tokens", map[string]any{"name": "t"}},
	{"DELETE", "/api/serviceaccounts/2/tokens/1", nil},
	{"GET", "/api/access-control/serviceaccounts/description", nil},
	{"GET", "/api/access-control/serviceaccounts/2", nil},
	{"POST", "/api/access-control/serviceaccounts/2/users/1", map[string]any{"permission": "Edit"}},
}

// taToggles returns featureToggles from the frontend settings.
func taToggles(t *testing.T, ts *testServer) map[string]any {
	t.Helper()
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/frontend/settings", nil).JSON(t)
	ft, ok := m["featureToggles"].(map[string]any)
	if !ok {
		t.Fatalf("featureToggles = %#v, want an object", m["featureToggles"])
	}
	return ft
}

// taWantToggleOff checks that every service-account route answers like an unknown route.
func taWantToggleOff(t *testing.T, ts *testServer) {
	t.Helper()
	notFound := map[string]any{"message": "Not found"}
	taWantJSON(t, ts.admin().do(t, "GET", "/api/no-such-route", nil), http.StatusNotFound, notFound)
	for _, rt := range taSARoutes {
		for name, c := range map[string]*client{"admin": ts.admin(), "anonymous": ts.anon()} {
			r := c.do(t, rt.method, rt.path, rt.body)
			if r.Status != http.StatusNotFound {
				t.Fatalf("toggle off, %s %s %s: status %d, want 404; body %s", name, rt.method, rt.path, r.Status, r.Body)
			}
			taWantJSON(t, r, http.StatusNotFound, notFound)
		}
	}
	if _, on := taToggles(t, ts)["serviceAccounts"]; on {
		t.Fatalf("toggle off, featureToggles = %v, want no serviceAccounts", taToggles(t, ts))
	}
}

func TestToken_FeatureToggleOnByDefault(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	if ft := taToggles(t, ts); ft["serviceAccounts"] != true {
		t.Fatalf("featureToggles = %v, want serviceAccounts: true by default", ft)
	}
	ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search", nil)
}

func TestToken_FeatureToggleOffByEnvironment(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS": "false"})
	taWantToggleOff(t, ts)
}

// Tokens created with the toggle on stop authenticating when the server restarts with it off,
// and work again when it is back on.
func TestToken_FeatureToggleOffDisablesExistingTokens(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, _, tok := taSA(t, ts, "toggled", "Admin")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.Stop()

	off := startServer(t, ts.sameStore(map[string]string{"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS": "false"}))
	taWantInvalidKey(t, off.bearer(tok).do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, off.basic("api_key", tok).do(t, "GET", "/api/org", nil))
	taWantToggleOff(t, off)
	off.admin().expect(t, http.StatusOK, "GET", "/api/org", nil) // users are unaffected
	off.Stop()

	on := startServer(t, ts.sameStore(nil))
	on.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
}

// The toggle in a config file given with --config: Grafana 8.5's `enable = serviceAccounts`
// keeps service accounts on; `serviceAccounts = false` turns them off.
func TestToken_FeatureToggleConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	enable := write("enable.ini", "[feature_toggles]\nenable = serviceAccounts\n")
	ts := taStartWithArgs(t, []string{"server", "--config", enable}, nil)
	if ft := taToggles(t, ts); ft["serviceAccounts"] != true {
		t.Fatalf("enable = serviceAccounts: featureToggles = %v, want serviceAccounts: true", ft)
	}
	_, _, tok := taSA(t, ts, "from-ini", "Viewer")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.Stop()

	// The global flag form (`warden --config FILE server`) reads the same file.
	disable := write("disable.ini", "[feature_toggles]\nserviceAccounts = false\n")
	off := taStartWithArgs(t, []string{"--config", disable, "server"}, ts.sameStore(nil))
	taWantToggleOff(t, off)
	taWantInvalidKey(t, off.bearer(tok).do(t, "GET", "/api/org", nil))
}
