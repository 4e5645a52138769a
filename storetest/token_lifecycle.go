// Token lifecycle: who created a token, the address of its last use and its rotation chain,
// stored and read back by every token look-up; FindToken, UpdateToken, DeleteExpiredTokens; the
// address UpdateTokensLastUsed records; and the search for accounts with expired tokens under a
// day limit enforced at use.

package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var tokenLifecycleTests = []contractTest{
	{"Token/LifecycleFieldsRoundTrip", testTokenLifecycleFieldsRoundTrip},
	{"Token/FindTokenScoped", testTokenFindTokenScoped},
	{"Token/UpdateToken", testTokenUpdateToken},
	{"Token/UpdateTokenConflictAndNotFound", testTokenUpdateTokenConflictAndNotFound},
	{"Token/DeleteExpiredByExpiry", testTokenDeleteExpiredByExpiry},
	{"Token/DeleteExpiredByCreation", testTokenDeleteExpiredByCreation},
	{"Token/DeleteExpiredLimit", testTokenDeleteExpiredLimit},
	{"Token/UpdateTokensLastUsedIP", testTokenUpdateTokensLastUsedIP},
	{"Token/UpdateTokensLastUsedManyAtOnce", testTokenUpdateTokensLastUsedManyAtOnce},
	{"Token/SearchExpiredByCreation", testTokenSearchExpiredByCreation},
}

// createTokenRow writes tk as it is (Created and all) and fails the test on error.
func createTokenRow(t *testing.T, s warden.Store, tk *warden.Token) *warden.Token {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error { return tx.CreateToken(ctx, tk) })
	if tk.ID == 0 {
		t.Fatalf("CreateToken(%q) left ID 0", tk.Name)
	}
	return tk
}

// findToken returns the token of an org and account, failing the test on error.
func findToken(t *testing.T, s warden.Store, orgID, saID, id int64) *warden.Token {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindToken(ctx, orgID, saID, id) })
}

// tokenIDs returns the tokens' ids, sorted.
func tokenIDs(tks []*warden.Token) []int64 {
	ids := []int64{}
	for _, tk := range tks {
		ids = append(ids, tk.ID)
	}
	slices.Sort(ids)
	return ids
}

// deleteExpired runs DeleteExpiredTokens(f) and returns what it deleted, sorted by id (the
// order is not part of the contract).
func deleteExpired(t *testing.T, s warden.Store, f warden.ExpiredTokens) []*warden.Token {
	t.Helper()
	ctx := t.Context()
	var deleted []*warden.Token
	update(t, s, func(tx warden.Tx) error {
		var err error
		deleted, err = tx.DeleteExpiredTokens(ctx, f)
		return err
	})
	slices.SortFunc(deleted, func(a, b *warden.Token) int { return int(a.ID - b.ID) })
	return deleted
}

// wantDeleted fails unless deleted holds exactly the tokens want, with every field as
// stored, and none of them remains while every token of kept does.
func wantDeleted(t *testing.T, s warden.Store, what string, deleted, want, kept []*warden.Token) {
	t.Helper()
	if got, w := tokenIDs(deleted), tokenIDs(want); !slices.Equal(got, w) {
		t.Fatalf("%s deleted ids %v, want %v", what, got, w)
	}
	byID := map[int64]*warden.Token{}
	for _, tk := range want {
		byID[tk.ID] = tk
	}
	for _, tk := range deleted {
		wantEqual(t, what+" returned row", *tk, *byID[tk.ID])
		if tokenExists(t, s, tk.Hash) {
			t.Fatalf("%s returned token %d (%q) but it is still stored", what, tk.ID, tk.Name)
		}
	}
	for _, tk := range kept {
		if !tokenExists(t, s, tk.Hash) {
			t.Fatalf("%s deleted token %d (%q), which it does not select", what, tk.ID, tk.Name)
		}
	}
}

func testTokenLifecycleFieldsRoundTrip(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleViewer)
	robot := mustCreateServiceAccount(t, s, o.ID, "sa-robot")

	// A token made by a service account, used from an IPv6 address, that replaced "old";
	// "old" was made by a user and replaced by it; "system" was made by the server; "bare"
	// records none of it.
	old := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "deploy (rotated)",
		Hash: "hash-old", Created: t0, Updated: t0, Expires: t0.Add(time.Hour), LastUsedAt: t0.Add(time.Minute),
		CreatedBy: warden.TokenCreator{Kind: "user", ID: 1, Login: "admin"}, LastUsedIP: "192.0.2.7"})
	repl := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "deploy", Hash: "hash-new",
		Created: t0.Add(time.Minute), Updated: t0.Add(time.Minute), Expires: t0.Add(48 * time.Hour),
		LastUsedAt: t0.Add(2 * time.Minute), LastUsedIP: "2001:db8::7", Replaces: old.ID,
		CreatedBy: warden.TokenCreator{Kind: "service_account", ID: robot.ID, Login: robot.Login}})
	old.ReplacedBy, old.Updated = repl.ID, t0.Add(time.Minute)
	update(t, s, func(tx warden.Tx) error { return tx.UpdateToken(ctx, old) })
	system := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "provisioned",
		Hash: "hash-system", Created: t0, Updated: t0, CreatedBy: warden.TokenCreator{Kind: "system"}})
	bare := mustCreateToken(t, s, o.ID, sa.ID, "bare", "hash-bare", time.Time{})
	if bare.CreatedBy != (warden.TokenCreator{}) || bare.LastUsedIP != "" || bare.ReplacedBy != 0 || bare.Replaces != 0 {
		t.Fatalf("mustCreateToken set lifecycle fields: %+v", bare)
	}

	all := []*warden.Token{old, repl, system, bare}
	for _, want := range all {
		got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, want.Hash) })
		wantEqual(t, "FindTokenByHash("+want.Hash+")", *got, *want)
		wantEqual(t, "FindToken("+want.Name+")", *findToken(t, s, o.ID, sa.ID, want.ID), *want)
		id := get(t, s, func(tx warden.Tx) (*warden.TokenIdentity, error) { return tx.FindTokenIdentity(ctx, want.Hash) })
		wantEqual(t, "FindTokenIdentity("+want.Hash+").Token", *id.Token, *want)
	}
	listed := get(t, s, func(tx warden.Tx) ([]*warden.Token, error) { return tx.FindTokens(ctx, o.ID, sa.ID, 10) })
	byName := map[string]*warden.Token{}
	for _, tk := range listed {
		byName[tk.Name] = tk
	}
	if len(listed) != len(all) {
		t.Fatalf("FindTokens listed %d tokens, want %d", len(listed), len(all))
	}
	for _, want := range all {
		got, ok := byName[want.Name]
		if !ok {
			t.Fatalf("FindTokens lacks %q", want.Name)
		}
		wantEqual(t, "FindTokens row "+want.Name, *got, *want)
	}
}

func testTokenFindTokenScoped(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", t0.Add(time.Hour))
	mustCreateToken(t, s, o.ID, sa2.ID, "two", "hash-2", time.Time{})

	wantEqual(t, "FindToken", *findToken(t, s, o.ID, sa.ID, tk.ID), *tk)
	ctx := t.Context()
	find := func(orgID, saID, id int64) func(tx warden.Tx) error {
		return func(tx warden.Tx) error { _, err := tx.FindToken(ctx, orgID, saID, id); return err }
	}
	wantNotFound(t, s, []notFoundCase{
		{name: "FindToken in another org", fn: find(other.ID, sa.ID, tk.ID)},
		{name: "FindToken of another account", fn: find(o.ID, sa2.ID, tk.ID)},
		{name: "FindToken of an unknown id", fn: find(o.ID, sa.ID, tk.ID+1000)},
	})
}

func testTokenUpdateToken(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	tk := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "deploy", Hash: "hash-1",
		Created: t0, Updated: t0, LastUsedAt: t0.Add(time.Minute), LastUsedIP: "192.0.2.1", Replaces: 77,
		CreatedBy: warden.TokenCreator{Kind: "user", ID: 1, Login: "admin"}})
	next := mustCreateToken(t, s, o.ID, sa.ID, "next", "hash-2", time.Time{})
	untouched := *next

	// Name, expiry, replacement and update time change (and restrictions: see
	// token_restrictions.go); nothing else does, even when the caller's copy says otherwise.
	want := *tk
	want.Name, want.Expires, want.ReplacedBy, want.Updated = "deploy (rotated)", t0.Add(24*time.Hour), next.ID, t0.Add(time.Hour)
	in := want
	in.Hash, in.Created, in.LastUsedAt, in.LastUsedIP, in.Replaces = "other-hash", t0.Add(-time.Hour), time.Time{}, "", 0
	in.CreatedBy, in.IsRevoked = warden.TokenCreator{Kind: "system"}, true
	update(t, s, func(tx warden.Tx) error { return tx.UpdateToken(ctx, &in) })
	wantEqual(t, "token after UpdateToken", *findToken(t, s, o.ID, sa.ID, tk.ID), want)
	wantEqual(t, "another token after UpdateToken", *findToken(t, s, o.ID, sa.ID, next.ID), untouched)

	// A zero expiry and replacement are stored as none; keeping the name is no conflict.
	want.Expires, want.ReplacedBy, want.Updated = time.Time{}, 0, t0.Add(2*time.Hour)
	in = want
	update(t, s, func(tx warden.Tx) error { return tx.UpdateToken(ctx, &in) })
	wantEqual(t, "token after clearing expiry and replacement", *findToken(t, s, o.ID, sa.ID, tk.ID), want)
}

func testTokenUpdateTokenConflictAndNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")
	saOther := mustCreateServiceAccount(t, s, other.ID, "sa-other")
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", time.Time{})
	mustCreateToken(t, s, o.ID, sa.ID, "taken-here", "hash-2", time.Time{})
	mustCreateToken(t, s, o.ID, sa2.ID, "taken-in-org", "hash-3", time.Time{})
	mustCreateToken(t, s, other.ID, saOther.ID, "used-elsewhere", "hash-4", time.Time{})
	before := *tk

	rename := func(name string) error {
		c := before
		c.Name, c.Updated = name, t0.Add(time.Hour)
		return s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateToken(ctx, &c) })
	}
	wantCode(t, "UpdateToken to a name of the same account", rename("taken-here"), warden.ECONFLICT)
	wantCode(t, "UpdateToken to a name taken in the org", rename("taken-in-org"), warden.ECONFLICT)
	wantEqual(t, "token after refused renames", *findToken(t, s, o.ID, sa.ID, tk.ID), before)
	if err := rename("used-elsewhere"); err != nil {
		t.Fatalf("UpdateToken to a name used in another org: %v", err)
	}
	if got := findToken(t, s, o.ID, sa.ID, tk.ID).Name; got != "used-elsewhere" {
		t.Fatalf("name after rename = %q, want used-elsewhere", got)
	}

	gone := before
	gone.ID = tk.ID + 1000
	wantNotFound(t, s, []notFoundCase{{name: "UpdateToken of an unknown id", write: true,
		fn: func(tx warden.Tx) error { return tx.UpdateToken(ctx, &gone) }}})
}

func testTokenDeleteExpiredByExpiry(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	o2 := mustCreateOrg(t, s, "Other")
	sa1 := mustCreateServiceAccount(t, s, o.ID, "sa-one")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-two")
	sa3 := mustCreateServiceAccount(t, s, o2.ID, "sa-three")
	cut := t0.Add(2 * time.Hour)
	past := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa1.ID, Name: "past", Hash: "h-past",
		Created: t0, Updated: t0, Expires: t0.Add(time.Hour), LastUsedAt: t0.Add(time.Minute), LastUsedIP: "192.0.2.1",
		CreatedBy: warden.TokenCreator{Kind: "user", ID: 1, Login: "admin"}, ReplacedBy: 99, Replaces: 98})
	edge := mustCreateToken(t, s, o.ID, sa1.ID, "edge", "h-edge", cut) // expires exactly at the cut: expired
	future := mustCreateToken(t, s, o.ID, sa1.ID, "future", "h-future", cut.Add(time.Second))
	forever := mustCreateToken(t, s, o.ID, sa1.ID, "forever", "h-forever", time.Time{})
	past2 := mustCreateToken(t, s, o.ID, sa2.ID, "past2", "h-past2", t0.Add(time.Hour))
	forever2 := mustCreateToken(t, s, o.ID, sa2.ID, "forever2", "h-forever2", time.Time{})
	past3 := mustCreateToken(t, s, o2.ID, sa3.ID, "past3", "h-past3", t0.Add(time.Hour))

	// Scoped to one account: its org must match too.
	got := deleteExpired(t, s, warden.ExpiredTokens{OrgID: o2.ID, ServiceAccountID: sa1.ID, ExpiredBefore: cut, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(account of another org)", got, nil,
		[]*warden.Token{past, edge, future, forever, past2, forever2, past3})
	got = deleteExpired(t, s, warden.ExpiredTokens{OrgID: o.ID, ServiceAccountID: sa1.ID, ExpiredBefore: cut, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(one account)", got, []*warden.Token{past, edge},
		[]*warden.Token{future, forever, past2, forever2, past3})
	got = deleteExpired(t, s, warden.ExpiredTokens{OrgID: o.ID, ServiceAccountID: sa1.ID, ExpiredBefore: cut, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(one account) again", got, nil, []*warden.Token{future, forever})

	// Every account of every org; tokens without expiry stay however late the cut.
	got = deleteExpired(t, s, warden.ExpiredTokens{ExpiredBefore: cut, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(all)", got, []*warden.Token{past2, past3},
		[]*warden.Token{future, forever, forever2})
	got = deleteExpired(t, s, warden.ExpiredTokens{ExpiredBefore: t0.AddDate(100, 0, 0), Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(all, far future)", got, []*warden.Token{future},
		[]*warden.Token{forever, forever2})
}

func testTokenDeleteExpiredByCreation(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	o2 := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-one")
	sa2 := mustCreateServiceAccount(t, s, o2.ID, "sa-two")
	limit := t0.AddDate(0, 0, -5)
	row := func(orgID, saID int64, name string, created, expires time.Time) *warden.Token {
		return createTokenRow(t, s, &warden.Token{OrgID: orgID, ServiceAccountID: saID, Name: name, Hash: "h-" + name,
			Created: created, Updated: created, Expires: expires})
	}
	oldForever := row(o.ID, sa.ID, "old-forever", t0.AddDate(0, 0, -10), time.Time{})
	oldFuture := row(o.ID, sa.ID, "old-future", t0.AddDate(0, 0, -10), t0.AddDate(0, 0, 100))
	atLimit := row(o.ID, sa.ID, "at-limit", limit, time.Time{}) // created exactly at the cut: selected
	newForever := row(o.ID, sa.ID, "new-forever", limit.Add(time.Second), time.Time{})
	newExpired := row(o.ID, sa.ID, "new-expired", t0.Add(-time.Hour), t0.Add(-time.Minute))
	otherOld := row(o2.ID, sa2.ID, "other-old", t0.AddDate(0, 0, -10), time.Time{})

	// Without CreatedBefore, old tokens without expiry are not expired.
	got := deleteExpired(t, s, warden.ExpiredTokens{OrgID: o.ID, ServiceAccountID: sa.ID, ExpiredBefore: t0, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(no CreatedBefore)", got, []*warden.Token{newExpired},
		[]*warden.Token{oldForever, oldFuture, atLimit, newForever, otherOld})
	got = deleteExpired(t, s, warden.ExpiredTokens{OrgID: o.ID, ServiceAccountID: sa.ID, ExpiredBefore: t0,
		CreatedBefore: limit, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(CreatedBefore, one account)", got,
		[]*warden.Token{oldForever, oldFuture, atLimit}, []*warden.Token{newForever, otherOld})
	got = deleteExpired(t, s, warden.ExpiredTokens{ExpiredBefore: t0, CreatedBefore: limit, Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens(CreatedBefore, all)", got, []*warden.Token{otherOld},
		[]*warden.Token{newForever})
}

func testTokenDeleteExpiredLimit(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-one")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-two")
	var expired []*warden.Token
	for _, name := range []string{"e1", "e2", "e3", "e4", "e5"} {
		saID := sa.ID
		if name == "e5" {
			saID = sa2.ID
		}
		expired = append(expired, mustCreateToken(t, s, o.ID, saID, name, "h-"+name, t0.Add(-time.Hour)))
	}
	keep := mustCreateToken(t, s, o.ID, sa.ID, "keep", "h-keep", time.Time{})
	f := warden.ExpiredTokens{OrgID: o.ID, ServiceAccountID: sa.ID, ExpiredBefore: t0, Limit: 3}
	first := deleteExpired(t, s, f)
	if len(first) != 3 {
		t.Fatalf("DeleteExpiredTokens(Limit 3) deleted %d tokens (%v), want 3", len(first), tokenIDs(first))
	}
	second := deleteExpired(t, s, f)
	wantDeleted(t, s, "DeleteExpiredTokens(Limit 3) twice", append(first, second...), expired[:4],
		[]*warden.Token{keep, expired[4]})
	f.ServiceAccountID, f.Limit = 0, 1
	wantDeleted(t, s, "DeleteExpiredTokens(all, Limit 1)", deleteExpired(t, s, f), expired[4:],
		[]*warden.Token{keep})
	if got := deleteExpired(t, s, f); len(got) != 0 {
		t.Fatalf("DeleteExpiredTokens with nothing expired deleted %v", tokenIDs(got))
	}
}

func testTokenUpdateTokensLastUsedIP(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	a := mustCreateToken(t, s, o.ID, sa.ID, "a", "hash-a", time.Time{})
	b := mustCreateToken(t, s, o.ID, sa.ID, "b", "hash-b", time.Time{})
	c := mustCreateToken(t, s, o.ID, sa.ID, "c", "hash-c", time.Time{})
	set := func(uses map[int64]warden.TokenUse) {
		t.Helper()
		update(t, s, func(tx warden.Tx) error { return tx.UpdateTokensLastUsed(ctx, uses) })
	}
	want := func(what string, tk *warden.Token, at time.Time, ip string) {
		t.Helper()
		got := findToken(t, s, o.ID, sa.ID, tk.ID)
		if !got.LastUsedAt.Equal(at) || got.LastUsedIP != ip {
			t.Fatalf("%s: token %s last used %v from %q, want %v from %q", what, tk.Name, got.LastUsedAt, got.LastUsedIP, at, ip)
		}
	}

	set(map[int64]warden.TokenUse{a.ID: {At: t0, IP: "192.0.2.1"}, b.ID: {At: t0, IP: ""}})
	want("first use", a, t0, "192.0.2.1")
	want("first use without an address", b, t0, "")
	want("unused", c, time.Time{}, "")

	// An older use (another instance flushing late) moves neither the time nor the address.
	set(map[int64]warden.TokenUse{a.ID: {At: t0.Add(-time.Hour), IP: "192.0.2.2"}})
	want("older use", a, t0, "192.0.2.1")
	// A use at the stored time may bring the address.
	set(map[int64]warden.TokenUse{a.ID: {At: t0, IP: "192.0.2.3"}})
	want("use at the stored time", a, t0, "192.0.2.3")
	// A newer use without an address keeps the stored one.
	set(map[int64]warden.TokenUse{a.ID: {At: t0.Add(time.Hour), IP: ""}})
	want("newer use without an address", a, t0.Add(time.Hour), "192.0.2.3")
	// Newer uses of several tokens at once, each with its own address.
	set(map[int64]warden.TokenUse{
		a.ID: {At: t0.Add(2 * time.Hour), IP: "2001:db8::1"},
		b.ID: {At: t0.Add(time.Minute), IP: "198.51.100.4"},
		c.ID: {At: t0.Add(-time.Hour), IP: "203.0.113.9"},
	})
	want("batch", a, t0.Add(2*time.Hour), "2001:db8::1")
	want("batch", b, t0.Add(time.Minute), "198.51.100.4")
	want("batch, first use", c, t0.Add(-time.Hour), "203.0.113.9")
	// In one batch, an older use of one token does not stop a newer one of another.
	set(map[int64]warden.TokenUse{
		a.ID: {At: t0, IP: "192.0.2.9"},
		b.ID: {At: t0.Add(2 * time.Minute), IP: "198.51.100.5"},
	})
	want("mixed batch, older", a, t0.Add(2*time.Hour), "2001:db8::1")
	want("mixed batch, newer", b, t0.Add(2*time.Minute), "198.51.100.5")
}

func testTokenSearchExpiredByCreation(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	limit := t0.AddDate(0, 0, -5)
	mk := func(orgID int64, login string, created, expires time.Time) {
		t.Helper()
		sa := mustCreateServiceAccount(t, s, orgID, login)
		mustAddOrgUser(t, s, orgID, sa.ID, warden.RoleViewer)
		createTokenRow(t, s, &warden.Token{OrgID: orgID, ServiceAccountID: sa.ID, Name: login, Hash: "h-" + login,
			Created: created, Updated: created, Expires: expires})
	}
	mk(o.ID, "sa-expired", t0.Add(-time.Hour), t0.Add(-time.Minute))
	mk(o.ID, "sa-old", t0.AddDate(0, 0, -10), time.Time{})
	mk(o.ID, "sa-old-future", t0.AddDate(0, 0, -10), t0.AddDate(0, 0, 100))
	mk(o.ID, "sa-at-limit", limit, time.Time{}) // created exactly at the cut: past the limit
	mk(o.ID, "sa-new", limit.Add(time.Second), time.Time{})
	mk(other.ID, "sa-other-old", t0.AddDate(0, 0, -10), time.Time{})

	for _, tc := range []struct {
		f    warden.ServiceAccountFilter
		want []string
	}{
		{warden.ServiceAccountFilter{OrgID: o.ID, ExpiredTokensAt: t0}, []string{"sa-expired"}},
		{warden.ServiceAccountFilter{OrgID: o.ID, ExpiredTokensAt: t0, ExpiredTokensCreatedBefore: limit},
			[]string{"sa-at-limit", "sa-expired", "sa-old", "sa-old-future"}},
		{warden.ServiceAccountFilter{OrgID: other.ID, ExpiredTokensAt: t0, ExpiredTokensCreatedBefore: limit},
			[]string{"sa-other-old"}},
	} {
		as, total := getPage(t, s, "FindServiceAccounts", func(tx warden.Tx) ([]*warden.ServiceAccount, int, error) {
			return tx.FindServiceAccounts(ctx, tc.f)
		})
		logins := []string{}
		for _, a := range as {
			logins = append(logins, a.Login)
		}
		if !slices.Equal(logins, tc.want) || total != len(tc.want) {
			t.Errorf("FindServiceAccounts(%+v) = %q (total %d), want %q", tc.f, logins, total, tc.want)
		}
	}
}

// A flush of many tokens at once (a backlog after an outage) is written whole: SQLite takes at
// most 32,766 parameters a statement, far fewer than 7 for each of 6,000 tokens.
func testTokenUpdateTokensLastUsedManyAtOnce(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	a := mustCreateToken(t, s, o.ID, sa.ID, "a", "hash-a", time.Time{})
	b := mustCreateToken(t, s, o.ID, sa.ID, "b", "hash-b", time.Time{})
	uses := map[int64]warden.TokenUse{a.ID: {At: t0, IP: "192.0.2.1"}, b.ID: {At: t0, IP: "192.0.2.2"}}
	for id := int64(-6000); id < 0; id++ { // no such tokens: ids sorted before the real ones
		uses[id] = warden.TokenUse{At: t0, IP: "192.0.2.9"}
	}
	update(t, s, func(tx warden.Tx) error { return tx.UpdateTokensLastUsed(ctx, uses) })
	for tk, ip := range map[*warden.Token]string{a: "192.0.2.1", b: "192.0.2.2"} {
		got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindToken(ctx, o.ID, sa.ID, tk.ID) })
		if !got.LastUsedAt.Equal(t0) || got.LastUsedIP != ip {
			t.Errorf("token %s after a flush of 6,002 uses: last used %v from %q, want %v from %q", tk.Name, got.LastUsedAt, got.LastUsedIP, t0, ip)
		}
	}
}
