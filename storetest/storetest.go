// Package storetest is the contract every warden.Store implementation meets. Each store's tests
// call Run with a function that opens a fresh, empty store, so SQLite and PostgreSQL are held to
// exactly the same behaviour (Upspin's one suite run against every implementation).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// Run runs the Store contract. open must return a new, empty store on every call and arrange
// (with t.Cleanup) for it to be closed; each subtest calls it once, so subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) warden.Store) {
	for _, tc := range contract {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// contract lists one test per behaviour of warden.Store.
var contract = []struct {
	name string
	fn   func(t *testing.T, s warden.Store)
}{
	{"Org/CreateFindUpdateDelete", testOrgCreateFindUpdateDelete},
	{"Org/NotFound", testOrgNotFound},
	{"Org/ConflictName", testOrgConflictName},
	{"Org/FindOrgs", testOrgFindOrgs},
	{"Org/DeleteCascades", testOrgDeleteCascades},

	{"User/CreateFind", testUserCreateFind},
	{"User/Update", testUserUpdate},
	{"User/TouchUser", testUserTouch},
	{"User/NotFound", testUserNotFound},
	{"User/ConflictLogin", testUserConflictLogin},
	{"User/ConflictEmail", testUserConflictEmail},
	{"User/ConflictUID", testUserConflictUID},
	{"User/ConflictAcrossServiceAccounts", testUserConflictAcrossServiceAccounts},
	{"User/UpdateConflict", testUserUpdateConflict},
	{"User/LookupIgnoresCase", testUserLookupIgnoresCase},
	{"User/DeleteCascades", testUserDeleteCascades},
	{"User/DeleteFreesLogin", testUserDeleteFreesLogin},
	{"User/CountServerAdmins", testUserCountServerAdmins},
	{"User/FindUsers/Query", testFindUsersQuery},
	{"User/FindUsers/QueryLiteralWildcards", testFindUsersQueryLiteralWildcards},
	{"User/FindUsers/ServiceAccounts", testFindUsersServiceAccounts},
	{"User/FindUsers/OrgID", testFindUsersOrgID},
	{"User/FindUsers/IDs", testFindUsersIDs},
	{"User/FindUsers/Disabled", testFindUsersDisabled},
	{"User/FindUsers/PageAndOrder", testFindUsersPageAndOrder},
	{"User/FindUsers/Sort", testFindUsersSort},

	{"OrgUser/AddFindUpdateRemove", testOrgUserAddFindUpdateRemove},
	{"OrgUser/NotFound", testOrgUserNotFound},
	{"OrgUser/ConflictAddTwice", testOrgUserConflictAddTwice},
	{"OrgUser/FindOrgUsers", testOrgUserFindOrgUsers},
	{"OrgUser/FindUserOrgs", testOrgUserFindUserOrgs},
	{"OrgUser/CountOrgAdmins", testOrgUserCountOrgAdmins},
	{"OrgUser/RemoveDeletesPermissionsInOrg", testOrgUserRemoveDeletesPermissionsInOrg},

	{"Session/CreateFindTouchDelete", testSessionCreateFindTouchDelete},
	{"Session/NotFound", testSessionNotFound},
	{"Session/ConflictTokenHash", testSessionConflictTokenHash},
	{"Session/DeleteUserSessions", testSessionDeleteUserSessions},
	{"Session/DeleteExpiredSessions", testSessionDeleteExpiredSessions},

	{"LoginAttempt/Count", testLoginAttemptCount},
	{"LoginAttempt/DeleteLoginAttempts", testLoginAttemptDelete},
	{"LoginAttempt/DeleteLoginAttemptsBefore", testLoginAttemptDeleteBefore},

	{"ManagedPermission/SetFindRemove", testManagedPermissionSetFindRemove},
	{"ManagedPermission/SetReplaces", testManagedPermissionSetReplaces},
	{"ManagedPermission/RequiresOneHolder", testManagedPermissionRequiresOneHolder},
	{"ManagedPermission/FindUserManagedPermissionsByOrg", testManagedPermissionFindUserByOrg},

	{"ManagedPermission/TeamGrants", testManagedPermissionTeamGrants},

	{"Team/CreateFindUpdateDelete", testTeamCreateFindUpdateDelete},
	{"Team/NotFound", testTeamNotFound},
	{"Team/ConflictName", testTeamConflictName},
	{"Team/Members", testTeamMembers},
	{"Team/FindTeams", testTeamFindTeams},

	{"ServiceAccount/Find", testServiceAccountFind},
	{"ServiceAccount/FindServiceAccounts", testServiceAccountFindServiceAccounts},

	{"Token/CreateFindDelete", testTokenCreateFindDelete},
	{"Token/NotFound", testTokenNotFound},
	{"Token/Conflict", testTokenConflict},
	{"Token/Revoke", testTokenRevoke},
	{"Token/FindTokenIdentity", testTokenFindIdentity},
	{"Token/UpdateTokensLastUsed", testTokenUpdateTokensLastUsed},
	{"Token/DeletedWithAccount", testTokenDeletedWithAccount},

	{"Audit/CreateFind", testAuditCreateFind},
	{"Audit/Filter", testAuditFilter},
	{"Audit/DeleteBefore", testAuditDeleteBefore},

	{"Tx/RollbackOnError", testTxRollbackOnError},
	{"Tx/RollbackOnTxError", testTxRollbackOnTxError},
	{"Tx/ViewIsReadOnly", testTxViewIsReadOnly},
	{"Concurrent/CreateOrgSameName", testConcurrentCreateOrgSameName},
	{"Concurrent/CreateUserSameLogin", testConcurrentCreateUserSameLogin},
	{"Concurrent/FindThenCreateUser", testConcurrentFindThenCreateUser},

	{"Times/RoundTrip", testTimesRoundTrip},
}

// t0 is the suite's "now". Times in the store are kept to the second.
var t0 = time.Date(2024, time.March, 1, 12, 0, 0, 0, time.UTC)

// ---- helpers ----

// update runs fn in a write transaction and fails the test on error.
func update(t *testing.T, s warden.Store, fn func(tx warden.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// get runs fn in a read transaction and returns its value, failing the test on error.
func get[T any](t *testing.T, s warden.Store, fn func(tx warden.Tx) (T, error)) T {
	t.Helper()
	var v T
	err := s.View(t.Context(), func(tx warden.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

// wantCode fails unless err carries the warden error code code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := warden.ErrorCode(err); got != code {
		t.Fatalf("%s: ErrorCode=%q (err: %v), want %q", what, got, err, code)
	}
}

// wantEqual fails unless got and want are deeply equal.
func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s=\n\t%+v\nwant\n\t%+v", what, got, want)
	}
}

func mustCreateOrg(t *testing.T, s warden.Store, name string) *warden.Org {
	t.Helper()
	ctx := t.Context()
	o := &warden.Org{Name: name, Created: t0, Updated: t0}
	update(t, s, func(tx warden.Tx) error { return tx.CreateOrg(ctx, o) })
	if o.ID == 0 {
		t.Fatalf("CreateOrg(%q) left ID 0", name)
	}
	return o
}

// mustCreateUser creates a human user with login, email login@example.com and uid "uid-"+login;
// opts adjust the row before it is written.
func mustCreateUser(t *testing.T, s warden.Store, login string, opts ...func(*warden.User)) *warden.User {
	t.Helper()
	ctx := t.Context()
	u := &warden.User{
		UID:     "uid-" + login,
		Login:   login,
		Email:   login + "@example.com",
		Name:    login,
		Created: t0,
		Updated: t0,
	}
	for _, opt := range opts {
		opt(u)
	}
	update(t, s, func(tx warden.Tx) error { return tx.CreateUser(ctx, u) })
	if u.ID == 0 {
		t.Fatalf("CreateUser(%q) left ID 0", login)
	}
	return u
}

// mustCreateServiceAccount creates a service account of an org (without a membership).
func mustCreateServiceAccount(t *testing.T, s warden.Store, orgID int64, login string) *warden.User {
	t.Helper()
	return mustCreateUser(t, s, login, func(u *warden.User) {
		u.Email = login
		u.IsServiceAccount = true
		u.OrgID = orgID
	})
}

func mustAddOrgUser(t *testing.T, s warden.Store, orgID, userID int64, role warden.OrgRole) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: orgID, UserID: userID, Role: role, Created: t0, Updated: t0})
	})
}

// mustGrant gives user userID the level on service account saID in org orgID.
func mustGrant(t *testing.T, s warden.Store, orgID, saID, userID int64, level warden.ManagedLevel) *warden.ManagedPermission {
	t.Helper()
	ctx := t.Context()
	p := &warden.ManagedPermission{OrgID: orgID, Resource: warden.ResourceServiceAccounts, ResourceID: saID,
		UserID: userID, Level: level, Created: t0, Updated: t0}
	update(t, s, func(tx warden.Tx) error { return tx.SetManagedPermission(ctx, p) })
	if p.ID == 0 {
		t.Fatal("SetManagedPermission left ID 0")
	}
	return p
}

func mustCreateSession(t *testing.T, s warden.Store, userID int64, hash string, created, seen time.Time) *warden.Session {
	t.Helper()
	ctx := t.Context()
	sess := &warden.Session{UserID: userID, TokenHash: hash, ClientIP: "192.0.2.1", UserAgent: "test", Created: created, SeenAt: seen}
	update(t, s, func(tx warden.Tx) error { return tx.CreateSession(ctx, sess) })
	if sess.ID == 0 {
		t.Fatal("CreateSession left ID 0")
	}
	return sess
}

func findUsers(t *testing.T, s warden.Store, f warden.UserFilter) ([]string, int) {
	t.Helper()
	ctx := t.Context()
	var users []*warden.User
	var total int
	err := s.View(ctx, func(tx warden.Tx) error {
		var err error
		users, total, err = tx.FindUsers(ctx, f)
		return err
	})
	if err != nil {
		t.Fatalf("FindUsers(%+v): %v", f, err)
	}
	logins := []string{}
	for _, u := range users {
		logins = append(logins, u.Login)
	}
	return logins, total
}

// wantUsers checks the logins and total FindUsers returns for f.
func wantUsers(t *testing.T, s warden.Store, f warden.UserFilter, wantLogins []string, wantTotal int) {
	t.Helper()
	logins, total := findUsers(t, s, f)
	if !slices.Equal(logins, wantLogins) {
		t.Fatalf("FindUsers(%+v) logins=%q, want %q", f, logins, wantLogins)
	}
	if total != wantTotal {
		t.Fatalf("FindUsers(%+v) total=%d, want %d", f, total, wantTotal)
	}
}

func orgNames(orgs []*warden.Org) []string {
	names := []string{}
	for _, o := range orgs {
		names = append(names, o.Name)
	}
	return names
}

func userExists(t *testing.T, s warden.Store, id int64) bool {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindUserByID(ctx, id)
		return err
	})
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("FindUserByID(%d): %v", id, err)
	return false
}

func orgExists(t *testing.T, s warden.Store, name string) bool {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindOrgByName(ctx, name)
		return err
	})
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("FindOrgByName(%q): %v", name, err)
	return false
}

func isMember(t *testing.T, s warden.Store, orgID, userID int64) bool {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindOrgUser(ctx, orgID, userID)
		return err
	})
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("FindOrgUser(%d, %d): %v", orgID, userID, err)
	return false
}

func sessionExists(t *testing.T, s warden.Store, hash string) bool {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindSessionByHash(ctx, hash)
		return err
	})
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("FindSessionByHash(%q): %v", hash, err)
	return false
}

func resourcePermissions(t *testing.T, s warden.Store, orgID, saID int64) []*warden.ManagedPermission {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) ([]*warden.ManagedPermission, error) {
		return tx.FindResourcePermissions(ctx, orgID, warden.ResourceServiceAccounts, saID)
	})
}

func userPermissions(t *testing.T, s warden.Store, orgID, userID int64) []*warden.ManagedPermission {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) ([]*warden.ManagedPermission, error) {
		return tx.FindUserManagedPermissions(ctx, orgID, userID)
	})
}

// holders returns the user IDs holding the grants.
func holders(ps []*warden.ManagedPermission) []int64 {
	ids := []int64{}
	for _, p := range ps {
		ids = append(ids, p.UserID)
	}
	slices.Sort(ids)
	return ids
}

// ---- orgs ----

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
	for _, c := range []struct {
		name  string
		write bool
		fn    func(tx warden.Tx) error
	}{
		{"FindOrgByID", false, func(tx warden.Tx) error { _, err := tx.FindOrgByID(ctx, missing); return err }},
		{"FindOrgByName", false, func(tx warden.Tx) error { _, err := tx.FindOrgByName(ctx, "Nope"); return err }},
		{"UpdateOrg", true, func(tx warden.Tx) error {
			return tx.UpdateOrg(ctx, &warden.Org{ID: missing, Name: "Nope", Updated: t0})
		}},
		{"DeleteOrg", true, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, missing) }},
	} {
		run := s.View
		if c.write {
			run = s.Update
		}
		wantCode(t, c.name, run(ctx, c.fn), warden.ENOTFOUND)
	}
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

// ---- users ----

func testUserCreateFind(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	u := &warden.User{
		UID:          "u-alice",
		Login:        "alice",
		Email:        "alice@example.com",
		Name:         "Alice Liddell",
		Theme:        "dark",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		IsAdmin:      true,
		OrgID:        o.ID,
		Created:      t0,
		Updated:      t0.Add(time.Minute),
		LastSeenAt:   t0.Add(time.Hour),
	}
	update(t, s, func(tx warden.Tx) error { return tx.CreateUser(ctx, u) })
	if u.ID == 0 {
		t.Fatal("CreateUser left ID 0")
	}
	want := *u
	for _, c := range []struct {
		name string
		fn   func(tx warden.Tx) (*warden.User, error)
	}{
		{"FindUserByID", func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, u.ID) }},
		{"FindUserByUID", func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByUID(ctx, "u-alice") }},
		{"FindUserByLogin", func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByLogin(ctx, "alice") }},
		{"FindUserByEmail", func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByEmail(ctx, "alice@example.com") }},
		{"FindUserByLoginOrEmail(login)", func(tx warden.Tx) (*warden.User, error) {
			return tx.FindUserByLoginOrEmail(ctx, "alice")
		}},
		{"FindUserByLoginOrEmail(email)", func(tx warden.Tx) (*warden.User, error) {
			return tx.FindUserByLoginOrEmail(ctx, "alice@example.com")
		}},
	} {
		got := get(t, s, c.fn)
		wantEqual(t, c.name, *got, want)
	}

	// A service account reads back as one, and FindUserByLoginOrEmail finds it too.
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	got := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByLoginOrEmail(ctx, "sa-ci") })
	if got.ID != sa.ID || !got.IsServiceAccount || got.OrgID != o.ID {
		t.Fatalf("FindUserByLoginOrEmail(sa)=%+v, want service account %d of org %d", *got, sa.ID, o.ID)
	}
}

func testUserUpdate(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	u := mustCreateUser(t, s, "alice", func(u *warden.User) {
		u.IsAdmin = true
		u.OrgID = o.ID
		u.LastSeenAt = t0
	})
	upd := *u
	upd.Login = "alice2"
	upd.Email = "alice2@example.com"
	upd.Name = "Alice Two"
	upd.Theme = "light"
	upd.PasswordHash = "new-hash"
	upd.IsAdmin = false
	upd.IsDisabled = true
	upd.OrgID = 0
	upd.Updated = t0.Add(time.Hour)
	upd.LastSeenAt = time.Time{}
	update(t, s, func(tx warden.Tx) error { return tx.UpdateUser(ctx, &upd) })

	got := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, u.ID) })
	wantEqual(t, "FindUserByID after UpdateUser", *got, upd)
	got = get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByLogin(ctx, "alice2") })
	if got, want := got.ID, u.ID; got != want {
		t.Fatalf("FindUserByLogin(new login).ID=%d, want %d", got, want)
	}
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindUserByLogin(ctx, "alice"); return err })
	wantCode(t, "FindUserByLogin(old login)", err, warden.ENOTFOUND)
	err = s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindUserByEmail(ctx, "alice@example.com"); return err })
	wantCode(t, "FindUserByEmail(old email)", err, warden.ENOTFOUND)
}

func testUserNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	missing := u.ID + 1000
	for _, c := range []struct {
		name  string
		write bool
		fn    func(tx warden.Tx) error
	}{
		{"FindUserByID", false, func(tx warden.Tx) error { _, err := tx.FindUserByID(ctx, missing); return err }},
		{"FindUserByUID", false, func(tx warden.Tx) error { _, err := tx.FindUserByUID(ctx, "nope"); return err }},
		{"FindUserByLogin", false, func(tx warden.Tx) error { _, err := tx.FindUserByLogin(ctx, "nope"); return err }},
		{"FindUserByEmail", false, func(tx warden.Tx) error { _, err := tx.FindUserByEmail(ctx, "nope@example.com"); return err }},
		{"FindUserByLoginOrEmail", false, func(tx warden.Tx) error { _, err := tx.FindUserByLoginOrEmail(ctx, "nope"); return err }},
		{"UpdateUser", true, func(tx warden.Tx) error {
			return tx.UpdateUser(ctx, &warden.User{ID: missing, UID: "x", Login: "x", Email: "x", Updated: t0})
		}},
		{"DeleteUser", true, func(tx warden.Tx) error { return tx.DeleteUser(ctx, missing) }},
	} {
		run := s.View
		if c.write {
			run = s.Update
		}
		wantCode(t, c.name, run(ctx, c.fn), warden.ENOTFOUND)
	}
	// The login lookup is exact, not a substring or prefix match.
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindUserByLogin(ctx, "alic"); return err })
	wantCode(t, "FindUserByLogin(prefix)", err, warden.ENOTFOUND)
	if !userExists(t, s, u.ID) {
		t.Fatal("existing user gone after not-found operations")
	}
}

// wantCreateUserConflict creates a user with the given fields and expects ECONFLICT.
func wantCreateUserConflict(t *testing.T, s warden.Store, u warden.User) {
	t.Helper()
	ctx := t.Context()
	u.Created, u.Updated = t0, t0
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.CreateUser(ctx, &u) })
	wantCode(t, fmt.Sprintf("CreateUser(%+v)", u), err, warden.ECONFLICT)
}

func testUserConflictLogin(t *testing.T, s warden.Store) {
	mustCreateUser(t, s, "alice")
	wantCreateUserConflict(t, s, warden.User{UID: "other", Login: "alice", Email: "other@example.com"})
	wantUsers(t, s, warden.UserFilter{}, []string{"alice"}, 1)
}

func testUserConflictEmail(t *testing.T, s warden.Store) {
	mustCreateUser(t, s, "alice")
	wantCreateUserConflict(t, s, warden.User{UID: "other", Login: "other", Email: "alice@example.com"})
	wantUsers(t, s, warden.UserFilter{}, []string{"alice"}, 1)
}

func testUserConflictUID(t *testing.T, s warden.Store) {
	mustCreateUser(t, s, "alice")
	wantCreateUserConflict(t, s, warden.User{UID: "uid-alice", Login: "other", Email: "other@example.com"})
	wantUsers(t, s, warden.UserFilter{}, []string{"alice"}, 1)
}

// Humans and service accounts share one table, so a login is unique across both.
func testUserConflictAcrossServiceAccounts(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	mustCreateUser(t, s, "alice")
	mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	wantCreateUserConflict(t, s, warden.User{UID: "sa1", Login: "alice", Email: "alice-sa",
		IsServiceAccount: true, OrgID: o.ID})
	wantCreateUserConflict(t, s, warden.User{UID: "h1", Login: "sa-ci", Email: "sa-ci@example.com"})
	wantUsers(t, s, warden.UserFilter{}, []string{"alice"}, 1)
	wantUsers(t, s, warden.UserFilter{ServiceAccounts: true}, []string{"sa-ci"}, 1)
}

func testUserUpdateConflict(t *testing.T, s warden.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")

	upd := *bob
	upd.Login = "alice"
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateUser(ctx, &upd) })
	wantCode(t, "UpdateUser to a taken login", err, warden.ECONFLICT)

	upd = *bob
	upd.Email = "alice@example.com"
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateUser(ctx, &upd) })
	wantCode(t, "UpdateUser to a taken email", err, warden.ECONFLICT)

	got := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, bob.ID) })
	wantEqual(t, "FindUserByID after failed updates", *got, *bob)
}

func testUserLookupIgnoresCase(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	alice := mustCreateUser(t, s, "alice")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	for _, c := range []struct {
		name   string
		fn     func(tx warden.Tx) (*warden.User, error)
		wantID int64
	}{
		{"FindUserByLogin(ALICE)", func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByLogin(ctx, "ALICE") }, alice.ID},
		{"FindUserByLogin(Alice)", func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByLogin(ctx, "Alice") }, alice.ID},
		{"FindUserByEmail", func(tx warden.Tx) (*warden.User, error) {
			return tx.FindUserByEmail(ctx, "Alice@Example.COM")
		}, alice.ID},
		{"FindUserByLoginOrEmail(login)", func(tx warden.Tx) (*warden.User, error) {
			return tx.FindUserByLoginOrEmail(ctx, "aLiCe")
		}, alice.ID},
		{"FindUserByLoginOrEmail(email)", func(tx warden.Tx) (*warden.User, error) {
			return tx.FindUserByLoginOrEmail(ctx, "ALICE@EXAMPLE.COM")
		}, alice.ID},
		{"FindUserByLoginOrEmail(service account)", func(tx warden.Tx) (*warden.User, error) {
			return tx.FindUserByLoginOrEmail(ctx, "SA-CI")
		}, sa.ID},
	} {
		got := get(t, s, c.fn)
		if got.ID != c.wantID {
			t.Errorf("%s.ID=%d, want %d", c.name, got.ID, c.wantID)
		}
	}
}

func testUserDeleteCascades(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	alice := mustCreateUser(t, s, "alice", func(u *warden.User) { u.OrgID = o.ID })
	bob := mustCreateUser(t, s, "bob", func(u *warden.User) { u.OrgID = o.ID })
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")
	for _, id := range []int64{alice.ID, bob.ID, sa.ID, sa2.ID} {
		mustAddOrgUser(t, s, o.ID, id, warden.RoleEditor)
	}
	mustCreateSession(t, s, alice.ID, "hash-alice", t0, t0)
	mustCreateSession(t, s, bob.ID, "hash-bob", t0, t0)
	mustGrant(t, s, o.ID, sa.ID, alice.ID, warden.LevelAdmin) // held by alice, on sa
	mustGrant(t, s, o.ID, sa.ID, bob.ID, warden.LevelEdit)    // held by bob, on sa
	mustGrant(t, s, o.ID, sa2.ID, alice.ID, warden.LevelEdit) // held by alice, on sa2
	mustGrant(t, s, o.ID, sa2.ID, sa.ID, warden.LevelEdit)    // held by sa, on sa2
	mustGrant(t, s, o.ID, sa2.ID, bob.ID, warden.LevelAdmin)  // held by bob, on sa2
	team := mustCreateTeam(t, s, o.ID, "ops")
	mustAddTeamMember(t, s, o.ID, team.ID, alice.ID, warden.TeamPermissionAdmin)
	mustAddTeamMember(t, s, o.ID, team.ID, bob.ID, warden.TeamPermissionMember)

	// Deleting a human removes its memberships, sessions and the grants it holds.
	update(t, s, func(tx warden.Tx) error { return tx.DeleteUser(ctx, alice.ID) })
	if userExists(t, s, alice.ID) {
		t.Fatal("user found after DeleteUser")
	}
	if isMember(t, s, o.ID, alice.ID) {
		t.Fatal("membership of a deleted user remains")
	}
	if sessionExists(t, s, "hash-alice") {
		t.Fatal("session of a deleted user remains")
	}
	if got, want := teamMemberLogins(t, s, o.ID, team.ID), []string{"bob"}; !slices.Equal(got, want) {
		t.Fatalf("team members after deleting alice=%q, want %q", got, want)
	}
	if got := userPermissions(t, s, o.ID, alice.ID); len(got) != 0 {
		t.Fatalf("grants held by a deleted user remain: %+v", got)
	}
	if got, want := holders(resourcePermissions(t, s, o.ID, sa.ID)), []int64{bob.ID}; !slices.Equal(got, want) {
		t.Fatalf("holders on sa after deleting alice=%v, want %v", got, want)
	}
	wantIDs := []int64{sa.ID, bob.ID}
	slices.Sort(wantIDs)
	if got := holders(resourcePermissions(t, s, o.ID, sa2.ID)); !slices.Equal(got, wantIDs) {
		t.Fatalf("holders on sa2 after deleting alice=%v, want %v", got, wantIDs)
	}

	// Deleting a service account also removes the grants on it.
	update(t, s, func(tx warden.Tx) error { return tx.DeleteUser(ctx, sa.ID) })
	if userExists(t, s, sa.ID) {
		t.Fatal("service account found after DeleteUser")
	}
	if got := resourcePermissions(t, s, o.ID, sa.ID); len(got) != 0 {
		t.Fatalf("grants on a deleted service account remain: %+v", got)
	}
	if got, want := holders(resourcePermissions(t, s, o.ID, sa2.ID)), []int64{bob.ID}; !slices.Equal(got, want) {
		t.Fatalf("holders on sa2 after deleting sa=%v, want %v", got, want)
	}
	if got, want := len(userPermissions(t, s, o.ID, bob.ID)), 1; got != want {
		t.Fatalf("len(bob's grants)=%d, want %d", got, want)
	}

	// Nothing of bob's is touched.
	if !isMember(t, s, o.ID, bob.ID) || !isMember(t, s, o.ID, sa2.ID) {
		t.Fatal("DeleteUser removed another user's membership")
	}
	if !sessionExists(t, s, "hash-bob") {
		t.Fatal("DeleteUser removed another user's session")
	}
}

func testUserDeleteFreesLogin(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	update(t, s, func(tx warden.Tx) error { return tx.DeleteUser(ctx, u.ID) })
	again := mustCreateUser(t, s, "alice")
	if again.ID == u.ID {
		t.Fatalf("re-created user got the deleted user's ID %d", u.ID)
	}
	wantUsers(t, s, warden.UserFilter{}, []string{"alice"}, 1)
}

func testUserCountServerAdmins(t *testing.T, s warden.Store) {
	ctx := t.Context()
	count := func() int {
		t.Helper()
		return get(t, s, func(tx warden.Tx) (int, error) { return tx.CountServerAdmins(ctx) })
	}
	if got, want := count(), 0; got != want {
		t.Fatalf("CountServerAdmins on an empty store=%d, want %d", got, want)
	}
	o := mustCreateOrg(t, s, "Acme")
	admin := mustCreateUser(t, s, "admin", func(u *warden.User) { u.IsAdmin = true })
	mustCreateUser(t, s, "admin2", func(u *warden.User) { u.IsAdmin = true })
	mustCreateUser(t, s, "disabled", func(u *warden.User) { u.IsAdmin = true; u.IsDisabled = true })
	mustCreateUser(t, s, "plain")
	mustCreateUser(t, s, "sa-admin", func(u *warden.User) {
		u.Email = "sa-admin"
		u.IsAdmin = true
		u.IsServiceAccount = true
		u.OrgID = o.ID
	})
	if got, want := count(), 2; got != want {
		t.Fatalf("CountServerAdmins=%d, want %d", got, want)
	}
	upd := *admin
	upd.IsDisabled = true
	update(t, s, func(tx warden.Tx) error { return tx.UpdateUser(ctx, &upd) })
	if got, want := count(), 1; got != want {
		t.Fatalf("CountServerAdmins after disabling one=%d, want %d", got, want)
	}
}

// ---- FindUsers ----

func testFindUsersQuery(t *testing.T, s warden.Store) {
	mustCreateUser(t, s, "alice", func(u *warden.User) { u.Name = "Alice Liddell" })
	mustCreateUser(t, s, "bob", func(u *warden.User) { u.Email = "robert@corp.test"; u.Name = "Robert" })
	mustCreateUser(t, s, "carol", func(u *warden.User) { u.Email = "carol@corp.test"; u.Name = "Carol Danvers" })
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"alice", "bob", "carol"}},
		{"ali", []string{"alice"}},   // login
		{"ALI", []string{"alice"}},   // login, other case
		{"LIDD", []string{"alice"}},  // name, other case
		{"ddel", []string{"alice"}},  // substring of the name
		{"ROBERT@", []string{"bob"}}, // email
		{"CORP.TEST", []string{"bob", "carol"}},
		{"example.com", []string{"alice"}},
		{"r", []string{"bob", "carol"}}, // login, email or name
		{"zed", []string{}},
	} {
		f := warden.UserFilter{Query: c.query}
		wantUsers(t, s, f, c.want, len(c.want))
	}
}

func testFindUsersQueryLiteralWildcards(t *testing.T, s warden.Store) {
	mustCreateUser(t, s, "pct", func(u *warden.User) { u.Name = "100% sure" })
	mustCreateUser(t, s, "nopct", func(u *warden.User) { u.Name = "1000 sure" })
	mustCreateUser(t, s, "under_score", func(u *warden.User) { u.Email = "us@example.com" })
	mustCreateUser(t, s, "underxscore", func(u *warden.User) { u.Email = "ux@example.com" })
	mustCreateUser(t, s, "back", func(u *warden.User) { u.Name = `back\slash` })
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"%", []string{"pct"}},
		{"0%", []string{"pct"}},
		{"100%", []string{"pct"}},
		{"_", []string{"under_score"}},
		{"r_s", []string{"under_score"}},
		{`\`, []string{"back"}},
		{`k\s`, []string{"back"}},
		{"%%", []string{}},
	} {
		wantUsers(t, s, warden.UserFilter{Query: c.query}, c.want, len(c.want))
	}
}

func testFindUsersServiceAccounts(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	mustCreateUser(t, s, "alice")
	mustCreateUser(t, s, "bob")
	mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustCreateServiceAccount(t, s, o.ID, "sa-alice")
	wantUsers(t, s, warden.UserFilter{}, []string{"alice", "bob"}, 2)
	wantUsers(t, s, warden.UserFilter{ServiceAccounts: true}, []string{"sa-alice", "sa-ci"}, 2)
	wantUsers(t, s, warden.UserFilter{Query: "alice"}, []string{"alice"}, 1)
	wantUsers(t, s, warden.UserFilter{Query: "alice", ServiceAccounts: true}, []string{"sa-alice"}, 1)
}

func testFindUsersOrgID(t *testing.T, s warden.Store) {
	one := mustCreateOrg(t, s, "One")
	two := mustCreateOrg(t, s, "Two")
	alice := mustCreateUser(t, s, "alice", func(u *warden.User) { u.OrgID = one.ID })
	bob := mustCreateUser(t, s, "bob", func(u *warden.User) { u.OrgID = two.ID })
	// carol's current org is one, but she is a member of two only: membership decides.
	carol := mustCreateUser(t, s, "carol", func(u *warden.User) { u.OrgID = one.ID })
	mustCreateUser(t, s, "dave") // no org
	sa := mustCreateServiceAccount(t, s, one.ID, "sa-one")
	mustAddOrgUser(t, s, one.ID, alice.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, two.ID, alice.ID, warden.RoleAdmin)
	mustAddOrgUser(t, s, two.ID, bob.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, two.ID, carol.ID, warden.RoleViewer)
	mustAddOrgUser(t, s, one.ID, sa.ID, warden.RoleViewer)

	wantUsers(t, s, warden.UserFilter{OrgID: one.ID}, []string{"alice"}, 1)
	wantUsers(t, s, warden.UserFilter{OrgID: two.ID}, []string{"alice", "bob", "carol"}, 3)
	wantUsers(t, s, warden.UserFilter{OrgID: one.ID, ServiceAccounts: true}, []string{"sa-one"}, 1)
	wantUsers(t, s, warden.UserFilter{OrgID: two.ID, ServiceAccounts: true}, []string{}, 0)
	wantUsers(t, s, warden.UserFilter{OrgID: two.ID, Query: "b"}, []string{"bob"}, 1)
	wantUsers(t, s, warden.UserFilter{OrgID: two.ID + 1000}, []string{}, 0)
}

func testFindUsersIDs(t *testing.T, s warden.Store) {
	alice := mustCreateUser(t, s, "alice")
	mustCreateUser(t, s, "bob")
	carol := mustCreateUser(t, s, "carol")
	wantUsers(t, s, warden.UserFilter{IDs: nil}, []string{"alice", "bob", "carol"}, 3)
	wantUsers(t, s, warden.UserFilter{IDs: []int64{}}, []string{}, 0)
	wantUsers(t, s, warden.UserFilter{IDs: []int64{carol.ID, alice.ID}}, []string{"alice", "carol"}, 2)
	wantUsers(t, s, warden.UserFilter{IDs: []int64{carol.ID + 1000}}, []string{}, 0)
	wantUsers(t, s, warden.UserFilter{IDs: []int64{alice.ID, carol.ID}, Query: "car"}, []string{"carol"}, 1)
}

func testFindUsersDisabled(t *testing.T, s warden.Store) {
	mustCreateUser(t, s, "alice")
	mustCreateUser(t, s, "bob", func(u *warden.User) { u.IsDisabled = true })
	mustCreateUser(t, s, "carol", func(u *warden.User) { u.IsDisabled = true })
	wantUsers(t, s, warden.UserFilter{}, []string{"alice", "bob", "carol"}, 3)
	wantUsers(t, s, warden.UserFilter{Disabled: true}, []string{"bob", "carol"}, 2)
}

func testFindUsersPageAndOrder(t *testing.T, s warden.Store) {
	// Created out of order, so ordering by id would differ from ordering by login.
	for _, login := range []string{"dave", "alice", "eve", "carol", "bob"} {
		mustCreateUser(t, s, login)
	}
	all := []string{"alice", "bob", "carol", "dave", "eve"}
	for _, c := range []struct {
		offset, limit int
		want          []string
	}{
		{0, 0, all},
		{0, 2, []string{"alice", "bob"}},
		{2, 2, []string{"carol", "dave"}},
		{4, 2, []string{"eve"}},
		{5, 2, []string{}},
		{10, 2, []string{}},
		{0, 100, all},
	} {
		wantUsers(t, s, warden.UserFilter{Offset: c.offset, Limit: c.limit}, c.want, len(all))
	}
	wantUsers(t, s, warden.UserFilter{Query: "ve"}, []string{"dave", "eve"}, 2)
	wantUsers(t, s, warden.UserFilter{Query: "ve", Offset: 1, Limit: 1}, []string{"eve"}, 2)
}

func testFindUsersSort(t *testing.T, s warden.Store) {
	for _, c := range []struct {
		login, name string
		seen        time.Duration // before t0
	}{
		{"bob", "Zed", time.Hour},
		{"alice", "Yves", 3 * time.Hour},
		{"carol", "Xena", 2 * time.Hour},
	} {
		mustCreateUser(t, s, c.login, func(u *warden.User) { u.Name, u.LastSeenAt = c.name, t0.Add(-c.seen) })
	}
	for _, c := range []struct {
		sort string
		want []string
	}{
		{"", []string{"alice", "bob", "carol"}},
		{"login-asc", []string{"alice", "bob", "carol"}},
		{"login-desc", []string{"carol", "bob", "alice"}},
		{"email-desc", []string{"carol", "bob", "alice"}},
		{"name-asc", []string{"carol", "alice", "bob"}},
		{"name-desc", []string{"bob", "alice", "carol"}},
		{"lastSeenAtAge-asc", []string{"bob", "carol", "alice"}},  // most recently seen first
		{"lastSeenAtAge-desc", []string{"alice", "carol", "bob"}}, // longest unseen first
		{"bogus", []string{"alice", "bob", "carol"}},              // unknown: the default
	} {
		wantUsers(t, s, warden.UserFilter{Sort: c.sort}, c.want, 3)
	}
	wantUsers(t, s, warden.UserFilter{Sort: "login-desc", Offset: 1, Limit: 1}, []string{"bob"}, 3)
}

// ---- org membership ----

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
		var ms []*warden.OrgUser
		var total int
		err := s.View(ctx, func(tx warden.Tx) error {
			var err error
			ms, total, err = tx.FindOrgUsers(ctx, f)
			return err
		})
		if err != nil {
			t.Fatalf("FindOrgUsers(%+v): %v", f, err)
		}
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
	var ms []*warden.OrgUser
	err := s.View(ctx, func(tx warden.Tx) error {
		var err error
		ms, _, err = tx.FindOrgUsers(ctx, warden.OrgUserFilter{OrgID: o.ID, Query: "alice"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
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

// ---- sessions ----

func testSessionCreateFindTouchDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	sess := &warden.Session{UserID: u.ID, TokenHash: "hash-1", ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0",
		Created: t0, SeenAt: t0.Add(time.Minute)}
	update(t, s, func(tx warden.Tx) error { return tx.CreateSession(ctx, sess) })
	if sess.ID == 0 {
		t.Fatal("CreateSession left ID 0")
	}
	want := *sess
	got := get(t, s, func(tx warden.Tx) (*warden.Session, error) { return tx.FindSessionByHash(ctx, "hash-1") })
	wantEqual(t, "FindSessionByHash", *got, want)

	update(t, s, func(tx warden.Tx) error { return tx.TouchSession(ctx, sess.ID, t0.Add(time.Hour)) })
	want.SeenAt = t0.Add(time.Hour)
	got = get(t, s, func(tx warden.Tx) (*warden.Session, error) { return tx.FindSessionByHash(ctx, "hash-1") })
	wantEqual(t, "FindSessionByHash after TouchSession", *got, want)

	other := mustCreateSession(t, s, u.ID, "hash-2", t0, t0)
	update(t, s, func(tx warden.Tx) error { return tx.DeleteSession(ctx, sess.ID) })
	if sessionExists(t, s, "hash-1") {
		t.Fatal("session found after DeleteSession")
	}
	if !sessionExists(t, s, other.TokenHash) {
		t.Fatal("DeleteSession removed another session")
	}
}

func testSessionNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	sess := mustCreateSession(t, s, u.ID, "hash-1", t0, t0)
	missing := sess.ID + 1000
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindSessionByHash(ctx, "hash-2"); return err })
	wantCode(t, "FindSessionByHash", err, warden.ENOTFOUND)
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.TouchSession(ctx, missing, t0) })
	wantCode(t, "TouchSession", err, warden.ENOTFOUND)
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteSession(ctx, missing) })
	wantCode(t, "DeleteSession", err, warden.ENOTFOUND)
	if !sessionExists(t, s, "hash-1") {
		t.Fatal("existing session gone after not-found operations")
	}
}

func testSessionConflictTokenHash(t *testing.T, s warden.Store) {
	ctx := t.Context()
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	mustCreateSession(t, s, alice.ID, "hash-1", t0, t0)
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.CreateSession(ctx, &warden.Session{UserID: bob.ID, TokenHash: "hash-1", Created: t0, SeenAt: t0})
	})
	wantCode(t, "CreateSession with a taken hash", err, warden.ECONFLICT)
	got := get(t, s, func(tx warden.Tx) (*warden.Session, error) { return tx.FindSessionByHash(ctx, "hash-1") })
	if got, want := got.UserID, alice.ID; got != want {
		t.Fatalf("UserID of the session=%d, want %d", got, want)
	}
}

func testSessionDeleteUserSessions(t *testing.T, s warden.Store) {
	ctx := t.Context()
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	mustCreateSession(t, s, alice.ID, "a1", t0, t0)
	mustCreateSession(t, s, alice.ID, "a2", t0, t0)
	mustCreateSession(t, s, bob.ID, "b1", t0, t0)
	update(t, s, func(tx warden.Tx) error { return tx.DeleteUserSessions(ctx, alice.ID) })
	if sessionExists(t, s, "a1") || sessionExists(t, s, "a2") {
		t.Fatal("a session of alice remains after DeleteUserSessions")
	}
	if !sessionExists(t, s, "b1") {
		t.Fatal("DeleteUserSessions removed another user's session")
	}
	// A user without sessions is no error.
	update(t, s, func(tx warden.Tx) error { return tx.DeleteUserSessions(ctx, alice.ID) })
}

func testSessionDeleteExpiredSessions(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	createdBefore := t0.Add(-30 * 24 * time.Hour)
	seenBefore := t0.Add(-7 * 24 * time.Hour)
	for _, c := range []struct {
		hash          string
		created, seen time.Time
	}{
		{"fresh", t0.Add(-24 * time.Hour), t0.Add(-time.Hour)},
		{"too-old", createdBefore.Add(-time.Second), t0.Add(-time.Hour)},
		{"idle", t0.Add(-10 * 24 * time.Hour), seenBefore.Add(-time.Second)},
		{"old-and-idle", createdBefore.Add(-time.Hour), seenBefore.Add(-time.Hour)},
		{"created-at-limit", createdBefore, t0},
		{"seen-at-limit", t0.Add(-8 * 24 * time.Hour), seenBefore},
	} {
		mustCreateSession(t, s, u.ID, c.hash, c.created, c.seen)
	}
	var n int64
	update(t, s, func(tx warden.Tx) error {
		var err error
		n, err = tx.DeleteExpiredSessions(ctx, createdBefore, seenBefore)
		return err
	})
	if got, want := n, int64(3); got != want {
		t.Fatalf("DeleteExpiredSessions=%d, want %d", got, want)
	}
	for _, hash := range []string{"fresh", "created-at-limit", "seen-at-limit"} {
		if !sessionExists(t, s, hash) {
			t.Errorf("session %q deleted, want kept", hash)
		}
	}
	for _, hash := range []string{"too-old", "idle", "old-and-idle"} {
		if sessionExists(t, s, hash) {
			t.Errorf("session %q kept, want deleted", hash)
		}
	}
	update(t, s, func(tx warden.Tx) error {
		var err error
		n, err = tx.DeleteExpiredSessions(ctx, createdBefore, seenBefore)
		return err
	})
	if got, want := n, int64(0); got != want {
		t.Fatalf("second DeleteExpiredSessions=%d, want %d", got, want)
	}
}

// ---- login attempts ----

func createLoginAttempts(t *testing.T, s warden.Store, attempts ...attempt) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		for _, a := range attempts {
			if err := tx.CreateLoginAttempt(ctx, a.user, a.ip, a.at); err != nil {
				return err
			}
		}
		return nil
	})
}

// attempt is one failed sign-in.
type attempt struct {
	user, ip string
	at       time.Time
}

func countAttempts(t *testing.T, s warden.Store, user string, since time.Time) int {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) (int, error) { return tx.CountLoginAttempts(ctx, user, since) })
}

func countAttemptsByIP(t *testing.T, s warden.Store, ip string, since time.Time) int {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) (int, error) { return tx.CountLoginAttemptsByIP(ctx, ip, since) })
}

func testLoginAttemptCount(t *testing.T, s warden.Store) {
	createLoginAttempts(t, s,
		attempt{"Alice", "10.0.0.1", t0.Add(-10 * time.Minute)},
		attempt{"alice", "10.0.0.2", t0.Add(-5 * time.Minute)},
		attempt{"ALICE", "10.0.0.1", t0.Add(-2 * time.Hour)},
		attempt{"bob", "10.0.0.1", t0.Add(-time.Minute)},
	)
	for _, c := range []struct {
		user  string
		since time.Time
		want  int
	}{
		{"alice", t0.Add(-time.Hour), 2},
		{"aLiCe", t0.Add(-time.Hour), 2},
		{"ALICE", t0.Add(-3 * time.Hour), 3},
		{"alice", t0.Add(-5 * time.Minute), 1}, // since is inclusive
		{"alice", t0, 0},
		{"bob", t0.Add(-time.Hour), 1},
		{"carol", t0.Add(-time.Hour), 0},
	} {
		if got := countAttempts(t, s, c.user, c.since); got != c.want {
			t.Errorf("CountLoginAttempts(%q, %v)=%d, want %d", c.user, c.since, got, c.want)
		}
	}
	for _, c := range []struct {
		ip    string
		since time.Time
		want  int
	}{
		{"10.0.0.1", t0.Add(-time.Hour), 2},
		{"10.0.0.1", t0.Add(-3 * time.Hour), 3},
		{"10.0.0.1", t0.Add(-10 * time.Minute), 2}, // since is inclusive
		{"10.0.0.2", t0.Add(-time.Hour), 1},
		{"10.0.0.3", t0.Add(-time.Hour), 0},
	} {
		if got := countAttemptsByIP(t, s, c.ip, c.since); got != c.want {
			t.Errorf("CountLoginAttemptsByIP(%q, %v)=%d, want %d", c.ip, c.since, got, c.want)
		}
	}
}

func testLoginAttemptDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	createLoginAttempts(t, s,
		attempt{"alice", "10.0.0.1", t0.Add(-10 * time.Minute)},
		attempt{"Alice", "10.0.0.2", t0.Add(-5 * time.Minute)},
		attempt{"bob", "10.0.0.1", t0.Add(-time.Minute)},
	)
	update(t, s, func(tx warden.Tx) error { return tx.DeleteLoginAttempts(ctx, "ALICE") })
	since := t0.Add(-time.Hour)
	if got, want := countAttempts(t, s, "alice", since), 0; got != want {
		t.Fatalf("CountLoginAttempts(alice) after DeleteLoginAttempts=%d, want %d", got, want)
	}
	if got, want := countAttempts(t, s, "bob", since), 1; got != want {
		t.Fatalf("CountLoginAttempts(bob)=%d, want %d", got, want)
	}
	if got, want := countAttemptsByIP(t, s, "10.0.0.1", since), 1; got != want {
		t.Fatalf("CountLoginAttemptsByIP=%d, want %d", got, want)
	}
}

func testLoginAttemptDeleteBefore(t *testing.T, s warden.Store) {
	ctx := t.Context()
	createLoginAttempts(t, s,
		attempt{"alice", "10.0.0.1", t0.Add(-2 * time.Hour)},
		attempt{"alice", "10.0.0.1", t0.Add(-time.Hour)},
		attempt{"alice", "10.0.0.1", t0},
	)
	update(t, s, func(tx warden.Tx) error { return tx.DeleteLoginAttemptsBefore(ctx, t0.Add(-time.Hour)) })
	since := t0.Add(-24 * time.Hour)
	if got, want := countAttempts(t, s, "alice", since), 2; got != want {
		t.Fatalf("CountLoginAttempts after DeleteLoginAttemptsBefore=%d, want %d", got, want)
	}
	if got, want := countAttemptsByIP(t, s, "10.0.0.1", since), 2; got != want {
		t.Fatalf("CountLoginAttemptsByIP after DeleteLoginAttemptsBefore=%d, want %d", got, want)
	}
}

// ---- managed permissions ----

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

// ---- audit ----

func testAuditCreateFind(t *testing.T, s warden.Store) {
	ctx := t.Context()
	entries := []*warden.AuditEntry{
		{Created: t0, ActorKind: "user", ActorID: 7, OrgID: 1, ClientIP: "192.0.2.1", Action: "user.create",
			TargetType: "user", TargetID: "8", Outcome: "success", Detail: "login=bob"},
		{Created: t0.Add(time.Second), ActorKind: "service_account", ActorID: 9, TokenID: 12, OrgID: 2,
			ClientIP: "2001:db8::1", Action: "org.update", TargetType: "org", TargetID: "2", Outcome: "failure",
			Detail: "name taken"},
		{Created: t0.Add(time.Second), ActorKind: "anonymous", Action: "login", Outcome: "failure"},
	}
	update(t, s, func(tx warden.Tx) error {
		for _, e := range entries {
			if err := tx.CreateAuditEntry(ctx, e); err != nil {
				return err
			}
			if e.ID == 0 {
				return errors.New("CreateAuditEntry left ID 0")
			}
		}
		return nil
	})
	got := get(t, s, func(tx warden.Tx) ([]*warden.AuditEntry, error) {
		return findAudit(ctx, tx, warden.AuditFilter{Limit: 10})
	})
	if len(got) != 3 {
		t.Fatalf("len(FindAuditEntries(10))=%d, want 3", len(got))
	}
	for i, want := range []*warden.AuditEntry{entries[2], entries[1], entries[0]} {
		wantEqual(t, fmt.Sprintf("FindAuditEntries[%d]", i), *got[i], *want)
	}
	got = get(t, s, func(tx warden.Tx) ([]*warden.AuditEntry, error) {
		return findAudit(ctx, tx, warden.AuditFilter{Limit: 2})
	})
	if len(got) != 2 {
		t.Fatalf("len(FindAuditEntries(2))=%d, want 2", len(got))
	}
	if got[0].ID != entries[2].ID || got[1].ID != entries[1].ID {
		t.Fatalf("FindAuditEntries(2) IDs=%d,%d, want %d,%d", got[0].ID, got[1].ID, entries[2].ID, entries[1].ID)
	}
}

func testAuditFilter(t *testing.T, s warden.Store) {
	ctx := t.Context()
	entries := []*warden.AuditEntry{
		{Created: t0, ActorKind: "user", ActorID: 7, ActorLogin: "alice", OrgID: 1, Action: "token.create",
			TargetType: "token", TargetID: "1", Outcome: "success"},
		{Created: t0.Add(time.Minute), ActorKind: "service_account", ActorID: 9, ActorLogin: "sa-1-ci", TokenID: 12,
			OrgID: 2, Action: "token.delete", TargetType: "token", TargetID: "1", Outcome: "success"},
		{Created: t0.Add(2 * time.Minute), ActorKind: "user", ActorID: 7, ActorLogin: "alice", OrgID: 1,
			Action: "team.create", TargetType: "team", TargetID: "3", Outcome: "denied"},
		{Created: t0.Add(3 * time.Minute), ActorKind: "anonymous", Action: "login", TargetType: "user",
			Outcome: "failure", Detail: "unknown user bob…"},
		{Created: t0.Add(4 * time.Minute), ActorKind: "user", ActorID: 8, ActorLogin: "to%_ken", Action: "tokenXcreate",
			Outcome: "success"},
	}
	update(t, s, func(tx warden.Tx) error {
		for _, e := range entries {
			if err := tx.CreateAuditEntry(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tt := range []struct {
		name string
		f    warden.AuditFilter
		want []int // indexes into entries, newest first
	}{
		{"all", warden.AuditFilter{}, []int{4, 3, 2, 1, 0}},
		{"from inclusive", warden.AuditFilter{From: t0.Add(time.Minute)}, []int{4, 3, 2, 1}},
		{"to exclusive", warden.AuditFilter{To: t0.Add(2 * time.Minute)}, []int{1, 0}},
		{"range", warden.AuditFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []int{2, 1}},
		{"actor kind and id", warden.AuditFilter{ActorKind: "user", ActorID: 7}, []int{2, 0}},
		{"actor login", warden.AuditFilter{ActorLogin: "sa-1-ci"}, []int{1}},
		{"token", warden.AuditFilter{TokenID: 12}, []int{1}},
		{"org", warden.AuditFilter{OrgID: 1}, []int{2, 0}},
		{"action exact", warden.AuditFilter{Action: "token.create"}, []int{0}},
		{"action prefix", warden.AuditFilter{Action: "token.*"}, []int{1, 0}},
		{"prefix is literal", warden.AuditFilter{Action: "token_*"}, nil},
		{"target", warden.AuditFilter{TargetType: "token", TargetID: "1"}, []int{1, 0}},
		{"outcome", warden.AuditFilter{Outcome: "denied"}, []int{2}},
		{"nothing", warden.AuditFilter{ActorLogin: "nobody"}, nil},
		{"page", warden.AuditFilter{Offset: 1, Limit: 2}, []int{3, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []*warden.AuditEntry
			var total int
			if err := s.View(ctx, func(tx warden.Tx) error {
				var err error
				got, total, err = tx.FindAuditEntries(ctx, tt.f)
				return err
			}); err != nil {
				t.Fatalf("FindAuditEntries: %v", err)
			}
			var ids, want []int64
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			for _, i := range tt.want {
				want = append(want, entries[i].ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Fatalf("FindAuditEntries(%+v) IDs=%v, want %v", tt.f, ids, want)
			}
			wantTotal := len(tt.want)
			if tt.f.Limit > 0 {
				wantTotal = len(entries)
			}
			if total != wantTotal {
				t.Fatalf("total=%d, want %d", total, wantTotal)
			}
		})
	}
}

func testAuditDeleteBefore(t *testing.T, s warden.Store) {
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		for i := range 7 {
			e := &warden.AuditEntry{Created: t0.Add(time.Duration(i) * time.Hour), ActorKind: "system",
				Action: "x", Outcome: "success", Detail: fmt.Sprint(i)}
			if err := tx.CreateAuditEntry(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	deleteBefore := func(limit int) int {
		var n int
		update(t, s, func(tx warden.Tx) error {
			var err error
			n, err = tx.DeleteAuditEntriesBefore(ctx, t0.Add(5*time.Hour), limit)
			return err
		})
		return n
	}
	// Entries 0–4 are older than the cutoff; they go oldest first, at most limit at a time.
	if n := deleteBefore(3); n != 3 {
		t.Fatalf("first DeleteAuditEntriesBefore(limit 3)=%d, want 3", n)
	}
	if n := deleteBefore(3); n != 2 {
		t.Fatalf("second DeleteAuditEntriesBefore(limit 3)=%d, want 2", n)
	}
	if n := deleteBefore(3); n != 0 {
		t.Fatalf("third DeleteAuditEntriesBefore(limit 3)=%d, want 0", n)
	}
	got := get(t, s, func(tx warden.Tx) ([]*warden.AuditEntry, error) { return findAudit(ctx, tx, warden.AuditFilter{}) })
	var details []string
	for _, e := range got {
		details = append(details, e.Detail)
	}
	if fmt.Sprint(details) != "[6 5]" {
		t.Fatalf("entries left=%v, want [6 5]", details)
	}
}

func findAudit(ctx context.Context, tx warden.Tx, f warden.AuditFilter) ([]*warden.AuditEntry, error) {
	list, _, err := tx.FindAuditEntries(ctx, f)
	return list, err
}

// ---- transactions ----

func testTxRollbackOnError(t *testing.T, s warden.Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	var userID int64
	err := s.Update(ctx, func(tx warden.Tx) error {
		o := &warden.Org{Name: "Acme", Created: t0, Updated: t0}
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		u := &warden.User{UID: "u1", Login: "alice", Email: "alice@example.com", OrgID: o.ID, Created: t0, Updated: t0}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		userID = u.ID
		if err := tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: o.ID, UserID: u.ID, Role: warden.RoleAdmin, Created: t0, Updated: t0}); err != nil {
			return err
		}
		if err := tx.CreateAuditEntry(ctx, &warden.AuditEntry{Created: t0, ActorKind: "system", Action: "org.create", Outcome: "success"}); err != nil {
			return err
		}
		// The writes are visible inside the transaction.
		if _, err := tx.FindOrgByName(ctx, "Acme"); err != nil {
			return fmt.Errorf("own write not visible: %w", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update=%v, want the callback's error", err)
	}
	if orgExists(t, s, "Acme") {
		t.Fatal("org of a rolled-back Update remains")
	}
	if userID != 0 && userExists(t, s, userID) {
		t.Fatal("user of a rolled-back Update remains")
	}
	wantUsers(t, s, warden.UserFilter{}, []string{}, 0)
	if got := get(t, s, func(tx warden.Tx) ([]*warden.AuditEntry, error) {
		return findAudit(ctx, tx, warden.AuditFilter{Limit: 10})
	}); len(got) != 0 {
		t.Fatalf("audit entries of a rolled-back Update remain: %+v", got)
	}
	// The store is still usable.
	mustCreateOrg(t, s, "Acme")
}

func testTxRollbackOnTxError(t *testing.T, s warden.Store) {
	ctx := t.Context()
	mustCreateOrg(t, s, "Taken")
	err := s.Update(ctx, func(tx warden.Tx) error {
		if err := tx.CreateOrg(ctx, &warden.Org{Name: "First", Created: t0, Updated: t0}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, &warden.User{UID: "u1", Login: "alice", Email: "alice@example.com", Created: t0, Updated: t0}); err != nil {
			return err
		}
		return tx.CreateOrg(ctx, &warden.Org{Name: "Taken", Created: t0, Updated: t0})
	})
	wantCode(t, "Update with a conflicting write", err, warden.ECONFLICT)
	if orgExists(t, s, "First") {
		t.Fatal("earlier write of a failed Update remains")
	}
	wantUsers(t, s, warden.UserFilter{}, []string{}, 0)
	orgs := get(t, s, func(tx warden.Tx) ([]*warden.Org, error) { return tx.FindOrgs(ctx, warden.OrgFilter{}) })
	if got, want := orgNames(orgs), []string{"Taken"}; !slices.Equal(got, want) {
		t.Fatalf("FindOrgs=%q, want %q", got, want)
	}
}

func testTxViewIsReadOnly(t *testing.T, s warden.Store) {
	ctx := t.Context()
	err := s.View(ctx, func(tx warden.Tx) error {
		return tx.CreateOrg(ctx, &warden.Org{Name: "Acme", Created: t0, Updated: t0})
	})
	if err == nil {
		t.Fatal("CreateOrg inside View: no error")
	}
	if orgExists(t, s, "Acme") {
		t.Fatal("a write inside View was kept")
	}
}

// race runs fn(0) and fn(1) in two Updates that start together, and returns their errors.
func race(t *testing.T, s warden.Store, fn func(i int) func(tx warden.Tx) error) [2]error {
	t.Helper()
	ctx := t.Context()
	var errs [2]error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(ctx, fn(i))
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// wantOneWinner checks that exactly one of errs is nil and the other is ECONFLICT.
func wantOneWinner(t *testing.T, what string, errs [2]error) {
	t.Helper()
	ok := 0
	for _, err := range errs {
		switch warden.ErrorCode(err) {
		case "":
			ok++
		case warden.ECONFLICT:
		default:
			t.Fatalf("%s: error %v, want nil or ECONFLICT", what, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%s: %d succeeded (errors %v, %v), want exactly 1", what, ok, errs[0], errs[1])
	}
}

func testConcurrentCreateOrgSameName(t *testing.T, s warden.Store) {
	ctx := t.Context()
	const rounds = 10
	for r := range rounds {
		name := fmt.Sprintf("Org %d", r)
		errs := race(t, s, func(int) func(tx warden.Tx) error {
			return func(tx warden.Tx) error {
				return tx.CreateOrg(ctx, &warden.Org{Name: name, Created: t0, Updated: t0})
			}
		})
		wantOneWinner(t, "CreateOrg "+name, errs)
	}
	orgs := get(t, s, func(tx warden.Tx) ([]*warden.Org, error) { return tx.FindOrgs(ctx, warden.OrgFilter{}) })
	if got, want := len(orgs), rounds; got != want {
		t.Fatalf("len(FindOrgs)=%d, want %d", got, want)
	}
}

func testConcurrentCreateUserSameLogin(t *testing.T, s warden.Store) {
	ctx := t.Context()
	const rounds = 10
	for r := range rounds {
		login := fmt.Sprintf("user%d", r)
		errs := race(t, s, func(i int) func(tx warden.Tx) error {
			return func(tx warden.Tx) error {
				// Only the login is shared: uid and email differ.
				return tx.CreateUser(ctx, &warden.User{UID: fmt.Sprintf("%s-%d", login, i), Login: login,
					Email: fmt.Sprintf("%s-%d@example.com", login, i), Created: t0, Updated: t0})
			}
		})
		wantOneWinner(t, "CreateUser "+login, errs)
	}
	_, total := findUsers(t, s, warden.UserFilter{})
	if got, want := total, rounds; got != want {
		t.Fatalf("FindUsers total=%d, want %d", got, want)
	}
}

// testConcurrentFindThenCreateUser races two transactions that each look a login up before
// creating it, as the service does: the writes are serialised, so the loser either sees the
// winner's row or hits the unique index, and ends with ECONFLICT either way.
func testConcurrentFindThenCreateUser(t *testing.T, s warden.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "existing")
	const rounds = 10
	for r := range rounds {
		login := fmt.Sprintf("user%d", r)
		errs := race(t, s, func(i int) func(tx warden.Tx) error {
			return func(tx warden.Tx) error {
				_, err := tx.FindUserByLoginOrEmail(ctx, login)
				switch warden.ErrorCode(err) {
				case "":
					return warden.Errorf(warden.ECONFLICT, "login %s taken", login)
				case warden.ENOTFOUND:
				default:
					return err
				}
				return tx.CreateUser(ctx, &warden.User{UID: fmt.Sprintf("%s-%d", login, i), Login: login,
					Email: fmt.Sprintf("%s-%d@example.com", login, i), Created: t0, Updated: t0})
			}
		})
		wantOneWinner(t, "find-then-create "+login, errs)
	}
	_, total := findUsers(t, s, warden.UserFilter{})
	if got, want := total, rounds+1; got != want {
		t.Fatalf("FindUsers total=%d, want %d", got, want)
	}
}

// ---- times ----

func testTimesRoundTrip(t *testing.T, s warden.Store) {
	ctx := t.Context()
	// Sub-second and not in UTC: the store keeps whole seconds and returns UTC.
	in := time.Date(2024, time.May, 6, 7, 8, 9, 987654321, time.FixedZone("CEST", 2*60*60))
	want := time.Unix(in.Unix(), 0).UTC()
	check := func(what string, got time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Errorf("%s=%v, want %v", what, got, want)
		}
	}

	o := &warden.Org{Name: "Acme", Created: in, Updated: in}
	update(t, s, func(tx warden.Tx) error { return tx.CreateOrg(ctx, o) })
	og := get(t, s, func(tx warden.Tx) (*warden.Org, error) { return tx.FindOrgByID(ctx, o.ID) })
	check("Org.Created", og.Created)
	check("Org.Updated", og.Updated)

	u := mustCreateUser(t, s, "alice", func(u *warden.User) { u.Created, u.Updated, u.LastSeenAt = in, in, in })
	ug := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, u.ID) })
	check("User.Created", ug.Created)
	check("User.Updated", ug.Updated)
	check("User.LastSeenAt", ug.LastSeenAt)

	update(t, s, func(tx warden.Tx) error {
		return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: o.ID, UserID: u.ID, Role: warden.RoleViewer, Created: in, Updated: in})
	})
	m := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, u.ID) })
	check("OrgUser.Created", m.Created)
	check("OrgUser.Updated", m.Updated)
	check("OrgUser.LastSeenAt", m.LastSeenAt)

	sess := mustCreateSession(t, s, u.ID, "hash", in, in)
	sg := get(t, s, func(tx warden.Tx) (*warden.Session, error) { return tx.FindSessionByHash(ctx, sess.TokenHash) })
	check("Session.Created", sg.Created)
	check("Session.SeenAt", sg.SeenAt)

	sa := mustCreateUser(t, s, "sa-ci", func(u *warden.User) {
		u.Email, u.IsServiceAccount, u.OrgID, u.Created, u.Updated = "sa-ci", true, o.ID, in, in
	})
	update(t, s, func(tx warden.Tx) error {
		return tx.SetManagedPermission(ctx, &warden.ManagedPermission{OrgID: o.ID, Resource: warden.ResourceServiceAccounts,
			ResourceID: sa.ID, UserID: u.ID, Level: warden.LevelEdit, Created: in, Updated: in})
	})
	ps := resourcePermissions(t, s, o.ID, sa.ID)
	if len(ps) != 1 {
		t.Fatalf("len(FindResourcePermissions)=%d, want 1", len(ps))
	}
	check("ManagedPermission.Created", ps[0].Created)
	check("ManagedPermission.Updated", ps[0].Updated)

	update(t, s, func(tx warden.Tx) error {
		return tx.CreateAuditEntry(ctx, &warden.AuditEntry{Created: in, ActorKind: "system", Action: "x", Outcome: "success"})
	})
	es := get(t, s, func(tx warden.Tx) ([]*warden.AuditEntry, error) {
		return findAudit(ctx, tx, warden.AuditFilter{Limit: 1})
	})
	if len(es) != 1 {
		t.Fatalf("len(FindAuditEntries)=%d, want 1", len(es))
	}
	check("AuditEntry.Created", es[0].Created)

	team := &warden.Team{UID: "team-uid", OrgID: o.ID, Name: "ops", Created: in, Updated: in}
	update(t, s, func(tx warden.Tx) error { return tx.CreateTeam(ctx, team) })
	tg := get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, team.ID) })
	check("Team.Created", tg.Created)
	check("Team.Updated", tg.Updated)

	tk := &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "t", Hash: "token-hash",
		Created: in, Updated: in, Expires: in, LastUsedAt: in}
	update(t, s, func(tx warden.Tx) error { return tx.CreateToken(ctx, tk) })
	tkg := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, "token-hash") })
	check("Token.Created", tkg.Created)
	check("Token.Updated", tkg.Updated)
	check("Token.Expires", tkg.Expires)
	check("Token.LastUsedAt", tkg.LastUsedAt)
	sag := get(t, s, func(tx warden.Tx) (*warden.ServiceAccount, error) { return tx.FindServiceAccount(ctx, o.ID, sa.ID) })
	check("ServiceAccount.Created", sag.Created)

	// A zero LastSeenAt (never seen) stays zero, on the user and on its membership rows.
	never := mustCreateUser(t, s, "never")
	ng := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, never.ID) })
	if !ng.LastSeenAt.IsZero() {
		t.Errorf("User.LastSeenAt=%v, want zero", ng.LastSeenAt)
	}
	mustAddOrgUser(t, s, o.ID, never.ID, warden.RoleViewer)
	nm := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, never.ID) })
	if !nm.LastSeenAt.IsZero() {
		t.Errorf("OrgUser.LastSeenAt=%v, want zero", nm.LastSeenAt)
	}
}

// ---- teams ----

func mustCreateTeam(t *testing.T, s warden.Store, orgID int64, name string) *warden.Team {
	t.Helper()
	ctx := t.Context()
	tm := &warden.Team{UID: fmt.Sprintf("team-%d-%s", orgID, name), OrgID: orgID, Name: name,
		Email: "", Created: t0, Updated: t0}
	update(t, s, func(tx warden.Tx) error { return tx.CreateTeam(ctx, tm) })
	if tm.ID == 0 {
		t.Fatalf("CreateTeam(%q) left ID 0", name)
	}
	return tm
}

func mustAddTeamMember(t *testing.T, s warden.Store, orgID, teamID, userID int64, permission int) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		return tx.AddTeamMember(ctx, &warden.TeamMember{OrgID: orgID, TeamID: teamID, UserID: userID, Permission: permission})
	})
}

func teamMemberLogins(t *testing.T, s warden.Store, orgID, teamID int64) []string {
	t.Helper()
	ctx := t.Context()
	ms := get(t, s, func(tx warden.Tx) ([]*warden.TeamMember, error) { return tx.FindTeamMembers(ctx, orgID, teamID) })
	logins := []string{}
	for _, m := range ms {
		logins = append(logins, m.Login)
	}
	return logins
}

func userTeamIDs(t *testing.T, s warden.Store, orgID, userID int64) []int64 {
	t.Helper()
	ctx := t.Context()
	ms := get(t, s, func(tx warden.Tx) ([]*warden.TeamMember, error) { return tx.FindUserTeams(ctx, orgID, userID) })
	ids := []int64{}
	for _, m := range ms {
		ids = append(ids, m.TeamID)
	}
	return ids
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
	for _, c := range []struct {
		name  string
		write bool
		fn    func(tx warden.Tx) error
	}{
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
	} {
		run := s.View
		if c.write {
			run = s.Update
		}
		wantCode(t, c.name, run(ctx, c.fn), warden.ENOTFOUND)
	}
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
		var ts []*warden.Team
		var total int
		err := s.View(ctx, func(tx warden.Tx) error {
			var err error
			ts, total, err = tx.FindTeams(ctx, f)
			return err
		})
		if err != nil {
			t.Fatalf("FindTeams(%+v): %v", f, err)
		}
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
	var ts []*warden.Team
	err := s.View(ctx, func(tx warden.Tx) error {
		var err error
		ts, _, err = tx.FindTeams(ctx, warden.TeamFilter{OrgID: o.ID, Name: "alpha"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 {
		t.Fatalf("len(FindTeams(alpha))=%d, want 1", len(ts))
	}
	if got, want := ts[0].MemberCount, 2; got != want {
		t.Fatalf("MemberCount of alpha=%d, want %d", got, want)
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

// ---- service accounts ----

func testServiceAccountFind(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	human := mustCreateUser(t, s, "alice", func(u *warden.User) { u.OrgID = o.ID })
	mustAddOrgUser(t, s, o.ID, human.ID, warden.RoleAdmin)
	u := mustCreateUser(t, s, "sa-1-ci-bot", func(u *warden.User) {
		u.UID = "sa-uid"
		u.Email = "sa-1-ci-bot"
		u.Name = "CI Bot"
		u.IsServiceAccount = true
		u.IsDisabled = true
		u.OrgID = o.ID
		u.Updated = t0.Add(time.Minute)
	})
	mustAddOrgUser(t, s, o.ID, u.ID, warden.RoleEditor)
	mustCreateToken(t, s, o.ID, u.ID, "one", "hash-1", time.Time{})
	expired := mustCreateToken(t, s, o.ID, u.ID, "two", "hash-2", t0.Add(-time.Hour))
	update(t, s, func(tx warden.Tx) error { return tx.RevokeToken(ctx, expired.ID) })

	// Tokens counts expired and revoked tokens too.
	want := warden.ServiceAccount{ID: u.ID, UID: "sa-uid", OrgID: o.ID, Name: "CI Bot", Login: "sa-1-ci-bot",
		Role: warden.RoleEditor, IsDisabled: true, Created: t0, Updated: t0.Add(time.Minute), Tokens: 2}
	got := get(t, s, func(tx warden.Tx) (*warden.ServiceAccount, error) { return tx.FindServiceAccount(ctx, o.ID, u.ID) })
	wantEqual(t, "FindServiceAccount", *got, want)
	got = get(t, s, func(tx warden.Tx) (*warden.ServiceAccount, error) {
		return tx.FindServiceAccountByUID(ctx, o.ID, "sa-uid")
	})
	wantEqual(t, "FindServiceAccountByUID", *got, want)

	for _, c := range []struct {
		name string
		fn   func(tx warden.Tx) error
	}{
		{"FindServiceAccount(other org)", func(tx warden.Tx) error { _, err := tx.FindServiceAccount(ctx, other.ID, u.ID); return err }},
		{"FindServiceAccount(human)", func(tx warden.Tx) error { _, err := tx.FindServiceAccount(ctx, o.ID, human.ID); return err }},
		{"FindServiceAccount(missing)", func(tx warden.Tx) error { _, err := tx.FindServiceAccount(ctx, o.ID, u.ID+1000); return err }},
		{"FindServiceAccountByUID(other org)", func(tx warden.Tx) error {
			_, err := tx.FindServiceAccountByUID(ctx, other.ID, "sa-uid")
			return err
		}},
		{"FindServiceAccountByUID(human)", func(tx warden.Tx) error {
			_, err := tx.FindServiceAccountByUID(ctx, o.ID, human.UID)
			return err
		}},
	} {
		wantCode(t, c.name, s.View(ctx, c.fn), warden.ENOTFOUND)
	}
}

func testServiceAccountFindServiceAccounts(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	mk := func(orgID int64, login, name string, disabled bool) *warden.User {
		t.Helper()
		u := mustCreateUser(t, s, login, func(u *warden.User) {
			u.Email, u.Name, u.IsServiceAccount, u.IsDisabled, u.OrgID = login, name, true, disabled, orgID
		})
		mustAddOrgUser(t, s, orgID, u.ID, warden.RoleViewer)
		return u
	}
	// Created out of login order.
	c := mk(o.ID, "sa-c", "Gamma 100%", true)
	a := mk(o.ID, "sa-a", "Alpha Bot", false)
	b := mk(o.ID, "sa-b", "Beta", false)
	mk(other.ID, "sa-x", "Alpha Other", false)
	human := mustCreateUser(t, s, "alpha-human")
	mustAddOrgUser(t, s, o.ID, human.ID, warden.RoleAdmin)
	mustCreateToken(t, s, o.ID, a.ID, "expired", "h-a", t0.Add(-time.Hour))
	mustCreateToken(t, s, o.ID, b.ID, "valid", "h-b", t0.Add(time.Hour))
	mustCreateToken(t, s, o.ID, c.ID, "forever", "h-c", time.Time{})

	find := func(f warden.ServiceAccountFilter) ([]string, int) {
		t.Helper()
		var as []*warden.ServiceAccount
		var total int
		err := s.View(ctx, func(tx warden.Tx) error {
			var err error
			as, total, err = tx.FindServiceAccounts(ctx, f)
			return err
		})
		if err != nil {
			t.Fatalf("FindServiceAccounts(%+v): %v", f, err)
		}
		logins := []string{}
		for _, a := range as {
			logins = append(logins, a.Login)
		}
		return logins, total
	}
	for _, tc := range []struct {
		f         warden.ServiceAccountFilter
		want      []string
		wantTotal int
	}{
		{warden.ServiceAccountFilter{OrgID: o.ID}, []string{"sa-a", "sa-b", "sa-c"}, 3},
		{warden.ServiceAccountFilter{OrgID: other.ID}, []string{"sa-x"}, 1},
		{warden.ServiceAccountFilter{OrgID: o.ID, Query: "ALPHA"}, []string{"sa-a"}, 1},
		{warden.ServiceAccountFilter{OrgID: o.ID, Query: "sa-b"}, []string{"sa-b"}, 1},
		{warden.ServiceAccountFilter{OrgID: o.ID, Query: "%"}, []string{"sa-c"}, 1},
		{warden.ServiceAccountFilter{OrgID: o.ID, Query: "a_"}, []string{}, 0},
		{warden.ServiceAccountFilter{OrgID: o.ID, Disabled: true}, []string{"sa-c"}, 1},
		{warden.ServiceAccountFilter{OrgID: o.ID, ExpiredTokensAt: t0}, []string{"sa-a"}, 1},
		{warden.ServiceAccountFilter{OrgID: o.ID, ExpiredTokensAt: t0.Add(2 * time.Hour)}, []string{"sa-a", "sa-b"}, 2},
		{warden.ServiceAccountFilter{OrgID: o.ID, IDs: []int64{}}, []string{}, 0},
		{warden.ServiceAccountFilter{OrgID: o.ID, IDs: []int64{c.ID, a.ID}}, []string{"sa-a", "sa-c"}, 2},
		{warden.ServiceAccountFilter{OrgID: other.ID, IDs: []int64{a.ID}}, []string{}, 0},
		{warden.ServiceAccountFilter{OrgID: o.ID, Offset: 1, Limit: 1}, []string{"sa-b"}, 3},
		{warden.ServiceAccountFilter{OrgID: o.ID, Offset: 3, Limit: 1}, []string{}, 3},
	} {
		logins, total := find(tc.f)
		if !slices.Equal(logins, tc.want) {
			t.Errorf("FindServiceAccounts(%+v)=%q, want %q", tc.f, logins, tc.want)
		}
		if total != tc.wantTotal {
			t.Errorf("FindServiceAccounts(%+v) total=%d, want %d", tc.f, total, tc.wantTotal)
		}
	}
}

// ---- tokens ----

func mustCreateToken(t *testing.T, s warden.Store, orgID, saID int64, name, hash string, expires time.Time) *warden.Token {
	t.Helper()
	ctx := t.Context()
	tk := &warden.Token{OrgID: orgID, ServiceAccountID: saID, Name: name, Hash: hash, Created: t0, Updated: t0, Expires: expires}
	update(t, s, func(tx warden.Tx) error { return tx.CreateToken(ctx, tk) })
	if tk.ID == 0 {
		t.Fatalf("CreateToken(%q) left ID 0", name)
	}
	return tk
}

func tokenExists(t *testing.T, s warden.Store, hash string) bool {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindTokenByHash(ctx, hash)
		return err
	})
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("FindTokenByHash(%q): %v", hash, err)
	return false
}

func testTokenCreateFindDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")

	// Never expires, never used: the zero times stay zero.
	plain := &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "zeta", Hash: "hash-zeta",
		Created: t0, Updated: t0.Add(time.Second)}
	full := &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "alpha", Hash: "hash-alpha",
		Created: t0, Updated: t0, Expires: t0.Add(24 * time.Hour), LastUsedAt: t0.Add(time.Minute)}
	update(t, s, func(tx warden.Tx) error {
		if err := tx.CreateToken(ctx, plain); err != nil {
			return err
		}
		return tx.CreateToken(ctx, full)
	})
	if plain.ID == 0 || full.ID == 0 {
		t.Fatal("CreateToken left ID 0")
	}
	for _, want := range []*warden.Token{plain, full} {
		got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, want.Hash) })
		wantEqual(t, "FindTokenByHash("+want.Hash+")", *got, *want)
	}

	names := func(orgID, saID int64, limit int) []string {
		t.Helper()
		tks := get(t, s, func(tx warden.Tx) ([]*warden.Token, error) { return tx.FindTokens(ctx, orgID, saID, limit) })
		out := []string{}
		for _, tk := range tks {
			out = append(out, tk.Name)
		}
		return out
	}
	if got, want := names(o.ID, sa.ID, 10), []string{"alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("FindTokens=%q, want %q", got, want)
	}
	if got, want := names(o.ID, sa.ID, 1), []string{"alpha"}; !slices.Equal(got, want) {
		t.Fatalf("FindTokens(limit 1)=%q, want %q", got, want)
	}
	if got := names(other.ID, sa.ID, 10); len(got) != 0 {
		t.Fatalf("FindTokens(other org)=%q, want none", got)
	}
	if got := names(o.ID, sa2.ID, 10); len(got) != 0 {
		t.Fatalf("FindTokens(other account)=%q, want none", got)
	}

	// DeleteToken checks the org and the account.
	for _, c := range []struct {
		name        string
		orgID, saID int64
	}{
		{"other org", other.ID, sa.ID},
		{"other account", o.ID, sa2.ID},
	} {
		err := s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteToken(ctx, c.orgID, c.saID, full.ID) })
		wantCode(t, "DeleteToken("+c.name+")", err, warden.ENOTFOUND)
	}
	if !tokenExists(t, s, full.Hash) {
		t.Fatal("token gone after refused deletes")
	}
	update(t, s, func(tx warden.Tx) error { return tx.DeleteToken(ctx, o.ID, sa.ID, full.ID) })
	if tokenExists(t, s, full.Hash) {
		t.Fatal("token found after DeleteToken")
	}
	if !tokenExists(t, s, plain.Hash) {
		t.Fatal("DeleteToken removed another token")
	}
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteToken(ctx, o.ID, sa.ID, full.ID) })
	wantCode(t, "DeleteToken twice", err, warden.ENOTFOUND)
}

func testTokenNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", time.Time{})
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTokenByHash(ctx, "hash-2"); return err })
	wantCode(t, "FindTokenByHash", err, warden.ENOTFOUND)
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteToken(ctx, o.ID, sa.ID, tk.ID+1000) })
	wantCode(t, "DeleteToken", err, warden.ENOTFOUND)
}

func testTokenConflict(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")
	saOther := mustCreateServiceAccount(t, s, other.ID, "sa-other")
	mustCreateToken(t, s, o.ID, sa.ID, "ci", "hash-1", time.Time{})

	create := func(orgID, saID int64, name, hash string) error {
		return s.Update(ctx, func(tx warden.Tx) error {
			return tx.CreateToken(ctx, &warden.Token{OrgID: orgID, ServiceAccountID: saID, Name: name, Hash: hash,
				Created: t0, Updated: t0})
		})
	}
	wantCode(t, "CreateToken with a taken name", create(o.ID, sa.ID, "ci", "hash-2"), warden.ECONFLICT)
	wantCode(t, "CreateToken with a name taken in the org", create(o.ID, sa2.ID, "ci", "hash-3"), warden.ECONFLICT)
	wantCode(t, "CreateToken with a taken hash", create(o.ID, sa.ID, "other", "hash-1"), warden.ECONFLICT)
	if err := create(other.ID, saOther.ID, "ci", "hash-4"); err != nil {
		t.Fatalf("CreateToken with a name used in another org: %v", err)
	}
	for _, hash := range []string{"hash-2", "hash-3"} {
		if tokenExists(t, s, hash) {
			t.Fatalf("token %q of a failed CreateToken exists", hash)
		}
	}
}

func testTokenFindIdentity(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleEditor)
	exp := t0.Add(time.Hour)
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", exp)
	id := get(t, s, func(tx warden.Tx) (*warden.TokenIdentity, error) { return tx.FindTokenIdentity(ctx, "hash-1") })
	wantEqual(t, "FindTokenIdentity token", *id.Token, *tk)
	a := id.Account
	if a.ID != sa.ID || a.UID != sa.UID || a.Login != sa.Login || a.Email != sa.Email || a.Name != sa.Name ||
		!a.IsServiceAccount || a.IsDisabled || id.Role != warden.RoleEditor {
		t.Fatalf("FindTokenIdentity = account %+v role %q, want %s as Editor", a, id.Role, sa.Login)
	}

	// Disabled and revoked show; an unknown hash and a token whose account left the token's
	// org are not found.
	sa.IsDisabled = true
	update(t, s, func(tx warden.Tx) error { return tx.UpdateUser(ctx, sa) })
	update(t, s, func(tx warden.Tx) error { return tx.RevokeToken(ctx, tk.ID) })
	id = get(t, s, func(tx warden.Tx) (*warden.TokenIdentity, error) { return tx.FindTokenIdentity(ctx, "hash-1") })
	if !id.Account.IsDisabled || !id.Token.IsRevoked {
		t.Fatalf("after disable and revoke: disabled %v revoked %v, want both", id.Account.IsDisabled, id.Token.IsRevoked)
	}
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTokenIdentity(ctx, "hash-x"); return err })
	wantCode(t, "FindTokenIdentity of an unknown hash", err, warden.ENOTFOUND)
	update(t, s, func(tx warden.Tx) error { return tx.RemoveOrgUser(ctx, o.ID, sa.ID) })
	err = s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTokenIdentity(ctx, "hash-1"); return err })
	wantCode(t, "FindTokenIdentity without membership", err, warden.ENOTFOUND)
}

func testTokenRevoke(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", time.Time{})
	other := mustCreateToken(t, s, o.ID, sa.ID, "two", "hash-2", time.Time{})
	update(t, s, func(tx warden.Tx) error { return tx.RevokeToken(ctx, tk.ID) })
	got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, tk.Hash) })
	if !got.IsRevoked {
		t.Fatal("IsRevoked=false after RevokeToken")
	}
	got = get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, other.Hash) })
	if got.IsRevoked {
		t.Fatal("RevokeToken revoked another token")
	}
	tks := get(t, s, func(tx warden.Tx) ([]*warden.Token, error) { return tx.FindTokens(ctx, o.ID, sa.ID, 10) })
	if got, want := len(tks), 2; got != want {
		t.Fatalf("len(FindTokens) after RevokeToken=%d, want %d (revoked tokens stay listed)", got, want)
	}
}

func testTokenUpdateTokensLastUsed(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	used := mustCreateToken(t, s, o.ID, sa.ID, "used", "hash-used", time.Time{})
	fresh := mustCreateToken(t, s, o.ID, sa.ID, "fresh", "hash-fresh", time.Time{})
	idle := mustCreateToken(t, s, o.ID, sa.ID, "idle", "hash-idle", time.Time{})
	lastUsed := func(tk *warden.Token) time.Time {
		t.Helper()
		return get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, tk.Hash) }).LastUsedAt
	}
	set := func(uses map[int64]time.Time) {
		t.Helper()
		update(t, s, func(tx warden.Tx) error { return tx.UpdateTokensLastUsed(ctx, uses) })
	}

	set(map[int64]time.Time{used.ID: t0})
	set(map[int64]time.Time{used.ID: t0.Add(-time.Hour), fresh.ID: t0.Add(time.Minute)})
	if got, want := lastUsed(used), t0; !got.Equal(want) {
		t.Fatalf("LastUsedAt after an older use=%v, want %v (never backwards)", got, want)
	}
	if got, want := lastUsed(fresh), t0.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("LastUsedAt=%v, want %v", got, want)
	}
	if got := lastUsed(idle); !got.IsZero() {
		t.Fatalf("LastUsedAt of an unused token=%v, want zero", got)
	}
	set(map[int64]time.Time{used.ID: t0.Add(2 * time.Hour)})
	if got, want := lastUsed(used), t0.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("LastUsedAt after a newer use=%v, want %v", got, want)
	}
	set(map[int64]time.Time{})
	set(nil)
	if got, want := lastUsed(used), t0.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("LastUsedAt after an empty update=%v, want %v", got, want)
	}
}

func testTokenDeletedWithAccount(t *testing.T, s warden.Store) {
	ctx := t.Context()
	gone := mustCreateOrg(t, s, "Gone")
	kept := mustCreateOrg(t, s, "Kept")
	saGone := mustCreateServiceAccount(t, s, gone.ID, "sa-gone")
	saDeleted := mustCreateServiceAccount(t, s, kept.ID, "sa-deleted")
	saKept := mustCreateServiceAccount(t, s, kept.ID, "sa-kept")
	mustCreateToken(t, s, gone.ID, saGone.ID, "t", "hash-org", time.Time{})
	mustCreateToken(t, s, kept.ID, saDeleted.ID, "t1", "hash-user", time.Time{})
	mustCreateToken(t, s, kept.ID, saKept.ID, "t2", "hash-kept", time.Time{})

	update(t, s, func(tx warden.Tx) error { return tx.DeleteUser(ctx, saDeleted.ID) })
	if tokenExists(t, s, "hash-user") {
		t.Fatal("token of a deleted service account remains")
	}
	update(t, s, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, gone.ID) })
	if tokenExists(t, s, "hash-org") {
		t.Fatal("token of a deleted org's service account remains")
	}
	if !tokenExists(t, s, "hash-kept") {
		t.Fatal("token of an untouched service account was deleted")
	}
	got := get(t, s, func(tx warden.Tx) (*warden.ServiceAccount, error) {
		return tx.FindServiceAccount(ctx, kept.ID, saKept.ID)
	})
	if got, want := got.Tokens, 1; got != want {
		t.Fatalf("Tokens=%d, want %d", got, want)
	}
}

// TouchUser changes last_seen_at and nothing else, so recording activity cannot undo a
// concurrent change to the row (a disable, a new password, a demotion).
func testUserTouch(t *testing.T, s warden.Store) {
	u := mustCreateUser(t, s, "toucher")
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		cur, err := tx.FindUserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		cur.IsDisabled, cur.PasswordHash = true, "changed"
		return tx.UpdateUser(ctx, cur)
	})
	seen := t0.Add(3 * time.Hour)
	update(t, s, func(tx warden.Tx) error { return tx.TouchUser(ctx, u.ID, seen) })
	got := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, u.ID) })
	wantEqual(t, "LastSeenAt", got.LastSeenAt, seen)
	wantEqual(t, "IsDisabled", got.IsDisabled, true)
	wantEqual(t, "PasswordHash", got.PasswordHash, "changed")
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.TouchUser(ctx, 99999, seen) })
	wantCode(t, "TouchUser(missing)", err, warden.ENOTFOUND)
}
