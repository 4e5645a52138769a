package main

// Orgs: create, get, list, update, delete, their address, and how a request chooses its org
// (X-Grafana-Org-Id, targetOrgId).

import (
	"net/http"
	"testing"
)

func TestOrgs_OrgHeaderSelectsRequestOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantBody(t, r, `{"id":2,"name":"Org2","address":`+emptyAddress+`}`)
	m := ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"orgId": 1})
	// The header is not persisted.
	r = ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1, "name": "Main Org."})
}

func TestOrgs_TargetOrgIDWinsOverHeader(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().with("X-Grafana-Org-Id", "1").expect(t, http.StatusOK, "GET", "/api/org?targetOrgId=2", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 2, "name": "Org2"})
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org?targetOrgId=1", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1, "name": "Main Org."})
	// A value that is not a positive integer is ignored.
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org?targetOrgId=abc", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 2})
}

func TestOrgs_CreateWithTakenNameRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusConflict, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	wantBody(t, r, `{"message":"Organization name taken"}`)
}

func TestOrgs_ViewerCannotCreate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	wantAccessDenied(t, ts.basic("u", "pass").do(t, "POST", "/api/orgs", map[string]string{"name": "X"}), "orgs:create")
	ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/2", nil)
}

func TestOrgs_CreatorBecomesAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/2/users", nil).List(t)
	if len(list) != 1 {
		t.Fatalf("org 2 members = %v, want only the admin", list)
	}
	wantFields(t, list[0], map[string]any{"orgId": 2, "userId": 1, "login": "admin", "role": "Admin"})
	// The creator's current org is unchanged.
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
	wantFields(t, m, map[string]any{"orgId": 1})
}

func TestOrgs_NonMemberOrgHeaderDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	createUserU(t, ts)
	uc := ts.basic("u", "pass")
	wantAccessDenied(t, uc.with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/org", nil), "orgs:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/org?targetOrgId=2", nil), "orgs:read")
	wantAccessDenied(t, uc.with("X-Grafana-Org-Id", "999").do(t, "GET", "/api/org", nil), "orgs:read")
	// The same through a session.
	wantAccessDenied(t, ts.login(t, "u", "pass").with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/org", nil), "orgs:read")
	// Its own org still works.
	r := uc.expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1})
}

func TestOrgs_UpdateCurrent(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/org", map[string]string{"name": "Main Org."})
	wantBody(t, r, `{"message":"Organization updated"}`)
	createOrg2(t, ts)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/org", map[string]string{"name": "Org2"})
	wantBody(t, r, `{"message":"Organization name taken"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/org", map[string]string{})
	wantBody(t, r, `{"message":"bad request data"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/org", map[string]string{"name": "  "})
	wantBody(t, r, `{"message":"bad request data"}`)
	r = ts.admin().expect(t, http.StatusOK, "PUT", "/api/org", map[string]string{"name": "Renamed"})
	wantBody(t, r, `{"message":"Organization updated"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil), `{"id":1,"name":"Renamed","address":`+emptyAddress+`}`)
	// The request org is the one renamed.
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "PUT", "/api/org", map[string]string{"name": "Org2b"})
	wantBody(t, r, `{"message":"Organization updated"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs", nil), `[{"id":1,"name":"Renamed"},{"id":2,"name":"Org2b"}]`)
	// An Admin-role service account may rename its own org.
	sa, _ := apiSA(t, ts.admin(), "bot", "Admin")
	r = ts.bearer(apiToken(t, ts.admin(), sa, "bot-token")).expect(t, http.StatusOK, "PUT", "/api/org", map[string]string{"name": "Main Org."})
	wantBody(t, r, `{"message":"Organization updated"}`)
}

func TestOrgs_ViewerReadsButCannotUpdate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	uc := ts.basic("u", "pass")
	wantBody(t, uc.expect(t, http.StatusOK, "GET", "/api/org", nil), `{"id":1,"name":"Main Org.","address":`+emptyAddress+`}`)
	wantAccessDenied(t, uc.do(t, "PUT", "/api/org", map[string]string{"name": "Mine"}), "orgs:write")
	wantAccessDenied(t, uc.do(t, "PUT", "/api/org/address", map[string]string{"city": "X"}), "orgs:write")
	// An Editor neither.
	e := ts.createUser(t, map[string]any{"login": "ed", "password": "pass"})
	setOrgRole(t, ts, e, "Editor")
	wantAccessDenied(t, ts.basic("ed", "pass").do(t, "PUT", "/api/org", map[string]string{"name": "Mine"}), "orgs:write")
	wantFields(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t), map[string]any{"name": "Main Org."})
}

func TestOrgs_UpdateAddress(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/org/address", map[string]string{"address1": "1 Road",
		"address2": "Floor 2", "city": "Town", "zipcode": "12345", "state": "ST", "country": "Land"})
	wantBody(t, r, `{"message":"Address updated"}`)
	want := `{"id":1,"name":"Main Org.","address":{"address1":"1 Road","address2":"Floor 2","city":"Town","zipCode":"12345","state":"ST","country":"Land"}}`
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil), want)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/1", nil), want)
	// Renaming keeps the address.
	ts.admin().expect(t, http.StatusOK, "PUT", "/api/org", map[string]string{"name": "Main Org."})
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil), want)
	// The admin route sets another org's address.
	createOrg2(t, ts)
	r = ts.admin().expect(t, http.StatusOK, "PUT", "/api/orgs/2/address", map[string]string{"city": "Elsewhere"})
	wantBody(t, r, `{"message":"Address updated"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/2", nil),
		`{"id":2,"name":"Org2","address":{"address1":"","address2":"","city":"Elsewhere","zipCode":"","state":"","country":""}}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/org/address", `{"city":1}`)
	wantBody(t, r, `{"message":"bad request data"}`)
}

func TestOrgs_ListQueryAndPaging(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	get := func(q string) *response { return ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs"+q, nil) }
	wantBody(t, get(""), `[{"id":1,"name":"Main Org."},{"id":2,"name":"Org2"}]`)
	wantBody(t, get("?query=Org"), `[{"id":2,"name":"Org2"}]`)
	wantBody(t, get("?query=org"), `[{"id":2,"name":"Org2"}]`) // SQLite LIKE: ASCII case-insensitive
	wantBody(t, get("?query=Org2x"), `[]`)
	wantBody(t, get("?query=%25"), `[]`)
	wantBody(t, get("?name=Org2"), `[{"id":2,"name":"Org2"}]`)
	wantBody(t, get("?name=Org"), `[]`)
	// page is 0-based here.
	wantBody(t, get("?perpage=1&page=1"), `[{"id":2,"name":"Org2"}]`)
	wantBody(t, get("?perpage=1&page=0"), `[{"id":1,"name":"Main Org."}]`)
	wantBody(t, get("?perpage=1"), `[{"id":1,"name":"Main Org."}]`)
	wantBody(t, get("?perpage=1&page=2"), `[]`)
	wantBody(t, get("?perpage=1&page=-1"), `[{"id":1,"name":"Main Org."}]`)
	for _, q := range []string{"?perpage=0", "?perpage=-1", "?perpage=5000", "?perpage=x&page=y", "?page=99999999999"} {
		r := get(q)
		if q == "?page=99999999999" {
			wantBody(t, r, `[]`)
			continue
		}
		wantBody(t, r, `[{"id":1,"name":"Main Org."},{"id":2,"name":"Org2"}]`)
	}
}

// GET /api/orgs is evaluated in the global org: only server admins hold orgs:read there
// (SPEC-identity §6.2, §12). A Viewer's or an SA token's orgs:read in its own org must not
// list every org on the server.
func TestOrgs_ListNeedsServerAdmin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	createUserU(t, ts)
	sa, _ := apiSA(t, ts.admin(), "bot", "Admin")
	key := apiToken(t, ts.admin(), sa, "bot-token")
	for name, c := range map[string]*client{"Viewer": ts.basic("u", "pass"), "Admin SA token": ts.bearer(key)} {
		r := c.do(t, "GET", "/api/orgs", nil)
		if r.Status != http.StatusForbidden {
			t.Errorf("BUG (http/routes.go: GET /api/orgs uses need(orgs:read) evaluated in the request org; "+
				"it must be evaluated in the global org, where only Grafana Admin holds orgs:read): "+
				"%s GET /api/orgs = %d %s, want 403 naming orgs:read", name, r.Status, r.Body)
			continue
		}
		wantAccessDenied(t, r, "orgs:read")
	}
}

// The name lookup GET /api/orgs/name/{name} is not served (see the file comment).
func TestOrgs_GetByID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/2", nil)
	wantBody(t, r, `{"id":2,"name":"Org2","address":`+emptyAddress+`}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/999", nil)
	wantBody(t, r, `{"message":"Organization not found"}`)
	// An org Admin of org 2 who is no server admin reads it; a stranger does not.
	ts.createUser(t, map[string]any{"login": "oa2", "password": "pass", "OrgId": 2})
	ts.admin().expect(t, http.StatusOK, "PATCH", "/api/orgs/2/users/"+itoa64(idOf(t,
		ts.admin().expect(t, http.StatusOK, "GET", "/api/users/lookup?loginOrEmail=oa2", nil).JSON(t), "id")),
		map[string]string{"role": "Admin"})
	ts.basic("oa2", "pass").expect(t, http.StatusOK, "GET", "/api/orgs/2", nil)
	createUserU(t, ts)
	wantAccessDenied(t, ts.basic("u", "pass").do(t, "GET", "/api/orgs/2", nil), "orgs:read")
}

func TestOrgs_UpdateByID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/orgs/2", map[string]string{"name": "Org2b"})
	wantBody(t, r, `{"message":"Organization updated"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/2", nil), `{"id":2,"name":"Org2b","address":`+emptyAddress+`}`)
	r = ts.admin().expect(t, http.StatusInternalServerError, "PUT", "/api/orgs/999", map[string]string{"name": "x"})
	wantBody(t, r, `{"message":"Failed to update organization"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/orgs/2", map[string]string{"name": "Main Org."})
	wantBody(t, r, `{"message":"Organization name taken"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/orgs/2", map[string]string{})
	wantBody(t, r, `{"message":"bad request data"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs", nil), `[{"id":1,"name":"Main Org."},{"id":2,"name":"Org2b"}]`)
	// An org Admin of org 1 who is no server admin may not rename org 2.
	oa := ts.createUser(t, map[string]any{"login": "oa", "password": "pass"})
	setOrgRole(t, ts, oa, "Admin")
	wantAccessDenied(t, ts.basic("oa", "pass").do(t, "PUT", "/api/orgs/2", map[string]string{"name": "Mine"}), "orgs:write")
}

func TestOrgs_CannotDeleteActiveOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "DELETE", "/api/orgs/1", nil)
	wantBody(t, r, `{"message":"Cannot delete your active organization"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/1", nil), `{"id":1,"name":"Main Org.","address":`+emptyAddress+`}`)
	// The stored current org counts, not the request org.
	createOrg2(t, ts)
	r = ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusBadRequest, "DELETE", "/api/orgs/1", nil)
	wantBody(t, r, `{"message":"Cannot delete your active organization"}`)
	// Warden keys "active" on the stored current org (POST /api/user/using), which the
	// per-request header does not change.
	ts.admin().expect(t, http.StatusOK, "POST", "/api/user/using/2", nil)
	r = ts.admin().expect(t, http.StatusBadRequest, "DELETE", "/api/orgs/2", nil)
	wantBody(t, r, `{"message":"Cannot delete your active organization"}`)
}

func TestOrgs_Delete(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	r := ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/orgs/999", nil)
	wantBody(t, r, `{"message":"Failed to delete organization. ID not found"}`)
	z := ts.createUser(t, map[string]any{"login": "z", "password": "pass", "OrgId": 2})
	r = ts.admin().expect(t, http.StatusOK, "DELETE", "/api/orgs/2", nil)
	wantBody(t, r, `{"message":"Organization deleted"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/2", nil)
	wantBody(t, r, `{"message":"Organization not found"}`)
	r = ts.admin().expect(t, http.StatusNotFound, "DELETE", "/api/orgs/2", nil)
	wantBody(t, r, `{"message":"Failed to delete organization. ID not found"}`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs", nil), `[{"id":1,"name":"Main Org."}]`)
	// Users survive, without the org.
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z)+"/orgs", nil), `[]`)
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user/orgs", nil), `[{"orgId":1,"name":"Main Org.","role":"Admin"}]`)
	// Only server admins delete orgs: an org Admin is refused, even for its own org.
	createUserU(t, ts)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org3"})
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs/3/users", map[string]string{"loginOrEmail": "u", "role": "Admin"})
	wantAccessDenied(t, ts.basic("u", "pass").do(t, "DELETE", "/api/orgs/3", nil), "orgs:delete")
	ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/3", nil)
}

func TestOrgs_DeleteTakesServiceAccountsTokensAndGrants(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createOrg2(t, ts)
	in2 := ts.admin().with("X-Grafana-Org-Id", "2")
	sa, login := apiSA(t, in2, "bot", "Admin")
	if login != "sa-2-bot" {
		t.Fatalf("SA login = %q, want sa-2-bot", login)
	}
	key := apiToken(t, in2, sa, "bot-token")
	// A member of org 2 holds a grant on the account, and a team of org 2 another.
	w := ts.createUser(t, map[string]any{"login": "w", "password": "pass", "OrgId": 2})
	r := in2.expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(sa)+"/users/"+itoa64(w),
		map[string]string{"permission": "Edit"})
	wantBody(t, r, `{"message":"Permission updated"}`)
	team, _ := apiTeam(t, in2, "t2", "")
	r = in2.expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(sa)+"/teams/"+itoa64(team),
		map[string]string{"permission": "Edit"})
	wantBody(t, r, `{"message":"Permission updated"}`)
	// And an account of org 1 that must survive.
	sa1, _ := apiSA(t, ts.admin(), "keep", "Viewer")
	key1 := apiToken(t, ts.admin(), sa1, "keep-token")

	// The token works, in org 2, until the org goes.
	wantFields(t, ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t), map[string]any{"id": 2, "name": "Org2"})
	ts.basic("w", "pass").with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa), nil)
	if n := apiCount(t, ts, "SELECT COUNT(*) FROM managed_permission WHERE resource = 'serviceaccounts' AND resource_id = ?", sa); n < 2 {
		t.Fatalf("managed permissions on the account before the delete = %d, want at least 2", n)
	}

	r = ts.admin().expect(t, http.StatusOK, "DELETE", "/api/orgs/2", nil)
	wantBody(t, r, `{"message":"Organization deleted"}`)

	// The very next request with the token fails, in either form.
	taWantInvalidKey(t, ts.bearer(key).do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, ts.basic("api_key", key).do(t, "GET", "/api/user", nil))
	taWantInvalidKey(t, ts.bearer(key).with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/serviceaccounts/search", nil))
	// The account, its tokens, the grants on it and the org's teams are gone.
	for _, q := range []struct {
		query string
		arg   any
	}{
		{"SELECT COUNT(*) FROM users WHERE id = ?", sa},
		{"SELECT COUNT(*) FROM users WHERE login = ?", "sa-2-bot"},
		{"SELECT COUNT(*) FROM token WHERE service_account_id = ?", sa},
		{"SELECT COUNT(*) FROM token WHERE org_id = ?", 2},
		{"SELECT COUNT(*) FROM managed_permission WHERE resource = 'serviceaccounts' AND resource_id = ?", sa},
		{"SELECT COUNT(*) FROM managed_permission WHERE org_id = ?", 2},
		{"SELECT COUNT(*) FROM team WHERE org_id = ?", 2},
		{"SELECT COUNT(*) FROM team_member WHERE org_id = ?", 2},
		{"SELECT COUNT(*) FROM org_user WHERE org_id = ?", 2},
	} {
		if n := apiCount(t, ts, q.query, q.arg); n != 0 {
			t.Fatalf("after deleting org 2: %s [%v] = %d, want 0", q.query, q.arg, n)
		}
	}
	// The human member survives; the account's name is free again in a new org.
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(w)+"/orgs", nil), `[]`)
	// Org 1's account and token are untouched.
	wantFields(t, ts.bearer(key1).expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t), map[string]any{"id": 1})
	ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+itoa64(sa1), nil)
}

// A member whose current org is deleted moves to its first remaining org, as when it is
// removed from its current org (SPEC-identity §6.5), instead of being left with no org to act
// in (every org-scoped request a 403 until it switched by hand).
func TestOrgs_DeleteMovesMembersToARemainingOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	z := setupZ(t, ts) // z: org 2 only, current org 2
	ts.admin().expect(t, http.StatusOK, "POST", "/api/org/users", map[string]string{"loginOrEmail": "z", "role": "Editor"})
	zc := ts.basic("z", "pass")
	wantFields(t, zc.expect(t, http.StatusOK, "GET", "/api/org", nil).JSON(t), map[string]any{"id": 2})
	only2 := ts.createUser(t, map[string]any{"login": "only2", "password": "pass", "OrgId": 2})

	ts.admin().expect(t, http.StatusOK, "DELETE", "/api/orgs/2", nil)
	wantFields(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(z), nil).JSON(t), map[string]any{"orgId": 1})
	wantBody(t, zc.expect(t, http.StatusOK, "GET", "/api/org", nil), `{"id":1,"name":"Main Org.","address":`+emptyAddress+`}`)
	wantBody(t, zc.expect(t, http.StatusOK, "GET", "/api/user/orgs", nil), `[{"orgId":1,"name":"Main Org.","role":"Editor"}]`)
	// A member left without any org keeps no current org.
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(only2), nil).JSON(t)
	if _, ok := m["orgId"]; ok {
		t.Fatalf("orgId of a user without orgs = %v, want it omitted", m["orgId"])
	}
	// The admin, whose current org is 1, is unaffected.
	wantFields(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t), map[string]any{"orgId": 1})
}
