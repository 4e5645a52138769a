package warden_test

// Findings of the outside security review in the service's brute-force protection: IPv6 clients
// counted per address, the username block kept per spelling, typed names stored in clear.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// secEnv is a Service over a fresh SQLite file with a stopped clock and the server admin admin.
type secEnv struct {
	svc  *warden.Service
	db   *sqlite.DB
	path string
	now  time.Time
}

func newSecEnv(t *testing.T, configure func(*warden.Config)) *secEnv {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := testConfig()
	if configure != nil {
		configure(&cfg)
	}
	e := &secEnv{db: db, path: path, now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	e.svc = warden.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	e.svc.Now = func() time.Time { return e.now }
	if _, _, err := e.svc.Bootstrap(ctx, "admin", "admin@localhost", "admin-pass"); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *secEnv) user(t *testing.T, login, email, password string) *warden.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), warden.CreateUserInput{Login: login, Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// check signs in from ip.
func (e *secEnv) check(ip, name, password string) error {
	_, err := e.svc.CheckPassword(warden.NewContextWithClientIP(context.Background(), ip), name, password)
	return err
}

func secWantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := warden.ErrorCode(err); got != code {
		t.Fatalf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
}

// Finding 2: the per-IP limit of failed password checks counts IPv6 clients by prefix (/64 by
// default): one host holds a whole /64, so 15 of its addresses are one client. IPv4-mapped
// IPv6 addresses are their IPv4 address. Other prefixes, and IPv4 clients, keep their own
// counts.
func TestSecurity_IPv6ClientsCountedByPrefix(t *testing.T) {
	t.Parallel()
	const limit = 10
	e := newSecEnv(t, func(c *warden.Config) { c.PasswordCheckIPLimit = limit })
	refused := 0
	for i := range 15 {
		// Distinct unknown names, so the per-name block never decides.
		err := e.check(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("nobody-%d", i), "wrong")
		switch warden.ErrorCode(err) {
		case warden.ETOOMANY:
			refused++
		case warden.EUNAUTHORIZED:
		default:
			t.Fatalf("check %d: %v", i, err)
		}
	}
	if refused != 15-limit {
		t.Fatalf("15 failed checks from 15 addresses of one /64: %d refused with 429, want %d", refused, 15-limit)
	}
	// Another /64 is another client, and so is an IPv4 address.
	secWantCode(t, "another /64", e.check("2001:db8:1:3::1", "someone", "wrong"), warden.EUNAUTHORIZED)
	secWantCode(t, "an IPv4 client", e.check("192.0.2.50", "someone-else", "wrong"), warden.EUNAUTHORIZED)

	// IPv4-mapped IPv6 is the IPv4 address: the limit is shared.
	for i := range limit - 1 {
		secWantCode(t, "IPv4", e.check("192.0.2.60", fmt.Sprintf("v4-%d", i), "wrong"), warden.EUNAUTHORIZED)
	}
	secWantCode(t, "IPv4-mapped", e.check("::ffff:192.0.2.60", "v4-last", "wrong"), warden.EUNAUTHORIZED)
	secWantCode(t, "IPv4 past the limit", e.check("192.0.2.60", "v4-over", "wrong"), warden.ETOOMANY)
	secWantCode(t, "IPv4-mapped past the limit", e.check("::ffff:192.0.2.60", "v4-over2", "wrong"), warden.ETOOMANY)
}

// The prefix length is configurable: /128 counts each address alone, /48 a whole site.
func TestSecurity_IPv6PrefixLengthIsConfigurable(t *testing.T) {
	t.Parallel()
	const limit = 3
	e := newSecEnv(t, func(c *warden.Config) { c.PasswordCheckIPLimit = limit; c.IPv6PrefixLength = 128 })
	for i := range 2 * limit {
		secWantCode(t, "/128", e.check(fmt.Sprintf("2001:db8::%x", i+1), fmt.Sprintf("n-%d", i), "wrong"), warden.EUNAUTHORIZED)
	}
	e = newSecEnv(t, func(c *warden.Config) { c.PasswordCheckIPLimit = limit; c.IPv6PrefixLength = 48 })
	for i := range limit {
		secWantCode(t, "/48", e.check(fmt.Sprintf("2001:db8:0:%x::1", i+1), fmt.Sprintf("n-%d", i), "wrong"), warden.EUNAUTHORIZED)
	}
	secWantCode(t, "/48 past the limit", e.check("2001:db8:0:ffff::1", "n-last", "wrong"), warden.ETOOMANY)
}

// The per-IP budget of failed token lookups counts IPv6 clients by the same prefix.
func TestSecurity_IPv6TokenLookupBudgetByPrefix(t *testing.T) {
	t.Parallel()
	const budget = 5
	e := newSecEnv(t, func(c *warden.Config) { c.Cache.FailedLookupsPerIP = budget })
	for i := range 3 * budget {
		s, err := warden.NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ctx := warden.NewContextWithClientIP(context.Background(), fmt.Sprintf("2001:db8:1:2:%x::1", i+1))
		if _, err := e.svc.AuthenticateToken(ctx, s.Reveal(), 0); err == nil {
			t.Fatal("an unknown token authenticated")
		}
	}
	if got := e.svc.CacheStats().BudgetRefusals; got != 2*budget {
		t.Fatalf("BudgetRefusals = %d after %d unknown tokens from one /64, want %d", got, 3*budget, 2*budget)
	}
}

// Finding 3: the 5-failure block is the account's, whichever of its names is typed: failures
// as the login block the email and the other way round, in any letter case.
func TestSecurity_UsernameBlockIsPerAccount(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t, nil)
	e.user(t, "bf", "bf@x.io", "right-password")
	max := e.svc.Config().BruteForceMaxAttempts
	for i := range max {
		secWantCode(t, fmt.Sprintf("failure %d as bf", i), e.check(fmt.Sprintf("192.0.2.%d", i+1), "bf", "wrong"), warden.EUNAUTHORIZED)
	}
	for _, name := range []string{"bf@x.io", "BF@X.IO", " Bf "} {
		secWantCode(t, "the right password as "+name+" after the block", e.check("198.51.100.1", name, "right-password"), warden.EUNAUTHORIZED)
	}

	// The other way round, for another account.
	e.user(t, "carol", "carol@x.io", "right-password")
	for i := range max {
		secWantCode(t, "failure as carol@x.io", e.check(fmt.Sprintf("192.0.2.%d", 100+i), "carol@x.io", "wrong"), warden.EUNAUTHORIZED)
	}
	secWantCode(t, "the right password as carol after the block", e.check("198.51.100.2", "carol", "right-password"), warden.EUNAUTHORIZED)

	// A third account is not blocked, and a blocked one is free again after the window.
	e.user(t, "dave", "dave@x.io", "right-password")
	if err := e.check("198.51.100.3", "dave@x.io", "right-password"); err != nil {
		t.Fatalf("an unblocked account: %v", err)
	}
	e.now = e.now.Add(e.svc.Config().BruteForceWindow + time.Second)
	if err := e.check("198.51.100.4", "bf@x.io", "right-password"); err != nil {
		t.Fatalf("bf after the window: %v", err)
	}
}

// Finding 4: a name typed into the user field that matches no account — often a password — is
// never stored in clear: neither the database file nor its WAL holds it after a failed
// sign-in, in any letter case; the failures are still counted and still block the name.
func TestSecurity_TypedNameNotStoredInClear(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t, nil)
	const typed = "Hunter2-MyRealPassword!"
	for i := range e.svc.Config().BruteForceMaxAttempts {
		secWantCode(t, "failed sign-in", e.check(fmt.Sprintf("192.0.2.%d", i+1), typed, "whatever"), warden.EUNAUTHORIZED)
	}
	// Nothing was stored under the name, as typed or lower-cased.
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		for _, n := range []string{typed, strings.ToLower(typed)} {
			c, err := tx.CountLoginAttempts(context.Background(), n, e.now.Add(-time.Hour))
			if err != nil {
				return err
			}
			if c != 0 {
				t.Errorf("%d login attempts stored under the name %q", c, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The database file and its WAL, byte for byte.
	needles := [][]byte{[]byte(strings.ToLower(typed)), []byte("myrealpassword"), []byte("hunter2-")}
	for _, f := range []string{e.path, e.path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		lower := bytes.ToLower(b)
		for _, n := range needles {
			if i := bytes.Index(lower, n); i >= 0 {
				t.Errorf("%s holds %q at byte %d", filepath.Base(f), n, i)
			}
		}
	}
	// The attempts still count: the name is blocked.
	if err := e.check("203.0.113.1", typed, "whatever"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("after the failures: %v", err)
	}
	// A user later taking that name finds it blocked for the rest of the window, as before.
	e.user(t, "hunter2-myrealpassword!", "h@x.io", "right-password")
	secWantCode(t, "the new user with the blocked name", e.check("203.0.113.2", typed, "right-password"), warden.EUNAUTHORIZED)
}

// secSlowStore answers every read a few milliseconds late, like a database a round trip away.
type secSlowStore struct{ warden.Store }

func (s secSlowStore) View(ctx context.Context, fn func(warden.Tx) error) error {
	err := s.Store.View(ctx, fn)
	time.Sleep(10 * time.Millisecond)
	return err
}

// The account's limit holds for a concurrent burst that mixes its names: checks in progress
// count against the account too, so exactly the limit of guesses is verified and stored.
func TestSecurity_UsernameBlockIsPerAccountUnderBurst(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t, nil)
	e.user(t, "bf", "bf@x.io", "right-password")
	svc := warden.NewService(secSlowStore{e.db}, slog.New(slog.NewTextHandler(io.Discard, nil)), testConfig())
	svc.Now = func() time.Time { return e.now }
	const ip = "192.0.2.77"
	names := []string{"bf", "bf@x.io", "BF", " Bf@X.io "}
	done := make(chan struct{})
	for i := range 60 {
		go func() {
			defer func() { done <- struct{}{} }()
			svc.CheckPassword(warden.NewContextWithClientIP(context.Background(), ip), names[i%len(names)], "wrong")
		}()
	}
	for range 60 {
		<-done
	}
	var stored int
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		var err error
		stored, err = tx.CountLoginAttemptsByIP(context.Background(), ip, e.now.Add(-time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if max := svc.Config().BruteForceMaxAttempts; stored != max {
		t.Fatalf("%d guesses under 4 spellings of one account were verified and stored, want exactly the limit, %d", stored, max)
	}
	if _, err := svc.CheckPassword(warden.NewContextWithClientIP(context.Background(), "198.51.100.9"), "bf@x.io", "right-password"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("the right password after the burst: %v, want the block", err)
	}
}
