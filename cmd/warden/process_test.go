package main

// Warden as a real process: signals (SIGTERM and SIGINT stop it cleanly, SIGHUP reloads the
// rules file). The binary is built once per test binary (wardenBinary).

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcess_SIGTERMAndSIGINTStopCleanly runs the real binary and stops it with SIGTERM (and
// SIGINT): it must finish in-flight work, flush, close the database and exit 0 within 10 s.
func TestProcess_SIGTERMAndSIGINTStopCleanly(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it tests the process, on SQLite")
	bin := wardenBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "server")
			cmd.Env = append(os.Environ(),
				"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
				"WARDEN_SERVER_HTTP_PORT=0", // see listenAddr
				"WARDEN_PATHS_DATA="+filepath.Join(t.TempDir(), "data"),
				"WARDEN_SECURITY_ADMIN_PASSWORD=admin")
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			addr, err := listenAddr(stderr.String, func() bool { return false }, 15*time.Second)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			url := "http://" + addr + "/api/health"
			deadline := time.Now().Add(15 * time.Second)
			for {
				resp, err := http.Get(url)
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not ready: %v\n%s", err, stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("exit status %d after %v, want 0\n%s", ee.ExitCode(), sig, stderr.String())
				} else if err != nil {
					t.Fatal(err)
				}
			case <-time.After(50 * time.Second): // 5× the 10 s bound
				t.Fatalf("still running 50 s after %v", sig)
			}
			t.Logf("%v: exited 0 after %v", sig, time.Since(start))
			if !strings.Contains(stderr.String(), "msg=stopped") {
				t.Fatalf("no 'stopped' log line:\n%s", stderr.String())
			}
		})
	}
}

// TestProcess_SIGHUPReloadsRules runs the real binary: SIGHUP reloads the rules file at once
// (valid: applied; invalid: refused, counted, the last good rules kept) and does not stop
// the server, which still exits 0 on SIGTERM.
func TestProcess_SIGHUPReloadsRules(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it tests the process, on SQLite")
	bin := wardenBinary(t)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, rules, "rules: [{path: /a, role: Viewer}]\n")
	cmd := exec.Command(bin, "server")
	cmd.Env = append(os.Environ(),
		"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
		"WARDEN_SERVER_HTTP_PORT=0", // see listenAddr
		"WARDEN_PATHS_DATA="+filepath.Join(t.TempDir(), "data"),
		"WARDEN_SECURITY_ADMIN_PASSWORD=admin",
		"WARDEN_DATABASE_TYPE=sqlite3",
		"WARDEN_AUTHZ_RULES_FILE="+rules)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr, err := listenAddr(stderr.String, func() bool { return false }, 15*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	ts := &testServer{t: t, URL: "http://" + addr, Password: "admin", stderr: stderr}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(ts.URL + "/api/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, _, tok := taSA(t, ts, "reader", "Viewer")
	if r := forwardAs(t, ts, tok, "GET", "/a"); r.Status != http.StatusOK {
		t.Fatalf("forward /a = %d", r.Status)
	}

	// A valid file, then SIGHUP at once: the reload is SIGHUP's.
	writeRules(t, rules, "rules: [{path: /b, role: Viewer}]\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, stderr.String, "trigger=SIGHUP rules=1")
	if r := forwardAs(t, ts, tok, "GET", "/b"); r.Status != http.StatusOK {
		t.Fatalf("after SIGHUP: forward /b = %d", r.Status)
	}
	if r := forwardAs(t, ts, tok, "GET", "/a"); r.Status != http.StatusForbidden {
		t.Fatalf("after SIGHUP: forward /a = %d", r.Status)
	}

	// An invalid file: refused, counted, /b still allowed.
	writeRules(t, rules, "rules: [{path: b, role: Viewer}]\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, stderr.String, "trigger=SIGHUP err=")
	if got := metricValue(t, ts, "warden_authz_rules_reload_failures_total"); got == "0" {
		t.Fatal("the invalid reload was not counted")
	}
	if r := forwardAs(t, ts, tok, "GET", "/b"); r.Status != http.StatusOK {
		t.Fatalf("after an invalid SIGHUP reload: forward /b = %d", r.Status)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(50 * time.Second):
		t.Fatal("still running 50 s after SIGTERM")
	}
	if bytes.Contains([]byte(stderr.String()), []byte(tok)) {
		t.Fatal("the token reached the log")
	}
}
