package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/wardenhq/warden"
	wardenhttp "github.com/wardenhq/warden/http"
	"github.com/wardenhq/warden/postgres"
	"github.com/wardenhq/warden/sqlite"
)

// shutdownTimeout bounds a graceful stop; with the database close it stays within 10 s.
const shutdownTimeout = 8 * time.Second

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch cfg.Log.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the configured database.
func openStore(ctx context.Context, cfg *Config, logger *slog.Logger) (warden.Store, error) {
	switch cfg.Database.Type {
	case "sqlite3":
		db, err := sqlite.Open(ctx, cfg.Database.Path)
		if err != nil {
			return nil, fmt.Errorf("open sqlite database %s: %w", cfg.Database.Path, err)
		}
		return db, nil
	case "postgres":
		db, err := postgres.Open(ctx, cfg.Database.URL, logger)
		if err != nil {
			// The error never includes the URL: it may hold a password.
			return nil, fmt.Errorf("open postgres database: %w", err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("unknown database type %q", cfg.Database.Type)
}

func serviceConfig(cfg *Config) warden.Config {
	c := warden.DefaultConfig()
	c.DisableBruteForce = cfg.Security.DisableBruteForceLoginProtection
	c.BruteForceMaxAttempts = cfg.Security.BruteForceMaxAttempts
	c.PasswordCheckIPLimit = cfg.Security.PasswordCheckIPLimit
	c.IPv6PrefixLength = cfg.Security.IPv6PrefixLength
	c.SecretKey = cfg.Security.SecretKey
	c.PasswordPolicy = cfg.AuthBasic.PasswordPolicy
	c.PasswordHash = cfg.Security.PasswordHash
	c.SessionInactive = cfg.Auth.LoginMaximumInactiveLifetime
	c.SessionLifetime = cfg.Auth.LoginMaximumLifetime
	c.AutoAssignOrg = cfg.Users.AutoAssignOrg
	c.AutoAssignOrgID = cfg.Users.AutoAssignOrgID
	if role, ok := warden.ParseOrgRole(cfg.Users.AutoAssignOrgRole); ok {
		c.AutoAssignOrgRole = role
	}
	c.DisableGravatar = cfg.Security.DisableGravatar
	c.DisableServiceAccounts = !cfg.FeatureEnabled("serviceAccounts")
	c.TokenExpirationDayLimit = cfg.ServiceAccounts.TokenExpirationDayLimit
	c.EnforceDayLimitAtUse = cfg.ServiceAccounts.EnforceDayLimitAtUse
	c.RotationGracePeriod = cfg.ServiceAccounts.RotationGracePeriod
	c.ExpiredTokenRetention = -1
	if days := cfg.ServiceAccounts.ExpiredTokenRetentionDays; days >= 0 {
		c.ExpiredTokenRetention = time.Duration(days) * 24 * time.Hour
	}
	c.APIKeyMaxSecondsToLive = cfg.Auth.APIKeyMaxSecondsToLive
	c.Cache = warden.CacheConfig{
		Tokens:             cfg.Auth.TokenCacheSize,
		UnknownTokens:      cfg.Auth.UnknownTokenCacheSize,
		UnknownTTL:         cfg.Auth.UnknownTokenCacheTTL,
		Lookups:            cfg.Auth.TokenLookupConcurrency,
		FailedLookupsPerIP: cfg.Auth.FailedTokenLookupsPerIP,
		MaxAge:             cfg.Auth.TokenCacheMaxAge,
	}
	return c
}

// clockKey is the context key of a replacement for the service's clock (warden.Service.Now): a
// func() time.Time. Only tests set it, to move the server's time on without waiting; without
// it the service keeps time.Now.
type clockKey struct{}

// runServer runs Warden until ctx is cancelled, then stops gracefully: no new connections,
// in-flight requests finish, pending writes are flushed, the database is closed.
func runServer(ctx context.Context, cfg *Config, stderr io.Writer) error {
	logw := newBufferedWriter(stderr, time.Second)
	defer logw.Close()
	logger := newLogger(cfg, logw)
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}

	rules, err := loadAuthzRules(cfg, logger)
	if err != nil {
		return err
	}

	if cfg.Database.Type == "sqlite3" {
		// One server per SQLite file, for the process's life (released after the database is
		// closed: defers run last in, first out).
		if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		unlock, err := lockDatabase(cfg.Database.Path)
		if err != nil {
			return err
		}
		defer unlock()
	}

	db, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	svc := warden.NewService(db, logger, serviceConfig(cfg))
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok {
		svc.Now = now
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var peers *cluster
	if bus, ok := db.(changeBus); ok {
		peers = newCluster(bus, svc, logger, reg)
	}

	var generated string
	var created bool
	bootstrap := func(ctx context.Context) (err error) {
		generated, created, err = svc.Bootstrap(ctx, cfg.Security.AdminUser, cfg.Security.AdminEmail, cfg.Security.AdminPassword)
		return err
	}
	if ex, ok := db.(exclusive); ok {
		// Instances starting together on one database bootstrap one at a time, so exactly one
		// creates the admin.
		err = ex.Exclusive(ctx, bootstrap)
	} else {
		err = bootstrap(ctx)
	}
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		logger.Info("created org 1 and the server admin", "login", cfg.Security.AdminUser)
	}
	if generated != "" {
		// Printed once, straight to stderr, by the instance that created the admin. It is not
		// logged: log pipelines keep copies.
		logw.Flush()
		fmt.Fprintf(stderr, "\n"+
			"================================================================\n"+
			"  Warden created the server admin. Sign in with:\n"+
			"    user:     %s\n"+
			"    password: %s\n"+
			"  This password is shown only now. Change it after signing in.\n"+
			"================================================================\n\n",
			cfg.Security.AdminUser, generated)
	}

	root, err := url.Parse(cfg.Server.RootURL)
	if err != nil {
		return &ConfigError{Section: "server", Key: "root_url", Value: cfg.Server.RootURL, Err: err}
	}
	handler := wardenhttp.NewServer(wardenhttp.Options{
		Logger:                  logger,
		Service:                 svc,
		Version:                 version,
		Commit:                  buildCommit(),
		RootURL:                 root,
		TrustedProxies:          cfg.Server.TrustedProxies,
		CookieSecure:            cfg.Security.CookieSecure,
		AccessLog:               cfg.Server.RouterLogging,
		BasicAuth:               cfg.AuthBasic.Enabled,
		SessionLifetime:         cfg.Auth.LoginMaximumLifetime,
		FeatureToggles:          cfg.FeatureToggles,
		TokenExpirationDayLimit: cfg.ServiceAccounts.TokenExpirationDayLimit,
		Registry:                reg,
		AuthzRules:              rules.holder,
		ForwardHeaders:          cfg.Authz.ForwardHeaders,
	})

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    cfg.Server.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	addr := net.JoinHostPort(cfg.Server.HTTPAddr, strconv.Itoa(cfg.Server.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if cfg.Server.Protocol == "https" {
		cert, err := tls.LoadX509KeyPair(cfg.Server.CertFile, cfg.Server.CertKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	logger.Info("server started", "addr", ln.Addr().String(), "protocol", cfg.Server.Protocol,
		"version", version, "database", cfg.Database.Type, "location", databaseLocation(cfg))
	logw.Flush()

	// Background jobs stop after the HTTP server has drained, so the last-used flusher's final
	// flush sees every request that was served.
	bgCtx, stopBG := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() { svc.RunLastUsedFlusher(bgCtx, logger, time.Second) })
	bg.Go(func() { rules.run(bgCtx) })
	bg.Go(func() { purgeLoop(bgCtx, logger, svc, time.Duration(cfg.Audit.RetentionDays)*24*time.Hour) })
	bg.Go(func() { svc.RunExpiredTokenCleanup(bgCtx, logger, time.Hour, oneAtATime(db)) })
	if peers != nil {
		bg.Go(func() { peers.runSender(bgCtx) })
		bg.Go(func() { peers.runListener(bgCtx) })
		bg.Go(func() { peers.runClockCheck(bgCtx) })
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		stopBG()
		bg.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopBG()
	bg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("shutdown incomplete", "err", err)
	}
	if err := db.Close(); err != nil {
		logger.Error("close database", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// oneAtATime returns the database's way to run a job on one instance at a time, or nil when
// it has none (SQLite: one instance).
func oneAtATime(db warden.Store) func(context.Context, func(context.Context) error) error {
	if x, ok := db.(exclusive); ok {
		return x.Exclusive
	}
	return nil
}

// purgeLoop deletes expired sessions, old login attempts and audit rows older than
// auditRetention (0: none) every ten minutes.
func purgeLoop(ctx context.Context, logger *slog.Logger, svc *warden.Service, auditRetention time.Duration) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := svc.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
			logger.Error("purge expired sessions", "err", err)
		}
		if _, err := svc.PurgeAuditLog(ctx, auditRetention); err != nil && ctx.Err() == nil {
			logger.Error("purge audit log", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
