// Token restrictions: the role cap, scopes and address ranges of a token, stored by CreateToken
// and UpdateToken and read back, unchanged, by every token look-up; a token without them reads
// back with the zero TokenRestrictions (nil slices).

package storetest

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var tokenRestrictionsTests = []contractTest{
	{"Token/RestrictionsRoundTrip", testTokenRestrictionsRoundTrip},
	{"Token/UpdateTokenRestrictions", testTokenUpdateTokenRestrictions},
	{"Token/DeleteExpiredReturnsRestrictions", testTokenDeleteExpiredReturnsRestrictions},
}

// fullRestrictions returns restrictions using every field: a role cap, two scopes (not in
// sorted order) and an IPv4 and an IPv6 range.
func fullRestrictions() warden.TokenRestrictions {
	return warden.TokenRestrictions{
		Role:         warden.RoleViewer,
		Scopes:       []string{"reports.read", "orders:write"},
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")},
	}
}

// wantZeroRestrictions fails unless r is exactly the zero TokenRestrictions: no role, and nil
// (not empty) slices.
func wantZeroRestrictions(t *testing.T, what string, r warden.TokenRestrictions) {
	t.Helper()
	if !reflect.DeepEqual(r, warden.TokenRestrictions{}) {
		t.Fatalf("%s restrictions=%#v, want the zero TokenRestrictions", what, r)
	}
}

// wantTokenEverywhere fails unless FindToken, FindTokenByHash, FindTokenIdentity and FindTokens
// all read want back, restrictions and all; FindTokenIdentity's role is the account's
// (accountRole), whatever the token's cap.
func wantTokenEverywhere(t *testing.T, s warden.Store, what string, want *warden.Token, accountRole warden.OrgRole) {
	t.Helper()
	ctx := t.Context()
	wantEqual(t, what+": FindToken", *findToken(t, s, want.OrgID, want.ServiceAccountID, want.ID), *want)
	got := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, want.Hash) })
	wantEqual(t, what+": FindTokenByHash", *got, *want)
	id := get(t, s, func(tx warden.Tx) (*warden.TokenIdentity, error) { return tx.FindTokenIdentity(ctx, want.Hash) })
	wantEqual(t, what+": FindTokenIdentity.Token", *id.Token, *want)
	if id.Role != accountRole {
		t.Fatalf("%s: FindTokenIdentity.Role=%q, want the account's role %q", what, id.Role, accountRole)
	}
	listed := get(t, s, func(tx warden.Tx) ([]*warden.Token, error) {
		return tx.FindTokens(ctx, want.OrgID, want.ServiceAccountID, 100)
	})
	for _, tk := range listed {
		if tk.ID == want.ID {
			wantEqual(t, what+": FindTokens row", *tk, *want)
			return
		}
	}
	t.Fatalf("%s: FindTokens lacks token %d (%q)", what, want.ID, want.Name)
}

func testTokenRestrictionsRoundTrip(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleEditor)

	full := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "restricted",
		Hash: "hash-restricted", Created: t0, Updated: t0, Restrictions: fullRestrictions()})
	// Each field alone, so that none is read from another's column or comes back empty but
	// not nil when another is set.
	roleOnly := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "role-only",
		Hash: "hash-role", Created: t0, Updated: t0, Restrictions: warden.TokenRestrictions{Role: warden.RoleNone}})
	scopesOnly := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "scopes-only",
		Hash: "hash-scopes", Created: t0, Updated: t0, Restrictions: warden.TokenRestrictions{Scopes: []string{"a"}}})
	rangesOnly := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "ranges-only",
		Hash: "hash-ranges", Created: t0, Updated: t0, Restrictions: warden.TokenRestrictions{
			AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::7/128")}}})
	bare := mustCreateToken(t, s, o.ID, sa.ID, "bare", "hash-bare", time.Time{})
	wantZeroRestrictions(t, "mustCreateToken's token", bare.Restrictions)

	for _, want := range []*warden.Token{full, roleOnly, scopesOnly, rangesOnly, bare} {
		wantTokenEverywhere(t, s, want.Name, want, warden.RoleEditor)
	}
	// The equality above already covers it; said once more in the contract's own words.
	wantZeroRestrictions(t, "unrestricted token after FindToken", findToken(t, s, o.ID, sa.ID, bare.ID).Restrictions)
	if got := findToken(t, s, o.ID, sa.ID, full.ID).Restrictions; !reflect.DeepEqual(got, fullRestrictions()) {
		t.Fatalf("restricted token after FindToken: restrictions=%#v, want %#v", got, fullRestrictions())
	}
}

func testTokenUpdateTokenRestrictions(t *testing.T, s warden.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	mustAddOrgUser(t, s, o.ID, sa.ID, warden.RoleAdmin)
	tk := mustCreateToken(t, s, o.ID, sa.ID, "deploy", "hash-1", time.Time{})
	other := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "other",
		Hash: "hash-2", Created: t0, Updated: t0, Restrictions: fullRestrictions()})
	untouched := *other

	step := func(what string, r warden.TokenRestrictions, want warden.TokenRestrictions, updated time.Time) {
		t.Helper()
		in := *findToken(t, s, o.ID, sa.ID, tk.ID)
		in.Restrictions, in.Updated = r, updated
		update(t, s, func(tx warden.Tx) error { return tx.UpdateToken(ctx, &in) })
		w := in
		w.Restrictions = want
		wantTokenEverywhere(t, s, what, &w, warden.RoleAdmin)
		wantEqual(t, what+": another token", *findToken(t, s, o.ID, sa.ID, other.ID), untouched)
	}
	// Set on a token that had none, changed, then cleared; empty slices are stored as none and
	// read back nil.
	step("UpdateToken setting restrictions", fullRestrictions(), fullRestrictions(), t0.Add(time.Hour))
	changed := warden.TokenRestrictions{Role: warden.RoleEditor, Scopes: []string{"orders:read"},
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}
	step("UpdateToken changing restrictions", changed, changed, t0.Add(2*time.Hour))
	step("UpdateToken clearing restrictions", warden.TokenRestrictions{}, warden.TokenRestrictions{}, t0.Add(3*time.Hour))
	wantZeroRestrictions(t, "token after clearing", findToken(t, s, o.ID, sa.ID, tk.ID).Restrictions)
	step("UpdateToken setting restrictions again", fullRestrictions(), fullRestrictions(), t0.Add(4*time.Hour))
	step("UpdateToken with empty slices", warden.TokenRestrictions{Scopes: []string{}, AllowedCIDRs: []netip.Prefix{}},
		warden.TokenRestrictions{}, t0.Add(5*time.Hour))
	wantZeroRestrictions(t, "token after UpdateToken with empty slices", findToken(t, s, o.ID, sa.ID, tk.ID).Restrictions)
}

func testTokenDeleteExpiredReturnsRestrictions(t *testing.T, s warden.Store) {
	o := mustCreateOrg(t, s, "Acme")
	sa := mustCreateServiceAccount(t, s, o.ID, "sa-ci")
	restricted := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "restricted",
		Hash: "h-restricted", Created: t0, Updated: t0, Expires: t0.Add(time.Hour), Restrictions: fullRestrictions()})
	bare := mustCreateToken(t, s, o.ID, sa.ID, "bare", "h-bare", t0.Add(time.Hour))
	kept := createTokenRow(t, s, &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "kept",
		Hash: "h-kept", Created: t0, Updated: t0, Restrictions: fullRestrictions()})

	got := deleteExpired(t, s, warden.ExpiredTokens{ExpiredBefore: t0.Add(2 * time.Hour), Limit: 100})
	wantDeleted(t, s, "DeleteExpiredTokens", got, []*warden.Token{restricted, bare}, []*warden.Token{kept})
	for _, tk := range got {
		switch tk.ID {
		case restricted.ID:
			if !reflect.DeepEqual(tk.Restrictions, fullRestrictions()) {
				t.Fatalf("DeleteExpiredTokens returned restrictions=%#v, want %#v", tk.Restrictions, fullRestrictions())
			}
		case bare.ID:
			wantZeroRestrictions(t, "DeleteExpiredTokens' unrestricted token", tk.Restrictions)
		}
	}
}

// UnparseableTokenRestrictions checks that a restriction column holding what the store cannot
// parse (written by hand, or by a newer Warden) makes every read of the token whose hash is hash
// an error naming the value, and that DeleteExpiredTokens fails without deleting it: a token
// never loses a restriction silently. Only the store's own test can write such a value: it
// does so with set (column, value, token id), and count returns how many rows hold the id.
func UnparseableTokenRestrictions(t *testing.T, st warden.Store, hash string,
	set func(column, value string, id int64), count func(id int64) int) {
	t.Helper()
	var tk *warden.Token
	if err := st.View(t.Context(), func(tx warden.Tx) error {
		var err error
		tk, err = tx.FindTokenByHash(t.Context(), hash)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ column, value, bad string }{
		{"role", "Superuser", "Superuser"},
		{"allowed_cidrs", "10.0.0.0/8 not-a-range", "not-a-range"},
	} {
		for _, col := range []string{"role", "scopes", "allowed_cidrs"} {
			set(col, "", tk.ID)
		}
		set(c.column, c.value, tk.ID)
		wantTokenUnreadable(t, st, tk, c.bad)
		if n := count(tk.ID); n != 1 {
			t.Fatalf("the failed DeleteExpiredTokens deleted the token holding %q", c.bad)
		}
	}
}

// wantTokenUnreadable checks that every read of tk fails with an error that names bad, and
// that DeleteExpiredTokens fails.
func wantTokenUnreadable(t *testing.T, st warden.Store, tk *warden.Token, bad string) {
	t.Helper()
	ctx := t.Context()
	far := time.Now().AddDate(100, 0, 0)
	for _, c := range []struct {
		name  string
		write bool
		fn    func(tx warden.Tx) error
	}{
		{"FindToken", false, func(tx warden.Tx) error {
			_, err := tx.FindToken(ctx, tk.OrgID, tk.ServiceAccountID, tk.ID)
			return err
		}},
		{"FindTokenByHash", false, func(tx warden.Tx) error { _, err := tx.FindTokenByHash(ctx, tk.Hash); return err }},
		{"FindTokenIdentity", false, func(tx warden.Tx) error { _, err := tx.FindTokenIdentity(ctx, tk.Hash); return err }},
		{"FindTokens", false, func(tx warden.Tx) error {
			_, err := tx.FindTokens(ctx, tk.OrgID, tk.ServiceAccountID, 10)
			return err
		}},
		{"DeleteExpiredTokens", true, func(tx warden.Tx) error {
			_, err := tx.DeleteExpiredTokens(ctx, warden.ExpiredTokens{ExpiredBefore: far, CreatedBefore: far, Limit: 10})
			return err
		}},
	} {
		run := st.View
		if c.write {
			run = st.Update
		}
		err := run(ctx, c.fn)
		if err == nil || warden.ErrorCode(err) == warden.ENOTFOUND || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s of a token holding %q: err=%v, want an error naming it", c.name, bad, err)
		}
	}
}
