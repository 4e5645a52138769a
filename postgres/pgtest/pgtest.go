// Package pgtest gives tests a fresh PostgreSQL database of their own. The server comes from
// the environment variable WARDEN_TEST_POSTGRES_URL (for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); without it the tests skip, except
// in CI (CI=true), where they fail, so a misconfigured pipeline cannot pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/postgres/pgadmin"
)

// EnvURL names the environment variable holding the URL of the test server.
const EnvURL = "WARDEN_TEST_POSTGRES_URL"

// URL returns the URL of the test server from EnvURL. When it is unset, URL skips the test,
// or fails it when the environment variable CI is "true".
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvURL)
		}
		t.Skipf("%s is not set; set it to a PostgreSQL server URL (such as "+
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run this test", EnvURL)
	}
	return u
}

// NewDatabase creates an empty database named warden_test_<random> on the test server (see
// URL, which decides whether the test skips) and returns its URL. The database is dropped
// when the test ends, with (FORCE), after cleanups registered later (such as closing a store
// opened on it) have run. The user in the server URL needs the CREATEDB privilege.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := URL(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "warden_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL, err := pgadmin.CreateDatabase(ctx, base, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := pgadmin.DropDatabase(ctx, base, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dbURL
}

// Exec runs one statement on its own connection to the server at connString (see
// pgadmin.Exec).
func Exec(ctx context.Context, connString, sql string, args ...any) error {
	return pgadmin.Exec(ctx, connString, sql, args...)
}

// WithDatabase returns connString (a postgres:// URL or a key=value DSN) naming the database
// name instead of its own (see pgadmin.WithDatabase).
func WithDatabase(connString, name string) (string, error) {
	return pgadmin.WithDatabase(connString, name)
}

// WithUser returns connString (a postgres:// URL or a key=value DSN) connecting as user,
// without a password.
func WithUser(connString, user string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvURL, err)
		}
		u.User = url.User(user)
		q := u.Query()
		q.Del("user")
		q.Del("password")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return connString + " user=" + user + " password=''", nil
}
