package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcess_SIGTERM runs the real binary and stops it with SIGTERM (and SIGINT): it must
// finish in-flight work, flush, close the database and exit 0 within 10 s.
func TestProcess_SIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "warden")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			port := freePort(t)
			cmd := exec.Command(bin, "server")
			cmd.Env = append(os.Environ(),
				"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
				fmt.Sprintf("WARDEN_SERVER_HTTP_PORT=%d", port),
				"WARDEN_PATHS_DATA="+filepath.Join(t.TempDir(), "data"),
				"WARDEN_SECURITY_ADMIN_PASSWORD=admin")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			url := fmt.Sprintf("http://127.0.0.1:%d/api/health", port)
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
