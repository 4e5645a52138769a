package sqlite_test

// Tests of the goose migrations, and of taking over a database made by the migrator Warden had
// before goose (a schema_migrations table).
//
// testdata/legacy-v5.db was made by that older Warden's sqlite.Open (schema version 5, its
// newest), with these rows: org "Legacy Org"; user legacy-admin (server admin, Admin of the
// org); service account sa-1-legacy-bot (Viewer); its token "legacy-token", whose plaintext
// is legacyTokenKey; one audit entry.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/storetest"
)

const (
	legacyFixture  = "testdata/legacy-v5.db"
	legacyVersion  = 5 // the newest migration the fixture's Warden applied
	legacyTokenKey = "glsa_77777777777777777777777777777777_70509b44"
)

// knownMigrations returns the versions of the embedded migrations, read from the file names.
func knownMigrations(t *testing.T) []int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, name := range names {
		num, _, _ := strings.Cut(filepath.Base(name), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatal("no migrations")
	}
	return out
}

// copyLegacy copies the legacy fixture to a new file in a temporary directory.
func copyLegacy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(legacyFixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "warden.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawDB opens the file without sqlite.Open, so without migrating it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func rawInts(t *testing.T, raw *sql.DB, query string, args ...any) []int64 {
	t.Helper()
	rows, err := raw.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func hasTable(t *testing.T, raw *sql.DB, name string) bool {
	t.Helper()
	return rawInts(t, raw, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name)[0] == 1
}

// schemaOf lists the schema objects of the file, less the tables recording migrations.
func schemaOf(t *testing.T, path string) string {
	t.Helper()
	rows, err := rawDB(t, path).QueryContext(t.Context(), `SELECT type, name, tbl_name, COALESCE(sql, '')
		FROM sqlite_master WHERE name NOT IN ('goose_db_version', 'schema_migrations', 'sqlite_sequence')
		ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, tbl, sqlText string
		if err := rows.Scan(&typ, &name, &tbl, &sqlText); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %s %s\n", typ, name, tbl, sqlText)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// wantGooseVersions checks that goose's table lists version 0 and then every known migration,
// once each, in order.
func wantGooseVersions(t *testing.T, path string, known []int64) {
	t.Helper()
	got := rawInts(t, rawDB(t, path), "SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id")
	want := append([]int64{0}, known...)
	if !slices.Equal(got, want) {
		t.Fatalf("goose_db_version versions=%v, want %v", got, want)
	}
}

// checkLegacyRows checks that the fixture's rows are all there and still work together.
func checkLegacyRows(t *testing.T, st warden.Store) {
	t.Helper()
	ctx := t.Context()
	key, ok := warden.ParseSecret(legacyTokenKey)
	if !ok {
		t.Fatal("the fixture's token does not parse")
	}
	err := st.View(ctx, func(tx warden.Tx) error {
		org, err := tx.FindOrgByName(ctx, "Legacy Org")
		if err != nil {
			return fmt.Errorf("org: %w", err)
		}
		admin, err := tx.FindUserByLogin(ctx, "legacy-admin")
		if err != nil {
			return fmt.Errorf("user: %w", err)
		}
		if !admin.IsAdmin || admin.Email != "legacy-admin@example.com" || admin.OrgID != org.ID {
			return fmt.Errorf("user: %+v", admin)
		}
		if m, err := tx.FindOrgUser(ctx, org.ID, admin.ID); err != nil || m.Role != warden.RoleAdmin {
			return fmt.Errorf("admin's membership: %+v, %v", m, err)
		}
		sas, n, err := tx.FindServiceAccounts(ctx, warden.ServiceAccountFilter{OrgID: org.ID, Limit: 10})
		if err != nil || n != 1 || len(sas) != 1 || sas[0].Login != "sa-1-legacy-bot" || sas[0].Tokens != 1 {
			return fmt.Errorf("service accounts: %d %+v, %v", n, sas, err)
		}
		id, err := tx.FindTokenIdentity(ctx, key.Hash())
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		if id.Token.Name != "legacy-token" || id.Account.Login != "sa-1-legacy-bot" || !id.Account.IsServiceAccount || id.Role != warden.RoleViewer {
			return fmt.Errorf("token identity: %+v %+v %s", id.Token, id.Account, id.Role)
		}
		// Migration 8 leaves tokens made before it unrestricted.
		if !reflect.DeepEqual(id.Token.Restrictions, warden.TokenRestrictions{}) {
			return fmt.Errorf("token restrictions: %#v, want none", id.Token.Restrictions)
		}
		entries, n, err := tx.FindAuditEntries(ctx, warden.AuditFilter{Limit: 10})
		if err != nil || n != 1 || entries[0].ActorLogin != "legacy-admin" {
			return fmt.Errorf("audit entries: %d %+v, %v", n, entries, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the legacy rows after migrating: %v", err)
	}
}

// A database made by the migrator before goose opens without running its migrations again and
// without losing a row: its applied versions move into goose's table, and the schema is the
// one a new database gets.
func TestMigrate_LegacyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	known := knownMigrations(t)
	path := copyLegacy(t)
	raw := rawDB(t, path)
	if hasTable(t, raw, "goose_db_version") {
		t.Fatal("the fixture already has goose_db_version")
	}
	legacy := rawInts(t, raw, "SELECT version FROM schema_migrations ORDER BY version")
	if !slices.Equal(legacy, known[:legacyVersion]) {
		t.Fatalf("the fixture's schema_migrations=%v", legacy)
	}
	applied := rawInts(t, raw, "SELECT applied FROM schema_migrations ORDER BY version")
	raw.Close()

	db := mustOpenDB(t, path)
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := known[len(known)-1]; int64(v) != want {
		t.Fatalf("SchemaVersion=%d, want %d", v, want)
	}
	checkLegacyRows(t, db)
	wantGooseVersions(t, path, known)
	// The adopted rows keep the times the old migrator applied them; the legacy table stays.
	raw = rawDB(t, path)
	times := rawInts(t, raw, `SELECT CAST(strftime('%s', tstamp) AS INTEGER) FROM goose_db_version
		WHERE version_id BETWEEN 1 AND ? ORDER BY id`, legacyVersion)
	if !slices.Equal(times, applied) {
		t.Errorf("goose_db_version times=%v, want the legacy %v", times, applied)
	}
	if got := rawInts(t, raw, "SELECT version FROM schema_migrations ORDER BY version"); !slices.Equal(got, legacy) {
		t.Errorf("schema_migrations after migrating=%v, want it untouched %v", got, legacy)
	}

	// The store writes, with IDs following the old ones.
	org := mustCreateOrg(t, db, "After Upgrade")
	if org.ID != 2 {
		t.Errorf("new org ID=%d, want 2", org.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening again adopts nothing and applies nothing.
	before := readMigrations(t, path)
	db = mustOpenDB(t, path)
	checkLegacyRows(t, db)
	if after := readMigrations(t, path); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("goose_db_version after re-open=%v, want unchanged %v", after, before)
	}

	// The schema is the one a new database gets.
	fresh := newDBPath(t)
	mustOpenDB(t, fresh)
	if got, want := schemaOf(t, path), schemaOf(t, fresh); got != want {
		t.Errorf("schema of the upgraded database:\n%s\nwant that of a new one:\n%s", got, want)
	}
}

// A legacy database that an older Warden left part way (versions 1..3) gets the rest from
// goose.
func TestMigrate_LegacyPartial(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	known := knownMigrations(t)
	const upTo = 3
	path := newDBPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	// What the old migrator did: its table, then each file with its row.
	if _, err := raw.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
	for i, name := range names[:upTo] {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := raw.ExecContext(ctx, "INSERT INTO schema_migrations VALUES (?, ?)", known[i], t0.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.ExecContext(ctx, "INSERT INTO org (name, created, updated) VALUES ('Acme', 0, 0)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db := mustOpenDB(t, path)
	if v, err := db.SchemaVersion(ctx); err != nil || int64(v) != known[len(known)-1] {
		t.Fatalf("SchemaVersion=%d, %v; want %d", v, err, known[len(known)-1])
	}
	if !orgExists(t, db, "Acme") {
		t.Fatal("the org is gone")
	}
	wantGooseVersions(t, path, known)
	// Migration 5 added audit_log.actor_login.
	if err := db.Update(ctx, func(tx warden.Tx) error {
		return tx.CreateAuditEntry(ctx, &warden.AuditEntry{Created: t0, ActorKind: "system", ActorLogin: "job",
			Action: "test", Outcome: "success"})
	}); err != nil {
		t.Fatalf("CreateAuditEntry after the pending migrations: %v", err)
	}
}

// A legacy database whose schema_migrations names a version this binary does not know is
// refused, and left as it was: not adopted into goose's table.
func TestMigrate_LegacyNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	known := knownMigrations(t)
	path := copyLegacy(t)
	raw := rawDB(t, path)
	const future = 99
	if _, err := raw.ExecContext(ctx, "INSERT INTO schema_migrations VALUES (?, ?)", future, t0.Unix()); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := sqlite.Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatalf("Open of a legacy schema at version %d: no error", future)
	}
	for _, want := range []string{strconv.Itoa(future), fmt.Sprintf("(%d)", known[len(known)-1]), "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not mention %q", err, want)
		}
	}
	if hasTable(t, rawDB(t, path), "goose_db_version") {
		t.Error("the refused database got goose_db_version")
	}
}

// goose's provider keeps no state in package variables: stores on several files open at once
// in one process, each migrated on its own.
func TestMigrate_StoresSideBySide(t *testing.T) {
	t.Parallel()
	known := knownMigrations(t)
	paths := []string{newDBPath(t), newDBPath(t), copyLegacy(t), copyLegacy(t)}
	dbs := make([]*sqlite.DB, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			dbs[i], errs[i] = sqlite.Open(ctx, path)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %s: %v", paths[i], err)
		}
		dbs[i].Close()
		wantGooseVersions(t, paths[i], known)
	}
}

// A restriction column holding what the store cannot parse (written by hand, or by a newer
// Warden) makes every read of the token an error: a token never loses a restriction silently.
func TestMigrate_UnparseableTokenRestrictions(t *testing.T) {
	t.Parallel()
	path := copyLegacy(t)
	db := mustOpenDB(t, path)
	key, _ := warden.ParseSecret(legacyTokenKey)
	raw := rawDB(t, path)
	storetest.UnparseableTokenRestrictions(t, db, key.Hash(),
		func(column, value string, id int64) {
			if _, err := raw.ExecContext(t.Context(), "UPDATE token SET "+column+" = ? WHERE id = ?", value, id); err != nil {
				t.Fatal(err)
			}
		},
		func(id int64) int { return int(rawInts(t, raw, "SELECT COUNT(*) FROM token WHERE id = ?", id)[0]) })
}
