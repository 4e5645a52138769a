// Users: create, find (by id, uid, login, email; case-insensitively), update, touch and delete a
// user, the unique login/email/uid shared by humans and service accounts, and CountServerAdmins.

package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var userTests = []contractTest{
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
}

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

func testUserNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "alice")
	missing := u.ID + 1000
	wantNotFound(t, s, []notFoundCase{
		{"FindUserByID", false, func(tx warden.Tx) error { _, err := tx.FindUserByID(ctx, missing); return err }},
		{"FindUserByUID", false, func(tx warden.Tx) error { _, err := tx.FindUserByUID(ctx, "nope"); return err }},
		{"FindUserByLogin", false, func(tx warden.Tx) error { _, err := tx.FindUserByLogin(ctx, "nope"); return err }},
		{"FindUserByEmail", false, func(tx warden.Tx) error { _, err := tx.FindUserByEmail(ctx, "nope@example.com"); return err }},
		{"FindUserByLoginOrEmail", false, func(tx warden.Tx) error { _, err := tx.FindUserByLoginOrEmail(ctx, "nope"); return err }},
		{"UpdateUser", true, func(tx warden.Tx) error {
			return tx.UpdateUser(ctx, &warden.User{ID: missing, UID: "x", Login: "x", Email: "x", Updated: t0})
		}},
		{"DeleteUser", true, func(tx warden.Tx) error { return tx.DeleteUser(ctx, missing) }},
	})
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
