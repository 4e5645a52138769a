package warden

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Config holds the settings the rules depend on. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// Brute-force protection (SPEC-identity §3.4).
	DisableBruteForce     bool
	BruteForceMaxAttempts int // failed sign-ins per username in BruteForceWindow
	PasswordCheckIPLimit  int // failed password checks per client IP in BruteForceWindow; 0 = off
	BruteForceWindow      time.Duration
	// IPv6PrefixLength is the prefix by which IPv6 clients are counted in every per-client-IP
	// limit (failed password checks, failed token lookups): one host usually holds a whole
	// /64, so counting its addresses one by one would let it multiply any limit. IPv4 and
	// IPv4-mapped IPv6 addresses are counted one by one. Values outside 1–128 mean 64.
	IPv6PrefixLength int

	// SecretKey is the installation's [security] secret_key. Failed sign-ins for names that
	// match no account are counted by an HMAC of the name keyed from it, so the database never
	// holds what was typed; empty draws a random key per process (the counts of such names are
	// then not shared between instances or kept across restarts — those of accounts are).
	SecretKey string

	// PasswordPolicy enables Grafana's strong password policy.
	PasswordPolicy bool
	// PasswordHash are the argon2id costs of new password hashes.
	PasswordHash PasswordHashParams

	// Sessions end after SessionInactive without use or SessionLifetime after sign-in.
	SessionInactive time.Duration
	SessionLifetime time.Duration

	// New-user org placement (SPEC-identity §1.3).
	AutoAssignOrg     bool
	AutoAssignOrgID   int64
	AutoAssignOrgRole OrgRole

	DisableGravatar bool

	// DisableServiceAccounts turns the serviceAccounts feature toggle off: the routes vanish
	// and tokens stop authenticating.
	DisableServiceAccounts bool
	// TokenExpirationDayLimit caps token lifetimes in days; <= 0 means no limit.
	TokenExpirationDayLimit int
	// EnforceDayLimitAtUse refuses, when TokenExpirationDayLimit is set, every token older
	// than the limit, whatever its own expiry (tokens made before the limit included).
	EnforceDayLimitAtUse bool
	// RotationGracePeriod is how long a rotated token keeps working by default.
	RotationGracePeriod time.Duration
	// ExpiredTokenRetention is how long expired tokens are kept before the cleanup job deletes
	// them; negative keeps them forever.
	ExpiredTokenRetention time.Duration
	// APIKeyMaxSecondsToLive caps token lifetimes in seconds; -1 means no limit.
	APIKeyMaxSecondsToLive int64

	// Cache sizes the token and org caches of the authentication hot path.
	Cache CacheConfig
}

// DefaultConfig returns Grafana's defaults.
func DefaultConfig() Config {
	return Config{
		BruteForceMaxAttempts:  5,
		PasswordCheckIPLimit:   100,
		BruteForceWindow:       5 * time.Minute,
		IPv6PrefixLength:       64,
		SessionInactive:        7 * 24 * time.Hour,
		SessionLifetime:        30 * 24 * time.Hour,
		AutoAssignOrg:          true,
		AutoAssignOrgID:        1,
		AutoAssignOrgRole:      RoleViewer,
		APIKeyMaxSecondsToLive: -1,
		Cache:                  DefaultCacheConfig(),
		PasswordHash:           DefaultPasswordHashParams,
		RotationGracePeriod:    24 * time.Hour,
		ExpiredTokenRetention:  30 * 24 * time.Hour,
	}
}

// Service holds every rule of Warden. Adapters call it; it calls the Store.
type Service struct {
	store  Store
	logger *slog.Logger
	cfg    Config
	hasher *Hasher

	// Now returns the current time; tests replace it. Times are kept to the second, as the
	// API shows them.
	Now func() time.Time
	// Rand is the source of every secret (tokens, session cookies, generated passwords).
	Rand io.Reader

	mu        sync.Mutex // guards listeners
	listeners []func(Change)

	denials denialMemory // recent access denials, so that repeats are recorded once a minute
	// addressRefusals remembers, per token, when a use from outside its address ranges was
	// last audited.
	addressRefusals denialMemory
	refusals        tokenRefusals
	lastUsed        *lastUsedTracker
	checks          *passwordChecks
	nameKey         []byte // keys the hashes of unknown sign-in names (nameAttemptKey)
	cache           *authCache
	rolePerms       map[OrgRole]Permissions // read-only, shared by cached identities
}

// NewService returns a Service over store.
func NewService(store Store, logger *slog.Logger, cfg Config) *Service {
	if cfg.BruteForceMaxAttempts <= 0 {
		cfg.BruteForceMaxAttempts = 1
	}
	if cfg.BruteForceWindow <= 0 {
		cfg.BruteForceWindow = 5 * time.Minute
	}
	if cfg.IPv6PrefixLength < 1 || cfg.IPv6PrefixLength > 128 {
		cfg.IPv6PrefixLength = 64
	}
	if !cfg.AutoAssignOrgRole.Valid() {
		cfg.AutoAssignOrgRole = RoleViewer
	}
	rolePerms := map[OrgRole]Permissions{}
	for _, r := range OrgRoles() {
		rolePerms[r] = NewPermissions(BasicRolePermissions(r, false))
	}
	return &Service{
		store:     auditLoggingStore{Store: store, logger: logger},
		logger:    logger,
		cfg:       cfg,
		hasher:    NewHasher(cfg.PasswordHash),
		Now:       time.Now,
		Rand:      rand.Reader,
		lastUsed:  newLastUsedTracker(),
		checks:    newPasswordChecks(),
		nameKey:   newNameKey(cfg.SecretKey),
		cache:     newAuthCache(cfg.Cache),
		rolePerms: rolePerms,
	}
}

// Config returns the service's settings.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// Ping checks the database.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return &Error{Code: EUNAVAILABLE, Message: "database unavailable", Op: "ping", Err: err}
	}
	return nil
}

const uidAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters drawn uniformly from alphabet.
func (s *Service) randomString(n int, alphabet string) (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for i := 0; i < n; i++ {
		k, err := rand.Int(s.Rand, max)
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		b.WriteByte(alphabet[k.Int64()])
	}
	return b.String(), nil
}

func (s *Service) newUID() (string, error) { return s.randomString(14, uidAlphabet) }

func idString(id int64) string { return itoa(id) }

// Bootstrap creates org 1 and the server admin when the database is empty. When password is
// empty it generates a strong one and returns it, so the caller can print it once. created
// reports whether this call created the admin (only that instance prints the password).
func (s *Service) Bootstrap(ctx context.Context, login, email, password string) (generated string, created bool, err error) {
	ctx = NewSystemContext(ctx, "bootstrap")
	login = strings.ToLower(strings.TrimSpace(login))
	email = strings.ToLower(strings.TrimSpace(email))
	if login == "" {
		login = "admin"
	}
	if email == "" {
		email = login
	}
	if password == "" {
		generated, err = s.randomString(24, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
		if err != nil {
			return "", false, err
		}
		password = generated
	}
	// Hash outside the transaction: it is the slow part.
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return "", false, fmt.Errorf("hash admin password: %w", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		orgs, err := tx.FindOrgs(ctx, OrgFilter{Limit: 1})
		if err != nil {
			return err
		}
		if len(orgs) > 0 {
			return nil
		}
		now := s.now()
		org := &Org{Name: MainOrgName, Created: now, Updated: now}
		if err := tx.CreateOrg(ctx, org); err != nil {
			return fmt.Errorf("create main org: %w", err)
		}
		uid, err := s.newUID()
		if err != nil {
			return err
		}
		u := &User{UID: uid, Login: login, Email: email, PasswordHash: hash, IsAdmin: true,
			OrgID: org.ID, Created: now, Updated: now, LastSeenAt: now.AddDate(-10, 0, 0)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("create admin: %w", err)
		}
		if err := tx.AddOrgUser(ctx, &OrgUser{OrgID: org.ID, UserID: u.ID, Role: RoleAdmin, Created: now, Updated: now}); err != nil {
			return fmt.Errorf("add admin to main org: %w", err)
		}
		created = true
		return s.audit(ctx, tx, "bootstrap", "user", idString(u.ID), "success", "")
	})
	if err != nil {
		return "", false, err
	}
	if !created {
		generated = ""
	}
	return generated, created, nil
}
