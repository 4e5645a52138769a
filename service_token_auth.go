package warden

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
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
// refused before any lookup; a cached identity answers without the database; every failure
// is a 401 with Grafana's message, and none of them records a use — except that a token this
// instance does not hold, from a client past its budget of failed lookups, is not looked up
// and so cannot be known bad: ETOOMANY (429), never "Invalid API key", which a client or an
// operator would read as a revoked token; and a token used from outside its allowed address
// ranges, which is EFORBIDDEN (403). The client address is the one in ctx
// (NewContextWithClientIP).
//
// A cache hit allocates nothing: the returned principal is shared and must not be modified.
func (s *Service) AuthenticateToken(ctx context.Context, raw string, requestedOrg int64) (*Principal, error) {
	if !s.ServiceAccountsEnabled() {
		return nil, ErrInvalidAPIKey
	}
	secret, ok := ParseSecret(raw)
	if !ok {
		s.refusals.count(ErrInvalidAPIKey)
		return nil, ErrInvalidAPIKey
	}
	now := s.Now()
	e, err := s.findToken(ctx, secret, now)
	if err != nil {
		s.refusals.count(err)
		return nil, err
	}
	ip := ClientIPFromContext(ctx)
	if err := s.usable(e, now, requestedOrg); err != nil {
		return nil, err
	}
	if !e.restrict.AllowsAddress(ip) {
		return nil, s.refuseAddress(ctx, e, ip, now)
	}
	s.recordUse(e, now, ip)
	return e.identity, nil
}

// errLookupBudget is findToken's answer to a client past its budget of failed lookups, for a
// token it does not know: 429, so that a valid token is never told it is invalid.
var errLookupBudget = ErrorID(ETOOMANY, "auth.lookup-budget",
	"Too many lookups of unknown tokens from this address. Try again later.")

// findToken returns what is known about a token: from the cache, or from one database lookup
// that it caches. A token known to be unknown, or found unknown, is ErrInvalidAPIKey (the
// failed lookup spends the client IP's budget); past that budget, errLookupBudget without a
// lookup. A cache hit allocates nothing.
func (s *Service) findToken(ctx context.Context, secret Secret, now time.Time) (*tokenEntry, error) {
	key := tokenKey(secret.digest())
	c := s.cache
	if c.usable() {
		if e, ok := c.tokens.get(key); ok && e.gen == c.gen.Load() && !c.tooOld(e.loaded, now) {
			c.hits.Add(1)
			return e, nil
		}
		if until, ok := c.unknown.get(key); ok && now.UnixNano() < until {
			c.unknownHits.Add(1)
			return nil, ErrInvalidAPIKey
		}
	}
	c.misses.Add(1)
	ip := s.clientKey(ClientIPFromContext(ctx))
	if c.budget != nil && c.budget.exhausted(ip, now) {
		c.budgetRefusals.Add(1)
		return nil, errLookupBudget
	}
	// Concurrent misses for one token share one lookup.
	v, err, _ := c.flights.Do(string(key[:]), func() (any, error) {
		return s.lookupToken(ctx, key, secret)
	})
	if IsNotFound(err) {
		if c.budget != nil {
			c.budget.spend(ip, now)
		}
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	return v.(*tokenEntry), nil
}

// usable decides whether a known token may be used now for requestedOrg, in the order Grafana
// checks, and counts a refusal by its reason.
func (s *Service) usable(e *tokenEntry, now time.Time, requestedOrg int64) error {
	var err error
	switch {
	case !e.expires.IsZero() && !e.expires.After(now):
		err = errExpiredAPIKey
	case e.revoked:
		err = errRevokedAPIKey
	case requestedOrg > 0 && requestedOrg != e.orgID:
		err = errAPIKeyOrg
	case e.refusal != nil:
		err = e.refusal
	default:
		return nil
	}
	s.refusals.count(err)
	return err
}

// errAddressNotAllowed is the 403 of a token used from outside its allowed address ranges.
func errAddressNotAllowed(ip string) error {
	if ip == "" {
		ip = "(unknown)"
	}
	return ErrorID(EFORBIDDEN, "api-key.address-not-allowed",
		"This token may not be used from address "+ip+": it is outside the token's allowed address ranges")
}

// refuseAddress counts and audits a use of e from ip, an address outside its ranges, and
// returns the refusal. The audit row names the token, its account and the address; repeats for
// one token within a minute are counted in the next row instead of each writing one, so a
// leaked token hammered from elsewhere cannot fill the audit log.
func (s *Service) refuseAddress(ctx context.Context, e *tokenEntry, ip string, now time.Time) error {
	s.refusals.address.Add(1)
	if suppressed, due := s.addressRefusals.due(itoa(e.tokenID), now); due {
		detail := "reason=address address=" + ip
		if suppressed > 0 {
			detail += fmt.Sprintf(" (and %d more refusals of this token, not recorded, in the minute before)", suppressed)
		}
		actx := NewContextWithPrincipal(context.WithoutCancel(ctx), e.identity)
		err := s.store.Update(actx, func(tx Tx) error {
			return s.audit(actx, tx, "token.use_refused", "token", itoa(e.tokenID), OutcomeDenied, detail)
		})
		if err != nil {
			// The refusal stands; the row is lost, and the log says so once, here.
			s.logger.Error("audit a token used from an address outside its ranges", "token_id", e.tokenID, "err", err)
		}
	}
	return errAddressNotAllowed(ip)
}

// recordUse records a use of e at now from ip: once a minute, and at once from a new address.
func (s *Service) recordUse(e *tokenEntry, now time.Time, ip string) {
	last := e.lastUsed.Load()
	due := now.Unix()-last >= int64(lastUsedResolution/time.Second)
	addr := addressHash(ip)
	moved := addr != 0 && e.lastIP.Load() != addr
	if due || moved {
		if e.lastUsed.CompareAndSwap(last, now.Unix()) || moved {
			if moved {
				e.lastIP.Store(addr)
			}
			s.lastUsed.record(e.tokenID, TokenUse{At: now.UTC(), IP: ip}, moved)
		}
	}
}

// tokenRefusals counts refused token checks by reason, for metrics.
type tokenRefusals struct {
	invalid, expired, revoked, org, disabled, address atomic.Uint64
}

func (r *tokenRefusals) count(err error) {
	switch err {
	case ErrInvalidAPIKey:
		r.invalid.Add(1)
	case errExpiredAPIKey:
		r.expired.Add(1)
	case errRevokedAPIKey:
		r.revoked.Add(1)
	case errAPIKeyOrg:
		r.org.Add(1)
	case errDisabled:
		r.disabled.Add(1)
	}
}

// TokenRefusal is the number of token checks refused for one reason.
type TokenRefusal struct {
	Reason string // invalid, expired, revoked, org_mismatch, disabled_account, address
	Count  uint64
}

// TokenRefusals reports the refused token checks by reason, every reason listed. Refusals of
// the lookup budget are in CacheStats.
func (s *Service) TokenRefusals() []TokenRefusal {
	r := &s.refusals
	return []TokenRefusal{
		{"invalid", r.invalid.Load()}, {"expired", r.expired.Load()}, {"revoked", r.revoked.Load()},
		{"org_mismatch", r.org.Load()}, {"disabled_account", r.disabled.Load()}, {"address", r.address.Load()},
	}
}

// lookupToken reads a token's identity from the database and caches what it found.
func (s *Service) lookupToken(ctx context.Context, key tokenKey, secret Secret) (*tokenEntry, error) {
	c := s.cache
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	c.dbLookups.Add(1)
	gen, tokenGen, loaded := c.gen.Load(), c.tokenGen.Load(), s.Now()
	var id *TokenIdentity
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		id, err = tx.FindTokenIdentity(ctx, secret.Hash())
		return err
	})
	if IsNotFound(err) {
		if c.usable() {
			c.unknown.put(key, s.Now().Add(c.cfg.UnknownTTL).UnixNano(), nil)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	e := s.tokenEntry(id)
	e.gen, e.loaded = gen, loaded
	s.remember(key, e, tokenGen)
	return e, nil
}

// remember caches e unless a change raced with the reads it was built from.
func (s *Service) remember(key tokenKey, e *tokenEntry, tokenGen uint64) {
	c := s.cache
	if !c.usable() {
		return
	}
	c.tokens.put(key, e, func() bool {
		return c.gen.Load() == e.gen && c.tokenGen.Load() == tokenGen && !c.suspended.Load()
	})
}

// tokenEntry turns what the database holds about a token into what a check needs. Service
// accounts hold no managed grants and join no teams (the service refuses both), so a token's
// permissions are exactly its account's role's, shared by every token of that role.
func (s *Service) tokenEntry(id *TokenIdentity) *tokenEntry {
	tk, u := id.Token, id.Account
	e := &tokenEntry{tokenID: tk.ID, orgID: tk.OrgID, expires: s.EffectiveExpiry(tk), revoked: tk.IsRevoked,
		restrict: tk.Restrictions}
	// The token acts with the lower of its cap and its account's current role; the cache
	// entry goes with any change of either.
	role := id.Role
	if limit := tk.Restrictions.Role; limit != "" && !limit.Includes(role) {
		role = limit
	}
	switch {
	case !u.IsServiceAccount:
		e.refusal = ErrInvalidAPIKey
	case u.IsDisabled:
		e.refusal = errDisabled
	}
	e.identity = &Principal{
		Kind: KindServiceAccount, UserID: u.ID, UID: u.UID, Login: u.Login, Email: u.Email, Name: u.Name,
		OrgID: tk.OrgID, OrgRole: role, CurrentOrgID: tk.OrgID, AuthMethod: "token", TokenID: tk.ID,
		Permissions: s.rolePermissions(role), Scopes: tk.Restrictions.Scopes,
	}
	if !tk.LastUsedAt.IsZero() {
		e.lastUsed.Store(tk.LastUsedAt.Unix())
	}
	e.lastIP.Store(addressHash(tk.LastUsedIP))
	return e
}

// rolePermissions returns the shared, read-only permission set of a basic role.
func (s *Service) rolePermissions(role OrgRole) Permissions {
	if p, ok := s.rolePerms[role]; ok {
		return p
	}
	return NewPermissions(BasicRolePermissions(role, false))
}

// lastUsedTracker collects token uses in memory so that no request writes to the database: a
// background flush writes them in one statement. A token is queued when its stored value is
// empty or over a minute old, so the list shows a first use within a flush interval and stays
// current to the minute.
type lastUsedTracker struct {
	mu      sync.Mutex // guards pending and written
	pending map[int64]TokenUse
	// written remembers what this instance last queued per token, so a token used often is
	// not queued again within the minute even before its row is re-read.
	written map[int64]time.Time
}

func newLastUsedTracker() *lastUsedTracker {
	return &lastUsedTracker{pending: map[int64]TokenUse{}, written: map[int64]time.Time{}}
}

const lastUsedResolution = time.Minute

// record queues a use, unless one was queued within the minute and the address has not moved.
func (l *lastUsedTracker) record(id int64, use TokenUse, moved bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.written[id]; ok && use.At.Sub(w) < lastUsedResolution && !moved {
		return
	}
	l.pending[id] = use
	l.written[id] = use.At
}

func (l *lastUsedTracker) take(now time.Time) map[int64]TokenUse {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil
	}
	p := l.pending
	l.pending = map[int64]TokenUse{}
	// Forget entries old enough not to matter, so the map stays bounded by active tokens.
	for id, t := range l.written {
		if now.Sub(t) > 2*lastUsedResolution {
			delete(l.written, id)
		}
	}
	return p
}

// putBack re-queues uses a failed flush could not write, keeping newer ones.
func (l *lastUsedTracker) putBack(uses map[int64]TokenUse) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, u := range uses {
		if cur, ok := l.pending[id]; !ok || cur.At.Before(u.At) {
			l.pending[id] = u
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
				// The uses are kept and written by a later flush; an unavailable database
				// is worth a warning a second, not an error.
				level := slog.LevelError
				if ErrorCode(err) == EUNAVAILABLE {
					level = slog.LevelWarn
				}
				logger.Log(ctx, level, "flush token last-used times", "err", err)
			}
		}
	}
}
