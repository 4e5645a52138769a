package main

// The token lifecycle over HTTP (issue 17): rotation with a grace period, who created a token
// and where it was last used from, the day limit enforced at use, deleting expired tokens now
// and the retention job. Servers run on a testClock where time must pass; bounded waits (a
// flush, the start-up cleanup) poll with a deadline of five times the bound and log the delay.
// Helpers are prefixed tl.

import (
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

const (
	tlDay = 24 * 60 * 60
	// tlCleanupBound is how soon after start the expired-token job is expected to have run.
	tlCleanupBound = 2 * time.Second
)

// tlRotatedName matches the name a rotated token steps aside to.
var tlRotatedName = regexp.MustCompile(`^(.*) \(rotated (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d), #(\d+)\)$`)

func tlRotatePath(saID, tokenID int64) string {
	return saURL(saID, "/tokens/"+saItoa(tokenID)+"/rotate")
}

// tlRotate rotates a token as c, expecting 200, and returns the answer and the new token's id
// and key. The answer has exactly the documented keys and is never cached.
func tlRotate(t *testing.T, c *client, saID, tokenID int64, body any) (map[string]any, int64, string) {
	t.Helper()
	r := c.expect(t, http.StatusOK, "POST", tlRotatePath(saID, tokenID), body)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("rotate answer Cache-Control = %q, want no-store: it holds a token", cc)
	}
	m := r.JSON(t)
	wantKeys(t, m, "id", "name", "key", "expiration", "previousTokenId", "previousTokenExpiresAt")
	wantFields(t, m, map[string]any{"previousTokenId": tokenID})
	key, _ := m["key"].(string)
	if _, ok := warden.ParseSecret(key); !ok {
		t.Fatalf("rotate answered key %q, not a valid glsa_ token", key)
	}
	return m, taID(t, m, "id"), key
}

// tlTime reads a time field (RFC 3339) of m; null is the zero time.
func tlTime(t *testing.T, m map[string]any, key string) time.Time {
	t.Helper()
	v, ok := m[key]
	if !ok {
		t.Fatalf("no %s field in %v", key, m)
	}
	if v == nil {
		return time.Time{}
	}
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s = %#v: %v", key, v, err)
	}
	return at
}

// tlWithin fails unless at lies in [from, to] (from taken to the second, as stored).
func tlWithin(t *testing.T, what string, at, from, to time.Time) {
	t.Helper()
	if at.Before(from.Truncate(time.Second)) || at.After(to) {
		t.Fatalf("%s = %v, want between %v and %v", what, at.UTC(), from.UTC().Truncate(time.Second), to.UTC())
	}
}

// tlToken returns a token as GET /api/serviceaccounts/{id}/tokens/{tokenId} shows it, after
// checking that the list shows it the same way (but for what may move between the two reads:
// the countdown, and a use flushed in between).
func tlToken(t *testing.T, c *client, saID, tokenID int64) map[string]any {
	t.Helper()
	one := c.expect(t, http.StatusOK, "GET", saURL(saID, "/tokens/"+saItoa(tokenID)), nil).JSON(t)
	listed := taTokenRow(t, c, saID, tokenID)
	moving := map[string]bool{"secondsUntilExpiration": true, "lastUsedAt": true, "lastUsedIp": true}
	for k, v := range listed {
		if !moving[k] && !reflect.DeepEqual(one[k], v) {
			t.Fatalf("token %d: %s = %v in the list, %v from the single-token route", tokenID, k, v, one[k])
		}
	}
	return one
}

// tlIDs returns the ids of an account's listed tokens.
func tlIDs(t *testing.T, c *client, saID int64) map[int64]bool {
	t.Helper()
	ids := map[int64]bool{}
	for _, tk := range c.expect(t, http.StatusOK, "GET", saURL(saID, "/tokens"), nil).List(t) {
		ids[taID(t, tk, "id")] = true
	}
	return ids
}

func tlWorks(t *testing.T, ts *testServer, key string) {
	t.Helper()
	ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil)
}

func tlRefused(t *testing.T, ts *testServer, key string) {
	t.Helper()
	taWantAuthError(t, ts.bearer(key).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
}

// tlPoll calls done until it reports true, failing after five times bound, and returns the
// delay.
func tlPoll(t *testing.T, what string, bound time.Duration, done func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(5 * bound)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen after %v (bound %v)", what, time.Since(start).Round(time.Millisecond), bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// tlAudit returns the audit entries GET /api/audit lists for the query.
func tlAudit(t *testing.T, ts *testServer, query string) []map[string]any {
	t.Helper()
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/audit?"+query, nil).JSON(t)
	raw, _ := m["entries"].([]any)
	out := []map[string]any{}
	for _, e := range raw {
		out = append(out, e.(map[string]any))
	}
	return out
}

// Both tokens work during the grace period, only the new one after it. The new token takes the
// name; the old one is renamed, names its replacement and ends at the grace period's end; a
// rotated token cannot be rotated again.
func TestTokenLifecycle_RotateWithGracePeriod(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "deployer", "Viewer")
	oldID, oldKey := taIssue(t, admin, saID, "deploy", 0)
	tlWorks(t, ts, oldKey) // cached before the rotation

	before := clock.Now()
	m, newID, newKey := tlRotate(t, admin, saID, oldID, map[string]any{"gracePeriodSeconds": 3600})
	after := clock.Now()
	wantFields(t, m, map[string]any{"name": "deploy", "expiration": nil})
	end := tlTime(t, m, "previousTokenExpiresAt")
	tlWithin(t, "previousTokenExpiresAt", end, before.Add(time.Hour), after.Add(time.Hour))
	tlWorks(t, ts, oldKey)
	tlWorks(t, ts, newKey)

	newRow := tlToken(t, admin, saID, newID)
	wantFields(t, newRow, map[string]any{"name": "deploy", "replaces": oldID, "replacedBy": nil, "expiration": nil,
		"hasExpired": false, "createdBy": map[string]any{"kind": "user", "id": 1, "login": "admin"}})
	oldRow := tlToken(t, admin, saID, oldID)
	wantFields(t, oldRow, map[string]any{"replacedBy": newID, "replaces": nil, "hasExpired": false})
	if got := tlTime(t, oldRow, "expiration"); !got.Equal(end) {
		t.Fatalf("old token's listed expiration = %v, want the grace period's end %v", got, end)
	}
	name, _ := oldRow["name"].(string)
	sub := tlRotatedName.FindStringSubmatch(name)
	if sub == nil || sub[1] != "deploy" || sub[3] != saItoa(oldID) {
		t.Fatalf("old token's name = %q, want \"deploy (rotated <UTC time>, #%d)\"", name, oldID)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04:05", sub[2], time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	tlWithin(t, "rotation time in the name", at, before, after)

	// Once rotated, a token is refused a second rotation, and stays as it was.
	r := admin.do(t, "POST", tlRotatePath(saID, oldID), map[string]any{"gracePeriodSeconds": 60})
	saBody(t, r, http.StatusConflict, `{"message":"This token was already rotated; rotate the token that replaced it",`+
		`"messageId":"serviceaccounts.ErrTokenRotated","statusCode":409}`)
	if got := tlTime(t, tlToken(t, admin, saID, oldID), "expiration"); !got.Equal(end) {
		t.Fatalf("after a refused second rotation the old token ends at %v, want %v", got, end)
	}

	clock.Advance(time.Hour + 2*time.Second)
	tlRefused(t, ts, oldKey)
	tlWorks(t, ts, newKey)
	wantFields(t, tlToken(t, admin, saID, oldID), map[string]any{"hasExpired": true})

	// The new token is rotated in turn: the chain goes on under the same name.
	_, newerID, newerKey := tlRotate(t, admin, saID, newID, map[string]any{"gracePeriodSeconds": 0})
	wantFields(t, tlToken(t, admin, saID, newerID), map[string]any{"name": "deploy", "replaces": newID})
	tlRefused(t, ts, newKey)
	tlWorks(t, ts, newerKey)
}

// A grace period of 0 refuses the old token at once, even when its identity is cached.
func TestTokenLifecycle_RotateGraceZeroRefusesAtOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "ci", "Viewer")
	oldID, oldKey := taIssue(t, admin, saID, "ci", 0)
	for range 3 {
		tlWorks(t, ts, oldKey)
	}
	m, newID, newKey := tlRotate(t, admin, saID, oldID, map[string]any{"gracePeriodSeconds": 0})
	if end := tlTime(t, m, "previousTokenExpiresAt"); end.After(time.Now()) {
		t.Fatalf("previousTokenExpiresAt = %v with grace 0, want now", end)
	}
	tlRefused(t, ts, oldKey)
	tlWorks(t, ts, newKey)
	wantFields(t, tlToken(t, admin, saID, oldID), map[string]any{"hasExpired": true, "replacedBy": newID})
}

// Without gracePeriodSeconds, the grace period is [service_accounts] rotation_grace_period:
// 24 hours by default, or as configured.
func TestTokenLifecycle_RotateDefaultGrace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		env   map[string]string
		grace time.Duration
	}{
		{"Default24h", nil, 24 * time.Hour},
		{"Configured", map[string]string{"WARDEN_SERVICE_ACCOUNTS_ROTATION_GRACE_PERIOD": "90m"}, 90 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := &testClock{}
			ts := startServerClock(t, tc.env, clock)
			admin := ts.admin()
			saID := taCreateSA(t, admin, "svc", "Viewer")
			oldID, oldKey := taIssue(t, admin, saID, "svc", 0)
			before := clock.Now()
			m, _, newKey := tlRotate(t, admin, saID, oldID, nil) // no body at all
			after := clock.Now()
			tlWithin(t, "previousTokenExpiresAt", tlTime(t, m, "previousTokenExpiresAt"),
				before.Add(tc.grace), after.Add(tc.grace))
			clock.Advance(tc.grace - time.Minute)
			tlWorks(t, ts, oldKey)
			clock.Advance(2 * time.Minute)
			tlRefused(t, ts, oldKey)
			tlWorks(t, ts, newKey)
		})
	}
}

// secondsToLive defaults to the old token's own lifetime (none if it had none); the old token
// ends at its own expiry when that comes before the grace period's end.
func TestTokenLifecycle_RotateKeepsLifetime(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "svc", "Viewer")
	hourlyID, _ := taIssue(t, admin, saID, "hourly", 3600)
	foreverID, _ := taIssue(t, admin, saID, "forever", 0)
	hourlyEnd := tlTime(t, tlToken(t, admin, saID, hourlyID), "expiration")
	clock.Advance(10 * time.Minute)

	before := clock.Now()
	m, newHourly, _ := tlRotate(t, admin, saID, hourlyID, map[string]any{"gracePeriodSeconds": 7200})
	after := clock.Now()
	tlWithin(t, "rotated hourly token's expiration", tlTime(t, m, "expiration"), before.Add(time.Hour), after.Add(time.Hour))
	if got := tlTime(t, m, "previousTokenExpiresAt"); !got.Equal(hourlyEnd) {
		t.Fatalf("previousTokenExpiresAt = %v, want the old token's own expiry %v (before now + grace)", got, hourlyEnd)
	}
	if got := tlTime(t, tlToken(t, admin, saID, newHourly), "expiration"); !got.Equal(tlTime(t, m, "expiration")) {
		t.Fatalf("new token's listed expiration = %v, answered %v", got, m["expiration"])
	}

	m, newForever, _ := tlRotate(t, admin, saID, foreverID, map[string]any{"gracePeriodSeconds": 60})
	wantFields(t, m, map[string]any{"expiration": nil, "name": "forever"})
	wantFields(t, tlToken(t, admin, saID, newForever), map[string]any{"expiration": nil})

	before = clock.Now()
	m, _, _ = tlRotate(t, admin, saID, newHourly, map[string]any{"secondsToLive": 120, "gracePeriodSeconds": 0})
	after = clock.Now()
	tlWithin(t, "expiration with secondsToLive 120", tlTime(t, m, "expiration"), before.Add(2*time.Minute),
		after.Add(2*time.Minute))
}

// An expired token may be rotated: that is how one is regenerated.
func TestTokenLifecycle_RotateExpiredToken(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "svc", "Viewer")
	oldID, oldKey := taIssue(t, admin, saID, "short", 60)
	oldEnd := tlTime(t, tlToken(t, admin, saID, oldID), "expiration")
	clock.Advance(2 * time.Minute)
	tlRefused(t, ts, oldKey)

	before := clock.Now()
	m, newID, newKey := tlRotate(t, admin, saID, oldID, nil)
	after := clock.Now()
	if got := tlTime(t, m, "previousTokenExpiresAt"); !got.Equal(oldEnd) {
		t.Fatalf("previousTokenExpiresAt = %v, want the old token's past expiry %v", got, oldEnd)
	}
	tlWithin(t, "new token's expiration", tlTime(t, m, "expiration"), before.Add(time.Minute), after.Add(time.Minute))
	tlWorks(t, ts, newKey)
	tlRefused(t, ts, oldKey)
	wantFields(t, tlToken(t, admin, saID, newID), map[string]any{"name": "short", "replaces": oldID, "hasExpired": false})
	wantFields(t, tlToken(t, admin, saID, oldID), map[string]any{"replacedBy": newID, "hasExpired": true})
}

// Rotating needs what creating a token on that account needs; unknown ids are 404s as on the
// other token routes; bad input is a 400. Nothing refused changes the token.
func TestTokenLifecycle_RotateRefusals(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit") // f.user: a Viewer holding Edit on sa-a only
	_, viewer := saUser(t, f.ts, "viewer", "Viewer")
	saDenied(t, viewer.do(t, "POST", tlRotatePath(f.a, f.tokenA), nil), "serviceaccounts:write")
	saDenied(t, f.user.do(t, "POST", tlRotatePath(f.b, f.tokenB), nil), "serviceaccounts:write")
	saBody(t, f.admin.do(t, "POST", tlRotatePath(f.a, f.tokenB), nil), http.StatusNotFound, saErrTokenNotFound)
	saBody(t, f.admin.do(t, "POST", tlRotatePath(f.a, 9999), nil), http.StatusNotFound, saErrTokenNotFound)
	saBody(t, f.admin.do(t, "POST", tlRotatePath(9999, f.tokenA), nil), http.StatusNotFound, saErrNotFound)
	saStatus(t, f.admin.do(t, "POST", saURL(f.a, "/tokens/abc/rotate"), nil), http.StatusBadRequest)
	saStatus(t, f.admin.do(t, "POST", tlRotatePath(f.a, f.tokenA), map[string]any{"gracePeriodSeconds": -1}),
		http.StatusBadRequest)
	saStatus(t, f.admin.do(t, "POST", tlRotatePath(f.a, f.tokenA), `{"secondsToLive":`), http.StatusBadRequest)
	for _, tk := range []struct{ sa, id int64 }{{f.a, f.tokenA}, {f.b, f.tokenB}} {
		row := tlToken(t, f.admin, tk.sa, tk.id)
		wantFields(t, row, map[string]any{"replacedBy": nil, "expiration": nil})
		if name, _ := row["name"].(string); tlRotatedName.MatchString(name) {
			t.Fatalf("token %d renamed to %q by a refused rotation", tk.id, name)
		}
	}
	// The grant on sa-a is enough.
	_, _, key := tlRotate(t, f.user, f.a, f.tokenA, map[string]any{"gracePeriodSeconds": 0})
	tlWorks(t, f.ts, key)
}

// The day limit applies to the new token's lifetime, given or inherited.
func TestTokenLifecycle_RotateUnderDayLimit(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, map[string]string{"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "3"}, clock)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "limited", "Viewer")
	oldID, oldKey := taIssue(t, admin, saID, "daily", tlDay)
	for _, ttl := range []int64{5 * tlDay, 0} {
		r := admin.do(t, "POST", tlRotatePath(saID, oldID), map[string]any{"secondsToLive": ttl})
		saStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.Body), taDayLimitMessage) {
			t.Fatalf("rotate with secondsToLive %d: body %s, want the day-limit message", ttl, r.Body)
		}
	}
	wantFields(t, tlToken(t, admin, saID, oldID), map[string]any{"name": "daily", "replacedBy": nil})
	tlWorks(t, ts, oldKey)
	before := clock.Now()
	m, _, _ := tlRotate(t, admin, saID, oldID, nil)
	after := clock.Now()
	tlWithin(t, "inherited one-day lifetime", tlTime(t, m, "expiration"), before.Add(24*time.Hour), after.Add(24*time.Hour))
}

// createdBy names the identity that made the token: the admin user, or a service account's
// token (creating or rotating). The list has Grafana's fields and Warden's, null when unset.
func TestTokenLifecycle_CreatedBy(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := ts.admin()
	robotID := taCreateSA(t, admin, "robot", "Admin")
	_, robotKey := taIssue(t, admin, robotID, "robot-key", 0)
	robot := ts.bearer(robotKey)
	target := taCreateSA(t, admin, "target", "Viewer")
	byAdmin, _ := taIssue(t, admin, target, "by-admin", 0)
	byRobot, _ := taIssue(t, robot, target, "by-robot", 0)

	row := tlToken(t, admin, target, byAdmin)
	wantKeys(t, row, "id", "name", "created", "lastUsedAt", "expiration", "secondsUntilExpiration", "hasExpired",
		"isRevoked", "createdBy", "lastUsedIp", "replacedBy", "replaces")
	wantFields(t, row, map[string]any{"createdBy": map[string]any{"kind": "user", "id": 1, "login": "admin"},
		"lastUsedAt": nil, "lastUsedIp": nil, "replacedBy": nil, "replaces": nil})
	asRobot := map[string]any{"kind": "service_account", "id": robotID, "login": "sa-1-robot"}
	wantFields(t, tlToken(t, admin, target, byRobot), map[string]any{"createdBy": asRobot})
	_, rotated, _ := tlRotate(t, robot, target, byAdmin, nil)
	wantFields(t, tlToken(t, admin, target, rotated), map[string]any{"createdBy": asRobot, "replaces": byAdmin})
}

// lastUsedIp is the client address of the latest use: the peer's, or the one a trusted proxy
// forwards; it follows the token to a new address within the flush bound.
func TestTokenLifecycle_LastUsedIP(t *testing.T) {
	t.Parallel()
	pollIP := func(t *testing.T, poll *client, saID, tokID int64, want string) {
		t.Helper()
		d := tlPoll(t, "lastUsedIp "+want, taLastUsedBound, func() bool {
			return taTokenRow(t, poll, saID, tokID)["lastUsedIp"] == want
		})
		t.Logf("lastUsedIp %s showed after %v (bound %v)", want, d.Round(time.Millisecond), taLastUsedBound)
	}
	t.Run("TrustedProxy", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, map[string]string{"WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1/32"})
		poll := taAdminToken(t, ts)
		saID, tokID, tok := taSA(t, ts, "remote", "Viewer")
		wantFields(t, taTokenRow(t, poll, saID, tokID), map[string]any{"lastUsedIp": nil})
		tlWorks(t, ts, tok)
		pollIP(t, poll, saID, tokID, "127.0.0.1")
		// Within the same minute, from another address: recorded at once.
		ts.bearer(tok).with("X-Forwarded-For", "203.0.113.9").expect(t, http.StatusOK, "GET", "/api/org", nil)
		pollIP(t, poll, saID, tokID, "203.0.113.9")
	})
	t.Run("UntrustedPeer", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, nil)
		poll := taAdminToken(t, ts)
		saID, tokID, tok := taSA(t, ts, "spoofer", "Viewer")
		ts.bearer(tok).with("X-Forwarded-For", "203.0.113.9").expect(t, http.StatusOK, "GET", "/api/org", nil)
		pollIP(t, poll, saID, tokID, "127.0.0.1")
	})
}

// With enforce_expiration_day_limit_at_use, a token older than the day limit is refused
// whatever its own expiry, including one made before the limit existed, and the API shows
// that end; without the flag the same token still works.
func TestTokenLifecycle_DayLimitEnforcedAtUse(t *testing.T) {
	t.Parallel()
	ts1 := startServer(t, nil)
	saID := taCreateSA(t, ts1.admin(), "legacy", "Viewer")
	legacyID, legacy := taIssue(t, ts1.admin(), saID, "legacy", 0)
	created := tlTime(t, tlToken(t, ts1.admin(), saID, legacyID), "created")
	ts1.Stop()
	limit := map[string]string{"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "2"}
	late := 2*24*time.Hour + time.Minute

	// The limit without the flag: Grafana's behaviour, the old token keeps working.
	clock2 := &testClock{}
	clock2.Advance(late)
	ts2 := startServerClock(t, ts1.sameStore(limit), clock2)
	tlWorks(t, ts2, legacy)
	wantFields(t, tlToken(t, ts2.admin(), saID, legacyID), map[string]any{"expiration": nil, "hasExpired": false})
	ts2.Stop()

	env := ts1.sameStore(limit)
	env["WARDEN_SERVICE_ACCOUNTS_ENFORCE_EXPIRATION_DAY_LIMIT_AT_USE"] = "true"
	clock3 := &testClock{}
	ts3 := startServerClock(t, env, clock3)
	admin := ts3.admin()
	tlWorks(t, ts3, legacy)
	row := tlToken(t, admin, saID, legacyID)
	wantFields(t, row, map[string]any{"hasExpired": false})
	if got, want := tlTime(t, row, "expiration"), created.AddDate(0, 0, 2); !got.Equal(want) {
		t.Fatalf("expiration of a token without expiry under an enforced 2-day limit = %v, want created + 2 days (%v)", got, want)
	}

	clock3.Advance(late)
	tlRefused(t, ts3, legacy)
	wantFields(t, tlToken(t, admin, saID, legacyID), map[string]any{"hasExpired": true})
	freshID, fresh := taIssue(t, admin, saID, "fresh", tlDay)
	tlWorks(t, ts3, fresh)
	freshRow := tlToken(t, admin, saID, freshID)
	if got, want := tlTime(t, freshRow, "expiration"), tlTime(t, freshRow, "created").Add(24*time.Hour); !got.Equal(want) {
		t.Fatalf("a token within the limit lists expiration %v, want its own %v", got, want)
	}
	// The search's expiredTokens filter (Grafana's "accounts with expired tokens") goes by the
	// same effective end as the list.
	if _, logins := saSearch(t, admin, "?expiredTokens=true"); !slices.Contains(logins, "sa-1-legacy") {
		t.Errorf("search ?expiredTokens=true = %v, want sa-1-legacy, whose token is past the enforced day limit", logins)
	}
	// Deleting the expired tokens counts the one past the limit.
	r := admin.expect(t, http.StatusOK, "DELETE", saURL(saID, "/tokens?expired=true"), nil)
	wantBody(t, r, `{"message":"Expired tokens deleted","deleted":1}`)
	if ids := tlIDs(t, admin, saID); len(ids) != 1 || !ids[freshID] {
		t.Fatalf("tokens left = %v, want only the fresh one (%d)", ids, freshID)
	}
}

// DELETE /api/serviceaccounts/{id}/tokens?expired=true deletes that account's expired tokens
// (a rotated one past its grace period included) and says how many; without the query it
// refuses.
func TestTokenLifecycle_DeleteExpiredNow(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	admin := ts.admin()
	a := taCreateSA(t, admin, "a", "Viewer")
	b := taCreateSA(t, admin, "b", "Viewer")
	e1, _ := taIssue(t, admin, a, "e1", 60)
	e2, _ := taIssue(t, admin, a, "e2", 120)
	live, _ := taIssue(t, admin, a, "live", 3600)
	forever, _ := taIssue(t, admin, a, "forever", 0)
	rot, _ := taIssue(t, admin, a, "rot", 0)
	_, rotNew, _ := tlRotate(t, admin, a, rot, map[string]any{"gracePeriodSeconds": 60})
	otherExpired, _ := taIssue(t, admin, b, "b-expired", 60)
	clock.Advance(5 * time.Minute)

	for _, q := range []string{"", "?expired=false"} {
		r := admin.do(t, "DELETE", saURL(a, "/tokens"+q), nil)
		saStatus(t, r, http.StatusBadRequest)
		wantMessage(t, r, "Add ?expired=true to delete this service account's expired tokens")
	}
	_, viewer := saUser(t, ts, "viewer", "Viewer")
	saDenied(t, viewer.do(t, "DELETE", saURL(a, "/tokens?expired=true"), nil), "serviceaccounts:write")
	saBody(t, admin.do(t, "DELETE", "/api/serviceaccounts/9999/tokens?expired=true", nil), http.StatusNotFound, saErrNotFound)
	if got := len(tlIDs(t, admin, a)); got != 6 {
		t.Fatalf("account a has %d tokens after refused deletes, want 6", got)
	}

	r := admin.expect(t, http.StatusOK, "DELETE", saURL(a, "/tokens?expired=true"), nil)
	wantBody(t, r, `{"message":"Expired tokens deleted","deleted":3}`)
	ids := tlIDs(t, admin, a)
	if len(ids) != 3 || !ids[live] || !ids[forever] || !ids[rotNew] {
		t.Fatalf("tokens left on a = %v, want live %d, forever %d, rotated %d", ids, live, forever, rotNew)
	}
	if ids := tlIDs(t, admin, b); !ids[otherExpired] {
		t.Fatal("deleting a's expired tokens deleted b's")
	}
	wantBody(t, admin.expect(t, http.StatusOK, "DELETE", saURL(a, "/tokens?expired=true"), nil),
		`{"message":"Expired tokens deleted","deleted":0}`)

	got := map[string]bool{}
	for _, e := range tlAudit(t, ts, "action=token.delete_expired") {
		wantFields(t, e, map[string]any{"actorKind": "user", "actorLogin": "admin", "targetType": "token", "outcome": "success"})
		got[e["targetId"].(string)] = true
	}
	if len(got) != 3 || !got[saItoa(e1)] || !got[saItoa(e2)] || !got[saItoa(rot)] {
		t.Fatalf("audited deletions of %v, want tokens %d, %d and %d", got, e1, e2, rot)
	}
}

// Tokens expired for longer than expired_token_retention_days (default 30) are deleted by the
// job that runs at start, audited as the system; -1 keeps them.
func TestTokenLifecycle_ExpiredTokenRetention(t *testing.T) {
	t.Parallel()
	clock1 := &testClock{}
	ts1 := startServerClock(t, nil, clock1)
	admin := taAdminToken(t, ts1) // a token outlives the admin's session over the 20 days
	saID := taCreateSA(t, admin, "svc", "Viewer")
	oldID, _ := taIssue(t, admin, saID, "expired-long-ago", 60)
	clock1.Advance(20 * 24 * time.Hour)
	recentID, _ := taIssue(t, admin, saID, "expired-recently", 60)
	foreverID, _ := taIssue(t, admin, saID, "forever", 0)
	ts1.Stop()
	later := 31*24*time.Hour + time.Hour // the first token expired 31 days ago, the second 11

	// Kept forever: for the whole time the job takes at start, nothing goes.
	clock2 := &testClock{}
	clock2.Advance(later)
	ts2 := startServerClock(t, ts1.sameStore(map[string]string{"WARDEN_SERVICE_ACCOUNTS_EXPIRED_TOKEN_RETENTION_DAYS": "-1"}), clock2)
	poll := ts2.bearer(admin.token) // the Admin token made on the first server
	for deadline := time.Now().Add(tlCleanupBound); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ids := tlIDs(t, poll, saID); len(ids) != 3 {
			t.Fatalf("with retention -1, tokens %v remain, want all three", ids)
		}
	}
	if e := tlAudit(t, ts2, "action=token.delete_expired"); len(e) != 0 {
		t.Fatalf("with retention -1, audited deletions: %v", e)
	}
	ts2.Stop()

	clock3 := &testClock{}
	clock3.Advance(later)
	ts3 := startServerClock(t, ts1.sameStore(nil), clock3)
	poll = ts3.bearer(admin.token)
	d := tlPoll(t, "the token expired 31 days ago deleted at start", tlCleanupBound, func() bool {
		return !tlIDs(t, poll, saID)[oldID]
	})
	t.Logf("the start-up job deleted the token expired 31 days ago after %v (bound %v)", d.Round(time.Millisecond), tlCleanupBound)
	if ids := tlIDs(t, poll, saID); len(ids) != 2 || !ids[recentID] || !ids[foreverID] {
		t.Fatalf("tokens left = %v, want the recently expired %d and the unexpiring %d", ids, recentID, foreverID)
	}
	entries := tlAudit(t, ts3, "action=token.delete_expired")
	if len(entries) != 1 {
		t.Fatalf("audited deletions = %v, want one", entries)
	}
	wantFields(t, entries[0], map[string]any{"actorKind": "system", "actorId": 0, "targetType": "token",
		"targetId": saItoa(oldID), "outcome": "success"})
	if detail, _ := entries[0]["detail"].(string); !strings.Contains(detail, "name=expired-long-ago") {
		t.Fatalf("audit detail = %q, want the token's name", detail)
	}
}

// Grafana's Go client still reads a token list holding Warden's fields and a rotated token.
func TestTokenLifecycle_GrafanaClientReadsTokenList(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "gc", "Viewer")
	oldID, _ := taIssue(t, admin, saID, "main", 0)
	hourlyID, _ := taIssue(t, admin, saID, "hourly", 3600)
	m, newID, newKey := tlRotate(t, admin, saID, oldID, map[string]any{"gracePeriodSeconds": 3600})
	end := tlTime(t, m, "previousTokenExpiresAt")
	tlWorks(t, ts, newKey)
	d := tlPoll(t, "the new token's lastUsedIp", taLastUsedBound, func() bool {
		return taTokenRow(t, admin, saID, newID)["lastUsedIp"] == "127.0.0.1"
	})
	t.Logf("the new token's use showed after %v (bound %v)", d.Round(time.Millisecond), taLastUsedBound)

	list, err := gcClient(t, ts, "").ServiceAccounts.ListTokens(saID)
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if len(list.Payload) != 3 {
		t.Fatalf("ListTokens returned %d tokens, want 3", len(list.Payload))
	}
	byID := map[int64]int{}
	for i, tk := range list.Payload {
		byID[tk.ID] = i
	}
	old, cur, hourly := list.Payload[byID[oldID]], list.Payload[byID[newID]], list.Payload[byID[hourlyID]]
	if !tlRotatedName.MatchString(old.Name) || !time.Time(old.Expiration).Equal(end) || old.HasExpired {
		t.Fatalf("rotated token as the client reads it = %+v, want renamed, ending %v", old, end)
	}
	if cur.Name != "main" || !time.Time(cur.Expiration).IsZero() || time.Time(cur.LastUsedAt).IsZero() {
		t.Fatalf("new token as the client reads it = %+v, want main, no expiry, used", cur)
	}
	if hourly.Name != "hourly" || time.Time(hourly.Expiration).IsZero() || hourly.SecondsUntilExpiration <= 0 {
		t.Fatalf("hourly token as the client reads it = %+v", hourly)
	}
}

// A rotated token's new name stays within the bound every name is held to (MaxNameLen, the
// width of Grafana's columns), however long the name it had.
func TestTokenLifecycle_RotatedNameWithinMaxLen(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := ts.admin()
	saID := taCreateSA(t, admin, "long", "Viewer")
	long := strings.Repeat("é", warden.MaxNameLen) // two bytes each: the limit counts characters
	oldID, _ := taIssue(t, admin, saID, long, 0)
	m, newID, _ := tlRotate(t, admin, saID, oldID, nil)
	wantFields(t, m, map[string]any{"name": long})
	wantFields(t, tlToken(t, admin, saID, newID), map[string]any{"name": long})
	name, _ := tlToken(t, admin, saID, oldID)["name"].(string)
	// The name is cut to make room for " (rotated <time>, #<id>)", which is kept whole.
	if n := utf8.RuneCountInString(name); n > warden.MaxNameLen {
		t.Errorf("rotated token's name has %d characters, want at most %d: %q", n, warden.MaxNameLen, name)
	}
	sub := tlRotatedName.FindStringSubmatch(name)
	if sub == nil || sub[3] != saItoa(oldID) || !utf8.ValidString(sub[1]) || !strings.HasPrefix(long, sub[1]) {
		t.Errorf("rotated token's name = %q, want a start of the old name, the rotation time and #%d", name, oldID)
	}
}
