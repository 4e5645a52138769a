package warden_test

// Service-level tests of service-account tokens: issuing (what is stored, the expiry, the day
// limit), revoking and deleting. The token format is tested in token_test.go, and a token's
// use in authentication there and in auth_cache_test.go.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func TestToken_IssueStoresOnlyTheHash(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "ci", "")
	tk, secret, err := e.svc.IssueToken(ctx, a.ID, "test", 0, warden.TokenRestrictions{})
	if err != nil {
		t.Fatal(err)
	}
	key := secret.Reveal()
	if !strings.HasPrefix(key, "glsa_") || len(key) != warden.TokenLen {
		t.Fatalf("key %q", key)
	}
	parsed, ok := warden.ParseSecret(key)
	if !ok {
		t.Fatalf("ParseSecret(%q) failed", key)
	}
	sum := sha256.Sum256([]byte(key))
	wantHash := "sha256:" + hex.EncodeToString(sum[:])
	if parsed.Hash() != wantHash || tk.Hash != wantHash {
		t.Fatalf("hashes: parsed %s, returned %s, want %s", parsed.Hash(), tk.Hash, wantHash)
	}
	var row *warden.Token
	err = e.db.View(context.Background(), func(tx warden.Tx) error {
		var err error
		row, err = tx.FindTokenByHash(context.Background(), parsed.Hash())
		return err
	})
	if err != nil {
		t.Fatalf("FindTokenByHash: %v", err)
	}
	want := warden.Token{ID: tk.ID, OrgID: 1, ServiceAccountID: a.ID, Name: "test", Hash: wantHash, Created: saStart, Updated: saStart,
		CreatedBy: warden.TokenCreator{Kind: "user", ID: 1, Login: "admin"}}
	if !reflect.DeepEqual(*row, want) {
		t.Fatalf("stored %+v, want %+v", *row, want)
	}
	// The plaintext is nowhere in the row.
	if strings.Contains(fmt.Sprintf("%+v", *row), key[5:37]) {
		t.Fatal("the stored row contains the secret")
	}
}

func TestToken_SecondsToLiveSetsExpiry(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "tok", "")
	_, _, err := e.svc.IssueToken(ctx, a.ID, "neg", -10, warden.TokenRestrictions{})
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrInvalidInput", "invalid SecondsToLive value")
	never, s0 := e.token(t, ctx, a.ID, "never", 0)
	ten, s10 := e.token(t, ctx, a.ID, "ten", 10)
	if !never.Expires.IsZero() {
		t.Fatalf("secondsToLive 0: expires %v, want none", never.Expires)
	}
	if want := saStart.Add(10 * time.Second); !ten.Expires.Equal(want) {
		t.Fatalf("secondsToLive 10: expires %v, want %v", ten.Expires, want)
	}
	stored := e.tokens(t, a.ID)
	if len(stored) != 2 {
		t.Fatalf("tokens %+v (the refused one must not be stored)", stored)
	}
	for i, pair := range []struct {
		tk *warden.Token
		s  warden.Secret
	}{{never, s0}, {ten, s10}} {
		got := stored[i]
		if got.ID != pair.tk.ID || got.IsRevoked || got.Hash != pair.s.Hash() || !got.Expires.Equal(pair.tk.Expires) {
			t.Fatalf("stored %+v, want %+v with hash %s", got, pair.tk, pair.s.Hash())
		}
	}
	// A NULL expiry reads back as none, and the expired state follows the clock.
	if stored[0].Expired(saStart.Add(100 * 365 * 24 * time.Hour)) {
		t.Fatal("a never-expiring token expired")
	}
	if stored[1].Expired(saStart.Add(9*time.Second)) || !stored[1].Expired(saStart.Add(10*time.Second)) {
		t.Fatal("a 10-second token's expiry boundary is wrong")
	}
}

func TestToken_IssueForMissingAccountFails(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	for _, id := range []int64{9999, e.admin.ID, 0, -1} {
		_, _, err := e.svc.IssueToken(ctx, id, "x", 0, warden.TokenRestrictions{})
		saWantNotFound(t, err)
	}
	// Nor at the store: the row needs an existing account.
	err := e.db.Update(context.Background(), func(tx warden.Tx) error {
		return tx.CreateToken(context.Background(), &warden.Token{OrgID: 1, ServiceAccountID: 9999, Name: "x",
			Hash: "sha256:x", Created: saStart, Updated: saStart})
	})
	if err == nil {
		t.Fatal("the store accepted a token of a missing account")
	}
}

func TestToken_RevokeMarksOnlyThatToken(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "leaky", "")
	tk, _ := e.token(t, ctx, a.ID, "leaked", 0)
	keep, _ := e.token(t, ctx, a.ID, "safe", 0)
	if err := e.svc.RevokeToken(context.Background(), tk.ID); err != nil {
		t.Fatal(err)
	}
	l := e.tokens(t, a.ID)
	if len(l) != 2 || l[0].ID != tk.ID || !l[0].IsRevoked || l[1].ID != keep.ID || l[1].IsRevoked {
		t.Fatalf("after revoke %+v", l)
	}
	saWantErr(t, e.svc.RevokeToken(context.Background(), 9999), warden.ENOTFOUND,
		"serviceaccounts.ErrTokenNotFound", "service account token not found")
}

func TestToken_DeleteNeedsMatchingOrgAndAccount(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "a", "")
	b := e.newSA(t, ctx, "b", "")
	tk, _ := e.token(t, ctx, a.ID, "t", 0)
	tokenNotFound := func(err error) {
		t.Helper()
		saWantErr(t, err, warden.ENOTFOUND, "serviceaccounts.ErrTokenNotFound", "service account token not found")
	}
	// Wrong account.
	tokenNotFound(e.svc.DeleteToken(ctx, b.ID, tk.ID))
	// Wrong org: the account is not found there.
	org2, err := e.svc.CreateOrg(ctx, "Org2")
	if err != nil {
		t.Fatal(err)
	}
	saWantNotFound(t, e.svc.DeleteToken(e.asUser(t, e.admin, org2.ID), a.ID, tk.ID))
	// The store itself checks all three ids.
	for _, ids := range [][3]int64{{org2.ID, a.ID, tk.ID}, {1, b.ID, tk.ID}, {1, a.ID, tk.ID + 100}} {
		err := e.db.Update(context.Background(), func(tx warden.Tx) error {
			return tx.DeleteToken(context.Background(), ids[0], ids[1], ids[2])
		})
		if warden.ErrorCode(err) != warden.ENOTFOUND {
			t.Fatalf("store DeleteToken%v = %v, want not found", ids, err)
		}
	}
	if l := e.tokens(t, a.ID); len(l) != 1 {
		t.Fatalf("a refused delete removed the token: %+v", l)
	}
	// Token id 0 is invalid input.
	saWantErr(t, e.svc.DeleteToken(ctx, a.ID, 0), warden.EINVALID, "serviceaccounts.ErrInvalidTokenId",
		"invalid service account token id specified")
	// The right ids delete it.
	if err := e.svc.DeleteToken(ctx, a.ID, tk.ID); err != nil {
		t.Fatal(err)
	}
	if l := e.tokens(t, a.ID); len(l) != 0 {
		t.Fatalf("after delete %+v", l)
	}
	tokenNotFound(e.svc.DeleteToken(ctx, a.ID, tk.ID))
}

func TestToken_DayLimitRefusesLongerAndNeverExpiring(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, func(c *warden.Config) { c.TokenExpirationDayLimit = 4 })
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "limited", "")
	// At the store a never-expiring token is allowed whatever the limit.
	err := e.db.Update(context.Background(), func(tx warden.Tx) error {
		return tx.CreateToken(context.Background(), &warden.Token{OrgID: 1, ServiceAccountID: a.ID, Name: "raw",
			Hash: "sha256:raw", Created: saStart, Updated: saStart})
	})
	if err != nil {
		t.Fatalf("store CreateToken without expiry: %v", err)
	}
	if l := e.tokens(t, a.ID); len(l) != 1 || !l[0].Expires.IsZero() {
		t.Fatalf("stored %+v", l)
	}
	// Warden's service refuses it (unlike Grafana, which allows it: README, "Limits on token
	// lifetimes"), like any expiry past the limit's day.
	for _, ttl := range []int64{0, 5 * 24 * 3600} {
		_, _, err := e.svc.IssueToken(ctx, a.ID, fmt.Sprintf("ttl-%d", ttl), ttl, warden.TokenRestrictions{})
		if err != warden.ErrTokenExpiryLimit {
			t.Fatalf("IssueToken(ttl %d) = %v, want ErrTokenExpiryLimit", ttl, err)
		}
	}
	// The limit compares UTC days: the end of the fourth day is still inside.
	e.token(t, ctx, a.ID, "four days", 4*24*3600)
	e.token(t, ctx, a.ID, "end of day four", 4*24*3600+11*3600+59*60)
	_, _, err = e.svc.IssueToken(ctx, a.ID, "day five", 4*24*3600+12*3600, warden.TokenRestrictions{})
	if err != warden.ErrTokenExpiryLimit {
		t.Fatalf("IssueToken(day five) = %v, want ErrTokenExpiryLimit", err)
	}
	_, _, err = e.svc.IssueToken(ctx, a.ID, "negative", -1, warden.TokenRestrictions{})
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrInvalidInput", "invalid SecondsToLive value")
}
