package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// runAdmin runs `warden admin …`: commands that open the configured database directly.
func runAdmin(ctx context.Context, args []string, configPath string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return &usageError{"admin needs a command: reset-admin-password or backup"}
	}
	if args[0] == "seed" { // its own flags: see seed.go
		return runSeed(ctx, args[1:], configPath, getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", configPath, "configuration file (ini)")
	fromStdin := fs.Bool("password-from-stdin", false, "read the new password from standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	cfg, err := LoadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	ctx = warden.NewSystemContext(ctx, "cli:admin "+args[0])
	switch args[0] {
	case "reset-admin-password":
		var password string
		switch {
		case *fromStdin && fs.NArg() == 0:
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && err != io.EOF {
				return fmt.Errorf("read password: %w", err)
			}
			password = strings.TrimRight(line, "\r\n")
		case !*fromStdin && fs.NArg() == 1:
			fmt.Fprintln(stderr, "warning: a password on the command line is kept in shell history and visible in ps; prefer --password-from-stdin")
			password = fs.Arg(0)
		default:
			return &usageError{"usage: warden admin reset-admin-password --password-from-stdin (or one PASSWORD argument)"}
		}
		db, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		defer db.Close()
		svc := warden.NewService(db, slog.New(slog.NewTextHandler(stderr, nil)), serviceConfig(cfg))
		if err := svc.ResetPassword(ctx, cfg.Security.AdminUser, password); err != nil {
			if warden.ErrorCode(err) == warden.EINTERNAL {
				return fmt.Errorf("reset password of %q: %w", cfg.Security.AdminUser, err)
			}
			return fmt.Errorf("reset password of %q: %s", cfg.Security.AdminUser, warden.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "Password of %s changed; its failed sign-ins were cleared and its sessions ended.\n", cfg.Security.AdminUser)
		return nil
	case "backup":
		if fs.NArg() != 1 {
			return &usageError{"usage: warden admin backup FILE"}
		}
		if cfg.Database.Type != "sqlite3" {
			return fmt.Errorf("backup copies a SQLite database; for PostgreSQL use pg_dump")
		}
		db, err := sqlite.Open(ctx, cfg.Database.Path)
		if err != nil {
			return fmt.Errorf("open sqlite database %s: %w", cfg.Database.Path, err)
		}
		defer db.Close()
		if err := db.Backup(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Backup written to %s\n", fs.Arg(0))
		return nil
	}
	return &usageError{fmt.Sprintf("unknown admin command %q", args[0])}
}
