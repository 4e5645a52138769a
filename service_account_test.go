package warden_test

// Service-level tests of service accounts: creating them (including premises that cannot be
// built over HTTP, such as a Viewer holding serviceaccounts:create), finding, searching,
// updating and deleting them. Their tokens are tested in service_account_token_test.go, their
// change notifications in service_account_subscribe_test.go, and the HTTP API in cmd/warden.
// This file also holds the helpers (saEnv) those files and the cache tests share.
//
// Principals are hand-built where the premise needs a role/permission combination Warden's
// basic roles never produce; otherwise they are loaded with UserPrincipal, as a request would.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// saClock is a controllable clock for Service.Now.
type saClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *saClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *saClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// saEnv is a bootstrapped Service over a fresh SQLite file, with an injected clock.
type saEnv struct {
	svc   *warden.Service
	db    *sqlite.DB
	clock *saClock
	admin *warden.User
}

var saStart = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

// newSAEnv opens a new database and bootstraps org 1 with the server admin "admin". configure,
// when not nil, adjusts the default config first.
func newSAEnv(t *testing.T, configure func(*warden.Config)) *saEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := testConfig()
	if configure != nil {
		configure(&cfg)
	}
	svc := warden.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	clock := &saClock{now: saStart}
	svc.Now = clock.Now
	if _, created, err := svc.Bootstrap(ctx, "admin", "admin@localhost", "admin-pass"); err != nil || !created {
		t.Fatalf("Bootstrap = (created %v, %v)", created, err)
	}
	admin, err := svc.LookupUser(ctx, "admin")
	if err != nil {
		t.Fatalf("LookupUser(admin): %v", err)
	}
	return &saEnv{svc: svc, db: db, clock: clock, admin: admin}
}

// asUser returns a context acting as a real user in an org, with the permissions a request
// would load.
func (e *saEnv) asUser(t *testing.T, u *warden.User, orgID int64) context.Context {
	t.Helper()
	p, err := e.svc.UserPrincipal(context.Background(), u, orgID)
	if err != nil {
		t.Fatalf("UserPrincipal(%s, %d): %v", u.Login, orgID, err)
	}
	return warden.NewContextWithPrincipal(context.Background(), p)
}

// asAdmin acts as the server admin, an org Admin of org 1.
func (e *saEnv) asAdmin(t *testing.T) context.Context { return e.asUser(t, e.admin, 1) }

// saAs returns a context carrying a hand-built principal.
func saAs(kind warden.PrincipalKind, userID, orgID int64, role warden.OrgRole, perms ...warden.Permission) context.Context {
	return warden.NewContextWithPrincipal(context.Background(), &warden.Principal{
		Kind: kind, UserID: userID, OrgID: orgID, OrgRole: role, AuthMethod: "basic",
		Permissions: warden.NewPermissions(perms),
	})
}

// saRead is serviceaccounts:read on one scope.
func saRead(scope string) warden.Permission {
	return warden.Permission{Action: warden.ActionSARead, Scope: scope}
}

var saCreatePerm = warden.Permission{Action: warden.ActionSACreate}

// user creates a human user (placed in org 1 as Viewer).
func (e *saEnv) user(t *testing.T, login string) *warden.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), warden.CreateUserInput{
		Login: login, Email: login + "@example.com", Name: login, Password: "password1"})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", login, err)
	}
	return u
}

// newSA creates a service account; role "" means the default.
func (e *saEnv) newSA(t *testing.T, ctx context.Context, name string, role warden.OrgRole) *warden.ServiceAccount {
	t.Helper()
	var r *warden.OrgRole
	if role != "" {
		r = &role
	}
	a, err := e.svc.CreateServiceAccount(ctx, name, r, false)
	if err != nil {
		t.Fatalf("CreateServiceAccount(%q): %v", name, err)
	}
	return a
}

// token issues a token.
func (e *saEnv) token(t *testing.T, ctx context.Context, saID int64, name string, secondsToLive int64) (*warden.Token, warden.Secret) {
	t.Helper()
	tk, s, err := e.svc.IssueToken(ctx, saID, name, secondsToLive, warden.TokenRestrictions{})
	if err != nil {
		t.Fatalf("IssueToken(%d, %q, %d): %v", saID, name, secondsToLive, err)
	}
	return tk, s
}

// tokens lists an account's tokens as the admin.
func (e *saEnv) tokens(t *testing.T, saID int64) []*warden.Token {
	t.Helper()
	l, err := e.svc.ListTokens(e.asAdmin(t), saID)
	if err != nil {
		t.Fatalf("ListTokens(%d): %v", saID, err)
	}
	return l
}

// saWantErr fails unless err is a *warden.Error with the code, message id and message.
func saWantErr(t *testing.T, err error, code, messageID, message string) {
	t.Helper()
	var e *warden.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *warden.Error %s %q", err, err, code, message)
	}
	if e.Code != code || e.MessageID != messageID || e.Message != message {
		t.Fatalf("err = {%s %q %q}, want {%s %q %q}", e.Code, e.MessageID, e.Message, code, messageID, message)
	}
}

// saWantSA fails unless got equals want field by field (times compared as instants).
func saWantSA(t *testing.T, got, want *warden.ServiceAccount) {
	t.Helper()
	g, w := *got, *want
	if !g.Created.Equal(w.Created) || !g.Updated.Equal(w.Updated) {
		t.Fatalf("times %v/%v, want %v/%v", g.Created, g.Updated, w.Created, w.Updated)
	}
	g.Created, g.Updated, w.Created, w.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Fatalf("service account %+v, want %+v", g, w)
	}
}

func saWantNotFound(t *testing.T, err error) {
	t.Helper()
	saWantErr(t, err, warden.ENOTFOUND, "serviceaccounts.ErrNotFound", "service account not found")
}

func saWantRoleForbidden(t *testing.T, err error) {
	t.Helper()
	saWantErr(t, err, warden.EFORBIDDEN, "serviceaccounts.ErrRoleForbidden", "can not assign a role higher than user's role")
}

// search runs a search as ctx and returns the logins and the total.
func (e *saEnv) search(t *testing.T, ctx context.Context, f warden.ServiceAccountFilter) ([]*warden.ServiceAccount, []string, int) {
	t.Helper()
	list, total, err := e.svc.SearchServiceAccounts(ctx, f)
	if err != nil {
		t.Fatalf("SearchServiceAccounts(%+v): %v", f, err)
	}
	logins := []string{}
	for _, a := range list {
		logins = append(logins, a.Login)
	}
	return list, logins, total
}

// ---------------------------------------------------------------------------------------------
// The role rule on create and update, with premises that need a Viewer holding
// serviceaccounts:create.

func TestServiceAccounts_ViewerWithCreatePermissionCanCreate(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	v := e.user(t, "viewer")
	ctx := saAs(warden.KindUser, v.ID, 1, warden.RoleViewer, saCreatePerm)
	role := warden.RoleViewer
	a, err := e.svc.CreateServiceAccount(ctx, "test", &role, false)
	if err != nil {
		t.Fatalf("CreateServiceAccount: %v", err)
	}
	saWantSA(t, a, &warden.ServiceAccount{ID: a.ID, UID: a.UID, OrgID: 1, Name: "test", Login: "sa-1-test",
		Role: warden.RoleViewer, Created: saStart, Updated: saStart})
	// The creator holds the managed Admin permission on it, and through it read/write/delete.
	perms, err := e.svc.ServiceAccountPermissions(e.asAdmin(t), a.ID)
	if err != nil || len(perms) != 1 || perms[0].UserID != v.ID || perms[0].Level != warden.LevelAdmin {
		t.Fatalf("permissions = %+v, %v; want the creator's Admin only", perms, err)
	}
	p, err := e.svc.UserPrincipal(context.Background(), v, 1)
	if err != nil {
		t.Fatal(err)
	}
	scope := warden.ScopeServiceAccount(a.ID)
	for _, action := range []string{warden.ActionSARead, warden.ActionSAWrite, warden.ActionSADelete,
		warden.ActionSAPermissionsRead, warden.ActionSAPermissionsWrite} {
		if !p.Permissions.Evaluate(action, scope) {
			t.Errorf("creator lacks %s on %s", action, scope)
		}
	}
	if p.Permissions.Evaluate(warden.ActionSARead, warden.ScopeServiceAccount(a.ID+1)) {
		t.Error("creator can read another account")
	}
	// Without a role the default is Viewer, which a Viewer includes.
	b := e.newSA(t, ctx, "default role", "")
	if b.Role != warden.RoleViewer {
		t.Fatalf("default role = %s", b.Role)
	}
}

func TestServiceAccounts_ViewerCannotCreateEditor(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	v := e.user(t, "viewer")
	ctx := saAs(warden.KindUser, v.ID, 1, warden.RoleViewer, saCreatePerm)
	role := warden.RoleEditor
	_, err := e.svc.CreateServiceAccount(ctx, "test", &role, false)
	saWantRoleForbidden(t, err)
	if _, logins, total := e.search(t, e.asAdmin(t), warden.ServiceAccountFilter{}); total != 0 {
		t.Fatalf("a refused create left %v", logins)
	}
	// Nor does an existing name change the answer: the role is refused first.
	e.newSA(t, e.asAdmin(t), "taken", "")
	_, err = e.svc.CreateServiceAccount(ctx, "taken", &role, false)
	saWantRoleForbidden(t, err)
}

func TestServiceAccounts_RoleCannotExceedCallers(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	v := e.user(t, "viewer")
	for _, tc := range []struct {
		caller  warden.OrgRole
		allowed []warden.OrgRole
		refused []warden.OrgRole
	}{
		{warden.RoleNone, []warden.OrgRole{warden.RoleNone}, []warden.OrgRole{warden.RoleViewer, warden.RoleEditor, warden.RoleAdmin}},
		{warden.RoleViewer, []warden.OrgRole{warden.RoleNone, warden.RoleViewer}, []warden.OrgRole{warden.RoleEditor, warden.RoleAdmin}},
		{warden.RoleEditor, []warden.OrgRole{warden.RoleNone, warden.RoleViewer, warden.RoleEditor}, []warden.OrgRole{warden.RoleAdmin}},
		{warden.RoleAdmin, []warden.OrgRole{warden.RoleNone, warden.RoleViewer, warden.RoleEditor, warden.RoleAdmin}, nil},
	} {
		for _, kind := range []warden.PrincipalKind{warden.KindUser, warden.KindServiceAccount} {
			ctx := saAs(kind, v.ID, 1, tc.caller, saCreatePerm)
			for _, r := range tc.refused {
				role := r
				_, err := e.svc.CreateServiceAccount(ctx, fmt.Sprintf("%s %s %s", kind, tc.caller, r), &role, false)
				saWantRoleForbidden(t, err)
			}
			for _, r := range tc.allowed {
				a := e.newSA(t, ctx, fmt.Sprintf("%s %s %s", kind, tc.caller, r), r)
				if a.Role != r {
					t.Fatalf("role = %s, want %s", a.Role, r)
				}
			}
		}
	}
	// Updates follow the same rule.
	a := e.newSA(t, e.asAdmin(t), "target", warden.RoleNone)
	admin := warden.RoleAdmin
	_, err := e.svc.UpdateServiceAccount(saAs(warden.KindUser, v.ID, 1, warden.RoleViewer), a.ID, warden.ServiceAccountUpdate{Role: &admin})
	saWantRoleForbidden(t, err)
	editor := warden.RoleEditor
	_, err = e.svc.UpdateServiceAccount(saAs(warden.KindUser, v.ID, 1, warden.RoleEditor), a.ID, warden.ServiceAccountUpdate{Role: &admin})
	saWantRoleForbidden(t, err)
	got, err := e.svc.UpdateServiceAccount(saAs(warden.KindUser, v.ID, 1, warden.RoleEditor), a.ID, warden.ServiceAccountUpdate{Role: &editor})
	if err != nil || got.Role != warden.RoleEditor {
		t.Fatalf("Editor assigning Editor = %+v, %v", got, err)
	}
}

// ---------------------------------------------------------------------------------------------
// Creating, finding, searching, updating and deleting, down to what the store keeps.

func TestServiceAccounts_CreateInMissingOrgFails(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := saAs(warden.KindUser, e.admin.ID, 999, warden.RoleAdmin, saCreatePerm)
	if _, err := e.svc.CreateServiceAccount(ctx, "ghost", nil, false); err == nil {
		t.Fatal("created a service account in org 999")
	}
	// Nothing is left behind: the login is free in the org that does exist…
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		_, err := tx.FindUserByLogin(context.Background(), "sa-999-ghost")
		return err
	})
	if warden.ErrorCode(err) != warden.ENOTFOUND {
		t.Fatalf("FindUserByLogin(sa-999-ghost) = %v, want not found", err)
	}
	// …and org 0 (no org at all) is Grafana's ErrInvalidOrgId.
	_, err = e.svc.CreateServiceAccount(saAs(warden.KindUser, e.admin.ID, 0, warden.RoleAdmin, saCreatePerm), "ghost", nil, false)
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrInvalidOrgId", "invalid org id specified")
	_, err = e.svc.CreateServiceAccount(context.Background(), "ghost", nil, false)
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrInvalidOrgId", "invalid org id specified")
}

func TestServiceAccounts_CreateAndFind(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	role := warden.RoleAdmin
	a, err := e.svc.CreateServiceAccount(ctx, "new Service Account", &role, true)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "new Service Account" || a.Tokens != 0 || a.Login != "sa-1-new-service-account" {
		t.Fatalf("created %+v", a)
	}
	got, err := e.svc.FindServiceAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	saWantSA(t, got, a)
	if got.Name != "new Service Account" || got.OrgID != 1 || got.Role != warden.RoleAdmin || !got.IsDisabled {
		t.Fatalf("retrieved %+v", *got)
	}
	// Looking the id up by name.
	list, _, total := e.search(t, ctx, warden.ServiceAccountFilter{Query: "new Service Account"})
	if total != 1 || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("search by name = %+v (total %d)", list, total)
	}
}

func TestServiceAccounts_NameUniquePerOrgIgnoringCase(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	e.newSA(t, ctx, "dup", "")
	for _, name := range []string{"dup", "DUP", "Dup"} {
		_, err := e.svc.CreateServiceAccount(ctx, name, nil, false)
		saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrAlreadyExists", "service account already exists")
	}
	org2, err := e.svc.CreateOrg(ctx, "Org2")
	if err != nil {
		t.Fatal(err)
	}
	ctx2 := e.asUser(t, e.admin, org2.ID)
	b := e.newSA(t, ctx2, "dup", "")
	if b.OrgID != org2.ID || b.Login != fmt.Sprintf("sa-%d-dup", org2.ID) {
		t.Fatalf("org 2 account %+v", b)
	}
	_, err = e.svc.CreateServiceAccount(ctx2, "dup", nil, false)
	saWantErr(t, err, warden.EINVALID, "serviceaccounts.ErrAlreadyExists", "service account already exists")
}

func TestServiceAccounts_RoleNoneHasNoPermissions(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "nobody", warden.RoleNone)
	got, err := e.svc.FindServiceAccount(ctx, a.ID)
	if err != nil || a.Role != warden.RoleNone || got.Role != warden.RoleNone {
		t.Fatalf("role %s / %+v, %v; want None", a.Role, got, err)
	}
	// A None account's principal has no permissions at all.
	_, s := e.token(t, ctx, a.ID, "t", 0)
	p, err := e.svc.AuthenticateToken(context.Background(), s.Reveal(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.OrgRole != warden.RoleNone || len(p.Permissions) != 0 {
		t.Fatalf("None account principal: role %s, permissions %v", p.OrgRole, p.Permissions)
	}
}

func TestServiceAccounts_DeleteOnlyServiceAccounts(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "doomed", "")
	if err := e.svc.DeleteServiceAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.FindServiceAccount(ctx, a.ID)
	saWantNotFound(t, err)
	saWantNotFound(t, e.svc.DeleteServiceAccount(ctx, a.ID))
	// A human user is not deleted through the service-account API.
	u := e.user(t, "human")
	saWantNotFound(t, e.svc.DeleteServiceAccount(ctx, u.ID))
	saWantNotFound(t, e.svc.DeleteServiceAccount(ctx, e.admin.ID))
	for _, id := range []int64{u.ID, e.admin.ID} {
		if _, err := e.svc.FindUserByID(context.Background(), id); err != nil {
			t.Fatalf("user %d gone: %v", id, err)
		}
	}
}

func TestServiceAccounts_FindByIDOrUID(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "findme", "")
	id, err := e.svc.ResolveServiceAccountID(ctx, a.UID)
	if err != nil || id != a.ID {
		t.Fatalf("ResolveServiceAccountID(uid) = %d, %v; want %d", id, err, a.ID)
	}
	byID, err := e.svc.FindServiceAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	saWantSA(t, byID, a)
	// Numbers are taken as ids without a lookup.
	if id, err := e.svc.ResolveServiceAccountID(ctx, "12345"); err != nil || id != 12345 {
		t.Fatalf("ResolveServiceAccountID(12345) = %d, %v", id, err)
	}
	// A normal user is found neither by id nor by UID.
	u := e.user(t, "human")
	_, err = e.svc.FindServiceAccount(ctx, u.ID)
	saWantNotFound(t, err)
	_, err = e.svc.ResolveServiceAccountID(ctx, u.UID)
	saWantErr(t, err, warden.ENOTFOUND, "", "Not found")
	_, err = e.svc.ResolveServiceAccountID(ctx, "no-such-uid")
	saWantErr(t, err, warden.ENOTFOUND, "", "Not found")
	// Nor is an account of another org.
	org2, err := e.svc.CreateOrg(ctx, "Org2")
	if err != nil {
		t.Fatal(err)
	}
	ctx2 := e.asUser(t, e.admin, org2.ID)
	_, err = e.svc.FindServiceAccount(ctx2, a.ID)
	saWantNotFound(t, err)
	_, err = e.svc.ResolveServiceAccountID(ctx2, a.UID)
	saWantErr(t, err, warden.ENOTFOUND, "", "Not found")
}

// saSeven creates the seven accounts of the search tests (sa-1-sa-01 … sa-1-sa-07) with 3,
// 2, 1, 0… tokens, plus a human user, and returns them in order.
func saSeven(t *testing.T, e *saEnv) []*warden.ServiceAccount {
	t.Helper()
	ctx := e.asAdmin(t)
	var out []*warden.ServiceAccount
	for i := 1; i <= 7; i++ {
		out = append(out, e.newSA(t, ctx, fmt.Sprintf("sa-%02d", i), ""))
	}
	for i, n := range []int{3, 2, 1} {
		for j := 0; j < n; j++ {
			e.token(t, ctx, out[i].ID, fmt.Sprintf("t-%d-%d", i, j), 0)
		}
	}
	e.user(t, "sa-human") // a login that matches the accounts' pattern
	return out
}

func TestServiceAccounts_SearchWithWildcardReadListsAll(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	seven := saSeven(t, e)
	for _, scope := range []string{"serviceaccounts:*", "serviceaccounts:id:*", "*"} {
		ctx := saAs(warden.KindUser, e.admin.ID, 1, warden.RoleViewer, saRead(scope))
		list, logins, total := e.search(t, ctx, warden.ServiceAccountFilter{})
		if total != 7 || len(list) != 7 {
			t.Fatalf("%s: total %d, %v", scope, total, logins)
		}
		counts := []int{}
		for i, a := range list {
			if a.ID != seven[i].ID {
				t.Fatalf("%s: order %v", scope, logins)
			}
			counts = append(counts, a.Tokens)
		}
		if !reflect.DeepEqual(counts, []int{3, 2, 1, 0, 0, 0, 0}) {
			t.Fatalf("%s: token counts %v", scope, counts)
		}
		for _, l := range logins {
			if l == "sa-human" || l == "admin" {
				t.Fatalf("%s: a human user appears: %v", scope, logins)
			}
		}
	}
	// The query also never finds the human user.
	_, logins, total := e.search(t, e.asAdmin(t), warden.ServiceAccountFilter{Query: "human"})
	if total != 0 {
		t.Fatalf("query human: %v", logins)
	}
}

func TestServiceAccounts_SearchListsOnlyReadable(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	seven := saSeven(t, e)
	// No permissions: nothing.
	list, _, total := e.search(t, saAs(warden.KindUser, e.admin.ID, 1, warden.RoleViewer), warden.ServiceAccountFilter{})
	if total != 0 || len(list) != 0 {
		t.Fatalf("no permissions: total %d, %d accounts", total, len(list))
	}
	// Read on the first and the seventh only; other actions on other accounts do not count.
	ctx := saAs(warden.KindUser, e.admin.ID, 1, warden.RoleViewer,
		saRead(warden.ScopeServiceAccount(seven[0].ID)), saRead(warden.ScopeServiceAccount(seven[6].ID)),
		warden.Permission{Action: warden.ActionSAWrite, Scope: warden.ScopeServiceAccount(seven[2].ID)},
		warden.Permission{Action: warden.ActionSADelete, Scope: "serviceaccounts:*"},
		saRead("teams:*"))
	_, logins, total := e.search(t, ctx, warden.ServiceAccountFilter{})
	if total != 2 || !reflect.DeepEqual(logins, []string{seven[0].Login, seven[6].Login}) {
		t.Fatalf("read on 1 and 7: total %d, %v", total, logins)
	}
	// Paging counts only the readable ones.
	_, logins, total = e.search(t, ctx, warden.ServiceAccountFilter{Offset: 1, Limit: 1})
	if total != 2 || !reflect.DeepEqual(logins, []string{seven[6].Login}) {
		t.Fatalf("second page: total %d, %v", total, logins)
	}
	// An account of another org named in a scope is still not found here.
	org2, err := e.svc.CreateOrg(e.asAdmin(t), "Org2")
	if err != nil {
		t.Fatal(err)
	}
	b := e.newSA(t, e.asUser(t, e.admin, org2.ID), "elsewhere", "")
	_, logins, total = e.search(t, saAs(warden.KindUser, e.admin.ID, 1, warden.RoleViewer, saRead(warden.ScopeServiceAccount(b.ID))),
		warden.ServiceAccountFilter{})
	if total != 0 {
		t.Fatalf("another org's account: %v", logins)
	}
}

func TestServiceAccounts_SearchQueryIgnoresCase(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	for i := 1; i <= 8; i++ {
		name := fmt.Sprintf("other-%d", i)
		if i >= 6 {
			name = fmt.Sprintf("SaTest-%d", i)
		}
		e.newSA(t, ctx, name, "")
	}
	_, logins, total := e.search(t, ctx, warden.ServiceAccountFilter{Query: "SA-1-SaTeSt"})
	if total != 3 || !reflect.DeepEqual(logins, []string{"sa-1-satest-6", "sa-1-satest-7", "sa-1-satest-8"}) {
		t.Fatalf("total %d, %v", total, logins)
	}
	// The display name matches case-insensitively too.
	_, logins, _ = e.search(t, ctx, warden.ServiceAccountFilter{Query: "sATEST-7"})
	if !reflect.DeepEqual(logins, []string{"sa-1-satest-7"}) {
		t.Fatalf("by name: %v", logins)
	}
}

func TestServiceAccounts_SearchCountsAndPages(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	seven := saSeven(t, e)
	ctx := e.asAdmin(t)
	// Counting only: a page past the end has no items but the full count.
	list, _, total := e.search(t, ctx, warden.ServiceAccountFilter{Offset: 1000, Limit: 1000})
	if total != 7 || len(list) != 0 {
		t.Fatalf("count only: total %d, %d items", total, len(list))
	}
	// Page 4 with 2 per page (offset 6) is the seventh account alone.
	_, logins, total := e.search(t, ctx, warden.ServiceAccountFilter{Offset: 6, Limit: 2})
	if total != 7 || !reflect.DeepEqual(logins, []string{seven[6].Login}) {
		t.Fatalf("page 4: total %d, %v", total, logins)
	}
	_, logins, _ = e.search(t, ctx, warden.ServiceAccountFilter{Offset: 2, Limit: 2})
	if !reflect.DeepEqual(logins, []string{seven[2].Login, seven[3].Login}) {
		t.Fatalf("page 2: %v", logins)
	}
}

func TestServiceAccounts_DisableAndEnable(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "toggle", "")
	yes, no := true, false
	for i := 0; i < 2; i++ {
		got, err := e.svc.UpdateServiceAccount(ctx, a.ID, warden.ServiceAccountUpdate{IsDisabled: &yes})
		if err != nil || !got.IsDisabled {
			t.Fatalf("disable #%d: %+v, %v", i+1, got, err)
		}
	}
	got, _ := e.svc.FindServiceAccount(ctx, a.ID)
	if !got.IsDisabled {
		t.Fatal("not disabled")
	}
	_, disabled, _ := e.search(t, ctx, warden.ServiceAccountFilter{Disabled: true})
	if !reflect.DeepEqual(disabled, []string{"sa-1-toggle"}) {
		t.Fatalf("disabled filter: %v", disabled)
	}
	if _, err := e.svc.UpdateServiceAccount(ctx, a.ID, warden.ServiceAccountUpdate{IsDisabled: &no}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.FindServiceAccount(ctx, a.ID)
	if got.IsDisabled || got.Name != "toggle" || got.Role != warden.RoleViewer {
		t.Fatalf("after enable: %+v", got)
	}
	// Never a human user.
	u := e.user(t, "human")
	_, err := e.svc.UpdateServiceAccount(ctx, u.ID, warden.ServiceAccountUpdate{IsDisabled: &yes})
	saWantNotFound(t, err)
	hu, err := e.svc.FindUserByID(context.Background(), u.ID)
	if err != nil || hu.IsDisabled {
		t.Fatalf("human user after the refused disable: %+v, %v", hu, err)
	}
}
