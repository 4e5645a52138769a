// Org membership: add, find, change the role of and remove a member, FindOrgUsers and
// FindUserOrgs, CountOrgAdmins, and what leaving an org takes with it.

package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var orgUserTests = []contractTest{
	{"OrgUser/AddFindUpdateRemove", testOrgUserAddFindUpdateRemove},
	{"OrgUser/NotFound", testOrgUserNotFound},
	{"OrgUser/ConflictAddTwice", testOrgUserConflictAddTwice},
	{"OrgUser/FindOrgUsers", testOrgUserFindOrgUsers},
	{"OrgUser/FindUserOrgs", testOrgUserFindUserOrgs},
	{"OrgUser/CountOrgAdmins", testOrgUserCountOrgAdmins},
	{"OrgUser/RemoveDeletesPermissionsInOrg", testOrgUserRemoveDeletesPermissionsInOrg},
}

func testOrgUserAddFindUpdateRemove(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	u := mustCreateUser(t, s, "alice", func(u *warden.User) {
		u.Name = "Alice"
		u.IsDisabled = true
		u.LastSeenAt = t0.Add(-time.Hour)
	})
	m := &warden.OrgUser{OrgID: o.ID, UserID: u.ID, Role: warden.RoleEditor, Created: t0, Updated: t0.Add(time.Second)}
	update(t, s, func(tx warden.Tx) error { return tx.AddOrgUser(ctx, m) })

	want := warden.OrgUser{
		OrgID: o.ID, UserID: u.ID, Role: warden.RoleEditor, Created: t0, Updated: t0.Add(time.Second),
		Login: "alice", Email: "alice@example.com", Name: "Alice", UID: "uid-alice",
		IsDisabled: true, LastSeenAt: t0.Add(-time.Hour),
	}
	got := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, u.ID) })
	wantEqual(t, "FindOrgUser", *got, want)

	update(t, s, func(tx warden.Tx) error {
		return tx.UpdateOrgUserRole(ctx, o.ID, u.ID, warden.RoleAdmin, t0.Add(time.Hour))
	})
	want.Role, want.Updated = warden.RoleAdmin, t0.Add(time.Hour)
	got = get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, u.ID) })
	wantEqual(t, "FindOrgUser after UpdateOrgUserRole", *got, want)

	update(t, s, func(tx warden.Tx) error { return tx.RemoveOrgUser(ctx, o.ID, u.ID) })
	if isMember(t, s, o.ID, u.ID) {
		t.Fatal("membership found after RemoveOrgUser")
	}
	if !userExists(t, s, u.ID) {
		t.Fatal("RemoveOrgUser deleted the user")
	}
}

func testOrgUserNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	u := mustCreateUser(t, s, "alice")
	mustAddOrgUser(t, s, other.ID, u.ID, warden.RoleViewer)
	for _, c := range []struct{ orgID, userID int64 }{
		{o.ID, u.ID},                // existing org and user, no membership
		{o.ID + 1000, u.ID},         // missing org
		{o.ID, u.ID + 1000},         // missing user
		{other.ID + 1000, u.ID + 1}, // neither
	} {
		err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindOrgUser(ctx, c.orgID, c.userID); return err })
		wantCode(t, fmt.Sprintf("FindOrgUser(%d, %d)", c.orgID, c.userID), err, warden.ENOTFOUND)
		err = s.Update(ctx, func(tx warden.Tx) error {
			return tx.UpdateOrgUserRole(ctx, c.orgID, c.userID, warden.RoleAdmin, t0)
		})
		wantCode(t, fmt.Sprintf("UpdateOrgUserRole(%d, %d)", c.orgID, c.userID), err, warden.ENOTFOUND)
		err = s.Update(ctx, func(tx warden.Tx) error { return tx.RemoveOrgUser(ctx, c.orgID, c.userID) })
		wantCode(t, fmt.Sprintf("RemoveOrgUser(%d, %d)", c.orgID, c.userID), err, warden.ENOTFOUND)
	}
	m := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, other.ID, u.ID) })
	if got, want := m.Role, warden.RoleViewer; got != want {
		t.Fatalf("Role of the untouched membership=%q, want %q", got, want)
	}
}

func testOrgUserConflictAddTwice(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	u := mustCreateUser(t, s, "alice")
	mustAddOrgUser(t, s, o.ID, u.ID, warden.RoleViewer)
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: o.ID, UserID: u.ID, Role: warden.RoleAdmin, Created: t0, Updated: t0})
	})
	wantCode(t, "AddOrgUser twice", err, warden.ECONFLICT)
	m := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, u.ID) })
	if got, want := m.Role, warden.RoleViewer; got != want {
		t.Fatalf("Role after a conflicting AddOrgUser=%q, want %q", got, want)
	}
}

func testOrgUserFindOrgUsers(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	for _, c := range []struct {
		login, name string
		role        warden.OrgRole
	}{
		{"dave", "Dave 100%", warden.RoleViewer},
		{"alice", "Alice Liddell", warden.RoleAdmin},
		{"carol", "Carol", warden.RoleEditor},
		{"bob", "Bob 1000", warden.RoleViewer},
	} {
		u := mustCreateUser(t, s, c.login, func(u *warden.User) { u.Name = c.name })
		mustAddOrgUser(t, s, o.ID, u.ID, c.role)
	}
	outsider := mustCreateUser(t, s, "erin")
	mustAddOrgUser(t, s, other.ID, outsider.ID, warden.RoleAdmin)
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleAdmin)

	find := func(f warden.OrgUserFilter) ([]string, int) {
		t.Helper()
		ms, total := getPage(t, s, fmt.Sprintf("FindOrgUsers(%+v)", f), func(tx warden.Tx) ([]*warden.OrgUser, int, error) {
			return tx.FindOrgUsers(ctx, f)
		})
		logins := []string{}
		for _, m := range ms {
			if m.OrgID != f.OrgID {
				t.Fatalf("FindOrgUsers(%+v) returned a member of org %d", f, m.OrgID)
			}
			logins = append(logins, m.Login)
		}
		return logins, total
	}
	for _, c := range []struct {
		f         warden.OrgUserFilter
		want      []string
		wantTotal int
	}{
		{warden.OrgUserFilter{OrgID: o.ID}, []string{"alice", "bob", "carol", "dave"}, 4},
		{warden.OrgUserFilter{OrgID: other.ID}, []string{"erin"}, 1},
		{warden.OrgUserFilter{OrgID: o.ID, Query: "LIDD"}, []string{"alice"}, 1},
		{warden.OrgUserFilter{OrgID: o.ID, Query: "CAROL@"}, []string{"carol"}, 1},
		{warden.OrgUserFilter{OrgID: o.ID, Query: "%"}, []string{"dave"}, 1},
		{warden.OrgUserFilter{OrgID: o.ID, Query: "sa-"}, []string{}, 0},
		{warden.OrgUserFilter{OrgID: o.ID, Query: "erin"}, []string{}, 0},
		{warden.OrgUserFilter{OrgID: o.ID, Offset: 1, Limit: 2}, []string{"bob", "carol"}, 4},
		{warden.OrgUserFilter{OrgID: o.ID, Offset: 3, Limit: 2}, []string{"dave"}, 4},
		{warden.OrgUserFilter{OrgID: o.ID, Offset: 4, Limit: 2}, []string{}, 4},
	} {
		logins, total := find(c.f)
		if !slices.Equal(logins, c.want) {
			t.Errorf("FindOrgUsers(%+v) logins=%q, want %q", c.f, logins, c.want)
		}
		if total != c.wantTotal {
			t.Errorf("FindOrgUsers(%+v) total=%d, want %d", c.f, total, c.wantTotal)
		}
	}

	// The rows carry the role and the user's fields.
	ms, _ := getPage(t, s, "FindOrgUsers(alice)", func(tx warden.Tx) ([]*warden.OrgUser, int, error) {
		return tx.FindOrgUsers(ctx, warden.OrgUserFilter{OrgID: o.ID, Query: "alice"})
	})
	if len(ms) != 1 {
		t.Fatalf("len(FindOrgUsers(alice))=%d, want 1", len(ms))
	}
	m := ms[0]
	if m.Role != warden.RoleAdmin || m.Email != "alice@example.com" || m.Name != "Alice Liddell" ||
		m.UID != "uid-alice" || m.IsServiceAccount || m.UserID == 0 {
		t.Fatalf("FindOrgUsers row=%+v, want alice as Admin with her user fields", *m)
	}
}

func testOrgUserFindUserOrgs(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	for _, c := range []struct {
		name string
		role warden.OrgRole
	}{
		{"charlie", warden.RoleViewer},
		{"Bravo", warden.RoleAdmin},
		{"alpha", warden.RoleEditor},
		{"Delta", warden.RoleNone},
	} {
		o := mustCreateOrg(t, s, c.name)
		mustAddOrgUser(t, s, o.ID, u.ID, c.role)
	}
	mustCreateOrg(t, s, "Aardvark") // not a member
	orgs := get(t, s, func(tx warden.Tx) ([]*warden.UserOrg, error) { return tx.FindUserOrgs(ctx, u.ID) })
	var got []string
	for _, o := range orgs {
		if o.OrgID == 0 {
			t.Fatalf("FindUserOrgs row %+v has no OrgID", *o)
		}
		got = append(got, o.Name+":"+string(o.Role))
	}
	if want := []string{"alpha:Editor", "Bravo:Admin", "charlie:Viewer", "Delta:None"}; !slices.Equal(got, want) {
		t.Fatalf("FindUserOrgs=%q, want %q", got, want)
	}
	none := get(t, s, func(tx warden.Tx) ([]*warden.UserOrg, error) { return tx.FindUserOrgs(ctx, u.ID+1000) })
	if len(none) != 0 {
		t.Fatalf("FindUserOrgs(missing user)=%+v, want none", none)
	}
}

func testOrgUserCountOrgAdmins(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	count := func(orgID int64) int {
		t.Helper()
		return get(t, s, func(tx warden.Tx) (int, error) { return tx.CountOrgAdmins(ctx, orgID) })
	}
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	carol := mustCreateUser(t, s, "carol")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, alice.ID, warden.RoleAdmin)
	mustAddOrgUser(t, s, o.ID, bob.ID, warden.RoleAdmin)
	mustAddOrgUser(t, s, o.ID, carol.ID, warden.RoleEditor)
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleAdmin)
	mustAddOrgUser(t, s, other.ID, carol.ID, warden.RoleAdmin)

	if got, want := count(o.ID), 3; got != want {
		t.Fatalf("CountOrgAdmins=%d, want %d", got, want)
	}
	if got, want := count(other.ID), 1; got != want {
		t.Fatalf("CountOrgAdmins(other)=%d, want %d", got, want)
	}
	update(t, s, func(tx warden.Tx) error { return tx.UpdateOrgUserRole(ctx, o.ID, bob.ID, warden.RoleViewer, t0) })
	if got, want := count(o.ID), 2; got != want {
		t.Fatalf("CountOrgAdmins after a demotion=%d, want %d", got, want)
	}
	if got, want := count(other.ID+1000), 0; got != want {
		t.Fatalf("CountOrgAdmins(missing org)=%d, want %d", got, want)
	}
}

func testOrgUserRemoveDeletesPermissionsInOrg(t *testing.T, s warden.Store) {
	ctx := t.Context()
	one := mustCreateOrg(t, s, "One")
	two := mustCreateOrg(t, s, "Two")
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	sa1 := mustCreateServiceAccount(t, s, one.ID, "sa-one")
	sa2 := mustCreateServiceAccount(t, s, two.ID, "sa-two")
	mustAddOrgUser(t, s, one.ID, alice.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, two.ID, alice.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, one.ID, bob.ID, warden.RoleViewer)
	mustGrant(t, s, one.ID, sa1.ID, alice.ID, warden.LevelEdit)
	mustGrant(t, s, two.ID, sa2.ID, alice.ID, warden.LevelAdmin)
	mustGrant(t, s, one.ID, sa1.ID, bob.ID, warden.LevelAdmin)
	teamOne := mustCreateTeam(t, s, one.ID, "ops")
	teamTwo := mustCreateTeam(t, s, two.ID, "ops")
	mustAddTeamMember(t, s, one.ID, teamOne.ID, alice.ID, warden.TeamPermissionMember)
	mustAddTeamMember(t, s, one.ID, teamOne.ID, bob.ID, warden.TeamPermissionMember)
	mustAddTeamMember(t, s, two.ID, teamTwo.ID, alice.ID, warden.TeamPermissionMember)

	update(t, s, func(tx warden.Tx) error { return tx.RemoveOrgUser(ctx, one.ID, alice.ID) })

	if got := userPermissions(t, s, one.ID, alice.ID); len(got) != 0 {
		t.Fatalf("grants in the org left remain: %+v", got)
	}
	if got, want := holders(userPermissions(t, s, two.ID, alice.ID)), []int64{alice.ID}; !slices.Equal(got, want) {
		t.Fatalf("holders of alice's grants in the other org=%v, want %v", got, want)
	}
	if got, want := holders(resourcePermissions(t, s, one.ID, sa1.ID)), []int64{bob.ID}; !slices.Equal(got, want) {
		t.Fatalf("holders on sa-one=%v, want %v", got, want)
	}
	if !isMember(t, s, two.ID, alice.ID) {
		t.Fatal("RemoveOrgUser removed the membership of another org")
	}
	if got, want := teamMemberLogins(t, s, one.ID, teamOne.ID), []string{"bob"}; !slices.Equal(got, want) {
		t.Fatalf("team members in the org left=%q, want %q", got, want)
	}
	if got, want := userTeamIDs(t, s, two.ID, alice.ID), []int64{teamTwo.ID}; !slices.Equal(got, want) {
		t.Fatalf("alice's teams in the other org=%v, want %v", got, want)
	}
}
