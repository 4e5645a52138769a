package main

// Users as the server admin manages them (/api/admin/users, /api/users): create, get, look
// up, search, update, passwords, server-admin grants, disable, delete, and who may do it.

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestUsers_AdminCreatesUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"})
	m := r.JSON(t)
	wantKeys(t, m, "id", "uid", "message")
	wantFields(t, m, map[string]any{"message": "User created"})
	if id := idOf(t, m, "id"); id <= 1 {
		t.Fatalf("id = %d, want a new id > 1", id)
	}
	if uid, _ := m["uid"].(string); uid == "" {
		t.Fatalf("uid = %#v, want a non-empty string", m["uid"])
	}
	// Login and email are stored lower-cased.
	id := ts.createUser(t, map[string]any{"email": "Mixed@Example.COM", "login": "MixedCase", "password": "pass"})
	p := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(id), nil).JSON(t)
	wantFields(t, p, map[string]any{"login": "mixedcase", "email": "mixed@example.com"})
}

func TestUsers_CreateConflict(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"})
	wantBody(t, r, `{"message":"User with email 'u@example.com' or username 'u' already exists"}`)
	// The check is case-insensitive and the message quotes the values as sent.
	r = ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"email": "U@EXAMPLE.COM", "login": "U2", "password": "pass"})
	wantBody(t, r, `{"message":"User with email 'U@EXAMPLE.COM' or username 'U2' already exists"}`)
	r = ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"login": "U", "password": "pass"})
	wantBody(t, r, `{"message":"User with email '' or username 'U' already exists"}`)
}

func TestUsers_CreateEmailCollidesWithLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"login": "v", "password": "pass"})
	r := ts.admin().expect(t, http.StatusPreconditionFailed, "POST", "/api/admin/users",
		map[string]any{"email": "v", "login": "x", "password": "pass"})
	wantBody(t, r, `{"message":"User with email 'v' or username 'x' already exists"}`)
}

// A create without a password, without login and email, with a password under four characters
// or in an org that does not exist is refused, and creates nothing.
func TestUsers_CreateRefusals(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", map[string]any{"login": "w"})
	wantBody(t, r, `{"message":"bad request data"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", map[string]any{"password": "pass"})
	wantFields(t, r.JSON(t), map[string]any{"message": "Need to specify either username or email",
		"messageId": "user.empty-username-and-email", "statusCode": 400})
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", map[string]any{"login": "w", "password": "abc"})
	wantFields(t, r.JSON(t), map[string]any{"message": "New password is too short"})
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=w", nil)
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users",
		map[string]any{"login": "y", "password": "pass", "OrgId": 999})
	wantFields(t, r.JSON(t), map[string]any{"message": "organization not found"})
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=y", nil)
}

func TestUsers_CreateInOtherOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	z := ts.createUser(t, map[string]any{"login": "z", "password": "pass", "OrgId": 2})
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil)
	wantBody(t, r, `[{"orgId":2,"name":"Org2","role":"Viewer"}]`)
	// orgId binds case-insensitively too.
	y := ts.createUser(t, map[string]any{"login": "y2", "password": "pass", "orgId": 2})
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(y)+"/orgs", nil)
	wantBody(t, r, `[{"orgId":2,"name":"Org2","role":"Viewer"}]`)
}

func TestUsers_NewUserIsViewerOfMainOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	r := ts.basic("u", "pass").expect(t, http.StatusOK, "GET", "/api/user/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Viewer"}]`)
}

// The SA-id part (GET /api/users/<saId> → 404) waits for the service-account routes.
func TestUsers_GetByID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{
		"id": u, "login": "u", "email": "u@example.com", "name": "U", "orgId": 1,
		"isGrafanaAdmin": false, "isDisabled": false, "authLabels": []string{},
		"avatarUrl": "/avatar/" + md5hex("u@example.com"),
	})
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/99999", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

// The SA part (…?loginOrEmail=sa-1-bot → 404) waits for the service-account routes.
func TestUsers_LookupByLoginOrEmail(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/lookup?loginOrEmail=u@example.com", nil).JSON(t)
	wantFields(t, m, map[string]any{"id": u, "login": "u", "email": "u@example.com"})
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/lookup?loginOrEmail=u", nil).JSON(t)
	wantFields(t, m, map[string]any{"id": u, "login": "u"})
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=ghost", nil)
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

func TestUsers_AdminSetsPasswordAndEndsSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	uc := ts.login(t, "u", "pass")
	uc.expect(t, http.StatusOK, "GET", "/api/user", nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+itoa64(u)+"/password", map[string]string{"password": "newpass"})
	wantBody(t, r, `{"message":"User password updated"}`)
	wantUnauthorized(t, uc.do(t, "GET", "/api/user", nil))
	wantLoginFailed(t, postLogin(t, ts, "u", "pass"))
	wantStatus(t, postLogin(t, ts, "u", "newpass"), http.StatusOK)
	// Setting the password also clears the user's failed sign-ins.
	for i := 0; i < 5; i++ {
		wantLoginFailed(t, postLogin(t, ts, "u", "wrong"))
	}
	wantLoginFailed(t, postLogin(t, ts, "u", "newpass"))
	ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+itoa64(u)+"/password", map[string]string{"password": "third"})
	wantStatus(t, postLogin(t, ts, "u", "third"), http.StatusOK)
}

func TestUsers_GrantServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+itoa64(u)+"/permissions", map[string]bool{"isGrafanaAdmin": true})
	wantBody(t, r, `{"message":"User permissions updated"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{"isGrafanaAdmin": true})
	// u now holds the server-admin grants.
	ts.basic("u", "pass").expect(t, http.StatusOK, "GET", "/api/users/1", nil)
}

func TestUsers_CannotRemoveLastServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/admin/users/1/permissions", map[string]bool{"isGrafanaAdmin": false})
	wantBody(t, r, `{"message":"cannot remove last grafana admin"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"isGrafanaAdmin": true})
}

func TestUsers_DisableAndEnable(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	uc := ts.login(t, "u", "pass")
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(u)+"/disable", nil)
	wantBody(t, r, `{"message":"User disabled"}`)
	// Disabling ends the user's sessions.
	wantUnauthorized(t, uc.do(t, "GET", "/api/user", nil))
	r = postLogin(t, ts, "u", "pass")
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"messageId": "identity.disabled"})
	r = ts.basic("u", "pass").do(t, "GET", "/api/user", nil)
	wantStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"message": "Unauthorized", "messageId": "identity.disabled"})
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{"isDisabled": true})
	// Idempotent.
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(u)+"/disable", nil)
	r = ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users/"+itoa64(u)+"/enable", nil)
	wantBody(t, r, `{"message":"User enabled"}`)
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, m, map[string]any{"isDisabled": false})
	wantStatus(t, postLogin(t, ts, "u", "pass"), http.StatusOK)
}

func TestUsers_DisableUnknownUserIs404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/99999/disable", nil)
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/99999/enable", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

// The SA part (DELETE /api/admin/users/<saId> → 404) waits for the service-account routes.
func TestUsers_Delete(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/admin/users/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"User deleted"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/admin/users/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"user not found"}`)
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/"+itoa64(u), nil)
	wantLoginFailed(t, postLogin(t, ts, "u", "pass"))
}

func TestUsers_OrgAdminCannotGrantServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	oa := ts.createUser(t, map[string]any{"login": "oa", "password": "pass"})
	setOrgRole(t, ts, oa, "Admin")
	r := ts.basic("oa", "pass").expect(t, http.StatusForbidden, "PUT", "/api/admin/users/"+itoa64(oa)+"/permissions",
		map[string]bool{"isGrafanaAdmin": true})
	wantBody(t, r, `{"message":"Permission denied"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(oa), nil).JSON(t)
	wantFields(t, m, map[string]any{"isGrafanaAdmin": false})
}

func TestUsers_CreateRefusesMalformedBodies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, c := range []struct {
		name, contentType, body string
	}{
		{"truncated JSON", "application/json", `{"login":"a","password":`},
		{"not JSON", "application/json", `login=a&password=pass`},
		{"array", "application/json", `["a","pass"]`},
		{"login is a number", "application/json", `{"login":123,"password":"pass"}`},
		{"password is an object", "application/json", `{"login":"a","password":{"x":1}}`},
		{"OrgId is a string", "application/json", `{"login":"a","password":"pass","OrgId":"two"}`},
		{"text/plain", "text/plain", `{"login":"a","password":"pass"}`},
		{"form", "application/x-www-form-urlencoded", `login=a&password=pass`},
		{"garbage content type", "%%%", `{"login":"a","password":"pass"}`},
	} {
		r := ts.admin().with("Content-Type", c.contentType).do(t, "POST", "/api/admin/users", c.body)
		if r.Status != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 400; body %s", c.name, r.Status, r.Body)
		}
		wantBody(t, r, `{"message":"bad request data"}`)
	}
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=a", nil)

	// A missing Content-Type is accepted, as is JSON with parameters.
	ts.admin().with("Content-Type", "").expect(t, http.StatusOK, "POST", "/api/admin/users", `{"login":"nct","password":"pass"}`)
	ts.admin().with("Content-Type", "application/json; charset=utf-8").expect(t, http.StatusOK, "POST", "/api/admin/users", `{"login":"cs","password":"pass"}`)

	// Over 1 MiB → 413.
	big := `{"login":"big","password":"pass","name":"` + strings.Repeat("x", 1<<20) + `"}`
	r := ts.admin().do(t, "POST", "/api/admin/users", big)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=big", nil)
	r = ts.anon().do(t, "POST", "/login", `{"user":"admin","password":"`+strings.Repeat("x", 1<<20)+`"}`)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	// Malformed sign-in bodies are 400 "bad login data", never 500.
	for _, body := range []string{`{"user":`, `{"user":1,"password":"admin"}`, `[]`} {
		r = ts.anon().do(t, "POST", "/login", body)
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r.JSON(t), map[string]any{"message": "bad login data"})
	}
	// Just under the limit is read (and bound).
	ok := `{"login":"nearly","password":"pass","name":"` + strings.Repeat("x", 1<<20-100) + `"}`
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users", ok)
}

// Logins and emails are bounded like Grafana's columns (190 characters): longer ones get 400,
// not a database error, on either store; names are not bounded (a 3,000-character one works,
// which an index on names would break on PostgreSQL).
func TestUsers_LoginAndEmailLengthBounded(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	long := strings.Repeat("l", 191)
	for _, body := range []map[string]any{
		{"login": long, "password": "pass"},
		{"login": "short", "email": long + "@example.com", "password": "pass"},
	} {
		r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users", body)
		wantMessage(t, r, "login and email must be at most 190 characters")
	}
	ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"login": strings.Repeat("k", 190), "password": "pass", "name": strings.Repeat("n", 3000)})
	id := ts.createUser(t, map[string]any{"login": "renamed", "password": "pass"})
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/users/"+strconv.FormatInt(id, 10), map[string]any{"login": long})
	wantMessage(t, r, "login and email must be at most 190 characters")
}

func TestUsers_ListAndSearch(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	apiSA(t, ts.admin(), "bot", "Admin")

	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/users", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"admin", "u"}) {
		t.Fatalf("GET /api/users logins = %q, want [admin u] (no service accounts)", got)
	}
	for _, m := range list {
		wantKeys(t, m, "id", "uid", "name", "login", "email", "avatarUrl", "isAdmin", "isDisabled",
			"lastSeenAt", "lastSeenAtAge", "authLabels")
		if m["login"] == "u" {
			wantFields(t, m, map[string]any{"id": u, "name": "U", "email": "u@example.com", "isAdmin": false,
				"isDisabled": false, "lastSeenAtAge": "10 years", "authLabels": []string{},
				"avatarUrl": "/avatar/" + md5hex("u@example.com")})
		} else {
			wantFields(t, m, map[string]any{"id": 1, "isAdmin": true, "email": "admin@localhost"})
		}
	}

	m, logins := apiSearchUsers(t, ts, "?perpage=1&page=2")
	wantKeys(t, m, "totalCount", "users", "page", "perPage")
	wantFields(t, m, map[string]any{"totalCount": 2, "page": 2, "perPage": 1})
	if !apiEqual(logins, []string{"u"}) {
		t.Fatalf("page 2 of 1 = %q, want [u]", logins)
	}
	m, logins = apiSearchUsers(t, ts, "")
	wantFields(t, m, map[string]any{"totalCount": 2, "page": 1, "perPage": 1000})
	if !apiEqual(logins, []string{"admin", "u"}) {
		t.Fatalf("search logins = %q, want [admin u]", logins)
	}
	// The array form pages too.
	list = ts.admin().expect(t, http.StatusOK, "GET", "/api/users?perpage=1&page=2", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"u"}) {
		t.Fatalf("GET /api/users?perpage=1&page=2 = %q, want [u]", got)
	}
}

func TestUsers_SearchSortAndPagingBounds(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	ts.createUser(t, map[string]any{"login": "zed", "email": "a-zed@example.com", "name": "Zed", "password": "pass"})

	_, logins := apiSearchUsers(t, ts, "?sort=login-desc")
	if !apiEqual(logins, []string{"zed", "u", "admin"}) {
		t.Fatalf("sort=login-desc = %q, want [zed u admin]", logins)
	}
	_, logins = apiSearchUsers(t, ts, "?sort=email-asc")
	if !apiEqual(logins, []string{"zed", "admin", "u"}) {
		t.Fatalf("sort=email-asc = %q, want [zed admin u]", logins)
	}
	// Unknown sort keys are ignored (default login order), never an error.
	_, logins = apiSearchUsers(t, ts, "?sort=id;DROP%20TABLE%20users,nope")
	if !apiEqual(logins, []string{"admin", "u", "zed"}) {
		t.Fatalf("unknown sort = %q, want the default [admin u zed]", logins)
	}
	// perpage is clamped to 1…1000 and page to ≥ 1; nothing is a 500.
	for _, q := range []string{"?perpage=0", "?perpage=5000", "?perpage=-1", "?perpage=abc", "?page=0", "?page=-3",
		"?page=abc", "?perpage=-1&page=-1"} {
		m, logins := apiSearchUsers(t, ts, q)
		wantFields(t, m, map[string]any{"totalCount": 3, "page": 1, "perPage": 1000})
		if len(logins) != 3 {
			t.Fatalf("%s: %q, want all three users", q, logins)
		}
		ts.admin().expect(t, http.StatusOK, "GET", "/api/users"+q, nil)
	}
	m, logins := apiSearchUsers(t, ts, "?perpage=1&page=99999999999")
	wantFields(t, m, map[string]any{"totalCount": 3, "perPage": 1})
	if len(logins) != 0 {
		t.Fatalf("a page past the end = %q, want none", logins)
	}
}

func TestUsers_SearchIsCaseInsensitiveAndLiteral(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	m, logins := apiSearchUsers(t, ts, "?query=EXAMPLE")
	wantFields(t, m, map[string]any{"totalCount": 1})
	if !apiEqual(logins, []string{"u"}) {
		t.Fatalf("query=EXAMPLE = %q, want [u]", logins)
	}
	// Login and name match too; LIKE wildcards are taken literally.
	for q, want := range map[string][]string{"?query=ADM": {"admin"}, "?query=u": {"u"}, "?query=%25": {}, "?query=_": {}} {
		_, logins = apiSearchUsers(t, ts, q)
		if !apiEqual(logins, want) {
			t.Fatalf("%s = %q, want %q", q, logins, want)
		}
	}
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/users?query=example", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"u"}) {
		t.Fatalf("GET /api/users?query=example = %q, want [u]", got)
	}
}

func TestUsers_ServiceAccountIDIsNotAUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/"+itoa64(sa), nil)
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/"+itoa64(sa)+"/orgs", nil)
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "PUT", "/api/users/"+itoa64(sa), map[string]string{"login": "x"})
	wantBody(t, r, `{"message":"user not found"}`)
}

func TestUsers_LookupDoesNotFindServiceAccounts(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	apiSA(t, ts.admin(), "bot", "")
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=sa-1-bot", nil)
	wantBody(t, r, `{"message":"user not found"}`)
}

func TestUsers_AdminRoutesDoNotTouchServiceAccounts(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	r := ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/admin/users/"+itoa64(sa), nil)
	wantBody(t, r, `{"message":"user not found"}`)
	for _, path := range []string{"/disable", "/enable"} {
		r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/"+itoa64(sa)+path, nil)
		wantBody(t, r, `{"message":"user not found"}`)
	}
	r = ts.admin().expect(t, http.StatusNotFound, "PUT", "/api/admin/users/"+itoa64(sa)+"/password", map[string]string{"password": "secret"})
	wantBody(t, r, `{"message":"user not found"}`)
	// The account is untouched.
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa), nil).JSON(t)
	wantFields(t, m, map[string]any{"id": sa, "login": "sa-1-bot", "isDisabled": false})
}

func TestUsers_DeleteEndsSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	s := ts.login(t, "u", "pass")
	s.expect(t, http.StatusOK, "GET", "/api/user", nil)
	value := sessionValue(t, s)
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/admin/users/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"User deleted"}`)
	wantUnauthorized(t, s.do(t, "GET", "/api/user", nil))
	wantUnauthorized(t, cookieClient(ts, value).do(t, "GET", "/api/org", nil))
}

func TestUsers_ViewerIsDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	uc := ts.basic("u", "pass")
	wantAccessDenied(t, uc.do(t, "GET", "/api/users/"+itoa64(u), nil), "users:read")
	wantAccessDenied(t, uc.do(t, "POST", "/api/admin/users", map[string]any{"login": "q", "password": "pass"}), "users:create")
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/lookup?loginOrEmail=q", nil)
	wantAccessDenied(t, uc.do(t, "GET", "/api/users", nil), "users:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/users/search", nil), "users:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/users/search?query=admin", nil), "users:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/users/lookup?loginOrEmail=admin", nil), "users:read")
	wantAccessDenied(t, uc.do(t, "PUT", "/api/users/1", map[string]string{"login": "admin", "name": "pwned"}), "users:write")
	// An org Admin is no server admin either.
	setOrgRole(t, ts, idOf(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/lookup?loginOrEmail=u", nil).JSON(t), "id"), "Admin")
	wantAccessDenied(t, uc.do(t, "GET", "/api/users", nil), "users:read")
	wantFields(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/1", nil).JSON(t), map[string]any{"name": ""})
}

func TestUsers_ServiceAccountTokenIsDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "Admin")
	c := ts.bearer(apiToken(t, ts.admin(), sa, "bot-token"))
	wantAccessDenied(t, c.do(t, "GET", "/api/users", nil), "users:read")
	wantAccessDenied(t, c.do(t, "GET", "/api/users/search", nil), "users:read")
	wantAccessDenied(t, c.do(t, "GET", "/api/users/1", nil), "users:read")
	wantAccessDenied(t, c.do(t, "POST", "/api/admin/users", map[string]any{"login": "q", "password": "pass"}), "users:create")
	r := c.expect(t, http.StatusForbidden, "PUT", "/api/admin/users/1/permissions", map[string]bool{"isGrafanaAdmin": false})
	wantBody(t, r, `{"message":"Permission denied"}`)
}

func TestUsers_UIDsInPaths(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	m := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"}).JSON(t)
	u, uid := idOf(t, m, "id"), m["uid"].(string)

	p := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+uid, nil).JSON(t)
	wantFields(t, p, map[string]any{"id": u, "uid": uid, "login": "u"})
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+uid+"/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Viewer"}]`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/doesnotexist", nil)
	wantBody(t, r, `{"message":"User not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/doesnotexist/disable", nil)
	wantBody(t, r, `{"message":"User not found"}`)
	r = ts.admin().expect(t, http.StatusOK, "PUT", "/api/admin/users/"+uid+"/password", map[string]string{"password": "byuid"})
	wantBody(t, r, `{"message":"User password updated"}`)
	wantStatus(t, postLogin(t, ts, "u", "byuid"), http.StatusOK)
	// A service account's UID is no user UID.
	sa := ts.admin().expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]string{"name": "bot"}).JSON(t)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/"+sa["uid"].(string), nil)
	wantBody(t, r, `{"message":"User not found"}`)
	// The org-user routes take a UID too.
	r = ts.admin().expect(t, http.StatusOK, "PATCH", "/api/org/users/"+uid, map[string]string{"role": "Editor"})
	wantBody(t, r, `{"message":"Organization user updated"}`)
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Admin"}]`)
	r = ts.basic("u", "byuid").expect(t, http.StatusOK, "GET", "/api/user/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Editor"}]`)
}

func TestUsers_UpdateByServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	u := createUserU(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/users/"+itoa64(u),
		map[string]string{"name": " U2 ", "email": "U2@Example.com", "login": "U2", "theme": "dark"})
	wantBody(t, r, `{"message":"User updated"}`)
	p := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, p, map[string]any{"name": "U2", "email": "u2@example.com", "login": "u2", "theme": "dark"})
	wantStatus(t, postLogin(t, ts, "u2", "pass"), http.StatusOK)

	r = ts.admin().expect(t, http.StatusConflict, "PUT", "/api/users/"+itoa64(u), map[string]string{"login": "admin"})
	wantBody(t, r, `{"message":"Update would result in user login conflict"}`)
	r = ts.admin().expect(t, http.StatusConflict, "PUT", "/api/users/"+itoa64(u), map[string]string{"login": "u2", "email": "admin@localhost"})
	wantBody(t, r, `{"message":"Update would result in user login conflict"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/users/"+itoa64(u), map[string]string{"name": "x"})
	wantFields(t, r.JSON(t), map[string]any{"message": "Need to specify either username or email",
		"messageId": "user.empty-username-and-email", "statusCode": 400})
	r = ts.admin().expect(t, http.StatusNotFound, "PUT", "/api/users/99999", map[string]string{"login": "x"})
	wantBody(t, r, `{"message":"user not found"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/users/"+itoa64(u), `{"login":`)
	wantBody(t, r, `{"message":"bad request data"}`)
	// Nothing above changed the user.
	p = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(u), nil).JSON(t)
	wantFields(t, p, map[string]any{"name": "U2", "email": "u2@example.com", "login": "u2"})
}
