package warden

import "time"

// Session is a signed-in browser session. The cookie holds 32 random bytes; the database holds
// only their SHA-256 (TokenHash), so a copy of the database cannot be replayed as cookies.
type Session struct {
	ID        int64
	UserID    int64
	TokenHash string
	ClientIP  string
	UserAgent string
	Created   time.Time
	SeenAt    time.Time
}

// AuditEntry records one state change (or attempted change) and who made it.
type AuditEntry struct {
	ID         int64
	Created    time.Time
	ActorKind  string // "user", "service_account", "system", "anonymous"
	ActorID    int64
	ActorLogin string // the actor's login when the entry was written; for "system", the job
	TokenID    int64  // the token used, when the actor authenticated with one
	OrgID      int64
	ClientIP   string
	Action     string // e.g. "user.create", "login"
	TargetType string // e.g. "user", "org"
	TargetID   string
	Outcome    string // "success", "failure" or "denied"
	Detail     string // short, never a secret
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	From, To   time.Time // From inclusive, To exclusive
	ActorKind  string
	ActorID    int64
	ActorLogin string
	TokenID    int64
	OrgID      int64
	// Action matches exactly, or as a prefix when it ends in "*" ("token.*").
	Action     string
	TargetType string
	TargetID   string
	Outcome    string
	Offset     int
	Limit      int
}

// ManagedPermission is a per-object grant (Grafana's "managed" permission): a user or a team
// holds Level on one resource object.
type ManagedPermission struct {
	ID         int64
	OrgID      int64
	Resource   string // ResourceServiceAccounts, ResourceTeams
	ResourceID int64
	UserID     int64 // set for a user grant
	TeamID     int64 // set for a team grant
	Level      ManagedLevel
	Created    time.Time
	Updated    time.Time
}
