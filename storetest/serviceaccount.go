// Service accounts: the ServiceAccount view of a service-account user (role, token count) and
// FindServiceAccounts filtering.

package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var serviceAccountTests = []contractTest{
	{"ServiceAccount/Find", testServiceAccountFind},
	{"ServiceAccount/FindServiceAccounts", testServiceAccountFindServiceAccounts},
}

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

	wantNotFound(t, s, []notFoundCase{
		{"FindServiceAccount(other org)", false, func(tx warden.Tx) error { _, err := tx.FindServiceAccount(ctx, other.ID, u.ID); return err }},
		{"FindServiceAccount(human)", false, func(tx warden.Tx) error { _, err := tx.FindServiceAccount(ctx, o.ID, human.ID); return err }},
		{"FindServiceAccount(missing)", false, func(tx warden.Tx) error { _, err := tx.FindServiceAccount(ctx, o.ID, u.ID+1000); return err }},
		{"FindServiceAccountByUID(other org)", false, func(tx warden.Tx) error {
			_, err := tx.FindServiceAccountByUID(ctx, other.ID, "sa-uid")
			return err
		}},
		{"FindServiceAccountByUID(human)", false, func(tx warden.Tx) error {
			_, err := tx.FindServiceAccountByUID(ctx, o.ID, human.UID)
			return err
		}},
	})
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
		as, total := getPage(t, s, fmt.Sprintf("FindServiceAccounts(%+v)", f), func(tx warden.Tx) ([]*warden.ServiceAccount, int, error) {
			return tx.FindServiceAccounts(ctx, f)
		})
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
