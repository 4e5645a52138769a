package main

// Tokens at rest: only a hash is stored, and the plaintext is in no file, row or log line.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Only the tagged SHA-256 of the whole token is stored; the plaintext is nowhere in the
// database (its files on SQLite, its rows on PostgreSQL) or in the logs; the create response
// is not cacheable.
func TestTokens_NeverStoredNorLoggedInPlaintext(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_LOG_LEVEL": "debug"})
	poll := taAdminToken(t, ts)
	saID := taCreateSA(t, ts.admin(), "secretive", "Viewer")
	r := ts.admin().expect(t, http.StatusOK, "POST", taSAPath(saID)+"/tokens", map[string]any{"name": "hidden"})
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("token create response Cache-Control = %q, want no-store", cc)
	}
	m := r.JSON(t)
	tok, tokID := m["key"].(string), taID(t, m, "id")
	if len(tok) != 46 || !strings.HasPrefix(tok, "glsa_") {
		t.Fatalf("key = %q, want a 46-character glsa_ token", tok)
	}
	secret := tok[5:37]

	// The stored value: "sha256:" + hex SHA-256 of the full token, nothing else.
	sum := sha256.Sum256([]byte(tok))
	var stored string
	if err := taQueryRow(taDB(t, ts), "SELECT key_hash FROM token WHERE id = ?", tokID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + hex.EncodeToString(sum[:]); stored != want {
		t.Fatalf("stored key_hash = %q, want %q", stored, want)
	}

	// Use the token, in accepted and refused ways, so every code path that might log it runs.
	u0 := time.Now()
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.basic("api_key", tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.anon().do(t, "GET", "/api/org?api_key="+tok+"&token="+tok, nil)
	ts.bearer(tok[:45]+flipHex(tok[45])).do(t, "GET", "/api/org", nil)
	ts.bearer(tok).with("X-Grafana-Org-Id", "7").do(t, "GET", "/api/org", nil)
	ts.basic("admin", tok).do(t, "GET", "/api/org", nil)
	ts.anon().with("Authorization", "Token "+tok).do(t, "GET", "/api/org", nil)
	taPollLastUsed(t, poll, saID, tokID, u0, time.Now())

	checkFiles := func(when string) {
		t.Helper()
		if ts.Postgres {
			taCheckPostgresRows(t, ts, when, secret, stored)
			return
		}
		files, _ := filepath.Glob(filepath.Join(ts.DataDir, "warden.db*"))
		if len(files) == 0 {
			t.Fatalf("%s: no database files under %s", when, ts.DataDir)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s: %s contains the token's secret", when, filepath.Base(f))
			}
		}
	}
	checkFiles("while running")
	ts.Stop()
	checkFiles("after stop")
	logs := ts.Logs()
	if strings.Contains(logs, secret) {
		t.Errorf("the server logs contain the token's secret:\n%s", logs)
	}
	if !strings.Contains(logs, "/api/org") {
		t.Errorf("no access log lines for the requests made (is the log captured?):\n%s", logs)
	}
}

// taCheckPostgresRows is the PostgreSQL form of the search of the database files for the
// token's secret: no row of any table, in its text form, contains secret. Searching the same
// way for present (a value known to be stored) proves the search sees the rows.
func taCheckPostgresRows(t *testing.T, ts *testServer, when, secret, present string) {
	t.Helper()
	dump := postgresDump(t, ts)
	for line := range bytes.Lines(dump) {
		if bytes.Contains(line, []byte(secret)) {
			table, _, _ := bytes.Cut(line, []byte(": "))
			t.Errorf("%s: a row of table %s contains the token's secret", when, table)
		}
	}
	if !bytes.Contains(dump, []byte(present)) {
		t.Fatalf("%s: the search of the PostgreSQL rows did not find the stored key hash %q", when, present)
	}
}

// postgresDump returns the text of every row of every table of the server's PostgreSQL
// database, one "table: row" line each.
func postgresDump(t *testing.T, ts *testServer) []byte {
	t.Helper()
	db := taDB(t, ts)
	defer db.Close()
	rows, err := db.Query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatal("no tables in the server's PostgreSQL database")
	}
	var out bytes.Buffer
	for _, table := range tables {
		q := `SELECT r::text FROM "` + strings.ReplaceAll(table, `"`, `""`) + `" AS r`
		rs, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rs.Next() {
			var row string
			if err := rs.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out.WriteString(table + ": " + row + "\n")
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		rs.Close()
	}
	return out.Bytes()
}
