package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// runAdmin runs `warden admin …`: commands that open the configured database directly. They
// read the server's configuration, say on stderr which database they use, and never create one
// (seed only when asked to, with --create).
func runAdmin(ctx context.Context, args []string, configPath string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, adminUsage)
		return &usageError{"admin needs a command: reset-admin-password, backup or seed"}
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, adminUsage)
		return errHelpShown
	}
	switch args[0] {
	case "reset-admin-password":
		return runResetAdminPassword(ctx, args[1:], configPath, getenv, stdin, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], configPath, getenv, stdout, stderr)
	case "seed":
		return runSeed(ctx, args[1:], configPath, getenv, stdout, stderr)
	}
	fmt.Fprintln(stderr, adminUsage)
	return &usageError{fmt.Sprintf("unknown admin command %q", args[0])}
}

// resetFlags defines the flags of `warden admin reset-admin-password` on fs.
func resetFlags(fs *flag.FlagSet, configPath string) (cfgPath *string, fromStdin *bool) {
	cfgPath = fs.String("config", configPath, "the server's configuration `FILE` (ini)")
	fromStdin = fs.Bool("password-from-stdin", false, "read the new password from the first line of standard input")
	return cfgPath, fromStdin
}

// backupFlags defines the flags of `warden admin backup` on fs.
func backupFlags(fs *flag.FlagSet, configPath string) (cfgPath *string) {
	return fs.String("config", configPath, "the server's configuration `FILE` (ini)")
}

func runResetAdminPassword(ctx context.Context, args []string, configPath string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := findCommand("admin reset-admin-password")
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	cfgPath, fromStdin := resetFlags(fs, configPath)
	if err := parseFlags(fs, c, args, stdout, stderr); err != nil {
		return err
	}
	if *fromStdin == (fs.NArg() == 1) || fs.NArg() > 1 {
		fmt.Fprintf(stderr, "usage: %s\n", c.synopsis)
		return &usageError{"reset-admin-password needs --password-from-stdin (or one PASSWORD argument)"}
	}
	cfg, err := adminConfig(ctx, *cfgPath, getenv, stderr)
	if err != nil {
		return err
	}
	var password string
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		fmt.Fprintln(stderr, "warning: a password on the command line is kept in shell history and visible in ps; prefer --password-from-stdin")
		password = fs.Arg(0)
	}
	ctx = warden.NewSystemContext(ctx, "cli:admin reset-admin-password")
	db, err := openExistingStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := warden.NewService(db, adminLogger(stderr), serviceConfig(cfg))
	if err := svc.ResetPassword(ctx, cfg.Security.AdminUser, password); err != nil {
		if warden.ErrorCode(err) == warden.EINTERNAL {
			return fmt.Errorf("reset password of %q: %w", cfg.Security.AdminUser, err)
		}
		return fmt.Errorf("reset password of %q: %s", cfg.Security.AdminUser, warden.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Password of %s changed; its failed sign-ins were cleared and its sessions ended.\n", cfg.Security.AdminUser)
	return nil
}

func runBackup(ctx context.Context, args []string, configPath string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := findCommand("admin backup")
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	cfgPath := backupFlags(fs, configPath)
	if err := parseFlags(fs, c, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "usage: %s\n", c.synopsis)
		return &usageError{"backup needs one argument: the FILE to write"}
	}
	cfg, err := adminConfig(ctx, *cfgPath, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Database.Type != "sqlite3" {
		return fmt.Errorf("backup copies a SQLite database; for PostgreSQL use pg_dump")
	}
	ctx = warden.NewSystemContext(ctx, "cli:admin backup")
	db, err := openExistingSQLite(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backup written to %s\n", fs.Arg(0))
	return nil
}

// adminConfig loads the configuration of an admin command and prints its warnings on stderr.
func adminConfig(ctx context.Context, path string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	cfg, err := loadConfig(ctx, path, getenv)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return cfg, nil
}

// adminLogger is the service's logger in admin commands: warnings and errors only. The audit
// log lines (info) stay out of the command's output; the audit rows are written all the same.
func adminLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// databaseName describes the configured database for people: "SQLite " and the file's
// absolute path, or "PostgreSQL " and the URL without its password.
func databaseName(cfg *Config) string {
	if cfg.Database.Type == "postgres" {
		return "PostgreSQL " + databaseLocation(cfg)
	}
	return "SQLite " + databaseLocation(cfg)
}

// databaseLocation is the SQLite file's absolute path, or the PostgreSQL URL without its
// password.
func databaseLocation(cfg *Config) string {
	if cfg.Database.Type == "postgres" {
		return redactURL(cfg.Database.URL)
	}
	return absPath(cfg.Database.Path)
}

// absPath returns path made absolute, or path itself when it is a SQLite name and not a file
// (":memory:", "file:…") or cannot be made absolute.
func absPath(path string) string {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// databaseInUseError is lockDatabase's error when another process holds the lock.
type databaseInUseError struct{ msg string }

func (e *databaseInUseError) Error() string { return e.msg }

// errNoDatabase is wrapped by the error of an admin command whose database does not exist.
var errNoDatabase = errors.New("no database")

// checkSQLiteExists refuses a SQLite database that does not exist yet, naming its path: an
// admin command run with the wrong configuration or from the wrong directory must not create
// an empty database and work on it.
func checkSQLiteExists(cfg *Config) error {
	path := cfg.Database.Path
	if path == ":memory:" {
		return fmt.Errorf("%w: [database] path is :memory:; an admin command needs the server's database file", errNoDatabase)
	}
	if strings.HasPrefix(path, "file:") {
		return nil // a SQLite URI: SQLite decides; rare enough not to parse
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w at %s: nothing was created. Use the server's configuration (--config FILE, "+
			"WARDEN_PATHS_DATA or WARDEN_DATABASE_PATH) or run this where the server runs; [paths] data "+
			"is relative to the working directory", errNoDatabase, absPath(path))
	case err != nil:
		return fmt.Errorf("database %s: %w", absPath(path), err)
	case fi.IsDir():
		return fmt.Errorf("database %s is a directory", absPath(path))
	}
	return nil
}

// openExistingSQLite opens the configured SQLite database, which must exist, and says which it
// is on stderr.
func openExistingSQLite(ctx context.Context, cfg *Config, stderr io.Writer) (*sqlite.DB, error) {
	fmt.Fprintf(stderr, "Database: %s\n", databaseName(cfg))
	if err := checkSQLiteExists(cfg); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, cfg.Database.Path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", absPath(cfg.Database.Path), err)
	}
	return db, nil
}

// openExistingStore opens the configured database (SQLite: an existing file) and says which it
// is on stderr.
func openExistingStore(ctx context.Context, cfg *Config, stderr io.Writer) (warden.Store, error) {
	if cfg.Database.Type == "sqlite3" {
		return openExistingSQLite(ctx, cfg, stderr)
	}
	fmt.Fprintf(stderr, "Database: %s\n", databaseName(cfg))
	return openStore(ctx, cfg, slog.New(slog.DiscardHandler))
}
