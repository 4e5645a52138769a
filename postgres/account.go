package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden"
)

const saSelect = `SELECT u.id, u.uid, u.org_id, u.name, u.login, COALESCE(ou.role, 'None'), u.is_disabled,
	u.created, u.updated, (SELECT COUNT(*) FROM token t WHERE t.service_account_id = u.id)
	FROM users u LEFT JOIN org_user ou ON ou.org_id = u.org_id AND ou.user_id = u.id`

func scanServiceAccount(row scanner) (*warden.ServiceAccount, error) {
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
	return findOne(ctx, t, "find service account", "service account", scanServiceAccount, saSelect+
		" WHERE u.id = $1 AND u.org_id = $2 AND u.is_service_account", id, orgID)
}

// FindServiceAccountByUID returns a service account of an org by UID.
func (t *Tx) FindServiceAccountByUID(ctx context.Context, orgID int64, uid string) (*warden.ServiceAccount, error) {
	return findOne(ctx, t, "find service account", "service account", scanServiceAccount, saSelect+
		" WHERE u.uid = $1 AND u.org_id = $2 AND u.is_service_account", uid, orgID)
}

// FindServiceAccounts returns a page of an org's service accounts ordered by email, login and
// id (the order the index users_org_sa_order serves), and the total.
func (t *Tx) FindServiceAccounts(ctx context.Context, f warden.ServiceAccountFilter) ([]*warden.ServiceAccount, int, error) {
	a := args{}
	where := []string{"u.is_service_account", "u.org_id = " + a.add(f.OrgID)}
	if f.Query != "" {
		p := a.add("%" + like(f.Query) + "%")
		where = append(where, "(u.login ILIKE "+p+" OR u.email ILIKE "+p+" OR u.name ILIKE "+p+")")
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		where = append(where, "u.id = ANY("+a.add(f.IDs)+")")
	}
	if f.Disabled {
		where = append(where, "u.is_disabled")
	}
	if !f.ExpiredTokensAt.IsZero() {
		expired := "(expires IS NOT NULL AND expires < " + a.add(unix(f.ExpiredTokensAt)) + ")"
		if !f.ExpiredTokensCreatedBefore.IsZero() {
			expired += " OR created <= " + a.add(unix(f.ExpiredTokensCreatedBefore))
		}
		where = append(where, "u.id IN (SELECT service_account_id FROM token WHERE "+expired+")")
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	total, err := t.count(ctx, "find service accounts", "SELECT COUNT(*) FROM users u"+cond, a...)
	if err != nil {
		return nil, 0, err
	}
	q, a := page(saSelect+cond+" ORDER BY u.email, u.login, u.id", a, f.Offset, f.Limit)
	out, err := findAll(ctx, t, "find service accounts", scanServiceAccount, q, a...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// ---- tokens ----

const tokenColumns = `id, org_id, service_account_id, name, key_hash, created, updated, COALESCE(expires, 0),
	COALESCE(last_used_at, 0), is_revoked, created_by_kind, created_by_id, created_by_login, last_used_ip,
	COALESCE(replaced_by, 0), COALESCE(replaces, 0), role, scopes, allowed_cidrs`

func scanToken(row scanner) (*warden.Token, error) {
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

// CreateToken inserts a token and sets its ID.
func (t *Tx) CreateToken(ctx context.Context, tk *warden.Token) error {
	id, err := t.insert(ctx, "create token", `INSERT INTO token (org_id, service_account_id, name, key_hash, created,
		updated, expires, last_used_at, is_revoked, created_by_kind, created_by_id, created_by_login, last_used_ip,
		replaced_by, replaces, role, scopes, allowed_cidrs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
		$13, $14, $15, $16, $17, $18)`, tk.OrgID, tk.ServiceAccountID, tk.Name, tk.Hash, unix(tk.Created),
		unix(tk.Updated), nullTime(tk.Expires), nullTime(tk.LastUsedAt), tk.IsRevoked, tk.CreatedBy.Kind,
		tk.CreatedBy.ID, tk.CreatedBy.Login, tk.LastUsedIP, nullID(tk.ReplacedBy), nullID(tk.Replaces),
		string(tk.Restrictions.Role), tk.Restrictions.StoredScopes(), tk.Restrictions.StoredCIDRs())
	if err != nil {
		return err
	}
	tk.ID = id
	return nil
}

// FindTokenByHash finds a token by its stored hash.
func (t *Tx) FindTokenByHash(ctx context.Context, hash string) (*warden.Token, error) {
	return findOne(ctx, t, "find token", "token", scanToken, "SELECT "+tokenColumns+" FROM token WHERE key_hash = $1", hash)
}

// tokenIdentitySelect reads a token, its account and the account's role in one indexed query.
const tokenIdentitySelect = `SELECT t.id, t.org_id, t.service_account_id, t.name, t.key_hash, t.created, t.updated,
	COALESCE(t.expires, 0), COALESCE(t.last_used_at, 0), t.is_revoked, t.created_by_kind, t.created_by_id,
	t.created_by_login, t.last_used_ip, COALESCE(t.replaced_by, 0), COALESCE(t.replaces, 0), t.role, t.scopes,
	t.allowed_cidrs, u.id, u.uid, u.login, u.email, u.name, u.is_disabled, u.is_service_account, ou.role
	FROM token t
	JOIN users u ON u.id = t.service_account_id
	JOIN org_user ou ON ou.org_id = t.org_id AND ou.user_id = u.id
	WHERE t.key_hash = $1`

// FindTokenIdentity finds a token with its account and the account's role in the token's org.
func (t *Tx) FindTokenIdentity(ctx context.Context, hash string) (*warden.TokenIdentity, error) {
	var u warden.User
	var role string
	id, err := findOne(ctx, t, "find token identity", "token", func(row scanner) (*warden.Token, error) {
		return scanToken(withExtra{row, []any{&u.ID, &u.UID, &u.Login, &u.Email, &u.Name, &u.IsDisabled,
			&u.IsServiceAccount, &role}})
	}, tokenIdentitySelect, hash)
	if err != nil {
		return nil, err
	}
	return &warden.TokenIdentity{Token: id, Account: &u, Role: warden.OrgRole(role)}, nil
}

// withExtra scans a row into a scan function's destinations followed by extra ones, so one
// query can fill several types with their own scanners.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// FindTokens lists an account's tokens by name.
func (t *Tx) FindTokens(ctx context.Context, orgID, saID int64, limit int) ([]*warden.Token, error) {
	return findAll(ctx, t, "find tokens", scanToken, "SELECT "+tokenColumns+
		" FROM token WHERE org_id = $1 AND service_account_id = $2 ORDER BY name, id LIMIT $3", orgID, saID, limit)
}

// DeleteToken deletes a token of one org and account.
func (t *Tx) DeleteToken(ctx context.Context, orgID, saID, id int64) error {
	return t.execOne(ctx, "delete token", "token",
		"DELETE FROM token WHERE id = $1 AND org_id = $2 AND service_account_id = $3", id, orgID, saID)
}

// RevokeToken marks a token revoked; it stays listed.
func (t *Tx) RevokeToken(ctx context.Context, id int64) error {
	return t.execOne(ctx, "revoke token", "token", "UPDATE token SET is_revoked = true WHERE id = $1", id)
}

// UpdateTokensLastUsed writes many uses in one statement, whatever their number: the ids,
// times and addresses travel as three arrays. A row changes only when its time moves forward,
// so instances flushing out of order never move it back. The ids are sorted so that concurrent
// flushes lock rows in the same order.
func (t *Tx) UpdateTokensLastUsed(ctx context.Context, uses map[int64]warden.TokenUse) error {
	if len(uses) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(uses))
	for id := range uses {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ats := make([]int64, len(ids))
	ips := make([]string, len(ids))
	for i, id := range ids {
		ats[i], ips[i] = uses[id].At.Unix(), uses[id].IP
	}
	_, err := t.exec(ctx, "update last used", `UPDATE token SET last_used_at = u.at,
		last_used_ip = CASE WHEN u.ip <> '' THEN u.ip ELSE token.last_used_ip END
		FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, at, ip)
		WHERE token.id = u.id AND (token.last_used_at IS NULL OR token.last_used_at <= u.at)`, ids, ats, ips)
	return err
}

// FindToken finds a token of one org and account.
func (t *Tx) FindToken(ctx context.Context, orgID, saID, id int64) (*warden.Token, error) {
	return findOne(ctx, t, "find token", "token", scanToken, "SELECT "+tokenColumns+
		" FROM token WHERE id = $1 AND org_id = $2 AND service_account_id = $3", id, orgID, saID)
}

// UpdateToken writes a token's name, expiry, replacement, restrictions and update time.
func (t *Tx) UpdateToken(ctx context.Context, tk *warden.Token) error {
	return t.execOne(ctx, "update token", "token", `UPDATE token SET name = $1, expires = $2, replaced_by = $3,
		role = $4, scopes = $5, allowed_cidrs = $6, updated = $7 WHERE id = $8`, tk.Name, nullTime(tk.Expires),
		nullID(tk.ReplacedBy), string(tk.Restrictions.Role), tk.Restrictions.StoredScopes(),
		tk.Restrictions.StoredCIDRs(), unix(tk.Updated), tk.ID)
}

// DeleteExpiredTokens deletes the tokens f selects, at most f.Limit of them, and returns them.
func (t *Tx) DeleteExpiredTokens(ctx context.Context, f warden.ExpiredTokens) ([]*warden.Token, error) {
	where := "((expires IS NOT NULL AND expires <= $1)"
	args := []any{unix(f.ExpiredBefore)}
	if !f.CreatedBefore.IsZero() {
		args = append(args, unix(f.CreatedBefore))
		where += fmt.Sprintf(" OR created <= $%d", len(args))
	}
	where += ")"
	if f.ServiceAccountID != 0 {
		args = append(args, f.OrgID, f.ServiceAccountID)
		where += fmt.Sprintf(" AND org_id = $%d AND service_account_id = $%d", len(args)-1, len(args))
	}
	args = append(args, f.Limit)
	return findAll(ctx, t, "delete expired tokens", scanToken, fmt.Sprintf(`DELETE FROM token WHERE id IN
		(SELECT id FROM token WHERE %s ORDER BY id LIMIT $%d) RETURNING `, where, len(args))+tokenColumns, args...)
}
