// Tokens: create, find, list, revoke and delete a service account's tokens, FindTokenIdentity,
// UpdateTokensLastUsed, and the tokens going with their account.

package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var tokenTests = []contractTest{
	{"Token/CreateFindDelete", testTokenCreateFindDelete},
	{"Token/NotFound", testTokenNotFound},
	{"Token/Conflict", testTokenConflict},
	{"Token/Revoke", testTokenRevoke},
	{"Token/FindTokenIdentity", testTokenFindIdentity},
	{"Token/UpdateTokensLastUsed", testTokenUpdateTokensLastUsed},
	{"Token/DeletedWithAccount", testTokenDeletedWithAccount},
}

func testTokenCreateFindDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")

	// Never expires, never used: the zero times stay zero.
	plain := &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "zeta", Hash: "hash-zeta",
		Created: t0, Updated: t0.Add(time.Second)}
	full := &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "alpha", Hash: "hash-alpha",
		Created: t0, Updated: t0, Expires: t0.Add(24 * time.Hour), LastUsedAt: t0.Add(time.Minute)}
	update(t, s, func(tx warden.Tx) error {
		if err := tx.CreateToken(ctx, plain); err != nil {
			return err
		}
		return tx.CreateToken(ctx, full)
	})
	if plain.ID == 0 || full.ID == 0 {
		t.Fatal("CreateToken left ID 0")
	}
	for _, want := range []*warden.Token{plain, full} {
		got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, want.Hash) })
		wantEqual(t, "FindTokenByHash("+want.Hash+")", *got, *want)
	}

	names := func(orgID, saID int64, limit int) []string {
		t.Helper()
		tks := get(t, s, func(tx warden.Tx) ([]*warden.Token, error) { return tx.FindTokens(ctx, orgID, saID, limit) })
		out := []string{}
		for _, tk := range tks {
			out = append(out, tk.Name)
		}
		return out
	}
	if got, want := names(o.ID, sa.ID, 10), []string{"alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("FindTokens=%q, want %q", got, want)
	}
	if got, want := names(o.ID, sa.ID, 1), []string{"alpha"}; !slices.Equal(got, want) {
		t.Fatalf("FindTokens(limit 1)=%q, want %q", got, want)
	}
	if got := names(other.ID, sa.ID, 10); len(got) != 0 {
		t.Fatalf("FindTokens(other org)=%q, want none", got)
	}
	if got := names(o.ID, sa2.ID, 10); len(got) != 0 {
		t.Fatalf("FindTokens(other account)=%q, want none", got)
	}

	// DeleteToken checks the org and the account.
	for _, c := range []struct {
		name        string
		orgID, saID int64
	}{
		{"other org", other.ID, sa.ID},
		{"other account", o.ID, sa2.ID},
	} {
		err := s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteToken(ctx, c.orgID, c.saID, full.ID) })
		wantCode(t, "DeleteToken("+c.name+")", err, warden.ENOTFOUND)
	}
	if !tokenExists(t, s, full.Hash) {
		t.Fatal("token gone after refused deletes")
	}
	update(t, s, func(tx warden.Tx) error { return tx.DeleteToken(ctx, o.ID, sa.ID, full.ID) })
	if tokenExists(t, s, full.Hash) {
		t.Fatal("token found after DeleteToken")
	}
	if !tokenExists(t, s, plain.Hash) {
		t.Fatal("DeleteToken removed another token")
	}
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteToken(ctx, o.ID, sa.ID, full.ID) })
	wantCode(t, "DeleteToken twice", err, warden.ENOTFOUND)
}

func testTokenNotFound(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", time.Time{})
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTokenByHash(ctx, "hash-2"); return err })
	wantCode(t, "FindTokenByHash", err, warden.ENOTFOUND)
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteToken(ctx, o.ID, sa.ID, tk.ID+1000) })
	wantCode(t, "DeleteToken", err, warden.ENOTFOUND)
}

func testTokenConflict(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	other := mustCreateOrg(t, s, "Other")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	sa2 := mustCreateServiceAccount(t, s, o.ID, "sa-deploy")
	saOther := mustCreateServiceAccount(t, s, other.ID, "sa-other")
	mustCreateToken(t, s, o.ID, sa.ID, "ci", "hash-1", time.Time{})

	create := func(orgID, saID int64, name, hash string) error {
		return s.Update(ctx, func(tx warden.Tx) error {
			return tx.CreateToken(ctx, &warden.Token{OrgID: orgID, ServiceAccountID: saID, Name: name, Hash: hash,
				Created: t0, Updated: t0})
		})
	}
	wantCode(t, "CreateToken with a taken name", create(o.ID, sa.ID, "ci", "hash-2"), warden.ECONFLICT)
	wantCode(t, "CreateToken with a name taken in the org", create(o.ID, sa2.ID, "ci", "hash-3"), warden.ECONFLICT)
	wantCode(t, "CreateToken with a taken hash", create(o.ID, sa.ID, "other", "hash-1"), warden.ECONFLICT)
	if err := create(other.ID, saOther.ID, "ci", "hash-4"); err != nil {
		t.Fatalf("CreateToken with a name used in another org: %v", err)
	}
	for _, hash := range []string{"hash-2", "hash-3"} {
		if tokenExists(t, s, hash) {
			t.Fatalf("token %q of a failed CreateToken exists", hash)
		}
	}
}

func testTokenRevoke(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", time.Time{})
	other := mustCreateToken(t, s, o.ID, sa.ID, "two", "hash-2", time.Time{})
	update(t, s, func(tx warden.Tx) error { return tx.RevokeToken(ctx, tk.ID) })
	got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, tk.Hash) })
	if !got.IsRevoked {
		t.Fatal("IsRevoked=false after RevokeToken")
	}
	got = get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, other.Hash) })
	if got.IsRevoked {
		t.Fatal("RevokeToken revoked another token")
	}
	tks := get(t, s, func(tx warden.Tx) ([]*warden.Token, error) { return tx.FindTokens(ctx, o.ID, sa.ID, 10) })
	if got, want := len(tks), 2; got != want {
		t.Fatalf("len(FindTokens) after RevokeToken=%d, want %d (revoked tokens stay listed)", got, want)
	}
}

func testTokenFindIdentity(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleEditor)
	exp := t0.Add(time.Hour)
	tk := mustCreateToken(t, s, o.ID, sa.ID, "one", "hash-1", exp)
	id := get(t, s, func(tx warden.Tx) (*warden.TokenIdentity, error) { return tx.FindTokenIdentity(ctx, "hash-1") })
	wantEqual(t, "FindTokenIdentity token", *id.Token, *tk)
	a := id.Account
	if a.ID != sa.ID || a.UID != sa.UID || a.Login != sa.Login || a.Email != sa.Email || a.Name != sa.Name ||
		!a.IsServiceAccount || a.IsDisabled || id.Role != warden.RoleEditor {
		t.Fatalf("FindTokenIdentity = account %+v role %q, want %s as Editor", a, id.Role, sa.Login)
	}

	// Disabled and revoked show; an unknown hash and a token whose account left the token's
	// org are not found.
	sa.IsDisabled = true
	update(t, s, func(tx warden.Tx) error { return tx.UpdateUser(ctx, sa) })
	update(t, s, func(tx warden.Tx) error { return tx.RevokeToken(ctx, tk.ID) })
	id = get(t, s, func(tx warden.Tx) (*warden.TokenIdentity, error) { return tx.FindTokenIdentity(ctx, "hash-1") })
	if !id.Account.IsDisabled || !id.Token.IsRevoked {
		t.Fatalf("after disable and revoke: disabled %v revoked %v, want both", id.Account.IsDisabled, id.Token.IsRevoked)
	}
	err := s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTokenIdentity(ctx, "hash-x"); return err })
	wantCode(t, "FindTokenIdentity of an unknown hash", err, warden.ENOTFOUND)
	update(t, s, func(tx warden.Tx) error { return tx.RemoveOrgUser(ctx, o.ID, sa.ID) })
	err = s.View(ctx, func(tx warden.Tx) error { _, err := tx.FindTokenIdentity(ctx, "hash-1"); return err })
	wantCode(t, "FindTokenIdentity without membership", err, warden.ENOTFOUND)
}

func testTokenUpdateTokensLastUsed(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	used := mustCreateToken(t, s, o.ID, sa.ID, "used", "hash-used", time.Time{})
	fresh := mustCreateToken(t, s, o.ID, sa.ID, "fresh", "hash-fresh", time.Time{})
	idle := mustCreateToken(t, s, o.ID, sa.ID, "idle", "hash-idle", time.Time{})
	lastUsed := func(tk *warden.Token) time.Time {
		t.Helper()
		return get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, tk.Hash) }).LastUsedAt
	}
	set := func(times map[int64]time.Time) {
		t.Helper()
		uses := map[int64]warden.TokenUse{}
		for id, at := range times {
			uses[id] = warden.TokenUse{At: at}
		}
		update(t, s, func(tx warden.Tx) error { return tx.UpdateTokensLastUsed(ctx, uses) })
	}

	set(map[int64]time.Time{used.ID: t0})
	set(map[int64]time.Time{used.ID: t0.Add(-time.Hour), fresh.ID: t0.Add(time.Minute)})
	if got, want := lastUsed(used), t0; !got.Equal(want) {
		t.Fatalf("LastUsedAt after an older use=%v, want %v (never backwards)", got, want)
	}
	if got, want := lastUsed(fresh), t0.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("LastUsedAt=%v, want %v", got, want)
	}
	if got := lastUsed(idle); !got.IsZero() {
		t.Fatalf("LastUsedAt of an unused token=%v, want zero", got)
	}
	set(map[int64]time.Time{used.ID: t0.Add(2 * time.Hour)})
	if got, want := lastUsed(used), t0.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("LastUsedAt after a newer use=%v, want %v", got, want)
	}
	set(map[int64]time.Time{})
	set(nil)
	if got, want := lastUsed(used), t0.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("LastUsedAt after an empty update=%v, want %v", got, want)
	}
}

func testTokenDeletedWithAccount(t *testing.T, s warden.Store) {
	ctx := t.Context()
	gone := mustCreateOrg(t, s, "Gone")
	kept := mustCreateOrg(t, s, "Kept")
	saGone := mustCreateServiceAccount(t, s, gone.ID, "sa-gone")
	saDeleted := mustCreateServiceAccount(t, s, kept.ID, "sa-deleted")
	saKept := mustCreateServiceAccount(t, s, kept.ID, "sa-kept")
	mustCreateToken(t, s, gone.ID, saGone.ID, "t", "hash-org", time.Time{})
	mustCreateToken(t, s, kept.ID, saDeleted.ID, "t1", "hash-user", time.Time{})
	mustCreateToken(t, s, kept.ID, saKept.ID, "t2", "hash-kept", time.Time{})

	update(t, s, func(tx warden.Tx) error { return tx.DeleteUser(ctx, saDeleted.ID) })
	if tokenExists(t, s, "hash-user") {
		t.Fatal("token of a deleted service account remains")
	}
	update(t, s, func(tx warden.Tx) error { return tx.DeleteOrg(ctx, gone.ID) })
	if tokenExists(t, s, "hash-org") {
		t.Fatal("token of a deleted org's service account remains")
	}
	if !tokenExists(t, s, "hash-kept") {
		t.Fatal("token of an untouched service account was deleted")
	}
	got := get(t, s, func(tx warden.Tx) (*warden.ServiceAccount, error) {
		return tx.FindServiceAccount(ctx, kept.ID, saKept.ID)
	})
	if got, want := got.Tokens, 1; got != want {
		t.Fatalf("Tokens=%d, want %d", got, want)
	}
}
