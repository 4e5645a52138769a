package warden_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// A burst of concurrent sign-ins cannot slip past the per-username limit: checks in progress
// count as attempts, so at most the limit's worth of passwords are ever verified in a window.
func TestService_CheckPassword_BurstIsLimited(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	e.user(t, "burst")
	ctx := warden.NewContextWithClientIP(context.Background(), "192.0.2.7")

	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 40; i++ {
		wg.Go(func() {
			<-start
			if _, err := e.svc.CheckPassword(ctx, "burst", "wrong"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
				t.Errorf("wrong password: err = %v, want EUNAUTHORIZED", err)
			}
		})
	}
	close(start)
	wg.Wait()

	var stored int
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		var err error
		// Failures are stored under the account, not the typed name: count them by the one
		// client IP they all came from.
		stored, err = tx.CountLoginAttemptsByIP(context.Background(), "192.0.2.7", saStart.Add(-e.svc.Config().BruteForceWindow))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if max := e.svc.Config().BruteForceMaxAttempts; stored > max {
		t.Fatalf("%d failed checks were verified and stored, want at most %d", stored, max)
	}
	if _, err := e.svc.CheckPassword(ctx, "burst", "password1"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("right password after the burst: err = %v, want the lockout", err)
	}
}

// Signing in while an admin disables the user must never undo the disable: the session's
// write re-reads the user and touches only last_seen_at.
func TestService_Login_DoesNotUndoConcurrentDisable(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, func(c *warden.Config) { c.DisableBruteForce = true })
	u := e.user(t, "racer")
	admin := e.asAdmin(t)

	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 30; i++ {
		wg.Go(func() {
			<-start
			e.svc.Login(context.Background(), "racer", "password1", "test")
		})
	}
	wg.Go(func() {
		<-start
		if err := e.svc.SetUserDisabled(admin, u.ID, true); err != nil {
			t.Errorf("disable: %v", err)
		}
	})
	close(start)
	wg.Wait()

	got, err := e.svc.FindUserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsDisabled {
		t.Fatal("a concurrent sign-in undid the disable")
	}
	if _, _, err := e.svc.Login(context.Background(), "racer", "password1", "test"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("sign-in after disable: err = %v, want EUNAUTHORIZED", err)
	}
}

// A wrong old password counts as a failed password check, like a failed sign-in.
func TestService_ChangePassword_WrongOldPasswordIsLimited(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	u := e.user(t, "changer")
	ctx := context.Background()
	for i := 0; i < e.svc.Config().BruteForceMaxAttempts; i++ {
		if err := e.svc.ChangePassword(ctx, u.ID, "guess", "newpass1"); warden.ErrorMessage(err) != "Invalid old password" {
			t.Fatalf("guess %d: err = %v", i, err)
		}
	}
	// Locked: even the right old password is refused now, and sign-in is locked too.
	if err := e.svc.ChangePassword(ctx, u.ID, "password1", "newpass1"); warden.ErrorMessage(err) != "Invalid old password" {
		t.Fatalf("right old password while locked: err = %v", err)
	}
	if _, err := e.svc.CheckPassword(ctx, "changer", "password1"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("sign-in while locked: err = %v", err)
	}
	// After the window the right old password works again.
	e.clock.Add(e.svc.Config().BruteForceWindow + time.Second)
	if err := e.svc.ChangePassword(ctx, u.ID, "password1", "newpass1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// An org always keeps an Admin: its last one cannot be deleted, a second one can.
func TestService_DeleteUser_LastOrgAdmin(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	admin := e.asAdmin(t)
	owner := e.user(t, "owner")
	ownerCtx := e.asUser(t, owner, 1)
	org, err := e.svc.CreateOrg(ownerCtx, "Owned") // the creator is its only Admin
	if err != nil {
		t.Fatal(err)
	}
	err = e.svc.DeleteUser(admin, owner.ID)
	if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorMessage(err) != "Cannot delete the last admin of organization Owned" {
		t.Fatalf("delete last org admin: err = %v", err)
	}
	if _, err := e.svc.AddOrgUser(e.asUser(t, e.admin, org.ID), org.ID, "admin", warden.RoleAdmin); err != nil {
		t.Fatalf("add a second admin: %v", err)
	}
	if err := e.svc.DeleteUser(admin, owner.ID); err != nil {
		t.Fatalf("delete with another admin present: %v", err)
	}
}

// slowView models a database a round trip away: each read's answer takes a few milliseconds to
// arrive, which widens every window between a count and a decision.
type slowView struct{ warden.Store }

func (s slowView) View(ctx context.Context, fn func(warden.Tx) error) error {
	err := s.Store.View(ctx, fn)
	time.Sleep(15 * time.Millisecond)
	return err
}

// The burst limit holds with a database a round trip away too: a check that ends between
// another's count and its admission is counted again, not missed (it was, 6–7 of 5, in review).
func TestService_CheckPassword_BurstIsLimitedOverSlowDatabase(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	e.user(t, "burst")
	svc := warden.NewService(slowView{e.db}, discardLogger(), testConfig())
	svc.Now = e.clock.Now
	ctx := warden.NewContextWithClientIP(context.Background(), "192.0.2.7")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			svc.CheckPassword(ctx, "burst", "wrong")
		})
	}
	close(start)
	wg.Wait()
	var stored int
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		var err error
		stored, err = tx.CountLoginAttemptsByIP(context.Background(), "192.0.2.7", saStart.Add(-time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if max := svc.Config().BruteForceMaxAttempts; stored != max {
		t.Fatalf("%d failed checks were verified and stored, want exactly the limit, %d", stored, max)
	}
}
