// Preferences: saved and found per owner (an org, a team, a user in an org), replaced in place,
// and gone with their owner.

package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var preferencesTests = []contractTest{
	{"Preferences/SaveFindReplace", testPreferencesSaveFindReplace},
	{"Preferences/OwnersAreSeparate", testPreferencesOwnersAreSeparate},
	{"Preferences/GoWithTheirOwner", testPreferencesGoWithTheirOwner},
}

func findPreferences(t *testing.T, s warden.Store, orgID, userID, teamID int64) *warden.Preferences {
	t.Helper()
	return get(t, s, func(tx warden.Tx) (*warden.Preferences, error) {
		return tx.FindPreferences(t.Context(), orgID, userID, teamID)
	})
}

func preferencesExist(t *testing.T, s warden.Store, orgID, userID, teamID int64) bool {
	t.Helper()
	return exists(t, s, "preferences", func(tx warden.Tx) error {
		_, err := tx.FindPreferences(t.Context(), orgID, userID, teamID)
		return err
	})
}

func mustSavePreferences(t *testing.T, s warden.Store, p *warden.Preferences) {
	t.Helper()
	update(t, s, func(tx warden.Tx) error { return tx.SavePreferences(t.Context(), p) })
}

func testPreferencesSaveFindReplace(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "acme")
	tm := mustCreateTeam(t, s, o.ID, "platform")
	if preferencesExist(t, s, o.ID, 0, tm.ID) {
		t.Fatal("a new team has stored preferences")
	}
	p := &warden.Preferences{OrgID: o.ID, TeamID: tm.ID, Theme: "dark", HomeDashboardUID: "home", Timezone: "Europe/Berlin",
		WeekStart: "monday", Language: "de-DE", RegionalFormat: "de", QueryHistoryTab: "query",
		BookmarkURLs: []string{"/a", "/b"}, Cookies: []string{"functional"}, HomeDashboardID: 7, Created: t0, Updated: t0}
	mustSavePreferences(t, s, p)
	wantEqual(t, "FindPreferences", *findPreferences(t, s, o.ID, 0, tm.ID), *p)

	// Saving again replaces the whole document and keeps the creation time.
	replaced := &warden.Preferences{OrgID: o.ID, TeamID: tm.ID, Theme: "light", Created: t0.Add(time.Hour), Updated: t0.Add(time.Hour)}
	mustSavePreferences(t, s, replaced)
	want := *replaced
	want.Created = t0
	wantEqual(t, "FindPreferences after a second save", *findPreferences(t, s, o.ID, 0, tm.ID), want)
}

func testPreferencesOwnersAreSeparate(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "acme")
	other := mustCreateOrg(t, s, "other")
	u := mustCreateUser(t, s, "alice")
	mustAddOrgUser(t, s, o.ID, u.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, other.ID, u.ID, warden.RoleViewer)
	tm := mustCreateTeam(t, s, o.ID, "platform")
	owners := []*warden.Preferences{
		{OrgID: o.ID, Theme: "dark"},
		{OrgID: o.ID, TeamID: tm.ID, Theme: "light"},
		{OrgID: o.ID, UserID: u.ID, Theme: "system"},
		{OrgID: other.ID, UserID: u.ID, WeekStart: "sunday"},
	}
	for _, p := range owners {
		p.Created, p.Updated = t0, t0
		mustSavePreferences(t, s, p)
	}
	for _, p := range owners {
		wantEqual(t, "FindPreferences", *findPreferences(t, s, p.OrgID, p.UserID, p.TeamID), *p)
	}
	if preferencesExist(t, s, other.ID, 0, 0) {
		t.Fatal("an org without preferences has some")
	}
}

func testPreferencesGoWithTheirOwner(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "acme")
	keep := mustCreateOrg(t, s, "keep")
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	for _, u := range []*warden.User{alice, bob} {
		mustAddOrgUser(t, s, o.ID, u.ID, warden.RoleViewer)
		mustAddOrgUser(t, s, keep.ID, u.ID, warden.RoleViewer)
	}
	tm := mustCreateTeam(t, s, o.ID, "platform")
	for _, p := range []*warden.Preferences{
		{OrgID: o.ID}, {OrgID: o.ID, TeamID: tm.ID}, {OrgID: o.ID, UserID: alice.ID}, {OrgID: o.ID, UserID: bob.ID},
		{OrgID: keep.ID}, {OrgID: keep.ID, UserID: alice.ID}, {OrgID: keep.ID, UserID: bob.ID},
	} {
		p.Theme, p.Created, p.Updated = "dark", t0, t0
		mustSavePreferences(t, s, p)
	}

	update(t, s, func(tx warden.Tx) error { return tx.DeleteTeam(ctx, o.ID, tm.ID) })
	if preferencesExist(t, s, o.ID, 0, tm.ID) {
		t.Error("a deleted team's preferences remain")
	}
	update(t, s, func(tx warden.Tx) error { return tx.RemoveOrgUser(ctx, o.ID, alice.ID) })
	if preferencesExist(t, s, o.ID, alice.ID, 0) {
		t.Error("preferences of a user removed from the org remain")
	}
	if !preferencesExist(t, s, keep.ID, alice.ID, 0) {
		t.Error("removing a user from one org removed their preferences in another")
	}
	update(t, s, func(tx warden.Tx) error { return tx.DeleteUser(ctx, bob.ID) })
	if preferencesExist(t, s, o.ID, bob.ID, 0) || preferencesExist(t, s, keep.ID, bob.ID, 0) {
		t.Error("a deleted user's preferences remain")
	}
	update(t, s, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, o.ID) })
	if preferencesExist(t, s, o.ID, 0, 0) {
		t.Error("a deleted org's preferences remain")
	}
	if !preferencesExist(t, s, keep.ID, 0, 0) || !preferencesExist(t, s, keep.ID, alice.ID, 0) {
		t.Error("deleting one org removed another org's preferences")
	}
}
