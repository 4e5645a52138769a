// Sessions: create, find by token hash, touch and delete a session, one user's or the expired ones.

package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var sessionTests = []contractTest{
	{"Session/CreateFindTouchDelete", testSessionCreateFindTouchDelete},
	{"Session/NotFound", testSessionNotFound},
	{"Session/ConflictTokenHash", testSessionConflictTokenHash},
	{"Session/DeleteUserSessions", testSessionDeleteUserSessions},
	{"Session/FindUserSessions", testSessionFindUserSessions},
	{"Session/DeleteExpiredSessions", testSessionDeleteExpiredSessions},
}

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

func testSessionFindUserSessions(t *testing.T, s warden.Store) {
	ctx := t.Context()
	alice := mustCreateUser(t, s, "alice")
	bob := mustCreateUser(t, s, "bob")
	old := mustCreateSession(t, s, alice.ID, "a1", t0, t0.Add(time.Minute))
	recent := mustCreateSession(t, s, alice.ID, "a2", t0, t0.Add(time.Hour))
	mustCreateSession(t, s, bob.ID, "b1", t0, t0.Add(2*time.Hour))
	got := get(t, s, func(tx warden.Tx) ([]*warden.Session, error) { return tx.FindUserSessions(ctx, alice.ID) })
	if len(got) != 2 {
		t.Fatalf("FindUserSessions returned %d sessions, want 2", len(got))
	}
	wantEqual(t, "the most recently used session", *got[0], *recent)
	wantEqual(t, "the other session", *got[1], *old)
	none := get(t, s, func(tx warden.Tx) ([]*warden.Session, error) { return tx.FindUserSessions(ctx, 999999) })
	if len(none) != 0 {
		t.Fatalf("FindUserSessions of an unknown user returned %d sessions", len(none))
	}
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
	deleteExpired := func() int64 {
		t.Helper()
		var n int64
		update(t, s, func(tx warden.Tx) error {
			var err error
			n, err = tx.DeleteExpiredSessions(ctx, createdBefore, seenBefore)
			return err
		})
		return n
	}
	if got, want := deleteExpired(), int64(3); got != want {
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
	if got, want := deleteExpired(), int64(0); got != want {
		t.Fatalf("second DeleteExpiredSessions=%d, want %d", got, want)
	}
}
