package http

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// The token table's wording of a token's end: a rotated token's grace period of an hour reads
// in hours or minutes, not "1 day".
func TestExpiresText(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		left    time.Duration
		want    string
		expired bool
	}{
		{-time.Second, "Expired", true},
		{0, "Expired", true},
		{30 * time.Second, "Expires in 1 minute", false},
		{10*time.Minute + time.Second, "Expires in 11 minutes", false},
		{time.Hour - time.Second, "Expires in 1 hour", false},
		{time.Hour, "Expires in 1 hour", false},
		{5*time.Hour + 10*time.Minute, "Expires in 5 hours", false},
		{24*time.Hour - time.Second, "Expires in 1 day", false},
		{3 * 24 * time.Hour, "Expires in 3 days", false},
		{7*24*time.Hour - time.Second, "Expires in 7 days", false},
		{8 * 24 * time.Hour, "2026-05-09", false},
	} {
		got, expired := expiresText(now.Add(c.left), now)
		if got != c.want || expired != c.expired {
			t.Errorf("%v left: %q, %v; want %q, %v", c.left, got, expired, c.want, c.expired)
		}
	}
	if got, expired := expiresText(time.Time{}, now); got != "Never" || expired {
		t.Errorf("no end: %q, %v", got, expired)
	}
}

func TestCreatorText(t *testing.T) {
	for _, c := range []struct {
		in   warden.TokenCreator
		want string
	}{
		{warden.TokenCreator{Kind: "user", ID: 1, Login: "admin"}, "admin"},
		{warden.TokenCreator{Kind: "service_account", ID: 4, Login: "sa-1-robot"}, "sa-1-robot"},
		{warden.TokenCreator{Kind: "system"}, "system"},
		{warden.TokenCreator{}, "—"},
	} {
		if got := creatorText(c.in); got != c.want {
			t.Errorf("creatorText(%+v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRotateChoices(t *testing.T) {
	for _, c := range []struct {
		cfg  time.Duration
		want int64
	}{{24 * time.Hour, 86400}, {time.Hour, 3600}, {0, 0}, {7 * 24 * time.Hour, 604800}, {2 * time.Hour, 86400}} {
		if got := defaultGrace(c.cfg); got != c.want {
			t.Errorf("defaultGrace(%v) = %d, want %d", c.cfg, got, c.want)
		}
	}
	for v, want := range map[string]time.Duration{"0": 0, "3600": time.Hour, "86400": 24 * time.Hour, "604800": 7 * 24 * time.Hour} {
		if got, ok := parseGrace(v); !ok || got != want {
			t.Errorf("parseGrace(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "5", "-3600", "86400.0", "1e3", "2592000"} {
		if _, ok := parseGrace(v); ok {
			t.Errorf("parseGrace(%q) accepted", v)
		}
	}
	for s, want := range map[int64]string{0: "", 1: "1 second", 90: "90 seconds", 120: "2 minutes", 3600: "1 hour",
		7200: "2 hours", 86400: "1 day", 30 * 86400: "30 days"} {
		if got := lifetimeText(s); got != want {
			t.Errorf("lifetimeText(%d) = %q, want %q", s, got, want)
		}
	}
}
