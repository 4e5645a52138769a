package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// runSeed runs `warden admin seed`: it fills the configured SQLite database with service
// accounts and tokens for benchmarks, in large batched transactions. Sample plaintext tokens go
// only to the --tokens-out file (mode 0600), never to stdout or stderr.
func runSeed(ctx context.Context, args []string, configPath string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("admin seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", configPath, "configuration file (ini)")
	accounts := fs.Int("accounts", 0, "number of service accounts to create")
	tokens := fs.Int("tokens", 0, "number of tokens to create, spread over the new accounts")
	orgID := fs.Int64("org", 1, "org to create them in")
	tokensOut := fs.String("tokens-out", "", "file to write sample plaintext tokens to, one a line")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 0 || *accounts < 0 || *tokens < 0 || (*tokens > 0 && *accounts == 0) {
		return &usageError{"usage: warden admin seed --accounts N --tokens M [--org ID] [--tokens-out FILE]"}
	}
	cfg, err := LoadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if cfg.Database.Type != "sqlite3" {
		return fmt.Errorf("seed writes to a SQLite database; database type is %q", cfg.Database.Type)
	}
	ctx = warden.NewSystemContext(ctx, "cli:admin seed")
	db, err := sqlite.Open(ctx, cfg.Database.Path)
	if err != nil {
		return fmt.Errorf("open sqlite database %s: %w", cfg.Database.Path, err)
	}
	defer db.Close()
	// A fresh database has no org yet. Create org 1 and the admin as the server would, but only
	// with a configured password: a generated one would be lost here.
	if cfg.Security.AdminPassword != "" {
		svc := warden.NewService(db, slog.New(slog.NewTextHandler(stderr, nil)), serviceConfig(cfg))
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
