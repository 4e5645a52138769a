package warden_test

// Service-level tests of the admin session calls (Grafana's /api/admin/users/:id/auth-tokens,
// /logout and /revoke-auth-token): listing a user's sessions, ending all of them, ending one.
// Sessions are real: each is made by Login and checked with AuthenticateSession
// (wantSessionValid / wantSessionEnded of service_test.go).

import (
	"context"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// sessLogin signs u in as ctx and returns the cookie and the session's id.
func sessLogin(t *testing.T, e *saEnv, ctx context.Context, login, password string) (string, int64) {
	t.Helper()
	_, token, err := e.svc.Login(ctx, login, password, "agent of "+login)
	if err != nil {
		t.Fatalf("Login(%s): %v", login, err)
	}
	_, sess, err := e.svc.AuthenticateSession(context.Background(), token)
	if err != nil {
		t.Fatalf("AuthenticateSession(%s): %v", login, err)
	}
	return token, sess.ID
}

// sessIDs lists the ids of a user's sessions in the order UserSessions gives them.
func sessIDs(t *testing.T, e *saEnv, ctx context.Context, userID int64) []int64 {
	t.Helper()
	list, err := e.svc.UserSessions(ctx, userID)
	if err != nil {
		t.Fatalf("UserSessions(%d): %v", userID, err)
	}
	ids := []int64{}
	for _, s := range list {
		if s.UserID != userID {
			t.Fatalf("UserSessions(%d) lists session %d of user %d", userID, s.ID, s.UserID)
		}
		ids = append(ids, s.ID)
	}
	return ids
}

func sessWantIDs(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if len(want) == 0 {
		want = []int64{}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: sessions %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: sessions %v, want %v", what, got, want)
		}
	}
}

// sessAdmin acts as the admin signed in with session sessionID.
func sessAdmin(t *testing.T, e *saEnv, sessionID int64) context.Context {
	t.Helper()
	p, err := e.svc.UserPrincipal(context.Background(), e.admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.AuthMethod, p.SessionID = "session", sessionID
	return warden.NewContextWithPrincipal(context.Background(), p)
}

func TestUserSessions_MostRecentlyUsedFirst(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	bob := e.user(t, "bob")
	sa := e.newSA(t, ctx, "ci", "")

	sessWantIDs(t, "no session yet", sessIDs(t, e, ctx, bob.ID))
	first, firstID := sessLogin(t, e, warden.NewContextWithClientIP(context.Background(), "192.0.2.1"), "bob", "password1")
	e.clock.Add(2 * time.Minute)
	_, secondID := sessLogin(t, e, context.Background(), "bob@example.com", "password1")
	_, adminID := sessLogin(t, e, context.Background(), "admin", "admin-pass")
	sessWantIDs(t, "after two sign-ins", sessIDs(t, e, ctx, bob.ID), secondID, firstID)
	sessWantIDs(t, "the admin's", sessIDs(t, e, ctx, e.admin.ID), adminID)

	list, err := e.svc.UserSessions(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := list[1]
	if s.ClientIP != "192.0.2.1" || s.UserAgent != "agent of bob" || !s.Created.Equal(saStart) || !s.SeenAt.Equal(saStart) {
		t.Fatalf("first session %+v, want IP 192.0.2.1, agent \"agent of bob\", created and seen %v", s, saStart)
	}

	// Using the first session again (over a minute later) puts it first.
	e.clock.Add(2 * time.Minute)
	wantSessionValid(t, e.svc, first, bob.ID)
	sessWantIDs(t, "after the first was used", sessIDs(t, e, ctx, bob.ID), firstID, secondID)

	for _, id := range []int64{9999, sa.ID} {
		_, err := e.svc.UserSessions(ctx, id)
		saWantErr(t, err, warden.ENOTFOUND, "", "User not found")
	}
}

// LogoutUser ends every session of one user, and only of that user.
func TestLogoutUser(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	bob, carol := e.user(t, "bob"), e.user(t, "carol")
	adminToken, adminID := sessLogin(t, e, context.Background(), "admin", "admin-pass")
	ctx := sessAdmin(t, e, adminID)
	sa := e.newSA(t, ctx, "ci", "")
	b1, _ := sessLogin(t, e, context.Background(), "bob", "password1")
	b2, _ := sessLogin(t, e, context.Background(), "bob", "password1")
	c1, c1ID := sessLogin(t, e, context.Background(), "carol", "password1")

	if err := e.svc.LogoutUser(ctx, bob.ID); err != nil {
		t.Fatalf("LogoutUser(bob): %v", err)
	}
	wantSessionEnded(t, e.svc, b1)
	wantSessionEnded(t, e.svc, b2)
	sessWantIDs(t, "bob's after logout", sessIDs(t, e, ctx, bob.ID))
	wantSessionValid(t, e.svc, c1, carol.ID)
	sessWantIDs(t, "carol's", sessIDs(t, e, ctx, carol.ID), c1ID)
	wantSessionValid(t, e.svc, adminToken, e.admin.ID)
	// A user without sessions can be logged out all the same; bob signs in again afterwards.
	if err := e.svc.LogoutUser(ctx, bob.ID); err != nil {
		t.Fatalf("LogoutUser(bob) again: %v", err)
	}
	b3, _ := sessLogin(t, e, context.Background(), "bob", "password1")
	wantSessionValid(t, e.svc, b3, bob.ID)

	rows := auditRows(t, e, "user.logout")
	if len(rows) != 2 || rows[0].TargetType != "user" || rows[0].TargetID != idStr(bob.ID) || rows[0].ActorID != e.admin.ID {
		t.Fatalf("user.logout rows %+v, want 2 naming bob, by the admin", rows)
	}

	// Oneself, nobody, a service account: refused, nothing ended, nothing recorded.
	saWantErr(t, e.svc.LogoutUser(ctx, e.admin.ID), warden.EINVALID, "", "You cannot logout yourself")
	saWantErr(t, e.svc.LogoutUser(e.asAdmin(t), e.admin.ID), warden.EINVALID, "", "You cannot logout yourself")
	saWantErr(t, e.svc.LogoutUser(ctx, 9999), warden.ENOTFOUND, "", "User not found")
	saWantErr(t, e.svc.LogoutUser(ctx, sa.ID), warden.ENOTFOUND, "", "User not found")
	wantSessionValid(t, e.svc, adminToken, e.admin.ID)
	wantSessionValid(t, e.svc, b3, bob.ID)
	if n := len(auditRows(t, e, "user.logout")); n != 2 {
		t.Fatalf("%d user.logout rows after refusals, want 2", n)
	}
}

// RevokeUserSession ends one session of a user; another user's session, an unknown one and
// the caller's own current one are refused.
func TestRevokeUserSession(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	bob, carol := e.user(t, "bob"), e.user(t, "carol")
	adminToken, adminID := sessLogin(t, e, context.Background(), "admin", "admin-pass")
	otherAdmin, otherAdminID := sessLogin(t, e, context.Background(), "admin", "admin-pass")
	ctx := sessAdmin(t, e, adminID)
	sa := e.newSA(t, ctx, "ci", "")
	b1, b1ID := sessLogin(t, e, context.Background(), "bob", "password1")
	b2, b2ID := sessLogin(t, e, context.Background(), "bob", "password1")
	c1, c1ID := sessLogin(t, e, context.Background(), "carol", "password1")

	if err := e.svc.RevokeUserSession(ctx, bob.ID, b1ID); err != nil {
		t.Fatalf("RevokeUserSession(bob, %d): %v", b1ID, err)
	}
	wantSessionEnded(t, e.svc, b1)
	wantSessionValid(t, e.svc, b2, bob.ID)
	sessWantIDs(t, "bob's after the revocation", sessIDs(t, e, ctx, bob.ID), b2ID)
	rows := auditRows(t, e, "user.session.revoke")
	if len(rows) != 1 || rows[0].TargetID != idStr(bob.ID) || rows[0].Detail != "session="+idStr(b1ID) {
		t.Fatalf("user.session.revoke rows %+v, want one naming bob and session %d", rows, b1ID)
	}

	for _, tc := range []struct {
		name              string
		userID, sessionID int64
		code, msg         string
	}{
		{"AlreadyRevoked", bob.ID, b1ID, warden.ENOTFOUND, "User auth token not found"},
		{"AnotherUsersSession", bob.ID, c1ID, warden.ENOTFOUND, "User auth token not found"},
		{"UnknownSession", bob.ID, 9999, warden.ENOTFOUND, "User auth token not found"},
		{"UnknownUser", 9999, b2ID, warden.ENOTFOUND, "User not found"},
		{"ServiceAccount", sa.ID, b2ID, warden.ENOTFOUND, "User not found"},
		{"OwnCurrentSession", e.admin.ID, adminID, warden.EINVALID, "Cannot revoke active user auth token"},
	} {
		err := e.svc.RevokeUserSession(ctx, tc.userID, tc.sessionID)
		if warden.ErrorCode(err) != tc.code || warden.ErrorMessage(err) != tc.msg {
			t.Fatalf("%s: err %v (%s %q), want %s %q", tc.name, err, warden.ErrorCode(err), warden.ErrorMessage(err), tc.code, tc.msg)
		}
	}
	wantSessionValid(t, e.svc, b2, bob.ID)
	wantSessionValid(t, e.svc, c1, carol.ID)
	wantSessionValid(t, e.svc, adminToken, e.admin.ID)
	if n := len(auditRows(t, e, "user.session.revoke")); n != 1 {
		t.Fatalf("%d user.session.revoke rows after refusals, want 1", n)
	}

	// The caller's other session is not the active one and can be revoked; from a session-less
	// caller (basic auth, a token), so can the one that was active above.
	if err := e.svc.RevokeUserSession(ctx, e.admin.ID, otherAdminID); err != nil {
		t.Fatalf("revoking the admin's other session: %v", err)
	}
	wantSessionEnded(t, e.svc, otherAdmin)
	wantSessionValid(t, e.svc, adminToken, e.admin.ID)
	if err := e.svc.RevokeUserSession(e.asAdmin(t), e.admin.ID, adminID); err != nil {
		t.Fatalf("revoking the admin's session from basic auth: %v", err)
	}
	wantSessionEnded(t, e.svc, adminToken)
	sessWantIDs(t, "the admin's at the end", sessIDs(t, e, e.asAdmin(t), e.admin.ID))
}
