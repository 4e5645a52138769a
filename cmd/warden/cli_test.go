package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cliResult is what one run of the command line produced.
type cliResult struct {
	Stdout, Stderr string
	Err            error
}

// runCLI calls run with args, the environment in env, and stdin, and waits for it to return.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(ctx, args, getenv, strings.NewReader(stdin), &stdout, &stderr)
	return cliResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// cliWantExit fails unless the run failed with the exit code.
func cliWantExit(t *testing.T, r cliResult, code int) {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("run succeeded, want exit code %d\nstdout: %s\nstderr: %s", code, r.Stdout, r.Stderr)
	}
	if got := exitCode(r.Err); got != code {
		t.Fatalf("exitCode(%v)=%d, want %d", r.Err, got, code)
	}
}

// cliWantOK fails unless the run succeeded.
func cliWantOK(t *testing.T, r cliResult) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("run: %v\nstdout: %s\nstderr: %s", r.Err, r.Stdout, r.Stderr)
	}
}

// cliDataEnv returns the environment of an admin command on the data directory dir.
func cliDataEnv(dir string) map[string]string {
	return map[string]string{"WARDEN_PATHS_DATA": dir}
}

// cliRanDataDir starts a server, stops it, and returns its data directory: a data directory where
// a server ran earlier.
func cliRanDataDir(t *testing.T) string {
	t.Helper()
	ts := startServer(t, nil)
	ts.Stop()
	return ts.DataDir
}

// cliRestart starts a server on an existing data directory.
func cliRestart(t *testing.T, dataDir string) *testServer {
	t.Helper()
	return startServer(t, map[string]string{"WARDEN_PATHS_DATA": dataDir})
}

func TestCLI_Version(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, nil, "", args...)
			cliWantOK(t, r)
			if want := "warden " + version; !strings.HasPrefix(r.Stdout, want) {
				t.Fatalf("stdout=%q, want it to start with %q", r.Stdout, want)
			}
			if !strings.HasSuffix(r.Stdout, "\n") {
				t.Fatalf("stdout=%q, want a final newline", r.Stdout)
			}
		})
	}
}

func TestCLI_Usage(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	tests := []struct {
		name string
		args []string
	}{
		{"ErrNoCommand", nil},
		{"ErrUnknownCommand", []string{"frobnicate"}},
		{"ErrUnknownFlag", []string{"--frobnicate", "server"}},
		{"ErrServerArgument", []string{"server", "extra"}},
		{"ErrServerUnknownFlag", []string{"server", "--frobnicate"}},
		{"ErrAdminNoCommand", []string{"admin"}},
		{"ErrAdminUnknownCommand", []string{"admin", "frobnicate"}},
		{"ErrBackupNoFile", []string{"admin", "backup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A data directory of its own, so a mistaken command cannot touch another test's.
			env := cliDataEnv(filepath.Join(t.TempDir(), "data"))
			r := runCLI(t, env, "", tt.args...)
			cliWantExit(t, r, 2)
		})
	}

	t.Run("UnknownCommandNamed", func(t *testing.T) {
		r := runCLI(t, nil, "", "frobnicate")
		cliWantExit(t, r, 2)
		if !strings.Contains(r.Err.Error(), "frobnicate") {
			t.Fatalf("error %q does not name the command", r.Err)
		}
		if !strings.Contains(r.Stderr, "usage:") {
			t.Fatalf("stderr=%q, want the usage", r.Stderr)
		}
	})
}

func TestCLI_Config(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")

	t.Run("ErrMalformedValue", func(t *testing.T) {
		t.Parallel()
		env := cliDataEnv(filepath.Join(t.TempDir(), "data"))
		env["WARDEN_SERVER_HTTP_PORT"] = "abc"
		r := runCLI(t, env, "", "server")
		cliWantExit(t, r, 2)
		msg := r.Err.Error()
		for _, want := range []string{"http_port", `"abc"`, "WARDEN_SERVER_HTTP_PORT"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
		}
		if _, err := os.Stat(env["WARDEN_PATHS_DATA"]); err == nil {
			t.Errorf("a bad configuration still created the data directory")
		}
	})

	t.Run("ErrMalformedValueAdmin", func(t *testing.T) {
		t.Parallel()
		env := cliDataEnv(filepath.Join(t.TempDir(), "data"))
		env["WARDEN_SECURITY_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS"] = "five"
		r := runCLI(t, env, "", "admin", "backup", filepath.Join(t.TempDir(), "b.db"))
		cliWantExit(t, r, 2)
		if msg := r.Err.Error(); !strings.Contains(msg, "brute_force_login_protection_max_attempts") || !strings.Contains(msg, "five") {
			t.Fatalf("error %q does not name the key and value", msg)
		}
	})

	missing := filepath.Join(t.TempDir(), "does-not-exist.ini")
	for _, args := range [][]string{
		{"--config", missing, "server"},
		{"server", "--config", missing},
		{"--config", missing, "admin", "reset-admin-password", "--password-from-stdin"},
		{"admin", "backup", "--config", missing, "out.db"},
	} {
		t.Run("ErrMissingFile/"+strings.Join(args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, cliDataEnv(filepath.Join(t.TempDir(), "data")), "new-password\n", args...)
			cliWantExit(t, r, 2)
			if !strings.Contains(r.Err.Error(), "does-not-exist.ini") {
				t.Fatalf("error %q does not name the file", r.Err)
			}
		})
	}
}

func TestCLI_ResetAdminPassword(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, nil)
		// Lock the admin out: five failed sign-ins.
		for i := 0; i < 5; i++ {
			ts.basic("admin", "wrong-password").expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)
		}
		ts.adminBasic().expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)
		ts.Stop()

		r := runCLI(t, cliDataEnv(ts.DataDir), "brand-new-pass\n", "admin", "reset-admin-password", "--password-from-stdin")
		cliWantOK(t, r)
		if !strings.Contains(r.Stdout, "admin") {
			t.Errorf("stdout=%q, want a confirmation naming the admin", r.Stdout)
		}
		if strings.Contains(r.Stdout+r.Stderr, "brand-new-pass") {
			t.Errorf("the command echoed the password:\n%s%s", r.Stdout, r.Stderr)
		}

		ts2 := cliRestart(t, ts.DataDir)
		// The failed sign-ins were cleared: the new password works at once.
		body := ts2.basic("admin", "brand-new-pass").expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
		if got := body["login"]; got != "admin" {
			t.Fatalf("login=%v, want admin", got)
		}
		ts2.basic("admin", "admin").expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)
		ts2.login(t, "admin", "brand-new-pass")
	})

	t.Run("OKCRLF", func(t *testing.T) {
		t.Parallel()
		dir := cliRanDataDir(t)
		cliWantOK(t, runCLI(t, cliDataEnv(dir), "crlf-password\r\n", "admin", "reset-admin-password", "--password-from-stdin"))
		ts := cliRestart(t, dir)
		ts.basic("admin", "crlf-password").expect(t, http.StatusOK, "GET", "/api/user", nil)
	})

	t.Run("OKPositional", func(t *testing.T) {
		t.Parallel()
		dir := cliRanDataDir(t)
		r := runCLI(t, cliDataEnv(dir), "", "admin", "reset-admin-password", "positional-pass")
		cliWantOK(t, r)
		if !strings.Contains(r.Stderr, "shell history") {
			t.Fatalf("stderr=%q, want a warning about shell history", r.Stderr)
		}
		ts := cliRestart(t, dir)
		ts.basic("admin", "positional-pass").expect(t, http.StatusOK, "GET", "/api/user", nil)
		ts.basic("admin", "admin").expect(t, http.StatusUnauthorized, "GET", "/api/user", nil)
	})

	t.Run("OKStdinNoWarning", func(t *testing.T) {
		t.Parallel()
		dir := cliRanDataDir(t)
		r := runCLI(t, cliDataEnv(dir), "quiet-password\n", "admin", "reset-admin-password", "--password-from-stdin")
		cliWantOK(t, r)
		if strings.Contains(r.Stderr, "shell history") {
			t.Fatalf("stderr=%q, want no shell-history warning with --password-from-stdin", r.Stderr)
		}
	})

	t.Run("ErrTooShort", func(t *testing.T) {
		t.Parallel()
		dir := cliRanDataDir(t)
		for _, in := range []string{"abc\n", "\n", ""} {
			r := runCLI(t, cliDataEnv(dir), in, "admin", "reset-admin-password", "--password-from-stdin")
			if r.Err == nil {
				t.Fatalf("reset to %q succeeded, want an error", in)
			}
			if !strings.Contains(r.Err.Error(), "too short") {
				t.Errorf("error %q does not say the password is too short", r.Err)
			}
		}
		ts := cliRestart(t, dir)
		ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil)
	})

	t.Run("ErrBothForms", func(t *testing.T) {
		t.Parallel()
		dir := cliRanDataDir(t)
		r := runCLI(t, cliDataEnv(dir), "stdin-pass\n", "admin", "reset-admin-password", "--password-from-stdin", "positional-pass")
		cliWantExit(t, r, 2)
		r = runCLI(t, cliDataEnv(dir), "", "admin", "reset-admin-password")
		cliWantExit(t, r, 2)
		ts := cliRestart(t, dir)
		ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil)
	})
}

func TestCLI_Backup(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, nil)
		bobID := ts.createUser(t, map[string]any{"name": "Bob", "login": "bob", "email": "bob@example.com", "password": "bob-password"})
		before := ts.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)

		dest := filepath.Join(t.TempDir(), "backup.db")
		r := runCLI(t, cliDataEnv(ts.DataDir), "", "admin", "backup", dest)
		cliWantOK(t, r)
		fi, err := os.Stat(dest)
		if err != nil {
			t.Fatalf("backup file: %v", err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("backup file mode=%v, want %v", got, want)
		}
		if fi.Size() == 0 {
			t.Fatal("backup file is empty")
		}
		// The running server is unaffected.
		ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil)
		ts.Stop()

		// A server on a data directory holding the backup as warden.db has the same users.
		dir := filepath.Join(t.TempDir(), "restored")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(dest)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "warden.db"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		restored := cliRestart(t, dir)
		after := restored.admin().expect(t, http.StatusOK, "GET", "/api/org/users", nil).List(t)
		if got, want := cliOrgUserLogins(after), cliOrgUserLogins(before); got != want {
			t.Fatalf("restored org users %s, want %s", got, want)
		}
		bob := restored.basic("bob", "bob-password").expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t)
		if got := int64(bob["id"].(float64)); got != bobID {
			t.Fatalf("restored bob id=%d, want %d", got, bobID)
		}

		// WARDEN_DATABASE_PATH pointing at the file works too.
		direct := startServer(t, map[string]string{"WARDEN_DATABASE_PATH": dest})
		direct.basic("bob", "bob-password").expect(t, http.StatusOK, "GET", "/api/user", nil)
	})

	t.Run("ErrExists", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, nil)
		dest := filepath.Join(t.TempDir(), "backup.db")
		if err := os.WriteFile(dest, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, cliDataEnv(ts.DataDir), "", "admin", "backup", dest)
		if r.Err == nil {
			t.Fatal("backup over an existing file succeeded, want an error")
		}
		if got, err := os.ReadFile(dest); err != nil || string(got) != "precious" {
			t.Fatalf("existing file now holds %q (%v), want it untouched", got, err)
		}
	})
}

// cliOrgUserLogins lists the logins of an /api/org/users answer, in order.
func cliOrgUserLogins(list []map[string]any) string {
	var logins []string
	for _, u := range list {
		logins = append(logins, u["login"].(string))
	}
	return strings.Join(logins, ",")
}

// cliBannerPassword matches the generated admin password in the start-up banner.
var cliBannerPassword = regexp.MustCompile(`password:\s+(\S+)`)

func TestCLI_GeneratedAdminPassword(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_ADMIN_PASSWORD": ""})
	logs := ts.Logs()
	m := cliBannerPassword.FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no generated password on stderr:\n%s", logs)
	}
	password := m[1]
	if len(password) < 20 {
		t.Errorf("generated password %q has %d characters, want at least 20", password, len(password))
	}
	ts.basic("admin", password).expect(t, http.StatusOK, "GET", "/api/user", nil)
	ts.login(t, "admin", password)
	ts.Stop()
	if got := strings.Count(ts.Logs(), password); got != 1 {
		t.Fatalf("the generated password appears %d times on stderr, want once:\n%s", got, ts.Logs())
	}

	again := startServer(t, map[string]string{"WARDEN_PATHS_DATA": ts.DataDir, "WARDEN_SECURITY_ADMIN_PASSWORD": ""})
	again.basic("admin", password).expect(t, http.StatusOK, "GET", "/api/user", nil)
	again.Stop()
	logs = again.Logs()
	if strings.Contains(logs, password) || cliBannerPassword.MatchString(logs) || strings.Contains(logs, "created the server admin") {
		t.Fatalf("second start printed a password:\n%s", logs)
	}
}

// TestCLI_SeedBenchmarkData seeds a data directory with `warden admin seed`, starts the server
// on it and checks through the API that the accounts are listed and that a sample token
// authenticates.
func TestCLI_SeedBenchmarkData(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it seeds a SQLite data directory")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tokFile := filepath.Join(dir, "tokens.txt")
	env := map[string]string{"WARDEN_PATHS_DATA": data, "WARDEN_SECURITY_ADMIN_PASSWORD": "admin"}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"admin", "seed", "--create", "--accounts", "50", "--tokens", "200", "--tokens-out", tokFile},
		getenv, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	samples := strings.Fields(string(raw))
	if len(samples) == 0 {
		t.Fatal("no sample tokens written")
	}
	for _, s := range samples {
		if strings.Contains(stdout.String()+stderr.String(), s) {
			t.Fatal("a sample token was printed")
		}
	}

	ts := startServer(t, map[string]string{"WARDEN_PATHS_DATA": data})
	r := ts.admin().expect(t, 200, "GET", "/api/serviceaccounts/search?perpage=10", nil)
	if got := r.JSON(t)["totalCount"]; got != float64(50) {
		t.Fatalf("totalCount = %v, want 50", got)
	}
	ts.bearer(samples[len(samples)-1]).expect(t, 200, "GET", "/api/org", nil)
	ts.bearer(samples[0]).expect(t, 200, "GET", "/api/org", nil)
}
