package warden

import (
	"context"
	"time"
)

// Store is the one port to persistence. Every read and write happens inside a transaction
// handed to a callback, so service methods can combine steps (and their audit row) atomically.
//
// Implementations translate driver errors: a missing row is ENOTFOUND, a unique violation is
// ECONFLICT; anything else is returned wrapped and becomes EINTERNAL.
type Store interface {
	// Update runs fn in a read-write transaction, committing when fn returns nil and rolling
	// back otherwise.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Tx is the set of queries available inside a transaction. Methods that find one row return
// ENOTFOUND when it does not exist; Create methods fill in IDs.
type Tx interface {
	// Orgs.
	CreateOrg(ctx context.Context, o *Org) error // ECONFLICT: name taken
	FindOrgByID(ctx context.Context, id int64) (*Org, error)
	FindOrgByName(ctx context.Context, name string) (*Org, error)
	FindOrgs(ctx context.Context, f OrgFilter) ([]*Org, error)
	UpdateOrg(ctx context.Context, o *Org) error // ECONFLICT: name taken; ENOTFOUND
	// DeleteOrg removes the org with its memberships, managed permissions and service accounts
	// (and their tokens). ENOTFOUND when it does not exist.
	DeleteOrg(ctx context.Context, id int64) error

	// Users and service accounts (one table).
	CreateUser(ctx context.Context, u *User) error // ECONFLICT: login or email taken
	FindUserByID(ctx context.Context, id int64) (*User, error)
	FindUserByUID(ctx context.Context, uid string) (*User, error)
	// FindUserByLoginOrEmail matches the lower-cased value against login or email of any row,
	// human or service account.
	FindUserByLoginOrEmail(ctx context.Context, value string) (*User, error)
	FindUserByLogin(ctx context.Context, login string) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsers returns a page of matching rows ordered by login, and the total count.
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
	UpdateUser(ctx context.Context, u *User) error // ECONFLICT; ENOTFOUND
	// TouchUser sets only last_seen_at, so recording activity never overwrites a concurrent
	// change to the rest of the row.
	TouchUser(ctx context.Context, id int64, at time.Time) error
	// DeleteUser removes the row with its memberships, sessions and managed permissions.
	DeleteUser(ctx context.Context, id int64) error
	// CountServerAdmins counts enabled server admins.
	CountServerAdmins(ctx context.Context) (int, error)

	// Org membership.
	AddOrgUser(ctx context.Context, m *OrgUser) error // ECONFLICT: already a member
	FindOrgUser(ctx context.Context, orgID, userID int64) (*OrgUser, error)
	FindOrgUsers(ctx context.Context, f OrgUserFilter) ([]*OrgUser, int, error)
	FindUserOrgs(ctx context.Context, userID int64) ([]*UserOrg, error) // by name
	UpdateOrgUserRole(ctx context.Context, orgID, userID int64, role OrgRole, at time.Time) error
	RemoveOrgUser(ctx context.Context, orgID, userID int64) error
	// CountOrgAdmins counts Admin memberships of the org, service accounts included.
	CountOrgAdmins(ctx context.Context, orgID int64) (int, error)

	// Sessions.
	CreateSession(ctx context.Context, s *Session) error
	FindSessionByHash(ctx context.Context, hash string) (*Session, error)
	TouchSession(ctx context.Context, id int64, at time.Time) error
	DeleteSession(ctx context.Context, id int64) error
	DeleteUserSessions(ctx context.Context, userID int64) error
	// FindUserSessions lists a user's sessions, the most recently used first.
	FindUserSessions(ctx context.Context, userID int64) ([]*Session, error)
	// DeleteExpiredSessions removes sessions created before createdBefore or idle since before
	// seenBefore, and reports how many went.
	DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int64, error)

	// Failed sign-in attempts.
	CreateLoginAttempt(ctx context.Context, username, ip string, at time.Time) error
	CountLoginAttempts(ctx context.Context, username string, since time.Time) (int, error)
	CountLoginAttemptsByIP(ctx context.Context, ip string, since time.Time) (int, error)
	DeleteLoginAttempts(ctx context.Context, username string) error
	DeleteLoginAttemptsBefore(ctx context.Context, before time.Time) error

	// Managed permissions.
	// SetManagedPermission creates or replaces the grant of the same (org, resource, object,
	// user or team).
	SetManagedPermission(ctx context.Context, p *ManagedPermission) error
	RemoveManagedPermission(ctx context.Context, p *ManagedPermission) error
	// FindUserManagedPermissions returns the grants a user holds in an org, directly or
	// through its teams.
	FindUserManagedPermissions(ctx context.Context, orgID, userID int64) ([]*ManagedPermission, error)
	// FindResourcePermissions returns every grant on one object.
	FindResourcePermissions(ctx context.Context, orgID int64, resource string, resourceID int64) ([]*ManagedPermission, error)

	// Teams.
	CreateTeam(ctx context.Context, t *Team) error // ECONFLICT: name taken in the org
	FindTeamByID(ctx context.Context, orgID, id int64) (*Team, error)
	FindTeamByUID(ctx context.Context, orgID int64, uid string) (*Team, error)
	// FindTeams returns a page of matching teams with member counts, and the total count.
	FindTeams(ctx context.Context, f TeamFilter) ([]*Team, int, error)
	UpdateTeam(ctx context.Context, t *Team) error // ECONFLICT; ENOTFOUND
	// DeleteTeam removes a team with its memberships and the grants held by it.
	DeleteTeam(ctx context.Context, orgID, id int64) error
	AddTeamMember(ctx context.Context, m *TeamMember) error // ECONFLICT: already a member
	UpdateTeamMember(ctx context.Context, teamID, userID int64, permission int) error
	RemoveTeamMember(ctx context.Context, teamID, userID int64) error
	// FindTeamMembers lists a team's human members by login.
	FindTeamMembers(ctx context.Context, orgID, teamID int64) ([]*TeamMember, error)
	// FindUserTeams lists the memberships of a user in an org.
	FindUserTeams(ctx context.Context, orgID, userID int64) ([]*TeamMember, error)

	// Service accounts: rows of the users table with IsServiceAccount, in one org.
	FindServiceAccount(ctx context.Context, orgID, id int64) (*ServiceAccount, error)
	FindServiceAccountByUID(ctx context.Context, orgID int64, uid string) (*ServiceAccount, error)
	// FindServiceAccounts returns a page ordered by login, and the total count.
	FindServiceAccounts(ctx context.Context, f ServiceAccountFilter) ([]*ServiceAccount, int, error)

	// Tokens.
	CreateToken(ctx context.Context, t *Token) error // ECONFLICT: name taken in the org
	FindTokenByHash(ctx context.Context, hash string) (*Token, error)
	// FindTokenIdentity finds a token by hash with its account and the account's role in the
	// token's org, in one query. ENOTFOUND when the token, its account or that membership is
	// missing.
	FindTokenIdentity(ctx context.Context, hash string) (*TokenIdentity, error)
	// FindTokens lists an account's tokens by name, at most limit of them.
	FindTokens(ctx context.Context, orgID, serviceAccountID int64, limit int) ([]*Token, error)
	// DeleteToken deletes a token only if it belongs to that org and account (else ENOTFOUND).
	DeleteToken(ctx context.Context, orgID, serviceAccountID, id int64) error
	RevokeToken(ctx context.Context, id int64) error
	// UpdateTokensLastUsed records uses in one statement; it never moves a value backwards.
	UpdateTokensLastUsed(ctx context.Context, uses map[int64]TokenUse) error
	// FindToken finds a token of one org and account (else ENOTFOUND).
	FindToken(ctx context.Context, orgID, serviceAccountID, id int64) (*Token, error)
	// UpdateToken writes a token's name, expiry, ReplacedBy, Restrictions and Updated; nothing
	// else of t. ECONFLICT: name taken in the org; ENOTFOUND.
	UpdateToken(ctx context.Context, t *Token) error
	// DeleteExpiredTokens deletes at most f.Limit tokens that f selects, and returns them.
	DeleteExpiredTokens(ctx context.Context, f ExpiredTokens) ([]*Token, error)

	// One-time form values.
	ClaimFormNonce(ctx context.Context, nonce string, at time.Time) error // ECONFLICT: used before
	DeleteFormNoncesBefore(ctx context.Context, before time.Time) error

	// Preferences.
	// FindPreferences returns the preferences stored for an org (userID and teamID 0), a team
	// of it, or a user in it. ENOTFOUND when none are stored.
	FindPreferences(ctx context.Context, orgID, userID, teamID int64) (*Preferences, error)
	// SavePreferences creates or replaces the preferences of p's owner. They go with their
	// owner: the org, the team, or the user.
	SavePreferences(ctx context.Context, p *Preferences) error

	// Audit.
	CreateAuditEntry(ctx context.Context, e *AuditEntry) error
	// FindAuditEntries returns the entries f selects, newest first, and how many it selects
	// in all (ignoring Offset and Limit).
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
	// DeleteAuditEntriesBefore deletes at most limit of the oldest entries created before
	// before, and returns how many it deleted.
	DeleteAuditEntriesBefore(ctx context.Context, before time.Time, limit int) (int, error)
}
