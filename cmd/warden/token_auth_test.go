package main

// Authenticating with a service-account token, on a real server over real HTTP: where tokens
// are read, the 401 bodies, the org check, roles, and changes that must hold for the very next
// request. Helpers are prefixed ta (the package's test files share one namespace).

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

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

// A valid token whose row does not belong to a service account is refused. The row
// is written straight into the database, pointing at the (human) server admin.
func TestTokens_TokenOfHumanUserIsInvalid(t *testing.T) {
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

// An expired token answers "Expired API key"; expiry is inclusive (expires <= now).
func TestTokens_ExpiredTokenRefused(t *testing.T) {
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

	// On a server as shipped (its cache holding the token from creation), as the server's
	// clock passes the expiry: a token with secondsToLive 60 works, and is refused once the
	// clock is a minute on.
	clock := &testClock{}
	ts = startServerClock(t, nil, clock)
	saID, _, _ = taSA(t, ts, "expiring", "Viewer")
	_, short := taIssue(t, ts.admin(), saID, "one-minute", 60)
	ts.bearer(short).expect(t, http.StatusOK, "GET", "/api/org", nil)
	clock.Advance(50 * time.Second) // the expiry is the creation second + 60: still ahead
	ts.bearer(short).expect(t, http.StatusOK, "GET", "/api/org", nil)
	clock.Advance(11 * time.Second)
	taWantAuthError(t, ts.bearer(short).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
	taWantAuthError(t, ts.basic("api_key", short).do(t, "GET", "/api/org", nil), "Expired API key", "api-key.expired")
}

// A revoked token answers "Revoked API key" and is listed as revoked.
func TestTokens_RevokedTokenRefused(t *testing.T) {
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

// A token used for another org than its own answers "API key does not belong to the
// requested organization", whether the org is named by header or by targetOrgId.
func TestTokens_OrgMismatchRefused(t *testing.T) {
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

// Where tokens are read. Bearer and Basic with user api_key are tokens; no header,
// another scheme, and the query string are not.
func TestTokens_WhereTokensAreRead(t *testing.T) {
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

// The request acts with the service account's role: Admin manages service accounts; Viewer
// reads the org but every write is refused.
func TestTokens_ActWithServiceAccountRole(t *testing.T) {
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
func TestTokens_ChangesHoldForTheNextRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := ts.admin()

	t.Run("token deleted", func(t *testing.T) {
		saID, tokID, tok := taSA(t, ts, "del-token", "Viewer")
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
		admin.expect(t, http.StatusOK, "DELETE", taSAPath(saID)+"/tokens/"+strconv.FormatInt(tokID, 10), nil)
		taWantInvalidKey(t, ts.bearer(tok).do(t, "GET", "/api/org", nil))
	})
	// A disabled account's tokens answer 401 identity.disabled, in either form, while
	// the account is still managed; re-enabled, the same token works again.
	t.Run("account disabled", func(t *testing.T) {
		saID, _, tok := taSA(t, ts, "disable-me", "Viewer")
		ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
		admin.expect(t, http.StatusOK, "PATCH", taSAPath(saID), map[string]any{"isDisabled": true})
		taWantAuthError(t, ts.bearer(tok).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
		taWantAuthError(t, ts.basic("api_key", tok).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
		admin.expect(t, http.StatusOK, "GET", taSAPath(saID)+"/tokens", nil)
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
