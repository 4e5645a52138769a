package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/storetest"
)

// mustOpenDB opens the database at path and closes it when the test ends.
func mustOpenDB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// newDBPath returns the path of a database file in a data directory that does not exist yet.
func newDBPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "data", "warden.db")
}

func TestDB_Contract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) warden.Store {
		return mustOpenDB(t, newDBPath(t))
	})
}

var t0 = time.Date(2024, time.March, 1, 12, 0, 0, 0, time.UTC)

func mustCreateOrg(t *testing.T, db *sqlite.DB, name string) *warden.Org {
	t.Helper()
	ctx := t.Context()
	o := &warden.Org{Name: name, Created: t0, Updated: t0}
	if err := db.Update(ctx, func(tx warden.Tx) error { return tx.CreateOrg(ctx, o) }); err != nil {
		t.Fatalf("CreateOrg(%q): %v", name, err)
	}
	return o
}

// orgExists reports whether an org of that name is in the database.
func orgExists(t *testing.T, db *sqlite.DB, name string) bool {
	t.Helper()
	ctx := t.Context()
	err := db.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindOrgByName(ctx, name)
		return err
	})
	switch warden.ErrorCode(err) {
	case "":
		return true
	case warden.ENOTFOUND:
		return false
	}
	t.Fatalf("FindOrgByName(%q): %v", name, err)
	return false
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("mode of %s=%v, want %v", filepath.Base(path), got, want)
	}
}

func TestOpen_FileModes(t *testing.T) {
	t.Parallel()
	path := newDBPath(t)
	db := mustOpenDB(t, path)
	mustCreateOrg(t, db, "Acme") // so that the WAL has content

	wantMode(t, filepath.Dir(path), 0o700)
	wantMode(t, path, 0o600)
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			wantMode(t, path+suffix, 0o600)
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		t.Fatal("data directory is not a directory")
	}
}

// TestOpen_PathWithURICharacters opens database files whose names hold characters that mean
// something in a URI. Open must use exactly the file it was given (the one it made 0600), not
// a file named after part of the path.
func TestOpen_PathWithURICharacters(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, chars string }{
		{"Hash", "#"},
		{"Percent", "%41"},
		{"Question", "?"},
		{"Space", " "},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			base := "war" + c.chars + "den.db"
			path := filepath.Join(dir, base)
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open(%q): %v", path, err)
			}
			mustCreateOrg(t, db, "Acme")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), base) {
					t.Errorf("Open(%q) created %q beside the database file", base, e.Name())
				}
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 {
				t.Errorf("database file %q is empty: the data went to another file", base)
			}
			db = mustOpenDB(t, path)
			if !orgExists(t, db, "Acme") {
				t.Error("org not found after re-opening")
			}
		})
	}
}

type migration struct{ version, applied int64 }

// readMigrations reads goose's table straight from the file, bypassing Open.
func readMigrations(t *testing.T, path string) []migration {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(t.Context(), "SELECT version_id, CAST(strftime('%s', tstamp) AS INTEGER) FROM goose_db_version ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ms []migration
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.version, &m.applied); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestOpen_ReopenAppliesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := newDBPath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustCreateOrg(t, db, "Acme")
	v1, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 < 1 {
		t.Fatalf("SchemaVersion=%d, want at least 1", v1)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := readMigrations(t, path)
	if got, want := before[len(before)-1].version, int64(v1); got != want {
		t.Fatalf("newest goose_db_version row=%d, want %d", got, want)
	}

	db = mustOpenDB(t, path)
	v2, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v2 != v1 {
		t.Fatalf("SchemaVersion after re-open=%d, want %d", v2, v1)
	}
	if !orgExists(t, db, "Acme") {
		t.Fatal("data lost on re-open")
	}
	after := readMigrations(t, path)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("goose_db_version after re-open=%v, want unchanged %v", after, before)
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := newDBPath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustCreateOrg(t, db, "Acme")
	known, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// A newer Warden migrated this file.
	future := known + 1
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", future); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = sqlite.Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatalf("Open of a schema at version %d (binary knows %d): no error", future, known)
	}
	if !strings.Contains(err.Error(), strconv.Itoa(future)) {
		t.Fatalf("Open error %q does not mention version %d", err, future)
	}
	ms := readMigrations(t, path)
	if got, want := ms[len(ms)-1].version, int64(future); got != want {
		t.Fatalf("newest goose_db_version row after the refused Open=%d, want %d", got, want)
	}
}

func TestDB_Backup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpenDB(t, newDBPath(t))
	const before = 20
	for i := range before {
		mustCreateOrg(t, db, fmt.Sprintf("before-%d", i))
	}

	// A writer keeps committing an org and its user in one transaction while the backup runs.
	stop := make(chan struct{})
	started := make(chan struct{})
	var startOnce sync.Once
	var writerErr error
	var writes int
	var wg sync.WaitGroup
	wg.Go(func() {
		defer startOnce.Do(func() { close(started) })
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(ctx, func(tx warden.Tx) error {
				o := &warden.Org{Name: fmt.Sprintf("during-%d", i), Created: t0, Updated: t0}
				if err := tx.CreateOrg(ctx, o); err != nil {
					return err
				}
				login := fmt.Sprintf("during-%d", i)
				return tx.CreateUser(ctx, &warden.User{UID: login, Login: login, Email: login + "@example.com",
					OrgID: o.ID, Created: t0, Updated: t0})
			})
			if err != nil {
				writerErr = err
				return
			}
			writes++
			startOnce.Do(func() { close(started) })
		}
	})
	<-started

	dest := filepath.Join(t.TempDir(), "backup.db")
	backupErr := db.Backup(ctx, dest)
	close(stop)
	wg.Wait()
	if writerErr != nil {
		t.Fatalf("writer: %v", writerErr)
	}
	if backupErr != nil {
		t.Fatalf("Backup while writing: %v", backupErr)
	}
	t.Logf("%d concurrent writes", writes)
	wantMode(t, dest, 0o600)

	b := mustOpenDB(t, dest)
	for i := range before {
		if name := fmt.Sprintf("before-%d", i); !orgExists(t, b, name) {
			t.Fatalf("backup lacks org %q committed before the backup", name)
		}
	}
	// The copy is one consistent snapshot: every org the writer made has its user.
	var orgs []*warden.Org
	var users []*warden.User
	err := b.View(ctx, func(tx warden.Tx) error {
		var err error
		if orgs, err = tx.FindOrgs(ctx, warden.OrgFilter{Query: "during-"}); err != nil {
			return err
		}
		users, _, err = tx.FindUsers(ctx, warden.UserFilter{Query: "during-"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(users), len(orgs); got != want {
		t.Fatalf("backup holds %d writer users for %d writer orgs, want equal", got, want)
	}

	// Backup refuses to overwrite, and leaves the existing file alone.
	if err := db.Backup(ctx, dest); err == nil {
		t.Fatal("Backup to an existing backup: no error")
	}
	other := filepath.Join(t.TempDir(), "other.db")
	if err := os.WriteFile(other, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, other); err == nil {
		t.Fatal("Backup to an existing file: no error")
	}
	if got, err := os.ReadFile(other); err != nil || string(got) != "keep me" {
		t.Fatalf("existing file after a refused Backup=%q (err %v), want unchanged", got, err)
	}
}

func TestDB_Ping(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, newDBPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping after Close: no error")
	}
}

func TestDB_ForeignKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpenDB(t, newDBPath(t))
	o := mustCreateOrg(t, db, "Acme")
	u := &warden.User{UID: "u1", Login: "alice", Email: "alice@example.com", Created: t0, Updated: t0}
	if err := db.Update(ctx, func(tx warden.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	missingOrg, missingUser := o.ID+1000, u.ID+1000
	for _, c := range []struct {
		name string
		fn   func(tx warden.Tx) error
	}{
		{"AddOrgUser(missing org)", func(tx warden.Tx) error {
			return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: missingOrg, UserID: u.ID, Role: warden.RoleViewer, Created: t0, Updated: t0})
		}},
		{"AddOrgUser(missing user)", func(tx warden.Tx) error {
			return tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: o.ID, UserID: missingUser, Role: warden.RoleViewer, Created: t0, Updated: t0})
		}},
		{"CreateSession(missing user)", func(tx warden.Tx) error {
			return tx.CreateSession(ctx, &warden.Session{UserID: missingUser, TokenHash: "h", Created: t0, SeenAt: t0})
		}},
		{"SetManagedPermission(missing org)", func(tx warden.Tx) error {
			return tx.SetManagedPermission(ctx, &warden.ManagedPermission{OrgID: missingOrg,
				Resource: warden.ResourceServiceAccounts, ResourceID: u.ID, UserID: u.ID, Level: warden.LevelEdit,
				Created: t0, Updated: t0})
		}},
	} {
		if err := db.Update(ctx, c.fn); err == nil {
			t.Errorf("%s: no error, want a foreign key violation", c.name)
		}
	}
	err := db.View(ctx, func(tx warden.Tx) error {
		_, err := tx.FindOrgUser(ctx, missingOrg, u.ID)
		return err
	})
	if got, want := warden.ErrorCode(err), warden.ENOTFOUND; got != want {
		t.Fatalf("FindOrgUser(missing org) code=%q (err %v), want %q", got, err, want)
	}
}

// TestDB_ConcurrentWriters checks that writers queue on the lock instead of failing with
// SQLITE_BUSY, while readers keep reading.
func TestDB_ConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpenDB(t, newDBPath(t))
	const writers, each = 8, 10
	errs := make(chan error, 2*writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := db.Update(ctx, func(tx warden.Tx) error {
					return tx.CreateOrg(ctx, &warden.Org{Name: fmt.Sprintf("org-%d-%d", w, i), Created: t0, Updated: t0})
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				}
			}
		})
		wg.Go(func() {
			for range each {
				err := db.View(ctx, func(tx warden.Tx) error {
					_, err := tx.FindOrgs(ctx, warden.OrgFilter{})
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", w, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var orgs []*warden.Org
	err := db.View(ctx, func(tx warden.Tx) error {
		var err error
		orgs, err = tx.FindOrgs(ctx, warden.OrgFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(orgs), writers*each; got != want {
		t.Fatalf("len(FindOrgs)=%d, want %d", got, want)
	}
}
