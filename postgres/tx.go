package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardenhq/warden"
)

// Tx implements warden.Tx over one PostgreSQL transaction. Its queries are the SQLite store's,
// in PostgreSQL's dialect: $n placeholders, RETURNING id, ILIKE where SQLite's LIKE ignores
// case, arrays instead of IN lists that grow with the input.
type Tx struct {
	tx pgx.Tx
	// err is the first error of a statement in this transaction. PostgreSQL aborts the
	// transaction on it, so it is what decides whether running the whole callback again may
	// help, even when the callback replaced it with an error of its own.
	err error
}

var _ warden.Tx = (*Tx)(nil)

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// nullTime is NULL for the zero time, else Unix seconds.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// like escapes a user-supplied substring for LIKE and ILIKE, whose escape character is a
// backslash in PostgreSQL unless another is named.
func like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func notFound(what string) error { return warden.Errorf(warden.ENOTFOUND, "%s not found", what) }

// args collects the arguments of a query built piece by piece; add returns the placeholder of
// the argument it appends.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// page appends LIMIT and OFFSET when limit is positive.
func page(q string, a args, offset, limit int) (string, args) {
	if limit > 0 {
		q += " LIMIT " + a.add(limit) + " OFFSET " + a.add(max(offset, 0))
	}
	return q, a
}

// scanner is a row to scan: pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// fail records err as the transaction's first error and translates it.
func (t *Tx) fail(ctx context.Context, op string, err error) error {
	if t.err == nil {
		t.err = err
	}
	return translate(ctx, op, err, t.tx.Conn())
}

func (t *Tx) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, t.fail(ctx, op, err)
	}
	return tag.RowsAffected(), nil
}

// execOne runs a statement that must change a row, and returns ENOTFOUND for what when it
// changed none.
func (t *Tx) execOne(ctx context.Context, op, what, query string, args ...any) error {
	n, err := t.exec(ctx, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// insert runs an INSERT … RETURNING id and returns the id.
func (t *Tx) insert(ctx context.Context, op, query string, args ...any) (int64, error) {
	var id int64
	if err := t.tx.QueryRow(ctx, query+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, t.fail(ctx, op, err)
	}
	return id, nil
}

// count runs a query returning one number.
func (t *Tx) count(ctx context.Context, op, query string, args ...any) (int, error) {
	var n int
	if err := t.tx.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, t.fail(ctx, op, err)
	}
	return n, nil
}

// findOne scans the one row of a query; no row is ENOTFOUND for what.
func findOne[T any](ctx context.Context, t *Tx, op, what string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(t.tx.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, notFound(what)
	}
	if err != nil {
		var zero T
		return zero, t.fail(ctx, op, err)
	}
	return v, nil
}

// findAll scans every row of a query; none is a nil slice.
func findAll[T any](ctx context.Context, t *Tx, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, t.fail(ctx, op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.fail(ctx, op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(ctx, op, err)
	}
	return out, nil
}

// ---- orgs ----

const orgColumns = "id, name, address1, address2, city, zip_code, state, country, created, updated"

func scanOrg(row scanner) (*warden.Org, error) {
	var o warden.Org
	var created, updated int64
	err := row.Scan(&o.ID, &o.Name, &o.Address.Address1, &o.Address.Address2, &o.Address.City,
		&o.Address.ZipCode, &o.Address.State, &o.Address.Country, &created, &updated)
	if err != nil {
		return nil, err
	}
	o.Created, o.Updated = fromUnix(created), fromUnix(updated)
	return &o, nil
}

// CreateOrg inserts an org and sets its ID.
func (t *Tx) CreateOrg(ctx context.Context, o *warden.Org) error {
	id, err := t.insert(ctx, "create org", `INSERT INTO org (name, address1, address2, city, zip_code, state,
		country, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, o.Name, o.Address.Address1,
		o.Address.Address2, o.Address.City, o.Address.ZipCode, o.Address.State, o.Address.Country,
		unix(o.Created), unix(o.Updated))
	if err != nil {
		return err
	}
	o.ID = id
	return nil
}

// FindOrgByID returns one org.
func (t *Tx) FindOrgByID(ctx context.Context, id int64) (*warden.Org, error) {
	return findOne(ctx, t, "find org", "org", scanOrg, "SELECT "+orgColumns+" FROM org WHERE id = $1", id)
}

// FindOrgByName returns the org with exactly that name.
func (t *Tx) FindOrgByName(ctx context.Context, name string) (*warden.Org, error) {
	return findOne(ctx, t, "find org", "org", scanOrg, "SELECT "+orgColumns+" FROM org WHERE name = $1", name)
}

// FindOrgs lists orgs by id.
func (t *Tx) FindOrgs(ctx context.Context, f warden.OrgFilter) ([]*warden.Org, error) {
	where, a := []string{"true"}, args{}
	if f.Query != "" {
		where = append(where, "name ILIKE "+a.add(like(f.Query)+"%"))
	}
	if f.Name != "" {
		where = append(where, "name = "+a.add(f.Name))
	}
	q, a := page("SELECT "+orgColumns+" FROM org WHERE "+strings.Join(where, " AND ")+" ORDER BY id", a, f.Offset, f.Limit)
	return findAll(ctx, t, "find orgs", scanOrg, q, a...)
}

// UpdateOrg writes an org's name and address.
func (t *Tx) UpdateOrg(ctx context.Context, o *warden.Org) error {
	return t.execOne(ctx, "update org", "org", `UPDATE org SET name = $1, address1 = $2, address2 = $3, city = $4,
		zip_code = $5, state = $6, country = $7, updated = $8 WHERE id = $9`, o.Name, o.Address.Address1,
		o.Address.Address2, o.Address.City, o.Address.ZipCode, o.Address.State, o.Address.Country, unix(o.Updated), o.ID)
}

// DeleteOrg deletes an org, its service accounts (with their tokens and the grants on them) and,
// through foreign keys, its memberships, teams and managed permissions.
func (t *Tx) DeleteOrg(ctx context.Context, id int64) error {
	const op = "delete org"
	if _, err := t.exec(ctx, op, `DELETE FROM managed_permission WHERE resource = $1 AND resource_id IN
		(SELECT id FROM users WHERE org_id = $2 AND is_service_account)`, warden.ResourceServiceAccounts, id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, op, "DELETE FROM users WHERE org_id = $1 AND is_service_account", id); err != nil {
		return err
	}
	if err := t.execOne(ctx, op, "org", "DELETE FROM org WHERE id = $1", id); err != nil {
		return err
	}
	// Users whose current org this was have none now.
	_, err := t.exec(ctx, op, "UPDATE users SET org_id = 0 WHERE org_id = $1", id)
	return err
}

// ---- users ----

const userColumns = `id, uid, login, email, name, theme, password_hash, is_admin, is_disabled,
	is_service_account, org_id, created, updated, last_seen_at`

func scanUser(row scanner) (*warden.User, error) {
	var u warden.User
	var created, updated, seen int64
	err := row.Scan(&u.ID, &u.UID, &u.Login, &u.Email, &u.Name, &u.Theme, &u.PasswordHash, &u.IsAdmin,
		&u.IsDisabled, &u.IsServiceAccount, &u.OrgID, &created, &updated, &seen)
	if err != nil {
		return nil, err
	}
	u.Created, u.Updated, u.LastSeenAt = fromUnix(created), fromUnix(updated), fromUnix(seen)
	return &u, nil
}

// CreateUser inserts a user or service account and sets its ID.
func (t *Tx) CreateUser(ctx context.Context, u *warden.User) error {
	id, err := t.insert(ctx, "create user", `INSERT INTO users (uid, login, email, name, theme, password_hash,
		is_admin, is_disabled, is_service_account, org_id, created, updated, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, u.UID, u.Login, u.Email, u.Name,
		u.Theme, u.PasswordHash, u.IsAdmin, u.IsDisabled, u.IsServiceAccount, u.OrgID, unix(u.Created),
		unix(u.Updated), unix(u.LastSeenAt))
	if err != nil {
		return err
	}
	u.ID = id
	return nil
}

func (t *Tx) findUser(ctx context.Context, where string, args ...any) (*warden.User, error) {
	return findOne(ctx, t, "find user", "user", scanUser, "SELECT "+userColumns+" FROM users WHERE "+where, args...)
}

// FindUserByID returns a user or service account.
func (t *Tx) FindUserByID(ctx context.Context, id int64) (*warden.User, error) {
	return t.findUser(ctx, "id = $1", id)
}

// FindUserByUID returns a user or service account by UID.
func (t *Tx) FindUserByUID(ctx context.Context, uid string) (*warden.User, error) {
	return t.findUser(ctx, "uid = $1", uid)
}

// FindUserByLogin matches the lower-cased login. Lower-casing happens here, in Go, as in the
// SQLite store, so both fold exactly the same characters.
func (t *Tx) FindUserByLogin(ctx context.Context, login string) (*warden.User, error) {
	return t.findUser(ctx, "login = $1", strings.ToLower(login))
}

// FindUserByEmail matches the lower-cased email.
func (t *Tx) FindUserByEmail(ctx context.Context, email string) (*warden.User, error) {
	return t.findUser(ctx, "email = $1", strings.ToLower(email))
}

// FindUserByLoginOrEmail matches a value against either column.
func (t *Tx) FindUserByLoginOrEmail(ctx context.Context, value string) (*warden.User, error) {
	return t.findUser(ctx, "login = $1 OR email = $1 ORDER BY id LIMIT 1", strings.ToLower(value))
}

// FindUsers returns a page of users ordered by login, and the total.
func (t *Tx) FindUsers(ctx context.Context, f warden.UserFilter) ([]*warden.User, int, error) {
	a := args{}
	where := []string{"is_service_account = " + a.add(f.ServiceAccounts)}
	if f.Query != "" {
		p := a.add("%" + like(f.Query) + "%")
		where = append(where, "(login ILIKE "+p+" OR email ILIKE "+p+" OR name ILIKE "+p+")")
	}
	if f.OrgID != 0 {
		where = append(where, "id IN (SELECT user_id FROM org_user WHERE org_id = "+a.add(f.OrgID)+")")
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		where = append(where, "id = ANY("+a.add(f.IDs)+")")
	}
	if f.Disabled {
		where = append(where, "is_disabled")
	}
	cond := strings.Join(where, " AND ")
	total, err := t.count(ctx, "find users", "SELECT COUNT(*) FROM users WHERE "+cond, a...)
	if err != nil {
		return nil, 0, err
	}
	q, a := page("SELECT "+userColumns+" FROM users WHERE "+cond+" ORDER BY "+userOrder(f.Sort), a, f.Offset, f.Limit)
	users, err := findAll(ctx, t, "find users", scanUser, q, a...)
	if err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

var userSorts = map[string]string{
	"login-asc": "login ASC", "login-desc": "login DESC",
	"email-asc": "email ASC", "email-desc": "email DESC",
	"name-asc": "name ASC", "name-desc": "name DESC",
	// The age of last_seen_at grows as last_seen_at falls.
	"lastSeenAtAge-asc": "last_seen_at DESC", "lastSeenAtAge-desc": "last_seen_at ASC",
}

// userOrder turns Grafana's sort parameter into an ORDER BY list from a fixed table; unknown
// entries are ignored, so nothing a client sends reaches the SQL.
func userOrder(sort string) string {
	var parts []string
	for _, s := range strings.Split(sort, ",") {
		if o, ok := userSorts[strings.TrimSpace(s)]; ok {
			parts = append(parts, o)
		}
	}
	if len(parts) == 0 {
		parts = []string{"login ASC", "email ASC"}
	}
	return strings.Join(append(parts, "id"), ", ")
}

// UpdateUser writes every mutable column of a user.
func (t *Tx) UpdateUser(ctx context.Context, u *warden.User) error {
	return t.execOne(ctx, "update user", "user", `UPDATE users SET login = $1, email = $2, name = $3, theme = $4,
		password_hash = $5, is_admin = $6, is_disabled = $7, org_id = $8, updated = $9, last_seen_at = $10
		WHERE id = $11`, u.Login, u.Email, u.Name, u.Theme, u.PasswordHash, u.IsAdmin, u.IsDisabled, u.OrgID,
		unix(u.Updated), unix(u.LastSeenAt), u.ID)
}

// TouchUser records activity.
func (t *Tx) TouchUser(ctx context.Context, id int64, at time.Time) error {
	return t.execOne(ctx, "touch user", "user", "UPDATE users SET last_seen_at = $1 WHERE id = $2", unix(at), id)
}

// DeleteUser deletes a user; memberships, sessions and its own grants go by foreign key, and
// grants on it (when it is a service account) explicitly.
func (t *Tx) DeleteUser(ctx context.Context, id int64) error {
	const op = "delete user"
	if _, err := t.exec(ctx, op, "DELETE FROM managed_permission WHERE resource = $1 AND resource_id = $2",
		warden.ResourceServiceAccounts, id); err != nil {
		return err
	}
	return t.execOne(ctx, op, "user", "DELETE FROM users WHERE id = $1", id)
}

// CountServerAdmins counts enabled server admins.
func (t *Tx) CountServerAdmins(ctx context.Context) (int, error) {
	return t.count(ctx, "count server admins",
		"SELECT COUNT(*) FROM users WHERE is_admin AND NOT is_disabled AND NOT is_service_account")
}

// ---- org membership ----

const orgUserColumns = `ou.org_id, ou.user_id, ou.role, ou.created, ou.updated, u.login, u.email, u.name,
	u.uid, u.is_disabled, u.is_service_account, u.last_seen_at`

func scanOrgUser(row scanner) (*warden.OrgUser, error) {
	var m warden.OrgUser
	var created, updated, seen int64
	var role string
	err := row.Scan(&m.OrgID, &m.UserID, &role, &created, &updated, &m.Login, &m.Email, &m.Name,
		&m.UID, &m.IsDisabled, &m.IsServiceAccount, &seen)
	if err != nil {
		return nil, err
	}
	m.Role = warden.OrgRole(role)
	m.Created, m.Updated, m.LastSeenAt = fromUnix(created), fromUnix(updated), fromUnix(seen)
	return &m, nil
}

// AddOrgUser inserts a membership.
func (t *Tx) AddOrgUser(ctx context.Context, m *warden.OrgUser) error {
	_, err := t.exec(ctx, "add org user", `INSERT INTO org_user (org_id, user_id, role, created, updated)
		VALUES ($1, $2, $3, $4, $5)`, m.OrgID, m.UserID, string(m.Role), unix(m.Created), unix(m.Updated))
	return err
}

// FindOrgUser returns one membership.
func (t *Tx) FindOrgUser(ctx context.Context, orgID, userID int64) (*warden.OrgUser, error) {
	return findOne(ctx, t, "find org user", "org user", scanOrgUser, "SELECT "+orgUserColumns+
		" FROM org_user ou JOIN users u ON u.id = ou.user_id WHERE ou.org_id = $1 AND ou.user_id = $2", orgID, userID)
}

// FindOrgUsers lists the human members of an org by login.
func (t *Tx) FindOrgUsers(ctx context.Context, f warden.OrgUserFilter) ([]*warden.OrgUser, int, error) {
	a := args{}
	where := []string{"ou.org_id = " + a.add(f.OrgID), "NOT u.is_service_account"}
	if f.Query != "" {
		p := a.add("%" + like(f.Query) + "%")
		where = append(where, "(u.login ILIKE "+p+" OR u.email ILIKE "+p+" OR u.name ILIKE "+p+")")
	}
	from := " FROM org_user ou JOIN users u ON u.id = ou.user_id WHERE " + strings.Join(where, " AND ")
	total, err := t.count(ctx, "find org users", "SELECT COUNT(*)"+from, a...)
	if err != nil {
		return nil, 0, err
	}
	q, a := page("SELECT "+orgUserColumns+from+" ORDER BY u.login, u.email", a, f.Offset, f.Limit)
	ms, err := findAll(ctx, t, "find org users", scanOrgUser, q, a...)
	if err != nil {
		return nil, 0, err
	}
	return ms, total, nil
}

// FindUserOrgs lists a user's orgs, sorted by name case-insensitively (ASCII letters, as in
// SQLite: the column's collation is "C").
func (t *Tx) FindUserOrgs(ctx context.Context, userID int64) ([]*warden.UserOrg, error) {
	return findAll(ctx, t, "find user orgs", func(row scanner) (*warden.UserOrg, error) {
		var uo warden.UserOrg
		var role string
		if err := row.Scan(&uo.OrgID, &uo.Name, &role); err != nil {
			return nil, err
		}
		uo.Role = warden.OrgRole(role)
		return &uo, nil
	}, `SELECT o.id, o.name, ou.role FROM org_user ou JOIN org o ON o.id = ou.org_id
		WHERE ou.user_id = $1 ORDER BY LOWER(o.name), o.id`, userID)
}

// UpdateOrgUserRole changes a member's role.
func (t *Tx) UpdateOrgUserRole(ctx context.Context, orgID, userID int64, role warden.OrgRole, at time.Time) error {
	return t.execOne(ctx, "update org user", "org user",
		"UPDATE org_user SET role = $1, updated = $2 WHERE org_id = $3 AND user_id = $4",
		string(role), unix(at), orgID, userID)
}

// RemoveOrgUser removes a membership together with the user's team memberships, managed
// permissions and preferences in that org.
func (t *Tx) RemoveOrgUser(ctx context.Context, orgID, userID int64) error {
	const op = "remove org user"
	if _, err := t.exec(ctx, op, "DELETE FROM team_member WHERE org_id = $1 AND user_id = $2", orgID, userID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, op, "DELETE FROM managed_permission WHERE org_id = $1 AND user_id = $2", orgID, userID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, op, "DELETE FROM preferences WHERE org_id = $1 AND user_id = $2", orgID, userID); err != nil {
		return err
	}
	return t.execOne(ctx, op, "org user", "DELETE FROM org_user WHERE org_id = $1 AND user_id = $2", orgID, userID)
}

// CountOrgAdmins counts Admin memberships, service accounts included (as Grafana does).
func (t *Tx) CountOrgAdmins(ctx context.Context, orgID int64) (int, error) {
	return t.count(ctx, "count org admins", "SELECT COUNT(*) FROM org_user WHERE org_id = $1 AND role = $2",
		orgID, string(warden.RoleAdmin))
}

// ---- sessions ----

// CreateSession inserts a session and sets its ID.
func (t *Tx) CreateSession(ctx context.Context, s *warden.Session) error {
	id, err := t.insert(ctx, "create session", `INSERT INTO session (user_id, token_hash, client_ip, user_agent,
		created, seen_at) VALUES ($1, $2, $3, $4, $5, $6)`, s.UserID, s.TokenHash, s.ClientIP, s.UserAgent,
		unix(s.Created), unix(s.SeenAt))
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

const sessionColumns = "id, user_id, token_hash, client_ip, user_agent, created, seen_at"

func scanSession(row scanner) (*warden.Session, error) {
	var s warden.Session
	var created, seen int64
	if err := row.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.ClientIP, &s.UserAgent, &created, &seen); err != nil {
		return nil, err
	}
	s.Created, s.SeenAt = fromUnix(created), fromUnix(seen)
	return &s, nil
}

// FindSessionByHash finds a session by the SHA-256 of its cookie.
func (t *Tx) FindSessionByHash(ctx context.Context, hash string) (*warden.Session, error) {
	return findOne(ctx, t, "find session", "session", scanSession,
		"SELECT "+sessionColumns+" FROM session WHERE token_hash = $1", hash)
}

// TouchSession records use of a session.
func (t *Tx) TouchSession(ctx context.Context, id int64, at time.Time) error {
	return t.execOne(ctx, "touch session", "session", "UPDATE session SET seen_at = $1 WHERE id = $2", unix(at), id)
}

// DeleteSession ends one session.
func (t *Tx) DeleteSession(ctx context.Context, id int64) error {
	return t.execOne(ctx, "delete session", "session", "DELETE FROM session WHERE id = $1", id)
}

// FindUserSessions lists a user's sessions, the most recently used first.
func (t *Tx) FindUserSessions(ctx context.Context, userID int64) ([]*warden.Session, error) {
	return findAll(ctx, t, "find user sessions", scanSession,
		"SELECT "+sessionColumns+" FROM session WHERE user_id = $1 ORDER BY seen_at DESC, id DESC", userID)
}

// DeleteUserSessions ends every session of a user.
func (t *Tx) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := t.exec(ctx, "delete user sessions", "DELETE FROM session WHERE user_id = $1", userID)
	return err
}

// DeleteExpiredSessions removes sessions past their lifetime or idle limit.
func (t *Tx) DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int64, error) {
	return t.exec(ctx, "delete expired sessions", "DELETE FROM session WHERE created < $1 OR seen_at < $2",
		unix(createdBefore), unix(seenBefore))
}

// ---- login attempts ----

// CreateLoginAttempt records a failed sign-in.
func (t *Tx) CreateLoginAttempt(ctx context.Context, username, ip string, at time.Time) error {
	_, err := t.exec(ctx, "create login attempt", "INSERT INTO login_attempt (username, ip_address, created) VALUES ($1, $2, $3)",
		strings.ToLower(username), ip, unix(at))
	return err
}

// CountLoginAttempts counts failures for a username since a time.
func (t *Tx) CountLoginAttempts(ctx context.Context, username string, since time.Time) (int, error) {
	return t.count(ctx, "count login attempts", "SELECT COUNT(*) FROM login_attempt WHERE username = $1 AND created >= $2",
		strings.ToLower(username), unix(since))
}

// CountLoginAttemptsByIP counts failures from a client IP since a time.
func (t *Tx) CountLoginAttemptsByIP(ctx context.Context, ip string, since time.Time) (int, error) {
	return t.count(ctx, "count login attempts", "SELECT COUNT(*) FROM login_attempt WHERE ip_address = $1 AND created >= $2",
		ip, unix(since))
}

// DeleteLoginAttempts clears a username's failures.
func (t *Tx) DeleteLoginAttempts(ctx context.Context, username string) error {
	_, err := t.exec(ctx, "delete login attempts", "DELETE FROM login_attempt WHERE username = $1", strings.ToLower(username))
	return err
}

// DeleteLoginAttemptsBefore removes old failures.
func (t *Tx) DeleteLoginAttemptsBefore(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "delete login attempts", "DELETE FROM login_attempt WHERE created < $1", unix(before))
	return err
}

// ---- managed permissions ----

// nullID is NULL for 0, else the id.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SetManagedPermission creates or replaces a grant.
func (t *Tx) SetManagedPermission(ctx context.Context, p *warden.ManagedPermission) error {
	if (p.UserID == 0) == (p.TeamID == 0) {
		return fmt.Errorf("managed permission needs exactly one of user and team")
	}
	if err := t.RemoveManagedPermission(ctx, p); err != nil {
		return err
	}
	id, err := t.insert(ctx, "set managed permission", `INSERT INTO managed_permission (org_id, resource, resource_id,
		user_id, team_id, level, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.OrgID, p.Resource,
		p.ResourceID, nullID(p.UserID), nullID(p.TeamID), string(p.Level), unix(p.Created), unix(p.Updated))
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// RemoveManagedPermission deletes the grant of the same object and holder, if any.
func (t *Tx) RemoveManagedPermission(ctx context.Context, p *warden.ManagedPermission) error {
	_, err := t.exec(ctx, "remove managed permission", `DELETE FROM managed_permission WHERE resource = $1
		AND resource_id = $2 AND COALESCE(user_id, 0) = $3 AND COALESCE(team_id, 0) = $4`,
		p.Resource, p.ResourceID, p.UserID, p.TeamID)
	return err
}

const managedColumns = "id, org_id, resource, resource_id, COALESCE(user_id, 0), COALESCE(team_id, 0), level, created, updated"

func scanManaged(row scanner) (*warden.ManagedPermission, error) {
	var p warden.ManagedPermission
	var level string
	var created, updated int64
	if err := row.Scan(&p.ID, &p.OrgID, &p.Resource, &p.ResourceID, &p.UserID, &p.TeamID, &level, &created, &updated); err != nil {
		return nil, err
	}
	p.Level = warden.ManagedLevel(level)
	p.Created, p.Updated = fromUnix(created), fromUnix(updated)
	return &p, nil
}

// FindUserManagedPermissions returns a user's grants in an org, direct and through teams.
func (t *Tx) FindUserManagedPermissions(ctx context.Context, orgID, userID int64) ([]*warden.ManagedPermission, error) {
	return findAll(ctx, t, "find managed permissions", scanManaged, "SELECT "+managedColumns+
		` FROM managed_permission WHERE org_id = $1 AND (user_id = $2
		OR team_id IN (SELECT team_id FROM team_member WHERE user_id = $2)) ORDER BY id`, orgID, userID)
}

// FindResourcePermissions returns every grant on one object.
func (t *Tx) FindResourcePermissions(ctx context.Context, orgID int64, resource string, resourceID int64) ([]*warden.ManagedPermission, error) {
	return findAll(ctx, t, "find managed permissions", scanManaged, "SELECT "+managedColumns+
		" FROM managed_permission WHERE org_id = $1 AND resource = $2 AND resource_id = $3 ORDER BY id",
		orgID, resource, resourceID)
}

// ---- one-time form values ----

// ClaimFormNonce records a one-time form value; ECONFLICT when it was used before.
func (t *Tx) ClaimFormNonce(ctx context.Context, nonce string, at time.Time) error {
	_, err := t.exec(ctx, "claim form nonce", "INSERT INTO form_nonce (nonce, created) VALUES ($1, $2)", nonce, unix(at))
	return err
}

// DeleteFormNoncesBefore forgets old form values.
func (t *Tx) DeleteFormNoncesBefore(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "delete form nonces", "DELETE FROM form_nonce WHERE created < $1", unix(before))
	return err
}
