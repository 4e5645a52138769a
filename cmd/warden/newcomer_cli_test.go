package main

// Item 11 of "What an attacker and a newcomer found": the command line. --help and -h succeed
// and print usage on stdout; `warden help [command]`; every command has a usage; an unknown flag
// is reported once; admin commands print no audit log lines.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewcomer_HelpSucceedsOnStdout(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line")
	tests := []struct {
		args []string
		want []string // on stdout
	}{
		{[]string{"--help"}, []string{"usage:", "warden server", "warden admin backup", "warden help"}},
		{[]string{"-h"}, []string{"usage:", "warden server"}},
		{[]string{"-help"}, []string{"usage:", "warden server"}},
		{[]string{"help"}, []string{"usage:", "warden server", "warden authz check"}},
		{[]string{"help", "server"}, []string{"warden server", "--config"}},
		{[]string{"server", "--help"}, []string{"warden server", "--config"}},
		{[]string{"server", "-h"}, []string{"warden server", "--config"}},
		{[]string{"help", "admin"}, []string{"warden admin reset-admin-password", "warden admin backup", "warden admin seed"}},
		{[]string{"admin", "--help"}, []string{"warden admin reset-admin-password", "warden admin backup", "warden admin seed"}},
		{[]string{"admin", "-h"}, []string{"warden admin backup"}},
		{[]string{"help", "admin", "backup"}, []string{"warden admin backup", "FILE", "--config"}},
		{[]string{"admin", "backup", "-h"}, []string{"warden admin backup", "FILE", "--config"}},
		{[]string{"admin", "reset-admin-password", "--help"}, []string{"warden admin reset-admin-password", "--password-from-stdin"}},
		{[]string{"help", "admin", "reset-admin-password"}, []string{"--password-from-stdin"}},
		{[]string{"admin", "seed", "--help"}, []string{"warden admin seed", "--accounts", "--tokens", "--tokens-out"}},
		{[]string{"help", "authz"}, []string{"warden authz check", "--rules"}},
		{[]string{"authz", "--help"}, []string{"warden authz check", "--rules"}},
		{[]string{"authz", "check", "-h"}, []string{"warden authz check", "--rules", "--path"}},
		{[]string{"help", "authz", "check"}, []string{"warden authz check", "--rules"}},
		{[]string{"help", "version"}, []string{"warden --version"}},
		{[]string{"help", "help"}, []string{"warden help"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			t.Parallel()
			// A data directory of its own: help must not touch it, or any other.
			dir := filepath.Join(t.TempDir(), "data")
			r := runCLI(t, cliDataEnv(dir), "", tt.args...)
			cliWantOK(t, r)
			for _, want := range tt.want {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
				}
			}
			if r.Stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.Stderr)
			}
			newcomerWantNoDir(t, dir)
		})
	}

	t.Run("ErrHelpUnknownCommand", func(t *testing.T) {
		t.Parallel()
		r := runCLI(t, nil, "", "help", "frobnicate")
		cliWantExit(t, r, 2)
		if !strings.Contains(r.Err.Error(), "frobnicate") {
			t.Errorf("error %q does not name the command", r.Err)
		}
	})
}

// An unknown flag is reported once (by main, from the returned error), with the command's usage
// on stderr, and exit status 2.
func TestNewcomer_UnknownFlagReportedOnce(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line")
	for _, args := range [][]string{
		{"--frobnicate", "server"},
		{"server", "--frobnicate"},
		{"admin", "backup", "--frobnicate", "DEST"},
		{"admin", "reset-admin-password", "--frobnicate"},
		{"admin", "seed", "--frobnicate"},
		{"authz", "check", "--frobnicate"},
		{"admin", "backup", "--password-from-stdin", "DEST"}, // a flag of another admin command
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data")
			flag := strings.TrimLeft(args[len(args)-1], "-")
			if flag == "DEST" {
				flag = strings.TrimLeft(args[len(args)-2], "-")
				args = append(args[:len(args)-1:len(args)-1], filepath.Join(t.TempDir(), "x.db"))
			}
			r := runCLI(t, cliDataEnv(dir), "", args...)
			cliWantExit(t, r, 2)
			if n := strings.Count(r.Stderr+"\n"+r.Err.Error(), flag); n != 1 {
				t.Errorf("%q is reported %d times, want once\nstderr: %s\nerror: %v", flag, n, r.Stderr, r.Err)
			}
			if !strings.Contains(r.Stderr, "usage:") {
				t.Errorf("stderr lacks the usage:\n%s", r.Stderr)
			}
			newcomerWantNoDir(t, dir)
		})
	}
}

// Admin commands print their result, and no audit log lines: those go to the audit table (and
// the server's log), not into a terminal or a script's output.
func TestNewcomer_AdminCommandsPrintNoAuditLines(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	dir := cliRanDataDir(t)
	env := cliDataEnv(dir)
	for _, args := range [][]string{
		{"admin", "reset-admin-password", "--password-from-stdin"},
		{"admin", "seed", "--accounts", "2", "--tokens", "2"},
		{"admin", "backup", filepath.Join(t.TempDir(), "b.db")},
	} {
		r := runCLI(t, env, "audit-free-password\n", args...)
		cliWantOK(t, r)
		if out := r.Stdout + r.Stderr; strings.Contains(out, "msg=audit") || strings.Contains(out, "audit_id") {
			t.Errorf("%s printed audit log lines:\n%s", strings.Join(args, " "), out)
		}
	}
	// The audit rows are still written.
	ts := cliRestart(t, dir)
	ts.Password = "audit-free-password"
	body := ts.admin().expect(t, 200, "GET", "/api/audit?action=user.reset_password", nil).JSON(t)
	if body["totalCount"] != float64(1) {
		t.Errorf("audit rows of the reset: %v, want 1", body["totalCount"])
	}
}

// `warden admin seed` with nothing to seed is a usage error, not a run against the database.
func TestNewcomer_SeedWithoutFlagsIsAUsageError(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the command line, on SQLite data directories")
	dir := cliRanDataDir(t)
	r := runCLI(t, cliDataEnv(dir), "", "admin", "seed")
	cliWantExit(t, r, 2)
	if !strings.Contains(r.Stderr, "warden admin seed") {
		t.Errorf("stderr lacks the seed usage:\n%s", r.Stderr)
	}
}

// newcomerWantNoDir fails if dir exists.
func newcomerWantNoDir(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command created %s (stat: %v)", dir, err)
	}
}
