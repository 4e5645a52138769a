// Managed permissions: grants of a level on a service account to a user or a team, found by
// resource or by the user holding them (directly or through a team), replaced and removed.

package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var managedPermissionTests = []contractTest{
	{"ManagedPermission/SetFindRemove", testManagedPermissionSetFindRemove},
	{"ManagedPermission/SetReplaces", testManagedPermissionSetReplaces},
	{"ManagedPermission/RequiresOneHolder", testManagedPermissionRequiresOneHolder},
	{"ManagedPermission/FindUserManagedPermissionsByOrg", testManagedPermissionFindUserByOrg},
	{"ManagedPermission/TeamGrants", testManagedPermissionTeamGrants},
}

func testManagedPermissionSetFindRemove(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	p := &warden.ManagedPermission{OrgID: o.ID, Resource: warden.ResourceServiceAccounts, ResourceID: sa.ID,
		UserID: alice.ID, Level: warden.LevelEdit, Created: t0, Updated: t0.Add(time.Second)}
	update(t, s, func(tx warden.Tx) error { return tx.SetManagedPermission(ctx, p) })
	if p.ID == 0 {
		t.Fatal("SetManagedPermission left ID 0")
	}
	mustGrant(t, s, o.ID, sa.ID, bob.ID, warden.LevelAdmin)

	got := userPermissions(t, s, o.ID, alice.ID)
	if len(got) != 1 {
		t.Fatalf("len(FindUserManagedPermissions)=%d, want 1", len(got))
	}
	wantEqual(t, "FindUserManagedPermissions[0]", *got[0], *p)
	got = resourcePermissions(t, s, o.ID, sa.ID)
	wantIDs := []int64{alice.ID, bob.ID}
	slices.Sort(wantIDs)
	if got := holders(got); !slices.Equal(got, wantIDs) {
		t.Fatalf("FindResourcePermissions holders=%v, want %v", got, wantIDs)
	}
	for _, g := range got {
		if g.OrgID != o.ID || g.Resource != warden.ResourceServiceAccounts || g.ResourceID != sa.ID || g.TeamID != 0 {
			t.Fatalf("FindResourcePermissions row=%+v, want a user grant on sa %d in org %d", *g, sa.ID, o.ID)
		}
	}
	if got := get(t, s, func(tx warden.Tx) ([]*warden.ManagedPermission, error) {
		return tx.FindResourcePermissions(ctx, o.ID, warden.ResourceTeams, sa.ID)
	}); len(got) != 0 {
		t.Fatalf("FindResourcePermissions(teams, %d)=%+v, want none", sa.ID, got)
	}

	update(t, s, func(tx warden.Tx) error {
		return tx.RemoveManagedPermission(ctx, &warden.ManagedPermission{OrgID: o.ID,
			Resource: warden.ResourceServiceAccounts, ResourceID: sa.ID, UserID: alice.ID})
	})
	if got := userPermissions(t, s, o.ID, alice.ID); len(got) != 0 {
		t.Fatalf("grant found after RemoveManagedPermission: %+v", got)
	}
	if got, want := holders(resourcePermissions(t, s, o.ID, sa.ID)), []int64{bob.ID}; !slices.Equal(got, want) {
		t.Fatalf("holders after RemoveManagedPermission=%v, want %v", got, want)
	}
}

func testManagedPermissionSetReplaces(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	alice := mustCreateUser(t, s, "alice")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustGrant(t, s, o.ID, sa.ID, alice.ID, warden.LevelEdit)
	p := &warden.ManagedPermission{OrgID: o.ID, Resource: warden.ResourceServiceAccounts, ResourceID: sa.ID,
		UserID: alice.ID, Level: warden.LevelAdmin, Created: t0.Add(time.Hour), Updated: t0.Add(time.Hour)}
	if err := s.Update(ctx, func(tx warden.Tx) error { return tx.SetManagedPermission(ctx, p) }); err != nil {
		t.Fatalf("SetManagedPermission for the same holder and object: %v", err)
	}
	got := resourcePermissions(t, s, o.ID, sa.ID)
	if len(got) != 1 {
		t.Fatalf("len(FindResourcePermissions)=%d, want 1 (replaced)", len(got))
	}
	if got, want := got[0].Level, warden.LevelAdmin; got != want {
		t.Fatalf("Level=%q, want %q", got, want)
	}
	if got, want := got[0].ID, p.ID; got != want {
		t.Fatalf("ID=%d, want the ID SetManagedPermission reported, %d", got, want)
	}
}

func testManagedPermissionRequiresOneHolder(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	alice := mustCreateUser(t, s, "alice")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	for _, c := range []struct {
		name           string
		userID, teamID int64
	}{
		{"neither", 0, 0},
		{"both", alice.ID, 1},
	} {
		err := s.Update(ctx, func(tx warden.Tx) error {
			return tx.SetManagedPermission(ctx, &warden.ManagedPermission{OrgID: o.ID, Resource: warden.ResourceServiceAccounts,
				ResourceID: sa.ID, UserID: c.userID, TeamID: c.teamID, Level: warden.LevelEdit, Created: t0, Updated: t0})
		})
		if err == nil {
			t.Fatalf("SetManagedPermission with %s of user and team: no error", c.name)
		}
	}
	if got := resourcePermissions(t, s, o.ID, sa.ID); len(got) != 0 {
		t.Fatalf("invalid grants were stored: %+v", got)
	}
}

func testManagedPermissionFindUserByOrg(t *testing.T, s warden.Store) {
	one := mustCreateOrg(t, s, "One")
	two := mustCreateOrg(t, s, "Two")
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	sa1 := mustCreateServiceAccount(t, s, one.ID, "sa-one")
	sa1b := mustCreateServiceAccount(t, s, one.ID, "sa-one-b")
	sa2 := mustCreateServiceAccount(t, s, two.ID, "sa-two")
	p1 := mustGrant(t, s, one.ID, sa1.ID, alice.ID, warden.LevelEdit)
	p2 := mustGrant(t, s, one.ID, sa1b.ID, alice.ID, warden.LevelAdmin)
	p3 := mustGrant(t, s, two.ID, sa2.ID, alice.ID, warden.LevelAdmin)
	mustGrant(t, s, one.ID, sa1.ID, bob.ID, warden.LevelAdmin)

	ids := func(ps []*warden.ManagedPermission) []int64 {
		out := []int64{}
		for _, p := range ps {
			if p.UserID != alice.ID {
				t.Fatalf("FindUserManagedPermissions(alice) returned a grant of user %d", p.UserID)
			}
			out = append(out, p.ID)
		}
		slices.Sort(out)
		return out
	}
	want := []int64{p1.ID, p2.ID}
	slices.Sort(want)
	if got := ids(userPermissions(t, s, one.ID, alice.ID)); !slices.Equal(got, want) {
		t.Fatalf("FindUserManagedPermissions(one, alice) IDs=%v, want %v", got, want)
	}
	if got, want := ids(userPermissions(t, s, two.ID, alice.ID)), []int64{p3.ID}; !slices.Equal(got, want) {
		t.Fatalf("FindUserManagedPermissions(two, alice) IDs=%v, want %v", got, want)
	}
	if got := userPermissions(t, s, two.ID+1000, alice.ID); len(got) != 0 {
		t.Fatalf("FindUserManagedPermissions(missing org)=%+v, want none", got)
	}
}

func testManagedPermissionTeamGrants(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	saOther := mustCreateServiceAccount(t, s, other.ID, "sa-other")
	ops := mustCreateTeam(t, s, o.ID, "ops")
	opsOther := mustCreateTeam(t, s, other.ID, "ops")
	mustAddTeamMember(t, s, o.ID, ops.ID, alice.ID, warden.TeamPermissionMember)
	mustAddTeamMember(t, s, other.ID, opsOther.ID, alice.ID, warden.TeamPermissionMember)

	grant := func(orgID, saID, teamID int64, level warden.ManagedLevel) *warden.ManagedPermission {
		t.Helper()
		p := &warden.ManagedPermission{OrgID: orgID, Resource: warden.ResourceServiceAccounts, ResourceID: saID,
			TeamID: teamID, Level: level, Created: t0, Updated: t0}
		update(t, s, func(tx warden.Tx) error { return tx.SetManagedPermission(ctx, p) })
		return p
	}
	grant(o.ID, sa.ID, ops.ID, warden.LevelEdit)
	p := grant(o.ID, sa.ID, ops.ID, warden.LevelAdmin) // replaces
	grant(other.ID, saOther.ID, opsOther.ID, warden.LevelEdit)

	got := resourcePermissions(t, s, o.ID, sa.ID)
	if len(got) != 1 {
		t.Fatalf("len(FindResourcePermissions)=%d, want 1 (replaced)", len(got))
	}
	wantEqual(t, "team grant", *got[0], *p)

	got = userPermissions(t, s, o.ID, alice.ID)
	if len(got) != 1 || got[0].TeamID != ops.ID || got[0].Level != warden.LevelAdmin || got[0].UserID != 0 {
		t.Fatalf("FindUserManagedPermissions(acme, alice)=%+v, want the Admin grant of team %d", got, ops.ID)
	}
	if got := userPermissions(t, s, o.ID, bob.ID); len(got) != 0 {
		t.Fatalf("FindUserManagedPermissions(acme, bob)=%+v, want none (not in the team)", got)
	}
	got = userPermissions(t, s, other.ID, alice.ID)
	if len(got) != 1 || got[0].TeamID != opsOther.ID {
		t.Fatalf("FindUserManagedPermissions(other, alice)=%+v, want the grant of team %d", got, opsOther.ID)
	}

	// Leaving the team drops the grant for the user; the grant itself stays with the team.
	update(t, s, func(tx warden.Tx) error { return tx.RemoveTeamMember(ctx, ops.ID, alice.ID) })
	if got := userPermissions(t, s, o.ID, alice.ID); len(got) != 0 {
		t.Fatalf("FindUserManagedPermissions after leaving the team=%+v, want none", got)
	}
	if got := resourcePermissions(t, s, o.ID, sa.ID); len(got) != 1 {
		t.Fatalf("len(FindResourcePermissions) after RemoveTeamMember=%d, want 1", len(got))
	}

	// Deleting the team removes the grants it holds.
	update(t, s, func(tx warden.Tx) error { return tx.DeleteTeam(ctx, o.ID, ops.ID) })
	if got := resourcePermissions(t, s, o.ID, sa.ID); len(got) != 0 {
		t.Fatalf("grants of a deleted team remain: %+v", got)
	}

	// RemoveManagedPermission removes a team grant.
	update(t, s, func(tx warden.Tx) error {
		return tx.RemoveManagedPermission(ctx, &warden.ManagedPermission{OrgID: other.ID,
			Resource: warden.ResourceServiceAccounts, ResourceID: saOther.ID, TeamID: opsOther.ID})
	})
	if got := resourcePermissions(t, s, other.ID, saOther.ID); len(got) != 0 {
		t.Fatalf("team grant found after RemoveManagedPermission: %+v", got)
	}
}
