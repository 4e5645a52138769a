package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// seedFlags defines the flags of `warden admin seed` on fs.
func seedFlags(fs *flag.FlagSet, configPath string) (cfgPath *string, accounts, tokens *int, orgID *int64, tokensOut *string, create *bool) {
	cfgPath = fs.String("config", configPath, "the server's configuration `FILE` (ini)")
	accounts = fs.Int("accounts", 0, "create `N` service accounts")
	tokens = fs.Int("tokens", 0, "create `M` tokens, spread over the new accounts")
	orgID = fs.Int64("org", 1, "in the org with this `ID`")
	tokensOut = fs.String("tokens-out", "", "write sample plaintext tokens to `FILE`, one a line (mode 0600)")
	create = fs.Bool("create", false, "create the database if it does not exist (a fresh benchmark database)")
	return
}

// runSeed runs `warden admin seed`: it fills the configured SQLite database with service
// accounts and tokens for benchmarks, in large batched transactions. Sample plaintext tokens go
// only to the --tokens-out file (mode 0600), never to stdout or stderr. It holds the database's
// lock while it writes, so it refuses a database a server is running on (and no server starts
// on it meanwhile).
func runSeed(ctx context.Context, args []string, configPath string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := findCommand("admin seed")
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	cfgPath, accounts, tokens, orgID, tokensOut, create := seedFlags(fs, configPath)
	if err := parseFlags(fs, c, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 || *accounts <= 0 || *tokens < 0 {
		fmt.Fprintf(stderr, "usage: %s\n(\"warden help %s\" shows the flags)\n", c.synopsis, c.name)
		return &usageError{"seed needs --accounts N (N > 0) and --tokens M (M >= 0), and no arguments"}
	}
	cfg, err := adminConfig(ctx, *cfgPath, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Database.Type != "sqlite3" {
		return fmt.Errorf("seed writes to a SQLite database; database type is %q", cfg.Database.Type)
	}
	fmt.Fprintf(stderr, "Database: %s\n", databaseName(cfg))
	if !*create {
		if err := checkSQLiteExists(cfg); err != nil {
			return fmt.Errorf("%w (--create makes a new one)", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := lockDatabase(cfg.Database.Path)
	if inUse := (*databaseInUseError)(nil); errors.As(err, &inUse) {
		return fmt.Errorf("seed writes in large transactions and does not run on a database a server is running on: %w", err)
	} else if err != nil {
		return err
	}
	defer unlock()
	ctx = warden.NewSystemContext(ctx, "cli:admin seed")
	db, err := sqlite.Open(ctx, cfg.Database.Path)
	if err != nil {
		return fmt.Errorf("open sqlite database %s: %w", absPath(cfg.Database.Path), err)
	}
	defer db.Close()
	// A fresh database has no org yet. Create org 1 and the admin as the server would, but only
	// with a configured password: a generated one would be lost here.
	if cfg.Security.AdminPassword != "" {
		svc := warden.NewService(db, adminLogger(stderr), serviceConfig(cfg))
		if _, _, err := svc.Bootstrap(ctx, cfg.Security.AdminUser, cfg.Security.AdminEmail, cfg.Security.AdminPassword); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
	start := time.Now()
	samples, err := db.SeedServiceAccounts(ctx, *orgID, *accounts, *tokens, time.Now().UTC(), stderr)
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return fmt.Errorf("%s (start the server once, or set admin_password, to create org 1)", warden.ErrorMessage(err))
		}
		return err
	}
	if *tokensOut != "" {
		var b strings.Builder
		for _, s := range samples {
			b.WriteString(s)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(*tokensOut, []byte(b.String()), 0o600); err != nil {
			return fmt.Errorf("write sample tokens: %w", err)
		}
	}
	fmt.Fprintf(stdout, "Seeded %d service accounts and %d tokens in org %d in %s\n", *accounts, *tokens, *orgID,
		time.Since(start).Round(time.Millisecond))
	return nil
}
