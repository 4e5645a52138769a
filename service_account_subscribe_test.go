package warden_test

// Change notifications (Service.Subscribe) of service accounts, their tokens and their managed
// permissions: each change is announced once, after its commit, naming the account's org.

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
)

// saSeen is one Change and what a reader saw in the database while the listener ran.
type saSeen struct {
	change warden.Change
	state  string
}

// saRecord subscribes a listener that records each Change with a snapshot of the state it
// names, read through a separate read transaction: it shows whether the change was committed
// before the listener was called.
func saRecord(t *testing.T, e *saEnv) func() []saSeen {
	t.Helper()
	var mu sync.Mutex
	var seen []saSeen
	e.svc.Subscribe(func(c warden.Change) {
		state := saSnapshot(e, c)
		mu.Lock()
		seen = append(seen, saSeen{c, state})
		mu.Unlock()
	})
	return func() []saSeen {
		mu.Lock()
		defer mu.Unlock()
		out := seen
		seen = nil
		return out
	}
}

func saSnapshot(e *saEnv, c warden.Change) string {
	ctx := context.Background()
	var state string
	err := e.db.View(ctx, func(tx warden.Tx) error {
		switch c.Kind {
		case warden.ChangeTokenCreated, warden.ChangeTokenDeleted:
			l, err := tx.FindTokens(ctx, c.OrgID, c.ServiceAccountID, 100)
			if err != nil {
				return err
			}
			ids := []string{}
			for _, tk := range l {
				ids = append(ids, fmt.Sprint(tk.ID))
			}
			state = "tokens=" + strings.Join(ids, ",")
		case warden.ChangeServiceAccountUpdated, warden.ChangeServiceAccountDeleted:
			a, err := tx.FindServiceAccount(ctx, c.OrgID, c.ServiceAccountID)
			if warden.ErrorCode(err) == warden.ENOTFOUND {
				state = "gone"
				return nil
			}
			if err != nil {
				return err
			}
			state = fmt.Sprintf("name=%s role=%s disabled=%t", a.Name, a.Role, a.IsDisabled)
		case warden.ChangeManagedPermissionChanged:
			grants, err := tx.FindResourcePermissions(ctx, c.OrgID, warden.ResourceServiceAccounts, c.ServiceAccountID)
			if err != nil {
				return err
			}
			state = "level="
			for _, g := range grants {
				if g.UserID == c.UserID {
					state += string(g.Level)
				}
			}
		}
		return nil
	})
	if err != nil {
		return "error: " + err.Error()
	}
	return state
}

// saWantSeen fails unless exactly the wanted changes were seen, each with its state.
func saWantSeen(t *testing.T, step string, got []saSeen, want ...saSeen) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: changes\n%+v\nwant\n%+v", step, got, want)
	}
}

func TestServiceAccountSubscribe_EachChangeOnceAfterCommit(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	u := e.user(t, "u")
	seen := saRecord(t, e)

	// Creating: the creator's managed permission.
	a := e.newSA(t, ctx, "watched", "")
	saWantSeen(t, "create", seen(), saSeen{warden.Change{Kind: warden.ChangeManagedPermissionChanged, OrgID: 1,
		UserID: e.admin.ID, ServiceAccountID: a.ID}, "level=Admin"})

	// Tokens.
	tk, _ := e.token(t, ctx, a.ID, "t1", 0)
	saWantSeen(t, "issue", seen(), saSeen{warden.Change{Kind: warden.ChangeTokenCreated, OrgID: 1,
		ServiceAccountID: a.ID, TokenID: tk.ID}, fmt.Sprintf("tokens=%d", tk.ID)})
	tk2, _ := e.token(t, ctx, a.ID, "t2", 3600)
	saWantSeen(t, "issue 2", seen(), saSeen{warden.Change{Kind: warden.ChangeTokenCreated, OrgID: 1,
		ServiceAccountID: a.ID, TokenID: tk2.ID}, fmt.Sprintf("tokens=%d,%d", tk.ID, tk2.ID)})
	if err := e.svc.DeleteToken(ctx, a.ID, tk.ID); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "delete token", seen(), saSeen{warden.Change{Kind: warden.ChangeTokenDeleted, OrgID: 1,
		ServiceAccountID: a.ID, TokenID: tk.ID}, fmt.Sprintf("tokens=%d", tk2.ID)})

	// Updates, one per call whatever it changes.
	editor, yes := warden.RoleEditor, true
	name := "renamed"
	if _, err := e.svc.UpdateServiceAccount(ctx, a.ID, warden.ServiceAccountUpdate{Role: &editor}); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "role", seen(), saSeen{warden.Change{Kind: warden.ChangeServiceAccountUpdated, OrgID: 1,
		ServiceAccountID: a.ID}, "name=watched role=Editor disabled=false"})
	if _, err := e.svc.UpdateServiceAccount(ctx, a.ID, warden.ServiceAccountUpdate{Name: &name, IsDisabled: &yes}); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "name+disabled", seen(), saSeen{warden.Change{Kind: warden.ChangeServiceAccountUpdated, OrgID: 1,
		ServiceAccountID: a.ID}, "name=renamed role=Editor disabled=true"})
	// An empty update changes nothing and announces nothing.
	if _, err := e.svc.UpdateServiceAccount(ctx, a.ID, warden.ServiceAccountUpdate{}); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "empty update", seen())

	// Managed permissions.
	if _, err := e.svc.SetServiceAccountUserPermission(ctx, a.ID, u.ID, warden.LevelEdit); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "grant", seen(), saSeen{warden.Change{Kind: warden.ChangeManagedPermissionChanged, OrgID: 1,
		UserID: u.ID, ServiceAccountID: a.ID}, "level=Edit"})
	if _, err := e.svc.SetServiceAccountUserPermission(ctx, a.ID, u.ID, warden.LevelAdmin); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "upgrade", seen(), saSeen{warden.Change{Kind: warden.ChangeManagedPermissionChanged, OrgID: 1,
		UserID: u.ID, ServiceAccountID: a.ID}, "level=Admin"})
	if removed, err := e.svc.SetServiceAccountUserPermission(ctx, a.ID, u.ID, ""); err != nil || !removed {
		t.Fatalf("remove = %v, %v", removed, err)
	}
	saWantSeen(t, "remove", seen(), saSeen{warden.Change{Kind: warden.ChangeManagedPermissionChanged, OrgID: 1,
		UserID: u.ID, ServiceAccountID: a.ID}, "level="})

	// Failures announce nothing.
	admin := warden.RoleAdmin
	_, err := e.svc.UpdateServiceAccount(saAs(warden.KindUser, u.ID, 1, warden.RoleViewer), a.ID, warden.ServiceAccountUpdate{Role: &admin})
	saWantRoleForbidden(t, err)
	_, err = e.svc.UpdateServiceAccount(ctx, 9999, warden.ServiceAccountUpdate{Name: &name})
	saWantNotFound(t, err)
	_, err = e.svc.CreateServiceAccount(ctx, "watched", nil, false)
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrAlreadyExists", "service account already exists")
	_, _, err = e.svc.IssueToken(ctx, a.ID, "t2", 0, warden.TokenRestrictions{})
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrTokenAlreadyExists",
		"service account token with given name already exists in the organization")
	_, _, err = e.svc.IssueToken(ctx, a.ID, "neg", -1, warden.TokenRestrictions{})
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrInvalidInput", "invalid SecondsToLive value")
	saWantErr(t, e.svc.DeleteToken(ctx, a.ID, 9999), warden.ENOTFOUND, "serviceaccounts.ErrTokenNotFound",
		"service account token not found")
	if _, err := e.svc.SetServiceAccountUserPermission(ctx, a.ID, 9999, warden.LevelEdit); err == nil {
		t.Fatal("granted a permission to a missing user")
	}
	if _, err := e.svc.SetServiceAccountUserPermission(ctx, a.ID, u.ID, "Bogus"); err == nil {
		t.Fatal("granted a bogus level")
	}
	saWantNotFound(t, e.svc.DeleteServiceAccount(ctx, 9999))
	saWantSeen(t, "failures", seen())

	// An account created by a service account has no creator grant, so nothing to announce.
	b := e.newSA(t, saAs(warden.KindServiceAccount, a.ID, 1, warden.RoleAdmin, saCreatePerm), "made by a token", "")
	saWantSeen(t, "create by token", seen())

	// Deleting the account: one change, after its row and tokens are gone.
	if err := e.svc.DeleteServiceAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "delete", seen(), saSeen{warden.Change{Kind: warden.ChangeServiceAccountDeleted, OrgID: 1,
		ServiceAccountID: a.ID}, "gone"})
	if l := e.tokens(t, a.ID); len(l) != 0 {
		t.Fatalf("tokens of the deleted account: %+v", l)
	}
	if err := e.svc.DeleteServiceAccount(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	saWantSeen(t, "delete b", seen(), saSeen{warden.Change{Kind: warden.ChangeServiceAccountDeleted, OrgID: 1,
		ServiceAccountID: b.ID}, "gone"})
}

// The org in each Change is the account's: a change in org 2 names org 2.
func TestServiceAccountSubscribe_OrgOfTheChange(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	org2, err := e.svc.CreateOrg(e.asAdmin(t), "Org2")
	if err != nil {
		t.Fatal(err)
	}
	ctx := e.asUser(t, e.admin, org2.ID)
	seen := saRecord(t, e)
	a := e.newSA(t, ctx, "two", "")
	tk, _ := e.token(t, ctx, a.ID, "t", 0)
	if err := e.svc.DeleteServiceAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range seen() {
		if s.change.OrgID != org2.ID || s.change.ServiceAccountID != a.ID {
			t.Fatalf("change %+v does not name org %d and account %d", s.change, org2.ID, a.ID)
		}
		if s.change.Kind == warden.ChangeTokenCreated && s.change.TokenID != tk.ID {
			t.Fatalf("token change %+v", s.change)
		}
		kinds = append(kinds, string(s.change.Kind))
	}
	sort.Strings(kinds)
	want := []string{string(warden.ChangeManagedPermissionChanged), string(warden.ChangeServiceAccountDeleted), string(warden.ChangeTokenCreated)}
	sort.Strings(want)
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
}
