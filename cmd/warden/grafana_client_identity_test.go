package main

// Grafana's Go client on the identity routes around service accounts: preferences of orgs and
// users, orgs by name, a user's teams, and the server admin's session routes.

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/grafana/grafana-openapi-client-go/models"
)

func TestGrafanaClient_OrgAndUserPreferences(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := gcClient(t, ts, "")
	ts.createUser(t, map[string]any{"login": "bob", "email": "bob@example.com", "password": "bob-pass"})
	createOrg2(t, ts)

	// Org preferences: {} until written; PUT replaces, PATCH changes what it names.
	got, err := admin.Org.GetOrgPreferences()
	if err != nil {
		t.Fatalf("GetOrgPreferences: %v", err)
	}
	if *got.Payload != (models.PreferencesSpec{}) {
		t.Fatalf("preferences of a new org = %+v, want none", got.Payload)
	}
	if _, err := admin.Org.UpdateOrgPreferences(&models.UpdatePrefsCmd{Theme: "dark", Timezone: "browser", WeekStart: "monday",
		Language: "de-DE", QueryHistory: &models.QueryHistoryPreference{HomeTab: "starred"}}); err != nil {
		t.Fatalf("UpdateOrgPreferences: %v", err)
	}
	if _, err := admin.Org.PatchOrgPreferences(&models.PatchPrefsCmd{Timezone: "utc"}); err != nil {
		t.Fatalf("PatchOrgPreferences: %v", err)
	}
	got, err = admin.Org.GetOrgPreferences()
	if err != nil {
		t.Fatalf("GetOrgPreferences: %v", err)
	}
	if p := got.Payload; p.Theme != "dark" || p.Timezone != "utc" || p.WeekStart != "monday" || p.Language != "de-DE" ||
		p.QueryHistory == nil || p.QueryHistory.HomeTab != "starred" {
		t.Fatalf("org preferences = %+v", p)
	}
	// Org 2's are its own; a Viewer may not read or write the org's.
	wantBody(t, ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/org/preferences", nil), `{}`)
	bob := ts.login(t, "bob", "bob-pass")
	wantAccessDenied(t, bob.expect(t, http.StatusForbidden, "GET", "/api/org/preferences", nil), "orgs.preferences:read")
	wantAccessDenied(t, bob.expect(t, http.StatusForbidden, "PUT", "/api/org/preferences", `{"theme":"light"}`), "orgs.preferences:write")

	// User preferences: each user's own, per org.
	if _, err := admin.SignedInUser.UpdateUserPreferences(&models.UpdatePrefsCmd{Theme: "light"}); err != nil {
		t.Fatalf("UpdateUserPreferences: %v", err)
	}
	bob.expect(t, http.StatusOK, "PATCH", "/api/user/preferences", `{"weekStart":"sunday"}`)
	mine, err := admin.SignedInUser.GetUserPreferences()
	if err != nil {
		t.Fatalf("GetUserPreferences: %v", err)
	}
	if mine.Payload.Theme != "light" || mine.Payload.WeekStart != "" {
		t.Fatalf("the admin's preferences = %+v, want theme light only", mine.Payload)
	}
	wantBody(t, bob.expect(t, http.StatusOK, "GET", "/api/user/preferences", nil), `{"weekStart":"sunday"}`)
	wantBody(t, ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/user/preferences", nil), `{}`)
	_, err = admin.SignedInUser.UpdateUserPreferences(&models.UpdatePrefsCmd{Theme: "neon"})
	gcWantStatus(t, "UpdateUserPreferences with an unknown theme", err, 400)
}

func TestGrafanaClient_OrgByNameAndUserTeams(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := gcClient(t, ts, "")
	createOrg2(t, ts)
	// Names that look like the routes beside /api/orgs/name/{name}.
	for _, name := range []string{"users", "name", "Acme / Ops"} {
		ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": name})
	}
	for _, name := range []string{"Main Org.", "Org2", "users", "name", "Acme / Ops"} {
		res, err := admin.Orgs.GetOrgByName(name)
		if err != nil {
			t.Fatalf("GetOrgByName(%q): %v", name, err)
		}
		if res.Payload.Name != name || res.Payload.ID <= 0 || res.Payload.Address == nil {
			t.Fatalf("GetOrgByName(%q) = %+v", name, res.Payload)
		}
	}
	r := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/name/Org2", nil)
	wantBody(t, r, `{"id":2,"name":"Org2","address":`+emptyAddress+`}`)
	wantMessage(t, ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/name/"+url.PathEscape("No Such Org"), nil),
		"Organization not found")
	// The route beside it still answers, and other paths of the same shape are unknown.
	if got := ts.admin().expect(t, http.StatusOK, "GET", "/api/orgs/1/users", nil).List(t); len(got) != 1 || got[0]["login"] != "admin" {
		t.Fatalf("GET /api/orgs/1/users = %v", got)
	}
	wantBody(t, ts.admin().expect(t, http.StatusNotFound, "GET", "/api/orgs/1/nothing", nil), `{"message":"Not found"}`)
	bob := ts.createUser(t, map[string]any{"login": "bob", "email": "bob@example.com", "password": "bob-pass"})
	wantAccessDenied(t, ts.login(t, "bob", "bob-pass").expect(t, http.StatusForbidden, "GET", "/api/orgs/name/Org2", nil), "orgs:read")

	// A user's teams in the request's org.
	teamID, _ := apiTeam(t, ts.admin(), "platform", "")
	apiTeam(t, ts.admin(), "other", "")
	apiAddTeamMember(t, ts, teamID, bob)
	teams, err := admin.Users.GetUserTeams(bob)
	if err != nil {
		t.Fatalf("GetUserTeams: %v", err)
	}
	if len(teams.Payload) != 1 || teams.Payload[0].ID == nil || *teams.Payload[0].ID != teamID || *teams.Payload[0].Name != "platform" {
		t.Fatalf("GetUserTeams(bob) = %+v", teams.Payload)
	}
	wantBody(t, ts.admin().with("X-Grafana-Org-Id", "2").expect(t, http.StatusOK, "GET", "/api/users/"+itoa64(bob)+"/teams", nil), `[]`)
}

func TestGrafanaClient_AdminSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := gcClient(t, ts, "")
	bob := ts.createUser(t, map[string]any{"login": "bob", "email": "bob@example.com", "password": "bob-pass"})
	laptop := ts.anon().with("Origin", ts.URL).with("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	laptop.expect(t, http.StatusOK, "POST", "/login", map[string]string{"user": "bob", "password": "bob-pass"})
	phone := ts.login(t, "bob", "bob-pass")
	laptop.expect(t, http.StatusOK, "GET", "/api/user", nil)

	// The sessions, as Grafana's UserToken list (Grafana's client models that list with other
	// field names and types than Grafana sends, so it is read here as JSON).
	list := ts.admin().expect(t, http.StatusOK, "GET", "/api/admin/users/"+itoa64(bob)+"/auth-tokens", nil).List(t)
	if len(list) != 2 {
		t.Fatalf("bob's sessions = %v, want 2", list)
	}
	var seen map[string]any // the laptop's
	for _, s := range list {
		if s["browser"] == "Firefox" {
			seen = s
		}
	}
	if seen == nil {
		t.Fatalf("no session with browser Firefox in %v", list)
	}
	wantKeys(t, seen, "id", "isActive", "clientIp", "device", "os", "osVersion", "browser", "browserVersion", "authModule", "createdAt", "seenAt")
	wantFields(t, seen, map[string]any{"isActive": false, "clientIp": "127.0.0.1", "browser": "Firefox", "os": "Linux", "device": "Other"})
	if _, err := time.Parse(time.RFC3339, seen["createdAt"].(string)); err != nil {
		t.Fatalf("createdAt = %v, want RFC 3339", seen["createdAt"])
	}

	// Revoke the laptop's session: it is refused, the phone's still works.
	res, err := admin.AdminUsers.AdminRevokeUserAuthToken(bob, &models.RevokeAuthTokenCmd{AuthTokenID: idOf(t, seen, "id")})
	if err != nil {
		t.Fatalf("AdminRevokeUserAuthToken: %v", err)
	}
	if res.Payload.Message != "User auth token revoked" {
		t.Fatalf("revoke message = %q", res.Payload.Message)
	}
	wantUnauthorized(t, laptop.do(t, "GET", "/api/user", nil))
	phone.expect(t, http.StatusOK, "GET", "/api/user", nil)
	_, err = admin.AdminUsers.AdminRevokeUserAuthToken(bob, &models.RevokeAuthTokenCmd{AuthTokenID: idOf(t, seen, "id")})
	gcWantStatus(t, "revoking it again", err, 404)
	wantMessage(t, ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/"+itoa64(bob)+"/revoke-auth-token",
		`{"authTokenId":999999}`), "User auth token not found")
	// The admin's own session, in use for this very request, cannot be revoked so.
	own := ts.admin().expect(t, http.StatusOK, "GET", "/api/admin/users/1/auth-tokens", nil).List(t)
	if len(own) != 1 || own[0]["isActive"] != true {
		t.Fatalf("the admin's sessions = %v, want its own, active", own)
	}
	wantMessage(t, ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users/1/revoke-auth-token",
		map[string]any{"authTokenId": own[0]["id"]}), "Cannot revoke active user auth token")

	// Log bob out everywhere.
	out, err := admin.AdminUsers.AdminLogoutUser(bob)
	if err != nil {
		t.Fatalf("AdminLogoutUser: %v", err)
	}
	if out.Payload.Message != "User logged out" {
		t.Fatalf("logout message = %q", out.Payload.Message)
	}
	wantUnauthorized(t, phone.do(t, "GET", "/api/user", nil))
	wantBody(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/admin/users/"+itoa64(bob)+"/auth-tokens", nil), `[]`)
	wantMessage(t, ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/admin/users/1/logout", nil), "You cannot logout yourself")
	wantMessage(t, ts.admin().expect(t, http.StatusNotFound, "POST", "/api/admin/users/999999/logout", nil), "User not found")
	wantMessage(t, ts.admin().expect(t, http.StatusNotFound, "GET", "/api/admin/users/999999/auth-tokens", nil), "User not found")
	// Only server admins manage others' sessions.
	bobAgain := ts.login(t, "bob", "bob-pass")
	wantAccessDenied(t, bobAgain.expect(t, http.StatusForbidden, "POST", "/api/admin/users/1/logout", nil), "users:logout")
}
