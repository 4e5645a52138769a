package warden_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// auditLines returns the "audit" log lines written so far, decoded.
func (b *lockedBuffer) auditLines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "audit" {
			out = append(out, m)
		}
	}
	return out
}

// newAuditEnv is a Service over a fresh SQLite file whose log is captured as JSON.
func newAuditEnv(t *testing.T) (*testEnv, *lockedBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &lockedBuffer{}
	svc := warden.NewService(db, slog.New(slog.NewJSONHandler(logs, nil)), testConfig())
	clock := &testClock{now: time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)}
	svc.Now = clock.Now
	return &testEnv{svc: svc, db: db, path: path, clock: clock}, logs
}

// Every kind of state change writes exactly the audit rows listed here, naming the actor (and
// the token it used), the client IP, the target and the outcome; and each row is also one
// structured log line.
func TestAudit_EveryStateChangeIsRecorded(t *testing.T) {
	t.Parallel()
	e, logs := newAuditEnv(t)
	ctx := context.Background()
	admin := e.bootstrap(t)
	p, err := e.svc.UserPrincipal(ctx, admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.AuthMethod = "session"
	actx := warden.NewContextWithClientIP(warden.NewContextWithPrincipal(ctx, p), "192.0.2.7")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	start := len(e.auditEntries(t))

	bob, err := e.svc.CreateUser(actx, warden.CreateUserInput{Login: "bob", Email: "bob@example.com", Password: "bob-password-1"})
	must("CreateUser", err)
	must("UpdateUser", e.svc.UpdateUser(actx, bob.ID, warden.UserUpdate{Name: "Bob B", Login: "bob", Email: "bob@example.com"}))
	must("SetUserPassword", e.svc.SetUserPassword(actx, bob.ID, "bob-password-2"))
	must("SetServerAdmin", e.svc.SetServerAdmin(actx, bob.ID, true))
	must("SetServerAdmin off", e.svc.SetServerAdmin(actx, bob.ID, false))
	must("SetUserDisabled", e.svc.SetUserDisabled(actx, bob.ID, true))
	must("SetUserDisabled off", e.svc.SetUserDisabled(actx, bob.ID, false))
	org2, err := e.svc.CreateOrg(actx, "Second")
	must("CreateOrg", err)
	must("UpdateOrg", e.svc.UpdateOrg(actx, org2.ID, "Second org", nil))
	_, err = e.svc.AddOrgUser(actx, org2.ID, "bob", warden.RoleViewer)
	must("AddOrgUser", err)
	must("UpdateOrgUser", e.svc.UpdateOrgUser(actx, org2.ID, bob.ID, warden.RoleEditor))
	_, err = e.svc.RemoveOrgUser(actx, org2.ID, bob.ID, false)
	must("RemoveOrgUser", err)
	must("DeleteOrg", e.svc.DeleteOrg(actx, org2.ID))
	team, err := e.svc.CreateTeam(actx, "ops", "")
	must("CreateTeam", err)
	must("UpdateTeam", e.svc.UpdateTeam(actx, team.ID, "ops2", ""))
	must("AddTeamMember", e.svc.AddTeamMember(actx, team.ID, bob.ID))
	must("UpdateTeamMember", e.svc.UpdateTeamMember(actx, team.ID, bob.ID, 4))
	must("RemoveTeamMember", e.svc.RemoveTeamMember(actx, team.ID, bob.ID))
	sa, err := e.svc.CreateServiceAccount(actx, "ci", ptr(warden.RoleEditor), false)
	must("CreateServiceAccount", err)
	_, err = e.svc.UpdateServiceAccount(actx, sa.ID, warden.ServiceAccountUpdate{Role: ptr(warden.RoleViewer)})
	must("UpdateServiceAccount", err)
	_, err = e.svc.SetServiceAccountUserPermission(actx, sa.ID, bob.ID, warden.LevelEdit)
	must("SetServiceAccountUserPermission", err)
	_, err = e.svc.SetServiceAccountTeamPermission(actx, sa.ID, team.ID, warden.LevelEdit)
	must("SetServiceAccountTeamPermission", err)
	tok, secret, err := e.svc.IssueToken(actx, sa.ID, "deploy", 0, warden.TokenRestrictions{})
	must("IssueToken", err)

	// The service account acts with its token: the rows name it and the token.
	sp, err := e.svc.AuthenticateToken(ctx, secret.Reveal(), 0)
	must("AuthenticateToken", err)
	sactx := warden.NewContextWithClientIP(warden.NewContextWithPrincipal(ctx, sp), "198.51.100.9")
	sa2, err := e.svc.CreateServiceAccount(sactx, "made-by-token", ptr(warden.RoleViewer), false)
	must("CreateServiceAccount by token", err)

	tok2, _, err := e.svc.IssueToken(actx, sa.ID, "second", 0, warden.TokenRestrictions{})
	must("IssueToken 2", err)
	must("RevokeToken", e.svc.RevokeToken(actx, tok2.ID))
	must("DeleteToken", e.svc.DeleteToken(actx, sa.ID, tok.ID))
	must("DeleteServiceAccount", e.svc.DeleteServiceAccount(actx, sa2.ID))
	must("DeleteTeam", e.svc.DeleteTeam(actx, team.ID))
	must("DeleteUser", e.svc.DeleteUser(actx, bob.ID))

	// Sign-in, sign-out, failures (anonymous, from an IP).
	ipctx := warden.NewContextWithClientIP(ctx, "203.0.113.5")
	_, session, err := e.svc.Login(ipctx, "admin", "admin-pass", "agent")
	must("Login", err)
	must("Logout", e.svc.Logout(ipctx, session))
	if _, _, err := e.svc.Login(ipctx, "admin", "wrong-password", "agent"); err == nil {
		t.Fatal("Login with a wrong password succeeded")
	}
	if _, _, err := e.svc.Login(ipctx, "hunter2-typed-into-login", "x", "agent"); err == nil {
		t.Fatal("Login of an unknown user succeeded")
	}
	must("ChangePassword", e.svc.ChangePassword(actx, admin.ID, "admin-pass", "admin-pass-2"))
	_, err = e.svc.RecordDenied(sactx, warden.Denial{Route: "DELETE /api/orgs/{orgId}", TargetID: "DELETE /api/orgs/1", Detail: "requires orgs:delete"})
	must("RecordDenied", err)

	entries := e.auditEntries(t)
	entries = entries[:len(entries)-start]
	slices.Reverse(entries) // oldest first
	var got []string
	for _, en := range entries {
		got = append(got, en.Action+"/"+en.Outcome)
	}
	want := []string{
		"user.create/success", "user.update/success", "user.set_password/success",
		"user.set_server_admin/success", "user.set_server_admin/success", "user.disable/success", "user.enable/success",
		"org.create/success", "org.update/success", "org.user.add/success", "org.user.update/success",
		"org.user.remove/success", "org.delete/success",
		"team.create/success", "team.update/success", "team.member.add/success", "team.member.update/success",
		"team.member.remove/success",
		"serviceaccount.create/success", "serviceaccount.update/success",
		"serviceaccount.permission.set/success", "serviceaccount.permission.set/success",
		"token.create/success", "serviceaccount.create/success", "token.create/success", "token.revoke/success",
		"token.delete/success", "serviceaccount.delete/success", "team.delete/success", "user.delete/success",
		"login/success", "logout/success", "login/failure", "login/failure", "user.change_password/success",
		"access.denied/denied",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit actions:\n got  %v\n want %v", got, want)
	}

	// Who, from where, on what.
	byAction := func(action string, skip int) *warden.AuditEntry {
		for _, en := range entries {
			if en.Action == action {
				if skip == 0 {
					return en
				}
				skip--
			}
		}
		t.Fatalf("no audit row %s", action)
		return nil
	}
	if en := byAction("user.create", 0); en.ActorKind != "user" || en.ActorID != admin.ID || en.ActorLogin != "admin" ||
		en.ClientIP != "192.0.2.7" || en.TargetType != "user" || en.TargetID != strconv.FormatInt(bob.ID, 10) || en.TokenID != 0 || en.OrgID != 1 {
		t.Errorf("user.create row=%+v", en)
	}
	if en := byAction("serviceaccount.create", 1); en.ActorKind != "service_account" || en.ActorID != sa.ID ||
		en.ActorLogin != sa.Login || en.TokenID != tok.ID || en.ClientIP != "198.51.100.9" || en.TargetID != strconv.FormatInt(sa2.ID, 10) {
		t.Errorf("serviceaccount.create by token row=%+v, want actor %d (%s) with token %d", en, sa.ID, sa.Login, tok.ID)
	}
	if en := byAction("login", 1); en.ActorKind != "anonymous" || en.TargetID != strconv.FormatInt(admin.ID, 10) || en.ClientIP != "203.0.113.5" {
		t.Errorf("failed sign-in of a known user row=%+v", en)
	}
	// The unknown name is cut to three characters: it may be a password typed into the wrong field.
	if en := byAction("login", 2); en.TargetID != "" || en.Detail != "unknown user hun…" {
		t.Errorf("failed sign-in of an unknown user row=%+v, want detail %q", en, "unknown user hun…")
	}
	if en := byAction("access.denied", 0); en.TargetID != "DELETE /api/orgs/1" || en.TokenID != tok.ID {
		t.Errorf("denied row=%+v", en)
	}
	for _, en := range entries {
		for _, secret := range []string{secret.Reveal(), "bob-password-1", "bob-password-2", "admin-pass", "wrong-password", "hunter2"} {
			if strings.Contains(en.Detail+en.TargetID+en.ActorLogin, secret) {
				t.Errorf("audit row %+v contains a secret", en)
			}
		}
	}

	// One log line per row, with the same fields.
	lines := logs.auditLines(t)
	var logged []string
	for _, l := range lines {
		logged = append(logged, l["action"].(string)+"/"+l["outcome"].(string))
	}
	if len(logged) < len(want) || strings.Join(logged[len(logged)-len(want):], " ") != strings.Join(want, " ") {
		t.Fatalf("audit log lines:\n got  %v\n want (ending with) %v", logged, want)
	}
	last := lines[len(lines)-1]
	if last["actor_login"] != sa.Login || last["token_id"] != float64(tok.ID) || last["client_ip"] != "198.51.100.9" ||
		last["audit_id"] != float64(entries[len(entries)-1].ID) {
		t.Errorf("last audit log line=%v", last)
	}
}

// failingCommit is a Store whose read-write transactions fail after their callback has
// written everything, as a commit refused by the database would.
type failingCommit struct {
	warden.Store
}

var errCommit = errors.New("commit refused")

func (s failingCommit) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return s.Store.Update(ctx, func(tx warden.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errCommit
	})
}

// A change that rolls back, after its audit row was written, leaves neither the row nor a log
// line.
func TestAudit_RolledBackChangeIsNotLogged(t *testing.T) {
	t.Parallel()
	e, _ := newAuditEnv(t)
	ctx := context.Background()
	admin := e.bootstrap(t)
	logs := &lockedBuffer{}
	svc := warden.NewService(failingCommit{e.db}, slog.New(slog.NewJSONHandler(logs, nil)), testConfig())
	p, err := svc.UserPrincipal(ctx, admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	actx := warden.NewContextWithPrincipal(ctx, p)
	rows := len(e.auditEntries(t))
	if _, err := svc.CreateTeam(actx, "ops", ""); !errors.Is(err, errCommit) {
		t.Fatalf("CreateTeam over a failing commit=%v, want %v", err, errCommit)
	}
	if got := len(e.auditEntries(t)); got != rows {
		t.Errorf("audit rows %d → %d after a rolled-back change", rows, got)
	}
	if got := logs.auditLines(t); len(got) != 0 {
		t.Errorf("audit log lines after a rolled-back change: %v", got)
	}
}

func TestAudit_EntriesNeedServerAdmin(t *testing.T) {
	t.Parallel()
	e, _ := newAuditEnv(t)
	ctx := context.Background()
	admin := e.bootstrap(t)
	for _, tt := range []struct {
		name string
		ctx  context.Context
		code string
	}{
		{"anonymous", ctx, warden.EFORBIDDEN},
		{"org admin", warden.NewContextWithPrincipal(ctx, &warden.Principal{Kind: warden.KindUser, UserID: 5, OrgID: 1, OrgRole: warden.RoleAdmin}), warden.EFORBIDDEN},
		{"server admin", warden.NewContextWithPrincipal(ctx, &warden.Principal{Kind: warden.KindUser, UserID: admin.ID, OrgID: 1, IsServerAdmin: true}), ""},
	} {
		_, total, err := e.svc.AuditEntries(tt.ctx, warden.AuditFilter{})
		if got := warden.ErrorCode(err); got != tt.code {
			t.Errorf("%s: AuditEntries error code %q (%v), want %q", tt.name, got, err, tt.code)
		}
		if tt.code == "" && total == 0 {
			t.Errorf("%s: total=0, want the bootstrap row", tt.name)
		}
	}
}

// Retention deletes old rows in batches and records that it did.
func TestAudit_PurgeInBatches(t *testing.T) {
	t.Parallel()
	e, _ := newAuditEnv(t)
	ctx := context.Background()
	old := e.clock.Now().Add(-100 * 24 * time.Hour)
	const oldRows = 2345 // more than two batches
	err := e.db.Update(ctx, func(tx warden.Tx) error {
		for range oldRows {
			if err := tx.CreateAuditEntry(ctx, &warden.AuditEntry{Created: old, ActorKind: "system", Action: "x", Outcome: "success"}); err != nil {
				return err
			}
		}
		return tx.CreateAuditEntry(ctx, &warden.AuditEntry{Created: e.clock.Now().Add(-89 * 24 * time.Hour),
			ActorKind: "system", Action: "recent", Outcome: "success"})
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.PurgeAuditLog(ctx, 90*24*time.Hour)
	if err != nil || n != oldRows {
		t.Fatalf("PurgeAuditLog=(%d, %v), want (%d, nil)", n, err, oldRows)
	}
	entries := e.auditEntries(t)
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
	}
	if strings.Join(actions, " ") != "audit.purge recent" {
		t.Fatalf("rows left=%v, want [audit.purge recent]", actions)
	}
	if d := entries[0].Detail; !strings.Contains(d, "deleted=2345") || entries[0].ActorKind != "system" {
		t.Errorf("purge row=%+v", entries[0])
	}
	// Nothing left to delete: no row, no error; retention 0 keeps everything.
	if n, err := e.svc.PurgeAuditLog(ctx, 90*24*time.Hour); n != 0 || err != nil {
		t.Errorf("second PurgeAuditLog=(%d, %v), want (0, nil)", n, err)
	}
	if n, err := e.svc.PurgeAuditLog(ctx, 0); n != 0 || err != nil {
		t.Errorf("PurgeAuditLog(0)=(%d, %v), want (0, nil)", n, err)
	}
	if got := len(e.auditEntries(t)); got != 2 {
		t.Errorf("%d rows after the no-op purges, want 2", got)
	}
}

func TestAudit_RecordDeniedIgnoresAnonymous(t *testing.T) {
	t.Parallel()
	e, _ := newAuditEnv(t)
	ctx := context.Background()
	if wrote, err := e.svc.RecordDenied(ctx, warden.Denial{Route: "POST /api/teams", TargetID: "POST /api/teams"}); wrote || err != nil {
		t.Fatalf("RecordDenied(anonymous) = %v, %v; want nothing written", wrote, err)
	}
	if got := e.auditEntries(t); len(got) != 0 {
		t.Fatalf("an anonymous denial wrote %+v", got)
	}
}

// A caller retrying what it may not do writes one row a minute per route, not one per request,
// however it varies the ids in the path; the next row says how many were not recorded.
func TestAudit_RepeatedDenialsAreCollapsed(t *testing.T) {
	t.Parallel()
	e, _ := newAuditEnv(t)
	ctx := warden.NewContextWithPrincipal(context.Background(), &warden.Principal{Kind: warden.KindServiceAccount, UserID: 7, Login: "sa-1-x", OrgID: 1})
	other := warden.NewContextWithPrincipal(context.Background(), &warden.Principal{Kind: warden.KindUser, UserID: 7, Login: "u", OrgID: 1})
	deny := func(ctx context.Context, route, target string) bool {
		t.Helper()
		wrote, err := e.svc.RecordDenied(ctx, warden.Denial{Route: route, TargetID: target, Detail: "requires orgs:write"})
		if err != nil {
			t.Fatal(err)
		}
		return wrote
	}
	const route = "POST /api/orgs/{orgId}/users"
	if !deny(ctx, route, "POST /api/orgs/1/users") {
		t.Fatal("the first denial was not recorded")
	}
	for i := range 500 {
		if deny(ctx, route, fmt.Sprintf("POST /api/orgs/%d/users", i+2)) {
			t.Fatalf("repeat %d within the minute was recorded", i)
		}
	}
	// Another route, or another actor with the same id, is its own series.
	if !deny(ctx, "DELETE /api/orgs/{orgId}", "DELETE /api/orgs/1") || !deny(other, route, "POST /api/orgs/1/users") {
		t.Fatal("a denial of another route or by another actor was not recorded")
	}
	e.clock.Add(time.Minute)
	if !deny(ctx, route, "POST /api/orgs/9/users") {
		t.Fatal("a denial a minute later was not recorded")
	}
	entries := e.auditEntries(t)
	if len(entries) != 4 {
		t.Fatalf("%d rows, want 4", len(entries))
	}
	if d := entries[0].Detail; d != "requires orgs:write (and 500 more of this route, not recorded, in the minute before)" {
		t.Errorf("the row after the window: detail %q", d)
	}
}

func ptr[T any](v T) *T { return &v }
