package postgres_test

// Tests of the goose migrations, and of taking over a database made by the migrator Warden had
// before goose (a schema_migrations table).
//
// testdata/legacy-v5.sql is `pg_dump --no-owner --no-privileges --inserts` of a database made
// by that older Warden's postgres.Open (schema version 5, its newest), with these rows: org
// "Legacy Org"; user legacy-admin (server admin, Admin of the org); service account
// sa-1-legacy-bot (Viewer); its token "legacy-token", whose plaintext is legacyTokenKey; one
// audit entry.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3/lock"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/postgres"
	"github.com/wardenhq/warden/postgres/pgtest"
	"github.com/wardenhq/warden/storetest"
)

const (
	legacyFixture  = "testdata/legacy-v5.sql"
	legacyVersion  = 5 // the newest migration the fixture's Warden applied
	legacyTokenKey = "glsa_77777777777777777777777777777777_70509b44"
)

// newLegacyDatabase returns the URL of a new database loaded from the legacy fixture.
func newLegacyDatabase(t *testing.T) string {
	t.Helper()
	body, err := os.ReadFile(legacyFixture)
	if err != nil {
		t.Fatal(err)
	}
	// Leave out psql's meta-commands (\restrict and \unrestrict); the rest is plain SQL, which
	// Exec without arguments sends in the simple protocol, all statements at once.
	var sqlText strings.Builder
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, `\`) {
			sqlText.WriteString(line)
		}
	}
	url := pgtest.NewDatabase(t)
	exec(t, url, sqlText.String())
	return url
}

// openCounting opens the store at url, counting the migrations it applies, and closes it when
// the test ends.
func openCounting(t *testing.T, url string) (*postgres.DB, int) {
	t.Helper()
	var applied atomic.Int32
	logger := slog.New(countingHandler{Handler: slog.DiscardHandler, substr: "applied migration", n: &applied})
	db, err := postgres.Open(t.Context(), url, logger)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, int(applied.Load())
}

func tableExists(t *testing.T, url, name string) bool {
	t.Helper()
	return queryInts(t, url, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", name)[0] == 1
}

// wantGooseVersions checks that goose's table lists version 0 and then 1..knownVersion, once
// each, in order.
func wantGooseVersions(t *testing.T, url string) {
	t.Helper()
	got := queryInts(t, url, "SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id")
	want := []int64{0}
	for v := range knownVersion {
		want = append(want, int64(v+1))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("goose_db_version versions=%v, want %v", got, want)
	}
}

// wantNoAdvisoryLocks checks that no session holds an advisory lock in the database at url:
// neither LockKey nor goose's was left behind.
func wantNoAdvisoryLocks(t *testing.T, url string) {
	t.Helper()
	n := queryInts(t, pgtest.URL(t), `SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE l.locktype = 'advisory' AND d.datname = $1`, dbName(t, url))
	if n[0] != 0 {
		t.Errorf("%d advisory locks held after Open", n[0])
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
// without losing a row: its applied versions move into goose's table, and only newer ones run.
func TestMigrate_LegacyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := newLegacyDatabase(t)
	if tableExists(t, url, "goose_db_version") {
		t.Fatal("the fixture already has goose_db_version")
	}
	legacy := queryInts(t, url, "SELECT version FROM schema_migrations ORDER BY version")
	if len(legacy) != legacyVersion || legacy[legacyVersion-1] != legacyVersion {
		t.Fatalf("the fixture's schema_migrations=%v", legacy)
	}

	// Only the migrations newer than the fixture's Warden run.
	db, applied := openCounting(t, url)
	if want := knownVersion - legacyVersion; applied != want {
		t.Errorf("opening the legacy database applied %d migrations, want %d", applied, want)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != knownVersion {
		t.Fatalf("SchemaVersion=%d, want %d", v, knownVersion)
	}
	checkLegacyRows(t, db)
	wantGooseVersions(t, url)
	wantNoAdvisoryLocks(t, url)
	// The adopted rows keep the times the old migrator applied them; the legacy table stays.
	if n := queryInts(t, url, `SELECT COUNT(*) FROM goose_db_version g JOIN schema_migrations s
		ON s.version = g.version_id AND g.tstamp = to_timestamp(s.applied)::timestamp`); n[0] != legacyVersion {
		t.Errorf("%d goose_db_version rows carry their legacy time, want %d", n[0], legacyVersion)
	}
	if got := queryInts(t, url, "SELECT version FROM schema_migrations ORDER BY version"); !slices.Equal(got, legacy) {
		t.Errorf("schema_migrations after migrating=%v, want it untouched %v", got, legacy)
	}

	// The store writes, with IDs following the old ones.
	org := &warden.Org{Name: "After Upgrade", Created: time.Now(), Updated: time.Now()}
	if err := db.Update(ctx, func(tx warden.Tx) error { return tx.CreateOrg(ctx, org) }); err != nil {
		t.Fatal(err)
	}
	if org.ID != 2 {
		t.Errorf("new org ID=%d, want 2", org.ID)
	}
	db.Close()

	// Opening again adopts nothing and applies nothing.
	rowsBefore := queryInts(t, url, "SELECT id FROM goose_db_version ORDER BY id")
	db, applied = openCounting(t, url)
	if applied != 0 {
		t.Errorf("reopening applied %d migrations, want 0", applied)
	}
	checkLegacyRows(t, db)
	if got := queryInts(t, url, "SELECT id FROM goose_db_version ORDER BY id"); !slices.Equal(got, rowsBefore) {
		t.Errorf("goose_db_version rows after reopening=%v, want unchanged %v", got, rowsBefore)
	}
}

// Instances starting together on a legacy database adopt it once and run each newer
// migration once.
func TestMigrate_LegacyConcurrent(t *testing.T) {
	t.Parallel()
	url := newLegacyDatabase(t)
	var applied atomic.Int32
	logger := slog.New(countingHandler{Handler: slog.DiscardHandler, substr: "applied migration", n: &applied})
	const instances = 4
	errs := make([]error, instances)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range instances {
		wg.Go(func() {
			<-start
			db, err := postgres.Open(t.Context(), url, logger)
			if err == nil {
				checkLegacyRows(t, db)
				db.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
	}
	if n, want := int(applied.Load()), knownVersion-legacyVersion; n != want {
		t.Errorf("%d migrations applied, want %d (each newer one once)", n, want)
	}
	wantGooseVersions(t, url)
	wantNoAdvisoryLocks(t, url)
}

// A legacy database whose schema_migrations names a version this binary does not know is
// refused, and left as it was: not adopted into goose's table.
func TestMigrate_LegacyNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	url := newLegacyDatabase(t)
	exec(t, url, "INSERT INTO schema_migrations (version, applied) VALUES (99, 0)")
	db, err := postgres.Open(t.Context(), url, nil)
	if err == nil {
		db.Close()
		t.Fatal("Open of a legacy database with schema version 99: no error")
	}
	for _, want := range []string{"99", fmt.Sprintf("(%d)", knownVersion), "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not mention %q", err, want)
		}
	}
	if tableExists(t, url, "goose_db_version") {
		t.Error("the refused database got goose_db_version")
	}
	wantNoAdvisoryLocks(t, url)
}

// Two instances opening a new database at once both succeed, and the migrations run once.
func TestMigrate_TwoOpensFreshDatabase(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	var applied atomic.Int32
	logger := slog.New(countingHandler{Handler: slog.DiscardHandler, substr: "applied migration", n: &applied})
	var errs [2]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			db, err := postgres.Open(t.Context(), url, logger)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
	}
	if got := int(applied.Load()); got != knownVersion {
		t.Errorf("%d migrations applied in all, want %d (each once)", got, knownVersion)
	}
	wantGooseVersions(t, url)
	wantNoAdvisoryLocks(t, url)
}

// Migrating waits for an Exclusive function of another instance (both under LockKey), and for a
// goose run by hand (goose's own lock), and then goes ahead: neither lock blocks the other for
// good.
func TestMigrate_WaitsForLocks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	// openAfter opens the store at url while hold holds a lock (from when it closes locked
	// until release is closed), and checks that Open finishes only once hold lets go.
	openAfter := func(url string, hold func(locked chan<- struct{}, release <-chan struct{}) error) {
		t.Helper()
		locked, release := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() { held <- hold(locked, release) }()
		select {
		case <-locked:
		case err := <-held:
			t.Fatalf("taking the lock: %v", err)
		}
		opened := make(chan error, 1)
		var released atomic.Bool
		go func() {
			db, err := postgres.Open(ctx, url, nil)
			if err == nil {
				if !released.Load() {
					err = fmt.Errorf("Open finished while the lock was held")
				}
				db.Close()
			}
			opened <- err
		}()
		time.Sleep(1500 * time.Millisecond)
		released.Store(true)
		close(release)
		if err := <-held; err != nil {
			t.Fatalf("holding the lock: %v", err)
		}
		select {
		case err := <-opened:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Open did not finish after the lock was released")
		}
	}

	// Another instance's Exclusive function: LockKey. Open takes it even with nothing to
	// migrate.
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	openAfter(url, func(locked chan<- struct{}, release <-chan struct{}) error {
		return db.Exclusive(ctx, func(context.Context) error { close(locked); <-release; return nil })
	})
	wantNoAdvisoryLocks(t, url)

	// goose run by hand: its session lock, lock.DefaultLockID, which goose takes when there is
	// something to migrate: a new database.
	url = pgtest.NewDatabase(t)
	openAfter(url, func(locked chan<- struct{}, release <-chan struct{}) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lock.DefaultLockID); err != nil {
			return err
		}
		close(locked)
		<-release
		_, err = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", lock.DefaultLockID)
		return err
	})
	wantNoAdvisoryLocks(t, url)
}

// A restriction column holding what the store cannot parse (written by hand, or by a newer
// Warden) makes every read of the token an error: a token never loses a restriction silently.
func TestMigrate_UnparseableTokenRestrictions(t *testing.T) {
	t.Parallel()
	url := newLegacyDatabase(t)
	db := mustOpen(t, url)
	key, _ := warden.ParseSecret(legacyTokenKey)
	storetest.UnparseableTokenRestrictions(t, db, key.Hash(),
		func(column, value string, id int64) {
			exec(t, url, "UPDATE token SET "+column+" = $1 WHERE id = $2", value, id)
		},
		func(id int64) int { return int(queryInts(t, url, "SELECT COUNT(*) FROM token WHERE id = $1", id)[0]) })
}
