package warden

import (
	"strconv"
	"strings"
	"time"
)

// ServiceAccount is a non-human identity of one org. It is stored as a user row (so its login
// is unique among all logins and emails) with its role in org_user; it never has a password.
type ServiceAccount struct {
	ID         int64
	UID        string
	OrgID      int64
	Name       string // the display name as typed
	Login      string // sa-<orgId>-<name>, fixed at creation
	Role       OrgRole
	IsDisabled bool
	Created    time.Time
	Updated    time.Time
	Tokens     int // number of tokens, expired and revoked ones included
}

// ServiceAccountFilter selects service accounts in FindServiceAccounts.
type ServiceAccountFilter struct {
	OrgID int64
	// Query matches a case-insensitive substring of login, email or name.
	Query string
	// Disabled selects only disabled accounts.
	Disabled bool
	// ExpiredTokensAt, when non-zero, selects accounts owning a token that expired before it:
	// by its own expiry or, when ExpiredTokensCreatedBefore is set (a day limit enforced at
	// use), by having been created at or before that.
	ExpiredTokensAt            time.Time
	ExpiredTokensCreatedBefore time.Time
	// IDs, when non-nil, restricts to these ids (empty: nothing).
	IDs []int64

	Offset, Limit int
}

// ServiceAccountUpdate holds the fields a PATCH may change; nil fields stay as they are.
type ServiceAccountUpdate struct {
	Name       *string
	Role       *OrgRole
	IsDisabled *bool
}

// ServiceAccountLogin derives the login Grafana ≥ 10.4 gives a service account named name in
// orgID: "sa-<orgId>-<name lower-cased, spaces to dashes>" (SPEC §1.3, including its quirk of
// collapsing only the first "--").
func ServiceAccountLogin(orgID int64, name string) string {
	s := "sa-" + "-" + strconv.FormatInt(orgID, 10) + "-" + strings.ToLower(name)
	s = strings.Replace(s, "--", "-", 1)
	return strings.ReplaceAll(s, " ", "-")
}

// ChangeKind names a change that affects who may do what. Caches and the cross-instance bus
// subscribe to these.
type ChangeKind string

// The changes the service announces after they commit.
const (
	ChangeTokenCreated             ChangeKind = "token.created"
	ChangeTokenDeleted             ChangeKind = "token.deleted"
	ChangeTokenRevoked             ChangeKind = "token.revoked"
	ChangeTokenUpdated             ChangeKind = "token.updated"          // its expiry (rotation)
	ChangeServiceAccountUpdated    ChangeKind = "serviceaccount.updated" // role, disabled flag or name
	ChangeServiceAccountDeleted    ChangeKind = "serviceaccount.deleted"
	ChangeManagedPermissionChanged ChangeKind = "permission.changed"
	ChangeOrgUpdated               ChangeKind = "org.updated"
	ChangeOrgDeleted               ChangeKind = "org.deleted"
	ChangeUserChanged              ChangeKind = "user.changed" // role, disabled, deleted, password
)

// Change describes one committed change.
type Change struct {
	Kind             ChangeKind
	OrgID            int64
	ServiceAccountID int64
	TokenID          int64
	UserID           int64
}
