package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/postgres"
	"github.com/wardenhq/warden/postgres/pgtest"
	"github.com/wardenhq/warden/storetest"
)

// knownVersion is the newest migration in postgres/migrations.
const knownVersion = 8

// mustOpen opens the store at url and closes it when the test ends.
func mustOpen(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// exec runs one statement on its own connection to the database at url.
func exec(t testing.TB, url, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pgtest.Exec(ctx, url, sql, args...); err != nil {
		t.Fatal(err)
	}
}

// queryInts runs a query returning one integer column on its own connection to url.
func queryInts(t testing.TB, url, sql string, args ...any) []int64 {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// terminate ends the backends of the database at url whose application_name is app, from a
// connection to the server's own database (so it works while the database refuses new
// connections), and waits until they are gone. It returns how many it ended.
func terminate(t testing.TB, url, app string) int {
	t.Helper()
	// pg_terminate_backend is in the select list, not the WHERE clause, where the planner
	// might call it before the other conditions and end unrelated backends.
	ended := queryInts(t, pgtest.URL(t), `SELECT pg_terminate_backend(pid, 5000)::int FROM pg_stat_activity
		WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()`, dbName(t, url), app)
	n := 0
	for _, ok := range ended {
		n += int(ok)
	}
	return n
}

func TestDB_Contract(t *testing.T) {
	t.Parallel()
	pgtest.URL(t) // skip once here rather than in each subtest
	storetest.Run(t, func(t *testing.T) warden.Store {
		return mustOpen(t, pgtest.NewDatabase(t))
	})
}

func TestMigrations_Versions(t *testing.T) {
	t.Parallel()
	// The files are numbered 1..knownVersion, and a fresh database ends at knownVersion.
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != knownVersion {
		t.Fatalf("migration files %q, want %d", names, knownVersion)
	}
	for i, name := range names {
		if want := fmt.Sprintf("%04d_", i+1); !strings.HasPrefix(filepath.Base(name), want) {
			t.Errorf("migration %s: want the prefix %s", name, want)
		}
	}
	db := mustOpen(t, pgtest.NewDatabase(t))
	v, err := db.SchemaVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v != knownVersion {
		t.Fatalf("SchemaVersion=%d, want %d", v, knownVersion)
	}
}

// countingHandler counts log records whose message contains substr.
type countingHandler struct {
	slog.Handler
	substr string
	n      *atomic.Int32
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.substr) {
		h.n.Add(1)
	}
	return nil
}

// Instances starting together on a fresh database migrate it exactly once.
func TestOpen_ConcurrentMigratesOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	var applied atomic.Int32
	logger := slog.New(countingHandler{Handler: slog.DiscardHandler, substr: "applied migration", n: &applied})
	const instances = 5
	dbs := make([]*postgres.DB, instances)
	errs := make([]error, instances)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = postgres.Open(t.Context(), url, logger)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	if got, want := int(applied.Load()), knownVersion; got != want {
		t.Errorf("%d migrations applied in all, want %d (each once)", got, want)
	}
	versions := queryInts(t, url, "SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id")
	if len(versions) != knownVersion {
		t.Fatalf("goose_db_version versions=%v, want 1..%d once each", versions, knownVersion)
	}
	for i, v := range versions {
		if v != int64(i+1) {
			t.Fatalf("goose_db_version versions=%v, want 1..%d once each", versions, knownVersion)
		}
	}
	// Every instance works.
	for i, db := range dbs {
		name := fmt.Sprintf("Org %d", i)
		if err := db.Update(t.Context(), func(tx warden.Tx) error {
			return tx.CreateOrg(t.Context(), &warden.Org{Name: name, Created: time.Now(), Updated: time.Now()})
		}); err != nil {
			t.Fatalf("instance %d: CreateOrg: %v", i, err)
		}
	}
}

func TestOpen_Reopen(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	if err := db.Update(t.Context(), func(tx warden.Tx) error {
		return tx.CreateOrg(t.Context(), &warden.Org{Name: "Acme", Created: time.Now(), Updated: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var applied atomic.Int32
	logger := slog.New(countingHandler{Handler: slog.DiscardHandler, substr: "applied migration", n: &applied})
	db, err := postgres.Open(t.Context(), url, logger)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer db.Close()
	if n := applied.Load(); n != 0 {
		t.Fatalf("reopening applied %d migrations, want 0", n)
	}
	err = db.View(t.Context(), func(tx warden.Tx) error { _, err := tx.FindOrgByName(t.Context(), "Acme"); return err })
	if err != nil {
		t.Fatalf("data after reopening: %v", err)
	}
}

// A database migrated by a newer Warden is refused, with both versions in the message.
func TestOpen_RefusesNewerSchema(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	mustOpen(t, url).Close()
	exec(t, url, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, true)")
	db, err := postgres.Open(t.Context(), url, nil)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database with schema version 99: no error")
	}
	for _, want := range []string{"99", fmt.Sprint(knownVersion), "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not mention %q", err, want)
		}
	}
}

// The store needs no superuser: a role that owns its database and has no other privilege
// migrates it and uses every feature.
func TestOpen_OrdinaryRole(t *testing.T) {
	t.Parallel()
	admin := pgtest.URL(t)
	role := fmt.Sprintf("warden_test_role_%d", time.Now().UnixNano())
	exec(t, admin, "CREATE ROLE "+role+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
	t.Cleanup(func() { exec(t, admin, "DROP ROLE IF EXISTS "+role) })
	url := pgtest.NewDatabase(t) // dropped before the role
	exec(t, url, "ALTER DATABASE "+pgx.Identifier{dbName(t, url)}.Sanitize()+" OWNER TO "+role)
	roleURL, err := pgtest.WithUser(url, role)
	if err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, roleURL)
	ctx := t.Context()
	err = db.Exclusive(ctx, func(ctx context.Context) error {
		return db.Update(ctx, func(tx warden.Tx) error {
			return tx.CreateOrg(ctx, &warden.Org{Name: "Acme", Created: time.Now(), Updated: time.Now()})
		})
	})
	if err != nil {
		t.Fatalf("Exclusive + Update as an ordinary role: %v", err)
	}
	if err := db.Notify(ctx, "chan", "x"); err != nil {
		t.Fatalf("Notify as an ordinary role: %v", err)
	}
	owner := queryInts(t, roleURL, "SELECT COUNT(*) FROM pg_tables WHERE tableowner = current_user AND tablename = 'users'")
	if owner[0] != 1 {
		t.Fatal("the users table is not owned by the ordinary role")
	}
}

// dbName returns the database name of a URL.
func dbName(t testing.TB, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// Exclusive admits one function at a time across instances, so concurrent first starts
// bootstrap once.
func TestExclusive(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	const instances = 3
	dbs := make([]*postgres.DB, instances)
	for i := range dbs {
		dbs[i] = mustOpen(t, url)
	}
	var inside, most, created atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range instances * 2 {
		db := dbs[i%instances]
		wg.Go(func() {
			<-start
			err := db.Exclusive(t.Context(), func(ctx context.Context) error {
				n := inside.Add(1)
				defer inside.Add(-1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				// Bootstrap as the server does it: create org 1 and the admin if there is no org.
				return db.Update(ctx, func(tx warden.Tx) error {
					orgs, err := tx.FindOrgs(ctx, warden.OrgFilter{Limit: 1})
					if err != nil || len(orgs) > 0 {
						return err
					}
					now := time.Now()
					org := &warden.Org{Name: "Main Org.", Created: now, Updated: now}
					if err := tx.CreateOrg(ctx, org); err != nil {
						return err
					}
					if err := tx.CreateUser(ctx, &warden.User{UID: "admin", Login: "admin", Email: "admin",
						IsAdmin: true, OrgID: org.ID, Created: now, Updated: now}); err != nil {
						return err
					}
					created.Add(1)
					return nil
				})
			})
			if err != nil {
				t.Errorf("Exclusive: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if m := most.Load(); m != 1 {
		t.Errorf("%d functions ran at once under Exclusive, want 1", m)
	}
	if n := created.Load(); n != 1 {
		t.Errorf("bootstrap created %d times, want 1", n)
	}

	// fn's error comes back.
	boom := errors.New("boom")
	if err := dbs[0].Exclusive(t.Context(), func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Exclusive=%v, want fn's error", err)
	}

	// A caller that gives up waiting gets an error, and the lock is not left taken.
	held, release := make(chan struct{}), make(chan struct{})
	go dbs[0].Exclusive(context.Background(), func(context.Context) error {
		close(held)
		<-release
		return nil
	})
	<-held
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	err := dbs[1].Exclusive(ctx, func(context.Context) error { return nil })
	cancel()
	if err == nil {
		t.Fatal("Exclusive while another instance holds the lock returned before its context ended")
	}
	close(release)
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := dbs[1].Exclusive(ctx, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("Exclusive after the holder let go: %v", err)
	}
}

// Two transactions that each read what the other writes cannot both commit under
// SERIALIZABLE; Update runs the loser again, which then sees the winner's write, as it would
// have on SQLite's single writer.
func TestUpdate_RetriesSerializationFailure(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, pgtest.NewDatabase(t))
	ctx := t.Context()
	var attempts atomic.Int32
	var firstReads sync.WaitGroup
	firstReads.Add(2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			first := true
			errs[i] = db.Update(ctx, func(tx warden.Tx) error {
				attempts.Add(1)
				orgs, err := tx.FindOrgs(ctx, warden.OrgFilter{})
				if err != nil {
					return err
				}
				if first {
					// Both first attempts read before either writes.
					first = false
					firstReads.Done()
					firstReads.Wait()
				}
				if len(orgs) > 0 {
					return nil // someone else created the one org
				}
				return tx.CreateOrg(ctx, &warden.Org{Name: fmt.Sprintf("Org %d", i), Created: time.Now(), Updated: time.Now()})
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Update #%d: %v", i, err)
		}
	}
	var n int
	if err := db.View(ctx, func(tx warden.Tx) error {
		orgs, err := tx.FindOrgs(ctx, warden.OrgFilter{})
		n = len(orgs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d orgs, want 1: the write skew was not prevented", n)
	}
	if a := attempts.Load(); a < 3 {
		t.Fatalf("%d attempts, want at least 3 (one retried)", a)
	}
}

// A connection that the server ends makes the store report EUNAVAILABLE (HTTP 503), not a
// panic or an internal error, and the next call works on a new connection.
func TestDB_ConnectionLoss(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	ctx := t.Context()
	mkOrg := func(name string) error {
		return db.Update(ctx, func(tx warden.Tx) error {
			return tx.CreateOrg(ctx, &warden.Org{Name: name, Created: time.Now(), Updated: time.Now()})
		})
	}
	if err := mkOrg("Acme"); err != nil {
		t.Fatal(err)
	}

	t.Run("InTransaction", func(t *testing.T) {
		err := db.View(ctx, func(tx warden.Tx) error {
			if _, err := tx.FindOrgByName(ctx, "Acme"); err != nil {
				return err
			}
			if n := terminate(t, url, postgres.ApplicationName); n == 0 {
				return errors.New("no backend to terminate")
			}
			_, err := tx.FindOrgByName(ctx, "Acme")
			return err
		})
		if got := warden.ErrorCode(err); got != warden.EUNAVAILABLE {
			t.Fatalf("View whose connection was ended: ErrorCode=%q (err %v), want %q", got, err, warden.EUNAVAILABLE)
		}
		if err := mkOrg("After1"); err != nil {
			t.Fatalf("Update after the connection loss: %v", err)
		}
	})

	t.Run("IdleConnections", func(t *testing.T) {
		// Fill the pool with idle connections, then end them all.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { db.Ping(ctx) })
		}
		wg.Wait()
		terminate(t, url, postgres.ApplicationName)
		for i := range 3 {
			err := db.View(ctx, func(tx warden.Tx) error { _, err := tx.FindOrgByName(ctx, "Acme"); return err })
			if err != nil && warden.ErrorCode(err) != warden.EUNAVAILABLE {
				t.Fatalf("View #%d after ending idle connections: %v, want success or EUNAVAILABLE", i, err)
			}
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping after ending idle connections: %v", err)
		}
		if err := mkOrg("After2"); err != nil {
			t.Fatalf("Update after ending idle connections: %v", err)
		}
	})

	t.Run("ClosedPool", func(t *testing.T) {
		closed := mustOpen(t, url)
		closed.Close()
		err := closed.View(ctx, func(tx warden.Tx) error { _, err := tx.FindOrgByName(ctx, "Acme"); return err })
		if got := warden.ErrorCode(err); got != warden.EUNAVAILABLE {
			t.Fatalf("View on a closed store: ErrorCode=%q (err %v), want %q", got, err, warden.EUNAVAILABLE)
		}
		if err := closed.Ping(ctx); err == nil {
			t.Fatal("Ping on a closed store: no error")
		}
	})
}

// A server that cannot be reached is EUNAVAILABLE.
func TestOpen_Unreachable(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:1/nope?sslmode=disable&connect_timeout=2", nil)
	if err == nil {
		db.Close()
		t.Fatal("Open of an unreachable server: no error")
	}
	if got := warden.ErrorCode(err); got != warden.EUNAVAILABLE {
		t.Fatalf("Open of an unreachable server: ErrorCode=%q (err %v), want %q", got, err, warden.EUNAVAILABLE)
	}
}

func TestNow(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, pgtest.NewDatabase(t))
	now, err := db.Now(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(now); d < -time.Minute || d > time.Minute {
		t.Fatalf("Now=%v, %v away from this machine's clock", now, d)
	}
}

// listener records what Listen reports.
type listener struct {
	payloads chan string
	states   chan bool
}

func startListen(t *testing.T, db *postgres.DB, channel string) (*listener, func() error) {
	t.Helper()
	l := &listener{payloads: make(chan string, 100), states: make(chan bool, 100)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- db.Listen(ctx, channel, func(p string) { l.payloads <- p }, func(on bool) { l.states <- on })
	}()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Error("Listen did not return after its context ended")
			return nil
		}
	})
	t.Cleanup(func() { stop() })
	return l, stop
}

func (l *listener) wantState(t *testing.T, want bool) {
	t.Helper()
	select {
	case got := <-l.states:
		if got != want {
			t.Fatalf("onState(%v), want onState(%v)", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no onState(%v) within 10s", want)
	}
}

func (l *listener) wantPayload(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-l.payloads:
		if got != want {
			t.Fatalf("onNotify(%q), want onNotify(%q)", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no onNotify(%q) within 10s", want)
	}
}

func TestListen(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	ctx := t.Context()
	// Case and punctuation survive: LISTEN quotes the name as pg_notify uses it.
	const channel = "Warden.cache-invalidate"
	l, stop := startListen(t, db, channel)
	l.wantState(t, true)

	if err := db.Notify(ctx, channel, "one"); err != nil {
		t.Fatal(err)
	}
	l.wantPayload(t, "one")
	if err := db.Notify(ctx, "other", "not for us"); err != nil {
		t.Fatal(err)
	}
	if err := db.Notify(ctx, channel, "two"); err != nil {
		t.Fatal(err)
	}
	l.wantPayload(t, "two")

	// The server ends the listener's connection: it says so, reconnects and listens again.
	if n := terminate(t, url, postgres.ListenerApplicationName); n != 1 {
		t.Fatalf("terminated %d listener backends, want 1", n)
	}
	l.wantState(t, false)
	l.wantState(t, true)
	if err := db.Notify(ctx, channel, "three"); err != nil {
		t.Fatal(err)
	}
	l.wantPayload(t, "three")

	if err := stop(); err != nil {
		t.Fatalf("Listen=%v after its context ended, want nil", err)
	}
	l.wantState(t, false)
	if n := len(l.payloads); n != 0 {
		t.Fatalf("%d unexpected payloads", n)
	}
}

// While the server refuses connections, Listen keeps trying, and listens once it can.
func TestListen_ReconnectsAfterRefusals(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	ctx := t.Context()
	l, _ := startListen(t, db, "c")
	l.wantState(t, true)
	// Refuse new connections to this database for a while, then end the listener's.
	name := pgx.Identifier{dbName(t, url)}.Sanitize()
	admin := pgtest.URL(t)
	exec(t, admin, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false")
	t.Cleanup(func() { exec(t, admin, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS true") })
	terminate(t, url, postgres.ListenerApplicationName)
	l.wantState(t, false)
	time.Sleep(700 * time.Millisecond) // a few refused attempts
	exec(t, admin, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS true")
	l.wantState(t, true)
	if err := db.Notify(ctx, "c", "back"); err != nil {
		t.Fatal(err)
	}
	l.wantPayload(t, "back")
}

func TestListen_BadArguments(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, pgtest.NewDatabase(t))
	if err := db.Listen(t.Context(), "", func(string) {}, nil); err == nil {
		t.Error("Listen with an empty channel: no error")
	}
	if err := db.Listen(t.Context(), "c", nil, nil); err == nil {
		t.Error("Listen with a nil onNotify: no error")
	}
}
