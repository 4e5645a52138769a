package warden_test

// The service's user management: passwords, disabling, the server-admin flag, deletion and
// creation. The environment (newTestEnv) and the assertions they share are in service_test.go.

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func TestService_ChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		a := e.login(t, "alice", "alice-pass")
		b := e.login(t, "alice", "alice-pass")
		if err := e.svc.ChangePassword(ctx, alice.ID, "alice-pass", "new-alice-pass"); err != nil {
			t.Fatal(err)
		}
		wantSessionEnded(t, e.svc, a)
		wantSessionEnded(t, e.svc, b)
		if _, err := e.svc.CheckPassword(ctx, "alice", "new-alice-pass"); err != nil {
			t.Fatalf("CheckPassword with the new password: %v", err)
		}
		_, err := e.svc.CheckPassword(ctx, "alice", "alice-pass")
		wantLoginFailed(t, err)
	})

	t.Run("ErrWrongOldPassword", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		err := e.svc.ChangePassword(ctx, alice.ID, "wrong", "new-alice-pass")
		wantCode(t, err, warden.EINVALID)
		wantSessionValid(t, e.svc, token, alice.ID)
	})

	t.Run("ErrTooShort", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		err := e.svc.ChangePassword(ctx, alice.ID, "alice-pass", "abc")
		wantCode(t, err, warden.EINVALID)
		if _, err := e.svc.CheckPassword(ctx, "alice", "alice-pass"); err != nil {
			t.Fatalf("old password stopped working after a refused change: %v", err)
		}
	})
}

func TestService_SetUserPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		alice := e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		for i := 0; i < 5; i++ {
			_, err := e.svc.CheckPassword(ctx, "alice", "wrong")
			wantLoginFailed(t, err)
		}
		if err := e.svc.SetUserPassword(ctx, alice.ID, "reset-pass"); err != nil {
			t.Fatal(err)
		}
		wantSessionEnded(t, e.svc, token)
		// The failed sign-ins were cleared with the reset.
		if _, err := e.svc.CheckPassword(ctx, "alice", "reset-pass"); err != nil {
			t.Fatalf("CheckPassword with the reset password: %v", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		err := e.svc.SetUserPassword(ctx, 999, "reset-pass")
		wantCode(t, err, warden.ENOTFOUND)
	})
}

func TestService_SetUserDisabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		alice := e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		if err := e.svc.SetUserDisabled(ctx, alice.ID, true); err != nil {
			t.Fatal(err)
		}
		wantSessionEnded(t, e.svc, token)
		// Enabling again does not bring the ended session back.
		if err := e.svc.SetUserDisabled(ctx, alice.ID, false); err != nil {
			t.Fatal(err)
		}
		wantSessionEnded(t, e.svc, token)
		if _, err := e.svc.CheckPassword(ctx, "alice", "alice-pass"); err != nil {
			t.Fatalf("CheckPassword after enabling: %v", err)
		}
	})

	t.Run("ErrLastServerAdmin", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		admin := e.bootstrap(t)
		err := e.svc.SetUserDisabled(ctx, admin.ID, true)
		wantCode(t, err, warden.EINVALID)
		if _, err := e.svc.CheckPassword(ctx, "admin", "admin-pass"); err != nil {
			t.Fatalf("the last admin cannot sign in after a refused disable: %v", err)
		}
	})
}

func TestService_SetServerAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ErrLastServerAdmin", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		admin := e.bootstrap(t)
		err := e.svc.SetServerAdmin(ctx, admin.ID, false)
		wantCode(t, err, warden.EINVALID)
		u, err := e.svc.FindUserByID(ctx, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !u.IsAdmin {
			t.Fatal("the last admin lost IsAdmin after a refused change")
		}
	})

	t.Run("OKWithSecondAdmin", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		first := e.bootstrap(t)
		second := e.createUser(t, "second", "second-pass", true)
		if err := e.svc.SetServerAdmin(ctx, first.ID, false); err != nil {
			t.Fatalf("SetServerAdmin(first, false) with two admins: %v", err)
		}
		u, err := e.svc.FindUserByID(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.IsAdmin {
			t.Fatal("IsAdmin=true after removal, want false")
		}
		// Now second is the only one.
		wantCode(t, e.svc.SetServerAdmin(ctx, second.ID, false), warden.EINVALID)
	})

	t.Run("DisabledAdminDoesNotCount", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		first := e.bootstrap(t)
		second := e.createUser(t, "second", "second-pass", true)
		if err := e.svc.SetUserDisabled(ctx, second.ID, true); err != nil {
			t.Fatalf("SetUserDisabled(second) with two admins: %v", err)
		}
		wantCode(t, e.svc.SetServerAdmin(ctx, first.ID, false), warden.EINVALID)
		wantCode(t, e.svc.SetUserDisabled(ctx, first.ID, true), warden.EINVALID)
		wantCode(t, e.svc.DeleteUser(ctx, first.ID), warden.EINVALID)
		if err := e.svc.SetUserDisabled(ctx, second.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetUserDisabled(ctx, first.ID, true); err != nil {
			t.Fatalf("SetUserDisabled(first) once second is enabled again: %v", err)
		}
	})
}

func TestService_DeleteUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ErrLastServerAdmin", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		admin := e.bootstrap(t)
		wantCode(t, e.svc.DeleteUser(ctx, admin.ID), warden.EINVALID)
		if _, err := e.svc.FindUserByID(ctx, admin.ID); err != nil {
			t.Fatalf("the last admin is gone after a refused delete: %v", err)
		}
	})

	t.Run("OKWithSecondAdmin", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		first := e.bootstrap(t)
		e.createUser(t, "second", "second-pass", true)
		token := e.login(t, "admin", "admin-pass")
		if err := e.svc.DeleteUser(ctx, first.ID); err != nil {
			t.Fatalf("DeleteUser(first) with two admins: %v", err)
		}
		_, err := e.svc.FindUserByID(ctx, first.ID)
		wantCode(t, err, warden.ENOTFOUND)
		wantSessionEnded(t, e.svc, token)
		if en := e.auditEntries(t)[0]; en.Action != "user.delete" || en.TargetID != strconv.FormatInt(first.ID, 10) {
			t.Fatalf("newest audit entry=%+v, want user.delete of %d", en, first.ID)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		wantCode(t, e.svc.DeleteUser(ctx, 999), warden.ENOTFOUND)
	})
}

func TestService_CreateUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		admin := e.bootstrap(t)
		actx := warden.NewContextWithClientIP(ctx, "198.51.100.20")
		actx = warden.NewContextWithPrincipal(actx, &warden.Principal{Kind: warden.KindUser, UserID: admin.ID, OrgID: 1})
		u, err := e.svc.CreateUser(actx, warden.CreateUserInput{Login: "Carol", Email: "Carol@Example.com", Password: "carol-pass"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Login != "carol" || u.Email != "carol@example.com" {
			t.Errorf("Login=%q Email=%q, want lower case", u.Login, u.Email)
		}
		if got, want := u.OrgID, int64(1); got != want {
			t.Errorf("OrgID=%d, want %d (auto-assign)", got, want)
		}
		if u.PasswordHash == "carol-pass" || u.PasswordHash == "" {
			t.Errorf("PasswordHash=%q, want a hash", u.PasswordHash)
		}
		if got, want := u.Created, e.clock.Now(); !got.Equal(want) {
			t.Errorf("Created=%v, want the injected clock %v", got, want)
		}
		en := e.auditEntries(t)[0]
		checks := []struct{ field, got, want string }{
			{"Action", en.Action, "user.create"},
			{"Outcome", en.Outcome, "success"},
			{"ClientIP", en.ClientIP, "198.51.100.20"},
			{"ActorKind", en.ActorKind, "user"},
			{"TargetType", en.TargetType, "user"},
			{"TargetID", en.TargetID, strconv.FormatInt(u.ID, 10)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("audit %s=%q, want %q", c.field, c.got, c.want)
			}
		}
		if got, want := en.ActorID, admin.ID; got != want {
			t.Errorf("audit ActorID=%d, want %d", got, want)
		}
		if strings.Contains(en.Detail, "carol-pass") {
			t.Errorf("audit Detail=%q holds the password", en.Detail)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		e.createUser(t, "carol", "carol-pass", false)
		_, err := e.svc.CreateUser(ctx, warden.CreateUserInput{Login: "CAROL", Email: "x@example.com", Password: "carol-pass"})
		wantCode(t, err, warden.EPRECONDITION)
		_, err = e.svc.CreateUser(ctx, warden.CreateUserInput{Login: "other", Email: "carol@example.com", Password: "carol-pass"})
		wantCode(t, err, warden.EPRECONDITION)
	})

	t.Run("ErrTooShort", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		_, err := e.svc.CreateUser(ctx, warden.CreateUserInput{Login: "carol", Password: "abc"})
		wantCode(t, err, warden.EINVALID)
	})
}
