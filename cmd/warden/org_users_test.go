package main

// Org membership (/api/org/users, /api/orgs/{id}/users): add, list, search, look up, change
// roles, remove, and the rules that keep an org administered.

import (
	"net/http"
	"strings"
	"testing"
)

// z joins org 1 through the admin route /api/orgs/1/users (POST /api/org/users is
// TestOrgUsers_AddToCurrentOrg).
func TestOrgUsers_List(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)
	if len(list) != 2 {
		t.Fatalf("org 1 members = %v, want admin and z", list)
	}
	var found bool
	for _, m := range list {
		for _, k := range []string{"orgId", "userId", "email", "name", "avatarUrl", "login", "role", "lastSeenAt", "lastSeenAtAge", "isDisabled"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("org user %v lacks %q", m, k)
			}
		}
		if _, ok := m["isDisabled"].(bool); !ok {
			t.Fatalf("isDisabled = %#v, want a bool", m["isDisabled"])
		}
		if m["login"] == "z" {
			found = true
			wantFields(t, m, map[string]any{"orgId": 1, "userId": z, "email": "z", "role": "Editor",
				"isDisabled": false, "lastSeenAtAge": "10 years", "avatarUrl": "/avatar/" + md5hex("z")})
		}
		if m["login"] == "admin" {
			wantFields(t, m, map[string]any{"userId": 1, "role": "Admin"})
		}
	}
	if !found {
		t.Fatalf("z missing from %v", list)
	}
}

func TestOrgUsers_UpdateRole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	r := ts.admin().expect(t, http.StatusOK, "PATCH", "/api/org/users/"+itoa64(z), map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Organization user updated"}`)
	for _, m := range ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t) {
		if m["login"] == "z" {
			wantFields(t, m, map[string]any{"role": "Viewer"})
		}
	}
	r = ts.admin().expect(t, http.StatusInternalServerError, "PATCH", "/api/org/users/99999", map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Failed update org user"}`)
}

func TestOrgUsers_CannotDemoteLastAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PATCH", "/api/org/users/1", map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Cannot change role so that there is no organization admin left"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Admin"}]`)
}

func TestOrgUsers_RemoveFromLastOrgKeepsUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	w := ts.createUser(t, map[string]any{"login": "w", "password": "pass"})
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/orgs/1/users/"+itoa64(w), nil)
	wantBody(t, r, `{"message":"User removed from organization"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(w), nil).JSON(t)
	wantFields(t, m, map[string]any{"id": w, "login": "w"})
	if _, ok := m["orgId"]; ok {
		t.Fatalf("orgId = %v, want it omitted (no current org)", m["orgId"])
	}
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(w)+"/orgs", nil), `[]`)
}

func TestOrgUsers_AdminRoutes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/1/users", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("org 1 members = %v, want only the admin", list)
	}
	wantFields(t, list[0], map[string]any{"orgId": 1, "userId": 1, "login": "admin", "role": "Admin"})
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Viewer"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	r = ts.admin().expect(t, http.StatusConflict, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "z", "role": "Viewer"})
	wantBody(t, r, `{"message":"User is already member of this organization","userId":`+itoa64(z)+`}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Viewer"},{"orgId":2,"name":"Org2","role":"Viewer"}]`)
}

func TestOrgUsers_OrgAdminSeesOnlyOwnOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	oa := ts.createUser(t, map[string]any{"login": "oa", "password": "pass"})
	setOrgRole(t, ts, oa, "Admin")
	oc := ts.basic("oa", "pass")
	list := oc.expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)
	if len(list) != 2 {
		t.Fatalf("org 1 members seen by org admin = %v, want admin and oa", list)
	}
	wantAccessDenied(t, oc.do(t, "GET", "/api/orgs/2/users", nil), "org.users:read")
	// Its own org through the admin route is allowed (evaluated in org 1).
	oc.expect(t, http.StatusOK, "GET", "/api/orgs/1/users", nil)
}

func TestOrgUsers_AddToCurrentOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Editor"},{"orgId":2,"name":"Org2","role":"Viewer"}]`)
	// By email too (z's email defaults to its login); the request org is the one joined.
	ts.createUser(t, map[string]any{"login": "m", "email": "m@example.com", "password": "pass"})
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "POST", "/api/org/users",
		map[string]string{"loginOrEmail": "M@Example.com", "role": "Admin"})
	wantMessage(t, r, "User added to organization")
	wantBody(t, ts.basic("m", "pass").expect(t, http.StatusOK, "GET", "/api/user/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Viewer"},{"orgId":2,"name":"Org2","role":"Admin"}]`)
}

func TestOrgUsers_AddExistingMemberConflict(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	r := ts.admin().expect(t, http.StatusConflict, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	wantBody(t, r, `{"message":"User is already member of this organization","userId":`+itoa64(z)+`}`)
	r = ts.admin().expect(t, http.StatusConflict, "POST", "/api/org/users", map[string]string{"loginOrEmail": "Z", "role": "Admin"})
	wantBody(t, r, `{"message":"User is already member of this organization","userId":`+itoa64(z)+`}`)
	// The role was not changed by the refused request.
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil)
	wantBody(t, r, `[{"orgId":1,"name":"Main Org.","role":"Editor"},{"orgId":2,"name":"Org2","role":"Viewer"}]`)
}

func TestOrgUsers_AddUnknownUserOrServiceAccountIs404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusNotFound, "POST", "/api/org/users", map[string]string{"loginOrEmail": "ghost", "role": "Viewer"})
	wantBody(t, r, `{"message":"User not found"}`)
	apiSA(t, ts.admin().with("X-Grafana-Org-Id", "2"), "bot", "")
	r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/org/users", map[string]string{"loginOrEmail": "sa-2-bot", "role": "Viewer"})
	wantBody(t, r, `{"message":"User not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/orgs/1/users", map[string]string{"loginOrEmail": "sa-2-bot", "role": "Viewer"})
	wantBody(t, r, `{"message":"User not found"}`)
}

func TestOrgUsers_AddRefusesBadBodies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	for _, body := range []any{
		map[string]string{"loginOrEmail": "z"},
		map[string]string{"loginOrEmail": "z", "role": "Boss"},
		map[string]string{"role": "Viewer"},
		map[string]string{"loginOrEmail": "", "role": "Viewer"},
		map[string]any{"loginOrEmail": "z", "role": 1},
		`{"loginOrEmail":"z",`,
		map[string]string{},
	} {
		r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/org/users", body)
		wantBody(t, r, `{"message":"bad request data"}`)
	}
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil), `[{"orgId":2,"name":"Org2","role":"Viewer"}]`)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "viewer"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Viewer"},{"orgId":2,"name":"Org2","role":"Viewer"}]`)
	for _, m := range ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t) {
		if m["login"] == "z" {
			wantFields(t, m, map[string]any{"role": "Viewer"})
		}
	}
}

// The rule that nobody gives a role above their own would need an org Editor holding
// org.users:add through a custom grant; Warden has no
// custom role grants (managed permissions exist only for service accounts and teams, and grant
// neither org.users:add nor any other org-user action), so an Editor cannot reach
// POST /api/org/users at all: it is refused by the permission engine first. The escalation rule
// itself ("Cannot assign a role higher than user's role") is tested on the service with a
// hand-built Editor principal in service_org_test.go. Over HTTP this test shows the reachable
// side: an org Admin who is no server admin may give Admin, and an Editor gets the RBAC 403.
func TestOrgUsers_RoleEscalation(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	oa := ts.createUser(t, map[string]any{"login": "oa", "password": "pass"})
	setOrgRole(t, ts, oa, "Admin")
	r := ts.basic("oa", "pass").expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Admin"})
	wantBody(t, r, `{"message":"User added to organization","userId":`+itoa64(z)+`}`)
	r = ts.basic("oa", "pass").expect(t, http.StatusOK, "PATCH", "/api/org/users/"+itoa64(z), map[string]string{"role": "Viewer"})
	wantBody(t, r, `{"message":"Organization user updated"}`)

	e := ts.createUser(t, map[string]any{"login": "ed", "password": "pass"})
	setOrgRole(t, ts, e, "Editor")
	ts.createUser(t, map[string]any{"login": "y", "password": "pass", "OrgId": 2})
	ec := ts.basic("ed", "pass")
	wantAccessDenied(t, ec.do(t, "POST", "/api/org/users", map[string]string{"loginOrEmail": "y", "role": "Admin"}), "org.users:add")
	wantAccessDenied(t, ec.do(t, "POST", "/api/org/users", map[string]string{"loginOrEmail": "y", "role": "Viewer"}), "org.users:add")
	wantAccessDenied(t, ec.do(t, "PATCH", "/api/org/users/"+itoa64(e), map[string]string{"role": "Admin"}), "org.users:write")
	// An Editor-role service account holding Admin on itself cannot raise its org role either.
	sa, _ := apiSA(t, ts.admin(), "bot", "Editor")
	sc := ts.bearer(apiToken(t, ts.admin(), sa, "bot-token"))
	wantAccessDenied(t, sc.do(t, "POST", "/api/org/users", map[string]string{"loginOrEmail": "y", "role": "Admin"}), "org.users:add")
}

func TestOrgUsers_ListsExcludeServiceAccounts(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	apiSA(t, ts.admin(), "bot", "Admin")
	apiSA(t, ts.admin(), "ubot", "Viewer")
	want := []string{"admin", "u"}
	for _, path := range []string{"/api/org/users", "/api/orgs/1/users", "/api/org/users/lookup", "/api/org/users?query=bot",
		"/api/org/users/lookup?query=bot"} {
		got := apiLogins(ts.admin().expect(t, http.StatusOK, "GET", path, nil).List(t))
		exp := want
		if strings.Contains(path, "bot") {
			exp = []string{}
		}
		if !apiEqual(got, exp) {
			t.Fatalf("GET %s logins = %q, want %q", path, got, exp)
		}
	}
	for _, path := range []string{"/api/org/users/search", "/api/orgs/1/users/search"} {
		m := ts.admin().expect(t, http.StatusOK, "GET", path, nil).JSON(t)
		wantFields(t, m, map[string]any{"totalCount": 2})
		if n := len(m["orgUsers"].([]any)); n != 2 {
			t.Fatalf("GET %s: %d org users, want 2", path, n)
		}
	}
	// An Admin-role service account lists the org's users (its own kind not among them).
	sa, _ := apiSA(t, ts.admin(), "lister", "Admin")
	got := apiLogins(ts.bearer(apiToken(t, ts.admin(), sa, "lister-token")).expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t))
	if !apiEqual(got, want) {
		t.Fatalf("GET /api/org/users as an SA token = %q, want %q", got, want)
	}
	// Service accounts are not users for the search either.
	_, logins := apiSearchUsers(t, ts, "?query=bot")
	if len(logins) != 0 {
		t.Fatalf("user search for bot = %q, want none", logins)
	}
}

func TestOrgUsers_SearchPage(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	apiSA(t, ts.admin(), "bot", "")
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users/search?perpage=1", nil)
	m := r.JSON(t)
	wantKeys(t, m, "totalCount", "orgUsers", "page", "perPage")
	wantFields(t, m, map[string]any{"totalCount": 2, "page": 1, "perPage": 1})
	list := m["orgUsers"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["login"] != "admin" {
		t.Fatalf("orgUsers = %v, want only admin", list)
	}
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users/search?perpage=1&page=2", nil).JSON(t)
	wantFields(t, m, map[string]any{"totalCount": 2, "page": 2, "perPage": 1})
	if list := m["orgUsers"].([]any); len(list) != 1 || list[0].(map[string]any)["login"] != "u" {
		t.Fatalf("page 2 orgUsers = %v, want only u", list)
	}
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users/search?query=example&perpage=0&page=-1", nil).JSON(t)
	wantFields(t, m, map[string]any{"totalCount": 1, "page": 1, "perPage": 1000})
	// Viewers may not search org users.
	wantAccessDenied(t, ts.basic("u", "pass").do(t, "GET", "/api/org/users/search", nil), "org.users:read")
}

func TestOrgUsers_Lookup(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Viewer"})
	zuid := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z), nil).JSON(t)["uid"].(string)
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users/lookup?query=z", nil)
	wantBody(t, r, `[{"userId":`+itoa64(z)+`,"uid":"`+zuid+`","login":"z","avatarUrl":"/avatar/`+md5hex("z")+`"}]`)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users/lookup", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"admin", "z"}) {
		t.Fatalf("lookup without query = %q, want [admin z]", got)
	}
	list = ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users/lookup?limit=1", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"admin"}) {
		t.Fatalf("lookup limit=1 = %q, want [admin]", got)
	}
	// A Viewer is refused; a team admin (teams.permissions:write) may look members up.
	zc := ts.basic("z", "pass").with("X-Grafana-Org-Id", "1") // z's current org is 2
	wantAccessDenied(t, zc.do(t, "GET", "/api/org/users/lookup?query=a", nil), "org.users:read")
	team, _ := apiTeam(t, ts.admin(), "t1", "")
	apiAddTeamMember(t, ts, team, z)
	ts.admin().expect(t, http.StatusOK, "PUT", "/api/teams/"+itoa64(team)+"/members/"+itoa64(z), map[string]int{"permission": 4})
	list = zc.expect(t, http.StatusOK, "GET", "/api/org/users/lookup?query=adm", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"admin"}) {
		t.Fatalf("lookup as team admin = %q, want [admin]", got)
	}
}

func TestOrgUsers_CannotRemoveLastAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "DELETE", "/api/org/users/1", nil)
	wantBody(t, r, `{"message":"Cannot remove last organization admin"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "DELETE", "/api/orgs/1/users/1", nil)
	wantBody(t, r, `{"message":"Cannot remove last organization admin"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil), `[{"orgId":1,"name":"Main Org.","role":"Admin"}]`)
	// An Admin service account counts as an org admin (as in Grafana), so the human may go.
	apiSA(t, ts.admin(), "bot", "Admin")
	ts.createUser(t, map[string]any{"login": "u", "password": "pass"})
	r = ts.admin().expect(t, http.StatusOK, "DELETE", "/api/orgs/1/users/1", nil)
	wantBody(t, r, `{"message":"User removed from organization"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil), `[]`)
}

func TestOrgUsers_RemoveUserWithOtherOrgs(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	ts.admin().expect(t, http.StatusOK, "POST", "/api/user/using/1", nil)
	zc := ts.basic("z", "pass")
	zc.expect(t, http.StatusOK, "POST", "/api/user/using/1", nil)
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/org/users/"+itoa64(z), nil)
	wantBody(t, r, `{"message":"User removed from organization"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z), nil).JSON(t)
	wantFields(t, m, map[string]any{"login": "z", "orgId": 2}) // its current org moved to the one left
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil), `[{"orgId":2,"name":"Org2","role":"Viewer"}]`)
	r = ts.admin().expect(t, http.StatusInternalServerError, "DELETE", "/api/org/users/"+itoa64(z), nil)
	wantBody(t, r, `{"message":"Failed to remove user from organization"}`)
	wantFields(t, zc.expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t), map[string]any{"id": 2})
}

func TestOrgUsers_RemoveFromOnlyOrgDeletesUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	v := ts.createUser(t, map[string]any{"login": "v", "password": "pass"})
	s := ts.login(t, "v", "pass")
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/org/users/"+itoa64(v), nil)
	wantBody(t, r, `{"message":"User deleted"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/users/"+itoa64(v), nil)
	wantBody(t, r, `{"message":"user not found"}`)
	wantUnauthorized(t, s.do(t, "GET", "/api/user", nil))
	wantLoginFailed(t, postLogin(t, ts, "v", "pass"))
	// A service account id is not an org user.
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	r = ts.admin().expect(t, http.StatusInternalServerError, "DELETE", "/api/org/users/"+itoa64(sa), nil)
	wantBody(t, r, `{"message":"Failed to remove user from organization"}`)
	ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa), nil)
}
