package warden

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Authentication errors, worded as Grafana's newest versions answer them.
var (
	errLoginFailed = ErrorID(EUNAUTHORIZED, "password-auth.failed", "Invalid username or password")
	errDisabled    = ErrorID(EUNAUTHORIZED, "identity.disabled", "Unauthorized")
	errIPLimited   = ErrorID(ETOOMANY, "password-auth.ip-limited",
		"Too many failed login attempts from this address. Try again later.")
	// ErrUnauthorized is the answer for missing or unusable credentials.
	ErrUnauthorized = ErrorID(EUNAUTHORIZED, "auth.unauthorized", "Unauthorized")
)

// CheckPassword verifies a login (or email) and password, applying brute-force protection and
// recording failures. It is the one path for POST /login and HTTP Basic auth. Service accounts
// never match. Every failure returns the same error whether or not the user exists, except a
// per-IP limit (429) and a disabled user with the right password (identity.disabled).
//
// The per-name block is the account's when the name is one of an account's (its login or its
// email: failures as either block both), else the name's; a name matching no account is
// counted by a keyed hash, never stored in clear, because people type passwords into that
// field. An empty name or password is no guess: refused without being counted.
func (s *Service) CheckPassword(ctx context.Context, username, password string) (*User, error) {
	name := strings.ToLower(strings.TrimSpace(username))
	if name == "" || password == "" {
		// No account has an empty name or password: refusing these costs a client nothing,
		// and a flood of them is not guessing anything.
		return nil, errLoginFailed
	}
	if len(name) > maxLoginLen {
		// No login is that long; refuse without storing megabytes in login_attempt.
		return nil, errLoginFailed
	}
	ip := s.clientKey(ClientIPFromContext(ctx))
	now := s.now()

	find := func() (*User, error) {
		var u *User
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			u, err = findLoginUser(ctx, tx, name)
			return err
		})
		if err != nil && !IsNotFound(err) {
			return nil, fmt.Errorf("find user: %w", err)
		}
		return u, nil
	}
	var keys attemptKeys
	if !s.cfg.DisableBruteForce {
		// Which account the name is decides what the failures count against.
		u, err := find()
		if err != nil {
			return nil, err
		}
		keys = s.attemptKeysFor(name, u)
		release, err := s.admitPasswordCheck(ctx, keys, ip, now)
		if err != nil {
			return nil, err
		}
		// Held until the outcome is recorded, so concurrent checks for the same account or IP
		// count as attempts and a burst cannot slip past the limit.
		defer release()
	}

	// Looked up (again) once admitted: an admission may have waited for other checks, and the
	// password checked must be the current one.
	u, err := find()
	if err != nil {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.hasher.Verify(ctx, hash, password)
	if err != nil {
		return nil, fmt.Errorf("verify password: %w", err)
	}
	if !ok || u == nil {
		// An unknown name is kept truncated: people type passwords into that field.
		target, detail := "", "unknown user "+truncatedLogin(name)
		if u != nil {
			target, detail = idString(u.ID), "login="+u.Login
		}
		if err := s.recordFailedPassword(ctx, keys.record, ip, now, "login", target, detail); err != nil {
			return nil, err
		}
		return nil, errLoginFailed
	}
	if u.IsDisabled {
		return nil, errDisabled
	}
	return u, nil
}

// attemptKeys are the values under which failed password checks are stored (record) and
// counted (count) in login_attempt's username column. Never a typed name in clear.
type attemptKeys struct {
	record string
	count  []string
}

// accountAttemptKey is the key of an account's failures, whichever of its names was typed.
func accountAttemptKey(id int64) string { return "id:" + idString(id) }

// nameAttemptKey is the key of a normalised name that matched no account: a keyed hash, so that
// a copy of the database does not show what people typed (often a password) while failures
// for one name can still be counted. The key is derived from secret_key, or random per process
// when there is none (never stored), so the hash cannot be reversed by guessing.
func (s *Service) nameAttemptKey(name string) string {
	m := hmac.New(sha256.New, s.nameKey)
	m.Write([]byte(name))
	return "name:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// attemptKeysFor returns the keys of a check of name, which resolved to u (nil: no account).
// An account's failures are recorded under the account; its check also counts failures stored
// under the typed name while it matched no account, so a name blocked before an account took
// it stays blocked for the rest of the window.
func (s *Service) attemptKeysFor(name string, u *User) attemptKeys {
	nk := s.nameAttemptKey(name)
	if u == nil {
		return attemptKeys{record: nk, count: []string{nk}}
	}
	ak := accountAttemptKey(u.ID)
	return attemptKeys{record: ak, count: []string{ak, nk}}
}

// newNameKey derives the key of nameAttemptKey from the installation's secret_key, or draws a
// random one (per process) when none is set.
func newNameKey(secret string) []byte {
	// Grafana's published default key keys nothing: a Grafana config file that kept it gets a
	// random key, like an empty one.
	if secret == "" || secret == "SW2YcwTIb9zpOOhoPsMm" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			panic(err) // crypto/rand failing at start is unrecoverable
		}
		return k
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("warden login_attempt names v1"))
	return m.Sum(nil)
}

// clientKey returns what the per-client-IP limits count ip as: an IPv4 address (an IPv4-mapped
// IPv6 one included) as itself, an IPv6 address as its prefix of IPv6PrefixLength bits (one
// host usually holds a whole /64), anything else as it is.
func (s *Service) clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(s.cfg.IPv6PrefixLength)
	if err != nil {
		return ip
	}
	return p.String()
}

// maxLoginLen bounds what a sign-in name may be: longer input is refused outright.
const maxLoginLen = 320

// recordFailedPassword stores a failed password check (for brute-force limits) under key (an
// attemptKeys record) and the client key ip, with its audit row.
func (s *Service) recordFailedPassword(ctx context.Context, key, ip string, now time.Time, action, target, detail string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		if !s.cfg.DisableBruteForce {
			if err := tx.CreateLoginAttempt(ctx, key, ip, now); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, action, "user", target, OutcomeFailure, detail)
	})
	if err != nil {
		return fmt.Errorf("record failed password check: %w", err)
	}
	return nil
}

// admitPasswordCheck applies the brute-force limits before a password is checked: failures
// stored in the database (shared by every instance) plus checks in progress on this instance,
// whose outcome is not known yet. When the stored failures leave room but checks in progress
// fill it, the check waits for one of them to finish and counts again, so a burst of correct
// passwords (a client with ten requests in flight) is served while a burst of guesses still
// gets no more tries than the limit. keys say what the check counts against (the account, or
// the name); ip is the client key (clientKey). It returns a func that ends this check's
// in-progress count.
func (s *Service) admitPasswordCheck(ctx context.Context, keys attemptKeys, ip string, now time.Time) (func(), error) {
	name := keys.record
	since := now.Add(-s.cfg.BruteForceWindow)
	ipLimit := s.cfg.PasswordCheckIPLimit
	if ip == "" {
		ipLimit = 0
	}
	a := s.checks
	deadline := time.NewTimer(maxPasswordCheckWait)
	defer deadline.Stop()
	for {
		// A check that ends between the count below and the admission under the lock would be
		// in neither (its failure stored after the count was read, its slot already freed): so
		// admission is only granted when no check ended in between, else count again.
		a.mu.Lock()
		epoch := a.done
		a.mu.Unlock()
		var byIP, byName int
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			if ipLimit > 0 {
				if byIP, err = tx.CountLoginAttemptsByIP(ctx, ip, since); err != nil {
					return err
				}
			}
			byName = 0
			for _, k := range keys.count {
				n, err := tx.CountLoginAttempts(ctx, k, since)
				if err != nil {
					return err
				}
				byName += n
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("check login attempts: %w", err)
		}
		if ipLimit > 0 && byIP >= ipLimit {
			return nil, errIPLimited
		}
		if byName >= s.cfg.BruteForceMaxAttempts {
			return nil, errLoginFailed
		}
		a.mu.Lock()
		if a.done != epoch {
			a.mu.Unlock()
			continue
		}
		if (ipLimit == 0 || byIP+a.byIP[ip] < ipLimit) && byName+a.byName[name] < s.cfg.BruteForceMaxAttempts {
			a.byName[name]++
			a.byIP[ip]++
			a.mu.Unlock()
			return func() { a.release(name, ip) }, nil
		}
		done := a.done
		a.mu.Unlock()
		select {
		case <-done: // a check finished: count again
		case <-deadline.C:
			// Checks of this name or IP have kept the limit full for that long: a flood.
			return nil, errLoginFailed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// maxPasswordCheckWait bounds how long a password check waits for others in progress.
const maxPasswordCheckWait = 10 * time.Second

// passwordChecks counts password checks in progress, by attempt key (account or name) and by
// client key.
type passwordChecks struct {
	mu     sync.Mutex // guards the fields
	byName map[string]int
	byIP   map[string]int
	// done is closed (and replaced) whenever a check finishes.
	done chan struct{}
}

func newPasswordChecks() *passwordChecks {
	return &passwordChecks{byName: map[string]int{}, byIP: map[string]int{}, done: make(chan struct{})}
}

func (a *passwordChecks) release(name, ip string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byName[name]--; a.byName[name] <= 0 {
		delete(a.byName, name)
	}
	if a.byIP[ip]--; a.byIP[ip] <= 0 {
		delete(a.byIP, ip)
	}
	close(a.done)
	a.done = make(chan struct{})
}

// findLoginUser looks a sign-in name up as Grafana does: an email first when it contains "@",
// then a login; service accounts never match.
func findLoginUser(ctx context.Context, tx Tx, name string) (*User, error) {
	var u *User
	var err error
	if strings.Contains(name, "@") {
		u, err = tx.FindUserByEmail(ctx, name)
		if err != nil && !IsNotFound(err) {
			return nil, err
		}
	}
	if u == nil {
		u, err = tx.FindUserByLogin(ctx, name)
		if err != nil {
			return nil, err
		}
	}
	if u.IsServiceAccount {
		return nil, Errorf(ENOTFOUND, "user not found")
	}
	return u, nil
}

// Login checks the credentials and starts a session. It returns the cookie value, which exists
// only in this response: the database keeps its SHA-256.
func (s *Service) Login(ctx context.Context, username, password, userAgent string) (*User, string, error) {
	u, err := s.CheckPassword(ctx, username, password)
	if err != nil {
		return nil, "", err
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(s.Rand, raw); err != nil {
		return nil, "", fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	sess := &Session{UserID: u.ID, TokenHash: hashSessionToken(token), ClientIP: ClientIPFromContext(ctx),
		UserAgent: truncate(userAgent, 200), Created: now, SeenAt: now}
	err = s.store.Update(ctx, func(tx Tx) error {
		// An admin may have disabled the user or reset its password while the hash was being
		// checked: look again inside the transaction that creates the session.
		cur, err := tx.FindUserByID(ctx, u.ID)
		if IsNotFound(err) {
			return errLoginFailed
		}
		if err != nil {
			return err
		}
		if cur.PasswordHash != u.PasswordHash {
			return errLoginFailed
		}
		if cur.IsDisabled {
			return errDisabled
		}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.TouchUser(ctx, u.ID, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, "login", "user", idString(u.ID), "success", "")
	})
	if ErrorCode(err) == EUNAUTHORIZED {
		return nil, "", err
	}
	if err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	return u, token, nil
}

// truncate cuts s to at most n bytes on a character boundary, with invalid UTF-8 and NULs
// (which PostgreSQL cannot store) replaced: it is for header values kept as text.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func hashSessionToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AuthenticateSession resolves a session cookie to its user. An unknown, expired or idle
// session, or a disabled user, is ErrUnauthorized. Use refreshes the session's idle clock at
// most once a minute, so a busy browser does not write on every request.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*User, *Session, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, ErrUnauthorized
	}
	hash := hashSessionToken(token)
	now := s.now()
	var u *User
	var sess *Session
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if sess, err = tx.FindSessionByHash(ctx, hash); err != nil {
			return err
		}
		u, err = tx.FindUserByID(ctx, sess.UserID)
		return err
	})
	if IsNotFound(err) {
		return nil, nil, ErrUnauthorized
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	if now.Sub(sess.Created) >= s.cfg.SessionLifetime || now.Sub(sess.SeenAt) >= s.cfg.SessionInactive || u.IsDisabled {
		return nil, nil, ErrUnauthorized
	}
	if now.Sub(sess.SeenAt) >= 60e9 {
		err := s.store.Update(ctx, func(tx Tx) error {
			if err := tx.TouchSession(ctx, sess.ID, now); err != nil {
				return err
			}
			return tx.TouchUser(ctx, u.ID, now)
		})
		if IsNotFound(err) {
			return nil, nil, ErrUnauthorized // ended meanwhile
		}
		if err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
		sess.SeenAt = now
	}
	return u, sess, nil
}

// Logout ends one session. An unknown session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	hash := hashSessionToken(token)
	return s.store.Update(ctx, func(tx Tx) error {
		sess, err := tx.FindSessionByHash(ctx, hash)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, sess.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "logout", "user", idString(sess.UserID), "success", "")
	})
}

// PurgeExpired deletes expired sessions and old login attempts. The server runs it
// periodically.
func (s *Service) PurgeExpired(ctx context.Context) error {
	now := s.now()
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.DeleteExpiredSessions(ctx, now.Add(-s.cfg.SessionLifetime), now.Add(-s.cfg.SessionInactive)); err != nil {
			return err
		}
		if err := tx.DeleteFormNoncesBefore(ctx, now.Add(-formNonceLifetime)); err != nil {
			return err
		}
		return tx.DeleteLoginAttemptsBefore(ctx, now.Add(-2*s.cfg.BruteForceWindow))
	})
}

// formNonceLifetime is how long a one-time form value is remembered: longer than anyone keeps
// a form open before pressing Reload.
const formNonceLifetime = 7 * 24 * time.Hour

// ClaimFormNonce marks a one-time form value used. A value used before, or an empty or
// oversized one, is EINVALID.
func (s *Service) ClaimFormNonce(ctx context.Context, nonce string) error {
	if len(nonce) < 16 || len(nonce) > 64 {
		return Errorf(EINVALID, "form expired")
	}
	err := s.store.Update(ctx, func(tx Tx) error { return tx.ClaimFormNonce(ctx, nonce, s.now()) })
	if IsConflict(err) {
		return Errorf(EINVALID, "form already submitted")
	}
	return err
}

// UserPrincipal builds the principal of a signed-in user acting in orgID (0 = the user's
// current org). A user naming an org it does not belong to gets OrgID -1, org name
// "Org missing" and no org role, so org-scoped checks fail with 403, as in Grafana.
func (s *Service) UserPrincipal(ctx context.Context, u *User, orgID int64) (*Principal, error) {
	p := &Principal{
		Kind: KindUser, UserID: u.ID, UID: u.UID, Login: u.Login, Email: u.Email, Name: u.Name,
		IsServerAdmin: u.IsAdmin, CurrentOrgID: u.OrgID,
	}
	if orgID <= 0 {
		orgID = u.OrgID
	}
	err := s.store.View(ctx, func(tx Tx) error { return s.fillOrg(ctx, tx, p, orgID) })
	if err != nil {
		return nil, fmt.Errorf("load principal: %w", err)
	}
	return p, nil
}

// InOrg returns a copy of p evaluated in another org: its role and permissions there. Routes
// under /api/orgs/{orgId} are authorized this way.
func (s *Service) InOrg(ctx context.Context, p *Principal, orgID int64) (*Principal, error) {
	if p.OrgID == orgID {
		return p, nil
	}
	cp := *p
	if p.Kind != KindUser {
		// A service account exists in exactly one org.
		cp.OrgID, cp.OrgName, cp.OrgRole = -1, "Org missing", ""
		cp.Permissions = NewPermissions(nil)
		return &cp, nil
	}
	err := s.store.View(ctx, func(tx Tx) error { return s.fillOrg(ctx, tx, &cp, orgID) })
	if err != nil {
		return nil, fmt.Errorf("load principal in org %d: %w", orgID, err)
	}
	return &cp, nil
}

func (s *Service) fillOrg(ctx context.Context, tx Tx, p *Principal, orgID int64) error {
	p.OrgID, p.OrgName, p.OrgRole = -1, "Org missing", ""
	if orgID > 0 {
		m, err := tx.FindOrgUser(ctx, orgID, p.UserID)
		if err != nil && !IsNotFound(err) {
			return err
		}
		if m != nil {
			org, err := tx.FindOrgByID(ctx, orgID)
			if err != nil {
				return err
			}
			p.OrgID, p.OrgName, p.OrgRole = org.ID, org.Name, m.Role
		}
	}
	list := BasicRolePermissions(p.OrgRole, p.IsServerAdmin)
	if p.OrgID > 0 {
		granted, err := managedPermissions(ctx, tx, p.OrgID, p.UserID)
		if err != nil {
			return err
		}
		list = append(list, granted...)
	}
	p.Permissions = NewPermissions(list)
	return nil
}

// managedPermissions returns what an identity holds in an org through per-object grants: its
// own and its teams' grants, and its team memberships (a team's members may read it; its
// admins manage it).
func managedPermissions(ctx context.Context, tx Tx, orgID, userID int64) ([]Permission, error) {
	var list []Permission
	managed, err := tx.FindUserManagedPermissions(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	for _, mp := range managed {
		for _, a := range ManagedActions(mp.Resource, mp.Level) {
			list = append(list, Permission{Action: a, Scope: mp.Resource + ":id:" + idString(mp.ResourceID)})
		}
	}
	teams, err := tx.FindUserTeams(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	for _, m := range teams {
		for _, a := range ManagedActions(ResourceTeams, teamLevel(m.Permission)) {
			list = append(list, Permission{Action: a, Scope: ScopeTeam(m.TeamID)})
		}
	}
	return list, nil
}
