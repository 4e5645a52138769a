package main

// Service-account tokens over HTTP (/api/serviceaccounts/{id}/tokens): create, list, delete,
// who may do each, expiry as listed, the lifetime limits, concurrent creates and deletes.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// A user holding Edit on account A lists and creates A's tokens, and neither lists nor creates
// B's.
func TestTokens_ListAndCreateNeedGrantOnThatAccount(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit")
	l := f.user.expect(t, http.StatusOK, "GET", saURL(f.a, "/tokens"), nil).List(t)
	if len(l) != 1 || l[0]["name"] != "token-a" {
		t.Fatalf("tokens of A = %v, want [token-a]", l)
	}
	saDenied(t, f.user.do(t, "GET", saURL(f.b, "/tokens"), nil), "serviceaccounts:read")
	r := f.user.expect(t, http.StatusOK, "POST", saURL(f.a, "/tokens"), map[string]any{"name": "test"})
	m := r.JSON(t)
	wantKeys(t, m, "id", "name", "key")
	wantFields(t, m, map[string]any{"name": "test"})
	if got := saTokenNames(t, f.ts, f.a); !reflect.DeepEqual(got, []string{"test", "token-a"}) {
		t.Fatalf("tokens of A = %v", got)
	}
	saDenied(t, f.user.do(t, "POST", saURL(f.b, "/tokens"), map[string]any{"name": "test"}), "serviceaccounts:write")
	if got := saTokenNames(t, f.ts, f.b); !reflect.DeepEqual(got, []string{"token-b"}) {
		t.Fatalf("tokens of B = %v", got)
	}
}

func TestTokens_CreateForAbsentAccountIs404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts/999/tokens", map[string]any{"name": "test"}),
		http.StatusNotFound, saErrNotFound)
	// Not found comes before body validation, as in Grafana.
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts/999/tokens", map[string]any{}),
		http.StatusNotFound, saErrNotFound)
	// A human user's id is not a service account either.
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts/1/tokens", map[string]any{"name": "test"}),
		http.StatusNotFound, saErrNotFound)
}

func TestTokens_CreateIgnoresIDsInBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := saNew(t, saAdmin(t, ts), "a")       // id 2
	saNew(t, saAdmin(t, ts), "b")            // id 3
	four := saNew(t, saAdmin(t, ts), "four") // id 4
	if four != 4 || a == 4 {
		t.Fatalf("ids a=%d four=%d, want four = 4", a, four)
	}
	// A role above the account's is no longer ignored: it is a token role cap (issue 18), and
	// one above the account's role is refused rather than granted.
	r := saAdmin(t, ts).expect(t, http.StatusBadRequest, "POST", saURL(a, "/tokens"),
		map[string]any{"name": "test", "orgId": 4, "serviceAccountId": 4, "role": "Admin"})
	wantMessage(t, r, "role: Admin is above the service account's role (Viewer); a token's role can only narrow its account's")
	r = saAdmin(t, ts).expect(t, http.StatusOK, "POST", saURL(a, "/tokens"),
		map[string]any{"name": "test", "orgId": 4, "serviceAccountId": 4})
	key := r.JSON(t)["key"].(string)
	if got := saTokenNames(t, ts, a); !reflect.DeepEqual(got, []string{"test"}) {
		t.Fatalf("tokens of the URL account = %v, want [test]", got)
	}
	if got := saTokenNames(t, ts, four); len(got) != 0 {
		t.Fatalf("tokens of account 4 = %v, want none", got)
	}
	// The token acts as the URL's account, in the caller's org, with that account's role.
	wantFields(t, ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t),
		map[string]any{"login": "sa-1-a", "orgId": 1})
	wantFields(t, ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t), map[string]any{"id": 1})
	saDenied(t, ts.bearer(key).do(t, "GET", "/api/serviceaccounts/search", nil), "serviceaccounts:read")
}

func TestTokens_CreateResponseAndChecksum(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := saNew(t, saAdmin(t, ts), "ci bot")
	r := saAdmin(t, ts).expect(t, http.StatusOK, "POST", saURL(id, "/tokens"), map[string]any{"name": "deploy key"})
	m := r.JSON(t)
	wantKeys(t, m, "id", "name", "key")
	wantFields(t, m, map[string]any{"name": "deploy key"})
	key := m["key"].(string)
	if !saTokenRe.MatchString(key) {
		t.Fatalf("key %q does not match %s", key, saTokenRe)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(key[:37])))
	if got, want := key[38:], hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("checksum %s, want %s", got, want)
	}
	// The stored row belongs to the account and its org: the key authenticates as them. (The
	// stored hash itself is checked by the service tests and by
	// TestTokens_NeverStoredNorLoggedInPlaintext.)
	wantFields(t, ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t),
		map[string]any{"login": "sa-1-ci-bot", "orgId": 1, "uid": "service-account:" + saItoa(id)})
	l := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, "/tokens"), nil).List(t)
	if len(l) != 1 || saNum(t, l[0], "id") != saNum(t, m, "id") {
		t.Fatalf("token list %v, want the new token", l)
	}
}

func TestTokens_WriteNeedsGrantOnThatAccount(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "")
	saGrant(t, f.ts, f.b, f.userID, "Edit") // write on B only
	saDenied(t, f.user.do(t, "POST", saURL(f.a, "/tokens"), map[string]any{"name": "test"}), "serviceaccounts:write")
	f.user.expect(t, http.StatusOK, "POST", saURL(f.b, "/tokens"), map[string]any{"name": "test"})
}

func TestTokens_DeleteWithGrantOnAccount(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit")
	r := f.user.do(t, "DELETE", saURL(f.a, "/tokens/"+saItoa(f.tokenA)), nil)
	saBody(t, r, http.StatusOK, `{"message":"Service account token deleted"}`)
	saBody(t, f.admin.do(t, "DELETE", "/api/serviceaccounts/999/tokens/1", nil), http.StatusNotFound, saErrNotFound)
	if got := saTokenNames(t, f.ts, f.a); len(got) != 0 {
		t.Fatalf("tokens of A after delete = %v", got)
	}
	saAPIKeyError(t, f.ts.bearer(f.keyA).do(t, "GET", "/api/org", nil), "Invalid API key", "api-key.invalid")
	saDenied(t, f.user.do(t, "DELETE", saURL(f.b, "/tokens/"+saItoa(f.tokenB)), nil), "serviceaccounts:write")
	if got := saTokenNames(t, f.ts, f.b); !reflect.DeepEqual(got, []string{"token-b"}) {
		t.Fatalf("tokens of B after a refused delete = %v", got)
	}
}

func TestTokens_ExpiryInList(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	id := saNew(t, saAdmin(t, ts), "exp")
	saNewToken(t, saAdmin(t, ts), id, "a-never", 0)
	saNewToken(t, saAdmin(t, ts), id, "b-future", 100)
	saNewToken(t, saAdmin(t, ts), id, "c-past", 1)
	clock.Advance(2500 * time.Millisecond) // c-past's expiry (creation + 1 s) is now behind
	l := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, "/tokens"), nil).List(t)
	if len(l) != 3 {
		t.Fatalf("tokens = %v", l)
	}
	never, future, past := l[0], l[1], l[2]
	wantFields(t, never, map[string]any{"name": "a-never", "hasExpired": false, "expiration": nil, "secondsUntilExpiration": 0})
	wantFields(t, future, map[string]any{"name": "b-future", "hasExpired": false})
	if s, ok := future["secondsUntilExpiration"].(float64); !ok || s <= 0 || s > 100 {
		t.Fatalf("secondsUntilExpiration = %v, want in (0, 100]", future["secondsUntilExpiration"])
	}
	if e, _ := future["expiration"].(string); !saTimeRe.MatchString(e) {
		t.Fatalf("expiration = %v, want an RFC 3339 UTC time", future["expiration"])
	}
	wantFields(t, past, map[string]any{"name": "c-past", "hasExpired": true, "secondsUntilExpiration": 0})
	// An expired token does not authenticate.
	_, key := saNewToken(t, saAdmin(t, ts), id, "d-soon", 1)
	clock.Advance(2500 * time.Millisecond)
	saAPIKeyError(t, ts.bearer(key).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
}

func TestTokens_CreateHeadersAndNames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := saNew(t, saAdmin(t, ts), "a")
	b := saNew(t, saAdmin(t, ts), "b")
	r := saAdmin(t, ts).expect(t, http.StatusOK, "POST", saURL(a, "/tokens"), map[string]any{"name": "ci"})
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store", got)
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Fatalf("Content-Type = %q", got)
	}
	m := r.JSON(t)
	wantKeys(t, m, "id", "name", "key")
	if !saTokenRe.MatchString(m["key"].(string)) {
		t.Fatalf("key %q", m["key"])
	}
	ciID := saNum(t, m, "id")
	// Names are unique per org, across accounts.
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(a, "/tokens"), map[string]any{"name": "ci"}), http.StatusBadRequest, saErrTokenExists)
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(b, "/tokens"), map[string]any{"name": "ci"}), http.StatusBadRequest, saErrTokenExists)
	// Deleting frees the name.
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, "/tokens/"+saItoa(ciID)), nil), http.StatusOK, `{"message":"Service account token deleted"}`)
	saNewToken(t, saAdmin(t, ts), b, "ci", 0)
	// Bad input.
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(a, "/tokens"), map[string]any{"name": "neg", "secondsToLive": -1}), http.StatusBadRequest, saErrInvalidTTL)
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(a, "/tokens"), map[string]any{"name": ""}), http.StatusBadRequest, saBadRequest)
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(a, "/tokens"), map[string]any{}), http.StatusBadRequest, saBadRequest)
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(a, "/tokens"), map[string]any{"name": "x", "secondsToLive": "10"}), http.StatusBadRequest, saBadRequest)
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(a, "/tokens"), map[string]any{"name": "huge", "secondsToLive": int64(math.MaxInt64)}),
		http.StatusBadRequest, saErrInvalidTTL)
	if got := saTokenNames(t, ts, a); len(got) != 0 {
		t.Fatalf("refused creates left tokens %v", got)
	}
	// Each key is different.
	_, k1 := saNewToken(t, saAdmin(t, ts), a, "k1", 0)
	_, k2 := saNewToken(t, saAdmin(t, ts), a, "k2", 0)
	if k1 == k2 {
		t.Fatal("two tokens have the same key")
	}
}

func TestTokens_List(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := saNew(t, saAdmin(t, ts), "a")
	_, keyB := saNewToken(t, saAdmin(t, ts), a, "bravo", 0)
	alphaCreated := time.Now()
	saNewToken(t, saAdmin(t, ts), a, "Alpha", 3*24*3600)
	saNewToken(t, saAdmin(t, ts), a, "charlie", 30*24*3600)
	l := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(a, "/tokens"), nil).List(t)
	listed := time.Since(alphaCreated) // at most this much of Alpha's life has passed
	var names []string
	for _, tk := range l {
		names = append(names, tk["name"].(string))
		// Grafana's TokenDTO, and Warden's additions (issue 17).
		wantKeys(t, tk, "id", "name", "created", "lastUsedAt", "expiration", "secondsUntilExpiration", "hasExpired", "isRevoked",
			"createdBy", "lastUsedIp", "replacedBy", "replaces")
		if c, _ := tk["created"].(string); !saTimeRe.MatchString(c) {
			t.Fatalf("created = %v", tk["created"])
		}
	}
	if !reflect.DeepEqual(names, []string{"Alpha", "bravo", "charlie"}) {
		t.Fatalf("order = %v, want by name", names)
	}
	alpha, bravo, charlie := l[0], l[1], l[2]
	wantFields(t, bravo, map[string]any{"lastUsedAt": nil, "expiration": nil, "secondsUntilExpiration": 0,
		"hasExpired": false, "isRevoked": false})
	// Created times are kept to the second: up to one more second may have passed.
	if s := alpha["secondsUntilExpiration"].(float64); s > 259200 || s < 259200-listed.Seconds()-1 {
		t.Fatalf("secondsUntilExpiration of a 3-day token = %v, want 259200 less the %v since its creation", s, listed)
	}
	wantFields(t, alpha, map[string]any{"hasExpired": false, "isRevoked": false, "lastUsedAt": nil})
	wantFields(t, charlie, map[string]any{"secondsUntilExpiration": 0, "hasExpired": false, "isRevoked": false})
	for _, tk := range []map[string]any{alpha, charlie} {
		exp, _ := tk["expiration"].(string)
		created, _ := time.Parse(time.RFC3339, tk["created"].(string))
		e, err := time.Parse(time.RFC3339, exp)
		if err != nil || !saTimeRe.MatchString(exp) {
			t.Fatalf("expiration = %v", tk["expiration"])
		}
		want := 3 * 24 * time.Hour
		if tk["name"] == "charlie" {
			want = 30 * 24 * time.Hour
		}
		if e.Sub(created) != want {
			t.Fatalf("%s: expiration − created = %v, want %v", tk["name"], e.Sub(created), want)
		}
	}
	// A use shows as lastUsedAt (written in the background, within a few seconds).
	ts.bearer(keyB).expect(t, http.StatusOK, "GET", "/api/org", nil)
	deadline := time.Now().Add(15 * time.Second)
	for {
		l = saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(a, "/tokens"), nil).List(t)
		if s, _ := l[1]["lastUsedAt"].(string); s != "" {
			if !saTimeRe.MatchString(s) {
				t.Fatalf("lastUsedAt = %q", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lastUsedAt still null after a use: %v", l[1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	// An unknown account has no tokens (the list does not check that it exists).
	saBody(t, saAdmin(t, ts).do(t, "GET", "/api/serviceaccounts/9999/tokens", nil), http.StatusOK, `[]`)
	saBody(t, saAdmin(t, ts).do(t, "GET", "/api/serviceaccounts/1/tokens", nil), http.StatusOK, `[]`)
	// …nor does one without any.
	b := saNew(t, saAdmin(t, ts), "b")
	saBody(t, saAdmin(t, ts).do(t, "GET", saURL(b, "/tokens"), nil), http.StatusOK, `[]`)
}

func TestTokens_DeleteErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := saNew(t, saAdmin(t, ts), "a")
	b := saNew(t, saAdmin(t, ts), "b")
	tokA, _ := saNewToken(t, saAdmin(t, ts), a, "ta", 0)
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, "/tokens/99999"), nil), http.StatusNotFound, saErrTokenNotFound)
	// A token of another account is not found through this one.
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(b, "/tokens/"+saItoa(tokA)), nil), http.StatusNotFound, saErrTokenNotFound)
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, "/tokens/0"), nil), http.StatusBadRequest, saErrInvalidTokenID)
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, "/tokens/abc"), nil), http.StatusBadRequest, `{"message":"Token ID is invalid"}`)
	if got := saTokenNames(t, ts, a); !reflect.DeepEqual(got, []string{"ta"}) {
		t.Fatalf("tokens = %v", got)
	}
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, "/tokens/"+saItoa(tokA)), nil), http.StatusOK, `{"message":"Service account token deleted"}`)
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, "/tokens/"+saItoa(tokA)), nil), http.StatusNotFound, saErrTokenNotFound)
}

func TestTokens_CreateForDisabledAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := saNum(t, saCreate(t, saAdmin(t, ts), map[string]any{"name": "off", "isDisabled": true}), "id")
	tid, key := saNewToken(t, saAdmin(t, ts), id, "still-allowed", 0)
	if got := saTokenNames(t, ts, id); !reflect.DeepEqual(got, []string{"still-allowed"}) {
		t.Fatalf("tokens = %v", got)
	}
	saAPIKeyError(t, ts.bearer(key).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
	saAdmin(t, ts).expect(t, http.StatusOK, "DELETE", saURL(id, "/tokens/"+saItoa(tid)), nil)
}

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

func TestTokens_ExpirationDayLimit(t *testing.T) {
	t.Parallel()
	// The server's clock reads noon UTC today, so that UTC midnight is hours away whenever the
	// test runs.
	clock := &testClock{}
	wall := time.Now().UTC()
	clock.Advance(wall.Truncate(24 * time.Hour).Add(12 * time.Hour).Sub(wall))
	ts := startServerClock(t, map[string]string{"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "3"}, clock)
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
	now := clock.Now().UTC()
	lastDayEnd := now.AddDate(0, 0, 3).Truncate(24 * time.Hour).Add(24 * time.Hour)
	ttl := int64(lastDayEnd.Sub(now)/time.Second) - 60
	taIssue(t, admin, saID, "end-of-last-day", ttl)
	taWantPlainText(t, admin.do(t, "POST", path, map[string]any{"name": "next-day", "secondsToLive": ttl + 120}), taDayLimitMessage)

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

func TestTokens_MaxSecondsToLive(t *testing.T) {
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

// Many clients creating and deleting tokens at once all succeed. On PostgreSQL, whose
// serializable transactions abort one of two that depend on each other, a token create reads
// no token row, so creates never conflict: the store does not even retry one.
func TestTokens_ConcurrentCreatesAndDeletes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_LOG_LEVEL": "debug"}) // debug: the store logs its retries
	const accounts, workers, perWorker = 3, 16, 12
	var ids [accounts]int64
	for i := range ids {
		ids[i] = createSA(t, ts, fmt.Sprintf("busy-%d", i), "Viewer")
	}
	// The clients use an Admin service account's token (a password check per request would
	// make this a test of argon2).
	robot := createSA(t, ts, "robot", "Admin")
	key := ts.admin().expect(t, http.StatusOK, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", robot),
		map[string]any{"name": "robot"}).JSON(t)["key"].(string)
	errs := make(chan string, workers*perWorker*2)
	phase := func(name string, deleteEvery int) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				c := ts.bearer(key)
				for i := range perWorker {
					sa := ids[(w+i)%accounts]
					r := c.do(t, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa),
						map[string]any{"name": fmt.Sprintf("%s-w%d-%d", name, w, i)})
					if r.Status != http.StatusOK {
						errs <- fmt.Sprintf("create token on account %d: %d %s", sa, r.Status, r.Body)
						continue
					}
					if deleteEvery == 0 || i%deleteEvery != 0 {
						continue
					}
					id := int64(r.JSON(t)["id"].(float64))
					if r := c.do(t, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", sa, id), nil); r.Status != http.StatusOK {
						errs <- fmt.Sprintf("delete token %d: %d %s", id, r.Status, r.Body)
					}
				}
			})
		}
		wg.Wait()
	}
	phase("create", 0)
	if ts.Postgres {
		if n := strings.Count(ts.Logs(), "retrying transaction"); n != 0 {
			t.Errorf("%d concurrent token creates needed %d transaction retries, want none", workers*perWorker, n)
		}
	}
	phase("mixed", 3) // deletes one in three
	close(errs)
	failed := 0
	for e := range errs {
		if failed++; failed <= 5 {
			t.Error(e)
		}
	}
	if failed > 0 {
		t.Fatalf("%d requests failed; the server's errors:\n%s", failed, srvGrepLines(ts.Logs(), "level=ERROR"))
	}
	t.Logf("transaction retries in all: %d", strings.Count(ts.Logs(), "retrying transaction"))
	total := 0
	for _, sa := range ids {
		total += len(ts.admin().expect(t, http.StatusOK, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa), nil).List(t))
	}
	// All of the first phase's; of the second, all but i = 0, 3, 6, 9 of each worker.
	if want := workers*perWorker + workers*(perWorker-(perWorker+2)/3); total != want {
		t.Fatalf("%d tokens left, want %d", total, want)
	}
}
