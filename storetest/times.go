// Times: every stored time comes back in UTC, to the second, and a zero time stays zero.

package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var timesTests = []contractTest{
	{"Times/RoundTrip", testTimesRoundTrip},
}

func testTimesRoundTrip(t *testing.T, s warden.Store) {
	ctx := t.Context()
	// Sub-second and not in UTC: the store keeps whole seconds and returns UTC.
	in := time.Date(2024, time.May, 6, 7, 8, 9, 987654321, time.FixedZone("CEST", 2*60*60))
	want := time.Unix(in.Unix(), 0).UTC()
	check := func(what string, got time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Errorf("%s=%v, want %v", what, got, want)
		}
	}

	o := &warden.Org{Name: "Acme", Created: in, Updated: in}
	update(t, s, func(tx warden.Tx) error { return tx.CreateOrg(ctx, o) })
	og := get(t, s, func(tx warden.Tx) (*warden.Org, error) { return tx.FindOrgByID(ctx, o.ID) })
	check("Org.Created", og.Created)
	check("Org.Updated", og.Updated)

	u := mustCreateUser(t, s, "alice", func(u *warden.User) { u.Created, u.Updated, u.LastSeenAt = in, in, in })
	ug := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, u.ID) })
	check("User.Created", ug.Created)
	check("User.Updated", ug.Updated)
	check("User.LastSeenAt", ug.LastSeenAt)

	update(t, s, func(tx warden.Tx) error {
		return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: o.ID, UserID: u.ID, Role: warden.RoleViewer, Created: in, Updated: in})
	})
	m := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, u.ID) })
	check("OrgUser.Created", m.Created)
	check("OrgUser.Updated", m.Updated)
	check("OrgUser.LastSeenAt", m.LastSeenAt)

	sess := mustCreateSession(t, s, u.ID, "hash", in, in)
	sg := get(t, s, func(tx warden.Tx) (*warden.Session, error) { return tx.FindSessionByHash(ctx, sess.TokenHash) })
	check("Session.Created", sg.Created)
	check("Session.SeenAt", sg.SeenAt)

	sa := mustCreateUser(t, s, "sa-ci", func(u *warden.User) {
		u.Email, u.IsServiceAccount, u.OrgID, u.Created, u.Updated = "sa-ci", true, o.ID, in, in
	})
	update(t, s, func(tx warden.Tx) error {
		return tx.SetManagedPermission(ctx, &warden.ManagedPermission{OrgID: o.ID, Resource: warden.ResourceServiceAccounts,
			ResourceID: sa.ID, UserID: u.ID, Level: warden.LevelEdit, Created: in, Updated: in})
	})
	ps := resourcePermissions(t, s, o.ID, sa.ID)
	if len(ps) != 1 {
		t.Fatalf("len(FindResourcePermissions)=%d, want 1", len(ps))
	}
	check("ManagedPermission.Created", ps[0].Created)
	check("ManagedPermission.Updated", ps[0].Updated)

	update(t, s, func(tx warden.Tx) error {
		return tx.CreateAuditEntry(ctx, &warden.AuditEntry{Created: in, ActorKind: "system", Action: "x", Outcome: "success"})
	})
	es := auditEntries(t, s, warden.AuditFilter{Limit: 1})
	if len(es) != 1 {
		t.Fatalf("len(FindAuditEntries)=%d, want 1", len(es))
	}
	check("AuditEntry.Created", es[0].Created)

	team := &warden.Team{UID: "team-uid", OrgID: o.ID, Name: "ops", Created: in, Updated: in}
	update(t, s, func(tx warden.Tx) error { return tx.CreateTeam(ctx, team) })
	tg := get(t, s, func(tx warden.Tx) (*warden.Team, error) { return tx.FindTeamByID(ctx, o.ID, team.ID) })
	check("Team.Created", tg.Created)
	check("Team.Updated", tg.Updated)

	tk := &warden.Token{OrgID: o.ID, ServiceAccountID: sa.ID, Name: "t", Hash: "token-hash",
		Created: in, Updated: in, Expires: in, LastUsedAt: in}
	update(t, s, func(tx warden.Tx) error { return tx.CreateToken(ctx, tk) })
	tkg := get(t, s, func(tx warden.Tx) (*warden.Token, error) { return tx.FindTokenByHash(ctx, "token-hash") })
	check("Token.Created", tkg.Created)
	check("Token.Updated", tkg.Updated)
	check("Token.Expires", tkg.Expires)
	check("Token.LastUsedAt", tkg.LastUsedAt)
	sag := get(t, s, func(tx warden.Tx) (*warden.ServiceAccount, error) { return tx.FindServiceAccount(ctx, o.ID, sa.ID) })
	check("ServiceAccount.Created", sag.Created)

	// A zero LastSeenAt (never seen) stays zero, on the user and on its membership rows.
	never := mustCreateUser(t, s, "never")
	ng := get(t, s, func(tx warden.Tx) (*warden.User, error) { return tx.FindUserByID(ctx, never.ID) })
	if !ng.LastSeenAt.IsZero() {
		t.Errorf("User.LastSeenAt=%v, want zero", ng.LastSeenAt)
	}
	mustAddOrgUser(t, s, o.ID, never.ID, warden.RoleViewer)
	nm := get(t, s, func(tx warden.Tx) (*warden.OrgUser, error) { return tx.FindOrgUser(ctx, o.ID, never.ID) })
	if !nm.LastSeenAt.IsZero() {
		t.Errorf("OrgUser.LastSeenAt=%v, want zero", nm.LastSeenAt)
	}
}
