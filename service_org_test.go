package warden_test

import (
	"context"
	"testing"

	"github.com/wardenhq/warden"
)

// Nobody assigns a role above their own org role (adding a user to an org or changing their
// role there) unless they are a server admin. Warden has no custom role grants, so an Editor
// holding org.users:add cannot be built over HTTP (the permission engine refuses the Editor
// first); the rule is tested here on the service with a hand-built principal.
func TestOrgUsers_CannotAssignRoleAboveOwn(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, nil)
	e.bootstrap(t)
	ctx := context.Background()
	org2, err := e.svc.CreateOrg(ctx, "Org2")
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	ed := e.createUser(t, "ed", "pass", false)
	z, err := e.svc.CreateUser(ctx, warden.CreateUserInput{Login: "z", Password: "pass", OrgID: org2.ID})
	if err != nil {
		t.Fatalf("CreateUser(z): %v", err)
	}

	// An Editor of org 1 holding the org-user actions through a (hypothetical) custom grant.
	editor := &warden.Principal{Kind: warden.KindUser, UserID: ed.ID, Login: ed.Login, OrgID: 1, OrgRole: warden.RoleEditor,
		CurrentOrgID: 1, Permissions: warden.NewPermissions(append(warden.BasicRolePermissions(warden.RoleEditor, false),
			warden.Permission{Action: warden.ActionOrgUsersAdd, Scope: warden.ScopeUsersAll},
			warden.Permission{Action: warden.ActionOrgUsersWrite, Scope: warden.ScopeUsersAll}))}
	ectx := warden.NewContextWithPrincipal(ctx, editor)

	wantTooHigh := func(err error) {
		t.Helper()
		wantCode(t, err, warden.EFORBIDDEN)
		if got, want := warden.ErrorMessage(err), "Cannot assign a role higher than user's role"; got != want {
			t.Fatalf("ErrorMessage=%q, want %q", got, want)
		}
	}
	roleIn := func(userID, orgID int64) warden.OrgRole {
		t.Helper()
		orgs, err := e.svc.UserOrgs(ctx, userID)
		if err != nil {
			t.Fatalf("UserOrgs: %v", err)
		}
		for _, o := range orgs {
			if o.OrgID == orgID {
				return o.Role
			}
		}
		return ""
	}

	_, err = e.svc.AddOrgUser(ectx, 1, "z", warden.RoleAdmin)
	wantTooHigh(err)
	if r := roleIn(z.ID, 1); r != "" {
		t.Fatalf("z joined org 1 as %q after a refused add", r)
	}
	// Its own role and below are fine.
	id, err := e.svc.AddOrgUser(ectx, 1, "z", warden.RoleEditor)
	if err != nil || id != z.ID {
		t.Fatalf("AddOrgUser(Editor)=(%d, %v), want (%d, nil)", id, err, z.ID)
	}
	wantTooHigh(e.svc.UpdateOrgUser(ectx, 1, z.ID, warden.RoleAdmin))
	if r := roleIn(z.ID, 1); r != warden.RoleEditor {
		t.Fatalf("z's role in org 1 = %q after a refused change, want Editor", r)
	}
	if err := e.svc.UpdateOrgUser(ectx, 1, z.ID, warden.RoleViewer); err != nil {
		t.Fatalf("UpdateOrgUser(Viewer): %v", err)
	}

	// A Viewer may not give Editor; a principal without a role in the org may give nothing.
	viewer := *editor
	viewer.OrgRole = warden.RoleViewer
	wantTooHigh(e.svc.UpdateOrgUser(warden.NewContextWithPrincipal(ctx, &viewer), 1, z.ID, warden.RoleEditor))
	none := *editor
	none.OrgRole = ""
	_, err = e.svc.AddOrgUser(warden.NewContextWithPrincipal(ctx, &none), org2.ID, "ed", warden.RoleViewer)
	wantTooHigh(err)
	_, err = e.svc.AddOrgUser(ctx, org2.ID, "ed", warden.RoleViewer) // no principal at all
	wantTooHigh(err)

	// A server admin may give any role whatever its own org role is.
	sa := *editor
	sa.OrgRole, sa.IsServerAdmin = warden.RoleViewer, true
	if err := e.svc.UpdateOrgUser(warden.NewContextWithPrincipal(ctx, &sa), 1, z.ID, warden.RoleAdmin); err != nil {
		t.Fatalf("server admin UpdateOrgUser(Admin): %v", err)
	}
	// …but a service account is never one, even if a principal claimed it.
	fake := sa
	fake.Kind = warden.KindServiceAccount
	_, err = e.svc.AddOrgUser(warden.NewContextWithPrincipal(ctx, &fake), org2.ID, "ed", warden.RoleAdmin)
	wantTooHigh(err)
	if r := roleIn(z.ID, 1); r != warden.RoleAdmin {
		t.Fatalf("z's role in org 1 = %q, want Admin", r)
	}
}
