// Package sqlite implements warden.Store on an embedded SQLite database (the default backend):
// one file, no server to run.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/wardenhq/warden"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is a warden.Store over one SQLite file. Writes go through a single connection that begins
// transactions IMMEDIATE, so concurrent writers queue on SQLite's lock instead of failing with
// SQLITE_BUSY half-way through; reads use a separate pool that WAL lets run beside the writer.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	// The token check's one query, prepared once per pool: parsing it each time would cost
	// more than running it.
	identityRead, identityWrite *sql.Stmt
}

var _ warden.Store = (*DB)(nil)

// dsn builds the connection string. Why each pragma:
//   - journal_mode(WAL): readers never block the writer and vice versa.
//   - synchronous(FULL): a commit is on disk when it returns, so an acknowledged token survives
//     power loss, not just a killed process (NORMAL may lose the last commits on power loss).
//   - foreign_keys(1): SQLite does not enforce foreign keys unless asked, per connection.
//   - busy_timeout(5000): wait for a lock held by another process (the backup command,
//     another connection) instead of failing at once.
func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(5000)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	// The path is escaped: SQLite reads the DSN as a URI, where "?", "#" and "%" in a file
	// name would otherwise start a query, a fragment or an escape.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path, with the data directory 0700 and
// the file 0600, and applies pending migrations (see migrate). It refuses a database whose
// schema is newer than this binary knows.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// Create the file ourselves so it is 0600 from the start; SQLite gives its -wal and -shm
	// files the same mode as the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database file: %w", err)
	}
	f.Close()

	write, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	db := &DB{path: path, write: write, read: read}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.identityRead, err = read.PrepareContext(ctx, tokenIdentitySelect); err == nil {
		db.identityWrite, err = write.PrepareContext(ctx, tokenIdentitySelect)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare token query: %w", err)
	}
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database file can be read.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Update runs fn in a write transaction.
func (db *DB) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return db.run(ctx, db.write, db.identityWrite, fn)
}

// View runs fn in a read transaction: one consistent snapshot of the database.
func (db *DB) View(ctx context.Context, fn func(warden.Tx) error) error {
	return db.run(ctx, db.read, db.identityRead, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, identity *sql.Stmt, fn func(warden.Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	if err := fn(&Tx{tx: sqlTx, identity: identity}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", formatError(err))
	}
	return nil
}

// Backup writes a consistent copy of the database to dest with VACUUM INTO. It is safe while a
// server is running on the same file: SQLite takes a read snapshot. dest must not exist.
func (db *DB) Backup(ctx context.Context, dest string) error {
	// Create the file first, exclusively and 0600: no race with an existing file, and the copy
	// is never readable by others, not even for a moment. SQLite accepts an empty target.
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	// VACUUM INTO writes a file, so it cannot run on the query_only read pool; on the writer
	// it still only reads the source database.
	if _, err := db.write.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// SchemaVersion returns the newest applied migration: the highest version goose recorded.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int64
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+gooseTable).Scan(&v)
	return int(v), err
}

// The tables that record applied migrations: goose's, and the one of the migrator Warden had
// before it (version INTEGER PRIMARY KEY, applied INTEGER Unix seconds), which a database made
// by an older Warden has instead.
const (
	gooseTable  = goose.DefaultTablename // goose_db_version
	legacyTable = "schema_migrations"
)

// migrate applies the embedded migrations with goose, each in its own transaction together with
// its row in goose's table. Before that, in one write transaction, it takes over a database
// made by the migrator Warden had before goose (see adoptLegacy) and refuses a database whose
// schema is newer than this binary knows; a refused database is left as it was.
func (db *DB) migrate(ctx context.Context) error {
	sources, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	// The provider uses no package-level state of goose (registry, dialect, logger), so stores
	// opened side by side in one process do not interfere.
	p, err := goose.NewProvider(goose.DialectSQLite3, db.write, sources,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	known := int64(0)
	for _, s := range p.ListSources() {
		known = max(known, s.Version)
	}
	if err := db.checkSchema(ctx, known); err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// checkSchema adopts a legacy database and refuses one newer than known, in one transaction
// (IMMEDIATE, on the write pool, so another process opening the same file waits for it).
func (db *DB) checkSchema(ctx context.Context, known int64) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("check schema version: %w", err)
	}
	defer tx.Rollback()
	hasGoose, err := tableExists(ctx, tx, gooseTable)
	if err != nil {
		return err
	}
	if !hasGoose {
		hasLegacy, err := tableExists(ctx, tx, legacyTable)
		if err != nil || !hasLegacy {
			return err // a new database: goose creates its table
		}
		if err := adoptLegacy(ctx, tx); err != nil {
			return err
		}
	}
	var current int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+gooseTable).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > known {
		return fmt.Errorf("database schema version %d is newer than this Warden knows (%d): upgrade Warden", current, known)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("check schema version: %w", err)
	}
	return nil
}

// adoptLegacy creates goose's table, as goose does (with its version 0 row), and records in it
// the migrations the legacy table lists, with the times they were applied, so that goose runs
// only what is still pending. The legacy table stays, untouched, for an older Warden.
func adoptLegacy(ctx context.Context, tx *sql.Tx) error {
	store, err := database.NewStore(database.DialectSQLite3, gooseTable)
	if err != nil {
		return err
	}
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return fmt.Errorf("adopt schema_migrations: %w", err)
	}
	if err := store.Insert(ctx, tx, database.InsertRequest{Version: 0}); err != nil {
		return fmt.Errorf("adopt schema_migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+gooseTable+` (version_id, is_applied, tstamp)
		SELECT version, 1, datetime(applied, 'unixepoch') FROM `+legacyTable+` WHERE version > 0 ORDER BY version`); err != nil {
		return fmt.Errorf("adopt schema_migrations: %w", err)
	}
	return nil
}

// tableExists reports whether the database has a table named name.
func tableExists(ctx context.Context, tx *sql.Tx, name string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// formatError translates driver errors into warden errors: unique violations become
// ECONFLICT. Other errors pass through and are reported as internal.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &warden.Error{Code: warden.ENOTFOUND, Message: "not found", Err: err}
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY constraint failed") {
		return &warden.Error{Code: warden.ECONFLICT, Message: "already exists", Err: err}
	}
	return err
}
