// Fixtures: the mustCreate* helpers that put the rows a test starts from into the store.

package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func mustCreateOrg(t *testing.T, s warden.Store, name string) *warden.Org {
	t.Helper()
	ctx := t.Context()
	o := &warden.Org{Name: name, Created: t0, Updated: t0}
	update(t, s, func(tx warden.Tx) error { return tx.CreateOrg(ctx, o) })
	if o.ID == 0 {
		t.Fatalf("CreateOrg(%q) left ID 0", name)
	}
	return o
}

// mustCreateUser creates a human user with login, email login@example.com and uid "uid-"+login;
// opts adjust the row before it is written.
func mustCreateUser(t *testing.T, s warden.Store, login string, opts ...func(*warden.User)) *warden.User {
	t.Helper()
	ctx := t.Context()
	u := &warden.User{
		UID:     "uid-" + login,
		Login:   login,
		Email:   login + "@example.com",
		Name:    login,
		Created: t0,
		Updated: t0,
	}
	for _, opt := range opts {
		opt(u)
	}
	update(t, s, func(tx warden.Tx) error { return tx.CreateUser(ctx, u) })
	if u.ID == 0 {
		t.Fatalf("CreateUser(%q) left ID 0", login)
	}
	return u
}

// mustCreateServiceAccount creates a service account of an org (without a membership).
func mustCreateServiceAccount(t *testing.T, s warden.Store, orgID int64, login string) *warden.User {
	t.Helper()
	return mustCreateUser(t, s, login, func(u *warden.User) {
		u.Email = login
		u.IsServiceAccount = true
		u.OrgID = orgID
	})
}

func mustAddOrgUser(t *testing.T, s warden.Store, orgID, userID int64, role warden.OrgRole) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: orgID, UserID: userID, Role: role, Created: t0, Updated: t0})
	})
}

// mustGrant gives user userID the level on service account saID in org orgID.
func mustGrant(t *testing.T, s warden.Store, orgID, saID, userID int64, level warden.ManagedLevel) *warden.ManagedPermission {
	t.Helper()
	ctx := t.Context()
	p := &warden.ManagedPermission{OrgID: orgID, Resource: warden.ResourceServiceAccounts, ResourceID: saID,
		UserID: userID, Level: level, Created: t0, Updated: t0}
	update(t, s, func(tx warden.Tx) error { return tx.SetManagedPermission(ctx, p) })
	if p.ID == 0 {
		t.Fatal("SetManagedPermission left ID 0")
	}
	return p
}

func mustCreateSession(t *testing.T, s warden.Store, userID int64, hash string, created, seen time.Time) *warden.Session {
	t.Helper()
	ctx := t.Context()
	sess := &warden.Session{UserID: userID, TokenHash: hash, ClientIP: "192.0.2.1", UserAgent: "test", Created: created, SeenAt: seen}
	update(t, s, func(tx warden.Tx) error { return tx.CreateSession(ctx, sess) })
	if sess.ID == 0 {
		t.Fatal("CreateSession left ID 0")
	}
	return sess
}

func mustCreateTeam(t *testing.T, s warden.Store, orgID int64, name string) *warden.Team {
	t.Helper()
	ctx := t.Context()
	tm := &warden.Team{UID: fmt.Sprintf("team-%d-%s", orgID, name), OrgID: orgID, Name: name,
		Email: "", Created: t0, Updated: t0}
	update(t, s, func(tx warden.Tx) error { return tx.CreateTeam(ctx, tm) })
	if tm.ID == 0 {
		t.Fatalf("CreateTeam(%q) left ID 0", name)
	}
	return tm
}

func mustAddTeamMember(t *testing.T, s warden.Store, orgID, teamID, userID int64, permission int) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		return tx.AddTeamMember(ctx, &warden.TeamMember{OrgID: orgID, TeamID: teamID, UserID: userID, Permission: permission})
	})
}

func mustCreateToken(t *testing.T, s warden.Store, orgID, saID int64, name, hash string, expires time.Time) *warden.Token {
	t.Helper()
	ctx := t.Context()
	tk := &warden.Token{OrgID: orgID, ServiceAccountID: saID, Name: name, Hash: hash, Created: t0, Updated: t0, Expires: expires}
	update(t, s, func(tx warden.Tx) error { return tx.CreateToken(ctx, tk) })
	if tk.ID == 0 {
		t.Fatalf("CreateToken(%q) left ID 0", name)
	}
	return tk
}
