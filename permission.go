package warden

import (
	"sort"
	"strconv"
	"strings"
)

// Actions Warden checks. The names are Grafana's RBAC actions, so tools that probe
// /api/access-control/user/permissions see what they expect.
const (
	ActionOrgsRead              = "orgs:read"
	ActionOrgsWrite             = "orgs:write"
	ActionOrgsCreate            = "orgs:create"
	ActionOrgsDelete            = "orgs:delete"
	ActionOrgsQuotasRead        = "orgs.quotas:read"
	ActionOrgsQuotasWrite       = "orgs.quotas:write"
	ActionOrgsPreferencesRead   = "orgs.preferences:read"
	ActionOrgsPreferencesWrite  = "orgs.preferences:write"
	ActionOrgUsersRead          = "org.users:read"
	ActionOrgUsersAdd           = "org.users:add"
	ActionOrgUsersWrite         = "org.users:write"
	ActionOrgUsersRemove        = "org.users:remove"
	ActionUsersRead             = "users:read"
	ActionUsersCreate           = "users:create"
	ActionUsersWrite            = "users:write"
	ActionUsersDelete           = "users:delete"
	ActionUsersEnable           = "users:enable"
	ActionUsersDisable          = "users:disable"
	ActionUsersPasswordWrite    = "users.password:write"
	ActionUsersPermissionsRead  = "users.permissions:read"
	ActionUsersPermissionsWrite = "users.permissions:write"
	ActionUsersLogout           = "users:logout"
	ActionUsersAuthTokenRead    = "users.authtoken:read"
	ActionUsersAuthTokenWrite   = "users.authtoken:write"
	ActionUsersQuotasRead       = "users.quotas:read"
	ActionUsersQuotasWrite      = "users.quotas:write"
	ActionTeamsCreate           = "teams:create"
	ActionTeamsRead             = "teams:read"
	ActionTeamsWrite            = "teams:write"
	ActionTeamsDelete           = "teams:delete"
	ActionTeamsPermissionsRead  = "teams.permissions:read"
	ActionTeamsPermissionsWrite = "teams.permissions:write"
	ActionSARead                = "serviceaccounts:read"
	ActionSAWrite               = "serviceaccounts:write"
	ActionSACreate              = "serviceaccounts:create"
	ActionSADelete              = "serviceaccounts:delete"
	ActionSAPermissionsRead     = "serviceaccounts.permissions:read"
	ActionSAPermissionsWrite    = "serviceaccounts.permissions:write"
)

// Scopes and scope builders.
const (
	ScopeUsersAll       = "users:*"
	ScopeGlobalUsersAll = "global.users:*"
	ScopeTeamsAll       = "teams:*"
	ScopeSAAll          = "serviceaccounts:*"
)

// ScopeGlobalUser returns the scope of one user in global (server-admin) terms.
func ScopeGlobalUser(id int64) string { return "global.users:id:" + strconv.FormatInt(id, 10) }

// ScopeOrgUser returns the scope of one user within an org.
func ScopeOrgUser(id int64) string { return "users:id:" + strconv.FormatInt(id, 10) }

// ScopeTeam returns the scope of one team.
func ScopeTeam(id int64) string { return "teams:id:" + strconv.FormatInt(id, 10) }

// ScopeServiceAccount returns the scope of one service account.
func ScopeServiceAccount(id int64) string {
	return "serviceaccounts:id:" + strconv.FormatInt(id, 10)
}

// Permission is one grant: the holder may perform Action on anything Scope covers. An empty
// Scope is an unscoped grant (e.g. orgs:create).
type Permission struct {
	Action string
	Scope  string
}

// A FixedRole is a named, built-in bundle of permissions, as Grafana's fixed:… roles.
type FixedRole struct {
	Name        string
	Permissions []Permission
}

func perms(scope string, actions ...string) []Permission {
	ps := make([]Permission, len(actions))
	for i, a := range actions {
		ps[i] = Permission{Action: a, Scope: scope}
	}
	return ps
}

func join(lists ...[]Permission) []Permission {
	var out []Permission
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// The fixed roles Warden grants to the basic roles (SPEC-identity §8.3, SPEC §5.2).
var (
	roleOrgReader = FixedRole{"fixed:organization:reader",
		perms("", ActionOrgsRead, ActionOrgsQuotasRead)}
	roleOrgWriter = FixedRole{"fixed:organization:writer", join(roleOrgReader.Permissions,
		perms("", ActionOrgsPreferencesRead, ActionOrgsWrite, ActionOrgsPreferencesWrite))}
	roleOrgMaintainer = FixedRole{"fixed:organization:maintainer", join(roleOrgReader.Permissions,
		perms("", ActionOrgsCreate, ActionOrgsWrite, ActionOrgsDelete, ActionOrgsQuotasWrite))}
	roleOrgUsersReader = FixedRole{"fixed:org.users:reader",
		perms(ScopeUsersAll, ActionOrgUsersRead, ActionUsersPermissionsRead)}
	roleOrgUsersWriter = FixedRole{"fixed:org.users:writer", join(roleOrgUsersReader.Permissions,
		perms(ScopeUsersAll, ActionOrgUsersAdd, ActionOrgUsersWrite, ActionOrgUsersRemove))}
	roleUsersReader = FixedRole{"fixed:users:reader",
		perms(ScopeGlobalUsersAll, ActionUsersRead, ActionUsersAuthTokenRead, ActionUsersQuotasRead)}
	roleUsersWriter = FixedRole{"fixed:users:writer", join(roleUsersReader.Permissions,
		perms("", ActionUsersCreate),
		perms(ScopeGlobalUsersAll, ActionUsersPasswordWrite, ActionUsersWrite, ActionUsersDelete,
			ActionUsersEnable, ActionUsersDisable, ActionUsersPermissionsWrite, ActionUsersLogout,
			ActionUsersAuthTokenWrite, ActionUsersQuotasWrite))}
	roleTeamsCreator = FixedRole{"fixed:teams:creator", join(perms("", ActionTeamsCreate),
		perms(ScopeUsersAll, ActionOrgUsersRead))}
	roleTeamsWriter = FixedRole{"fixed:teams:writer", join(perms("", ActionTeamsCreate),
		perms(ScopeTeamsAll, ActionTeamsDelete, ActionTeamsRead, ActionTeamsWrite,
			ActionTeamsPermissionsRead, ActionTeamsPermissionsWrite))}
	roleSAReader  = FixedRole{"fixed:serviceaccounts:reader", perms(ScopeSAAll, ActionSARead)}
	roleSACreator = FixedRole{"fixed:serviceaccounts:creator", perms("", ActionSACreate)}
	roleSAWriter  = FixedRole{"fixed:serviceaccounts:writer", join(perms("", ActionSACreate),
		perms(ScopeSAAll, ActionSARead, ActionSAWrite, ActionSADelete,
			ActionSAPermissionsRead, ActionSAPermissionsWrite))}
)

// basicRoleGrants lists the fixed roles granted directly to each basic role. Inheritance
// (Viewer ⊂ Editor ⊂ Admin) is applied by BasicRolePermissions, not repeated here.
var basicRoleGrants = map[OrgRole][]FixedRole{
	RoleNone:   nil,
	RoleViewer: {roleOrgReader},
	RoleEditor: nil,
	RoleAdmin: {roleOrgWriter, roleOrgUsersReader, roleOrgUsersWriter, roleTeamsCreator,
		roleTeamsWriter, roleSAReader, roleSACreator, roleSAWriter},
}

// serverAdminGrants are the fixed roles of "Grafana Admin", the server admin. They hold in every
// org, on top of the admin's org role there.
var serverAdminGrants = []FixedRole{roleOrgReader, roleOrgMaintainer, roleOrgUsersReader,
	roleOrgUsersWriter, roleUsersReader, roleUsersWriter}

// BasicRolePermissions returns the permissions of a basic role, including those it inherits
// from weaker roles, and those of a server admin when serverAdmin is set.
func BasicRolePermissions(role OrgRole, serverAdmin bool) []Permission {
	var out []Permission
	for _, r := range OrgRoles() {
		if role.Valid() && role.Includes(r) {
			for _, fr := range basicRoleGrants[r] {
				out = append(out, fr.Permissions...)
			}
		}
	}
	if serverAdmin {
		for _, fr := range serverAdminGrants {
			out = append(out, fr.Permissions...)
		}
	}
	return out
}

// ManagedLevel is a per-object permission level assigned to a user or team, e.g. "Edit" or
// "Admin" on one service account.
type ManagedLevel string

// The managed permission levels.
const (
	LevelView  ManagedLevel = "View"
	LevelEdit  ManagedLevel = "Edit"
	LevelAdmin ManagedLevel = "Admin"
)

// Managed-permission resources.
const (
	ResourceServiceAccounts = "serviceaccounts"
	ResourceTeams           = "teams"
)

// ManagedActions returns the actions a managed level grants on a resource, or nil if the level
// does not exist for it.
func ManagedActions(resource string, level ManagedLevel) []string {
	switch resource {
	case ResourceServiceAccounts:
		switch level {
		case LevelEdit:
			return []string{ActionSARead, ActionSAWrite}
		case LevelAdmin:
			return []string{ActionSARead, ActionSAWrite, ActionSADelete,
				ActionSAPermissionsRead, ActionSAPermissionsWrite}
		}
	case ResourceTeams:
		switch level {
		case "Member":
			return []string{ActionTeamsRead}
		case LevelAdmin:
			return []string{ActionTeamsRead, ActionTeamsDelete, ActionTeamsWrite,
				ActionTeamsPermissionsRead, ActionTeamsPermissionsWrite}
		}
	}
	return nil
}

// Permissions is the set of grants one principal holds in one org: action → scopes. An
// unscoped grant is stored as the empty scope.
type Permissions map[string][]string

// NewPermissions builds a set from a list, dropping duplicates.
func NewPermissions(list []Permission) Permissions {
	p := make(Permissions, len(list))
	for _, perm := range list {
		p.Add(perm)
	}
	return p
}

// Add grants one permission.
func (p Permissions) Add(perm Permission) {
	for _, s := range p[perm.Action] {
		if s == perm.Scope {
			return
		}
	}
	p[perm.Action] = append(p[perm.Action], perm.Scope)
}

// Evaluate reports whether p allows action on scope. This is the one place Warden decides
// access. An empty scope asks whether the action is held with any scope at all (Grafana's
// evaluator without scope). Otherwise a held scope covers the requested one when it is equal,
// is "*", or ends in "*" and the requested scope starts with the part before the "*" — so
// "serviceaccounts:*" and "serviceaccounts:id:*" both cover "serviceaccounts:id:7".
func (p Permissions) Evaluate(action, scope string) bool {
	held, ok := p[action]
	if !ok {
		return false
	}
	if scope == "" {
		return true
	}
	for _, h := range held {
		if ScopeCovers(h, scope) {
			return true
		}
	}
	return false
}

// ScopeCovers reports whether a held scope covers a requested one.
func ScopeCovers(held, requested string) bool {
	if held == "" {
		return false
	}
	if held == requested || held == "*" {
		return true
	}
	if strings.HasSuffix(held, "*") {
		return strings.HasPrefix(requested, held[:len(held)-1])
	}
	return false
}

// Actions returns the sorted actions held with a scope that covers scope (or any scope when
// scope is ""). It feeds the accessControl maps of Grafana's DTOs.
func (p Permissions) Actions(scope string) []string {
	var out []string
	for a := range p {
		if p.Evaluate(a, scope) {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}
