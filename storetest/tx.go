// Transactions: Update rolls back on any error, View cannot write, and two racing Updates that
// take the same unique name end with one success and one ECONFLICT.

package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
)

var txTests = []contractTest{
	{"Tx/RollbackOnError", testTxRollbackOnError},
	{"Tx/RollbackOnTxError", testTxRollbackOnTxError},
	{"Tx/ViewIsReadOnly", testTxViewIsReadOnly},
	{"Concurrent/CreateOrgSameName", testConcurrentCreateOrgSameName},
	{"Concurrent/CreateUserSameLogin", testConcurrentCreateUserSameLogin},
	{"Concurrent/FindThenCreateUser", testConcurrentFindThenCreateUser},
}

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
	if got := auditEntries(t, s, warden.AuditFilter{Limit: 10}); len(got) != 0 {
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
