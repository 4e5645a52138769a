package main

// Reaching a test server's database directly, as another process would: its SQLite file or
// its PostgreSQL database, with queries written once for both.

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" driver, to reach a server's database file directly
)

// taDB opens the server's database directly, as another process would: its SQLite file, or
// its PostgreSQL database (with the pgx driver). Write queries with ? placeholders and run them
// through taExec or taQueryRow, which rewrite them for PostgreSQL; booleans as TRUE and FALSE,
// which both databases read.
func taDB(t *testing.T, ts *testServer) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if ts.Postgres {
		db, err = sql.Open("pgx", ts.DBURL)
	} else {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(5000)")
		db, err = sql.Open("sqlite", "file:"+filepath.Join(ts.DataDir, "warden.db")+"?"+q.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// taIsPostgres reports whether db was opened by taDB on a PostgreSQL database.
func taIsPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

// taQuery returns query for db: on PostgreSQL each ? placeholder (outside quoted strings and
// identifiers) becomes $1, $2, ...
func taQuery(db *sql.DB, query string) string {
	if !taIsPostgres(db) {
		return query
	}
	var b strings.Builder
	n := 0
	var quote rune // the quote character of the literal or identifier we are in, or 0
	for _, r := range query {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// taQueryRow runs a query (with ? placeholders) returning one row.
func taQueryRow(db *sql.DB, query string, args ...any) *sql.Row {
	return db.QueryRow(taQuery(db, query), args...)
}

// noTokenCache configures a server without the token cache, for tests that change token rows
// behind the server's back (as no API can: revoking, back-dating an expiry) and expect the next
// request to see it. The cache's own invalidation is tested in the root package
// (auth_cache_test.go) and across instances in the multi-instance test.
var noTokenCache = map[string]string{"WARDEN_AUTH_TOKEN_CACHE_SIZE": "0"}

func taExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := db.Exec(taQuery(db, query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows affected, want 1", query, n)
	}
}
