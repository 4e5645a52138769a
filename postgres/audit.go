package postgres

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
	id, err := t.insert(ctx, "create audit entry", `INSERT INTO audit_log (created, actor_kind, actor_id,
		actor_login, token_id, org_id, client_ip, action, target_type, target_id, outcome, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, unix(e.Created), e.ActorKind, e.ActorID,
		e.ActorLogin, e.TokenID, e.OrgID, e.ClientIP, e.Action, e.TargetType, e.TargetID, e.Outcome, e.Detail)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

func scanAuditEntry(row scanner) (*warden.AuditEntry, error) {
	var e warden.AuditEntry
	var created int64
	if err := row.Scan(&e.ID, &created, &e.ActorKind, &e.ActorID, &e.ActorLogin, &e.TokenID, &e.OrgID,
		&e.ClientIP, &e.Action, &e.TargetType, &e.TargetID, &e.Outcome, &e.Detail); err != nil {
		return nil, err
	}
	e.Created = fromUnix(created)
	return &e, nil
}

// FindAuditEntries returns the entries f selects, newest first, and their total.
func (t *Tx) FindAuditEntries(ctx context.Context, f warden.AuditFilter) ([]*warden.AuditEntry, int, error) {
	a := args{}
	var where []string
	cond := func(column, op string, v any) { where = append(where, column+" "+op+" "+a.add(v)) }
	if !f.From.IsZero() {
		cond("created", ">=", unix(f.From))
	}
	if !f.To.IsZero() {
		cond("created", "<", unix(f.To))
	}
	if f.ActorKind != "" {
		cond("actor_kind", "=", f.ActorKind)
	}
	if f.ActorID != 0 {
		cond("actor_id", "=", f.ActorID)
	}
	if f.ActorLogin != "" {
		cond("actor_login", "=", f.ActorLogin)
	}
	if f.TokenID != 0 {
		cond("token_id", "=", f.TokenID)
	}
	if f.OrgID != 0 {
		cond("org_id", "=", f.OrgID)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "*"); ok {
		cond("action", "LIKE", like(prefix)+"%")
	} else if f.Action != "" {
		cond("action", "=", f.Action)
	}
	if f.TargetType != "" {
		cond("target_type", "=", f.TargetType)
	}
	if f.TargetID != "" {
		cond("target_id", "=", f.TargetID)
	}
	if f.Outcome != "" {
		cond("outcome", "=", f.Outcome)
	}
	var clause string
	if len(where) > 0 {
		clause = " WHERE " + strings.Join(where, " AND ")
	}
	total, err := t.count(ctx, "count audit entries", "SELECT COUNT(*) FROM audit_log"+clause, a...)
	if err != nil {
		return nil, 0, err
	}
	q, a := page("SELECT "+auditColumns+" FROM audit_log"+clause+" ORDER BY id DESC", a, f.Offset, f.Limit)
	out, err := findAll(ctx, t, "find audit entries", scanAuditEntry, q, a...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// DeleteAuditEntriesBefore deletes at most limit of the oldest entries created before before.
func (t *Tx) DeleteAuditEntriesBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := t.exec(ctx, "delete audit entries", `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE created < $1 ORDER BY id LIMIT $2)`, unix(before), limit)
	return int(n), err
}
