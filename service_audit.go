package warden

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The audit log: every state change writes one row in the transaction that makes the change
// (Service.audit), so a change and its record commit or roll back together. After the commit,
// each row is also written as one structured log line (message "audit"), so the trail can be
// shipped to a log store; a rolled-back change logs nothing.

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure" // e.g. a wrong password
	OutcomeDenied  = "denied"  // an authenticated caller lacked the permission
)

// Limits of GET /api/audit pages.
const (
	AuditDefaultPerPage = 100
	AuditMaxPerPage     = 1000
)

// auditBatch is how many old rows one retention transaction deletes, so that purging a large
// backlog never holds the write lock for long.
const auditBatch = 1000

// auditLoggingStore wraps the service's Store: after each committed read-write transaction it
// logs the audit entries the transaction created.
type auditLoggingStore struct {
	Store
	logger *slog.Logger
}

func (s auditLoggingStore) Update(ctx context.Context, fn func(Tx) error) error {
	var entries []*AuditEntry
	err := s.Store.Update(ctx, func(tx Tx) error {
		entries = entries[:0] // a retried transaction starts over
		return fn(&auditTx{Tx: tx, entries: &entries})
	})
	if err == nil {
		for _, e := range entries {
			logAuditEntry(ctx, s.logger, e)
		}
	}
	return err
}

// auditTx remembers the entries written through it.
type auditTx struct {
	Tx
	entries *[]*AuditEntry
}

func (t *auditTx) CreateAuditEntry(ctx context.Context, e *AuditEntry) error {
	if err := t.Tx.CreateAuditEntry(ctx, e); err != nil {
		return err
	}
	*t.entries = append(*t.entries, e)
	return nil
}

func logAuditEntry(ctx context.Context, logger *slog.Logger, e *AuditEntry) {
	attrs := []slog.Attr{
		slog.Int64("audit_id", e.ID),
		slog.String("action", e.Action),
		slog.String("outcome", e.Outcome),
		slog.String("actor_kind", e.ActorKind),
		slog.Int64("actor_id", e.ActorID),
		slog.String("actor_login", e.ActorLogin),
		slog.Int64("token_id", e.TokenID),
		slog.Int64("org_id", e.OrgID),
		slog.String("client_ip", e.ClientIP),
		slog.String("target_type", e.TargetType),
		slog.String("target_id", e.TargetID),
	}
	if e.Detail != "" {
		attrs = append(attrs, slog.String("detail", e.Detail))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

// audit writes one audit row inside tx, describing the caller from ctx.
func (s *Service) audit(ctx context.Context, tx Tx, action, targetType, targetID, outcome, detail string) error {
	if err := tx.CreateAuditEntry(ctx, s.auditEntry(ctx, action, targetType, targetID, outcome, detail)); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func (s *Service) auditEntry(ctx context.Context, action, targetType, targetID, outcome, detail string) *AuditEntry {
	e := &AuditEntry{
		Created:    s.now(),
		ActorKind:  "anonymous",
		ClientIP:   ClientIPFromContext(ctx),
		Action:     action,
		TargetType: targetType,
		TargetID:   targetID,
		Outcome:    outcome,
		Detail:     detail,
	}
	if p := PrincipalFromContext(ctx); p != nil {
		e.ActorKind = string(p.Kind)
		e.ActorID = p.UserID
		e.ActorLogin = p.Login
		e.TokenID = p.TokenID
		e.OrgID = p.OrgID
	} else if sys, ok := ctx.Value(systemActorKey{}).(string); ok {
		e.ActorKind = "system"
		e.ActorLogin = sys
		e.Detail = strings.TrimSpace(sys + " " + detail)
	}
	return e
}

type systemActorKey struct{}

// NewSystemContext marks ctx as acting for the system itself (start-up, the admin CLI), so
// audit rows name it; what is the name of the command or job.
func NewSystemContext(ctx context.Context, what string) context.Context {
	return context.WithValue(ctx, systemActorKey{}, what)
}

// A Denial is a state change refused for lack of permission. Route names what was refused
// independently of the ids in it (a route pattern): repeated denials of one route to one actor
// are recorded once a minute, so a caller cannot flood the log by retrying.
type Denial struct {
	Route    string // e.g. "POST /api/orgs/{orgId}/users"
	TargetID string // the request as sent, e.g. "POST /api/orgs/7/users"
	Detail   string // e.g. "requires orgs:write"
}

// denialWindow is how often repeated denials of one route to one actor are recorded.
const denialWindow = time.Minute

// maxDenialKeys bounds the memory of recent denials; past it the memory starts over.
const maxDenialKeys = 10_000

// denialMemory remembers when each (actor, route) denial was last recorded, and how many were
// not recorded since.
type denialMemory struct {
	mu   sync.Mutex
	last map[string]denialSeen
}

type denialSeen struct {
	at         time.Time
	suppressed int
}

// due reports whether a repeat of key at now is to be recorded (the first in denialWindow),
// and how many repeats were not recorded since the last one that was.
func (m *denialMemory) due(key string, now time.Time) (suppressed int, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil || len(m.last) >= maxDenialKeys {
		m.last = map[string]denialSeen{}
	}
	seen, found := m.last[key]
	if found && now.Sub(seen.at) < denialWindow {
		seen.suppressed++
		m.last[key] = seen
		return 0, false
	}
	m.last[key] = denialSeen{at: now}
	return seen.suppressed, true
}

// RecordDenied records that the caller in ctx was refused d. Anonymous callers are not
// recorded: anyone can send those, and the access log has them. It reports whether a row was
// written (false: a repeat within the minute, counted in the next row).
func (s *Service) RecordDenied(ctx context.Context, d Denial) (bool, error) {
	p := PrincipalFromContext(ctx)
	if p == nil {
		return false, nil
	}
	suppressed, due := s.denials.due(string(p.Kind)+":"+itoa(p.UserID)+" "+d.Route, s.now())
	if !due {
		return false, nil
	}
	detail := d.Detail
	if suppressed > 0 {
		detail += fmt.Sprintf(" (and %d more of this route, not recorded, in the minute before)", suppressed)
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		return s.audit(ctx, tx, "access.denied", "route", d.TargetID, OutcomeDenied, strings.TrimSpace(detail))
	})
	if err != nil {
		return false, fmt.Errorf("record denied %s: %w", d.Route, err)
	}
	return true, nil
}

// truncatedLogin is what the audit log keeps of a sign-in name that matches no user: its first
// three characters, since people type passwords into that field by mistake.
func truncatedLogin(name string) string {
	if utf8.RuneCountInString(name) <= 3 {
		return name
	}
	n := 0
	for i := range name {
		if n == 3 {
			return name[:i] + "…"
		}
		n++
	}
	return name
}

// AuditEntries returns a page of the audit log, newest first, and the number of entries the
// filter selects. Only server admins may read it.
func (s *Service) AuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error) {
	if p := PrincipalFromContext(ctx); p == nil || !p.IsServerAdmin {
		return nil, 0, Errorf(EFORBIDDEN, "Permission denied")
	}
	if f.Limit <= 0 {
		f.Limit = AuditDefaultPerPage
	}
	f.Limit = min(f.Limit, AuditMaxPerPage)
	f.Offset = max(f.Offset, 0)
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, 0, Errorf(EINVALID, "from must be before to")
	}
	var (
		list  []*AuditEntry
		total int
	)
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		list, total, err = tx.FindAuditEntries(ctx, f)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find audit entries: %w", err)
	}
	return list, total, nil
}

// PurgeAuditLog deletes the entries older than retention, in batches of their own
// transactions, and records how many it deleted. It returns the number deleted.
func (s *Service) PurgeAuditLog(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		return 0, nil
	}
	ctx = NewSystemContext(ctx, "audit-retention")
	before := s.now().Add(-retention)
	deleted := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			n, err = tx.DeleteAuditEntriesBefore(ctx, before, auditBatch)
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("purge audit log: %w", err)
		}
		deleted += n
		if n < auditBatch || ctx.Err() != nil {
			break
		}
	}
	if deleted == 0 {
		return 0, nil
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		return s.audit(ctx, tx, "audit.purge", "audit_log", "", OutcomeSuccess,
			fmt.Sprintf("deleted=%d before=%s", deleted, before.Format(time.RFC3339)))
	})
	if err != nil {
		return deleted, fmt.Errorf("record audit purge: %w", err)
	}
	return deleted, nil
}
