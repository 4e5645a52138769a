package main

// Helpers of the HTTP API tests (the harness in harness_test.go is shared): assertions on
// answers (status, JSON bodies, the RBAC 403, the 401s of sign-in), sign-in and session
// helpers, and fixtures (a second org, the user u, service accounts, teams).

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
}

// wantBody fails unless r's JSON body equals want (compared as JSON values, so key order and
// spacing do not matter).
func wantBody(t *testing.T, r *response, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body = %s, want %s", strings.TrimSpace(string(r.Body)), want)
	}
}

// normalize turns v into what encoding/json decodes it as (numbers become float64 …).
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantFields fails unless every key of want is in the JSON object m with an equal value.
func wantFields(t *testing.T, m map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		got, ok := m[k]
		if !ok {
			t.Errorf("field %q missing in %v", k, m)
			continue
		}
		if !reflect.DeepEqual(got, normalize(t, v)) {
			t.Errorf("field %q = %#v, want %#v", k, got, v)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// wantKeys fails unless the JSON object m has exactly the keys.
func wantKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keys = %v, want %v (object %v)", got, want, m)
	}
}

var accessErrorIDRe = regexp.MustCompile(`^ACE[0-9]{10}$`)

// wantAccessDenied fails unless r is the RBAC 403 naming action.
func wantAccessDenied(t *testing.T, r *response, action string) {
	t.Helper()
	wantStatus(t, r, http.StatusForbidden)
	m := r.JSON(t)
	wantKeys(t, m, "title", "message", "accessErrorId")
	wantFields(t, m, map[string]any{
		"title":   "Access denied",
		"message": "You'll need additional permissions to perform this action. Permissions needed: " + action,
	})
	if id, _ := m["accessErrorId"].(string); !accessErrorIDRe.MatchString(id) {
		t.Fatalf("accessErrorId = %q, want ACE + 10 digits", m["accessErrorId"])
	}
}

// wantLoginFailed fails unless r is the 401 every failed password check answers.
func wantLoginFailed(t *testing.T, r *response) {
	t.Helper()
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{
		"message":    "Invalid username or password",
		"messageId":  "password-auth.failed",
		"statusCode": 401,
	})
}

// wantUnauthorized fails unless r is the 401 for missing or unusable credentials.
func wantUnauthorized(t *testing.T, r *response) {
	t.Helper()
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"message": "Unauthorized"})
}

// postLogin sends POST /login from a fresh anonymous client.
func postLogin(t *testing.T, ts *testServer, user, pass string) *response {
	t.Helper()
	return ts.anon().do(t, "POST", "/login", map[string]string{"user": user, "password": pass})
}

// sessionCookie returns the warden_session Set-Cookie of r, failing when there is none.
func sessionCookie(t *testing.T, r *response) (*http.Cookie, string) {
	t.Helper()
	for _, line := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("bad Set-Cookie %q: %v", line, err)
		}
		if c.Name == "warden_session" {
			return c, line
		}
	}
	t.Fatalf("no warden_session cookie set; Set-Cookie: %q", r.Header.Values("Set-Cookie"))
	return nil, ""
}

// sessionValue returns the session cookie a logged-in client holds in its jar.
func sessionValue(t *testing.T, c *client) string {
	t.Helper()
	u, _ := url.Parse(c.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "warden_session" {
			return ck.Value
		}
	}
	t.Fatal("client holds no warden_session cookie")
	return ""
}

// cookieClient returns a client that sends only the given session cookie (no jar) and the
// server's own Origin.
func cookieClient(ts *testServer, value string) *client {
	c := ts.anon()
	c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c.with("Cookie", "warden_session="+value).with("Origin", ts.URL)
}

// bare returns a copy of c without its extra headers (so without the Origin login adds).
func bare(c *client) *client {
	cp := *c
	cp.headers = map[string]string{}
	return &cp
}

// idOf returns the numeric field key of m.
func idOf(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	f, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%s = %#v, want a number (in %v)", key, m[key], m)
	}
	return int64(f)
}

func itoa64(id int64) string { return strconv.FormatInt(id, 10) }

// setOrgRole changes a user's role in the admin's current org (org 1).
func setOrgRole(t *testing.T, ts *testServer, userID int64, role string) {
	t.Helper()
	r := ts.admin().expect(t, http.StatusOK, "PATCH", "/api/org/users/"+itoa64(userID), map[string]string{"role": role})
	wantBody(t, r, `{"message":"Organization user updated"}`)
}

// createOrg2 creates org "Org2" as the admin and checks it got id 2.
func createOrg2(t *testing.T, ts *testServer) {
	t.Helper()
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	wantBody(t, r, `{"orgId":2,"message":"Organization created"}`)
}

// createUserU creates the user u (name U, u@example.com, password "pass") and returns its id.
func createUserU(t *testing.T, ts *testServer) int64 {
	t.Helper()
	return ts.createUser(t, map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"})
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

const emptyAddress = `{"address1":"","address2":"","city":"","zipCode":"","state":"","country":""}`

// setupZ creates Org2 and user z in org 2 only, returning z's id.
func setupZ(t *testing.T, ts *testServer) int64 {
	t.Helper()
	createOrg2(t, ts)
	return ts.createUser(t, map[string]any{"login": "z", "password": "pass", "OrgId": 2})
}

// apiSA creates a service account as c (role "" = Viewer) and returns its id and login.
func apiSA(t *testing.T, c *client, name, role string) (int64, string) {
	t.Helper()
	body := map[string]any{"name": name}
	if role != "" {
		body["role"] = role
	}
	m := c.expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", body).JSON(t)
	login, _ := m["login"].(string)
	return idOf(t, m, "id"), login
}

// apiToken issues a never-expiring token for a service account as c and returns its key.
func apiToken(t *testing.T, c *client, saID int64, name string) string {
	t.Helper()
	m := c.expect(t, http.StatusOK, "POST", "/api/serviceaccounts/"+itoa64(saID)+"/tokens", map[string]any{"name": name}).JSON(t)
	key, _ := m["key"].(string)
	if !strings.HasPrefix(key, "glsa_") {
		t.Fatalf("token key = %q, want glsa_…", key)
	}
	return key
}

// apiTeam creates a team as c and returns its id and uid.
func apiTeam(t *testing.T, c *client, name, email string) (int64, string) {
	t.Helper()
	m := c.expect(t, http.StatusOK, "POST", "/api/teams", map[string]string{"name": name, "email": email}).JSON(t)
	wantKeys(t, m, "message", "teamId", "uid")
	wantFields(t, m, map[string]any{"message": "Team created"})
	uid, _ := m["uid"].(string)
	if uid == "" {
		t.Fatalf("team uid = %#v, want a non-empty string", m["uid"])
	}
	return idOf(t, m, "teamId"), uid
}

// apiAddTeamMember adds a user to a team as the admin.
func apiAddTeamMember(t *testing.T, ts *testServer, teamID, userID int64) {
	t.Helper()
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/teams/"+itoa64(teamID)+"/members", map[string]int64{"userId": userID})
	wantBody(t, r, `{"message":"Member added to Team"}`)
}

// apiLogins returns the "login" field of each object of a list.
func apiLogins(list []map[string]any) []string {
	out := []string{}
	for _, m := range list {
		s, _ := m["login"].(string)
		out = append(out, s)
	}
	return out
}

// apiSearchUsers runs GET /api/users/search as the admin and returns the page object and the
// logins on it.
func apiSearchUsers(t *testing.T, ts *testServer, query string) (map[string]any, []string) {
	t.Helper()
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/search"+query, nil).JSON(t)
	raw, ok := m["users"].([]any)
	if !ok {
		t.Fatalf("users = %#v, want an array (body %v)", m["users"], m)
	}
	list := make([]map[string]any, 0, len(raw))
	for _, u := range raw {
		list = append(list, u.(map[string]any))
	}
	return m, apiLogins(list)
}

// apiCount runs a COUNT(*) query (with ? placeholders) on the server's database.
func apiCount(t *testing.T, ts *testServer, query string, args ...any) int {
	t.Helper()
	db := taDB(t, ts)
	defer db.Close() // not kept open until the test ends: a test may count many times
	var n int
	if err := taQueryRow(db, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func apiEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// apiT1Avatar is the avatar of team "t1" (no email): md5("t1@localhost").
const apiT1Avatar = "/avatar/bb4e5192a90e2ff0e5768fe0e78e367e"

// apiTeamDTO is the TeamDTO the API answers for a team of org 1 that nobody asked
// accessControl for.
func apiTeamDTO(id int64, uid, name, email, avatar string, members int) string {
	return `{"id":` + itoa64(id) + `,"uid":"` + uid + `","orgId":1,"name":"` + name + `","email":"` + email +
		`","externalUID":"","isProvisioned":false,"avatarUrl":"` + avatar + `","memberCount":` + itoa64(int64(members)) +
		`,"permission":0,"accessControl":null}`
}

// apiNameAvatar is the avatar of a team without email: md5 of its alphanumeric name at
// localhost.
func apiNameAvatar(name string) string { return saAvatar(name) }
