package main

// Teams: create, search, get, update, delete, members and their permission, and team grants
// on service accounts.

import (
	"net/http"
	"testing"
)

func TestTeams_Create(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("members = %v, want only the creator", list)
	}
	adminUID := ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)["uid"].(string)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil),
		`[{"orgId":1,"teamId":`+itoa64(n)+`,"teamUID":"`+uid+`","userId":1,"userUID":"`+adminUID+`","auth_module":"",`+
			`"email":"admin@localhost","name":"","login":"admin","avatarUrl":"/avatar/46d229b033af06a191ff2267bca9ae56",`+
			`"labels":[],"permission":4}]`)
	// The creator now reads its team through its membership too.
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/teams", nil),
		`[`+apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 1)+`]`)
	// Viewers and Editors may not create teams.
	e := ts.createUser(t, map[string]any{"login": "ed", "password": "pass"})
	setOrgRole(t, ts, e, "Editor")
	wantAccessDenied(t, ts.basic("ed", "pass").do(t, "POST", "/api/teams", map[string]string{"name": "x"}), "teams:create")
}

func TestTeams_CreateConflictAndBadBodies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	apiTeam(t, ts.admin(), "t1", "")
	r := ts.admin().expect(t, http.StatusConflict, "POST", "/api/teams", map[string]string{"name": "t1", "email": ""})
	wantBody(t, r, `{"message":"Team name taken"}`)
	for _, body := range []any{map[string]string{}, map[string]string{"name": " "}, `{"name":1}`, `{"name":`} {
		r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/teams", body)
		wantBody(t, r, `{"message":"bad request data"}`)
	}
	// The same name in another org is fine.
	createOrg2(t, ts)
	ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "POST", "/api/teams", map[string]string{"name": "t1"})
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search", nil).JSON(t)
	wantFields(t, m, map[string]any{"totalCount": 1})
}

func TestTeams_Search(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	o, ouid := apiTeam(t, ts.admin(), "other", "")
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?query=t", nil)
	wantBody(t, r, `{"totalCount":2,"teams":[`+apiTeamDTO(o, ouid, "other", "", apiNameAvatar("other"), 1)+","+
		apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 1)+`],"page":1,"perPage":1000}`)
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?query=t1", nil)
	wantBody(t, r, `{"totalCount":1,"teams":[`+apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 1)+`],"page":1,"perPage":1000}`)
	// Paging, sorting and the accessControl map.
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?perpage=1&page=2&sort=name-desc", nil).JSON(t)
	wantFields(t, m, map[string]any{"totalCount": 2, "page": 2, "perPage": 1})
	if teams := m["teams"].([]any); len(teams) != 1 || teams[0].(map[string]any)["name"] != "other" {
		t.Fatalf("page 2 by name-desc = %v, want other", teams)
	}
	m = ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?query=t1&accesscontrol=true", nil).JSON(t)
	ac, ok := m["teams"].([]any)[0].(map[string]any)["accessControl"].(map[string]any)
	if !ok || ac["teams:write"] != true || ac["teams.permissions:write"] != true {
		t.Fatalf("accessControl = %#v, want teams:write and teams.permissions:write", ac)
	}
	for _, q := range []string{"?perpage=0", "?perpage=5000", "?perpage=-1", "?page=-2"} {
		m = ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search"+q, nil).JSON(t)
		wantFields(t, m, map[string]any{"totalCount": 2, "page": 1, "perPage": 1000})
	}
	// SPEC-identity §1.5's verified value: team "team1" → /avatar/3fcfe295eae3bcb67a49349377428a66.
	t3, _ := apiTeam(t, ts.admin(), "team1", "")
	wantFields(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(t3), nil).JSON(t),
		map[string]any{"avatarUrl": "/avatar/3fcfe295eae3bcb67a49349377428a66"})
}

func TestTeams_SearchByExactName(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, _ := apiTeam(t, ts.admin(), "t1", "")
	apiTeam(t, ts.admin(), "t10", "")
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?name=t1", nil).JSON(t)
	wantFields(t, m, map[string]any{"totalCount": 1})
	if teams := m["teams"].([]any); len(teams) != 1 || idOf(t, teams[0].(map[string]any), "id") != n {
		t.Fatalf("name=t1 = %v, want only team %d", teams, n)
	}
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/search?name=t", nil)
	wantBody(t, r, `{"totalCount":0,"teams":[],"page":1,"perPage":1000}`)
}

func TestTeams_Get(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	want := apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 1)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil), want)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+uid, nil), want)
	r := ts.admin().expect(t, http.StatusNotFound, "GET", "/api/teams/99999", nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/teams/nosuchuid", nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	// A team of another org is not found from org 1.
	createOrg2(t, ts)
	other, otherUID := apiTeam(t, ts.admin().with("X-Grafana-Org-Id", "2"), "t2", "")
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/teams/"+itoa64(other), nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/teams/"+otherUID, nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"?accesscontrol=true", nil).JSON(t)
	if ac, ok := m["accessControl"].(map[string]any); !ok || ac["teams:read"] != true {
		t.Fatalf("accessControl = %#v, want teams:read", m["accessControl"])
	}
}

func TestTeams_Update(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/teams/"+itoa64(n), map[string]string{"name": "t1b", "email": "t@x"})
	wantBody(t, r, `{"message":"Team updated"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil),
		apiTeamDTO(n, uid, "t1b", "t@x", "/avatar/"+md5hex("t@x"), 1))
	t2, _ := apiTeam(t, ts.admin(), "t2", "")
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/teams/"+itoa64(t2), map[string]string{"name": "t1b"})
	wantBody(t, r, `{"message":"Team name taken"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "PUT", "/api/teams/99999", map[string]string{"name": "z"})
	wantBody(t, r, `{"message":"Team not found"}`)
	// An omitted email clears it; the UID form works.
	r = ts.admin().expect(t, http.StatusOK, "PUT", "/api/teams/"+uid, map[string]string{"name": "t1c"})
	wantBody(t, r, `{"message":"Team updated"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil),
		apiTeamDTO(n, uid, "t1c", "", apiNameAvatar("t1c"), 1))
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/teams/"+itoa64(n), map[string]string{})
	wantBody(t, r, `{"message":"bad request data"}`)
}

func TestTeams_AddMember(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, _ := apiTeam(t, ts.admin(), "t1", "")
	u := createUserU(t, ts)
	apiAddTeamMember(t, ts, n, u)
	r := ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/teams/"+itoa64(n)+"/members", map[string]int64{"userId": u})
	wantBody(t, r, `{"message":"User is already added to this team"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/teams/"+itoa64(n)+"/members", map[string]int64{})
	wantBody(t, r, `{"message":"bad request data"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "POST", "/api/teams/99999/members", map[string]int64{"userId": u})
	wantBody(t, r, `{"message":"Team not found"}`)
	r = ts.admin().expect(t, http.StatusInternalServerError, "POST", "/api/teams/"+itoa64(n)+"/members", map[string]int64{"userId": 99999})
	wantBody(t, r, `{"message":"Failed to add Member to Team"}`)
	// A service account is no team member.
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	r = ts.admin().expect(t, http.StatusInternalServerError, "POST", "/api/teams/"+itoa64(n)+"/members", map[string]int64{"userId": sa})
	wantBody(t, r, `{"message":"Failed to add Member to Team"}`)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil).JSON(t)
	wantFields(t, m, map[string]any{"memberCount": 2})
}

func TestTeams_ListMembers(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	m := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users",
		map[string]any{"name": "U", "email": "u@example.com", "login": "u", "password": "pass"}).JSON(t)
	u, uUID := idOf(t, m, "id"), m["uid"].(string)
	apiAddTeamMember(t, ts, n, u)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil).List(t)
	if got := apiLogins(list); !apiEqual(got, []string{"admin", "u"}) {
		t.Fatalf("members = %q, want [admin u]", got)
	}
	wantKeys(t, list[1], "orgId", "teamId", "teamUID", "userId", "userUID", "auth_module", "email", "name", "login",
		"avatarUrl", "labels", "permission")
	wantFields(t, list[1], map[string]any{"orgId": 1, "teamId": n, "teamUID": uid, "userId": u, "userUID": uUID,
		"auth_module": "", "email": "u@example.com", "name": "U", "login": "u",
		"avatarUrl": "/avatar/" + md5hex("u@example.com"), "labels": []string{}, "permission": 0})
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/99999/members", nil), `[]`)
}

func TestTeams_MemberSeesOnlyItsTeam(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	t2, _ := apiTeam(t, ts.admin(), "t2", "")
	u := createUserU(t, ts)
	apiAddTeamMember(t, ts, n, u)
	uc := ts.basic("u", "pass")
	r := uc.expect(t, http.StatusOK, "GET", "/api/teams/search", nil)
	wantBody(t, r, `{"totalCount":1,"teams":[`+apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 2)+
		`],"page":1,"perPage":1000}`)
	wantBody(t, uc.expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil),
		apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 2))
	wantAccessDenied(t, uc.do(t, "GET", "/api/teams/"+itoa64(t2), nil), "teams:read")
	wantAccessDenied(t, uc.do(t, "POST", "/api/teams/"+itoa64(n)+"/members", map[string]int64{"userId": 1}), "teams.permissions:write")
	wantAccessDenied(t, uc.do(t, "GET", "/api/teams/"+itoa64(n)+"/members", nil), "teams.permissions:read")
	wantAccessDenied(t, uc.do(t, "PUT", "/api/teams/"+itoa64(n), map[string]string{"name": "mine"}), "teams:write")
	wantAccessDenied(t, uc.do(t, "DELETE", "/api/teams/"+itoa64(n), nil), "teams:delete")
	wantAccessDenied(t, uc.do(t, "POST", "/api/teams", map[string]string{"name": "mine"}), "teams:create")
	// GET /api/user/teams lists its teams.
	wantBody(t, uc.expect(t, http.StatusOK, "GET", "/api/user/teams", nil),
		`[`+apiTeamDTO(n, uid, "t1", "", apiT1Avatar, 2)+`]`)
}

func TestTeams_ViewerInNoTeamCannotSearch(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	apiTeam(t, ts.admin(), "t1", "")
	createUserU(t, ts)
	uc := ts.basic("u", "pass")
	wantAccessDenied(t, uc.do(t, "GET", "/api/teams/search", nil), "teams:read")
	wantBody(t, uc.expect(t, http.StatusOK, "GET", "/api/user/teams", nil), `[]`)
}

func TestTeams_PromoteMember(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, _ := apiTeam(t, ts.admin(), "t1", "")
	u := createUserU(t, ts)
	apiAddTeamMember(t, ts, n, u)
	s := ts.login(t, "u", "pass") // a session opened before the change
	wantAccessDenied(t, s.do(t, "PUT", "/api/teams/"+itoa64(n), map[string]string{"name": "t1u"}), "teams:write")
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/teams/"+itoa64(n)+"/members/"+itoa64(u), map[string]int{"permission": 4})
	wantBody(t, r, `{"message":"Team member updated"}`)
	// Warden has no permission cache: the very next request of the same session sees it.
	r = s.expect(t, http.StatusOK, "PUT", "/api/teams/"+itoa64(n), map[string]string{"name": "t1u"})
	wantBody(t, r, `{"message":"Team updated"}`)
	s.expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil)
	perms := permissionsOf(t, s.expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil))
	wantScopes(t, perms, "teams:write", "teams:id:"+itoa64(n))
	for _, m := range ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil).List(t) {
		if m["login"] == "u" {
			wantFields(t, m, map[string]any{"permission": 4})
		}
	}
	r = ts.admin().expect(t, http.StatusNotFound, "PUT", "/api/teams/"+itoa64(n)+"/members/99999", map[string]int{"permission": 4})
	wantBody(t, r, `{"message":"Team member not found."}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/teams/"+itoa64(n)+"/members/"+itoa64(u), map[string]int{"permission": 2})
	wantBody(t, r, `{"message":"bad request data"}`)
	// Demoted again, the next request is refused.
	ts.admin().expect(t, http.StatusOK, "PUT", "/api/teams/"+itoa64(n)+"/members/"+itoa64(u), map[string]int{"permission": 0})
	wantAccessDenied(t, s.do(t, "PUT", "/api/teams/"+itoa64(n), map[string]string{"name": "t1v"}), "teams:write")
}

func TestTeams_RemoveMember(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, _ := apiTeam(t, ts.admin(), "t1", "")
	u := createUserU(t, ts)
	apiAddTeamMember(t, ts, n, u)
	uc := ts.basic("u", "pass")
	uc.expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil)
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/teams/"+itoa64(n)+"/members/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"Team Member removed"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/teams/"+itoa64(n)+"/members/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"Team member not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/teams/99999/members/"+itoa64(u), nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	wantAccessDenied(t, uc.do(t, "GET", "/api/teams/"+itoa64(n), nil), "teams:read")
	if got := apiLogins(ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil).List(t)); !apiEqual(got, []string{"admin"}) {
		t.Fatalf("members = %q, want [admin]", got)
	}
}

func TestTeams_Delete(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	n, uid := apiTeam(t, ts.admin(), "t1", "")
	r := ts.admin().expect(t, http.StatusOK, "DELETE", "/api/teams/"+itoa64(n), nil)
	wantBody(t, r, `{"message":"Team deleted"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/teams/"+itoa64(n), nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/teams/"+itoa64(n), nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/teams/"+uid, nil)
	wantBody(t, r, `{"message":"Team not found"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/teams", nil), `[]`)
	// The name is free again; deleting by UID works.
	_, uid2 := apiTeam(t, ts.admin(), "t1", "")
	r = ts.admin().expect(t, http.StatusOK, "DELETE", "/api/teams/"+uid2, nil)
	wantBody(t, r, `{"message":"Team deleted"}`)
}

func TestTeams_ServiceAccountCreatesTeam(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "Admin")
	c := ts.bearer(apiToken(t, ts.admin(), sa, "bot-token"))
	n, uid := apiTeam(t, c, "satEAM", "")
	wantBody(t, c.expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n)+"/members", nil), `[]`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/teams/"+itoa64(n), nil),
		apiTeamDTO(n, uid, "satEAM", "", apiNameAvatar("satEAM"), 0))
	// A Viewer-role account may not.
	sv, _ := apiSA(t, ts.admin(), "viewer-bot", "Viewer")
	wantAccessDenied(t, ts.bearer(apiToken(t, ts.admin(), sv, "v-token")).do(t, "POST", "/api/teams", map[string]string{"name": "x"}), "teams:create")
}

func TestTeams_GrantOnServiceAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	apiToken(t, ts.admin(), sa, "bot-token")
	team, _ := apiTeam(t, ts.admin(), "t1", "")
	v := ts.createUser(t, map[string]any{"login": "v", "password": "pass"})
	apiAddTeamMember(t, ts, team, v)
	vs := ts.login(t, "v", "pass")
	wantAccessDenied(t, vs.do(t, "GET", "/api/serviceaccounts/"+itoa64(sa), nil), "serviceaccounts:read")

	grant := "/api/access-control/serviceaccounts/" + itoa64(sa) + "/teams/" + itoa64(team)
	r := ts.admin().expect(t, http.StatusOK, "POST", grant, map[string]string{"permission": "Edit"})
	wantBody(t, r, `{"message":"Permission updated"}`)
	// The next request of the member's existing session reads the account and its tokens.
	m := vs.expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa), nil).JSON(t)
	wantFields(t, m, map[string]any{"id": sa, "login": "sa-1-bot"})
	tokens := vs.expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa)+"/tokens", nil).List(t)
	if len(tokens) != 1 || tokens[0]["name"] != "bot-token" {
		t.Fatalf("tokens seen by the team member = %v, want bot-token", tokens)
	}
	// Edit does not manage permissions or delete.
	wantAccessDenied(t, vs.do(t, "DELETE", "/api/serviceaccounts/"+itoa64(sa), nil), "serviceaccounts:delete")
	// The grant is listed on the account.
	found := false
	for _, p := range ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/"+itoa64(sa), nil).List(t) {
		if tid, _ := p["teamId"].(float64); int64(tid) == team {
			found = true
			wantFields(t, p, map[string]any{"permission": "Edit", "isManaged": true,
				"roleName": "managed:teams:" + itoa64(team) + ":permissions",
				"actions":  []string{"serviceaccounts:read", "serviceaccounts:write"}})
		}
	}
	if !found {
		t.Fatalf("team grant missing from the account's permission list")
	}

	r = ts.admin().expect(t, http.StatusOK, "POST", grant, map[string]string{"permission": ""})
	wantBody(t, r, `{"message":"Permission removed"}`)
	wantAccessDenied(t, vs.do(t, "GET", "/api/serviceaccounts/"+itoa64(sa), nil), "serviceaccounts:read")
	wantAccessDenied(t, vs.do(t, "GET", "/api/serviceaccounts/"+itoa64(sa)+"/tokens", nil), "serviceaccounts:read")

	// Granted again, leaving the team ends it too.
	ts.admin().expect(t, http.StatusOK, "POST", grant, map[string]string{"permission": "Edit"})
	vs.expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa), nil)
	ts.admin().expect(t, http.StatusOK, "DELETE", "/api/teams/"+itoa64(team)+"/members/"+itoa64(v), nil)
	wantAccessDenied(t, vs.do(t, "GET", "/api/serviceaccounts/"+itoa64(sa), nil), "serviceaccounts:read")

	// Bad levels and team ids.
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", grant, map[string]string{"permission": "Owner"})
	wantFields(t, r.JSON(t), map[string]any{"message": "invalid permission"})
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/access-control/serviceaccounts/"+itoa64(sa)+"/teams/abc",
		map[string]string{"permission": "Edit"})
	wantBody(t, r, `{"message":"teamId is invalid"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/access-control/serviceaccounts/"+itoa64(sa)+"/teams/99999",
		map[string]string{"permission": "Edit"})
	wantBody(t, r, `{"message":"team not found in the service account's organization"}`)
	// A Viewer cannot grant.
	wantAccessDenied(t, ts.basic("v", "pass").do(t, "POST", grant, map[string]string{"permission": "Edit"}), "serviceaccounts.permissions:write")
}

// Grafana's resource-permission list names the team of a team grant ("team", omitted when
// empty).
func TestTeams_GrantListedWithTeamName(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	team, _ := apiTeam(t, ts.admin(), "t1", "")
	ts.admin().expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(sa)+"/teams/"+itoa64(team),
		map[string]string{"permission": "Admin"})
	var grant map[string]any
	for _, p := range ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/"+itoa64(sa), nil).List(t) {
		if tid, _ := p["teamId"].(float64); int64(tid) == team {
			grant = p
		}
	}
	if grant == nil {
		t.Fatal("team grant missing from the account's permission list")
	}
	wantFields(t, grant, map[string]any{"permission": "Admin", "isManaged": true})
	if grant["team"] != "t1" {
		t.Fatalf("BUG (service_permission.go: ServiceAccountPermissions never fills ResourcePermission.TeamName for "+
			"team grants, so the omitempty \"team\" key is missing): team grant = %v, want \"team\":\"t1\"", grant)
	}
}

func TestTeams_GrantNeedsTeamOfTheAccountsOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	sa, _ := apiSA(t, ts.admin(), "bot", "")
	other, _ := apiTeam(t, ts.admin().with("X-Grafana-Org-Id", "2"), "t2", "")
	r := ts.admin().expect(t, http.StatusBadRequest, "POST",
		"/api/access-control/serviceaccounts/"+itoa64(sa)+"/teams/"+itoa64(other), map[string]string{"permission": "Edit"})
	wantBody(t, r, `{"message":"team not found in the service account's organization"}`)
	if n := apiCount(t, ts, "SELECT COUNT(*) FROM managed_permission WHERE team_id = ?", other); n != 0 {
		t.Fatalf("grants of the foreign team = %d, want 0", n)
	}
	// Asked from org 2, the account itself is not found there.
	r = ts.admin().with("X-Grafana-Org-Id", "2").do(t, "POST",
		"/api/access-control/serviceaccounts/"+itoa64(sa)+"/teams/"+itoa64(other), map[string]string{"permission": "Edit"})
	wantStatus(t, r, http.StatusNotFound)
}
