package main

// Item 8 of "What an attacker and a newcomer found": `warden admin …` run from the wrong
// directory created a fresh ./data/warden.db, backed that up and said it succeeded. Admin
// commands read the server's configuration, say which database they use, and never create one.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A missing database is an error that names its path, and nothing is created: no data
// directory, no database file, no backup.
func TestNewcomer_AdminCommandsNeverCreateADatabase(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	for name, args := range map[string][]string{
		"backup":               {"admin", "backup", "BACKUP"},
		"reset-admin-password": {"admin", "reset-admin-password", "--password-from-stdin"},
		"seed":                 {"admin", "seed", "--accounts", "2", "--tokens", "2"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data")
			backup := filepath.Join(t.TempDir(), "backup.db")
			for i, a := range args {
				if a == "BACKUP" {
					args[i] = backup
				}
			}
			env := cliDataEnv(dir)
			env["WARDEN_SECURITY_ADMIN_PASSWORD"] = "admin" // seed could bootstrap with it
			r := runCLI(t, env, "new-password\n", args...)
			if r.Err == nil {
				t.Fatalf("%s on a data directory without a database succeeded\nstdout: %s\nstderr: %s", name, r.Stdout, r.Stderr)
			}
			want := filepath.Join(dir, "warden.db")
			if !strings.Contains(r.Err.Error(), want) {
				t.Errorf("error %q does not name the database %s", r.Err, want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s created the data directory %s (stat: %v)", name, dir, err)
			}
			if _, err := os.Stat(backup); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s wrote a backup (stat: %v)", name, err)
			}
		})
	}
}

// The report's scenario, as a real process: `warden admin backup` from a directory that holds
// no data directory fails, names the database it looked for (./data/warden.db, made absolute),
// and leaves the directory as it was.
func TestNewcomer_AdminBackupFromTheWrongDirectory(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	bin := wardenBinary(t)
	wd := t.TempDir()
	cmd := exec.Command(bin, "admin", "backup", "backup.db")
	cmd.Dir = wd
	cmd.Env = newcomerEnv()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("admin backup in an empty directory: err %v, want a failure\n%s", err, out)
	}
	if want := filepath.Join(wd, "data", "warden.db"); !strings.Contains(string(out), want) {
		t.Errorf("output does not name %s:\n%s", want, out)
	}
	entries, err := os.ReadDir(wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("admin backup left %s in the directory", e.Name())
	}
}

// Each admin command says which database it uses, from --config (or the environment), on
// stderr; stdout keeps only the command's own result.
func TestNewcomer_AdminCommandsNameTheirDatabase(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	dir := cliRanDataDir(t)
	conf := filepath.Join(t.TempDir(), "warden.ini")
	if err := os.WriteFile(conf, []byte("[paths]\ndata = "+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "warden.db")
	for _, args := range [][]string{
		{"admin", "backup", "--config", conf, filepath.Join(t.TempDir(), "b.db")},
		{"--config", conf, "admin", "reset-admin-password", "--password-from-stdin"},
		{"admin", "seed", "--config", conf, "--accounts", "1", "--tokens", "1"},
	} {
		// No data directory in the environment: only the file says where the database is.
		r := runCLI(t, nil, "another-password\n", args...)
		cliWantOK(t, r)
		if !strings.Contains(r.Stderr, db) {
			t.Errorf("%s: stderr does not name the database %s:\n%s", strings.Join(args, " "), db, r.Stderr)
		}
		if strings.Contains(r.Stdout, db) {
			t.Errorf("%s: stdout names the database (keep it for the result):\n%s", strings.Join(args, " "), r.Stdout)
		}
	}
}

// newcomerEnv is the test process's environment without WARDEN_ variables (other than the test
// harness's own), for real processes that must see only what the test gives them.
func newcomerEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "WARDEN_") && !strings.HasPrefix(kv, "WARDEN_TEST_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
