// FindUsers: the user search by query (literal, case-insensitive), kind, org membership, ids and
// disabled state, with paging, order and sort.

package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var findUsersTests = []contractTest{
	{"User/FindUsers/Query", testFindUsersQuery},
	{"User/FindUsers/QueryLiteralWildcards", testFindUsersQueryLiteralWildcards},
	{"User/FindUsers/ServiceAccounts", testFindUsersServiceAccounts},
	{"User/FindUsers/OrgID", testFindUsersOrgID},
	{"User/FindUsers/IDs", testFindUsersIDs},
	{"User/FindUsers/Disabled", testFindUsersDisabled},
	{"User/FindUsers/PageAndOrder", testFindUsersPageAndOrder},
	{"User/FindUsers/Sort", testFindUsersSort},
}

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
