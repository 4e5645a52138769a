package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

const saSelect = `SELECT u.id, u.uid, u.org_id, u.name, u.login, COALESCE(ou.role, 'None'), u.is_disabled,
	u.created, u.updated, (SELECT COUNT(*) FROM token t WHERE t.service_account_id = u.id)
	FROM users u LEFT JOIN org_user ou ON ou.org_id = u.org_id AND ou.user_id = u.id`

func scanServiceAccount(row interface{ Scan(...any) error }) (*warden.ServiceAccount, error) {
	var a warden.ServiceAccount
	var role string
	var created, updated int64
	if err := row.Scan(&a.ID, &a.UID, &a.OrgID, &a.Name, &a.Login, &role, &a.IsDisabled, &created, &updated, &a.Tokens); err != nil {
		return nil, err
	}
	a.Role = warden.OrgRole(role)
	a.Created, a.Updated = fromUnix(created), fromUnix(updated)
	return &a, nil
}

// FindServiceAccount returns a service account of an org.
func (t *Tx) FindServiceAccount(ctx context.Context, orgID, id int64) (*warden.ServiceAccount, error) {
	a, err := scanServiceAccount(t.tx.QueryRowContext(ctx, saSelect+
		" WHERE u.id = ? AND u.org_id = ? AND u.is_service_account = 1", id, orgID))
	if err == sql.ErrNoRows {
		return nil, notFound("service account")
	}
	return a, err
}

// FindServiceAccountByUID returns a service account of an org by UID.
func (t *Tx) FindServiceAccountByUID(ctx context.Context, orgID int64, uid string) (*warden.ServiceAccount, error) {
	a, err := scanServiceAccount(t.tx.QueryRowContext(ctx, saSelect+
		" WHERE u.uid = ? AND u.org_id = ? AND u.is_service_account = 1", uid, orgID))
	if err == sql.ErrNoRows {
		return nil, notFound("service account")
	}
	return a, err
}

// FindServiceAccounts returns a page of an org's service accounts ordered by login.
func (t *Tx) FindServiceAccounts(ctx context.Context, f warden.ServiceAccountFilter) ([]*warden.ServiceAccount, int, error) {
	where, args := []string{"u.is_service_account = 1", "u.org_id = ?"}, []any{f.OrgID}
	if f.Query != "" {
		where = append(where, `(u.login LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`)
		q := "%" + like(f.Query) + "%"
		args = append(args, q, q, q)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		where = append(where, "u.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.Disabled {
		where = append(where, "u.is_disabled = 1")
	}
	if !f.ExpiredTokensAt.IsZero() {
		expired := "(expires IS NOT NULL AND expires < ?)"
		args = append(args, unix(f.ExpiredTokensAt))
		if !f.ExpiredTokensCreatedBefore.IsZero() {
			expired += " OR created <= ?"
			args = append(args, unix(f.ExpiredTokensCreatedBefore))
		}
		where = append(where, "u.id IN (SELECT service_account_id FROM token WHERE "+expired+")")
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users u"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q, qargs := page(saSelect+cond+" ORDER BY u.email, u.login, u.id", args, f.Offset, f.Limit)
	rows, err := t.tx.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*warden.ServiceAccount
	for rows.Next() {
		a, err := scanServiceAccount(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// ---- tokens ----

const tokenColumns = `id, org_id, service_account_id, name, key_hash, created, updated, COALESCE(expires, 0),
	COALESCE(last_used_at, 0), is_revoked, created_by_kind, created_by_id, created_by_login, last_used_ip,
	COALESCE(replaced_by, 0), COALESCE(replaces, 0), role, scopes, allowed_cidrs`

func scanToken(row interface{ Scan(...any) error }) (*warden.Token, error) {
	var tk warden.Token
	var created, updated, expires, lastUsed int64
	var role, scopes, cidrs string
	if err := row.Scan(&tk.ID, &tk.OrgID, &tk.ServiceAccountID, &tk.Name, &tk.Hash, &created, &updated,
		&expires, &lastUsed, &tk.IsRevoked, &tk.CreatedBy.Kind, &tk.CreatedBy.ID, &tk.CreatedBy.Login, &tk.LastUsedIP,
		&tk.ReplacedBy, &tk.Replaces, &role, &scopes, &cidrs); err != nil {
		return nil, err
	}
	tk.Created, tk.Updated, tk.Expires, tk.LastUsedAt = fromUnix(created), fromUnix(updated), fromUnix(expires), fromUnix(lastUsed)
	r, err := warden.RestrictionsFromStore(role, scopes, cidrs)
	if err != nil {
		return nil, fmt.Errorf("token %d: %w", tk.ID, err)
	}
	tk.Restrictions = r
	return &tk, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// CreateToken inserts a token and sets its ID.
func (t *Tx) CreateToken(ctx context.Context, tk *warden.Token) error {
	res, err := t.exec(ctx, `INSERT INTO token (org_id, service_account_id, name, key_hash, created, updated,
		expires, last_used_at, is_revoked, created_by_kind, created_by_id, created_by_login, last_used_ip, replaced_by,
		replaces, role, scopes, allowed_cidrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.OrgID, tk.ServiceAccountID, tk.Name, tk.Hash, unix(tk.Created), unix(tk.Updated), nullTime(tk.Expires),
		nullTime(tk.LastUsedAt), tk.IsRevoked, tk.CreatedBy.Kind, tk.CreatedBy.ID, tk.CreatedBy.Login, tk.LastUsedIP,
		nullID(tk.ReplacedBy), nullID(tk.Replaces), string(tk.Restrictions.Role), tk.Restrictions.StoredScopes(),
		tk.Restrictions.StoredCIDRs())
	if err != nil {
		return err
	}
	tk.ID, err = res.LastInsertId()
	return err
}

// FindTokenByHash finds a token by its stored hash.
func (t *Tx) FindTokenByHash(ctx context.Context, hash string) (*warden.Token, error) {
	tk, err := scanToken(t.tx.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM token WHERE key_hash = ?", hash))
	if err == sql.ErrNoRows {
		return nil, notFound("token")
	}
	return tk, err
}

// tokenIdentitySelect reads a token, its account and the account's role in one indexed query.
const tokenIdentitySelect = `SELECT t.id, t.org_id, t.service_account_id, t.name, t.key_hash, t.created, t.updated,
	COALESCE(t.expires, 0), COALESCE(t.last_used_at, 0), t.is_revoked, t.created_by_kind, t.created_by_id,
	t.created_by_login, t.last_used_ip, COALESCE(t.replaced_by, 0), COALESCE(t.replaces, 0), t.role, t.scopes,
	t.allowed_cidrs, u.id, u.uid, u.login, u.email, u.name, u.is_disabled, u.is_service_account, ou.role
	FROM token t
	JOIN users u ON u.id = t.service_account_id
	JOIN org_user ou ON ou.org_id = t.org_id AND ou.user_id = u.id
	WHERE t.key_hash = ?`

// FindTokenIdentity finds a token with its account and the account's role in the token's org.
func (t *Tx) FindTokenIdentity(ctx context.Context, hash string) (*warden.TokenIdentity, error) {
	var u warden.User
	var role string
	tk, err := scanToken(withExtra{t.tx.StmtContext(ctx, t.identity).QueryRowContext(ctx, hash),
		[]any{&u.ID, &u.UID, &u.Login, &u.Email, &u.Name, &u.IsDisabled, &u.IsServiceAccount, &role}})
	if err == sql.ErrNoRows {
		return nil, notFound("token")
	}
	if err != nil {
		return nil, err
	}
	return &warden.TokenIdentity{Token: tk, Account: &u, Role: warden.OrgRole(role)}, nil
}

// withExtra scans a row into a scan function's destinations followed by extra ones, so one
// query can fill several types with their own scanners.
type withExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// FindTokens lists an account's tokens by name.
func (t *Tx) FindTokens(ctx context.Context, orgID, saID int64, limit int) ([]*warden.Token, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT "+tokenColumns+
		" FROM token WHERE org_id = ? AND service_account_id = ? ORDER BY name, id LIMIT ?", orgID, saID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.Token
	for rows.Next() {
		tk, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// DeleteToken deletes a token of one org and account.
func (t *Tx) DeleteToken(ctx context.Context, orgID, saID, id int64) error {
	return t.execOne(ctx, "token", "DELETE FROM token WHERE id = ? AND org_id = ? AND service_account_id = ?", id, orgID, saID)
}

// RevokeToken marks a token revoked; it stays listed.
func (t *Tx) RevokeToken(ctx context.Context, id int64) error {
	return t.execOne(ctx, "token", "UPDATE token SET is_revoked = 1 WHERE id = ?", id)
}

// UpdateTokensLastUsed writes many uses in one statement. MAX keeps a time from moving backwards
// when instances flush out of order, and an address is written only with a time that is not
// older than the stored one.
func (t *Tx) UpdateTokensLastUsed(ctx context.Context, uses map[int64]warden.TokenUse) error {
	ids := make([]int64, 0, len(uses))
	for id := range uses {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	// SQLite takes at most 32,766 parameters a statement, and each token needs 7: a batch of
	// any size (a backlog after an outage) goes in statements of 1,000 tokens.
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		if err := t.updateTokensLastUsed(ctx, ids[:n], uses); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// updateTokensLastUsed writes the uses of ids (sorted) in one statement.
func (t *Tx) updateTokensLastUsed(ctx context.Context, ids []int64, uses map[int64]warden.TokenUse) error {
	var b strings.Builder
	args := make([]any, 0, 6*len(ids))
	b.WriteString("UPDATE token SET last_used_ip = CASE id")
	for _, id := range ids {
		b.WriteString(" WHEN ? THEN CASE WHEN ? >= COALESCE(last_used_at, 0) AND ? <> '' THEN ? ELSE last_used_ip END")
		args = append(args, id, uses[id].At.Unix(), uses[id].IP, uses[id].IP)
	}
	b.WriteString(" END, last_used_at = MAX(COALESCE(last_used_at, 0), CASE id")
	for _, id := range ids {
		b.WriteString(" WHEN ? THEN ?")
		args = append(args, id, uses[id].At.Unix())
	}
	b.WriteString(" END) WHERE id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")")
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := t.exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("update last used: %w", err)
	}
	return nil
}

// FindToken finds a token of one org and account.
func (t *Tx) FindToken(ctx context.Context, orgID, saID, id int64) (*warden.Token, error) {
	tk, err := scanToken(t.tx.QueryRowContext(ctx, "SELECT "+tokenColumns+
		" FROM token WHERE id = ? AND org_id = ? AND service_account_id = ?", id, orgID, saID))
	if err == sql.ErrNoRows {
		return nil, notFound("token")
	}
	return tk, err
}

// UpdateToken writes a token's name, expiry, replacement, restrictions and update time.
func (t *Tx) UpdateToken(ctx context.Context, tk *warden.Token) error {
	return t.execOne(ctx, "token", `UPDATE token SET name = ?, expires = ?, replaced_by = ?, role = ?, scopes = ?,
		allowed_cidrs = ?, updated = ? WHERE id = ?`, tk.Name, nullTime(tk.Expires), nullID(tk.ReplacedBy),
		string(tk.Restrictions.Role), tk.Restrictions.StoredScopes(), tk.Restrictions.StoredCIDRs(), unix(tk.Updated), tk.ID)
}

// DeleteExpiredTokens deletes the tokens f selects, at most f.Limit of them, and returns them.
func (t *Tx) DeleteExpiredTokens(ctx context.Context, f warden.ExpiredTokens) ([]*warden.Token, error) {
	where := "((expires IS NOT NULL AND expires <= ?)"
	args := []any{unix(f.ExpiredBefore)}
	if !f.CreatedBefore.IsZero() {
		where += " OR created <= ?"
		args = append(args, unix(f.CreatedBefore))
	}
	where += ")"
	if f.ServiceAccountID != 0 {
		where += " AND org_id = ? AND service_account_id = ?"
		args = append(args, f.OrgID, f.ServiceAccountID)
	}
	rows, err := t.tx.QueryContext(ctx, "SELECT "+tokenColumns+" FROM token WHERE "+where+" ORDER BY id LIMIT ?",
		append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	var out []*warden.Token
	for rows.Next() {
		tk, err := scanToken(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, tk)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, tk := range out {
		if _, err := t.exec(ctx, "DELETE FROM token WHERE id = ?", tk.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
