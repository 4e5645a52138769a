package main

// Warden driven as Grafana's Terraform provider (grafana/grafana v4) drives it. The provider
// cannot be built here (its module is not served by the module proxy), so these tests replay
// its calls: the same Go client (github.com/grafana/grafana-openapi-client-go) the provider
// uses, with the same models and so the same bodies, in the order an apply, a second plan, a
// change and a destroy send them, plus the exact bodies quoted in issue 15.

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/go-openapi/strfmt"
	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/client/access_control"
	"github.com/grafana/grafana-openapi-client-go/client/service_accounts"
	"github.com/grafana/grafana-openapi-client-go/client/teams"
	"github.com/grafana/grafana-openapi-client-go/models"
)

// tfClient returns Grafana's client configured as the provider configures it for a token:
// Bearer auth, and X-Grafana-Org-Id for resources whose id names org 1 ("1:<id>").
func tfClient(t *testing.T, ts *testServer, token string) *goapi.GrafanaHTTPAPI {
	t.Helper()
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return goapi.NewHTTPClientWithConfig(strfmt.Default, &goapi.TransportConfig{Host: u.Host, BasePath: "/api",
		Schemes: []string{"http"}, APIKey: token, OrgID: 1,
		HTTPHeaders: map[string]string{"Grafana-Terraform-Provider": "true"}})
}

// tfSetup starts a server with an Admin service account whose token Terraform uses, and
// returns the server and that token.
func tfSetup(t *testing.T) (*testServer, string) {
	t.Helper()
	ts := startServer(t, nil)
	saID, _ := apiSA(t, ts.admin(), "terraform", "Admin")
	return ts, apiToken(t, ts.admin(), saID, "terraform")
}

// tfGrant is one entry of grafana_service_account_permission's permissions set.
type tfGrant struct {
	UserID, TeamID int64
	Permission     string
}

// tfReadGrants reads a service account's permissions as the provider does: the managed,
// not inherited entries of GET /api/access-control/serviceaccounts/{id}.
func tfReadGrants(t *testing.T, tf *goapi.GrafanaHTTPAPI, saID int64) []tfGrant {
	t.Helper()
	res, err := tf.AccessControl.GetResourcePermissions(itoa64(saID), "serviceaccounts")
	if err != nil {
		t.Fatalf("GetResourcePermissions: %v", err)
	}
	var out []tfGrant
	for _, p := range res.Payload {
		if p.IsManaged && !p.IsInherited {
			out = append(out, tfGrant{p.UserID, p.TeamID, p.Permission})
		}
	}
	return out
}

// tfApplyGrants sends what the provider sends to make the permissions of saID equal want: the
// entries to add, and a removal (no permission) for each current one not wanted.
func tfApplyGrants(t *testing.T, tf *goapi.GrafanaHTTPAPI, saID int64, want []tfGrant) {
	t.Helper()
	current := tfReadGrants(t, tf, saID)
	var changes []*models.SetResourcePermissionCommand
	for _, c := range current {
		if !slices.Contains(want, c) {
			changes = append(changes, &models.SetResourcePermissionCommand{UserID: c.UserID, TeamID: c.TeamID})
		}
	}
	for _, w := range want {
		if !slices.Contains(current, w) {
			changes = append(changes, &models.SetResourcePermissionCommand{UserID: w.UserID, TeamID: w.TeamID, Permission: w.Permission})
		}
	}
	res, err := tf.AccessControl.SetResourcePermissions(access_control.NewSetResourcePermissionsParams().
		WithResource("serviceaccounts").WithResourceID(itoa64(saID)).
		WithBody(&models.SetPermissionsCommand{Permissions: changes}))
	if err != nil {
		t.Fatalf("SetResourcePermissions(%d changes): %v", len(changes), err)
	}
	if res.Payload.Message != "Permissions updated" {
		t.Fatalf("SetResourcePermissions message = %q, want Permissions updated", res.Payload.Message)
	}
}

func wantGrants(t *testing.T, what string, got, want []tfGrant) {
	t.Helper()
	key := func(g tfGrant) string {
		return strconv.FormatInt(g.UserID, 10) + "/" + strconv.FormatInt(g.TeamID, 10) + "/" + g.Permission
	}
	sortBy := func(gs []tfGrant) []string {
		out := []string{}
		for _, g := range gs {
			out = append(out, key(g))
		}
		slices.Sort(out)
		return out
	}
	if g, w := sortBy(got), sortBy(want); !slices.Equal(g, w) {
		t.Fatalf("%s: permissions (user/team/level) = %v, want %v", what, g, w)
	}
}

// TestTerraform_ServiceAccountPermission replays grafana_service_account_permission: apply, a
// second plan with no drift, a change and a destroy, and the refusals of bad sets.
func TestTerraform_ServiceAccountPermission(t *testing.T) {
	t.Parallel()
	ts, token := tfSetup(t)
	tf := tfClient(t, ts, token)
	saID, _ := apiSA(t, ts.admin(), "deployer", "Editor")
	alice := ts.createUser(t, map[string]any{"login": "alice", "email": "alice@example.com", "password": "alice-pass"})
	teamID, _ := apiTeam(t, ts.admin(), "platform", "")

	// Apply. The admin created the account through the API and so holds Admin on it, as in
	// Grafana; the first apply removes that grant, since the configuration does not name it.
	wantGrants(t, "before apply", tfReadGrants(t, tf, saID), []tfGrant{{UserID: 1, Permission: "Admin"}})
	config := []tfGrant{{UserID: alice, Permission: "Edit"}, {TeamID: teamID, Permission: "Admin"}}
	tfApplyGrants(t, tf, saID, config)
	wantGrants(t, "after apply", tfReadGrants(t, tf, saID), config)

	// A second plan reads the same set: nothing to change, and the provider's empty update is
	// answered as Grafana answers it.
	wantGrants(t, "second plan", tfReadGrants(t, tf, saID), config)
	r := ts.bearer(token).with("X-Grafana-Org-Id", "1").expect(t, http.StatusOK, "POST",
		"/api/access-control/serviceaccounts/"+itoa64(saID), `{"permissions":null}`)
	wantBody(t, r, `{"message":"Permissions updated"}`)
	wantGrants(t, "after an empty update", tfReadGrants(t, tf, saID), config)

	// Change: alice becomes Admin, the team's grant goes.
	changed := []tfGrant{{UserID: alice, Permission: "Admin"}}
	tfApplyGrants(t, tf, saID, changed)
	wantGrants(t, "after the change", tfReadGrants(t, tf, saID), changed)

	// The body quoted in the issue: grants for a user and a team and, with an empty
	// permission, the removal of user 1's (absent) grant.
	r = ts.bearer(token).expect(t, http.StatusOK, "POST", "/api/access-control/serviceaccounts/"+itoa64(saID),
		`{"permissions":[{"userId":`+itoa64(alice)+`,"permission":"Edit"},{"teamId":`+itoa64(teamID)+`,"permission":"Admin"},{"userId":1,"permission":""}]}`)
	wantBody(t, r, `{"message":"Permissions updated"}`)
	wantGrants(t, "after the issue's body", tfReadGrants(t, tf, saID), config)

	// Refusals change nothing: one bad entry spoils the whole set.
	z := setupZ(t, ts) // a user of org 2 only
	for _, c := range []struct{ body, message string }{
		{`{"permissions":[{"userId":` + itoa64(alice) + `},{"userId":` + itoa64(z) + `,"permission":"Edit"}]}`,
			"user is not a member of the service account's organization"},
		{`{"permissions":[{"userId":` + itoa64(alice) + `},{"teamId":999999,"permission":"Edit"}]}`,
			"team not found in the service account's organization"},
		{`{"permissions":[{"userId":` + itoa64(alice) + `},{"userId":` + itoa64(saID) + `,"permission":"Edit"}]}`, "user not found"},
		{`{"permissions":[{"userId":` + itoa64(alice) + `},{"builtInRole":"Viewer","permission":"Edit"}]}`,
			"service account permissions cannot be granted to a built-in role"},
		{`{"permissions":[{"userId":` + itoa64(alice) + `,"teamId":` + itoa64(teamID) + `,"permission":"Edit"}]}`,
			"each permission needs exactly one of userId and teamId"},
		{`{"permissions":[{"userId":` + itoa64(alice) + `,"permission":"Owner"}]}`, "invalid permission"},
		{`{"permissions":{}}`, "bad request data"},
	} {
		r := ts.bearer(token).expect(t, http.StatusBadRequest, "POST", "/api/access-control/serviceaccounts/"+itoa64(saID), c.body)
		wantMessage(t, r, c.message)
	}
	wantGrants(t, "after refused sets", tfReadGrants(t, tf, saID), config)
	r = ts.bearer(token).expect(t, http.StatusNotFound, "POST", "/api/access-control/serviceaccounts/999999", `{"permissions":[]}`)
	wantMessage(t, r, "service account not found")
	viewer := ts.createUser(t, map[string]any{"login": "viewer", "password": "viewer-pass"})
	_ = viewer
	r = ts.login(t, "viewer", "viewer-pass").expect(t, http.StatusForbidden, "POST",
		"/api/access-control/serviceaccounts/"+itoa64(saID), `{"permissions":[]}`)
	wantAccessDenied(t, r, "serviceaccounts.permissions:write")

	// Destroy: every grant removed.
	tfApplyGrants(t, tf, saID, nil)
	wantGrants(t, "after destroy", tfReadGrants(t, tf, saID), nil)
}

// tfTeamRead is what the provider's grafana_team reads back after each apply and on every plan.
type tfTeamRead struct {
	OrgID        int64
	Name, Email  string
	Prefs        models.PreferencesSpec
	MemberEmails []string
}

func tfReadTeam(t *testing.T, tf *goapi.GrafanaHTTPAPI, teamID int64) tfTeamRead {
	t.Helper()
	id := itoa64(teamID)
	team, err := tf.Teams.GetTeamByID(teams.NewGetTeamByIDParams().WithTeamID(id))
	if err != nil {
		t.Fatalf("GetTeamByID: %v", err)
	}
	prefs, err := tf.Teams.GetTeamPreferences(id)
	if err != nil {
		t.Fatalf("GetTeamPreferences: %v", err)
	}
	members, err := tf.Teams.GetTeamMembers(id)
	if err != nil {
		t.Fatalf("GetTeamMembers: %v", err)
	}
	read := tfTeamRead{OrgID: *team.Payload.OrgID, Name: *team.Payload.Name, Email: team.Payload.Email, Prefs: *prefs.Payload}
	for _, m := range members.Payload {
		if m.Email != "admin@localhost" && len(m.Labels) == 0 { // the provider hides these
			read.MemberEmails = append(read.MemberEmails, m.Email)
		}
	}
	slices.Sort(read.MemberEmails)
	return read
}

func ptr[T any](v T) *T { return &v }

func wantTeamRead(t *testing.T, what string, got, want tfTeamRead) {
	t.Helper()
	if got.OrgID != want.OrgID || got.Name != want.Name || got.Email != want.Email ||
		!slices.Equal(got.MemberEmails, want.MemberEmails) || got.Prefs.Theme != want.Prefs.Theme ||
		got.Prefs.HomeDashboardUID != want.Prefs.HomeDashboardUID || got.Prefs.Timezone != want.Prefs.Timezone ||
		got.Prefs.WeekStart != want.Prefs.WeekStart {
		t.Fatalf("%s: team read %+v, want %+v", what, got, want)
	}
}

// TestTerraform_Team replays grafana_team with members and preferences: apply, a second plan
// with no drift, a change, removing the preferences block, and a destroy after which the
// provider's read finds nothing (and drops the team from its state).
func TestTerraform_Team(t *testing.T) {
	t.Parallel()
	ts, token := tfSetup(t)
	tf := tfClient(t, ts, token)
	bob := ts.createUser(t, map[string]any{"login": "bob", "email": "bob@example.com", "password": "bob-pass"})
	ts.createUser(t, map[string]any{"login": "carol", "email": "carol@example.com", "password": "carol-pass"})

	// Apply: create, add the members found through GET /api/org/users, write the preferences.
	created, err := tf.Teams.CreateTeam(&models.CreateTeamCommand{Name: ptr("platform"), Email: "platform@example.com"})
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	teamID, id := created.Payload.TeamID, itoa64(created.Payload.TeamID)
	users, err := tf.Org.GetOrgUsersForCurrentOrg(nil)
	if err != nil {
		t.Fatalf("GetOrgUsersForCurrentOrg: %v", err)
	}
	for _, u := range users.Payload {
		if u.Email == "bob@example.com" {
			if _, err := tf.Teams.AddTeamMember(id, &models.AddTeamMemberCommand{UserID: ptr(u.UserID)}); err != nil {
				t.Fatalf("AddTeamMember: %v", err)
			}
		}
	}
	prefs := &models.UpdatePrefsCmd{Theme: "dark", HomeDashboardUID: "home-dash", Timezone: "utc", WeekStart: "monday"}
	if _, err := tf.Teams.UpdateTeamPreferences(id, prefs); err != nil {
		t.Fatalf("UpdateTeamPreferences: %v", err)
	}
	want := tfTeamRead{OrgID: 1, Name: "platform", Email: "platform@example.com", MemberEmails: []string{"bob@example.com"},
		Prefs: models.PreferencesSpec{Theme: "dark", HomeDashboardUID: "home-dash", Timezone: "utc", WeekStart: "monday"}}
	wantTeamRead(t, "after apply", tfReadTeam(t, tf, teamID), want)
	// The provider's exact body ("cookies" is always there, null) is accepted as well.
	r := ts.bearer(token).expect(t, http.StatusOK, "PUT", "/api/teams/"+id+"/preferences",
		`{"cookies":null,"homeDashboardUID":"home-dash","theme":"dark","timezone":"utc","weekStart":"monday"}`)
	wantBody(t, r, `{"message":"Preferences updated"}`)

	// Second plan: the same read, so no drift.
	wantTeamRead(t, "second plan", tfReadTeam(t, tf, teamID), want)

	// Change: rename, swap members (bob out, carol in), fewer preferences. PUT replaces all.
	if _, err := tf.Teams.UpdateTeam(id, &models.UpdateTeamCommand{Name: "platform-team", Email: "platform@example.com"}); err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}
	if _, err := tf.Teams.RemoveTeamMember(bob, id); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	if _, err := tf.Teams.SetTeamMemberships(id, &models.SetTeamMembershipsCommand{Members: []string{"carol@example.com"}}); err != nil {
		t.Fatalf("SetTeamMemberships: %v", err)
	}
	if _, err := tf.Teams.UpdateTeamPreferences(id, &models.UpdatePrefsCmd{Theme: "light"}); err != nil {
		t.Fatalf("UpdateTeamPreferences: %v", err)
	}
	want = tfTeamRead{OrgID: 1, Name: "platform-team", Email: "platform@example.com", MemberEmails: []string{"carol@example.com"},
		Prefs: models.PreferencesSpec{Theme: "light"}}
	wantTeamRead(t, "after the change", tfReadTeam(t, tf, teamID), want)

	// The preferences block removed: the provider sends {"cookies":null}; nothing is left.
	ts.bearer(token).expect(t, http.StatusOK, "PUT", "/api/teams/"+id+"/preferences", `{"cookies":null}`)
	wantBody(t, ts.bearer(token).expect(t, http.StatusOK, "GET", "/api/teams/"+id+"/preferences", nil), `{}`)

	// Destroy, then the provider's next read: 404, which it takes as "gone".
	if _, err := tf.Teams.DeleteTeamByID(id); err != nil {
		t.Fatalf("DeleteTeamByID: %v", err)
	}
	_, err = tf.Teams.GetTeamByID(teams.NewGetTeamByIDParams().WithTeamID(id))
	gcWantStatus(t, "GetTeamByID after destroy", err, 404)
	_, err = tf.Teams.GetTeamPreferences(id)
	gcWantStatus(t, "GetTeamPreferences after destroy", err, 404)
}

// TestTerraform_TeamMembersAndPreferencesRules covers what Grafana checks on the team routes
// the provider uses: the bulk member set and the preferences' values.
func TestTerraform_TeamMembersAndPreferencesRules(t *testing.T) {
	t.Parallel()
	ts, token := tfSetup(t)
	tf := tfClient(t, ts, token)
	ts.createUser(t, map[string]any{"login": "bob", "email": "bob@example.com", "password": "bob-pass"})
	ts.createUser(t, map[string]any{"login": "carol", "email": "carol@example.com", "password": "carol-pass"})
	setupZ(t, ts) // z: a user of org 2 only
	teamID, _ := apiTeam(t, ts.admin(), "ops", "")
	id := itoa64(teamID)
	members := func() map[string]int64 {
		res, err := tf.Teams.GetTeamMembers(id)
		if err != nil {
			t.Fatalf("GetTeamMembers: %v", err)
		}
		out := map[string]int64{}
		for _, m := range res.Payload {
			out[m.Login] = int64(m.Permission)
		}
		return out
	}
	// The admin created the team (through its session), so it is the team's Admin, as in Grafana.
	if got := members(); len(got) != 1 || got["admin"] != 4 {
		t.Fatalf("members of a new team = %v, want the creator as Admin", got)
	}

	// PUT /api/teams/{id}/members replaces everyone; a user in both lists is an Admin; logins
	// do as well as emails.
	r := ts.bearer(token).expect(t, http.StatusOK, "PUT", "/api/teams/"+id+"/members",
		`{"members":["BOB@example.com","carol"],"admins":["carol@example.com"]}`)
	wantBody(t, r, `{"message":"Team memberships have been updated"}`)
	if got := members(); len(got) != 2 || got["bob"] != 0 || got["carol"] != 4 {
		t.Fatalf("members after the bulk set = %v, want bob Member, carol Admin", got)
	}
	for _, c := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{"members":["bob@example.com","nobody@example.com"]}`, 404, "user not found"},
		{`{"members":["z"]}`, 404, "user not found"}, // of another org
		{`{"members":"bob"}`, 400, "bad request data"},
	} {
		wantMessage(t, ts.bearer(token).expect(t, c.status, "PUT", "/api/teams/"+id+"/members", c.body), c.msg)
	}
	if got := members(); len(got) != 2 || got["bob"] != 0 || got["carol"] != 4 {
		t.Fatalf("members after refused sets = %v, want them unchanged", got)
	}
	wantMessage(t, ts.bearer(token).expect(t, http.StatusNotFound, "PUT", "/api/teams/999999/members", `{"members":[]}`), "Team not found")
	ts.bearer(token).expect(t, http.StatusOK, "PUT", "/api/teams/"+id+"/members", `{"members":[]}`)
	if got := members(); len(got) != 0 {
		t.Fatalf("members after an empty set = %v, want none", got)
	}

	// Preferences: what Grafana refuses, and PATCH changing only what it names.
	prefs := "/api/teams/" + id + "/preferences"
	for _, c := range []struct{ method, body, msg string }{
		{"PUT", `{"theme":"purple"}`, "Invalid theme"},
		{"PATCH", `{"theme":""}`, "Invalid theme"},
		{"PUT", `{"cookies":["tracking"]}`, `Invalid cookie type "tracking"`},
		{"PUT", `{"homeDashboardId":-1}`, "Invalid home dashboard id"},
		{"PUT", `{"theme":3}`, "bad request data"},
	} {
		wantMessage(t, ts.bearer(token).expect(t, http.StatusBadRequest, c.method, prefs, c.body), c.msg)
	}
	ts.bearer(token).expect(t, http.StatusOK, "PUT", prefs, `{"theme":"system","timezone":"Europe/Berlin","cookies":["functional"]}`)
	ts.bearer(token).expect(t, http.StatusOK, "PATCH", prefs, `{"weekStart":"saturday","navbar":{"bookmarkUrls":["/a"]}}`)
	wantBody(t, ts.bearer(token).expect(t, http.StatusOK, "GET", prefs, nil),
		`{"theme":"system","timezone":"Europe/Berlin","weekStart":"saturday","navbar":{"bookmarkUrls":["/a"]},"cookiePreferences":{"functional":{}}}`)
	wantMessage(t, ts.bearer(token).expect(t, http.StatusNotFound, "GET", "/api/teams/999999/preferences", nil), "Team not found")
}

// TestTerraform_ServiceAccountDataSource replays the grafana_service_account data source: it
// pages through GET /api/serviceaccounts/search from page 0 until a page is empty, matching the
// name exactly, and reads the account's org from the answer.
func TestTerraform_ServiceAccountDataSource(t *testing.T) {
	t.Parallel()
	ts, token := tfSetup(t)
	tf := tfClient(t, ts, token)
	want, _ := apiSA(t, ts.admin(), "ci-bot", "Viewer")
	apiSA(t, ts.admin(), "ci-bot-2", "Viewer")
	var found []*models.ServiceAccountDTO
	pages := 0
	for page := int64(0); ; page++ {
		pages++
		if pages > 5 {
			t.Fatal("the search never answered an empty page")
		}
		res, err := tf.ServiceAccounts.SearchOrgServiceAccountsWithPaging(service_accounts.NewSearchOrgServiceAccountsWithPagingParams().WithPage(&page))
		if err != nil {
			t.Fatalf("search page %d: %v", page, err)
		}
		if len(res.Payload.ServiceAccounts) == 0 {
			break
		}
		for _, sa := range res.Payload.ServiceAccounts {
			if sa.Name == "ci-bot" {
				found = append(found, sa)
			}
		}
	}
	// Page 0 is page 1 (as in Grafana), so the account is seen twice before the empty page 2.
	if pages != 3 || len(found) != 2 || found[0].ID != want || found[0].OrgID != 1 || found[0].Role != "Viewer" {
		t.Fatalf("%d pages, matches %+v; want 3 pages and ci-bot (id %d) in org 1 twice", pages, found, want)
	}
}
