// Orgs: create, find, rename and delete an org, FindOrgs filtering, and what
// DeleteOrg removes with it (memberships, service accounts, teams, grants, tokens) and keeps.

package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var orgTests = []contractTest{
	{"Org/CreateFindUpdateDelete", testOrgCreateFindUpdateDelete},
	{"Org/NotFound", testOrgNotFound},
	{"Org/ConflictName", testOrgConflictName},
	{"Org/FindOrgs", testOrgFindOrgs},
	{"Org/DeleteCascades", testOrgDeleteCascades},
}

func testOrgCreateFindUpdateDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := &warden.Org{
		Name: "Acme",
		Address: warden.Address{Address1: "1 Main St", Address2: "Floor 2", City: "Springfield",
			ZipCode: "12345", State: "OR", Country: "US"},
		Created: t0,
		Updated: t0.Add(time.Minute),
	}
	update(t, s, func(tx warden.Tx) error { return tx.CreateOrg(ctx, o) })
	if o.ID == 0 {
		t.Fatal("CreateOrg left ID 0")
	}
	want := *o
	got := get(t, s, func(tx warden.Tx) (*warden.Org, error) { return tx.FindOrgByID(ctx, o.ID) })
	wantEqual(t, "FindOrgByID", *got, want)
	got = get(t, s, func(tx warden.Tx) (*warden.Org, error) { return tx.FindOrgByName(ctx, "Acme") })
	wantEqual(t, "FindOrgByName", *got, want)

	upd := want
	upd.Name = "Acme Corp"
	upd.Address = warden.Address{Address1: "2 Side St", City: "Shelbyville", Country: "CA"}
	upd.Updated = t0.Add(time.Hour)
	update(t, s, func(tx warden.Tx) error { return tx.UpdateOrg(ctx, &upd) })
	got = get(t, s, func(tx warden.Tx) (*warden.Org, error) { return tx.FindOrgByID(ctx, o.ID) })
	wantEqual(t, "FindOrgByID after UpdateOrg", *got, upd)
	if orgExists(t, s, "Acme") {
		t.Fatal("FindOrgByName finds the old name after UpdateOrg")
	}
	if !orgExists(t, s, "Acme Corp") {
		t.Fatal("FindOrgByName does not find the new name after UpdateOrg")
	}

	update(t, s, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, o.ID) })
	err := s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindOrgByID(ctx, o.ID)
		return err
	})
	wantCode(t, "FindOrgByID after DeleteOrg", err, warden.ENOTFOUND)
}

func testOrgNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	missing := o.ID + 1000
	wantNotFound(t, s, []notFoundCase{
		{"FindOrgByID", false, func(tx warden.Tx) error { _, err := tx.FindOrgByID(ctx, missing); return err }},
		{"FindOrgByName", false, func(tx warden.Tx) error { _, err := tx.FindOrgByName(ctx, "Nope"); return err }},
		{"UpdateOrg", true, func(tx warden.Tx) error {
			return tx.UpdateOrg(ctx, &warden.Org{ID: missing, Name: "Nope", Updated: t0})
		}},
		{"DeleteOrg", true, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, missing) }},
	})
	if !orgExists(t, s, "Acme") {
		t.Fatal("existing org gone after not-found operations")
	}
}

func testOrgConflictName(t *testing.T, s warden.Store) {
	ctx := t.Context()
	mustCreateOrg(t, s, "Acme")
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.CreateOrg(ctx, &warden.Org{Name: "Acme", Created: t0, Updated: t0})
	})
	wantCode(t, "CreateOrg with a taken name", err, warden.ECONFLICT)

	other := mustCreateOrg(t, s, "Other")
	err = s.Update(ctx, func(tx warden.Tx) error {
		return tx.UpdateOrg(ctx, &warden.Org{ID: other.ID, Name: "Acme", Updated: t0})
	})
	wantCode(t, "UpdateOrg to a taken name", err, warden.ECONFLICT)
	got := get(t, s, func(tx warden.Tx) (*warden.Org, error) { return tx.FindOrgByID(ctx, other.ID) })
	if got, want := got.Name, "Other"; got != want {
		t.Fatalf("Name=%q after failed UpdateOrg, want %q", got, want)
	}
	orgs := get(t, s, func(tx warden.Tx) ([]*warden.Org, error) { return tx.FindOrgs(ctx, warden.OrgFilter{}) })
	if got, want := orgNames(orgs), []string{"Acme", "Other"}; !slices.Equal(got, want) {
		t.Fatalf("FindOrgs=%q, want %q", got, want)
	}
}

func testOrgFindOrgs(t *testing.T, s warden.Store) {
	ctx := t.Context()
	// Created in this order, so ids ascend in this order.
	for _, name := range []string{"alpha", "beta", "al%x", "alpine", "xal", "al_y"} {
		mustCreateOrg(t, s, name)
	}
	for _, c := range []struct {
		f    warden.OrgFilter
		want []string
	}{
		{warden.OrgFilter{}, []string{"alpha", "beta", "al%x", "alpine", "xal", "al_y"}},
		{warden.OrgFilter{Query: "al"}, []string{"alpha", "al%x", "alpine", "al_y"}},
		{warden.OrgFilter{Query: "al%"}, []string{"al%x"}},
		{warden.OrgFilter{Query: "al_"}, []string{"al_y"}},
		{warden.OrgFilter{Query: "%"}, []string{}},
		{warden.OrgFilter{Query: "pha"}, []string{}},
		{warden.OrgFilter{Name: "beta"}, []string{"beta"}},
		{warden.OrgFilter{Name: "bet"}, []string{}},
		{warden.OrgFilter{Name: "al%x"}, []string{"al%x"}},
		{warden.OrgFilter{Limit: 2}, []string{"alpha", "beta"}},
		{warden.OrgFilter{Offset: 1, Limit: 2}, []string{"beta", "al%x"}},
		{warden.OrgFilter{Offset: 5, Limit: 2}, []string{"al_y"}},
		{warden.OrgFilter{Offset: 6, Limit: 2}, []string{}},
		{warden.OrgFilter{Query: "al", Offset: 1, Limit: 2}, []string{"al%x", "alpine"}},
	} {
		orgs := get(t, s, func(tx warden.Tx) ([]*warden.Org, error) { return tx.FindOrgs(ctx, c.f) })
		if got := orgNames(orgs); !slices.Equal(got, c.want) {
			t.Errorf("FindOrgs(%+v)=%q, want %q", c.f, got, c.want)
		}
	}
	// Ordered by id.
	orgs := get(t, s, func(tx warden.Tx) ([]*warden.Org, error) { return tx.FindOrgs(ctx, warden.OrgFilter{}) })
	for i := 1; i < len(orgs); i++ {
		if orgs[i-1].ID >= orgs[i].ID {
			t.Fatalf("FindOrgs not ordered by id: %d before %d", orgs[i-1].ID, orgs[i].ID)
		}
	}
}

func testOrgDeleteCascades(t *testing.T, s warden.Store) {
	ctx := t.Context()
	gone := mustCreateOrg(t, s, "Gone")
	kept := mustCreateOrg(t, s, "Kept")

	// only's current org is the deleted one; both's current org is the kept one.
	only := mustCreateUser(t, s, "only", func(u *warden.User) { u.OrgID = gone.ID })
	both := mustCreateUser(t, s, "both", func(u *warden.User) { u.OrgID = kept.ID })
	mustAddOrgUser(t, s, gone.ID, only.ID, warden.RoleAdmin)
	mustAddOrgUser(t, s, gone.ID, both.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, kept.ID, both.ID, warden.RoleEditor)

	goneSA := mustCreateServiceAccount(t, s, gone.ID, "sa-gone")
	mustAddOrgUser(t, s, gone.ID, goneSA.ID, warden.RoleViewer)
	keptSA := mustCreateServiceAccount(t, s, kept.ID, "sa-kept")
	mustAddOrgUser(t, s, kept.ID, keptSA.ID, warden.RoleViewer)
	mustGrant(t, s, gone.ID, goneSA.ID, both.ID, warden.LevelEdit)
	mustGrant(t, s, kept.ID, keptSA.ID, both.ID, warden.LevelAdmin)
	mustCreateSession(t, s, only.ID, "hash-only", t0, t0)
	team := mustCreateTeam(t, s, gone.ID, "ops")
	mustAddTeamMember(t, s, gone.ID, team.ID, both.ID, warden.TeamPermissionMember)
	keptTeam := mustCreateTeam(t, s, kept.ID, "ops")
	mustAddTeamMember(t, s, kept.ID, keptTeam.ID, both.ID, warden.TeamPermissionMember)

	update(t, s, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, gone.ID) })

	if orgExists(t, s, "Gone") {
		t.Fatal("org still found after DeleteOrg")
	}
	if isMember(t, s, gone.ID, only.ID) || isMember(t, s, gone.ID, both.ID) {
		t.Fatal("memberships of the deleted org remain")
	}
	if userExists(t, s, goneSA.ID) {
		t.Fatal("service account of the deleted org remains")
	}
	if got := resourcePermissions(t, s, gone.ID, goneSA.ID); len(got) != 0 {
		t.Fatalf("grants on the deleted service account remain: %+v", got)
	}
	if got := userPermissions(t, s, gone.ID, both.ID); len(got) != 0 {
		t.Fatalf("grants in the deleted org remain: %+v", got)
	}
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTeamByID(ctx, gone.ID, team.ID); return err })
	wantCode(t, "FindTeamByID(team of the deleted org)", err, warden.ENOTFOUND)
	if got := userTeamIDs(t, s, gone.ID, both.ID); len(got) != 0 {
		t.Fatalf("team memberships in the deleted org remain: %v", got)
	}
	if got, want := userTeamIDs(t, s, kept.ID, both.ID), []int64{keptTeam.ID}; !slices.Equal(got, want) {
		t.Fatalf("team memberships in another org=%v, want %v", got, want)
	}

	// Humans stay; the one whose current org went now has none.
	u := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, only.ID) })
	if got, want := u.OrgID, int64(0); got != want {
		t.Fatalf("OrgID of a user whose current org was deleted=%d, want %d", got, want)
	}
	if !sessionExists(t, s, "hash-only") {
		t.Fatal("DeleteOrg removed a human user's session")
	}
	u = get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, both.ID) })
	if got, want := u.OrgID, kept.ID; got != want {
		t.Fatalf("OrgID of a user of another org=%d, want %d", got, want)
	}

	// The other org is untouched.
	if !isMember(t, s, kept.ID, both.ID) || !isMember(t, s, kept.ID, keptSA.ID) {
		t.Fatal("DeleteOrg removed memberships of another org")
	}
	if got, want := holders(resourcePermissions(t, s, kept.ID, keptSA.ID)), []int64{both.ID}; !slices.Equal(got, want) {
		t.Fatalf("grants on another org's service account=%v, want %v", got, want)
	}
	wantUsers(t, s, warden.UserFilter{ServiceAccounts: true}, []string{"sa-kept"}, 1)
	wantUsers(t, s, warden.UserFilter{}, []string{"both", "only"}, 2)
	orgs := get(t, s, func(tx warden.Tx) ([]*warden.UserOrg, error) { return tx.FindUserOrgs(ctx, both.ID) })
	if got, want := len(orgs), 1; got != want {
		t.Fatalf("len(FindUserOrgs)=%d, want %d", got, want)
	}
	if got, want := orgs[0].OrgID, kept.ID; got != want {
		t.Fatalf("FindUserOrgs[0].OrgID=%d, want %d", got, want)
	}
}
