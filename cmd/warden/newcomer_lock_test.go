package main

// Item 10 of "What an attacker and a newcomer found": two servers on one SQLite database both
// started, and a token deleted through one kept working on the other (its cache) for a minute.
// `warden server` holds a lock on the database for its life; a second server is refused, a
// crashed one's lock goes with its process, and `warden admin backup` still reads a live
// database.

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNewcomer_SecondServerOnOneDatabaseRefused(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the lock is SQLite's: PostgreSQL instances share a database on purpose")
	ts := startServer(t, nil)

	// A second server on the same data directory (another port) must not start. Before the lock
	// it started and ran until this context ended.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vars := ts.sameStore(map[string]string{"WARDEN_SERVER_HTTP_ADDR": "127.0.0.1", "WARDEN_SERVER_HTTP_PORT": "0",
		"WARDEN_SECURITY_ADMIN_PASSWORD": "admin"})
	stderr := &syncBuffer{}
	err := run(ctx, []string{"server"}, func(k string) string { return vars[k] }, strings.NewReader(""), &strings.Builder{}, stderr)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("second server on %s: err %v (context: %v), want a refusal at start\n%s", ts.DataDir, err, ctx.Err(), stderr.String())
	}
	db := filepath.Join(ts.DataDir, "warden.db")
	for _, want := range []string{db, "already"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(stderr.String(), "server started") {
		t.Errorf("the second server listened:\n%s", stderr.String())
	}

	// The first one is unaffected; the backup command reads its live database.
	ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil)
	cliWantOK(t, runCLI(t, cliDataEnv(ts.DataDir), "", "admin", "backup", filepath.Join(t.TempDir(), "live.db")))

	// Once it has stopped, the data directory is free again.
	ts.Stop()
	again := cliRestart(t, ts.DataDir)
	again.admin().expect(t, http.StatusOK, "GET", "/api/user", nil)
}

// A server killed with SIGKILL leaves its lock file behind, but not the lock: the next start
// on the same data directory succeeds.
func TestNewcomer_LockOfAKilledServerDoesNotBlockARestart(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the lock is SQLite's; real processes")
	bin := wardenBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	start := func() (*exec.Cmd, chan struct{}) {
		cmd := exec.Command(bin, "server")
		cmd.Env = newcomerEnv("WARDEN_SERVER_HTTP_ADDR=127.0.0.1", "WARDEN_SERVER_HTTP_PORT=0",
			"WARDEN_PATHS_DATA="+data, "WARDEN_SECURITY_ADMIN_PASSWORD=admin")
		stderr := &syncBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		go func() { cmd.Wait(); close(exited) }()
		gone := func() bool {
			select {
			case <-exited:
				return true
			default:
				return false
			}
		}
		if _, err := listenAddr(stderr.String, gone, 15*time.Second); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		return cmd, exited
	}
	first, firstExited := start()
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-firstExited
	second, _ := start() // fails the test unless it listens
	second.Process.Signal(syscall.SIGTERM)
}

// `warden admin seed` writes in large transactions that would stall a running server: it
// refuses a database a server holds.
func TestNewcomer_SeedRefusesALiveDatabase(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "seed writes SQLite")
	ts := startServer(t, nil)
	r := runCLI(t, cliDataEnv(ts.DataDir), "", "admin", "seed", "--accounts", "3", "--tokens", "3")
	if r.Err == nil {
		t.Fatalf("seed on a live database succeeded\n%s%s", r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Err.Error(), "running") {
		t.Errorf("error %q does not say a server is running on it", r.Err)
	}
	body := ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search", nil).JSON(t)
	if got := body["totalCount"]; got != float64(0) {
		t.Fatalf("totalCount = %v after a refused seed, want 0", got)
	}
}
