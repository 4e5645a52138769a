package warden

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// This file holds the caches that let a token check answer without the database.
//
// Correctness rests on one rule: an entry is used only while the generation it was loaded at
// is current. Every committed change that can affect who a token is or what it may do bumps the
// generation (emit calls invalidate before any listener), so the next request reloads. Token
// deletions and revocations, and an account's updates and deletion, are frequent enough to be
// targeted instead: they remove that token's (or account's) entries and bump a separate
// counter that keeps a load racing with them from inserting what it read before the change.
// Deleted tokens are then remembered as unknown: they never become valid again.

// CacheConfig sizes the authentication caches. The zero value disables caching.
type CacheConfig struct {
	// Tokens is the most identities kept; 0 disables the token and org caches.
	Tokens int
	// UnknownTokens is the most well-formed but unknown tokens remembered, for UnknownTTL.
	UnknownTokens int
	UnknownTTL    time.Duration
	// Lookups bounds the database lookups for cache misses in flight at once.
	Lookups int
	// FailedLookupsPerIP is the per-client-IP budget of lookups that find no token, per second
	// (with a burst of the same size); beyond it, misses from that IP are refused without a
	// lookup. 0 means no budget.
	FailedLookupsPerIP int
	// MaxAge is the longest an entry is used without reading the database again, whatever
	// the invalidations say: a backstop should one ever be lost (an instance that dies between
	// its commit and its announcement). 0 means no limit.
	MaxAge time.Duration
}

// DefaultCacheConfig returns the shipped cache sizes.
func DefaultCacheConfig() CacheConfig {
	return CacheConfig{
		Tokens:             100_000,
		UnknownTokens:      10_000,
		UnknownTTL:         30 * time.Second,
		Lookups:            32,
		FailedLookupsPerIP: 100,
		MaxAge:             time.Minute,
	}
}

// CacheStats counts what the caches did, for metrics.
type CacheStats struct {
	Hits, Misses, UnknownHits, Lookups, BudgetRefusals, Invalidations uint64
	Entries                                                           int
}

// tokenKey is the SHA-256 of a token: the cache never holds a plaintext.
type tokenKey [32]byte

// tokenEntry is what one database lookup found for a token: enough to answer every later
// request for it exactly as the lookup would.
type tokenEntry struct {
	gen      uint64
	loaded   time.Time // when the database was read
	tokenID  int64
	orgID    int64
	expires  time.Time // zero: never
	revoked  bool
	refusal  error             // not a service account or disabled: refused after the org check
	restrict TokenRestrictions // parsed once: a check only compares
	identity *Principal        // shared and read-only
	// lastUsed is the unix time of the use last recorded for this token, so a hit records a
	// use at most once a minute without taking a lock.
	lastUsed atomic.Int64
	// lastIP is a hash of the client address of the use last recorded (0: none yet); a use
	// from another address is recorded at once. A hash, not the string, so that comparing and
	// storing it allocates nothing.
	lastIP atomic.Uint64
}

// addressHash is the hash lastIP holds for ip (0 for none).
func addressHash(ip string) uint64 {
	if ip == "" {
		return 0
	}
	// FNV-1a: a few nanoseconds for an address, and no allocation.
	h := uint64(14695981039346656037)
	for i := 0; i < len(ip); i++ {
		h ^= uint64(ip[i])
		h *= 1099511628211
	}
	return h | 1 // never 0
}

const cacheShards = 64

// shardedMap is a bounded map split into shards so that concurrent readers on different
// cores rarely touch the same lock. A full shard evicts a random entry.
type shardedMap[V any] struct {
	perShard int
	shards   [cacheShards]struct {
		mu sync.RWMutex
		m  map[tokenKey]V
		_  [32]byte // keeps shards on separate cache lines
	}
}

func newShardedMap[V any](size int) *shardedMap[V] {
	c := &shardedMap[V]{perShard: max(1, (size+cacheShards-1)/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[tokenKey]V)
	}
	return c
}

func (c *shardedMap[V]) get(k tokenKey) (V, bool) {
	sh := &c.shards[k[0]%cacheShards]
	sh.mu.RLock()
	v, ok := sh.m[k]
	sh.mu.RUnlock()
	return v, ok
}

// put stores v unless admit, called under the shard's lock, says no.
func (c *shardedMap[V]) put(k tokenKey, v V, admit func() bool) {
	sh := &c.shards[k[0]%cacheShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if admit != nil && !admit() {
		return
	}
	if _, ok := sh.m[k]; !ok && len(sh.m) >= c.perShard {
		// Map iteration starts at a random place: evict whatever comes first.
		for old := range sh.m {
			delete(sh.m, old)
			break
		}
	}
	sh.m[k] = v
}

func (c *shardedMap[V]) delete(k tokenKey) {
	sh := &c.shards[k[0]%cacheShards]
	sh.mu.Lock()
	delete(sh.m, k)
	sh.mu.Unlock()
}

// deleteFunc deletes the entries match selects and returns their keys.
func (c *shardedMap[V]) deleteFunc(match func(V) bool) []tokenKey {
	var deleted []tokenKey
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k, v := range sh.m {
			if match(v) {
				delete(sh.m, k)
				deleted = append(deleted, k)
			}
		}
		sh.mu.Unlock()
	}
	return deleted
}

func (c *shardedMap[V]) clear() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
	}
}

func (c *shardedMap[V]) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// orgEntry is a cached org, valid while gen is current.
type orgEntry struct {
	gen    uint64
	loaded time.Time
	org    *Org
}

// authCache is the Service's in-process memory of tokens and orgs.
type authCache struct {
	cfg     CacheConfig
	enabled bool

	gen      atomic.Uint64 // bumped by every change that can alter an identity
	tokenGen atomic.Uint64 // bumped by every token delete or revoke
	// suspended is set while changes made elsewhere may be missed (the cross-instance
	// listener is down): nothing is served from or put into the caches.
	suspended atomic.Bool

	tokens  *shardedMap[*tokenEntry]
	unknown *shardedMap[int64] // unix nanoseconds until which the token is known unknown

	orgMu sync.RWMutex
	orgs  map[int64]orgEntry

	flights singleflight.Group
	lookups chan struct{} // semaphore of database lookups in flight
	budget  *ipBudget

	hits, misses, unknownHits, dbLookups, budgetRefusals, invalidations atomic.Uint64
}

func newAuthCache(cfg CacheConfig) *authCache {
	c := &authCache{
		cfg:     cfg,
		enabled: cfg.Tokens > 0,
		tokens:  newShardedMap[*tokenEntry](max(cfg.Tokens, 1)),
		unknown: newShardedMap[int64](max(cfg.UnknownTokens, 1)),
		orgs:    map[int64]orgEntry{},
		lookups: make(chan struct{}, max(cfg.Lookups, 1)),
	}
	if cfg.FailedLookupsPerIP > 0 {
		c.budget = newIPBudget(cfg.FailedLookupsPerIP)
	}
	return c
}

// usable reports whether entries may be read or written now.
func (c *authCache) usable() bool { return c.enabled && !c.suspended.Load() }

// invalidate applies one committed change to the caches.
func (c *authCache) invalidate(ch Change, now time.Time) {
	c.invalidations.Add(1)
	switch ch.Kind {
	case ChangeTokenCreated, ChangeManagedPermissionChanged:
		// A new token alters no cached identity, and neither does a managed permission:
		// service accounts can hold no grants and join no teams, so a token's permissions
		// are its account's role's alone.
	case ChangeTokenDeleted, ChangeTokenRevoked, ChangeTokenUpdated:
		// Bump first: a load that read the row before the change then refuses to insert.
		c.tokenGen.Add(1)
		gone := c.tokens.deleteFunc(func(e *tokenEntry) bool { return e.tokenID == ch.TokenID })
		if ch.Kind == ChangeTokenDeleted {
			c.forget(gone, now)
		}
	case ChangeServiceAccountUpdated, ChangeServiceAccountDeleted:
		// Only that account's tokens change, so only they go: a busy org deleting accounts
		// all day keeps every other token cached.
		if ch.ServiceAccountID == 0 {
			c.gen.Add(1)
			break
		}
		c.tokenGen.Add(1)
		gone := c.tokens.deleteFunc(func(e *tokenEntry) bool { return e.identity.UserID == ch.ServiceAccountID })
		if ch.Kind == ChangeServiceAccountDeleted {
			c.forget(gone, now)
		}
	default:
		c.gen.Add(1)
	}
}

// forget remembers deleted tokens as unknown: a deleted token never becomes valid again (a new
// token has a new secret), and clients keep retrying deleted tokens, which would otherwise cost
// a lookup each and spend their IP's failed-lookup budget, refusing its uncached valid tokens.
func (c *authCache) forget(keys []tokenKey, now time.Time) {
	if !c.usable() {
		return
	}
	until := now.Add(c.cfg.UnknownTTL).UnixNano()
	for _, k := range keys {
		c.unknown.put(k, until, nil)
	}
}

// reset forgets everything, for when changes may have been missed.
func (c *authCache) reset() {
	c.gen.Add(1)
	c.tokenGen.Add(1)
	c.tokens.clear()
	c.unknown.clear()
	c.orgMu.Lock()
	clear(c.orgs)
	c.orgMu.Unlock()
}

func (c *authCache) org(id int64, now time.Time) (*Org, bool) {
	if !c.usable() {
		return nil, false
	}
	c.orgMu.RLock()
	e, ok := c.orgs[id]
	c.orgMu.RUnlock()
	if !ok || e.gen != c.gen.Load() || c.tooOld(e.loaded, now) {
		return nil, false
	}
	return e.org, true
}

// tooOld reports whether an entry read from the database at loaded is past MaxAge.
func (c *authCache) tooOld(loaded, now time.Time) bool {
	return c.cfg.MaxAge > 0 && now.Sub(loaded) >= c.cfg.MaxAge
}

// putOrg remembers o as loaded at generation gen. The org map holds at most as many orgs as
// the token cache holds tokens; past that, new orgs are simply not cached.
func (c *authCache) putOrg(o *Org, gen uint64, loaded time.Time) {
	if !c.usable() {
		return
	}
	c.orgMu.Lock()
	defer c.orgMu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if _, ok := c.orgs[o.ID]; !ok && len(c.orgs) >= c.cfg.Tokens {
		return
	}
	c.orgs[o.ID] = orgEntry{gen: gen, loaded: loaded, org: o}
}

// acquire takes a lookup slot, waiting while the bound is reached.
func (c *authCache) acquire(ctx context.Context) error {
	select {
	case c.lookups <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *authCache) release() { <-c.lookups }

// ipBudget limits, per client IP, the token lookups that find nothing.
type ipBudget struct {
	perSecond int
	mu        sync.Mutex
	limiters  map[string]*rate.Limiter
}

// maxBudgetIPs bounds the budget's memory; past it, idle IPs are forgotten.
const maxBudgetIPs = 100_000

func newIPBudget(perSecond int) *ipBudget {
	return &ipBudget{perSecond: perSecond, limiters: map[string]*rate.Limiter{}}
}

// exhausted reports whether ip has no failed lookups left.
func (b *ipBudget) exhausted(ip string, now time.Time) bool {
	b.mu.Lock()
	l, ok := b.limiters[ip]
	b.mu.Unlock()
	return ok && l.TokensAt(now) < 1
}

// spend charges one failed lookup to ip.
func (b *ipBudget) spend(ip string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.limiters[ip]
	if !ok {
		if len(b.limiters) >= maxBudgetIPs {
			b.prune(now)
		}
		l = rate.NewLimiter(rate.Limit(b.perSecond), b.perSecond)
		b.limiters[ip] = l
	}
	l.AllowN(now, 1)
}

// prune forgets IPs whose budget is full again (they would start from a full budget anyway)
// and, if that frees too little, a random half.
func (b *ipBudget) prune(now time.Time) {
	for ip, l := range b.limiters {
		if l.TokensAt(now) >= float64(b.perSecond) {
			delete(b.limiters, ip)
		}
	}
	if len(b.limiters) >= maxBudgetIPs*9/10 {
		for ip := range b.limiters {
			if rand.IntN(2) == 0 {
				delete(b.limiters, ip)
			}
		}
	}
}

// CacheStats reports what the authentication caches did.
func (s *Service) CacheStats() CacheStats {
	c := s.cache
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), UnknownHits: c.unknownHits.Load(),
		Lookups: c.dbLookups.Load(), BudgetRefusals: c.budgetRefusals.Load(),
		Invalidations: c.invalidations.Load(), Entries: c.tokens.len(),
	}
}

// ApplyChange applies a change committed by another instance to this instance's caches.
func (s *Service) ApplyChange(c Change) { s.cache.invalidate(c, s.Now()) }

// SuspendCaches stops serving from the caches and empties them, for while changes made by
// other instances may be missed; ResumeCaches starts filling them again.
func (s *Service) SuspendCaches() {
	s.cache.suspended.Store(true)
	s.cache.reset()
}

// ResumeCaches ends SuspendCaches.
func (s *Service) ResumeCaches() {
	s.cache.reset()
	s.cache.suspended.Store(false)
}
