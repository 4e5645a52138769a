package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	wardenhttp "github.com/wardenhq/warden/http"
)

// TestSecrets_NeverStoredLoggedOrEchoed runs a full scenario — the generated first admin
// password, password changes and resets, users signing in and out, failed sign-ins, service
// accounts, tokens with and without expiry used as Bearer and as Basic api_key, refused and
// deleted tokens — collecting every secret it handles: each token's plaintext, every password
// (right and wrong), every session cookie. It then searches, for each secret and its encoded
// forms (base64 of the Basic credentials, hex, the token's random part):
//
//   - every file of the data directory — the SQLite database and its -wal and -shm files —
//     while the server runs (recent writes are in the WAL) and again after shutdown (when the
//     WAL has been checkpointed into the database), and after an offline
//     `warden admin reset-admin-password`; on PostgreSQL, the text of every row of every table;
//   - every line the server wrote to stderr (access log on, level debug), except the one
//     banner that prints the generated admin password by design: that password must appear
//     there, exactly once, and nowhere else;
//   - every response body and header of the scenario, except the one response that hands a
//     secret out (a token's create response, a sign-in's Set-Cookie).
//
// Known, non-secret values created by the scenario (an account name, a login, the stored hashes
// of live tokens and sessions, the callers in the access log) must be found by the same
// searches, so a miss cannot come from searching the wrong bytes.
func TestSecrets_NeverStoredLoggedOrEchoed(t *testing.T) {
	t.Parallel()
	// An empty WARDEN_SECURITY_ADMIN_PASSWORD counts as unset (LoadConfig's applyEnv skips empty
	// values), so the admin password is generated and printed once.
	ts := startServer(t, map[string]string{
		"WARDEN_SECURITY_ADMIN_PASSWORD": "",
		"WARDEN_LOG_LEVEL":               "debug",
		"WARDEN_SERVER_ROUTER_LOGGING":   "true",
	})
	s := &secRun{t: t, ts: ts}
	suffix := secRandom(t, 8)

	// The banner with the generated password, printed before the server answered /api/health.
	banner, generated := secBanner(t, ts.Logs())
	s.password("the generated first admin password", generated, "admin").banner = true
	ts.Password = generated
	s.expect(ts.adminBasic(), http.StatusOK, "GET", "/api/user", nil)

	// Sign in with it, refuse a wrong old password, then change it to a known one.
	adminCookie0 := s.login("admin", generated)
	s.cookie("admin's first session cookie", adminCookie0)
	adminSess0 := s.cookieClient(adminCookie0)
	s.expect(adminSess0, http.StatusOK, "GET", "/api/user", nil)
	wrongOld := s.password("a wrong old admin password", "old-"+secRandom(t, 14), "admin").value
	adminPW := s.password("the admin's new password", "adm-"+secRandom(t, 20), "admin").value
	r := s.do(adminSess0, "PUT", "/api/user/password", map[string]string{"oldPassword": wrongOld, "newPassword": adminPW})
	if r.Status == http.StatusOK {
		t.Fatalf("password change with a wrong old password succeeded: %s", r.Body)
	}
	s.expect(adminSess0, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": generated, "newPassword": adminPW})
	ts.Password = adminPW
	admin := ts.adminBasic()
	s.expect(ts.basic("admin", generated), http.StatusUnauthorized, "GET", "/api/user", nil)
	s.expect(admin, http.StatusOK, "GET", "/api/user", nil)

	// Users with passwords.
	aliceLogin, bobLogin, carolLogin := "sec-alice-"+suffix, "sec-bob-"+suffix, "sec-carol-"+suffix
	pwAlice := s.password("alice's password", "ali-"+secRandom(t, 16), aliceLogin).value
	pwBob := s.password("bob's first password", "bob-"+secRandom(t, 16), bobLogin).value
	pwCarol := s.password("carol's first password", "car-"+secRandom(t, 16), carolLogin).value
	aliceID := s.createUser(admin, aliceLogin, pwAlice)
	bobID := s.createUser(admin, bobLogin, pwBob)
	carolID := s.createUser(admin, carolLogin, pwCarol)

	// Alice: a good sign-in, use, sign-out; the dead cookie is refused afterwards.
	aliceCookie := s.login(aliceLogin, pwAlice)
	s.cookie("alice's session cookie", aliceCookie)
	aliceSess := s.cookieClient(aliceCookie)
	s.expect(aliceSess, http.StatusOK, "GET", "/api/user", nil)
	s.expect(aliceSess, http.StatusFound, "GET", "/logout", nil)
	s.expect(aliceSess, http.StatusUnauthorized, "GET", "/api/user", nil)
	s.expect(ts.basic(aliceLogin, pwAlice), http.StatusOK, "GET", "/api/user", nil)

	// Failed sign-ins: wrong passwords, an unknown user, wrong Basic credentials.
	wrongAlice := s.password("a wrong password for alice", "wra-"+secRandom(t, 12), aliceLogin).value
	s.failLogin(aliceLogin, wrongAlice)
	wrongBob := s.password("a wrong password for bob", "wrb-"+secRandom(t, 12), bobLogin).value
	s.failLogin(bobLogin, wrongBob)
	ghost := "sec-ghost-" + suffix
	pwGhost := s.password("the password of an unknown user", "gho-"+secRandom(t, 12), ghost).value
	s.failLogin(ghost, pwGhost)
	s.expect(ts.basic(ghost, pwGhost), http.StatusUnauthorized, "GET", "/api/user", nil)
	wrongBob2 := s.password("a second wrong password for bob", "wrb2-"+secRandom(t, 12), bobLogin).value
	s.expect(ts.basic(bobLogin, wrongBob2), http.StatusUnauthorized, "GET", "/api/user", nil)
	wrongAdmin := s.password("a wrong admin password", "wrad-"+secRandom(t, 12), "admin").value
	s.expect(ts.basic("admin", wrongAdmin), http.StatusUnauthorized, "GET", "/api/org", nil)

	// Bob changes his own password through his session; his old cookie may end with it.
	bobCookie1 := s.login(bobLogin, pwBob)
	s.cookie("bob's first session cookie", bobCookie1)
	bobSess1 := s.cookieClient(bobCookie1)
	s.expect(bobSess1, http.StatusOK, "GET", "/api/user", nil)
	pwBob2 := s.password("bob's second password", "bob2-"+secRandom(t, 16), bobLogin).value
	s.expect(bobSess1, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": pwBob, "newPassword": pwBob2})
	s.failLogin(bobLogin, pwBob)
	bobCookie2 := s.login(bobLogin, pwBob2)
	s.cookie("bob's second session cookie", bobCookie2)
	bobSess2 := s.cookieClient(bobCookie2)
	s.expect(bobSess2, http.StatusOK, "GET", "/api/user", nil)

	// The admin resets carol's password; the old one stops working.
	carolCookie1 := s.login(carolLogin, pwCarol)
	s.cookie("carol's first session cookie", carolCookie1)
	pwCarol2 := s.password("carol's reset password", "car2-"+secRandom(t, 16), carolLogin).value
	s.expect(admin, http.StatusOK, "PUT", fmt.Sprintf("/api/admin/users/%d/password", carolID), map[string]string{"password": pwCarol2})
	s.expect(s.cookieClient(carolCookie1), http.StatusUnauthorized, "GET", "/api/user", nil)
	s.failLogin(carolLogin, pwCarol)
	carolCookie2 := s.login(carolLogin, pwCarol2)
	s.cookie("carol's second session cookie", carolCookie2)
	carolSess := s.cookieClient(carolCookie2)
	s.expect(carolSess, http.StatusOK, "GET", "/api/user", nil)

	// Service accounts and tokens, with and without expiry.
	saName := "sec-visible-sa-" + suffix
	sa1 := s.createSA(admin, saName, "Admin")
	sa2 := s.createSA(admin, "sec-viewer-"+suffix, "Viewer")
	sa3 := s.createSA(admin, "sec-editor-"+suffix, "Editor")
	type tok struct {
		sa, id int64
		key    string
	}
	t1 := tok{sa1, 0, ""}
	t1.id, t1.key = s.issue(admin, sa1, "t1-never", 0)
	t2 := tok{sa: sa1}
	t2.id, t2.key = s.issue(admin, sa1, "t2-hour", 3600)
	t3 := tok{sa: sa2}
	t3.id, t3.key = s.issue(admin, sa2, "t3-day", 86400)
	t4 := tok{sa: sa2}
	t4.id, t4.key = s.issue(admin, sa2, "t4-never", 0)
	t5 := tok{sa: sa3}
	t5.id, t5.key = s.issue(admin, sa3, "t5-never", 0)
	t6 := tok{sa: sa3}
	t6.id, t6.key = s.issue(admin, sa3, "t6-minute", 60)
	// A token issued by a token (the Admin-role account managing another account).
	t7 := tok{sa: sa2}
	t7.id, t7.key = s.issue(ts.bearer(t1.key), sa2, "t7-by-token", 7200)
	all := []tok{t1, t2, t3, t4, t5, t6, t7}

	// Use every token, as Bearer and as Basic api_key.
	for _, k := range all {
		s.expect(ts.bearer(k.key), http.StatusOK, "GET", "/api/org", nil)
		s.expect(ts.basic("api_key", k.key), http.StatusOK, "GET", "/api/user", nil)
	}
	s.expect(ts.bearer(t1.key), http.StatusOK, "GET", "/api/serviceaccounts/search?perpage=50&page=1", nil)
	s.expect(ts.bearer(t1.key), http.StatusOK, "PATCH", fmt.Sprintf("/api/serviceaccounts/%d", sa2), map[string]any{"role": "Viewer"})

	// Refused tokens: well formed but unknown, a wrong checksum, the wrong org, in a query
	// string, as a user's password, under another scheme.
	unknown, err := warden.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	garbage := unknown.Reveal()
	s.token("a well-formed unknown token", garbage, -1)
	s.expect(ts.bearer(garbage), http.StatusUnauthorized, "GET", "/api/org", nil)
	s.expect(ts.basic("api_key", garbage), http.StatusUnauthorized, "GET", "/api/org", nil)
	s.expect(ts.bearer(t3.key[:len(t3.key)-1]+flipHex(t3.key[len(t3.key)-1])), http.StatusUnauthorized, "GET", "/api/org", nil)
	s.expect(ts.bearer(t4.key).with("X-Grafana-Org-Id", "7"), http.StatusUnauthorized, "GET", "/api/org", nil)
	s.do(ts.anon(), "GET", "/api/org?api_key="+t4.key+"&token="+t4.key, nil)
	s.expect(ts.basic(carolLogin, t6.key), http.StatusUnauthorized, "GET", "/api/user", nil)
	s.do(ts.anon().with("Authorization", "Token "+t6.key), "GET", "/api/org", nil)

	// lastUsedAt is written by the background flusher: wait for it, so the files hold it.
	s.waitLastUsed(admin, t1.sa, t1.id)
	s.waitLastUsed(admin, t7.sa, t7.id)

	// Delete two tokens and an account (with its tokens); deleted tokens are refused.
	s.expect(admin, http.StatusOK, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", t2.sa, t2.id), nil)
	s.expect(admin, http.StatusOK, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", t4.sa, t4.id), nil)
	s.expect(admin, http.StatusOK, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d", sa3), nil)
	for _, k := range []tok{t2, t4, t5, t6} {
		s.expect(ts.bearer(k.key), http.StatusUnauthorized, "GET", "/api/org", nil)
		s.expect(ts.basic("api_key", k.key), http.StatusUnauthorized, "GET", "/api/org", nil)
	}
	for _, k := range []tok{t1, t3, t7} {
		s.expect(ts.bearer(k.key), http.StatusOK, "GET", "/api/org", nil)
	}

	// Delete a user; sign out a live session; sign the admin in again for the UI pages.
	s.expect(admin, http.StatusOK, "DELETE", fmt.Sprintf("/api/admin/users/%d", aliceID), nil)
	s.do(adminSess0, "GET", "/logout", nil)
	adminCookie1 := s.login("admin", adminPW)
	s.cookie("admin's second session cookie", adminCookie1)
	adminSess1 := s.cookieClient(adminCookie1)

	// Later responses: the lists and pages that show accounts, tokens and users.
	later := len(s.resps)
	for _, p := range []string{
		"/api/serviceaccounts/search?perpage=100&page=1",
		fmt.Sprintf("/api/serviceaccounts/%d", sa1),
		fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa1),
		fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa2),
		fmt.Sprintf("/api/access-control/serviceaccounts/%d", sa1),
		"/api/users/search?perpage=100&page=1",
		"/api/users?perpage=100&page=1",
		fmt.Sprintf("/api/users/%d", bobID),
		fmt.Sprintf("/api/users/%d", carolID),
		fmt.Sprintf("/api/users/%d/orgs", carolID),
		"/api/users/lookup?loginOrEmail=" + bobLogin,
		"/api/org/users",
		"/api/org/users/search?perpage=100&page=1",
		"/api/user",
		"/api/user/orgs",
		"/api/org",
		"/api/access-control/user/permissions",
		"/api/frontend/settings",
	} {
		s.expect(admin, http.StatusOK, "GET", p, nil)
	}
	s.expect(adminSess1, http.StatusSeeOther, "GET", "/", nil)
	for _, p := range []string{"/org/serviceaccounts", fmt.Sprintf("/org/serviceaccounts/%d", sa1), "/org/users"} {
		s.expect(adminSess1, http.StatusOK, "GET", p, nil)
	}
	for _, c := range []*client{carolSess, bobSess2, ts.basic("api_key", t1.key), ts.bearer(t3.key), ts.bearer(t7.key)} {
		s.expect(c, http.StatusOK, "GET", "/api/user", nil)
	}
	s.expect(ts.bearer(t1.key), http.StatusOK, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa2), nil)
	s.expect(ts.anon(), http.StatusOK, "GET", "/api/health", nil)
	s.expect(ts.anon(), http.StatusOK, "GET", "/metrics", nil)

	// What the searches of the files must find: the account's name, a login, and the stored
	// hashes of live tokens and live sessions (sessions are stored as hex SHA-256).
	present := []string{saName, bobLogin, carolLogin}
	for _, k := range []tok{t1, t3, t7} {
		sum := sha256.Sum256([]byte(k.key))
		present = append(present, "sha256:"+hex.EncodeToString(sum[:]))
	}
	for _, c := range []string{carolCookie2, bobCookie2, adminCookie1} {
		sum := sha256.Sum256([]byte(c))
		present = append(present, hex.EncodeToString(sum[:]))
	}

	s.checkStore("while running", present)
	s.checkResponses(later, []string{saName, bobLogin, carolLogin})
	ts.Stop()
	s.checkStore("after shutdown", present)
	s.checkLogs(banner, generated, []string{
		"caller=user:1", fmt.Sprintf("caller=user:%d", bobID), fmt.Sprintf("caller=user:%d", carolID),
		fmt.Sprintf("caller=service_account:%d", sa1), fmt.Sprintf("caller=service_account:%d", sa2),
		"route=\"POST /login\"", "route=\"GET /logout\"", "route=\"PUT /api/user/password\"",
		"route=\"DELETE /api/serviceaccounts/{id}/tokens/{tokenId}\"",
	})

	// Offline reset of the admin password: neither the command's output nor the store keeps it.
	pwReset := s.password("the admin password set by reset-admin-password", "rst-"+secRandom(t, 20), "admin").value
	res := runCLI(t, ts.sameStore(nil), pwReset+"\n", "admin", "reset-admin-password", "--password-from-stdin")
	cliWantOK(t, res)
	s.checkText("the output of reset-admin-password", []byte(res.Stdout+res.Stderr))
	s.checkStore("after reset-admin-password", present[:1])
}

// secSecret is one secret of the scenario and the forms it is searched in.
type secSecret struct {
	what   string
	value  string
	forms  []secForm
	issued int  // index in secRun.resps of the response that hands it out; -1: none
	banner bool // the generated admin password: printed once in the banner
}

type secForm struct {
	name string
	b    []byte
}

// secResp is a recorded response: what was asked, and the body and headers received.
type secResp struct {
	label string
	text  []byte
}

// secRun drives the scenario, records the secrets and every response.
type secRun struct {
	t       *testing.T
	ts      *testServer
	secrets []*secSecret
	resps   []secResp
}

func secRandom(t *testing.T, n int) string {
	t.Helper()
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

var secBannerRE = regexp.MustCompile(`\n=+\n  Warden created the server admin\. Sign in with:\n    user:     admin\n` +
	`    password: (\S+)\n  This password is shown only now\. Change it after signing in\.\n=+\n`)

// secBanner returns the one banner block in logs and the password it prints.
func secBanner(t *testing.T, logs string) (block, password string) {
	t.Helper()
	m := secBannerRE.FindAllStringSubmatch(logs, -1)
	if len(m) != 1 {
		t.Fatalf("found %d banners with a generated admin password, want 1; stderr:\n%s", len(m), logs)
	}
	if len(m[0][1]) < 16 {
		t.Fatalf("generated admin password %q is shorter than 16 characters", m[0][1])
	}
	return m[0][0], m[0][1]
}

func (s *secRun) add(what, value string, issued int, forms ...secForm) *secSecret {
	s.t.Helper()
	if len(value) < 6 {
		s.t.Fatalf("secret %s = %q: too short to search for", what, value)
	}
	sec := &secSecret{what: what, value: value, issued: issued,
		forms: append([]secForm{{"plaintext", []byte(value)}, {"hex", []byte(hex.EncodeToString([]byte(value)))}}, forms...)}
	s.secrets = append(s.secrets, sec)
	return sec
}

// password records a password, also searched as the Basic credentials of each user.
func (s *secRun) password(what, pw string, users ...string) *secSecret {
	var forms []secForm
	for _, u := range users {
		forms = append(forms, secForm{"base64 of " + u + ":password", []byte(base64.StdEncoding.EncodeToString([]byte(u + ":" + pw)))})
	}
	return s.add(what, pw, -1, forms...)
}

// token records a token's plaintext, also searched as its 32-character random part and as
// the base64 of the token and of the Basic credentials api_key:<token>.
func (s *secRun) token(what, key string, issued int) {
	s.t.Helper()
	sec, ok := warden.ParseSecret(key)
	if !ok {
		s.t.Fatalf("%s %q is not a well-formed token", what, key)
	}
	_, random, _ := sec.Parts()
	if len(random) < 32 {
		s.t.Fatalf("%s: random part %q shorter than 32 characters", what, random)
	}
	s.add(what, key, issued,
		secForm{"random part", []byte(random)},
		secForm{"base64", []byte(base64.StdEncoding.EncodeToString([]byte(key)))},
		secForm{"base64 of api_key:token", []byte(base64.StdEncoding.EncodeToString([]byte("api_key:" + key)))})
}

// cookie records a session cookie (issued by the last response), also searched as the raw
// random bytes it encodes and their hex.
func (s *secRun) cookie(what, v string) {
	s.t.Helper()
	var forms []secForm
	if raw, err := base64.RawURLEncoding.DecodeString(v); err == nil && len(raw) >= 16 {
		forms = append(forms, secForm{"decoded bytes", raw}, secForm{"hex of decoded bytes", []byte(hex.EncodeToString(raw))})
	} else {
		s.t.Fatalf("%s %q is not base64url of at least 16 bytes", what, v)
	}
	s.add(what, v, len(s.resps)-1, forms...)
}

// do sends a request and records the response's body and headers.
func (s *secRun) do(c *client, method, path string, body any) *response {
	s.t.Helper()
	r := c.do(s.t, method, path, body)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n", r.Status)
	if err := r.Header.Write(&b); err != nil {
		s.t.Fatal(err)
	}
	b.WriteString("\n")
	b.Write(r.Body)
	s.resps = append(s.resps, secResp{label: fmt.Sprintf("#%d %s %s -> %d", len(s.resps), method, path, r.Status), text: b.Bytes()})
	return r
}

func (s *secRun) expect(c *client, status int, method, path string, body any) *response {
	s.t.Helper()
	r := s.do(c, method, path, body)
	if r.Status != status {
		s.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.Status, status, r.Body)
	}
	return r
}

// login signs in with JSON POST /login and returns the session cookie's value.
func (s *secRun) login(user, pass string) string {
	s.t.Helper()
	r := s.expect(s.ts.anon(), http.StatusOK, "POST", "/login", map[string]string{"user": user, "password": pass})
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == wardenhttp.SessionCookie && c.Value != "" {
			return c.Value
		}
	}
	s.t.Fatalf("POST /login as %s set no %s cookie: %v", user, wardenhttp.SessionCookie, r.Header)
	return ""
}

// failLogin expects a refused JSON sign-in.
func (s *secRun) failLogin(user, pass string) {
	s.t.Helper()
	r := s.expect(s.ts.anon(), http.StatusUnauthorized, "POST", "/login", map[string]string{"user": user, "password": pass})
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == wardenhttp.SessionCookie && c.Value != "" {
			s.t.Fatalf("a refused sign-in as %s set a session cookie", user)
		}
	}
}

// cookieClient sends exactly this session cookie (no jar), with the Origin writes need.
func (s *secRun) cookieClient(v string) *client {
	c := s.ts.anon().with("Origin", s.ts.URL).with("Cookie", wardenhttp.SessionCookie+"="+v)
	c.http.Jar = nil
	return c
}

func (s *secRun) createUser(admin *client, login, pw string) int64 {
	s.t.Helper()
	r := s.expect(admin, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"login": login, "email": login + "@example.com", "name": "Name of " + login, "password": pw})
	return taID(s.t, r.JSON(s.t), "id")
}

func (s *secRun) createSA(c *client, name, role string) int64 {
	s.t.Helper()
	r := s.expect(c, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]any{"name": name, "role": role})
	return taID(s.t, r.JSON(s.t), "id")
}

// issue creates a token and records it as a secret handed out by this response only.
func (s *secRun) issue(c *client, saID int64, name string, secondsToLive int64) (int64, string) {
	s.t.Helper()
	body := map[string]any{"name": name}
	if secondsToLive != 0 {
		body["secondsToLive"] = secondsToLive
	}
	r := s.expect(c, http.StatusOK, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID), body)
	m := r.JSON(s.t)
	key, _ := m["key"].(string)
	s.token("token "+name, key, len(s.resps)-1)
	return taID(s.t, m, "id"), key
}

// waitLastUsed polls the token list until the token shows a lastUsedAt.
func (s *secRun) waitLastUsed(c *client, saID, tokenID int64) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, row := range s.expect(c, http.StatusOK, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID), nil).List(s.t) {
			if id, _ := row["id"].(float64); int64(id) == tokenID && row["lastUsedAt"] != nil {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("token %d of service account %d shows no lastUsedAt after 10s", tokenID, saID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// found returns the forms of sec that occur in hay.
func (sec *secSecret) found(hay []byte) []string {
	var names []string
	for _, f := range sec.forms {
		if bytes.Contains(hay, f.b) {
			names = append(names, f.name)
		}
	}
	return names
}

// checkText fails for every secret found in text.
func (s *secRun) checkText(where string, text []byte) {
	s.t.Helper()
	for _, sec := range s.secrets {
		if f := sec.found(text); len(f) != 0 {
			s.t.Errorf("%s contains %s (%q) as %s", where, sec.what, sec.value, strings.Join(f, ", "))
		}
	}
}

// checkStore searches the store — every file of the data directory on SQLite, every row of
// every table on PostgreSQL — for the secrets, and for the present values, which it must find.
func (s *secRun) checkStore(when string, present []string) {
	s.t.Helper()
	var all []byte
	if s.ts.Postgres {
		all = postgresDump(s.t, s.ts)
		s.checkText(when+": the PostgreSQL rows", all)
		s.t.Logf("%s: searched %d bytes of PostgreSQL row text for %d secrets", when, len(all), len(s.secrets))
	} else {
		files := map[string][]byte{}
		err := filepath.WalkDir(s.ts.DataDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.ts.DataDir, p)
			files[rel] = b
			return nil
		})
		if err != nil {
			s.t.Fatal(err)
		}
		if _, ok := files["warden.db"]; !ok {
			s.t.Fatalf("%s: no warden.db in %s (files: %v)", when, s.ts.DataDir, secKeys(files))
		}
		if when == "while running" {
			for _, f := range []string{"warden.db-wal", "warden.db-shm"} {
				if _, ok := files[f]; !ok {
					s.t.Errorf("%s: no %s in %s (files: %v); is the database in WAL mode?", when, f, s.ts.DataDir, secKeys(files))
				}
			}
		}
		var sizes []string
		for _, name := range secKeys(files) {
			s.checkText(when+": "+name, files[name])
			all = append(all, files[name]...)
			sizes = append(sizes, fmt.Sprintf("%s %d bytes", name, len(files[name])))
		}
		s.t.Logf("%s: searched %s for %d secrets", when, strings.Join(sizes, ", "), len(s.secrets))
	}
	for _, p := range present {
		if !bytes.Contains(all, []byte(p)) {
			s.t.Errorf("%s: the search of the store does not find %q, which is stored: it cannot be trusted", when, p)
		}
	}
}

// checkResponses searches every recorded response (body and headers) for every secret, except
// the response that handed that secret out; responses from index later on must show present.
func (s *secRun) checkResponses(later int, present []string) {
	s.t.Helper()
	n := 0
	for i, r := range s.resps {
		n += len(r.text)
		for _, sec := range s.secrets {
			if sec.issued == i {
				if len(sec.found(r.text)) == 0 {
					s.t.Errorf("%s does not contain %s, which it hands out: the search cannot be trusted", r.label, sec.what)
				}
				continue
			}
			if f := sec.found(r.text); len(f) != 0 {
				s.t.Errorf("response %s contains %s (%q) as %s:\n%s", r.label, sec.what, sec.value, strings.Join(f, ", "), r.text)
			}
		}
	}
	var tail []byte
	for _, r := range s.resps[later:] {
		tail = append(tail, r.text...)
	}
	for _, p := range present {
		if !bytes.Contains(tail, []byte(p)) {
			s.t.Errorf("the later responses do not show %q: the search cannot be trusted", p)
		}
	}
	s.t.Logf("searched %d responses (%d bytes, %d of them read after the scenario) for %d secrets",
		len(s.resps), n, len(s.resps)-later, len(s.secrets))
}

// checkLogs searches every line the server wrote, banner excepted, for every secret. The
// generated password occurs exactly once in all of it: in the banner.
func (s *secRun) checkLogs(banner, generated string, present []string) {
	s.t.Helper()
	logs := s.ts.Logs()
	if n := strings.Count(logs, generated); n != 1 {
		s.t.Errorf("the generated admin password occurs %d times in the server's output, want once (the banner)", n)
	}
	if n := strings.Count(logs, banner); n != 1 {
		s.t.Fatalf("the banner occurs %d times in the server's output, want once", n)
	}
	rest := strings.Replace(logs, banner, "\n", 1)
	lines := strings.Split(rest, "\n")
	requests := 0
	for i, line := range lines {
		if strings.Contains(line, "msg=request ") {
			requests++
		}
		for _, sec := range s.secrets {
			if f := sec.found([]byte(line)); len(f) != 0 {
				s.t.Errorf("log line %d contains %s (%q) as %s:\n%s", i+1, sec.what, sec.value, strings.Join(f, ", "), line)
			}
		}
	}
	for _, p := range present {
		if !strings.Contains(rest, p) {
			s.t.Errorf("the logs do not contain %q: the search cannot be trusted; logs:\n%s", p, rest)
		}
	}
	if requests < len(s.resps) {
		s.t.Errorf("%d access-log lines for %d requests made: the log is not complete", requests, len(s.resps))
	}
	if !strings.Contains(rest, "level=DEBUG") && !strings.Contains(rest, "level=INFO") {
		s.t.Errorf("no log records at all")
	}
	s.t.Logf("searched %d log lines (%d bytes, %d access-log lines) for %d secrets", len(lines), len(rest), requests, len(s.secrets))
}

func secKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
