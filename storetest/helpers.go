// Shared helpers: running transactions, assertions, and the look-ups that the tests of several
// resources check the store's state with.

package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// t0 is the suite's "now". Times in the store are kept to the second.
var t0 = time.Date(2024, time.March, 1, 12, 0, 0, 0, time.UTC)

// ---- transactions and assertions ----

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

// getPage runs fn, a paged Find that returns one page of rows and the total before paging, in a
// read transaction, failing the test (with what as the call) on error.
func getPage[T any](t *testing.T, s warden.Store, what string, fn func(tx warden.Tx) ([]T, int, error)) ([]T, int) {
	t.Helper()
	var rows []T
	var total int
	err := s.View(t.Context(), func(tx warden.Tx) error {
		var err error
		rows, total, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return rows, total
}

// exists runs fn, a look-up of one row, in a read transaction and reports whether it found the
// row; an error other than ENOTFOUND fails the test (with what as the call).
func exists(t *testing.T, s warden.Store, what string, fn func(tx warden.Tx) error) bool {
	t.Helper()
	err := s.View(t.Context(), fn)
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("%s: %v", what, err)
	return false
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

// notFoundCase is an operation on a row that does not exist; write runs it in Update, else in View.
type notFoundCase struct {
	name  string
	write bool
	fn    func(tx warden.Tx) error
}

// wantNotFound runs each case and fails unless each ends with ENOTFOUND.
func wantNotFound(t *testing.T, s warden.Store, cases []notFoundCase) {
	t.Helper()
	for _, c := range cases {
		run := s.View
		if c.write {
			run = s.Update
		}
		wantCode(t, c.name, run(t.Context(), c.fn), warden.ENOTFOUND)
	}
}

// ---- look-ups ----

func userExists(t *testing.T, s warden.Store, id int64) bool {
	t.Helper()
	ctx := t.Context()
	return exists(t, s, fmt.Sprintf("FindUserByID(%d)", id), func(tx warden.Tx) error {
		_, err := tx.FindUserByID(ctx, id)
		return err
	})
}

func orgExists(t *testing.T, s warden.Store, name string) bool {
	t.Helper()
	ctx := t.Context()
	return exists(t, s, fmt.Sprintf("FindOrgByName(%q)", name), func(tx warden.Tx) error {
		_, err := tx.FindOrgByName(ctx, name)
		return err
	})
}

func isMember(t *testing.T, s warden.Store, orgID, userID int64) bool {
	t.Helper()
	ctx := t.Context()
	return exists(t, s, fmt.Sprintf("FindOrgUser(%d, %d)", orgID, userID), func(tx warden.Tx) error {
		_, err := tx.FindOrgUser(ctx, orgID, userID)
		return err
	})
}

func sessionExists(t *testing.T, s warden.Store, hash string) bool {
	t.Helper()
	ctx := t.Context()
	return exists(t, s, fmt.Sprintf("FindSessionByHash(%q)", hash), func(tx warden.Tx) error {
		_, err := tx.FindSessionByHash(ctx, hash)
		return err
	})
}

func tokenExists(t *testing.T, s warden.Store, hash string) bool {
	t.Helper()
	ctx := t.Context()
	return exists(t, s, fmt.Sprintf("FindTokenByHash(%q)", hash), func(tx warden.Tx) error {
		_, err := tx.FindTokenByHash(ctx, hash)
		return err
	})
}

// findUsers returns the logins FindUsers lists for f, and its total.
func findUsers(t *testing.T, s warden.Store, f warden.UserFilter) ([]string, int) {
	t.Helper()
	ctx := t.Context()
	users, total := getPage(t, s, fmt.Sprintf("FindUsers(%+v)", f), func(tx warden.Tx) ([]*warden.User, int, error) {
		return tx.FindUsers(ctx, f)
	})
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

// auditEntries returns the page of the audit log FindAuditEntries lists for f.
func auditEntries(t *testing.T, s warden.Store, f warden.AuditFilter) []*warden.AuditEntry {
	t.Helper()
	ctx := t.Context()
	entries, _ := getPage(t, s, fmt.Sprintf("FindAuditEntries(%+v)", f), func(tx warden.Tx) ([]*warden.AuditEntry, int, error) {
		return tx.FindAuditEntries(ctx, f)
	})
	return entries
}
