package warden

import (
	"slices"
	"strings"
	"testing"
)

func TestPermission_ScopeCovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		held      string
		requested string
		want      bool
	}{
		{"Exact", "serviceaccounts:id:7", "serviceaccounts:id:7", true},
		{"Everything", "*", "serviceaccounts:id:7", true},
		{"ResourceWildcard", "serviceaccounts:*", "serviceaccounts:id:7", true},
		{"AttributeWildcard", "serviceaccounts:id:*", "serviceaccounts:id:7", true},
		{"ResourceWildcardCoversAttributeWildcard", "serviceaccounts:*", "serviceaccounts:id:*", true},
		{"ExactIsNotPrefix", "serviceaccounts:id:7", "serviceaccounts:id:70", false},
		{"ExactDoesNotCoverShorter", "serviceaccounts:id:70", "serviceaccounts:id:7", false},
		{"ExactDoesNotCoverWildcard", "serviceaccounts:id:7", "serviceaccounts:id:*", false},
		{"AttributeWildcardDoesNotCoverResourceWildcard", "serviceaccounts:id:*", "serviceaccounts:*", false},
		{"OtherResource", "serviceaccounts:*", "users:id:7", false},
		{"OrgUsersDoNotCoverGlobalUsers", "users:*", "global.users:id:1", false},
		{"GlobalUsersDoNotCoverOrgUsers", "global.users:*", "users:id:1", false},
		{"EmptyHeldCoversNothing", "", "serviceaccounts:id:7", false},
		{"EmptyHeldDoesNotCoverEverything", "", "*", false},
		{"CaseSensitive", "serviceaccounts:id:7", "ServiceAccounts:id:7", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScopeCovers(tt.held, tt.requested); got != tt.want {
				t.Fatalf("ScopeCovers(%q, %q)=%v, want %v", tt.held, tt.requested, got, tt.want)
			}
		})
	}
}

func TestPermissions_Evaluate(t *testing.T) {
	t.Parallel()
	p := NewPermissions([]Permission{
		{Action: ActionSARead, Scope: "serviceaccounts:id:7"},
		{Action: ActionSAWrite, Scope: ScopeSAAll},
		{Action: ActionSADelete, Scope: "serviceaccounts:id:*"},
		{Action: ActionTeamsCreate, Scope: ""},
		{Action: ActionOrgsRead, Scope: "*"},
	})
	tests := []struct {
		name   string
		action string
		scope  string
		want   bool
	}{
		{"Exact", ActionSARead, "serviceaccounts:id:7", true},
		{"ExactOnlyNotPrefix", ActionSARead, "serviceaccounts:id:70", false},
		{"ExactDoesNotCoverWildcard", ActionSARead, "serviceaccounts:id:*", false},
		{"ExactOtherID", ActionSARead, "serviceaccounts:id:8", false},
		{"ResourceWildcard", ActionSAWrite, "serviceaccounts:id:7", true},
		{"AttributeWildcard", ActionSADelete, "serviceaccounts:id:7", true},
		{"Star", ActionOrgsRead, "orgs:id:3", true},
		{"EmptyScopeAnyHeldScoped", ActionSARead, "", true},
		{"EmptyScopeAnyHeldUnscoped", ActionTeamsCreate, "", true},
		{"UnscopedDoesNotCoverScope", ActionTeamsCreate, "teams:id:1", false},
		{"UnknownAction", "serviceaccounts:frobnicate", "", false},
		{"UnknownActionScoped", ActionUsersRead, "global.users:id:1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Evaluate(tt.action, tt.scope); got != tt.want {
				t.Fatalf("Evaluate(%q, %q)=%v, want %v", tt.action, tt.scope, got, tt.want)
			}
		})
	}
}

func TestPermissions_Add(t *testing.T) {
	t.Parallel()
	p := NewPermissions([]Permission{
		{Action: ActionSARead, Scope: ScopeSAAll},
		{Action: ActionSARead, Scope: ScopeSAAll},
		{Action: ActionSARead, Scope: "serviceaccounts:id:1"},
	})
	if got, want := p[ActionSARead], []string{ScopeSAAll, "serviceaccounts:id:1"}; !slices.Equal(got, want) {
		t.Fatalf("scopes=%q, want %q", got, want)
	}
}

func TestPermissions_Actions(t *testing.T) {
	t.Parallel()
	p := NewPermissions([]Permission{
		{Action: ActionSAWrite, Scope: ScopeSAAll},
		{Action: ActionSARead, Scope: "serviceaccounts:id:7"},
		{Action: ActionTeamsCreate, Scope: ""},
	})
	if got, want := p.Actions("serviceaccounts:id:7"), []string{ActionSARead, ActionSAWrite}; !slices.Equal(got, want) {
		t.Fatalf("Actions(id:7)=%q, want %q", got, want)
	}
	if got, want := p.Actions("serviceaccounts:id:8"), []string{ActionSAWrite}; !slices.Equal(got, want) {
		t.Fatalf("Actions(id:8)=%q, want %q", got, want)
	}
	if got, want := p.Actions(""), []string{ActionSARead, ActionSAWrite, ActionTeamsCreate}; !slices.Equal(got, want) {
		t.Fatalf("Actions(\"\")=%q, want %q", got, want)
	}
}

// grant is one check against a role's permission set.
type grant struct {
	action, scope string
}

func TestPermission_BasicRolePermissions(t *testing.T) {
	t.Parallel()
	// Checked with Evaluate; an empty scope asks whether the action is held at all.
	orgOnly := []grant{{ActionOrgsRead, ""}, {ActionOrgsQuotasRead, ""}}
	notViewer := []grant{
		{ActionOrgUsersRead, ""}, {ActionTeamsCreate, ""}, {ActionUsersRead, ""},
		{ActionSARead, ""}, {ActionSAWrite, ""}, {ActionSACreate, ""}, {ActionSADelete, ""},
		{ActionSAPermissionsRead, ""}, {ActionSAPermissionsWrite, ""}, {ActionOrgsWrite, ""},
		{ActionOrgsCreate, ""}, {ActionUsersCreate, ""},
	}
	admin := []grant{
		{ActionOrgsRead, ""}, {ActionOrgsWrite, ""},
		{ActionOrgUsersAdd, ScopeUsersAll}, {ActionOrgUsersAdd, "users:id:9"},
		{ActionOrgUsersRead, "users:id:9"}, {ActionOrgUsersRemove, "users:id:9"},
		{ActionTeamsCreate, ""}, {ActionTeamsDelete, "teams:id:3"},
		{ActionSACreate, ""}, {ActionSARead, ScopeSAAll}, {ActionSARead, "serviceaccounts:id:7"},
		{ActionSADelete, "serviceaccounts:id:7"},
	}
	notAdmin := []grant{
		{ActionUsersRead, ""}, {ActionUsersCreate, ""}, {ActionOrgsCreate, ""}, {ActionOrgsDelete, ""},
		{ActionUsersPasswordWrite, ""}, {ActionUsersDelete, ""},
	}
	serverAdmin := []grant{
		{ActionUsersRead, ScopeGlobalUsersAll}, {ActionUsersRead, "global.users:id:2"},
		{ActionOrgsCreate, ""}, {ActionUsersCreate, ""}, {ActionUsersPasswordWrite, "global.users:id:2"},
		{ActionOrgsRead, ""}, {ActionOrgUsersAdd, ScopeUsersAll},
	}
	tests := []struct {
		name        string
		role        OrgRole
		serverAdmin bool
		allowed     []grant
		denied      []grant
	}{
		{"Viewer", RoleViewer, false, orgOnly, notViewer},
		{"Editor", RoleEditor, false, orgOnly, notViewer},
		{"Admin", RoleAdmin, false, admin, notAdmin},
		{"None", RoleNone, false, nil, append(append([]grant{}, orgOnly...), notViewer...)},
		{"NoneServerAdmin", RoleNone, true, serverAdmin, []grant{{ActionTeamsCreate, ""}, {ActionSACreate, ""}, {ActionSARead, ""}}},
		{"ViewerServerAdmin", RoleViewer, true, serverAdmin, []grant{{ActionTeamsCreate, ""}, {ActionSARead, ""}}},
		{"AdminServerAdmin", RoleAdmin, true, append(append([]grant{}, serverAdmin...), admin...), nil},
		{"NoRoleServerAdmin", "", true, serverAdmin, []grant{{ActionSARead, ""}}},
		{"InvalidRole", "Boss", false, nil, append(append([]grant{}, orgOnly...), notViewer...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPermissions(BasicRolePermissions(tt.role, tt.serverAdmin))
			for _, g := range tt.allowed {
				if !p.Evaluate(g.action, g.scope) {
					t.Errorf("%s (server admin %v): Evaluate(%q, %q)=false, want true", tt.role, tt.serverAdmin, g.action, g.scope)
				}
			}
			for _, g := range tt.denied {
				if p.Evaluate(g.action, g.scope) {
					t.Errorf("%s (server admin %v): Evaluate(%q, %q)=true, want false", tt.role, tt.serverAdmin, g.action, g.scope)
				}
			}
		})
	}

	t.Run("NoneHasNothing", func(t *testing.T) {
		if got := BasicRolePermissions(RoleNone, false); len(got) != 0 {
			t.Fatalf("BasicRolePermissions(None)=%v, want none", got)
		}
	})
	t.Run("EditorEqualsViewer", func(t *testing.T) {
		v := NewPermissions(BasicRolePermissions(RoleViewer, false)).Actions("")
		e := NewPermissions(BasicRolePermissions(RoleEditor, false)).Actions("")
		if !slices.Equal(v, e) {
			t.Fatalf("Editor actions %q, Viewer actions %q; want equal", e, v)
		}
	})
	t.Run("NoServiceAccountActionForViewer", func(t *testing.T) {
		for _, perm := range BasicRolePermissions(RoleEditor, false) {
			if perm.Scope == ScopeSAAll || strings.HasPrefix(perm.Action, "serviceaccounts") {
				t.Errorf("Editor holds %+v, want no serviceaccounts permission", perm)
			}
		}
	})
	t.Run("UnscopedGrants", func(t *testing.T) {
		// teams:create, serviceaccounts:create, orgs:create and users:create are unscoped
		// grants: Grafana checks them without a scope.
		held := map[string][]string(NewPermissions(BasicRolePermissions(RoleAdmin, true)))
		for _, a := range []string{ActionTeamsCreate, ActionSACreate, ActionOrgsCreate, ActionUsersCreate} {
			if got := held[a]; !slices.Contains(got, "") {
				t.Errorf("%s scopes=%q, want the unscoped grant \"\"", a, got)
			}
		}
		if got := held[ActionUsersRead]; !slices.Equal(got, []string{ScopeGlobalUsersAll}) {
			t.Errorf("users:read scopes=%q, want [%q]", got, ScopeGlobalUsersAll)
		}
		if got := held[ActionOrgUsersAdd]; !slices.Equal(got, []string{ScopeUsersAll}) {
			t.Errorf("org.users:add scopes=%q, want [%q]", got, ScopeUsersAll)
		}
	})
}

func TestPermission_ManagedActions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		resource string
		level    ManagedLevel
		want     []string
	}{
		{"ServiceAccountEdit", ResourceServiceAccounts, LevelEdit, []string{ActionSARead, ActionSAWrite}},
		{"ServiceAccountAdmin", ResourceServiceAccounts, LevelAdmin, []string{ActionSARead, ActionSAWrite,
			ActionSADelete, ActionSAPermissionsRead, ActionSAPermissionsWrite}},
		{"TeamMember", ResourceTeams, "Member", []string{ActionTeamsRead}},
		{"TeamAdmin", ResourceTeams, LevelAdmin, []string{ActionTeamsRead, ActionTeamsDelete, ActionTeamsWrite,
			ActionTeamsPermissionsRead, ActionTeamsPermissionsWrite}},
		{"ServiceAccountView", ResourceServiceAccounts, LevelView, nil},
		{"ServiceAccountMember", ResourceServiceAccounts, "Member", nil},
		{"TeamEdit", ResourceTeams, LevelEdit, nil},
		{"UnknownLevel", ResourceTeams, "Owner", nil},
		{"UnknownResource", "dashboards", LevelAdmin, nil},
		{"LowerCaseLevel", ResourceServiceAccounts, "admin", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ManagedActions(tt.resource, tt.level)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ManagedActions(%q, %q)=%q, want %q", tt.resource, tt.level, got, tt.want)
			}
			if tt.want == nil && got != nil {
				t.Fatalf("ManagedActions(%q, %q)=%#v, want nil", tt.resource, tt.level, got)
			}
		})
	}
}
