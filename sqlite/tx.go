package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Tx implements warden.Tx over one SQLite transaction.
type Tx struct {
	tx       *sql.Tx
	identity *sql.Stmt // tokenIdentitySelect prepared on this transaction's pool
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

// like escapes a user-supplied substring for LIKE … ESCAPE '\'.
func like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func notFound(what string) error { return warden.Errorf(warden.ENOTFOUND, "%s not found", what) }

func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	return res, formatError(err)
}

func (t *Tx) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(what)
	}
	return nil
}

// ---- orgs ----

const orgColumns = "id, name, address1, address2, city, zip_code, state, country, created, updated"

func scanOrg(row interface{ Scan(...any) error }) (*warden.Org, error) {
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
	res, err := t.exec(ctx, `INSERT INTO org (name, address1, address2, city, zip_code, state, country, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.Name, o.Address.Address1, o.Address.Address2, o.Address.City,
		o.Address.ZipCode, o.Address.State, o.Address.Country, unix(o.Created), unix(o.Updated))
	if err != nil {
		return err
	}
	o.ID, err = res.LastInsertId()
	return err
}

// FindOrgByID returns one org.
func (t *Tx) FindOrgByID(ctx context.Context, id int64) (*warden.Org, error) {
	o, err := scanOrg(t.tx.QueryRowContext(ctx, "SELECT "+orgColumns+" FROM org WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return nil, notFound("org")
	}
	return o, err
}

// FindOrgByName returns the org with exactly that name.
func (t *Tx) FindOrgByName(ctx context.Context, name string) (*warden.Org, error) {
	o, err := scanOrg(t.tx.QueryRowContext(ctx, "SELECT "+orgColumns+" FROM org WHERE name = ?", name))
	if err == sql.ErrNoRows {
		return nil, notFound("org")
	}
	return o, err
}

// FindOrgs lists orgs by id.
func (t *Tx) FindOrgs(ctx context.Context, f warden.OrgFilter) ([]*warden.Org, error) {
	where, args := []string{"1=1"}, []any{}
	if f.Query != "" {
		where = append(where, `name LIKE ? ESCAPE '\'`)
		args = append(args, like(f.Query)+"%")
	}
	if f.Name != "" {
		where = append(where, "name = ?")
		args = append(args, f.Name)
	}
	q := "SELECT " + orgColumns + " FROM org WHERE " + strings.Join(where, " AND ") + " ORDER BY id"
	q, args = page(q, args, f.Offset, f.Limit)
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func page(q string, args []any, offset, limit int) (string, []any) {
	if limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, limit, max(offset, 0))
	}
	return q, args
}

// UpdateOrg writes an org's name and address.
func (t *Tx) UpdateOrg(ctx context.Context, o *warden.Org) error {
	return t.execOne(ctx, "org", `UPDATE org SET name = ?, address1 = ?, address2 = ?, city = ?, zip_code = ?,
		state = ?, country = ?, updated = ? WHERE id = ?`, o.Name, o.Address.Address1, o.Address.Address2,
		o.Address.City, o.Address.ZipCode, o.Address.State, o.Address.Country, unix(o.Updated), o.ID)
}

// DeleteOrg deletes an org, its service accounts (with their tokens and the grants on them) and,
// through foreign keys, its memberships, teams and managed permissions.
func (t *Tx) DeleteOrg(ctx context.Context, id int64) error {
	if _, err := t.exec(ctx, `DELETE FROM managed_permission WHERE resource = ? AND resource_id IN
		(SELECT id FROM users WHERE org_id = ? AND is_service_account = 1)`, warden.ResourceServiceAccounts, id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM users WHERE org_id = ? AND is_service_account = 1", id); err != nil {
		return err
	}
	if err := t.execOne(ctx, "org", "DELETE FROM org WHERE id = ?", id); err != nil {
		return err
	}
	// Users whose current org this was have none now.
	_, err := t.exec(ctx, "UPDATE users SET org_id = 0 WHERE org_id = ?", id)
	return err
}

// ---- users ----

const userColumns = `id, uid, login, email, name, theme, password_hash, is_admin, is_disabled,
	is_service_account, org_id, created, updated, last_seen_at`

func scanUser(row interface{ Scan(...any) error }) (*warden.User, error) {
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
	res, err := t.exec(ctx, `INSERT INTO users (uid, login, email, name, theme, password_hash, is_admin,
		is_disabled, is_service_account, org_id, created, updated, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.UID, u.Login, u.Email, u.Name, u.Theme,
		u.PasswordHash, u.IsAdmin, u.IsDisabled, u.IsServiceAccount, u.OrgID, unix(u.Created),
		unix(u.Updated), unix(u.LastSeenAt))
	if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

func (t *Tx) findUser(ctx context.Context, where string, args ...any) (*warden.User, error) {
	u, err := scanUser(t.tx.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, args...))
	if err == sql.ErrNoRows {
		return nil, notFound("user")
	}
	return u, err
}

// FindUserByID returns a user or service account.
func (t *Tx) FindUserByID(ctx context.Context, id int64) (*warden.User, error) {
	return t.findUser(ctx, "id = ?", id)
}

// FindUserByUID returns a user or service account by UID.
func (t *Tx) FindUserByUID(ctx context.Context, uid string) (*warden.User, error) {
	return t.findUser(ctx, "uid = ?", uid)
}

// FindUserByLogin matches the lower-cased login.
func (t *Tx) FindUserByLogin(ctx context.Context, login string) (*warden.User, error) {
	return t.findUser(ctx, "login = ?", strings.ToLower(login))
}

// FindUserByEmail matches the lower-cased email.
func (t *Tx) FindUserByEmail(ctx context.Context, email string) (*warden.User, error) {
	return t.findUser(ctx, "email = ?", strings.ToLower(email))
}

// FindUserByLoginOrEmail matches a value against either column.
func (t *Tx) FindUserByLoginOrEmail(ctx context.Context, value string) (*warden.User, error) {
	v := strings.ToLower(value)
	return t.findUser(ctx, "login = ? OR email = ? ORDER BY id LIMIT 1", v, v)
}

// FindUsers returns a page of users ordered by login, and the total.
func (t *Tx) FindUsers(ctx context.Context, f warden.UserFilter) ([]*warden.User, int, error) {
	where, args := []string{"is_service_account = ?"}, []any{f.ServiceAccounts}
	if f.Query != "" {
		where = append(where, `(login LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\')`)
		q := "%" + like(f.Query) + "%"
		args = append(args, q, q, q)
	}
	if f.OrgID != 0 {
		where = append(where, "id IN (SELECT user_id FROM org_user WHERE org_id = ?)")
		args = append(args, f.OrgID)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")
		where = append(where, "id IN ("+ph+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.Disabled {
		where = append(where, "is_disabled = 1")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE "+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q, qargs := page("SELECT "+userColumns+" FROM users WHERE "+cond+" ORDER BY "+userOrder(f.Sort), args, f.Offset, f.Limit)
	rows, err := t.tx.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*warden.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
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
	return t.execOne(ctx, "user", `UPDATE users SET login = ?, email = ?, name = ?, theme = ?, password_hash = ?,
		is_admin = ?, is_disabled = ?, org_id = ?, updated = ?, last_seen_at = ? WHERE id = ?`,
		u.Login, u.Email, u.Name, u.Theme, u.PasswordHash, u.IsAdmin, u.IsDisabled, u.OrgID,
		unix(u.Updated), unix(u.LastSeenAt), u.ID)
}

// TouchUser records activity.
func (t *Tx) TouchUser(ctx context.Context, id int64, at time.Time) error {
	return t.execOne(ctx, "user", "UPDATE users SET last_seen_at = ? WHERE id = ?", unix(at), id)
}

// DeleteUser deletes a user; memberships, sessions and its own grants go by foreign key, and
// grants on it (when it is a service account) explicitly.
func (t *Tx) DeleteUser(ctx context.Context, id int64) error {
	if _, err := t.exec(ctx, "DELETE FROM managed_permission WHERE resource = ? AND resource_id = ?",
		warden.ResourceServiceAccounts, id); err != nil {
		return err
	}
	return t.execOne(ctx, "user", "DELETE FROM users WHERE id = ?", id)
}

// CountServerAdmins counts enabled server admins.
func (t *Tx) CountServerAdmins(ctx context.Context) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE is_admin = 1 AND is_disabled = 0 AND is_service_account = 0").Scan(&n)
	return n, err
}

// ---- org membership ----

const orgUserColumns = `ou.org_id, ou.user_id, ou.role, ou.created, ou.updated, u.login, u.email, u.name,
	u.uid, u.is_disabled, u.is_service_account, u.last_seen_at`

func scanOrgUser(row interface{ Scan(...any) error }) (*warden.OrgUser, error) {
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
	_, err := t.exec(ctx, "INSERT INTO org_user (org_id, user_id, role, created, updated) VALUES (?, ?, ?, ?, ?)",
		m.OrgID, m.UserID, string(m.Role), unix(m.Created), unix(m.Updated))
	return err
}

// FindOrgUser returns one membership.
func (t *Tx) FindOrgUser(ctx context.Context, orgID, userID int64) (*warden.OrgUser, error) {
	m, err := scanOrgUser(t.tx.QueryRowContext(ctx, "SELECT "+orgUserColumns+
		" FROM org_user ou JOIN users u ON u.id = ou.user_id WHERE ou.org_id = ? AND ou.user_id = ?", orgID, userID))
	if err == sql.ErrNoRows {
		return nil, notFound("org user")
	}
	return m, err
}

// FindOrgUsers lists the human members of an org by login.
func (t *Tx) FindOrgUsers(ctx context.Context, f warden.OrgUserFilter) ([]*warden.OrgUser, int, error) {
	where, args := []string{"ou.org_id = ?", "u.is_service_account = 0"}, []any{f.OrgID}
	if f.Query != "" {
		where = append(where, `(u.login LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`)
		q := "%" + like(f.Query) + "%"
		args = append(args, q, q, q)
	}
	from := " FROM org_user ou JOIN users u ON u.id = ou.user_id WHERE " + strings.Join(where, " AND ")
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q, qargs := page("SELECT "+orgUserColumns+from+" ORDER BY u.login, u.email", args, f.Offset, f.Limit)
	rows, err := t.tx.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*warden.OrgUser
	for rows.Next() {
		m, err := scanOrgUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// FindUserOrgs lists a user's orgs, sorted by name case-insensitively.
func (t *Tx) FindUserOrgs(ctx context.Context, userID int64) ([]*warden.UserOrg, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT o.id, o.name, ou.role FROM org_user ou JOIN org o ON o.id = ou.org_id
		WHERE ou.user_id = ? ORDER BY LOWER(o.name), o.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.UserOrg
	for rows.Next() {
		var uo warden.UserOrg
		var role string
		if err := rows.Scan(&uo.OrgID, &uo.Name, &role); err != nil {
			return nil, err
		}
		uo.Role = warden.OrgRole(role)
		out = append(out, &uo)
	}
	return out, rows.Err()
}

// UpdateOrgUserRole changes a member's role.
func (t *Tx) UpdateOrgUserRole(ctx context.Context, orgID, userID int64, role warden.OrgRole, at time.Time) error {
	return t.execOne(ctx, "org user", "UPDATE org_user SET role = ?, updated = ? WHERE org_id = ? AND user_id = ?",
		string(role), unix(at), orgID, userID)
}

// RemoveOrgUser removes a membership together with the user's team memberships, managed
// permissions and preferences in that org.
func (t *Tx) RemoveOrgUser(ctx context.Context, orgID, userID int64) error {
	if _, err := t.exec(ctx, "DELETE FROM team_member WHERE org_id = ? AND user_id = ?", orgID, userID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM managed_permission WHERE org_id = ? AND user_id = ?", orgID, userID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM preferences WHERE org_id = ? AND user_id = ?", orgID, userID); err != nil {
		return err
	}
	return t.execOne(ctx, "org user", "DELETE FROM org_user WHERE org_id = ? AND user_id = ?", orgID, userID)
}

// CountOrgAdmins counts Admin memberships, service accounts included (as Grafana does).
func (t *Tx) CountOrgAdmins(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM org_user WHERE org_id = ? AND role = ?", orgID, string(warden.RoleAdmin)).Scan(&n)
	return n, err
}

// ---- sessions ----

// CreateSession inserts a session and sets its ID.
func (t *Tx) CreateSession(ctx context.Context, s *warden.Session) error {
	res, err := t.exec(ctx, `INSERT INTO session (user_id, token_hash, client_ip, user_agent, created, seen_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.UserID, s.TokenHash, s.ClientIP, s.UserAgent, unix(s.Created), unix(s.SeenAt))
	if err != nil {
		return err
	}
	s.ID, err = res.LastInsertId()
	return err
}

// FindSessionByHash finds a session by the SHA-256 of its cookie.
func (t *Tx) FindSessionByHash(ctx context.Context, hash string) (*warden.Session, error) {
	s, err := scanSession(t.tx.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM session WHERE token_hash = ?", hash))
	if err == sql.ErrNoRows {
		return nil, notFound("session")
	}
	return s, err
}

const sessionColumns = "id, user_id, token_hash, client_ip, user_agent, created, seen_at"

func scanSession(row interface{ Scan(...any) error }) (*warden.Session, error) {
	var s warden.Session
	var created, seen int64
	if err := row.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.ClientIP, &s.UserAgent, &created, &seen); err != nil {
		return nil, err
	}
	s.Created, s.SeenAt = fromUnix(created), fromUnix(seen)
	return &s, nil
}

// TouchSession records use of a session.
func (t *Tx) TouchSession(ctx context.Context, id int64, at time.Time) error {
	return t.execOne(ctx, "session", "UPDATE session SET seen_at = ? WHERE id = ?", unix(at), id)
}

// DeleteSession ends one session.
func (t *Tx) DeleteSession(ctx context.Context, id int64) error {
	return t.execOne(ctx, "session", "DELETE FROM session WHERE id = ?", id)
}

// FindUserSessions lists a user's sessions, the most recently used first.
func (t *Tx) FindUserSessions(ctx context.Context, userID int64) ([]*warden.Session, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT "+sessionColumns+" FROM session WHERE user_id = ? ORDER BY seen_at DESC, id DESC", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteUserSessions ends every session of a user.
func (t *Tx) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := t.exec(ctx, "DELETE FROM session WHERE user_id = ?", userID)
	return err
}

// DeleteExpiredSessions removes sessions past their lifetime or idle limit.
func (t *Tx) DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int64, error) {
	res, err := t.exec(ctx, "DELETE FROM session WHERE created < ? OR seen_at < ?", unix(createdBefore), unix(seenBefore))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ---- login attempts ----

// CreateLoginAttempt records a failed sign-in.
func (t *Tx) CreateLoginAttempt(ctx context.Context, username, ip string, at time.Time) error {
	_, err := t.exec(ctx, "INSERT INTO login_attempt (username, ip_address, created) VALUES (?, ?, ?)",
		strings.ToLower(username), ip, unix(at))
	return err
}

// CountLoginAttempts counts failures for a username since a time.
func (t *Tx) CountLoginAttempts(ctx context.Context, username string, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempt WHERE username = ? AND created >= ?",
		strings.ToLower(username), unix(since)).Scan(&n)
	return n, err
}

// CountLoginAttemptsByIP counts failures from a client IP since a time.
func (t *Tx) CountLoginAttemptsByIP(ctx context.Context, ip string, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempt WHERE ip_address = ? AND created >= ?",
		ip, unix(since)).Scan(&n)
	return n, err
}

// DeleteLoginAttempts clears a username's failures.
func (t *Tx) DeleteLoginAttempts(ctx context.Context, username string) error {
	_, err := t.exec(ctx, "DELETE FROM login_attempt WHERE username = ?", strings.ToLower(username))
	return err
}

// DeleteLoginAttemptsBefore removes old failures.
func (t *Tx) DeleteLoginAttemptsBefore(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "DELETE FROM login_attempt WHERE created < ?", unix(before))
	return err
}

// ---- managed permissions ----

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
	res, err := t.exec(ctx, `INSERT INTO managed_permission (org_id, resource, resource_id, user_id, team_id, level, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.OrgID, p.Resource, p.ResourceID, nullID(p.UserID), nullID(p.TeamID),
		string(p.Level), unix(p.Created), unix(p.Updated))
	if err != nil {
		return err
	}
	p.ID, err = res.LastInsertId()
	return err
}

// RemoveManagedPermission deletes the grant of the same object and holder, if any.
func (t *Tx) RemoveManagedPermission(ctx context.Context, p *warden.ManagedPermission) error {
	_, err := t.exec(ctx, `DELETE FROM managed_permission WHERE resource = ? AND resource_id = ?
		AND COALESCE(user_id, 0) = ? AND COALESCE(team_id, 0) = ?`, p.Resource, p.ResourceID, p.UserID, p.TeamID)
	return err
}

const managedColumns = "id, org_id, resource, resource_id, COALESCE(user_id, 0), COALESCE(team_id, 0), level, created, updated"

func (t *Tx) queryManaged(ctx context.Context, q string, args ...any) ([]*warden.ManagedPermission, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.ManagedPermission
	for rows.Next() {
		var p warden.ManagedPermission
		var level string
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.OrgID, &p.Resource, &p.ResourceID, &p.UserID, &p.TeamID, &level, &created, &updated); err != nil {
			return nil, err
		}
		p.Level = warden.ManagedLevel(level)
		p.Created, p.Updated = fromUnix(created), fromUnix(updated)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// FindUserManagedPermissions returns a user's grants in an org, direct and through teams.
func (t *Tx) FindUserManagedPermissions(ctx context.Context, orgID, userID int64) ([]*warden.ManagedPermission, error) {
	return t.queryManaged(ctx, "SELECT "+managedColumns+` FROM managed_permission WHERE org_id = ? AND (user_id = ?
		OR team_id IN (SELECT team_id FROM team_member WHERE user_id = ?)) ORDER BY id`, orgID, userID, userID)
}

// FindResourcePermissions returns every grant on one object.
func (t *Tx) FindResourcePermissions(ctx context.Context, orgID int64, resource string, resourceID int64) ([]*warden.ManagedPermission, error) {
	return t.queryManaged(ctx, "SELECT "+managedColumns+
		" FROM managed_permission WHERE org_id = ? AND resource = ? AND resource_id = ? ORDER BY id", orgID, resource, resourceID)
}

// ClaimFormNonce records a one-time form value; ECONFLICT when it was used before.
func (t *Tx) ClaimFormNonce(ctx context.Context, nonce string, at time.Time) error {
	_, err := t.exec(ctx, "INSERT INTO form_nonce (nonce, created) VALUES (?, ?)", nonce, unix(at))
	return err
}

// DeleteFormNoncesBefore forgets old form values.
func (t *Tx) DeleteFormNoncesBefore(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, "DELETE FROM form_nonce WHERE created < ?", unix(before))
	return err
}
