package warden

import (
	"encoding/json"
	"fmt"
	"strings"
)

// OrgRole is a basic role within one org. Roles are ordered: None < Viewer < Editor < Admin.
type OrgRole string

// The basic org roles.
const (
	RoleNone   OrgRole = "None"
	RoleViewer OrgRole = "Viewer"
	RoleEditor OrgRole = "Editor"
	RoleAdmin  OrgRole = "Admin"
)

// ParseOrgRole parses a role the way Grafana binds it: case-insensitively, with "" meaning
// Viewer. It reports false for anything else.
func ParseOrgRole(s string) (OrgRole, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "viewer":
		return RoleViewer, true
	case "none":
		return RoleNone, true
	case "editor":
		return RoleEditor, true
	case "admin":
		return RoleAdmin, true
	}
	return "", false
}

// UnmarshalJSON binds a role from JSON; an unknown role is a binding error, as in Grafana, so
// the request is refused with 400 before any handler logic runs.
func (r *OrgRole) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	role, ok := ParseOrgRole(s)
	if !ok {
		return fmt.Errorf("invalid role value: %s", s)
	}
	*r = role
	return nil
}

// Valid reports whether r is one of the four basic roles.
func (r OrgRole) Valid() bool { return r.rank() >= 0 }

func (r OrgRole) rank() int {
	switch r {
	case RoleNone:
		return 0
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return -1
}

// OrgRoles returns the basic roles from the weakest to the strongest. An array, so that
// callers can neither change the order for others nor cost an allocation.
func OrgRoles() [4]OrgRole { return [4]OrgRole{RoleNone, RoleViewer, RoleEditor, RoleAdmin} }

// Includes reports whether r is at least as strong as other (Admin includes Editor, …).
func (r OrgRole) Includes(other OrgRole) bool {
	return r.Valid() && other.Valid() && r.rank() >= other.rank()
}
