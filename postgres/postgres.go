// Package postgres implements warden.Store on PostgreSQL, for running several Warden instances
// against one database. It passes the same contract suite (storetest) as the SQLite store and
// keeps the same semantics: times in whole Unix seconds, byte-order sorting, ASCII-only case
// folding, the same error codes and messages.
//
// Besides the store it offers what several instances need to agree: an advisory lock
// (Exclusive), LISTEN/NOTIFY for cache invalidation (Listen, Notify) and the database's clock
// (Now).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
	"github.com/wardenhq/warden"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// LockKey is the key of the session-level advisory lock (pg_advisory_lock) under which
// migrations and Exclusive run. It is fixed so that every instance of every version takes the
// same lock; the value spells "warden" in ASCII.
const LockKey int64 = 0x77617264656e

// Application names set on the connections Warden opens, so that pg_stat_activity tells them
// apart. The pool uses ApplicationName unless the URL sets application_name itself.
const (
	ApplicationName         = "warden"
	LockApplicationName     = "warden-lock"
	ListenerApplicationName = "warden-listener"
	MigrateApplicationName  = "warden-migrate"
)

// Transactions that fail with a serialization failure or a deadlock are run again, up to
// maxAttempts times in all, after a short randomised pause that doubles from retryBaseDelay up
// to retryMaxDelay.
const (
	maxAttempts    = 8
	retryBaseDelay = 5 * time.Millisecond
	retryMaxDelay  = 200 * time.Millisecond
)

// DB is a warden.Store over a PostgreSQL database, through a pgxpool connection pool.
//
// Update runs its callback in a SERIALIZABLE transaction, so concurrent writers behave as if
// they ran one after another, as they do on SQLite's single writer; the rare serialization
// failure is handled by running the callback again. View runs in a REPEATABLE READ READ ONLY
// transaction: one consistent snapshot.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger

	// listenCheck is how long Listen waits in silence before it pings its connection (with the
	// same timeout), so that a connection that died without a word is noticed within twice
	// that: the bound on how long an instance can miss other instances' changes unawares.
	listenCheck time.Duration
	// listenPing, when not zero, is the ping's timeout instead of listenCheck (tests set it).
	listenPing time.Duration
}

var _ warden.Store = (*DB)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value DSN, as pgx accepts),
// and applies pending migrations under the advisory lock LockKey, so that instances starting
// together migrate once. It refuses a database whose schema is newer than this binary knows.
// A nil logger discards logs.
//
// The database must exist; the user needs only the right to create tables in it (no
// superuser).
func Open(ctx context.Context, url string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = ApplicationName
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := &DB{pool: pool, logger: logger, listenCheck: 500 * time.Millisecond}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool, waiting for connections in use to be returned. Calls after Close
// fail with EUNAVAILABLE.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.withConn(ctx, "ping", func(conn *pgx.Conn) error { return conn.Ping(ctx) })
}

// Update runs fn in a read-write SERIALIZABLE transaction, committing when fn returns nil and
// rolling back otherwise. When the transaction fails with a serialization failure or a
// deadlock, Update rolls it back and runs fn again in a new one, so fn must be safe to run
// more than once: it should set, not accumulate, what it captures.
//
// After a statement fails, PostgreSQL refuses every further statement of the transaction:
// fn should return the error, not carry on.
func (db *DB) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return db.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite}, fn)
}

// View runs fn in a REPEATABLE READ READ ONLY transaction: one consistent snapshot, in which
// writes fail.
func (db *DB) View(ctx context.Context, fn func(warden.Tx) error) error {
	return db.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// run runs fn in a transaction with opts, again while it fails in a way that a new attempt can
// cure.
func (db *DB) run(ctx context.Context, opts pgx.TxOptions, fn func(warden.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err, again := db.runOnce(ctx, opts, fn)
		if !again || attempt == maxAttempts {
			return err
		}
		delay := min(retryBaseDelay<<(attempt-1), retryMaxDelay)
		delay = delay/2 + rand.N(delay/2+1)
		db.logger.DebugContext(ctx, "postgres: retrying transaction", "attempt", attempt+1, "delay", delay, "err", err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}

// runOnce runs fn in one transaction and reports whether a new attempt may succeed where this
// one failed.
func (db *DB) runOnce(ctx context.Context, opts pgx.TxOptions, fn func(warden.Tx) error) (err error, again bool) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return acquireError(ctx, "begin", err), false
	}
	defer conn.Release()
	ptx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		// BEGIN changes nothing, so when the pooled connection turned out to be dead (the
		// server restarted, an administrator ended it), a fresh one can be tried at once.
		return translate(ctx, "begin", err, conn.Conn()), conn.Conn().IsClosed() && ctx.Err() == nil
	}
	// A rollback after a commit does nothing; after a failure it ends the transaction, or, when
	// it fails, pgx closes the connection and the pool drops it.
	defer ptx.Rollback(ctx)
	tx := &Tx{tx: ptx}
	if err := fn(tx); err != nil {
		return err, retryable(err) || retryable(tx.err)
	}
	if err := ptx.Commit(ctx); err != nil {
		// A commit whose connection broke may or may not have happened: it is not retried.
		return translate(ctx, "commit", err, conn.Conn()), retryable(err)
	}
	return nil, false
}

// withConn runs fn on a pooled connection and translates its error.
func (db *DB) withConn(ctx context.Context, op string, fn func(conn *pgx.Conn) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return acquireError(ctx, op, err)
	}
	defer conn.Release()
	return translate(ctx, op, fn(conn.Conn()), conn.Conn())
}

// SchemaVersion returns the newest applied migration: the highest version goose recorded.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int64
	err := db.withConn(ctx, "read schema version", func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+gooseTable).Scan(&v)
	})
	return int(v), err
}

// Exclusive runs fn while holding the advisory lock LockKey on a dedicated connection, so that
// among all instances sharing the database only one runs such a function at a time (and none
// while another migrates). The server bootstraps under it, so that instances starting together
// create org 1 and the admin once. fn uses the store as usual; it must not call Exclusive
// itself, which would wait for ever.
func (db *DB) Exclusive(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.locked(ctx, func(*pgx.Conn) error { return fn(ctx) })
}

// locked runs fn with a new direct connection (not from the pool, so a full pool cannot starve
// it) that holds the advisory lock LockKey. The lock goes with the connection, which is closed
// at the end whatever happens, so it is never left held.
func (db *DB) locked(ctx context.Context, fn func(conn *pgx.Conn) error) error {
	cfg := db.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = LockApplicationName
	// Waiting for the lock blocks in the server: when ctx ends, ask the server to cancel the
	// wait, so that the backend does not take the lock after we gave up.
	cfg.BuildContextWatcherHandler = func(pgConn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pgConn, DeadlineDelay: time.Second}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return translate(ctx, "lock: connect", err, nil)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", LockKey); err != nil {
		return translate(ctx, "lock", err, conn)
	}
	if err := fn(conn); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", LockKey); err != nil {
		return translate(ctx, "unlock", err, conn)
	}
	return nil
}

// The tables that record applied migrations: goose's, and the one of the migrator Warden had
// before it (version BIGINT PRIMARY KEY, applied BIGINT Unix seconds), which a database made by
// an older Warden has instead.
const (
	gooseTable  = goose.DefaultTablename // goose_db_version
	legacyTable = "schema_migrations"
)

// migrate applies the embedded migrations with goose, each in its own transaction together with
// its row in goose's table, and refuses a database whose schema is newer than this binary
// knows. Migrations only add (tables, columns, indexes), so an older instance still running
// beside a newer one keeps working.
//
// The whole of it runs under the advisory lock LockKey, as Exclusive does: instances starting
// together migrate one after the other (the later ones find nothing pending), and no Exclusive
// function runs while the schema changes. Inside it, goose takes its own session lock,
// lock.DefaultLockID (crc32 of "goose", 4097083626; LockKey spells "warden", 0x77617264656e):
// a different key, so the two never meet on one lock. It cannot deadlock: Warden takes goose's
// lock only while holding LockKey, never the other way round, and goose only tries its lock
// (pg_try_advisory_lock, again every second, for at most five minutes), never waits in the
// server. The one holder of goose's lock that is not inside LockKey is the goose command run
// by hand, which a starting Warden then waits for.
func (db *DB) migrate(ctx context.Context) error {
	sources, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	return db.locked(ctx, func(*pgx.Conn) error {
		// goose works on database/sql: a pool of its own through pgx's driver, with direct
		// connections (not from the store's pool, so that a session lock can never be left on
		// a pooled connection), closed when the migration ends.
		cfg := db.pool.Config().ConnConfig
		cfg.RuntimeParams["application_name"] = MigrateApplicationName
		cfg.BuildContextWatcherHandler = func(pgConn *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: pgConn, DeadlineDelay: time.Second}
		}
		sqlDB := stdlib.OpenDB(*cfg)
		defer sqlDB.Close()
		// The provider uses no package-level state of goose (registry, dialect, logger), so
		// stores opened side by side in one process do not interfere.
		p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sources,
			goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true),
			goose.WithLogger(goose.NopLogger()))
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		known := int64(0)
		for _, s := range p.ListSources() {
			known = max(known, s.Version)
		}
		if err := checkSchema(ctx, sqlDB, known); err != nil {
			return err
		}
		results, err := p.Up(ctx)
		var partial *goose.PartialError
		if errors.As(err, &partial) {
			results = partial.Applied
		}
		for _, r := range results {
			db.logger.InfoContext(ctx, "postgres: applied migration", "version", r.Source.Version, "name", path.Base(r.Source.Path))
		}
		if err != nil {
			return translate(ctx, "migrate", err, nil)
		}
		return nil
	})
}

// checkSchema adopts a legacy database and refuses one newer than known, in one transaction, so
// that a refused database is left as it was.
func checkSchema(ctx context.Context, sqlDB *sql.DB, known int64) error {
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return translate(ctx, "check schema version", err, nil)
	}
	defer tx.Rollback()
	var hasGoose, hasLegacy bool
	if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL",
		gooseTable, legacyTable).Scan(&hasGoose, &hasLegacy); err != nil {
		return translate(ctx, "check schema version", err, nil)
	}
	if !hasGoose {
		if !hasLegacy {
			return nil // a new database: goose creates its table
		}
		if err := adoptLegacy(ctx, tx); err != nil {
			return translate(ctx, "adopt "+legacyTable, err, nil)
		}
	}
	var current int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+gooseTable).Scan(&current); err != nil {
		return translate(ctx, "read schema version", err, nil)
	}
	if current > known {
		return fmt.Errorf("database schema version %d is newer than this Warden knows (%d): upgrade Warden", current, known)
	}
	return translate(ctx, "check schema version", tx.Commit(), nil)
}

// adoptLegacy creates goose's table, as goose does (with its version 0 row), and records in it
// the migrations the legacy table lists, with the times they were applied, so that goose runs
// only what is still pending. The legacy table stays, untouched, for an older Warden.
func adoptLegacy(ctx context.Context, tx *sql.Tx) error {
	store, err := database.NewStore(database.DialectPostgres, gooseTable)
	if err != nil {
		return err
	}
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	if err := store.Insert(ctx, tx, database.InsertRequest{Version: 0}); err != nil {
		return err
	}
	// goose's tstamp is a timestamp without time zone, set by now() in the session's zone.
	_, err = tx.ExecContext(ctx, `INSERT INTO `+gooseTable+` (version_id, is_applied, tstamp)
		SELECT version, true, to_timestamp(applied)::timestamp FROM `+legacyTable+` WHERE version > 0 ORDER BY version`)
	return err
}

// ---- errors ----

// PostgreSQL error codes (SQLSTATE) the store acts on.
const (
	codeUniqueViolation          = "23505"
	codeCharacterNotInRepertoire = "22021" // invalid UTF-8, or a NUL, in a text value
	codeUntranslatableCharacter  = "22P05"
	codeSerializationFailure     = "40001"
	codeDeadlockDetected         = "40P01"
	codeTooManyConnections       = "53300"
	codeAdminShutdown            = "57P01"
	codeCrashShutdown            = "57P02"
	codeCannotConnectNow         = "57P03"
)

// translate turns an error from the driver into Warden's terms, as the SQLite store does: a
// missing row is ENOTFOUND, a unique violation ECONFLICT ("already exists"), text the database
// cannot store EINVALID, and a database
// that cannot be reached or went away EUNAVAILABLE, so that the HTTP layer answers 503. Any
// other error is wrapped with op and reported as internal. conn, when not nil, is the
// connection the error came from: an error that left it closed means the server is gone,
// unless ctx ended (the caller gave up, which closes the connection too).
func translate(ctx context.Context, op string, err error, conn *pgx.Conn) error {
	if err == nil {
		return nil
	}
	var we *warden.Error
	if errors.As(err, &we) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &warden.Error{Code: warden.ENOTFOUND, Message: "not found", Op: op, Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return &warden.Error{Code: warden.ECONFLICT, Message: "already exists", Op: op, Err: err}
	}
	if errors.As(err, &pe) && (pe.Code == codeCharacterNotInRepertoire || pe.Code == codeUntranslatableCharacter) {
		// Text PostgreSQL cannot hold (SQLite can): the client's input, not a fault here. The
		// HTTP layer refuses such paths and bodies before they get this far; this is the net.
		return &warden.Error{Code: warden.EINVALID, Message: "Bad request data", Op: op, Err: err}
	}
	if ctx.Err() == nil && (unavailable(err) || conn != nil && conn.IsClosed()) {
		return &warden.Error{Code: warden.EUNAVAILABLE, Message: "database unavailable", Op: op, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// acquireError translates a failure to get a connection from the pool: the server cannot be
// reached, the pool is closed, or no connection came free before ctx's deadline. All mean the
// database is unavailable, except a caller that cancelled ctx.
func acquireError(ctx context.Context, op string, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &warden.Error{Code: warden.EUNAVAILABLE, Message: "database unavailable", Op: op, Err: err}
}

// unavailable reports whether err says the server cannot be reached or is going away.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeTooManyConnections, codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow:
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection exception
	}
	return false
}

// retryable reports whether err is a serialization failure or a deadlock: the transaction lost
// a race and a new attempt may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected)
}
