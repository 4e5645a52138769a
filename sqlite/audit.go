package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

const auditColumns = `id, created, actor_kind, actor_id, actor_login, token_id, org_id, client_ip, action,
	target_type, target_id, outcome, detail`

// CreateAuditEntry appends to the audit log.
func (t *Tx) CreateAuditEntry(ctx context.Context, e *warden.AuditEntry) error {
	res, err := t.exec(ctx, `INSERT INTO audit_log (created, actor_kind, actor_id, actor_login, token_id, org_id,
		client_ip, action, target_type, target_id, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		unix(e.Created), e.ActorKind, e.ActorID, e.ActorLogin, e.TokenID, e.OrgID, e.ClientIP, e.Action,
		e.TargetType, e.TargetID, e.Outcome, e.Detail)
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// FindAuditEntries returns the entries f selects, newest first, and their total.
func (t *Tx) FindAuditEntries(ctx context.Context, f warden.AuditFilter) ([]*warden.AuditEntry, int, error) {
	var where []string
	var args []any
	cond := func(c string, v any) { where = append(where, c); args = append(args, v) }
	if !f.From.IsZero() {
		cond("created >= ?", unix(f.From))
	}
	if !f.To.IsZero() {
		cond("created < ?", unix(f.To))
	}
	if f.ActorKind != "" {
		cond("actor_kind = ?", f.ActorKind)
	}
	if f.ActorID != 0 {
		cond("actor_id = ?", f.ActorID)
	}
	if f.ActorLogin != "" {
		cond("actor_login = ?", f.ActorLogin)
	}
	if f.TokenID != 0 {
		cond("token_id = ?", f.TokenID)
	}
	if f.OrgID != 0 {
		cond("org_id = ?", f.OrgID)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "*"); ok {
		cond(`action LIKE ? ESCAPE '\'`, like(prefix)+"%")
	} else if f.Action != "" {
		cond("action = ?", f.Action)
	}
	if f.TargetType != "" {
		cond("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		cond("target_id = ?", f.TargetID)
	}
	if f.Outcome != "" {
		cond("outcome = ?", f.Outcome)
	}
	var clause string
	if len(where) > 0 {
		clause = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log"+clause, args...).Scan(&total); err != nil {
		return nil, 0, formatError(err)
	}
	q, args := page("SELECT "+auditColumns+" FROM audit_log"+clause+" ORDER BY id DESC", args, f.Offset, f.Limit)
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, formatError(err)
	}
	defer rows.Close()
	var out []*warden.AuditEntry
	for rows.Next() {
		var e warden.AuditEntry
		var created int64
		if err := rows.Scan(&e.ID, &created, &e.ActorKind, &e.ActorID, &e.ActorLogin, &e.TokenID, &e.OrgID,
			&e.ClientIP, &e.Action, &e.TargetType, &e.TargetID, &e.Outcome, &e.Detail); err != nil {
			return nil, 0, formatError(err)
		}
		e.Created = fromUnix(created)
		out = append(out, &e)
	}
	return out, total, formatError(rows.Err())
}

// DeleteAuditEntriesBefore deletes at most limit of the oldest entries created before before.
func (t *Tx) DeleteAuditEntriesBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE created < ? ORDER BY id LIMIT ?)`, unix(before), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
