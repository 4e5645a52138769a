package warden_test

// Service-level tests of the calls that change several things at once: the grants on a service
// account (SetServiceAccountPermissions, all or nothing), a team's members
// (SetTeamMemberships, a replacement) and FindOrgByName. Helpers come from
// service_account_test.go (saEnv) and service_preferences_test.go (auditRows, idStr).

import (
	"context"
	"reflect"
	"testing"

	"github.com/wardenhq/warden"
)

// bulkGrants lists the grants on a service account as "user=ID"/"team=ID" → level.
func bulkGrants(t *testing.T, e *saEnv, ctx context.Context, saID int64) map[string]warden.ManagedLevel {
	t.Helper()
	list, err := e.svc.ServiceAccountPermissions(ctx, saID)
	if err != nil {
		t.Fatalf("ServiceAccountPermissions(%d): %v", saID, err)
	}
	out := map[string]warden.ManagedLevel{}
	for _, p := range list {
		if p.UserID != 0 {
			out["user="+idStr(p.UserID)] = p.Level
		} else {
			out["team="+idStr(p.TeamID)] = p.Level
		}
	}
	return out
}

func bulkWantGrants(t *testing.T, what string, got, want map[string]warden.ManagedLevel) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: grants %v, want %v", what, got, want)
	}
}

// bulkFixture is org 1 with the admin, users bob and carol (Viewers), a service account made
// by the admin (who holds Admin on it), a team of org 1, and an org 2 with a team and a user
// of its own.
type bulkFixture struct {
	e            *saEnv
	ctx          context.Context
	bob, carol   *warden.User
	outsider     *warden.User // only in org 2
	sa           *warden.ServiceAccount
	team, team2  *warden.Team
	org2         *warden.Org
	adminInOrg2  context.Context
	initialGrant map[string]warden.ManagedLevel
}

func newBulkFixture(t *testing.T) *bulkFixture {
	t.Helper()
	e := newSAEnv(t, nil)
	f := &bulkFixture{e: e, ctx: e.asAdmin(t)}
	f.bob, f.carol = e.user(t, "bob"), e.user(t, "carol")
	f.sa = e.newSA(t, f.ctx, "ci", warden.RoleEditor)
	var err error
	if f.team, err = e.svc.CreateTeam(f.ctx, "ops", ""); err != nil {
		t.Fatal(err)
	}
	if f.org2, err = e.svc.CreateOrg(f.ctx, "Org2"); err != nil {
		t.Fatal(err)
	}
	f.adminInOrg2 = e.asUser(t, e.admin, f.org2.ID)
	if f.team2, err = e.svc.CreateTeam(f.adminInOrg2, "ops2", ""); err != nil {
		t.Fatal(err)
	}
	f.outsider, err = e.svc.CreateUser(context.Background(), warden.CreateUserInput{
		Login: "outsider", Email: "outsider@example.com", Password: "password1", OrgID: f.org2.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.initialGrant = map[string]warden.ManagedLevel{"user=" + idStr(e.admin.ID): warden.LevelAdmin}
	bulkWantGrants(t, "fixture", bulkGrants(t, e, f.ctx, f.sa.ID), f.initialGrant)
	return f
}

func TestSetServiceAccountPermissions_AppliesInOrderAndKeepsOthers(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t)
	e, ctx := f.e, f.ctx
	bob, carol, team := "user="+idStr(f.bob.ID), "user="+idStr(f.carol.ID), "team="+idStr(f.team.ID)
	admin := "user=" + idStr(e.admin.ID)
	set := func(changes ...warden.PermissionChange) {
		t.Helper()
		if err := e.svc.SetServiceAccountPermissions(ctx, f.sa.ID, changes); err != nil {
			t.Fatalf("SetServiceAccountPermissions(%+v): %v", changes, err)
		}
	}

	set(warden.PermissionChange{UserID: f.bob.ID, Level: warden.LevelEdit},
		warden.PermissionChange{TeamID: f.team.ID, Level: warden.LevelAdmin},
		warden.PermissionChange{UserID: f.carol.ID, Level: warden.LevelEdit},
		warden.PermissionChange{UserID: f.carol.ID, Level: warden.LevelAdmin}) // the later one wins
	bulkWantGrants(t, "first set", bulkGrants(t, e, ctx, f.sa.ID), map[string]warden.ManagedLevel{
		admin: warden.LevelAdmin, bob: warden.LevelEdit, team: warden.LevelAdmin, carol: warden.LevelAdmin})
	if n := len(auditRows(t, e, "serviceaccount.permission.set")); n != 4 {
		t.Fatalf("%d serviceaccount.permission.set rows, want one per change (4)", n)
	}

	// The grants are real: bob may now write the account.
	p, err := e.svc.UserPrincipal(context.Background(), f.bob, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Permissions.Evaluate(warden.ActionSAWrite, warden.ScopeServiceAccount(f.sa.ID)) {
		t.Fatal("bob holds no serviceaccounts:write on the account after an Edit grant")
	}

	// "" removes; removing a grant nobody holds is fine; grants not named are kept; a grant
	// removed and given again in one call ends given.
	set(warden.PermissionChange{UserID: f.bob.ID},
		warden.PermissionChange{TeamID: f.team.ID, Level: warden.LevelEdit},
		warden.PermissionChange{TeamID: f.team.ID},
		warden.PermissionChange{TeamID: f.team.ID, Level: warden.LevelEdit},
		warden.PermissionChange{UserID: f.bob.ID}) // already gone
	bulkWantGrants(t, "second set", bulkGrants(t, e, ctx, f.sa.ID), map[string]warden.ManagedLevel{
		admin: warden.LevelAdmin, team: warden.LevelEdit, carol: warden.LevelAdmin})
	if p, err = e.svc.UserPrincipal(context.Background(), f.bob, 1); err != nil {
		t.Fatal(err)
	}
	if p.Permissions.Evaluate(warden.ActionSAWrite, warden.ScopeServiceAccount(f.sa.ID)) {
		t.Fatal("bob still holds serviceaccounts:write after his grant was removed")
	}

	// No change at all changes nothing.
	set()
	bulkWantGrants(t, "empty set", bulkGrants(t, e, ctx, f.sa.ID), map[string]warden.ManagedLevel{
		admin: warden.LevelAdmin, team: warden.LevelEdit, carol: warden.LevelAdmin})
}

// One invalid entry anywhere in the list refuses the whole call with EINVALID: the valid
// entries before it are not applied and no audit row is written.
func TestSetServiceAccountPermissions_InvalidChangesNothing(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t)
	e, ctx := f.e, f.ctx
	other := e.newSA(t, ctx, "other", "")
	valid := []warden.PermissionChange{
		{UserID: f.bob.ID, Level: warden.LevelEdit},
		{TeamID: f.team.ID, Level: warden.LevelAdmin},
		{UserID: e.admin.ID}, // would remove the admin's grant
	}
	for _, tc := range []struct {
		name string
		bad  warden.PermissionChange
		msg  string
	}{
		{"NoHolder", warden.PermissionChange{Level: warden.LevelEdit}, "each permission needs exactly one of userId and teamId"},
		{"UserAndTeam", warden.PermissionChange{UserID: f.carol.ID, TeamID: f.team.ID, Level: warden.LevelEdit}, "each permission needs exactly one of userId and teamId"},
		{"BuiltInRole", warden.PermissionChange{BuiltInRole: "Viewer", Level: warden.LevelEdit}, "service account permissions cannot be granted to a built-in role"},
		{"BuiltInRoleWithUser", warden.PermissionChange{UserID: f.carol.ID, BuiltInRole: "Editor", Level: warden.LevelEdit}, "service account permissions cannot be granted to a built-in role"},
		{"NegativeUser", warden.PermissionChange{UserID: -1, Level: warden.LevelEdit}, "invalid user or team id"},
		{"UnknownLevel", warden.PermissionChange{UserID: f.carol.ID, Level: "Bogus"}, "invalid permission"},
		{"ViewLevel", warden.PermissionChange{UserID: f.carol.ID, Level: warden.LevelView}, "invalid permission"},
		{"LowercaseLevel", warden.PermissionChange{UserID: f.carol.ID, Level: "edit"}, "invalid permission"},
		{"UnknownUser", warden.PermissionChange{UserID: 9999, Level: warden.LevelEdit}, "user not found"},
		{"ServiceAccountAsUser", warden.PermissionChange{UserID: other.ID, Level: warden.LevelEdit}, "user not found"},
		{"UserOfAnotherOrg", warden.PermissionChange{UserID: f.outsider.ID, Level: warden.LevelEdit}, "user is not a member of the service account's organization"},
		{"RemoveUserOfAnotherOrg", warden.PermissionChange{UserID: f.outsider.ID}, "user is not a member of the service account's organization"},
		{"TeamOfAnotherOrg", warden.PermissionChange{TeamID: f.team2.ID, Level: warden.LevelEdit}, "team not found in the service account's organization"},
		{"UnknownTeam", warden.PermissionChange{TeamID: 9999}, "team not found in the service account's organization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Subtests share the fixture and only read it; none may change anything.
			for _, changes := range [][]warden.PermissionChange{
				append(append([]warden.PermissionChange{}, valid...), tc.bad),
				append([]warden.PermissionChange{tc.bad}, valid...),
			} {
				err := e.svc.SetServiceAccountPermissions(ctx, f.sa.ID, changes)
				saWantErr(t, err, warden.EINVALID, "", tc.msg)
			}
			bulkWantGrants(t, "after the refusal", bulkGrants(t, e, ctx, f.sa.ID), f.initialGrant)
			if rows := auditRows(t, e, "serviceaccount.permission.set"); len(rows) != 0 {
				t.Fatalf("a refused call wrote %d audit rows", len(rows))
			}
		})
	}
}

// An account that is not one of the caller's org is "service account not found", whatever
// the changes.
func TestSetServiceAccountPermissions_UnknownAccount(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t)
	e := f.e
	sa2 := e.newSA(t, f.adminInOrg2, "ci2", "")
	grant := []warden.PermissionChange{{UserID: f.bob.ID, Level: warden.LevelEdit}}
	saWantNotFound(t, e.svc.SetServiceAccountPermissions(f.ctx, 9999, grant))
	saWantNotFound(t, e.svc.SetServiceAccountPermissions(f.ctx, f.bob.ID, grant)) // a human's id
	saWantNotFound(t, e.svc.SetServiceAccountPermissions(f.ctx, sa2.ID, grant))   // org 2's account from org 1
	saWantNotFound(t, e.svc.SetServiceAccountPermissions(context.Background(), f.sa.ID, grant))
	bulkWantGrants(t, "org 1's account", bulkGrants(t, e, f.ctx, f.sa.ID), f.initialGrant)
	bulkWantGrants(t, "org 2's account", bulkGrants(t, e, f.adminInOrg2, sa2.ID),
		map[string]warden.ManagedLevel{"user=" + idStr(e.admin.ID): warden.LevelAdmin})
}

// The one-grant wrappers report a removal only when they removed (or would remove) a grant.
func TestSetServiceAccountPermission_WrappersReportRemoved(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t)
	e, ctx := f.e, f.ctx
	for _, tc := range []struct {
		name        string
		set         func(context.Context, int64, int64, warden.ManagedLevel) (bool, error)
		holder      int64
		key         string
		wantRemoved bool
		level       warden.ManagedLevel
	}{
		{"UserGrant", e.svc.SetServiceAccountUserPermission, f.bob.ID, "user=" + idStr(f.bob.ID), false, warden.LevelEdit},
		{"UserRemove", e.svc.SetServiceAccountUserPermission, f.bob.ID, "user=" + idStr(f.bob.ID), true, ""},
		{"UserRemoveAbsent", e.svc.SetServiceAccountUserPermission, f.bob.ID, "user=" + idStr(f.bob.ID), true, ""},
		{"TeamGrant", e.svc.SetServiceAccountTeamPermission, f.team.ID, "team=" + idStr(f.team.ID), false, warden.LevelAdmin},
		{"TeamRemove", e.svc.SetServiceAccountTeamPermission, f.team.ID, "team=" + idStr(f.team.ID), true, ""},
	} {
		removed, err := tc.set(ctx, f.sa.ID, tc.holder, tc.level)
		if err != nil || removed != tc.wantRemoved {
			t.Fatalf("%s: (removed %v, %v), want (%v, nil)", tc.name, removed, err, tc.wantRemoved)
		}
		if got := bulkGrants(t, e, ctx, f.sa.ID)[tc.key]; got != tc.level {
			t.Fatalf("%s: level %q, want %q", tc.name, got, tc.level)
		}
	}
}

// TestSetServiceAccountPermission_FailedRemovalRemovesNothing checks that a removal that fails
// (unknown account, …) reports nothing removed beside its error.
func TestSetServiceAccountPermission_FailedRemovalRemovesNothing(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t)
	e, ctx := f.e, f.ctx
	removed, err := e.svc.SetServiceAccountUserPermission(ctx, 9999, f.bob.ID, "")
	saWantNotFound(t, err)
	if removed {
		t.Error("SetServiceAccountUserPermission on an unknown account = (removed true, error), want removed false")
	}
	removed, err = e.svc.SetServiceAccountTeamPermission(ctx, f.sa.ID, f.team2.ID, "")
	saWantErr(t, err, warden.EINVALID, "", "team not found in the service account's organization")
	if removed {
		t.Error("SetServiceAccountTeamPermission with another org's team = (removed true, error), want removed false")
	}
}

// bulkMembers lists a team's members as login → permission.
func bulkMembers(t *testing.T, e *saEnv, ctx context.Context, teamID int64) map[string]int {
	t.Helper()
	list, err := e.svc.TeamMembers(ctx, teamID)
	if err != nil {
		t.Fatalf("TeamMembers(%d): %v", teamID, err)
	}
	out := map[string]int{}
	for _, m := range list {
		out[m.Login] = m.Permission
	}
	return out
}

func TestSetTeamMemberships(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t)
	e, ctx := f.e, f.ctx
	e.user(t, "dave")
	// The creator is the team's Admin.
	if got, want := bulkMembers(t, e, ctx, f.team.ID), map[string]int{"admin": 4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	set := func(members, admins []string, want map[string]int) {
		t.Helper()
		if err := e.svc.SetTeamMemberships(ctx, f.team.ID, members, admins); err != nil {
			t.Fatalf("SetTeamMemberships(%q, %q): %v", members, admins, err)
		}
		if got := bulkMembers(t, e, ctx, f.team.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("after SetTeamMemberships(%q, %q): members %v, want %v", members, admins, got, want)
		}
	}

	// Emails or logins, any case, around spaces; one in both lists is an Admin; the admin, not
	// named, is removed.
	set([]string{"BOB@example.com", " carol ", "dave"}, []string{"Carol@Example.com"},
		map[string]int{"bob": 0, "carol": 4, "dave": 0})
	// The grants are real: carol administers the team, bob only reads it.
	for _, c := range []struct {
		u     *warden.User
		write bool
	}{{f.carol, true}, {f.bob, false}} {
		p, err := e.svc.UserPrincipal(context.Background(), c.u, 1)
		if err != nil {
			t.Fatal(err)
		}
		scope := warden.ScopeTeam(f.team.ID)
		if !p.Permissions.Evaluate(warden.ActionTeamsRead, scope) || p.Permissions.Evaluate(warden.ActionTeamsWrite, scope) != c.write {
			t.Fatalf("%s: teams:read %v teams:write %v, want true and %v", c.u.Login,
				p.Permissions.Evaluate(warden.ActionTeamsRead, scope), p.Permissions.Evaluate(warden.ActionTeamsWrite, scope), c.write)
		}
	}
	// Changing permissions both ways, removing one, adding one back; an admin named only as an
	// admin is in the team; a name twice is one membership.
	set([]string{"carol", "dave", "dave"}, []string{"bob", "admin"},
		map[string]int{"bob": 4, "carol": 0, "dave": 0, "admin": 4})
	set(nil, nil, map[string]int{})
	if n := len(auditRows(t, e, "team.members.set")); n != 3 {
		t.Fatalf("%d team.members.set rows, want 3", n)
	}

	set([]string{"bob", "carol"}, nil, map[string]int{"bob": 0, "carol": 0})
	sa := "sa-1-ci" // f.sa's login (and email)
	if f.sa.Login != sa {
		t.Fatalf("service account login %q, want %q", f.sa.Login, sa)
	}
	for _, tc := range []struct {
		name             string
		members, admins  []string
		teamID           int64
		wantCode, wanted string
	}{
		{"UnknownName", []string{"bob", "nobody"}, nil, f.team.ID, warden.ENOTFOUND, "user not found"},
		{"UnknownAdmin", []string{"dave"}, []string{"nobody@example.com"}, f.team.ID, warden.ENOTFOUND, "user not found"},
		{"EmptyName", []string{""}, nil, f.team.ID, warden.ENOTFOUND, "user not found"},
		{"ServiceAccount", []string{"dave", sa}, nil, f.team.ID, warden.ENOTFOUND, "user not found"},
		{"UserOfAnotherOrg", []string{"dave"}, []string{"outsider"}, f.team.ID, warden.ENOTFOUND, "user not found"},
		{"UserOfAnotherOrgByEmail", []string{"outsider@example.com"}, nil, f.team.ID, warden.ENOTFOUND, "user not found"},
		{"UnknownTeam", []string{"dave"}, nil, 9999, warden.ENOTFOUND, "Team not found"},
		{"TeamOfAnotherOrg", []string{"dave"}, nil, f.team2.ID, warden.ENOTFOUND, "Team not found"},
	} {
		err := e.svc.SetTeamMemberships(ctx, tc.teamID, tc.members, tc.admins)
		if warden.ErrorCode(err) != tc.wantCode || warden.ErrorMessage(err) != tc.wanted {
			t.Fatalf("%s: err %v (%s %q), want %s %q", tc.name, err, warden.ErrorCode(err), warden.ErrorMessage(err), tc.wantCode, tc.wanted)
		}
		if got, want := bulkMembers(t, e, ctx, f.team.ID), map[string]int{"bob": 0, "carol": 0}; !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: members %v after a refusal, want %v", tc.name, got, want)
		}
	}
	if got, want := bulkMembers(t, e, f.adminInOrg2, f.team2.ID), map[string]int{"admin": 4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("org 2's team: members %v, want %v", got, want)
	}
	if n := len(auditRows(t, e, "team.members.set")); n != 4 {
		t.Fatalf("%d team.members.set rows after refusals, want 4", n)
	}
	saWantErr(t, e.svc.SetTeamMemberships(context.Background(), f.team.ID, nil, nil), warden.ENOTFOUND, "", "Team not found")
}

func TestFindOrgByName(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	ops, err := e.svc.CreateOrg(ctx, "Ops")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		wantID int64 // 0: not found
	}{
		{"Main Org.", 1},
		{"Ops", ops.ID},
		{"ops", 0},
		{"Op", 0},
		{"Ops ", 0},
		{"Op%", 0},
		{"", 0},
	} {
		org, err := e.svc.FindOrgByName(ctx, tc.name)
		if tc.wantID == 0 {
			saWantErr(t, err, warden.ENOTFOUND, "", "Organization not found")
			if org != nil {
				t.Fatalf("FindOrgByName(%q) = %+v with an error", tc.name, org)
			}
			continue
		}
		if err != nil {
			t.Fatalf("FindOrgByName(%q): %v", tc.name, err)
		}
		if org.ID != tc.wantID || org.Name != tc.name {
			t.Fatalf("FindOrgByName(%q) = org %d %q, want org %d", tc.name, org.ID, org.Name, tc.wantID)
		}
	}
}
