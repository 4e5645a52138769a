package http

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// No privilege escalation: nobody assigns a role above their own, nobody but a server admin
// makes a server admin, a service account cannot raise its own role or grant itself
// permissions, and an org Admin of org 2 can touch nothing in org 1. Each case checks the
// exact status and that the database did not change (a snapshot of every org, membership,
// user, service account, token, grant and team, read again after the request).
//
// The fixtures (callers and objects) are the authorization matrix's: see authz_matrix_test.go.

// escalation is one refused request.
type escalation struct {
	name   string
	caller *matrixCaller
	method string
	rq     matrixReq
	opts   []reqOption
	want   int
	// wantBody, if set, is the exact (trimmed) body.
	wantBody string
	// wantFlash, if set, is a substring of the message a page shows after the redirect.
	wantFlash string
}

// check sends e and fails unless it gets the expected answer and the state is unchanged.
func (m *matrix) check(t *testing.T, e escalation) {
	t.Helper()
	before := m.snapshot(t)
	w := m.send(e.caller, e.method, e.rq, e.opts...)
	if w.Code != e.want {
		t.Errorf("%s: %s %s: status %d, want %d; body %.300s", e.name, e.method, e.rq.path, w.Code, e.want, w.Body)
	}
	if e.wantBody != "" && body(w) != e.wantBody {
		t.Errorf("%s: body %s, want %s", e.name, body(w), e.wantBody)
	}
	if e.wantFlash != "" {
		flash := ""
		for _, c := range w.Result().Cookies() {
			if c.Name == "warden_flash" {
				flash, _ = url.QueryUnescape(c.Value)
			}
		}
		if !strings.Contains(flash, e.wantFlash) {
			t.Errorf("%s: flash %q, want it to contain %q", e.name, flash, e.wantFlash)
		}
	}
	if after := m.snapshot(t); after != before {
		t.Errorf("%s: %s %s changed the state:\n%s", e.name, e.method, e.rq.path, matrixDiff(before, after))
	}
}

// snapshot renders every org, membership, user, service account, token, grant and team as
// text. Activity timestamps (last seen, last used) are left out: reading is not a change.
func (m *matrix) snapshot(t testing.TB) string {
	t.Helper()
	const all = 1 << 30
	ctx := context.Background()
	var b strings.Builder
	err := m.store.View(ctx, func(tx warden.Tx) error {
		orgs, err := tx.FindOrgs(ctx, warden.OrgFilter{Limit: all})
		if err != nil {
			return err
		}
		for _, o := range orgs {
			fmt.Fprintf(&b, "org %d %q %+v updated=%v\n", o.ID, o.Name, o.Address, o.Updated)
			members, _, err := tx.FindOrgUsers(ctx, warden.OrgUserFilter{OrgID: o.ID, Limit: all})
			if err != nil {
				return err
			}
			for _, mb := range members {
				fmt.Fprintf(&b, "  member %d %s\n", mb.UserID, mb.Role)
			}
			sas, _, err := tx.FindServiceAccounts(ctx, warden.ServiceAccountFilter{OrgID: o.ID, Limit: all})
			if err != nil {
				return err
			}
			for _, a := range sas {
				fmt.Fprintf(&b, "  sa %d %q %s disabled=%v updated=%v\n", a.ID, a.Name, a.Role, a.IsDisabled, a.Updated)
				tokens, err := tx.FindTokens(ctx, o.ID, a.ID, all)
				if err != nil {
					return err
				}
				for _, tk := range tokens {
					fmt.Fprintf(&b, "    token %d %q revoked=%v expires=%v\n", tk.ID, tk.Name, tk.IsRevoked, tk.Expires)
				}
				grants, err := tx.FindResourcePermissions(ctx, o.ID, warden.ResourceServiceAccounts, a.ID)
				if err != nil {
					return err
				}
				for _, g := range grants {
					fmt.Fprintf(&b, "    grant user=%d team=%d %s\n", g.UserID, g.TeamID, g.Level)
				}
			}
			teams, _, err := tx.FindTeams(ctx, warden.TeamFilter{OrgID: o.ID, Limit: all})
			if err != nil {
				return err
			}
			for _, tm := range teams {
				fmt.Fprintf(&b, "  team %d %q %q\n", tm.ID, tm.Name, tm.Email)
				members, err := tx.FindTeamMembers(ctx, o.ID, tm.ID)
				if err != nil {
					return err
				}
				for _, mb := range members {
					fmt.Fprintf(&b, "    member %d permission=%d\n", mb.UserID, mb.Permission)
				}
			}
		}
		users, _, err := tx.FindUsers(ctx, warden.UserFilter{Limit: all})
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(&b, "user %d %q %q %q admin=%v disabled=%v org=%d hash=%.40s updated=%v\n",
				u.ID, u.Login, u.Email, u.Name, u.IsAdmin, u.IsDisabled, u.OrgID, u.PasswordHash, u.Updated)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// matrixDiff lists the lines only in before (-) or only in after (+).
func matrixDiff(before, after string) string {
	in := func(s string) map[string]bool {
		set := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			set[l] = true
		}
		return set
	}
	b, a := in(before), in(after)
	var out []string
	for _, l := range strings.Split(before, "\n") {
		if !a[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if !b[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

func (m *matrix) orgRoleOf(t *testing.T, org, userID int64) warden.OrgRole {
	t.Helper()
	ctx := context.Background()
	var role warden.OrgRole
	err := m.store.View(ctx, func(tx warden.Tx) error {
		ou, err := tx.FindOrgUser(ctx, org, userID)
		if warden.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		role = ou.Role
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return role
}

func (m *matrix) saByID(t *testing.T, id int64) *warden.ServiceAccount {
	t.Helper()
	ctx := context.Background()
	var a *warden.ServiceAccount
	err := m.store.View(ctx, func(tx warden.Tx) error {
		var err error
		a, err = tx.FindServiceAccount(ctx, 1, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (m *matrix) teamByID(t *testing.T, id int64) *warden.Team {
	t.Helper()
	ctx := context.Background()
	var tm *warden.Team
	err := m.store.View(ctx, func(tx warden.Tx) error {
		var err error
		tm, err = tx.FindTeamByID(ctx, 1, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func namingOrg(org int64) reqOption { return withHeader("X-Grafana-Org-Id", fmt.Sprint(org)) }

const saRoleTooHigh = `{"message":"can not assign a role higher than user's role","messageId":"serviceaccounts.ErrRoleForbidden","statusCode":403}`

// TestEscalation_OrgRole: nobody gives an org role above their own, in the org or through
// another org where they rank higher.
func TestEscalation_OrgRole(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	editor, viewer, none := m.callers["Edit"], m.callers["View"], m.callers["None"]
	// An Admin of org 3 who is only a Viewer of org 1.
	org3 := m.freshOrg()
	split := m.userCaller("split", false, matrixMember{org3, warden.RoleAdmin}, matrixMember{1, warden.RoleViewer})
	target := m.orgUser()
	outsider := m.outsider()
	addAdmin := fmt.Sprintf(`{"loginOrEmail":%q,"role":"Admin"}`, outsider.Login)
	toAdmin := `{"role":"Admin"}`
	for _, e := range []escalation{
		{name: "editor raises a viewer", caller: editor, method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(target.ID), toAdmin), want: 403},
		{name: "editor raises itself", caller: editor, method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(editor.userID), toAdmin), want: 403},
		{name: "editor raises itself by uid", caller: editor, method: "PATCH",
			rq: matrixJSON("/api/org/users/"+m.uidOf(t, editor.userID), toAdmin), want: 403},
		{name: "editor raises itself in the org route", caller: editor, method: "PATCH",
			rq: matrixJSON("/api/orgs/1/users/"+matrixID(editor.userID), toAdmin), want: 403},
		{name: "viewer raises itself", caller: viewer, method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(viewer.userID), `{"role":"Editor"}`), want: 403},
		{name: "none raises itself", caller: none, method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(none.userID), `{"role":"Viewer"}`), want: 403},
		{name: "editor adds an admin", caller: editor, method: "POST", rq: matrixJSON("/api/org/users", addAdmin), want: 403},
		{name: "editor adds an admin in the org route", caller: editor, method: "POST", rq: matrixJSON("/api/orgs/1/users", addAdmin), want: 403},
		{name: "editor raises itself on the users page", caller: editor, method: "POST",
			rq: matrixForm("/org/users/"+matrixID(editor.userID)+"/role", "role", "Admin"), want: 403},
		{name: "editor adds an admin on the users page", caller: editor, method: "POST",
			rq: matrixForm("/org/users", "loginOrEmail", outsider.Login, "role", "Admin"), want: 403},
		{name: "managed admin raises itself", caller: m.callers["M-Admin"], method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(m.callers["M-Admin"].userID), toAdmin), want: 403},
		{name: "editor SA token raises a viewer", caller: m.callers["SA-E"], method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(target.ID), toAdmin), want: 403},
		// Admin of org 3 does not carry into org 1.
		{name: "org-3 admin raises itself in org 1", caller: split, method: "PATCH",
			rq: matrixJSON("/api/orgs/1/users/"+matrixID(split.userID), toAdmin), want: 403},
		{name: "org-3 admin raises itself in org 1 by header", caller: split, method: "PATCH",
			rq: matrixJSON("/api/org/users/"+matrixID(split.userID), toAdmin), opts: []reqOption{namingOrg(1)}, want: 403},
		{name: "org-3 admin adds an admin to org 1", caller: split, method: "POST",
			rq: matrixJSON("/api/orgs/1/users", addAdmin), want: 403},
		{name: "org-3 admin adds an admin to org 1 by header", caller: split, method: "POST",
			rq: matrixJSON("/api/org/users", addAdmin), opts: []reqOption{namingOrg(1)}, want: 403},
		{name: "org-3 admin adds an admin to org 1 by targetOrgId", caller: split, method: "POST",
			rq: matrixJSON("/api/org/users?targetOrgId=1", addAdmin), want: 403},
	} {
		m.check(t, e)
	}
	if got := m.orgRoleOf(t, 1, split.userID); got != warden.RoleViewer {
		t.Errorf("split user's role in org 1 = %q, want Viewer", got)
	}
	// Control: in org 3, where it is Admin, the same request is allowed (Admin is not above
	// its own role there), so the refusals above are about org 1.
	w := m.send(split, "POST", matrixJSON("/api/orgs/"+matrixID(org3)+"/users", addAdmin))
	if w.Code != http.StatusOK {
		t.Errorf("org-3 admin adds an admin to org 3: status %d, want 200; body %s", w.Code, w.Body)
	}
	if got := m.orgRoleOf(t, org3, outsider.ID); got != warden.RoleAdmin {
		t.Errorf("outsider's role in org 3 = %q, want Admin", got)
	}
}

func (m *matrix) uidOf(t *testing.T, id int64) string {
	t.Helper()
	ctx := context.Background()
	var uid string
	err := m.store.View(ctx, func(tx warden.Tx) error {
		u, err := tx.FindUserByID(ctx, id)
		if err == nil {
			uid = u.UID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

// TestEscalation_ServerAdmin: only a server admin makes, changes or removes a server admin.
func TestEscalation_ServerAdmin(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	admin, srv := m.callers["Admin"], m.callers["Srv"]
	other := m.orgUser()
	grant := `{"isGrafanaAdmin":true}`
	denied := `{"message":"Permission denied"}` // reqGrafanaAdmin (SPEC-identity §5.7, checklist 54)
	for _, e := range []escalation{
		{name: "org admin makes itself server admin", caller: admin, method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(admin.userID)+"/permissions", grant), want: 403, wantBody: denied},
		{name: "org admin makes another user server admin", caller: admin, method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(other.ID)+"/permissions", grant), want: 403, wantBody: denied},
		{name: "org admin by uid", caller: admin, method: "PUT",
			rq: matrixJSON("/api/admin/users/"+other.UID+"/permissions", grant), want: 403, wantBody: denied},
		{name: "admin SA token makes its creator server admin", caller: m.callers["SA-A"], method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(admin.userID)+"/permissions", grant), want: 403, wantBody: denied},
		{name: "admin SA token makes itself server admin", caller: m.callers["SA-A"], method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(m.callers["SA-A"].userID)+"/permissions", grant), want: 403, wantBody: denied},
		{name: "org 2 admin makes itself server admin", caller: m.callers["Org2"], method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(m.callers["Org2"].userID)+"/permissions", grant), want: 403, wantBody: denied},
		{name: "org admin demotes the server admin", caller: admin, method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(srv.userID)+"/permissions", `{"isGrafanaAdmin":false}`), want: 403, wantBody: denied},
		{name: "org admin sets the server admin's password", caller: admin, method: "PUT",
			rq: matrixJSON("/api/admin/users/"+matrixID(srv.userID)+"/password", `{"password":"taken-over"}`), want: 403},
		{name: "org admin takes over the server admin's login", caller: admin, method: "PUT",
			rq: matrixJSON("/api/users/"+matrixID(srv.userID), fmt.Sprintf(`{"login":"admin","email":%q}`, admin.email)), want: 403},
		{name: "org admin disables the server admin", caller: admin, method: "POST",
			rq: matrixReq{path: "/api/admin/users/" + matrixID(srv.userID) + "/disable"}, want: 403},
		{name: "org admin deletes the server admin", caller: admin, method: "DELETE",
			rq: matrixReq{path: "/api/admin/users/" + matrixID(srv.userID)}, want: 403},
		{name: "org admin creates a user", caller: admin, method: "POST",
			rq: matrixJSON("/api/admin/users", `{"login":"sneaky","password":"sneaky-pw"}`), want: 403},
		{name: "org admin creates an org", caller: admin, method: "POST",
			rq: matrixJSON("/api/orgs", `{"name":"mine"}`), want: 403},
		{name: "org admin deletes its own org", caller: admin, method: "DELETE",
			rq: matrixReq{path: "/api/orgs/1"}, want: 403},
		{name: "admin SA token deletes its org", caller: m.callers["SA-A"], method: "DELETE",
			rq: matrixReq{path: "/api/orgs/1"}, want: 403},
		{name: "org 2 admin deletes org 2", caller: m.callers["Org2"], method: "DELETE",
			rq: matrixReq{path: "/api/orgs/" + matrixID(m.org2)}, want: 403},
	} {
		m.check(t, e)
	}
	if _, err := m.env.svc.CheckPassword(context.Background(), "admin", "admin"); err != nil {
		t.Errorf("the server admin's password no longer works: %v", err)
	}
}

// TestEscalation_ServiceAccount: a service account cannot raise its own role, grant itself
// (or its account) permissions, or create a stronger account; a managed permission on an
// account does not let a user give it a role above the user's own.
func TestEscalation_ServiceAccount(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	for _, key := range []string{"SA-N", "SA-V", "SA-E"} {
		c := m.callers[key]
		self := matrixID(c.userID)
		uid := m.saByID(t, c.userID).UID
		for _, e := range []escalation{
			{name: key + " raises its role", caller: c, method: "PATCH",
				rq: matrixJSON("/api/serviceaccounts/"+self, `{"role":"Admin"}`), want: 403},
			{name: key + " raises its role by uid", caller: c, method: "PATCH",
				rq: matrixJSON("/api/serviceaccounts/"+uid, `{"role":"Admin"}`), want: 403},
			{name: key + " raises its role on the page", caller: c, method: "POST",
				rq: matrixForm("/org/serviceaccounts/"+self+"/role", "role", "Admin"), want: 403},
			{name: key + " grants a user Admin on itself", caller: c, method: "POST",
				rq: matrixJSON("/api/access-control/serviceaccounts/"+self+"/users/"+matrixID(m.grantee.ID), `{"permission":"Admin"}`), want: 403},
			{name: key + " grants itself Admin on itself", caller: c, method: "POST",
				rq: matrixJSON("/api/access-control/serviceaccounts/"+self+"/users/"+self, `{"permission":"Admin"}`), want: 403},
			{name: key + " grants a team Admin on itself", caller: c, method: "POST",
				rq: matrixJSON("/api/access-control/serviceaccounts/"+self+"/teams/"+matrixID(m.team), `{"permission":"Admin"}`), want: 403},
			{name: key + " grants itself on the page", caller: c, method: "POST",
				rq: matrixForm("/org/serviceaccounts/"+self+"/permissions", "principal", "user:"+self, "permission", "Admin"), want: 403},
			{name: key + " grants itself on the target SA", caller: c, method: "POST",
				rq: matrixJSON("/api/access-control/serviceaccounts/"+matrixID(m.target)+"/users/"+self, `{"permission":"Admin"}`), want: 403},
			{name: key + " creates an Admin SA", caller: c, method: "POST",
				rq: matrixJSON("/api/serviceaccounts", `{"name":"stronger","role":"Admin"}`), want: 403},
			{name: key + " mints itself a token", caller: c, method: "POST",
				rq: matrixJSON("/api/serviceaccounts/"+self+"/tokens", `{"name":"more"}`), want: 403},
			{name: key + " joins a team", caller: c, method: "POST",
				rq: matrixJSON("/api/teams/"+matrixID(m.team)+"/members", fmt.Sprintf(`{"userId":%d}`, c.userID)), want: 403},
			{name: key + " raises a user", caller: c, method: "PATCH",
				rq: matrixJSON("/api/org/users/"+matrixID(m.grantee.ID), `{"role":"Admin"}`), want: 403},
			{name: key + " acts in org 2", caller: c, method: "GET",
				rq: matrixReq{path: "/api/org"}, opts: []reqOption{namingOrg(m.org2)}, want: 401},
		} {
			m.check(t, e)
		}
	}

	// An Admin account is already at the top of its org; it still never becomes more.
	sa := m.callers["SA-A"]
	self := matrixID(sa.userID)
	for _, e := range []escalation{
		// Grants are for users and teams; a service-account id is not a user (SPEC §5.3).
		{name: "admin SA grants itself Admin on itself", caller: sa, method: "POST",
			rq: matrixJSON("/api/access-control/serviceaccounts/"+self+"/users/"+self, `{"permission":"Admin"}`), want: 400},
		// A service account is not a user a team can hold (SPEC-identity §7.3: 500, UNCONFIRMED for SA ids).
		{name: "admin SA joins a team", caller: sa, method: "POST",
			rq: matrixJSON("/api/teams/"+matrixID(m.team)+"/members", fmt.Sprintf(`{"userId":%d}`, sa.userID)), want: 500},
		{name: "admin SA creates an org", caller: sa, method: "POST", rq: matrixJSON("/api/orgs", `{"name":"sa-org"}`), want: 403},
		{name: "admin SA creates a user", caller: sa, method: "POST",
			rq: matrixJSON("/api/admin/users", `{"login":"sa-made","password":"sa-made-pw"}`), want: 403},
		{name: "admin SA adds itself to org 2", caller: sa, method: "POST",
			rq: matrixJSON("/api/orgs/"+matrixID(m.org2)+"/users", fmt.Sprintf(`{"loginOrEmail":%q,"role":"Admin"}`, m.saByID(t, sa.userID).Login)), want: 403},
		{name: "admin SA acts in org 2", caller: sa, method: "POST",
			rq: matrixJSON("/api/serviceaccounts", `{"name":"in-org-2"}`), opts: []reqOption{namingOrg(m.org2)}, want: 401},
	} {
		m.check(t, e)
	}

	// Managed permissions: the holder's own org role bounds the role it gives the account
	// (SPEC §1.5, §2.6).
	mEdit, mAdmin := m.callers["M-Edit"], m.callers["M-Admin"]
	target := matrixID(m.target)
	bare, err := m.createSA("bare", warden.RoleViewer) // no grant on it for anyone but its creator
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []escalation{
		{name: "managed admin (None) gives the SA Viewer", caller: mAdmin, method: "PATCH",
			rq: matrixJSON("/api/serviceaccounts/"+target, `{"role":"Viewer"}`), want: 403, wantBody: saRoleTooHigh},
		{name: "managed admin (None) gives the SA Admin", caller: mAdmin, method: "PATCH",
			rq: matrixJSON("/api/serviceaccounts/"+target, `{"role":"Admin"}`), want: 403, wantBody: saRoleTooHigh},
		{name: "managed edit (None) gives the SA Admin", caller: mEdit, method: "PATCH",
			rq: matrixJSON("/api/serviceaccounts/"+target, `{"role":"Admin"}`), want: 403, wantBody: saRoleTooHigh},
		{name: "managed admin gives the SA Admin on the page", caller: mAdmin, method: "POST",
			rq: matrixForm("/org/serviceaccounts/"+target+"/role", "role", "Admin"), want: 303,
			wantFlash: "You cannot give a role higher than your own."},
		{name: "managed edit raises its own level", caller: mEdit, method: "POST",
			rq: matrixJSON("/api/access-control/serviceaccounts/"+target+"/users/"+matrixID(mEdit.userID), `{"permission":"Admin"}`), want: 403},
		{name: "managed edit raises its own level on the page", caller: mEdit, method: "POST",
			rq: matrixForm("/org/serviceaccounts/"+target+"/permissions", "principal", "user:"+matrixID(mEdit.userID), "permission", "Admin"), want: 403},
		{name: "managed edit deletes the SA", caller: mEdit, method: "DELETE",
			rq: matrixReq{path: "/api/serviceaccounts/" + target}, want: 403},
		{name: "managed admin grants itself on another SA", caller: mAdmin, method: "POST",
			rq: matrixJSON("/api/access-control/serviceaccounts/"+matrixID(bare)+"/users/"+matrixID(mAdmin.userID), `{"permission":"Admin"}`), want: 403},
		{name: "managed admin reads another SA", caller: mAdmin, method: "GET",
			rq: matrixReq{path: "/api/serviceaccounts/" + matrixID(bare)}, want: 403},
		{name: "managed admin creates an SA", caller: mAdmin, method: "POST",
			rq: matrixJSON("/api/serviceaccounts", `{"name":"mine"}`), want: 403},
	} {
		m.check(t, e)
	}
	if got := m.saByID(t, m.target).Role; got != warden.RoleViewer {
		t.Errorf("target SA role = %q, want Viewer", got)
	}

	// An Editor holding managed Admin on an account may give it Editor, not Admin.
	editor := m.userCaller("editor-managed", false, matrixMember{1, warden.RoleEditor})
	m.grant(m.target, editor.userID, warden.LevelAdmin)
	m.check(t, escalation{name: "managed admin (Editor) gives the SA Admin", caller: editor, method: "PATCH",
		rq: matrixJSON("/api/serviceaccounts/"+target, `{"role":"Admin"}`), want: 403, wantBody: saRoleTooHigh})
	if w := m.send(editor, "PATCH", matrixJSON("/api/serviceaccounts/"+target, `{"role":"Editor"}`)); w.Code != http.StatusOK {
		t.Errorf("managed admin (Editor) gives the SA Editor: status %d, want 200; body %s", w.Code, w.Body)
	}
	if got := m.saByID(t, m.target).Role; got != warden.RoleEditor {
		t.Errorf("target SA role = %q, want Editor", got)
	}
}

// TestEscalation_OtherOrg: an Admin of org 2 can touch nothing in org 1 — users, service
// accounts, tokens, teams or org settings, by id or UID, from org 2 or naming org 1.
func TestEscalation_OtherOrg(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	o2 := m.callers["Org2"]
	org1 := []reqOption{namingOrg(1)}
	user := m.orgUser()
	sa := m.freshSA()
	saA := m.saByID(t, sa)
	tok := m.freshToken(sa)
	team := m.freshTeam(true)
	teamUID := m.teamByID(t, team).UID
	saPath, teamPath := "/api/serviceaccounts/"+matrixID(sa), "/api/teams/"+matrixID(team)
	selfAdmin := fmt.Sprintf(`{"loginOrEmail":%q,"role":"Admin"}`, o2.login)
	pwnSA := `{"name":"pwned","role":"Admin","isDisabled":true}`
	var cases []escalation
	add := func(want int, method string, rq matrixReq, opts ...reqOption) {
		cases = append(cases, escalation{name: "org 2 admin", caller: o2, method: method, rq: rq, opts: opts, want: want})
	}

	// Users of org 1. From org 2 the guard passes (org 2's Admin holds org.users:* there) and
	// the service finds no such member: Grafana's 500 (SPEC-identity §6.5).
	add(500, "PATCH", matrixJSON("/api/org/users/"+matrixID(user.ID), `{"role":"Admin"}`))
	add(500, "PATCH", matrixJSON("/api/org/users/"+user.UID, `{"role":"Admin"}`))
	add(500, "DELETE", matrixReq{path: "/api/org/users/" + matrixID(user.ID)})
	add(403, "PATCH", matrixJSON("/api/org/users/"+matrixID(user.ID), `{"role":"None"}`), org1...)
	add(403, "DELETE", matrixReq{path: "/api/org/users/" + matrixID(user.ID)}, org1...)
	add(403, "POST", matrixJSON("/api/org/users", selfAdmin), org1...)
	add(403, "POST", matrixJSON("/api/org/users?targetOrgId=1", selfAdmin))
	add(403, "GET", matrixReq{path: "/api/org/users"}, org1...)
	add(403, "PATCH", matrixJSON("/api/orgs/1/users/"+matrixID(user.ID), `{"role":"None"}`))
	add(403, "DELETE", matrixReq{path: "/api/orgs/1/users/" + matrixID(user.ID)})
	add(403, "POST", matrixJSON("/api/orgs/1/users", selfAdmin))
	add(403, "GET", matrixReq{path: "/api/orgs/1/users"})
	add(403, "PUT", matrixJSON("/api/users/"+matrixID(user.ID), fmt.Sprintf(`{"login":"pwned","email":%q}`, user.Email)))
	add(403, "GET", matrixReq{path: "/api/users/" + matrixID(user.ID)})
	add(401, "POST", matrixReq{path: "/api/user/using/1"})
	add(303, "POST", matrixForm("/org/users/"+matrixID(user.ID)+"/role", "role", "Admin"))
	add(303, "POST", matrixForm("/org/users/"+matrixID(user.ID)+"/remove"))
	add(403, "POST", matrixForm("/org/users/"+matrixID(user.ID)+"/remove"), org1...)

	// Service accounts of org 1: not found from org 2 (SPEC §2.1), denied naming org 1.
	// Naming org 1, org 2's Admin has no role there: an id is denied (403); a UID is looked up
	// in the caller's org before the check and is not found (404, SPEC §2.1).
	for _, p := range []struct {
		path    string
		viaOrg1 int
	}{{saPath, 403}, {"/api/serviceaccounts/" + saA.UID, 404}} {
		add(404, "GET", matrixReq{path: p.path})
		add(404, "PATCH", matrixJSON(p.path, pwnSA))
		add(404, "DELETE", matrixReq{path: p.path})
		add(404, "POST", matrixJSON(p.path+"/tokens", `{"name":"stolen"}`))
		add(404, "DELETE", matrixReq{path: p.path + "/tokens/" + matrixID(tok)})
		add(p.viaOrg1, "GET", matrixReq{path: p.path}, org1...)
		add(p.viaOrg1, "PATCH", matrixJSON(p.path, pwnSA), org1...)
		add(p.viaOrg1, "DELETE", matrixReq{path: p.path}, org1...)
		add(p.viaOrg1, "POST", matrixJSON(p.path+"/tokens", `{"name":"stolen"}`), org1...)
	}
	cases = append(cases, escalation{name: "org 2 admin lists org 1 tokens", caller: o2, method: "GET",
		rq: matrixReq{path: saPath + "/tokens"}, want: 200, wantBody: "[]"})
	add(403, "GET", matrixReq{path: saPath + "/tokens"}, org1...)
	add(403, "GET", matrixReq{path: "/api/serviceaccounts/search"}, org1...)
	add(404, "GET", matrixReq{path: "/api/access-control/serviceaccounts/" + matrixID(sa)})
	add(404, "POST", matrixJSON("/api/access-control/serviceaccounts/"+matrixID(sa)+"/users/"+matrixID(o2.userID), `{"permission":"Admin"}`))
	add(404, "POST", matrixJSON("/api/access-control/serviceaccounts/"+saA.UID+"/users/"+matrixID(o2.userID), `{"permission":"Admin"}`))
	add(403, "POST", matrixJSON("/api/access-control/serviceaccounts/"+matrixID(sa)+"/users/"+matrixID(o2.userID), `{"permission":"Admin"}`), org1...)
	add(404, "GET", matrixReq{path: "/org/serviceaccounts/" + matrixID(sa)})
	add(303, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/role", "role", "Admin"))
	add(303, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/name", "name", "pwned"))
	add(303, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/disable"))
	add(404, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/delete"))
	add(404, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/tokens", "name", "stolen", "nonce", newNonce()))
	add(404, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/tokens/"+matrixID(tok)+"/delete"))
	add(404, "GET", matrixReq{path: "/org/serviceaccounts/" + matrixID(sa) + "/tokens/" + matrixID(tok) + "/rotate"})
	add(404, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/tokens/"+matrixID(tok)+"/rotate", "grace", "0", "nonce", newNonce()))
	add(404, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/tokens/delete-expired", "confirm", "yes"))
	add(303, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/permissions", "principal", "user:"+matrixID(o2.userID), "permission", "Admin"))
	add(403, "POST", matrixForm("/org/serviceaccounts/"+matrixID(sa)+"/role", "role", "Admin"), org1...)

	// Teams of org 1.
	for _, p := range []struct {
		path    string
		viaOrg1 int
	}{{teamPath, 403}, {"/api/teams/" + teamUID, 404}} {
		add(404, "GET", matrixReq{path: p.path})
		add(404, "PUT", matrixJSON(p.path, `{"name":"pwned"}`))
		add(404, "DELETE", matrixReq{path: p.path})
		add(404, "POST", matrixJSON(p.path+"/members", fmt.Sprintf(`{"userId":%d}`, o2.userID)))
		add(404, "PUT", matrixJSON(p.path+"/members/"+matrixID(m.grantee.ID), `{"permission":4}`))
		add(404, "DELETE", matrixReq{path: p.path + "/members/" + matrixID(m.grantee.ID)})
		add(p.viaOrg1, "GET", matrixReq{path: p.path}, org1...)
		add(p.viaOrg1, "PUT", matrixJSON(p.path, `{"name":"pwned"}`), org1...)
		add(p.viaOrg1, "DELETE", matrixReq{path: p.path}, org1...)
	}
	cases = append(cases, escalation{name: "org 2 admin lists org 1 team members", caller: o2, method: "GET",
		rq: matrixReq{path: teamPath + "/members"}, want: 200, wantBody: "[]"})
	add(403, "GET", matrixReq{path: "/api/teams/search"}, org1...)
	add(404, "GET", matrixReq{path: "/org/teams/" + matrixID(team)})
	add(303, "POST", matrixForm("/org/teams/"+matrixID(team)+"/members", "userId", matrixID(o2.userID)))
	add(303, "POST", matrixForm("/org/teams/"+matrixID(team)+"/members/"+matrixID(m.grantee.ID)+"/remove"))
	add(303, "POST", matrixForm("/org/teams/"+matrixID(team)+"/delete"))

	// Org 1's settings.
	add(403, "GET", matrixReq{path: "/api/orgs/1"})
	add(403, "PUT", matrixJSON("/api/orgs/1", `{"name":"pwned"}`))
	add(403, "PUT", matrixJSON("/api/orgs/1/address", `{"city":"pwned"}`))
	add(403, "DELETE", matrixReq{path: "/api/orgs/1"})
	add(403, "GET", matrixReq{path: "/api/org"}, org1...)
	add(403, "PUT", matrixJSON("/api/org", `{"name":"pwned"}`), org1...)
	add(403, "PUT", matrixJSON("/api/org/address", `{"city":"pwned"}`), org1...)
	add(403, "PUT", matrixJSON("/api/org?targetOrgId=1", `{"name":"pwned"}`))

	// An Admin token of org 2 is no better.
	sa2 := m.org2Token(t)
	for _, e := range []escalation{
		{name: "org 2 SA token", caller: sa2, method: "PATCH", rq: matrixJSON(saPath, pwnSA), want: 404},
		{name: "org 2 SA token", caller: sa2, method: "DELETE", rq: matrixReq{path: saPath + "/tokens/" + matrixID(tok)}, want: 404},
		{name: "org 2 SA token", caller: sa2, method: "PUT", rq: matrixJSON(teamPath, `{"name":"pwned"}`), want: 404},
		{name: "org 2 SA token", caller: sa2, method: "PATCH", rq: matrixJSON("/api/orgs/1/users/"+matrixID(user.ID), `{"role":"None"}`), want: 403},
		{name: "org 2 SA token", caller: sa2, method: "PATCH", rq: matrixJSON(saPath, pwnSA), opts: org1, want: 401},
		{name: "org 2 SA token", caller: sa2, method: "PUT", rq: matrixJSON("/api/org", `{"name":"pwned"}`), opts: org1, want: 401},
	} {
		cases = append(cases, e)
	}

	for _, e := range cases {
		if e.name == "org 2 admin" {
			e.name = fmt.Sprintf("org 2 admin %s %s%s", e.method, e.rq.path, map[bool]string{true: " naming org 1"}[len(e.opts) > 0])
		}
		m.check(t, e)
	}
	if got := m.orgRoleOf(t, 1, o2.userID); got != "" {
		t.Errorf("org 2 admin is a member of org 1 with role %q", got)
	}
	if got := m.orgRoleOf(t, 1, user.ID); got != warden.RoleViewer {
		t.Errorf("org 1 user's role = %q, want Viewer", got)
	}
}

// org2Token returns a caller with a token of an Admin service account of org 2.
func (m *matrix) org2Token(t *testing.T) *matrixCaller {
	t.Helper()
	u, err := m.env.svc.FindUserByID(context.Background(), m.callers["Org2"].userID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := m.actingAs(u, m.org2)
	role := warden.RoleAdmin
	a, err := m.env.svc.CreateServiceAccount(ctx, m.name("org2-sa"), &role, false)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := m.env.svc.IssueToken(ctx, a.ID, m.name("org2-token"), 0, warden.TokenRestrictions{})
	if err != nil {
		t.Fatal(err)
	}
	return &matrixCaller{key: "org2-sa", bearer: secret.Reveal(), userID: a.ID}
}
