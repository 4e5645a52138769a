package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to inspect the PostgreSQL database
	"github.com/wardenhq/warden/postgres/pgtest"
	_ "modernc.org/sqlite" // the "sqlite" driver, to inspect the SQLite file
)

// TestCrash_SIGKILLMidStream runs Warden as a real process, creates tokens from several
// goroutines, kills the process with SIGKILL while creates are in flight, restarts it on the
// same data and checks that nothing acknowledged was lost and nothing half-written remains:
//
//   - every token whose create answered 200 authenticates, as its own service account, and is
//     listed under that account;
//   - a create that got no answer is either fully there (listed under its account, its name
//     taken, its audit entry written) or fully absent (its name free again);
//   - the database has no token without its account, org or membership, no membership
//     without its user or org, no token without its audit entry and vice versa; on SQLite
//     PRAGMA integrity_check and foreign_key_check pass, on the crash image too.
//
// Each kill lands at another point of the stream, so each kill is another chance to catch a
// half-written create. The default suite kills once per database; WARDEN_TEST_CRASH_KILLS
// asks for more (.ci/run's crash stage runs 5 per database). The databases run side by side,
// the kills of one database one after another.
func TestCrash_SIGKILLMidStream(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it runs on SQLite and PostgreSQL in every stage, with processes of its own")
	bin := wardenBinary(t)
	kills := crashKills(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		for i := range kills {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				crashRun(t, bin, func(*testing.T) ([]string, string) { return nil, "" })
			})
		}
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		for i := range kills {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				crashRun(t, bin, func(t *testing.T) ([]string, string) {
					dbURL := pgtest.NewDatabase(t) // dropped after the processes' cleanups
					return []string{"WARDEN_DATABASE_TYPE=postgres", "WARDEN_DATABASE_URL=" + dbURL}, dbURL
				})
			})
		}
	})
}

// envCrashKills names the environment variable giving the number of kills per database
// (default 1).
const envCrashKills = "WARDEN_TEST_CRASH_KILLS"

// crashKills returns the number of kills per database that envCrashKills asks for.
func crashKills(t *testing.T) int {
	t.Helper()
	v := os.Getenv(envCrashKills)
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s = %q, want a positive number of kills", envCrashKills, v)
	}
	return n
}

const (
	crashWorkers  = 8               // goroutines creating tokens
	crashAckGoal  = 50              // kill once this many creates were acknowledged…
	crashKillWait = 1 * time.Second // …or after this long, whichever comes first
	crashTargets  = 3               // service accounts receiving the tokens
)

// crashAttempt is one token create sent before the kill.
type crashAttempt struct {
	name   string
	saID   int64
	status int    // 0: no complete answer (transport error or cut body)
	id     int64  // the token id, when status is 200
	key    string // the token, when status is 200
	err    error
}

// crashTries bounds the kills crashRun makes to land one mid-stream.
const crashTries = 5

// crashRun makes one kill mid-stream and checks what the restarted process finds. store
// returns the database of a first life (dbEnv for the process, and dbURL on PostgreSQL; nil
// and "" for SQLite in the data directory). A kill lands mid-stream when at least one create
// was cut off by it; when every create in flight had been answered by the moment the process
// died (a busy machine makes that likelier), the first life is repeated on fresh data, up to
// crashTries times.
func crashRun(t *testing.T, bin string, store func(t *testing.T) (dbEnv []string, dbURL string)) {
	start := time.Now()
	const password = "crash-admin-password"
	var (
		dbEnv   []string
		dbURL   string
		dataDir string
		life    crashLife
	)
	for try := 1; ; try++ {
		dbEnv, dbURL = store(t)
		dataDir = filepath.Join(t.TempDir(), "data")
		life = crashFirstLife(t, bin, dataDir, password, dbEnv)
		if len(life.failed) > 0 {
			break
		}
		if try == crashTries {
			t.Fatalf("no create was cut off by any of %d kills: no kill landed mid-stream", crashTries)
		}
		t.Logf("kill %d: no create was cut off (the kill was not mid-stream); killing again on fresh data", try)
	}

	ok, failed, admin, adminSA, targets := life.ok, life.failed, life.admin, life.adminSA, life.targets

	// The crash image itself (SQLite): consistent before anything recovers it.
	if dbURL == "" {
		crashCheckImage(t, dataDir, ok)
	}

	// Second life on the same data.
	restart := time.Now()
	p2 := crashStart(t, bin, dataDir, password, dbEnv)
	t.Logf("restarted: healthy after %v", time.Since(restart).Round(time.Millisecond))

	// Every acknowledged token authenticates, as its own account.
	var vwg sync.WaitGroup
	work := make(chan *crashAttempt)
	for range crashWorkers {
		vwg.Go(func() {
			for a := range work {
				r, err := p2.do("GET", "/api/org", miBearer(a.key), nil)
				if err != nil || r.status != 200 {
					t.Errorf("acknowledged token %s (id %d) of account %d: GET /api/org: %v", a.name, a.id, a.saID, crashDescribe(r, err))
					continue
				}
				r, err = p2.do("GET", "/api/user", miBearer(a.key), nil)
				// As in Grafana, a service account's /api/user has id 0 and uid
				// "service-account:<id>".
				var u struct {
					UID string `json:"uid"`
				}
				if err != nil || r.status != 200 || json.Unmarshal(r.body, &u) != nil || u.UID != fmt.Sprintf("service-account:%d", a.saID) {
					t.Errorf("acknowledged token %s: GET /api/user: %v, want account %d", a.name, crashDescribe(r, err), a.saID)
				}
			}
		})
	}
	for _, a := range ok {
		work <- a
	}
	close(work)
	vwg.Wait()

	// The token lists: each acknowledged token under its account; each cut-off create either
	// under its account or nowhere; nothing else.
	type listed struct {
		sa int64
		id int64
	}
	where := map[string][]listed{}
	for _, sa := range append([]int64{adminSA}, targets...) {
		r := p2.expect(t, 200, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa), admin, nil)
		var toks []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(r.body, &toks); err != nil {
			t.Fatalf("token list of %d: %v: %s", sa, err, r.body)
		}
		for _, tk := range toks {
			where[tk.Name] = append(where[tk.Name], listed{sa, tk.ID})
		}
		r = p2.expect(t, 200, "GET", fmt.Sprintf("/api/serviceaccounts/%d", sa), admin, nil)
		var acc struct {
			Tokens int `json:"tokens"`
		}
		if err := json.Unmarshal(r.body, &acc); err != nil || acc.Tokens != len(toks) {
			t.Errorf("account %d: tokens = %d (%v), but its list holds %d", sa, acc.Tokens, err, len(toks))
		}
	}
	sent := map[string]bool{"crash-admin-token": true}
	for _, a := range append(append([]*crashAttempt(nil), ok...), failed...) { // every attempt
		sent[a.name] = true
	}
	for name, l := range where {
		if !sent[name] {
			t.Errorf("token %q is listed (%v) but was never created", name, l)
		}
		if len(l) != 1 {
			t.Errorf("token %q listed %d times: %v", name, len(l), l)
		}
	}
	for _, a := range ok {
		l := where[a.name]
		if len(l) != 1 || l[0].sa != a.saID || l[0].id != a.id {
			t.Errorf("LOST: acknowledged token %s (id %d) of account %d is listed as %v", a.name, a.id, a.saID, l)
		}
	}
	var present, absent int
	for _, a := range failed {
		l := where[a.name]
		retry, err := p2.do("POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", a.saID), admin, map[string]any{"name": a.name})
		if err != nil {
			t.Fatalf("re-create %s: %v", a.name, err)
		}
		switch {
		case len(l) == 0:
			absent++
			// Fully absent: the name is free.
			if retry.status != 200 {
				t.Errorf("cut-off create %s is not listed, yet its name is taken: %d %s", a.name, retry.status, retry.body)
			}
		case len(l) == 1 && l[0].sa == a.saID:
			present++
			// Fully present: the name is taken.
			if retry.status != 400 || !strings.Contains(string(retry.body), "already exists") {
				t.Errorf("cut-off create %s is listed, yet re-creating it answers %d %s", a.name, retry.status, retry.body)
			}
		default:
			t.Errorf("cut-off create %s of account %d is listed as %v", a.name, a.saID, l)
		}
	}
	t.Logf("after the restart: %d acknowledged tokens authenticate; of %d cut-off creates %d committed, %d absent",
		len(ok), len(failed), present, absent)

	// The database.
	if dbURL == "" {
		stopStart := time.Now()
		p2.stop(t) // the file is inspected without a writer
		t.Logf("restarted process stopped (SIGTERM) in %v", time.Since(stopStart).Round(time.Millisecond))
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(5000)")
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "warden.db")+"?"+q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		crashCheckSQLite(t, db, "after the restart")
		crashCheckOrphans(t, db, "after the restart")
		crashCheckAudit(t, db, len(ok)+present+absent+1)
	} else {
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		crashCheckOrphans(t, db, "after the restart")
		crashCheckAudit(t, db, len(ok)+present+absent+1)
		p2.stop(t)
	}
	t.Logf("subtest took %v", time.Since(start).Round(time.Millisecond))
}

// crashLife is what a first life left: the creates acknowledged and those that got no
// complete answer, and the accounts it set up.
type crashLife struct {
	ok, failed []*crashAttempt
	admin      func(*http.Request) // the Admin service account's token
	adminSA    int64
	targets    []int64
}

// crashFirstLife starts a process on fresh data, creates tokens from crashWorkers goroutines
// and kills it with SIGKILL while creates are in flight.
func crashFirstLife(t *testing.T, bin, dataDir, password string, dbEnv []string) crashLife {
	var ok, failed []*crashAttempt
	p1 := crashStart(t, bin, dataDir, password, dbEnv)
	adminSA := miCreateSA(t, p1, miBasic("admin", password), "crash-admin", "Admin")
	_, adminKey := miCreateToken(t, p1, miBasic("admin", password), adminSA, "crash-admin-token")
	admin := miBearer(adminKey)
	var targets []int64
	for i := range crashTargets {
		targets = append(targets, miCreateSA(t, p1, admin, fmt.Sprintf("crash-target-%d", i), "Viewer"))
	}

	var (
		mu        sync.Mutex
		attempts  []*crashAttempt
		acked     atomic.Int64
		inFlight  atomic.Int64
		killed    atomic.Bool
		earlyErrs atomic.Int64
		wg        sync.WaitGroup
	)
	for g := range crashWorkers {
		wg.Go(func() {
			for i := 0; !killed.Load(); i++ {
				a := &crashAttempt{name: fmt.Sprintf("crash-g%d-n%d", g, i), saID: targets[(g+i)%len(targets)]}
				inFlight.Add(1)
				r, err := p1.do("POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", a.saID), admin, map[string]any{"name": a.name})
				inFlight.Add(-1)
				if err != nil {
					a.err = err
				} else {
					a.status = r.status
					if r.status == 200 {
						var tok struct {
							ID  int64  `json:"id"`
							Key string `json:"key"`
						}
						if err := json.Unmarshal(r.body, &tok); err != nil || tok.ID == 0 || tok.Key == "" {
							t.Errorf("create %s: 200 with body %s", a.name, r.body)
						}
						a.id, a.key = tok.ID, tok.Key
						acked.Add(1)
					} else {
						t.Errorf("create %s: status %d, body %s", a.name, r.status, r.body)
					}
				}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				if err != nil {
					if !killed.Load() {
						earlyErrs.Add(1)
						t.Errorf("create %s failed before the kill: %v", a.name, err)
					}
					return // the process is gone
				}
			}
		})
	}
	streamStart := time.Now()
	for acked.Load() < crashAckGoal && time.Since(streamStart) < crashKillWait && !p1.hasExited() {
		time.Sleep(time.Millisecond)
	}
	ackedAtKill, inFlightAtKill := acked.Load(), inFlight.Load()
	killed.Store(true)
	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-p1.exited
	killedAfter := time.Since(streamStart)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	for _, a := range attempts {
		if a.status == 200 {
			ok = append(ok, a)
		} else {
			failed = append(failed, a)
		}
	}
	t.Logf("SIGKILL after %v: %d creates acknowledged at the kill (%d in all), %d in flight at the kill, %d attempts got no answer",
		killedAfter.Round(time.Millisecond), ackedAtKill, len(ok), inFlightAtKill, len(failed))
	if len(ok) == 0 {
		t.Fatalf("no token create was acknowledged before the kill")
	}
	if !p1.killedBySIGKILL() {
		t.Fatalf("the first process did not die of SIGKILL: %v", p1.waitErr)
	}
	return crashLife{ok: ok, failed: failed, admin: admin, adminSA: adminSA, targets: targets}
}

// crashCheckImage copies the SQLite files as the kill left them (the database and its WAL)
// and checks the copy, so that the image is checked before the restart recovers it.
func crashCheckImage(t *testing.T, dataDir string, ok []*crashAttempt) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"warden.db", "warden.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if errors.Is(err, os.ErrNotExist) && name != "warden.db" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	crashCheckSQLite(t, db, "crash image")
	crashCheckOrphans(t, db, "crash image")
	rows, err := db.Query("SELECT name, service_account_id FROM token")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	have := map[string]int64{}
	for rows.Next() {
		var name string
		var sa int64
		if err := rows.Scan(&name, &sa); err != nil {
			t.Fatal(err)
		}
		have[name] = sa
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, a := range ok {
		if sa, found := have[a.name]; !found || sa != a.saID {
			t.Errorf("crash image: LOST acknowledged token %s (id %d) of account %d", a.name, a.id, a.saID)
		}
	}
}

// crashCheckSQLite runs PRAGMA integrity_check and PRAGMA foreign_key_check.
func crashCheckSQLite(t *testing.T, db *sql.DB, when string) {
	t.Helper()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("%s: integrity_check: %v", when, err)
	}
	var msgs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, s)
	}
	rows.Close()
	if len(msgs) != 1 || msgs[0] != "ok" {
		t.Errorf("%s: PRAGMA integrity_check = %q, want ok", when, msgs)
	}
	rows, err = db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatalf("%s: foreign_key_check: %v", when, err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 0 {
		t.Errorf("%s: PRAGMA foreign_key_check reports %d violations", when, n)
	}
}

// crashCheckOrphans counts rows whose parents are missing; the queries run on both databases.
func crashCheckOrphans(t *testing.T, db *sql.DB, when string) {
	t.Helper()
	for what, q := range map[string]string{
		"tokens without their account": `SELECT COUNT(*) FROM token t LEFT JOIN users u ON u.id = t.service_account_id WHERE u.id IS NULL`,
		"tokens of a non-service account or of another org": `SELECT COUNT(*) FROM token t JOIN users u ON u.id = t.service_account_id
			WHERE u.is_service_account = FALSE OR u.org_id <> t.org_id`,
		"tokens without their org":                `SELECT COUNT(*) FROM token t LEFT JOIN org o ON o.id = t.org_id WHERE o.id IS NULL`,
		"tokens without their account's role row": `SELECT COUNT(*) FROM token t LEFT JOIN org_user ou ON ou.org_id = t.org_id AND ou.user_id = t.service_account_id WHERE ou.user_id IS NULL`,
		"org_user rows without their user":        `SELECT COUNT(*) FROM org_user ou LEFT JOIN users u ON u.id = ou.user_id WHERE u.id IS NULL`,
		"org_user rows without their org":         `SELECT COUNT(*) FROM org_user ou LEFT JOIN org o ON o.id = ou.org_id WHERE o.id IS NULL`,
		"service accounts without their role row": `SELECT COUNT(*) FROM users u LEFT JOIN org_user ou ON ou.org_id = u.org_id AND ou.user_id = u.id
			WHERE u.is_service_account = TRUE AND ou.user_id IS NULL`,
	} {
		var n int64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %s: %v", when, what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d %s", when, n, what)
		}
	}
}

// crashCheckAudit checks that token rows and their token.create audit entries were written
// together, and that there are want tokens.
func crashCheckAudit(t *testing.T, db *sql.DB, want int) {
	t.Helper()
	for what, q := range map[string]string{
		"tokens without a token.create audit entry": `SELECT COUNT(*) FROM token t WHERE NOT EXISTS (SELECT 1 FROM audit_log a
			WHERE a.action = 'token.create' AND a.target_type = 'token' AND a.target_id = CAST(t.id AS TEXT))`,
		"token.create audit entries without their token": `SELECT COUNT(*) FROM audit_log a WHERE a.action = 'token.create'
			AND a.outcome = 'success' AND NOT EXISTS (SELECT 1 FROM token t WHERE CAST(t.id AS TEXT) = a.target_id)`,
	} {
		var n int64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM token`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("%d token rows, want %d (acknowledged + committed cut-off + re-created + the admin's)", n, want)
	}
}

// ---------------------------------------------------------------------------------------------
// Processes and requests (prefixed crash: the package's test files share one namespace).

// crashStart runs `warden server` on dataDir (and the database dbEnv names) on a free port
// and waits until it answers /api/health with 200. Cleanup kills and reaps it and shows its
// stderr if the test failed.
func crashStart(t *testing.T, bin, dataDir, password string, dbEnv []string) *miInstance {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARDEN_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
		"WARDEN_SERVER_HTTP_PORT=0", // see listenAddr
		"WARDEN_PATHS_DATA="+dataDir,
		"WARDEN_SECURITY_ADMIN_PASSWORD="+password)
	env = append(env, dbEnv...)
	p := &miInstance{name: "warden", cmd: exec.Command(bin, "server"),
		stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Dir = filepath.Dir(dataDir)
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			out := p.stderr.String()
			if len(out) > 32<<10 {
				out = "…" + out[len(out)-32<<10:]
			}
			t.Logf("---- stderr of %s (pid %d) ----\n%s", p.url, p.cmd.Process.Pid, out)
		}
	})
	addr, err := listenAddr(p.stderr.String, p.hasExited, 15*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.stderr.String())
	}
	p.url = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := p.do("GET", "/api/health", nil, nil)
		if err == nil && r.status == 200 {
			return p
		}
		if p.hasExited() {
			t.Fatalf("exited before it was healthy: %v", p.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 15 s: %v", crashDescribe(r, err))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *miInstance) killedBySIGKILL() bool {
	var ee *exec.ExitError
	if !errors.As(p.waitErr, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func crashDescribe(r *miResp, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, r.body)
}
