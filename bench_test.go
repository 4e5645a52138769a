package warden_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// Benchmarks of the pieces of a token check. Run: go test -run '^$' -bench . ./...

func BenchmarkParseSecret(b *testing.B) {
	s, err := warden.NewSecret(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	raw := s.Reveal()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := warden.ParseSecret(raw); !ok {
			b.Fatal("valid token refused")
		}
	}
}

func BenchmarkParseSecret_Invalid(b *testing.B) {
	raw := "glsa_iNValIdinValiDinvalidinvalidinva_00000000" // wrong checksum
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := warden.ParseSecret(raw); ok {
			b.Fatal("bad checksum accepted")
		}
	}
}

func BenchmarkSecretHash(b *testing.B) {
	s, _ := warden.NewSecret(rand.Reader)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Hash()
	}
}

func BenchmarkPermissionsEvaluate(b *testing.B) {
	p := warden.NewPermissions(warden.BasicRolePermissions(warden.RoleAdmin, true))
	b.ReportAllocs()
	for b.Loop() {
		if !p.Evaluate(warden.ActionSARead, "serviceaccounts:id:42") {
			b.Fatal("admin cannot read")
		}
	}
}

// BenchmarkAuthenticateToken_CacheHit is the hot path: a token whose identity is cached.
func BenchmarkAuthenticateToken_CacheHit(b *testing.B) {
	benchAuthenticate(b, warden.DefaultConfig(), true)
}

// BenchmarkAuthenticateToken_CacheHitFromAddress is the hot path as a server runs it: the
// request carries its client address, which the use records (once a minute, at once from a
// new address).
func BenchmarkAuthenticateToken_CacheHitFromAddress(b *testing.B) {
	benchAuthenticateFrom(b, warden.DefaultConfig(), true, "203.0.113.7")
}

// BenchmarkAuthenticateToken_CacheHitAlternatingAddresses is a token shared by clients behind
// two addresses taking turns: every use moves the last-used address, and is recorded.
func BenchmarkAuthenticateToken_CacheHitAlternatingAddresses(b *testing.B) {
	e := newSAEnvB(b, warden.DefaultConfig())
	a, err := e.svc.CreateServiceAccount(e.ctx, "bench", nil, false)
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := e.svc.IssueToken(e.ctx, a.ID, "bench", 0, warden.TokenRestrictions{})
	if err != nil {
		b.Fatal(err)
	}
	ctxs := [2]context.Context{warden.NewContextWithClientIP(e.ctx, "203.0.113.7"), warden.NewContextWithClientIP(e.ctx, "203.0.113.8")}
	raw := secret.Reveal()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := e.svc.AuthenticateToken(ctxs[i&1], raw, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateToken_CacheHitDayLimitAtUse is the hot path with
// enforce_expiration_day_limit_at_use: the effective end is computed when the entry is cached.
func BenchmarkAuthenticateToken_CacheHitDayLimitAtUse(b *testing.B) {
	cfg := warden.DefaultConfig()
	cfg.TokenExpirationDayLimit, cfg.EnforceDayLimitAtUse = 30, true
	benchAuthenticateFrom(b, cfg, true, "203.0.113.7")
}

// BenchmarkAuthenticateToken_CacheHitRestricted is the hot path of a token with every
// restriction at its limit: a role cap, 50 scopes and 50 address ranges, the client inside the
// last one. The ranges and scopes are parsed when the entry is cached; a check only compares.
func BenchmarkAuthenticateToken_CacheHitRestricted(b *testing.B) {
	for _, client := range []string{"10.0.0.49", "2001:db8:0:31::1"} {
		b.Run(client, func(b *testing.B) {
			e := newSAEnvB(b, warden.DefaultConfig())
			a, err := e.svc.CreateServiceAccount(e.ctx, "bench", nil, false)
			if err != nil {
				b.Fatal(err)
			}
			var scopes, cidrs []string
			for i := range 50 {
				scopes = append(scopes, fmt.Sprintf("api%d:write", i))
				if strings.Contains(client, ":") {
					cidrs = append(cidrs, fmt.Sprintf("2001:db8:0:%x::/64", i))
				} else {
					cidrs = append(cidrs, fmt.Sprintf("10.0.0.%d/32", i))
				}
			}
			limits, err := warden.ParseTokenRestrictions("Viewer", scopes, cidrs)
			if err != nil {
				b.Fatal(err)
			}
			_, secret, err := e.svc.IssueToken(e.ctx, a.ID, "bench", 0, limits)
			if err != nil {
				b.Fatal(err)
			}
			ctx := warden.NewContextWithClientIP(e.ctx, client)
			raw := secret.Reveal()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.AuthenticateToken(ctx, raw, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthenticateToken_CacheMiss_SQLite is a cold check: every call reads the token,
// its account, membership and grants from SQLite (the cache is off).
func BenchmarkAuthenticateToken_CacheMiss_SQLite(b *testing.B) {
	cfg := warden.DefaultConfig()
	cfg.Cache.Tokens = 0
	benchAuthenticate(b, cfg, true)
}

// BenchmarkAuthenticateToken_Invalid is a token refused by its checksum, before any lookup.
func BenchmarkAuthenticateToken_Invalid(b *testing.B) {
	benchAuthenticate(b, warden.DefaultConfig(), false)
}

func benchAuthenticate(b *testing.B, cfg warden.Config, valid bool) {
	benchAuthenticateFrom(b, cfg, valid, "")
}

func benchAuthenticateFrom(b *testing.B, cfg warden.Config, valid bool, ip string) {
	e := newSAEnvB(b, cfg)
	ctx := e.ctx
	a, err := e.svc.CreateServiceAccount(ctx, "bench", nil, false)
	if err != nil {
		b.Fatal(err)
	}
	seconds := int64(0)
	if cfg.TokenExpirationDayLimit > 0 {
		seconds = 86400
	}
	_, secret, err := e.svc.IssueToken(ctx, a.ID, "bench", seconds, warden.TokenRestrictions{})
	if ip != "" {
		ctx = warden.NewContextWithClientIP(ctx, ip)
	}
	if err != nil {
		b.Fatal(err)
	}
	raw := secret.Reveal()
	if !valid {
		raw = raw[:len(raw)-1] + string(raw[len(raw)-1]^1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.AuthenticateToken(ctx, raw, 0); (err == nil) != valid {
			b.Fatal(err)
		}
	}
}

type benchEnv struct {
	svc *warden.Service
	ctx context.Context
}

// newSAEnvB is a bootstrapped Service over SQLite in a temp dir, acting as the server admin.
func newSAEnvB(b *testing.B, cfg warden.Config) *benchEnv {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "warden.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	svc := warden.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	if _, _, err := svc.Bootstrap(ctx, "admin", "admin@localhost", "admin-pass"); err != nil {
		b.Fatal(err)
	}
	u, err := svc.LookupUser(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	p, err := svc.UserPrincipal(ctx, u, 1)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{svc: svc, ctx: warden.NewContextWithPrincipal(ctx, p)}
}
