package warden_test

// Service-level tests of token restrictions: the role cap, scopes and allowed address ranges
// as the token check applies them, their changes, and what is audited and counted. Parsing is
// tested in token_restrictions_test.go; the HTTP API, forward auth and nginx in http/ and
// cmd/warden.

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// restricted issues a token with restrictions, failing the test on an error.
func (e *saEnv) restricted(t *testing.T, ctx context.Context, saID int64, name, role string, scopes, cidrs []string) (*warden.Token, warden.Secret) {
	t.Helper()
	limits, err := warden.ParseTokenRestrictions(role, scopes, cidrs)
	if err != nil {
		t.Fatalf("ParseTokenRestrictions: %v", err)
	}
	tk, s, err := e.svc.IssueToken(ctx, saID, name, 0, limits)
	if err != nil {
		t.Fatalf("IssueToken(%q): %v", name, err)
	}
	return tk, s
}

// from returns a context whose client address is ip, as the HTTP layer sets it.
func from(ip string) context.Context {
	return warden.NewContextWithClientIP(context.Background(), ip)
}

func (e *saEnv) refusals(t *testing.T, reason string) uint64 {
	t.Helper()
	for _, r := range e.svc.TokenRefusals() {
		if r.Reason == reason {
			return r.Count
		}
	}
	t.Fatalf("no refusal reason %q in %v", reason, e.svc.TokenRefusals())
	return 0
}

func TestTokenRestrictions_RoleCap(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "deployer", warden.RoleAdmin)
	_, viewer := e.restricted(t, ctx, a.ID, "read-only", "Viewer", nil, nil)
	_, full := e.token(t, ctx, a.ID, "full", 0)

	p, err := e.svc.AuthenticateToken(from("10.0.0.1"), viewer.Reveal(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.OrgRole != warden.RoleViewer || p.Permissions.Evaluate(warden.ActionSAWrite, warden.ScopeSAAll) {
		t.Fatalf("a Viewer-capped token of an Admin account acts as %s (can write service accounts: %v)",
			p.OrgRole, p.Permissions.Evaluate(warden.ActionSAWrite, warden.ScopeSAAll))
	}
	if !p.Permissions.Evaluate(warden.ActionOrgsRead, "") {
		t.Fatal("the Viewer-capped token cannot even read its org")
	}
	if p, err := e.svc.AuthenticateToken(from("10.0.0.1"), full.Reveal(), 0); err != nil || p.OrgRole != warden.RoleAdmin {
		t.Fatalf("uncapped token of the same account: %v, %v", p, err)
	}

	// A cap above the account's role is refused, and nothing is stored.
	ed := e.newSA(t, ctx, "editor", warden.RoleEditor)
	limits, _ := warden.ParseTokenRestrictions("Admin", nil, nil)
	_, _, err = e.svc.IssueToken(ctx, ed.ID, "too-high", 0, limits)
	if warden.ErrorCode(err) != warden.EINVALID ||
		warden.ErrorMessage(err) != "role: Admin is above the service account's role (Editor); a token's role can only narrow its account's" {
		t.Fatalf("a cap above the account's role: %v", err)
	}
	if got := e.tokens(t, ed.ID); len(got) != 0 {
		t.Fatalf("a refused token was stored: %+v", got[0])
	}

	// The account's role going below the cap takes the token's with it, on the next check.
	_, capped := e.restricted(t, ctx, ed.ID, "capped", "Editor", nil, nil)
	if p, err := e.svc.AuthenticateToken(from("10.0.0.1"), capped.Reveal(), 0); err != nil || p.OrgRole != warden.RoleEditor {
		t.Fatalf("Editor cap on an Editor account: %v, %v", p, err)
	}
	viewerRole := warden.RoleViewer
	if _, err := e.svc.UpdateServiceAccount(ctx, ed.ID, warden.ServiceAccountUpdate{Role: &viewerRole}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.AuthenticateToken(from("10.0.0.1"), capped.Reveal(), 0); err != nil || p.OrgRole != warden.RoleViewer {
		t.Fatalf("after the account became Viewer, the Editor-capped token acts as %v (%v)", p.OrgRole, err)
	}
	// Raising the account again gives the token back no more than its cap.
	adminRole := warden.RoleAdmin
	if _, err := e.svc.UpdateServiceAccount(ctx, ed.ID, warden.ServiceAccountUpdate{Role: &adminRole}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.AuthenticateToken(from("10.0.0.1"), capped.Reveal(), 0); err != nil || p.OrgRole != warden.RoleEditor {
		t.Fatalf("after the account became Admin, the Editor-capped token acts as %v (%v)", p.OrgRole, err)
	}
}

func TestTokenRestrictions_Scopes(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "orders", warden.RoleViewer)
	_, s := e.restricted(t, ctx, a.ID, "orders", "", []string{"orders:read", "orders:write"}, nil)
	p, err := e.svc.AuthenticateToken(from("10.0.0.1"), s.Reveal(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Scopes, []string{"orders:read", "orders:write"}) || p.OrgRole != warden.RoleViewer {
		t.Fatalf("principal scopes %v, role %s", p.Scopes, p.OrgRole)
	}
	list := e.tokens(t, a.ID)
	if len(list) != 1 || !reflect.DeepEqual(list[0].Restrictions.Scopes, []string{"orders:read", "orders:write"}) {
		t.Fatalf("stored: %+v", list)
	}
}

func TestTokenRestrictions_Address(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "ci", warden.RoleEditor)
	tk, s := e.restricted(t, ctx, a.ID, "ci", "", nil, []string{"10.0.0.0/8", "2001:db8::/32"})

	for _, ip := range []string{"10.1.2.3", "::ffff:10.9.9.9", "2001:db8::7"} {
		if _, err := e.svc.AuthenticateToken(from(ip), s.Reveal(), 0); err != nil {
			t.Fatalf("from %s (inside): %v", ip, err)
		}
	}
	before := len(e.auditOf(t, "token.use_refused"))
	_, err := e.svc.AuthenticateToken(from("192.0.2.9"), s.Reveal(), 0)
	if warden.ErrorCode(err) != warden.EFORBIDDEN ||
		warden.ErrorMessage(err) != "This token may not be used from address 192.0.2.9: it is outside the token's allowed address ranges" {
		t.Fatalf("from outside: %v", err)
	}
	// An unknown address is outside every range.
	if _, err := e.svc.AuthenticateToken(context.Background(), s.Reveal(), 0); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("without an address: %v", err)
	}
	if n := e.refusals(t, "address"); n != 2 {
		t.Fatalf("address refusals counted: %d, want 2", n)
	}
	// One audit row a minute per token, with the address; repeats are counted in the next.
	rows := e.auditOf(t, "token.use_refused")
	if len(rows)-before != 1 {
		t.Fatalf("audit rows after two refusals within a minute: %d, want 1", len(rows)-before)
	}
	r := rows[0]
	if r.TargetID != itoa(tk.ID) || r.Outcome != warden.OutcomeDenied || r.ActorKind != "service_account" ||
		r.ActorID != a.ID || r.Detail != "reason=address address=192.0.2.9" || r.ClientIP != "192.0.2.9" {
		t.Fatalf("audit row %+v", *r)
	}
	e.clock.Add(61 * time.Second)
	if _, err := e.svc.AuthenticateToken(from("198.51.100.1"), s.Reveal(), 0); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("from outside, a minute later: %v", err)
	}
	rows = e.auditOf(t, "token.use_refused")
	if len(rows)-before != 2 || !strings.HasPrefix(rows[0].Detail, "reason=address address=198.51.100.1 (and 1 more") {
		t.Fatalf("a minute later: %d rows, newest %+v", len(rows)-before, *rows[0])
	}
	// A refused use is no use: the last-used address stays the allowed one.
	if err := e.svc.FlushLastUsed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.tokens(t, a.ID)[0].LastUsedIP; got != "2001:db8::7" {
		t.Fatalf("last used from %q, want the last allowed address", got)
	}
}

// auditOf returns the audit rows of one action, newest first.
func (e *saEnv) auditOf(t *testing.T, action string) []*warden.AuditEntry {
	t.Helper()
	var out []*warden.AuditEntry
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		list, _, err := tx.FindAuditEntries(context.Background(), warden.AuditFilter{Limit: 1000})
		for _, a := range list {
			if a.Action == action {
				out = append(out, a)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTokenRestrictions_Update(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "svc", warden.RoleEditor)
	tk, s := e.token(t, ctx, a.ID, "svc", 0)
	use := func(ip string) (*warden.Principal, error) { return e.svc.AuthenticateToken(from(ip), s.Reveal(), 0) }
	if p, err := use("192.0.2.1"); err != nil || p.OrgRole != warden.RoleEditor {
		t.Fatalf("before: %v, %v", p, err)
	}
	str := func(v string) *string { return &v }
	list := func(v ...string) *[]string { return &v }

	// Every field at once; the next check, cached or not, sees it.
	got, err := e.svc.UpdateTokenRestrictions(ctx, a.ID, tk.ID, warden.TokenRestrictionsUpdate{
		Role: str("Viewer"), Scopes: list("orders:read"), AllowedCIDRs: list("10.0.0.0/8")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Restrictions.Role != warden.RoleViewer || got.Restrictions.StoredCIDRs() != "10.0.0.0/8" {
		t.Fatalf("returned %+v", got.Restrictions)
	}
	if _, err := use("192.0.2.1"); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("outside the new range: %v", err)
	}
	if p, err := use("10.0.0.1"); err != nil || p.OrgRole != warden.RoleViewer || !reflect.DeepEqual(p.Scopes, []string{"orders:read"}) {
		t.Fatalf("inside the new range: %+v, %v", p, err)
	}
	// One field: the others stay.
	if _, err := e.svc.UpdateTokenRestrictions(ctx, a.ID, tk.ID, warden.TokenRestrictionsUpdate{AllowedCIDRs: list()}); err != nil {
		t.Fatal(err)
	}
	if p, err := use("192.0.2.1"); err != nil || p.OrgRole != warden.RoleViewer || len(p.Scopes) != 1 {
		t.Fatalf("after clearing the ranges: %+v, %v", p, err)
	}
	stored := e.tokens(t, a.ID)[0].Restrictions
	if stored.Role != warden.RoleViewer || stored.StoredScopes() != "orders:read" || stored.AllowedCIDRs != nil {
		t.Fatalf("stored %+v", stored)
	}
	// The cap goes with "".
	if _, err := e.svc.UpdateTokenRestrictions(ctx, a.ID, tk.ID, warden.TokenRestrictionsUpdate{Role: str("")}); err != nil {
		t.Fatal(err)
	}
	if p, err := use("192.0.2.1"); err != nil || p.OrgRole != warden.RoleEditor {
		t.Fatalf("after removing the cap: %+v, %v", p, err)
	}

	// Refusals change nothing.
	for name, tc := range map[string]struct {
		upd  warden.TokenRestrictionsUpdate
		want string
	}{
		"above the account": {warden.TokenRestrictionsUpdate{Role: str("Admin")}, "role: Admin is above"},
		"bad scope":         {warden.TokenRestrictionsUpdate{Scopes: list("Bad Scope")}, "scopes: "},
		"bad range":         {warden.TokenRestrictionsUpdate{AllowedCIDRs: list("10.0.0.1/8")}, "allowedCidrs: "},
		"nothing":           {warden.TokenRestrictionsUpdate{}, "Nothing to change"},
	} {
		_, err := e.svc.UpdateTokenRestrictions(ctx, a.ID, tk.ID, tc.upd)
		if warden.ErrorCode(err) != warden.EINVALID || !strings.HasPrefix(warden.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.svc.UpdateTokenRestrictions(ctx, a.ID, tk.ID+100, warden.TokenRestrictionsUpdate{Role: str("")}); warden.ErrorCode(err) != warden.ENOTFOUND {
		t.Errorf("unknown token: %v", err)
	}
	if after := e.tokens(t, a.ID)[0].Restrictions; after.Role != "" || after.StoredScopes() != "orders:read" {
		t.Fatalf("after refused changes: %+v", after)
	}
	if rows := e.auditOf(t, "token.restrict"); len(rows) != 3 || rows[2].Detail != "serviceaccount="+itoa(a.ID)+" role=Viewer scopes=orders:read allowed_cidrs=10.0.0.0/8" {
		t.Fatalf("token.restrict rows: %d, oldest %+v", len(rows), rows[len(rows)-1])
	}
}

func TestTokenRestrictions_RotationKeepsThem(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "rot", warden.RoleAdmin)
	old, _ := e.restricted(t, ctx, a.ID, "rot", "Editor", []string{"x:y"}, []string{"10.0.0.0/8"})
	tk, s, _, err := e.svc.RotateToken(ctx, a.ID, old.ID, warden.Rotation{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tk.Restrictions, old.Restrictions) {
		t.Fatalf("rotated token restrictions %+v, want %+v", tk.Restrictions, old.Restrictions)
	}
	if _, err := e.svc.AuthenticateToken(from("192.0.2.1"), s.Reveal(), 0); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("the new token from outside the range: %v", err)
	}
	p, err := e.svc.AuthenticateToken(from("10.0.0.1"), s.Reveal(), 0)
	if err != nil || p.OrgRole != warden.RoleEditor {
		t.Fatalf("the new token inside the range: %+v, %v", p, err)
	}
}

func TestTokenRestrictions_Introspect(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	a := e.newSA(t, ctx, "intro", warden.RoleAdmin)
	_, s := e.restricted(t, ctx, a.ID, "intro", "Viewer", []string{"a", "b"}, []string{"10.0.0.0/8"})

	info, err := e.svc.IntrospectToken(ctx, s.Reveal(), "")
	if err != nil || info == nil {
		t.Fatalf("without client_ip: %+v, %v", info, err)
	}
	if info.Role != warden.RoleViewer || !reflect.DeepEqual(info.Scopes, []string{"a", "b"}) ||
		!reflect.DeepEqual(info.AllowedCIDRs, []string{"10.0.0.0/8"}) {
		t.Fatalf("info %+v", *info)
	}
	if info, err := e.svc.IntrospectToken(ctx, s.Reveal(), "10.2.3.4"); err != nil || info == nil {
		t.Fatalf("client inside the ranges: %+v, %v", info, err)
	}
	if info, err := e.svc.IntrospectToken(ctx, s.Reveal(), "192.0.2.1"); err != nil || info != nil {
		t.Fatalf("client outside the ranges: %+v, %v", info, err)
	}
	if n := e.refusals(t, "address"); n != 1 {
		t.Fatalf("address refusals: %d", n)
	}
	if rows := e.auditOf(t, "token.use_refused"); len(rows) != 1 || rows[0].Detail != "reason=address address=192.0.2.1" {
		t.Fatalf("audit: %d rows", len(rows))
	}
}
