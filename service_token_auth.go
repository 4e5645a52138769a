package warden

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Token authentication failures, worded as Grafana's newest versions answer them (SPEC §4.3).
var (
	ErrInvalidAPIKey = ErrorID(EUNAUTHORIZED, "api-key.invalid", "Invalid API key")
	errExpiredAPIKey = ErrorID(EUNAUTHORIZED, "api-key.expired", "Expired API key")
	errRevokedAPIKey = ErrorID(EUNAUTHORIZED, "api-key.revoked", "Revoked API key")
	errAPIKeyOrg     = ErrorID(EUNAUTHORIZED, "api-key.organization-mismatch",
		"API key does not belong to the requested organization")
)

// AuthenticateToken resolves a service-account token to the principal it acts as. requestedOrg
// is the org the request names (0: the token's own). Malformed tokens and bad checksums are
// refused before any database access; every failure is a 401 with Grafana's message, and
// none of them records a use.
func (s *Service) AuthenticateToken(ctx context.Context, raw string, requestedOrg int64) (*Principal, error) {
	if !s.ServiceAccountsEnabled() {
		return nil, ErrInvalidAPIKey
	}
	secret, ok := ParseSecret(raw)
	if !ok {
		return nil, ErrInvalidAPIKey
	}
	now := s.Now().UTC()
	var tk *Token
	var u *User
	var role OrgRole
	var granted []Permission
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if tk, err = tx.FindTokenByHash(ctx, secret.Hash()); err != nil {
			return err
		}
		if u, err = tx.FindUserByID(ctx, tk.ServiceAccountID); err != nil {
			return err
		}
		m, err := tx.FindOrgUser(ctx, tk.OrgID, u.ID)
		if err != nil {
			return err
		}
		role = m.Role
		granted, err = managedPermissions(ctx, tx, tk.OrgID, u.ID)
		return err
	})
	if IsNotFound(err) {
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate token: %w", err)
	}
	switch {
	case tk.Expired(now):
		return nil, errExpiredAPIKey
	case tk.IsRevoked:
		return nil, errRevokedAPIKey
	case requestedOrg > 0 && requestedOrg != tk.OrgID:
		return nil, errAPIKeyOrg
	case !u.IsServiceAccount:
		return nil, ErrInvalidAPIKey
	case u.IsDisabled:
		return nil, errDisabled
	}
	list := append(BasicRolePermissions(role, false), granted...)
	s.lastUsed.record(tk, now)
	return &Principal{
		Kind: KindServiceAccount, UserID: u.ID, UID: u.UID, Login: u.Login, Email: u.Email, Name: u.Name,
		OrgID: tk.OrgID, OrgRole: role, CurrentOrgID: tk.OrgID, AuthMethod: "token", TokenID: tk.ID,
		Permissions: NewPermissions(list),
	}, nil
}

// lastUsedTracker collects token uses in memory so that no request writes to the database: a
// background flush writes them in one statement. A token is queued when its stored value is
// empty or over a minute old, so the list shows a first use within a flush interval and stays
// current to the minute.
type lastUsedTracker struct {
	mu      sync.Mutex // guards pending and written
	pending map[int64]time.Time
	// written remembers what this instance last queued per token, so a token used often is
	// not queued again within the minute even before its row is re-read.
	written map[int64]time.Time
}

func newLastUsedTracker() *lastUsedTracker {
	return &lastUsedTracker{pending: map[int64]time.Time{}, written: map[int64]time.Time{}}
}

const lastUsedResolution = time.Minute

func (l *lastUsedTracker) record(tk *Token, now time.Time) {
	if !tk.LastUsedAt.IsZero() && now.Sub(tk.LastUsedAt) < lastUsedResolution {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.written[tk.ID]; ok && now.Sub(w) < lastUsedResolution {
		return
	}
	l.pending[tk.ID] = now
	l.written[tk.ID] = now
}

func (l *lastUsedTracker) take(now time.Time) map[int64]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil
	}
	p := l.pending
	l.pending = map[int64]time.Time{}
	// Forget entries old enough not to matter, so the map stays bounded by active tokens.
	for id, t := range l.written {
		if now.Sub(t) > 2*lastUsedResolution {
			delete(l.written, id)
		}
	}
	return p
}

// putBack re-queues uses a failed flush could not write, keeping newer ones.
func (l *lastUsedTracker) putBack(uses map[int64]time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, t := range uses {
		if cur, ok := l.pending[id]; !ok || cur.Before(t) {
			l.pending[id] = t
		}
	}
}

// FlushLastUsed writes the queued token uses in one statement.
func (s *Service) FlushLastUsed(ctx context.Context) error {
	uses := s.lastUsed.take(s.Now().UTC())
	if len(uses) == 0 {
		return nil
	}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.UpdateTokensLastUsed(ctx, uses) }); err != nil {
		s.lastUsed.putBack(uses)
		return fmt.Errorf("flush token last-used times: %w", err)
	}
	return nil
}

// RunLastUsedFlusher flushes token uses every interval until ctx ends, then once more, so
// uses recorded before a graceful shutdown are not lost.
func (s *Service) RunLastUsedFlusher(ctx context.Context, logger *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := s.FlushLastUsed(fctx); err != nil {
				logger.Error("final flush of token last-used times", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := s.FlushLastUsed(ctx); err != nil && ctx.Err() == nil {
				logger.Error("flush token last-used times", "err", err)
			}
		}
	}
}
