// Teams: create, find, rename and delete a team within its org, its members, and FindTeams.

package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var teamTests = []contractTest{
	{"Team/CreateFindUpdateDelete", testTeamCreateFindUpdateDelete},
	{"Team/NotFound", testTeamNotFound},
	{"Team/ConflictName", testTeamConflictName},
	{"Team/Members", testTeamMembers},
	{"Team/FindTeams", testTeamFindTeams},
}

func testTeamCreateFindUpdateDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	tm := &warden.Team{UID: "team-ops", OrgID: o.ID, Name: "Ops", Email: "ops@example.com",
		Created: t0, Updated: t0.Add(time.Minute)}
	update(t, s, func(tx warden.Tx) error { return tx.CreateTeam(ctx, tm) })
	if tm.ID == 0 {
		t.Fatal("CreateTeam left ID 0")
	}
	want := *tm
	got := get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, tm.ID) })
	wantEqual(t, "FindTeamByID", *got, want)
	got = get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByUID(ctx, o.ID, "team-ops") })
	wantEqual(t, "FindTeamByUID", *got, want)

	// Teams are found only in their own org.
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTeamByID(ctx, other.ID, tm.ID); return err })
	wantCode(t, "FindTeamByID(other org)", err, warden.ENOTFOUND)
	err = s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTeamByUID(ctx, other.ID, "team-ops"); return err })
	wantCode(t, "FindTeamByUID(other org)", err, warden.ENOTFOUND)

	upd := want
	upd.Name, upd.Email, upd.Updated = "Operations", "", t0.Add(time.Hour)
	update(t, s, func(tx warden.Tx) error { return tx.UpdateTeam(ctx, &upd) })
	got = get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, tm.ID) })
	wantEqual(t, "FindTeamByID after UpdateTeam", *got, upd)

	wrongOrg := upd
	wrongOrg.OrgID, wrongOrg.Name = other.ID, "Hijacked"
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateTeam(ctx, &wrongOrg) })
	wantCode(t, "UpdateTeam(other org)", err, warden.ENOTFOUND)
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteTeam(ctx, other.ID, tm.ID) })
	wantCode(t, "DeleteTeam(other org)", err, warden.ENOTFOUND)
	got = get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, tm.ID) })
	wantEqual(t, "FindTeamByID after other-org writes", *got, upd)

	update(t, s, func(tx warden.Tx) error { return tx.DeleteTeam(ctx, o.ID, tm.ID) })
	err = s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTeamByID(ctx, o.ID, tm.ID); return err })
	wantCode(t, "FindTeamByID after DeleteTeam", err, warden.ENOTFOUND)
}

func testTeamNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	tm := mustCreateTeam(t, s, o.ID, "ops")
	u := mustCreateUser(t, s, "alice")
	missing := tm.ID + 1000
	wantNotFound(t, s, []notFoundCase{
		{"FindTeamByID", false, func(tx warden.Tx) error { _, err := tx.FindTeamByID(ctx, o.ID, missing); return err }},
		{"FindTeamByUID", false, func(tx warden.Tx) error { _, err := tx.FindTeamByUID(ctx, o.ID, "nope"); return err }},
		{"UpdateTeam", true, func(tx warden.Tx) error {
			return tx.UpdateTeam(ctx, &warden.Team{ID: missing, OrgID: o.ID, Name: "x", Updated: t0})
		}},
		{"DeleteTeam", true, func(tx warden.Tx) error { return tx.DeleteTeam(ctx, o.ID, missing) }},
		{"UpdateTeamMember", true, func(tx warden.Tx) error {
			return tx.UpdateTeamMember(ctx, tm.ID, u.ID, warden.TeamPermissionAdmin)
		}},
		{"RemoveTeamMember", true, func(tx warden.Tx) error { return tx.RemoveTeamMember(ctx, tm.ID, u.ID) }},
	})
}

func testTeamConflictName(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	mustCreateTeam(t, s, o.ID, "ops")
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.CreateTeam(ctx, &warden.Team{UID: "another-uid", OrgID: o.ID, Name: "ops", Created: t0, Updated: t0})
	})
	wantCode(t, "CreateTeam with a taken name", err, warden.ECONFLICT)
	mustCreateTeam(t, s, other.ID, "ops") // the name is free in another org

	dev := mustCreateTeam(t, s, o.ID, "dev")
	upd := *dev
	upd.Name = "ops"
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateTeam(ctx, &upd) })
	wantCode(t, "UpdateTeam to a taken name", err, warden.ECONFLICT)
	got := get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, dev.ID) })
	if got, want := got.Name, "dev"; got != want {
		t.Fatalf("Name after a failed UpdateTeam=%q, want %q", got, want)
	}
}

func testTeamMembers(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	ops := mustCreateTeam(t, s, o.ID, "ops")
	dev := mustCreateTeam(t, s, o.ID, "dev")
	elsewhere := mustCreateTeam(t, s, other.ID, "ops")
	alice := mustCreateUser(t, s, "alice", func(u *warden.User) { u.Name = "Alice" })
	bob := mustCreateUser(t, s, "bob")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")

	mustAddTeamMember(t, s, o.ID, ops.ID, bob.ID, warden.TeamPermissionAdmin)
	mustAddTeamMember(t, s, o.ID, ops.ID, alice.ID, warden.TeamPermissionMember)
	mustAddTeamMember(t, s, o.ID, dev.ID, alice.ID, warden.TeamPermissionMember)
	mustAddTeamMember(t, s, other.ID, elsewhere.ID, alice.ID, warden.TeamPermissionMember)
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.AddTeamMember(ctx, &warden.TeamMember{OrgID: o.ID, TeamID: ops.ID, UserID: alice.ID})
	})
	wantCode(t, "AddTeamMember twice", err, warden.ECONFLICT)

	got := get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, ops.ID) })
	if got, want := got.MemberCount, 2; got != want {
		t.Fatalf("MemberCount=%d, want %d", got, want)
	}

	// Service accounts are never listed as team members.
	mustAddTeamMember(t, s, o.ID, ops.ID, sa.ID, warden.TeamPermissionMember)
	if got, want := teamMemberLogins(t, s, o.ID, ops.ID), []string{"alice", "bob"}; !slices.Equal(got, want) {
		t.Fatalf("FindTeamMembers=%q, want %q", got, want)
	}
	ms := get(t, s, func(tx warden.Tx) ([]*warden.TeamMember, error) { return tx.FindTeamMembers(ctx, o.ID, ops.ID) })
	wantEqual(t, "FindTeamMembers[0]", *ms[0], warden.TeamMember{OrgID: o.ID, TeamID: ops.ID, TeamUID: ops.UID,
		UserID: alice.ID, UserUID: alice.UID, Login: "alice", Email: "alice@example.com", Name: "Alice",
		Permission: warden.TeamPermissionMember})
	if got, want := ms[1].Permission, warden.TeamPermissionAdmin; got != want {
		t.Fatalf("bob's Permission=%d, want %d", got, want)
	}

	// FindUserTeams lists the memberships in one org, by team name.
	if got, want := userTeamIDs(t, s, o.ID, alice.ID), []int64{dev.ID, ops.ID}; !slices.Equal(got, want) {
		t.Fatalf("FindUserTeams(acme, alice)=%v, want %v", got, want)
	}
	if got, want := userTeamIDs(t, s, other.ID, alice.ID), []int64{elsewhere.ID}; !slices.Equal(got, want) {
		t.Fatalf("FindUserTeams(other, alice)=%v, want %v", got, want)
	}

	update(t, s, func(tx warden.Tx) error {
		return tx.UpdateTeamMember(ctx, ops.ID, alice.ID, warden.TeamPermissionAdmin)
	})
	ut := get(t, s, func(tx warden.Tx) ([]*warden.TeamMember, error) { return tx.FindUserTeams(ctx, o.ID, alice.ID) })
	for _, m := range ut {
		want := warden.TeamPermissionMember
		if m.TeamID == ops.ID {
			want = warden.TeamPermissionAdmin
		}
		if m.Permission != want {
			t.Fatalf("Permission in team %d after UpdateTeamMember=%d, want %d", m.TeamID, m.Permission, want)
		}
	}

	update(t, s, func(tx warden.Tx) error { return tx.RemoveTeamMember(ctx, ops.ID, alice.ID) })
	if got, want := teamMemberLogins(t, s, o.ID, ops.ID), []string{"bob"}; !slices.Equal(got, want) {
		t.Fatalf("FindTeamMembers after RemoveTeamMember=%q, want %q", got, want)
	}
	if got, want := userTeamIDs(t, s, o.ID, alice.ID), []int64{dev.ID}; !slices.Equal(got, want) {
		t.Fatalf("FindUserTeams after RemoveTeamMember=%v, want %v", got, want)
	}
}

func testTeamFindTeams(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	teams := map[string]*warden.Team{}
	for _, name := range []string{"delta", "alpha", "charlie", "bravo", "100% team", "data_eng", "dataxeng"} {
		teams[name] = mustCreateTeam(t, s, o.ID, name)
	}
	mustCreateTeam(t, s, other.ID, "alpha")
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	mustAddTeamMember(t, s, o.ID, teams["alpha"].ID, alice.ID, 0)
	mustAddTeamMember(t, s, o.ID, teams["alpha"].ID, bob.ID, 0)
	mustAddTeamMember(t, s, o.ID, teams["charlie"].ID, bob.ID, 0)

	abcd := []int64{teams["alpha"].ID, teams["bravo"].ID, teams["charlie"].ID, teams["delta"].ID}
	find := func(f warden.TeamFilter) ([]string, int) {
		t.Helper()
		ts, total := getPage(t, s, fmt.Sprintf("FindTeams(%+v)", f), func(tx warden.Tx) ([]*warden.Team, int, error) {
			return tx.FindTeams(ctx, f)
		})
		names := []string{}
		for _, tm := range ts {
			if tm.OrgID != f.OrgID {
				t.Fatalf("FindTeams(%+v) returned team %q of org %d", f, tm.Name, tm.OrgID)
			}
			names = append(names, tm.Name)
		}
		return names, total
	}
	for _, c := range []struct {
		f         warden.TeamFilter
		want      []string
		wantTotal int
		sorted    bool // compare in order, else as a set
	}{
		{warden.TeamFilter{OrgID: o.ID, IDs: abcd}, []string{"alpha", "bravo", "charlie", "delta"}, 4, true},
		{warden.TeamFilter{OrgID: o.ID, IDs: abcd, Sort: "name-desc"}, []string{"delta", "charlie", "bravo", "alpha"}, 4, true},
		{warden.TeamFilter{OrgID: o.ID, IDs: abcd, Offset: 1, Limit: 2}, []string{"bravo", "charlie"}, 4, true},
		{warden.TeamFilter{OrgID: o.ID, IDs: abcd[:3], Sort: "memberCount-desc"}, []string{"alpha", "charlie", "bravo"}, 3, true},
		{warden.TeamFilter{OrgID: o.ID, IDs: []int64{}}, []string{}, 0, true},
		{warden.TeamFilter{OrgID: o.ID}, []string{"100% team", "alpha", "bravo", "charlie", "data_eng", "dataxeng", "delta"}, 7, false},
		{warden.TeamFilter{OrgID: other.ID}, []string{"alpha"}, 1, true},
		{warden.TeamFilter{OrgID: o.ID, Query: "ha"}, []string{"alpha", "charlie"}, 2, false},
		{warden.TeamFilter{OrgID: o.ID, Query: "%"}, []string{"100% team"}, 1, true},
		{warden.TeamFilter{OrgID: o.ID, Query: "ta_"}, []string{"data_eng"}, 1, true},
		{warden.TeamFilter{OrgID: o.ID, Name: "alpha"}, []string{"alpha"}, 1, true},
		{warden.TeamFilter{OrgID: o.ID, Name: "alph"}, []string{}, 0, true},
		{warden.TeamFilter{OrgID: o.ID, Name: "al%"}, []string{}, 0, true},
	} {
		names, total := find(c.f)
		if !c.sorted {
			slices.Sort(names)
		}
		if !slices.Equal(names, c.want) {
			t.Errorf("FindTeams(%+v)=%q, want %q", c.f, names, c.want)
		}
		if total != c.wantTotal {
			t.Errorf("FindTeams(%+v) total=%d, want %d", c.f, total, c.wantTotal)
		}
	}
	ts, _ := getPage(t, s, "FindTeams(alpha)", func(tx warden.Tx) ([]*warden.Team, int, error) {
		return tx.FindTeams(ctx, warden.TeamFilter{OrgID: o.ID, Name: "alpha"})
	})
	if len(ts) != 1 {
		t.Fatalf("len(FindTeams(alpha))=%d, want 1", len(ts))
	}
	if got, want := ts[0].MemberCount, 2; got != want {
		t.Fatalf("MemberCount of alpha=%d, want %d", got, want)
	}
}
