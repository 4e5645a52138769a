package warden_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// testClock is a controllable clock for Service.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock forward by d.
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testEnv is a Service over a fresh SQLite file with an injected clock.
type testEnv struct {
	svc   *warden.Service
	db    *sqlite.DB
	path  string
	clock *testClock
}

// fastPasswordHash is the argon2id cost of the tests' passwords: about a hundredth of the
// default's CPU. password_test.go holds the default to OWASP's minimum.
var fastPasswordHash = warden.PasswordHashParams{MemoryKiB: 256, Iterations: 1}

// testConfig is warden.DefaultConfig with fastPasswordHash.
func testConfig() warden.Config {
	c := warden.DefaultConfig()
	c.PasswordHash = fastPasswordHash
	return c
}

// newTestEnv opens a new database and a Service with cfg (testConfig() when nil).
func newTestEnv(t *testing.T, cfg *warden.Config) *testEnv {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	c := testConfig()
	if cfg != nil {
		c = *cfg
	}
	svc := warden.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)), c)
	clock := &testClock{now: time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)}
	svc.Now = clock.Now
	return &testEnv{svc: svc, db: db, path: path, clock: clock}
}

// bootstrap creates org 1 and the server admin "admin" with password "admin-pass" and returns
// the admin.
func (e *testEnv) bootstrap(t *testing.T) *warden.User {
	t.Helper()
	ctx := context.Background()
	if _, created, err := e.svc.Bootstrap(ctx, "admin", "admin@localhost", "admin-pass"); err != nil || !created {
		t.Fatalf("Bootstrap=(created %v, %v), want created", created, err)
	}
	u, err := e.svc.LookupUser(ctx, "admin")
	if err != nil {
		t.Fatalf("LookupUser(admin): %v", err)
	}
	return u
}

// createUser creates a user with the given login and password.
func (e *testEnv) createUser(t *testing.T, login, password string, isAdmin bool) *warden.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), warden.CreateUserInput{
		Login: login, Email: login + "@example.com", Name: login, Password: password, IsAdmin: isAdmin})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", login, err)
	}
	return u
}

// login signs in and returns the session token.
func (e *testEnv) login(t *testing.T, username, password string) string {
	t.Helper()
	_, token, err := e.svc.Login(context.Background(), username, password, "test-agent")
	if err != nil {
		t.Fatalf("Login(%s): %v", username, err)
	}
	if token == "" {
		t.Fatalf("Login(%s) returned an empty token", username)
	}
	return token
}

// auditEntries returns the newest audit rows first.
func (e *testEnv) auditEntries(t *testing.T) []*warden.AuditEntry {
	t.Helper()
	var entries []*warden.AuditEntry
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		var err error
		entries, _, err = tx.FindAuditEntries(context.Background(), warden.AuditFilter{Limit: 100})
		return err
	})
	if err != nil {
		t.Fatalf("FindAuditEntries: %v", err)
	}
	return entries
}

// wantCode fails unless err carries the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := warden.ErrorCode(err); got != code {
		t.Fatalf("ErrorCode(%v)=%q, want %q", err, got, code)
	}
}

// wantLoginFailed fails unless err is the one answer to every failed sign-in.
func wantLoginFailed(t *testing.T, err error) {
	t.Helper()
	wantCode(t, err, warden.EUNAUTHORIZED)
	if got, want := warden.ErrorMessage(err), "Invalid username or password"; got != want {
		t.Fatalf("ErrorMessage=%q, want %q", got, want)
	}
}

// wantSessionEnded fails unless token no longer authenticates.
func wantSessionEnded(t *testing.T, svc *warden.Service, token string) {
	t.Helper()
	_, _, err := svc.AuthenticateSession(context.Background(), token)
	wantCode(t, err, warden.EUNAUTHORIZED)
}

// wantSessionValid fails unless token authenticates as userID.
func wantSessionValid(t *testing.T, svc *warden.Service, token string, userID int64) {
	t.Helper()
	u, _, err := svc.AuthenticateSession(context.Background(), token)
	if err != nil {
		t.Fatalf("AuthenticateSession: %v", err)
	}
	if got, want := u.ID, userID; got != want {
		t.Fatalf("session user=%d, want %d", got, want)
	}
}

func TestService_Bootstrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		generated, created, err := e.svc.Bootstrap(ctx, " Admin ", "Admin@Localhost", "admin-pass")
		if err != nil {
			t.Fatal(err)
		}
		if !created {
			t.Fatal("created=false on an empty database, want true")
		}
		if generated != "" {
			t.Fatalf("generated=%q with a given password, want \"\"", generated)
		}
		var org *warden.Org
		var admin *warden.User
		var member *warden.OrgUser
		err = e.db.View(ctx, func(tx warden.Tx) error {
			var err error
			if org, err = tx.FindOrgByID(ctx, 1); err != nil {
				return err
			}
			if admin, err = tx.FindUserByLogin(ctx, "admin"); err != nil {
				return err
			}
			member, err = tx.FindOrgUser(ctx, 1, admin.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := org.Name, "Main Org."; got != want {
			t.Errorf("org 1 Name=%q, want %q", got, want)
		}
		if !admin.IsAdmin {
			t.Error("admin IsAdmin=false, want true")
		}
		if admin.IsDisabled || admin.IsServiceAccount {
			t.Errorf("admin IsDisabled=%v IsServiceAccount=%v, want false", admin.IsDisabled, admin.IsServiceAccount)
		}
		if got, want := admin.Email, "admin@localhost"; got != want {
			t.Errorf("admin Email=%q, want %q", got, want)
		}
		if got, want := admin.OrgID, int64(1); got != want {
			t.Errorf("admin OrgID=%d, want %d", got, want)
		}
		if got, want := member.Role, warden.RoleAdmin; got != want {
			t.Errorf("admin role in org 1=%q, want %q", got, want)
		}
		if _, err := e.svc.CheckPassword(ctx, "admin", "admin-pass"); err != nil {
			t.Fatalf("CheckPassword(admin): %v", err)
		}
		entries := e.auditEntries(t)
		if len(entries) == 0 || entries[0].Action != "bootstrap" || entries[0].ActorKind != "system" {
			t.Fatalf("newest audit entry=%+v, want a bootstrap by the system", entries)
		}
	})

	t.Run("GeneratedPassword", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		generated, created, err := e.svc.Bootstrap(ctx, "admin", "admin@localhost", "")
		if err != nil {
			t.Fatal(err)
		}
		if !created {
			t.Fatal("created=false on an empty database, want true")
		}
		if len(generated) < 20 {
			t.Fatalf("generated password %q has %d characters, want at least 20", generated, len(generated))
		}
		u, err := e.svc.CheckPassword(ctx, "admin", generated)
		if err != nil {
			t.Fatalf("CheckPassword with the generated password: %v", err)
		}
		if !u.IsAdmin {
			t.Fatal("IsAdmin=false, want true")
		}
		other := newTestEnv(t, nil)
		generated2, _, err := other.svc.Bootstrap(ctx, "admin", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if generated2 == generated {
			t.Fatalf("two bootstraps generated the same password %q", generated)
		}
	})

	t.Run("SecondCallChangesNothing", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		if _, _, err := e.svc.Bootstrap(ctx, "admin", "admin@localhost", "admin-pass"); err != nil {
			t.Fatal(err)
		}
		before := len(e.auditEntries(t))
		for _, pw := range []string{"", "other-pass"} {
			generated, created, err := e.svc.Bootstrap(ctx, "root", "root@localhost", pw)
			if err != nil {
				t.Fatal(err)
			}
			if created || generated != "" {
				t.Fatalf("second Bootstrap(password %q)=(%q, %v), want (\"\", false)", pw, generated, created)
			}
		}
		if _, err := e.svc.CheckPassword(ctx, "admin", "admin-pass"); err != nil {
			t.Fatalf("CheckPassword with the first password: %v", err)
		}
		if _, err := e.svc.CheckPassword(ctx, "root", "other-pass"); err == nil {
			t.Fatal("a second Bootstrap created another admin")
		}
		var users, orgs int
		err := e.db.View(ctx, func(tx warden.Tx) error {
			_, n, err := tx.FindUsers(ctx, warden.UserFilter{})
			users = n
			if err != nil {
				return err
			}
			list, err := tx.FindOrgs(ctx, warden.OrgFilter{})
			orgs = len(list)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if users != 1 || orgs != 1 {
			t.Fatalf("after a second Bootstrap: %d users, %d orgs; want 1 and 1", users, orgs)
		}
		// Only the failed sign-in of "root" was audited; the bootstraps wrote nothing.
		entries := e.auditEntries(t)
		for _, en := range entries[:len(entries)-before] {
			if en.Action == "bootstrap" {
				t.Fatalf("a second Bootstrap wrote an audit row %+v", en)
			}
		}
	})
}

func TestService_CheckPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		want := e.createUser(t, "alice", "alice-pass", false)
		for _, name := range []string{"alice", "ALICE", " alice ", "alice@example.com", "Alice@Example.com"} {
			u, err := e.svc.CheckPassword(ctx, name, "alice-pass")
			if err != nil {
				t.Fatalf("CheckPassword(%q): %v", name, err)
			}
			if got := u.ID; got != want.ID {
				t.Fatalf("CheckPassword(%q) user=%d, want %d", name, got, want.ID)
			}
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.createUser(t, "alice", "alice-pass", false)
		_, err := e.svc.CheckPassword(ctx, "alice", "Alice-pass")
		wantLoginFailed(t, err)
	})

	t.Run("ErrUnknownUser", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		_, err := e.svc.CheckPassword(ctx, "nobody", "whatever")
		wantLoginFailed(t, err)
	})

	t.Run("ErrDisabled", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		u := e.createUser(t, "alice", "alice-pass", false)
		if err := e.svc.SetUserDisabled(ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.CheckPassword(ctx, "alice", "alice-pass")
		wantCode(t, err, warden.EUNAUTHORIZED)
		_, err = e.svc.CheckPassword(ctx, "alice", "wrong")
		wantLoginFailed(t, err)
	})

	t.Run("ErrBruteForce", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.createUser(t, "alice", "alice-pass", false)
		for i := 0; i < 5; i++ {
			_, err := e.svc.CheckPassword(ctx, "alice", "wrong")
			wantLoginFailed(t, err)
		}
		_, err := e.svc.CheckPassword(ctx, "alice", "alice-pass")
		wantLoginFailed(t, err)
		// The username counts, whatever its case.
		_, err = e.svc.CheckPassword(ctx, "ALICE", "alice-pass")
		wantLoginFailed(t, err)

		e.clock.Add(5*time.Minute - time.Second)
		_, err = e.svc.CheckPassword(ctx, "alice", "alice-pass")
		wantLoginFailed(t, err)

		e.clock.Add(2 * time.Second) // 5 minutes and 1 second after the failures
		if _, err := e.svc.CheckPassword(ctx, "alice", "alice-pass"); err != nil {
			t.Fatalf("CheckPassword after the window: %v", err)
		}
	})

	t.Run("BruteForcePerUsername", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.createUser(t, "alice", "alice-pass", false)
		e.createUser(t, "bob", "bob-pass", false)
		for i := 0; i < 5; i++ {
			_, err := e.svc.CheckPassword(ctx, "alice", "wrong")
			wantLoginFailed(t, err)
		}
		_, err := e.svc.CheckPassword(ctx, "alice", "alice-pass")
		wantLoginFailed(t, err)
		if _, err := e.svc.CheckPassword(ctx, "bob", "bob-pass"); err != nil {
			t.Fatalf("CheckPassword(bob) while alice is blocked: %v", err)
		}
	})

	t.Run("BruteForceCountsUnknownUsers", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		for i := 0; i < 5; i++ {
			_, err := e.svc.CheckPassword(ctx, "ghost", "guess")
			wantLoginFailed(t, err)
		}
		// The attempts are recorded (the context has no client IP: ""), but not under the
		// typed name, which could be a password typed into the wrong field.
		var byIP, byName int
		err := e.db.View(ctx, func(tx warden.Tx) error {
			since := e.clock.Now().Add(-time.Minute)
			var err error
			if byIP, err = tx.CountLoginAttemptsByIP(ctx, "", since); err != nil {
				return err
			}
			byName, err = tx.CountLoginAttempts(ctx, "ghost", since)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if byIP != 5 || byName != 0 {
			t.Fatalf("failed attempts for an unknown user: %d recorded, %d under the clear name; want 5 and 0", byIP, byName)
		}
		// The name is blocked even once a user takes it.
		e.createUser(t, "ghost", "ghost-pass", false)
		_, err = e.svc.CheckPassword(ctx, "ghost", "ghost-pass")
		wantLoginFailed(t, err)
	})

	t.Run("DisableBruteForce", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.DisableBruteForce = true
		e := newTestEnv(t, &cfg)
		e.createUser(t, "alice", "alice-pass", false)
		ipCtx := warden.NewContextWithClientIP(ctx, "192.0.2.1")
		for i := 0; i < 10; i++ {
			_, err := e.svc.CheckPassword(ipCtx, "alice", "wrong")
			wantLoginFailed(t, err)
		}
		if _, err := e.svc.CheckPassword(ipCtx, "alice", "alice-pass"); err != nil {
			t.Fatalf("CheckPassword with brute-force protection off: %v", err)
		}
	})

	t.Run("ErrIPLimit", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.PasswordCheckIPLimit = 3
		e := newTestEnv(t, &cfg)
		e.createUser(t, "alice", "alice-pass", false)
		ipCtx := warden.NewContextWithClientIP(ctx, "192.0.2.1")
		for i, name := range []string{"x1", "x2", "x3"} {
			_, err := e.svc.CheckPassword(ipCtx, name, "guess")
			if got := warden.ErrorCode(err); got != warden.EUNAUTHORIZED {
				t.Fatalf("failure %d: ErrorCode=%q, want %q", i+1, got, warden.EUNAUTHORIZED)
			}
		}
		_, err := e.svc.CheckPassword(ipCtx, "alice", "alice-pass")
		wantCode(t, err, warden.ETOOMANY)

		// Another address, and a check without one, are not limited.
		if _, err := e.svc.CheckPassword(warden.NewContextWithClientIP(ctx, "192.0.2.2"), "alice", "alice-pass"); err != nil {
			t.Fatalf("CheckPassword from another IP: %v", err)
		}
		if _, err := e.svc.CheckPassword(ctx, "alice", "alice-pass"); err != nil {
			t.Fatalf("CheckPassword without a client IP: %v", err)
		}

		e.clock.Add(5*time.Minute + time.Second)
		if _, err := e.svc.CheckPassword(ipCtx, "alice", "alice-pass"); err != nil {
			t.Fatalf("CheckPassword from the limited IP after the window: %v", err)
		}
	})

	t.Run("ErrServiceAccount", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.bootstrap(t)
		// A service account row with a real password hash must still never sign in.
		hash, err := warden.NewHasher(fastPasswordHash).Hash(ctx, "sa-pass")
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		sa := &warden.User{UID: "sa-uid-1", Login: "sa-1-robot", Email: "sa-1-robot", Name: "robot",
			PasswordHash: hash, IsServiceAccount: true, OrgID: 1, Created: now, Updated: now, LastSeenAt: now}
		if err := e.db.Update(ctx, func(tx warden.Tx) error { return tx.CreateUser(ctx, sa) }); err != nil {
			t.Fatal(err)
		}
		_, saErr := e.svc.CheckPassword(ctx, "sa-1-robot", "sa-pass")
		wantLoginFailed(t, saErr)
		_, unknownErr := e.svc.CheckPassword(ctx, "no-such-user", "sa-pass")
		if got, want := saErr.Error(), unknownErr.Error(); got != want {
			t.Fatalf("service account error %q, unknown user error %q; want the same", got, want)
		}
		if _, _, err := e.svc.Login(ctx, "sa-1-robot", "sa-pass", "ua"); err == nil {
			t.Fatal("Login as a service account succeeded")
		}
		// Its failure is audited like an unknown user's: no target.
		for _, en := range e.auditEntries(t) {
			if en.Action == "login" && en.TargetID == strconv.FormatInt(sa.ID, 10) {
				t.Fatalf("audit row %+v names the service account", en)
			}
		}
	})
}

func TestService_Login(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		ipCtx := warden.NewContextWithClientIP(ctx, "198.51.100.7")
		u, token, err := e.svc.Login(ipCtx, "alice", "alice-pass", "test-agent")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != alice.ID || token == "" {
			t.Fatalf("Login=(user %d, token %q), want user %d and a token", u.ID, token, alice.ID)
		}
		got, sess, err := e.svc.AuthenticateSession(ctx, token)
		if err != nil {
			t.Fatalf("AuthenticateSession: %v", err)
		}
		if got.ID != alice.ID || sess.UserID != alice.ID {
			t.Fatalf("session user=%d/%d, want %d", got.ID, sess.UserID, alice.ID)
		}
		if got, want := sess.ClientIP, "198.51.100.7"; got != want {
			t.Errorf("session ClientIP=%q, want %q", got, want)
		}
		other := e.login(t, "alice", "alice-pass")
		if other == token {
			t.Fatal("two sign-ins got the same token")
		}
		entries := e.auditEntries(t)
		if en := entries[0]; en.Action != "login" || en.Outcome != "success" || en.TargetID != strconv.FormatInt(alice.ID, 10) {
			t.Fatalf("newest audit entry=%+v, want a successful login of %d", en, alice.ID)
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.createUser(t, "alice", "alice-pass", false)
		_, token, err := e.svc.Login(ctx, "alice", "wrong", "ua")
		wantLoginFailed(t, err)
		if token != "" {
			t.Fatalf("failed Login returned token %q", token)
		}
	})

	t.Run("AuditFailure", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		ipCtx := warden.NewContextWithClientIP(ctx, "203.0.113.5")
		if _, _, err := e.svc.Login(ipCtx, "alice", "wrong", "ua"); err == nil {
			t.Fatal("Login with a wrong password succeeded")
		}
		entries := e.auditEntries(t)
		en := entries[0]
		if en.Action != "login" || en.Outcome != "failure" {
			t.Fatalf("newest audit entry=%+v, want a failed login", en)
		}
		if got, want := en.ClientIP, "203.0.113.5"; got != want {
			t.Errorf("audit ClientIP=%q, want %q", got, want)
		}
		if got, want := en.TargetID, strconv.FormatInt(alice.ID, 10); got != want {
			t.Errorf("audit TargetID=%q, want %q", got, want)
		}
		if got, want := en.ActorKind, "anonymous"; got != want {
			t.Errorf("audit ActorKind=%q, want %q", got, want)
		}
		if !en.Created.Equal(e.clock.Now()) {
			t.Errorf("audit Created=%v, want the injected clock %v", en.Created, e.clock.Now())
		}
		if strings.Contains(en.Detail, "wrong") {
			t.Errorf("audit Detail=%q holds the password", en.Detail)
		}

		// An unknown user is audited too, without a target.
		if _, _, err := e.svc.Login(ipCtx, "ghost", "wrong", "ua"); err == nil {
			t.Fatal("Login of an unknown user succeeded")
		}
		en = e.auditEntries(t)[0]
		if en.Action != "login" || en.Outcome != "failure" || en.TargetID != "" || en.ClientIP != "203.0.113.5" {
			t.Fatalf("newest audit entry=%+v, want a failed login from 203.0.113.5 without target", en)
		}
	})
}

func TestService_AuthenticateSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ErrUnknownToken", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.createUser(t, "alice", "alice-pass", false)
		e.login(t, "alice", "alice-pass")
		for _, tok := range []string{"", "nope", string(make([]byte, 101))} {
			_, _, err := e.svc.AuthenticateSession(ctx, tok)
			wantCode(t, err, warden.EUNAUTHORIZED)
		}
	})

	t.Run("ErrInactive", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		idle := e.login(t, "alice", "alice-pass")
		almost := e.login(t, "alice", "alice-pass")
		e.clock.Add(7*24*time.Hour - time.Minute)
		wantSessionValid(t, e.svc, almost, alice.ID)
		e.clock.Add(time.Minute)
		wantSessionEnded(t, e.svc, idle)
		wantSessionValid(t, e.svc, almost, alice.ID)
	})

	t.Run("UseKeepsAliveUntilLifetime", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		for day := 1; day < 30; day++ {
			e.clock.Add(24 * time.Hour)
			if _, _, err := e.svc.AuthenticateSession(ctx, token); err != nil {
				t.Fatalf("day %d: AuthenticateSession: %v", day, err)
			}
		}
		// 29 days after sign-in, well past the 7-day idle limit.
		wantSessionValid(t, e.svc, token, alice.ID)
		e.clock.Add(24 * time.Hour)
		wantSessionEnded(t, e.svc, token)
	})

	t.Run("CustomLifetimes", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.SessionInactive = time.Hour
		cfg.SessionLifetime = 3 * time.Hour
		e := newTestEnv(t, &cfg)
		alice := e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		for i := 0; i < 5; i++ {
			e.clock.Add(30 * time.Minute)
			wantSessionValid(t, e.svc, token, alice.ID)
		}
		e.clock.Add(30 * time.Minute) // 3 hours
		wantSessionEnded(t, e.svc, token)
	})

	t.Run("TokenNotStored", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		raw, err := sql.Open("sqlite", e.path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var hashes []string
		rows, err := raw.QueryContext(ctx, "SELECT token_hash FROM session")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, h)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if len(hashes) != 1 {
			t.Fatalf("session rows=%d, want 1", len(hashes))
		}
		if hashes[0] == token || strings.Contains(hashes[0], token) || hashes[0] == "" {
			t.Fatalf("stored token_hash %q is the token %q", hashes[0], token)
		}
		var n int
		if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM session WHERE token_hash = ? OR client_ip = ? OR user_agent = ?",
			token, token, token).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d session rows hold the raw token", n)
		}
	})
}

func TestService_Logout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		alice := e.createUser(t, "alice", "alice-pass", false)
		token := e.login(t, "alice", "alice-pass")
		other := e.login(t, "alice", "alice-pass")
		if err := e.svc.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		wantSessionEnded(t, e.svc, token)
		wantSessionValid(t, e.svc, other, alice.ID)
		if en := e.auditEntries(t)[0]; en.Action != "logout" {
			t.Fatalf("newest audit entry=%+v, want logout", en)
		}
	})

	t.Run("UnknownToken", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, nil)
		for _, tok := range []string{"", "unknown"} {
			if err := e.svc.Logout(ctx, tok); err != nil {
				t.Fatalf("Logout(%q): %v", tok, err)
			}
		}
	})
}
