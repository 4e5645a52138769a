package warden

import (
	"testing"
	"time"
)

func TestAvatarURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		email string
		want  string
	}{
		{"Admin", "admin@localhost", "/avatar/46d229b033af06a191ff2267bca9ae56"},
		{"CaseAndSpace", "  Admin@LocalHost ", "/avatar/46d229b033af06a191ff2267bca9ae56"},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AvatarURL(tt.email); got != tt.want {
				t.Fatalf("AvatarURL(%q)=%q, want %q", tt.email, got, tt.want)
			}
		})
	}
}

func TestAvatarURL_FromName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ServiceAccount", "grafana", "/avatar/85ec38023d90823d3e5b43ef35646af9"},
		{"Team", "team1", "/avatar/3fcfe295eae3bcb67a49349377428a66"},
		// Only letters and digits count, and case does not.
		{"Punctuation", "team-1", "/avatar/3fcfe295eae3bcb67a49349377428a66"},
		{"Spaces", "Team 1", "/avatar/3fcfe295eae3bcb67a49349377428a66"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NameAvatarURL(tt.in); got != tt.want {
				t.Fatalf("NameAvatarURL(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAgeString(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"Zero", time.Time{}, "?"},
		{"Now", now, "< 1 minute"},
		{"59Seconds", now.Add(-59 * time.Second), "< 1 minute"},
		{"Future", now.Add(time.Hour), "< 1 minute"},
		{"1Minute", now.Add(-time.Minute), "1 minute"},
		{"2Minutes", now.Add(-2 * time.Minute), "2 minutes"},
		{"59Minutes", now.Add(-59*time.Minute - 59*time.Second), "59 minutes"},
		{"1Hour", now.Add(-time.Hour), "1 hour"},
		{"2Hours", now.Add(-2 * time.Hour), "2 hours"},
		{"23Hours", now.Add(-24*time.Hour + time.Second), "23 hours"},
		{"1Day", now.Add(-24 * time.Hour), "1 day"},
		{"30Days", now.Add(-30 * 24 * time.Hour), "30 days"},
		{"1Month", now.Add(-43800 * time.Minute), "1 month"},
		{"11Months", now.Add(-364 * 24 * time.Hour), "11 months"},
		{"1Year", now.Add(-525600 * time.Minute), "1 year"},
		{"10Years", now.AddDate(-10, 0, 0), "10 years"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AgeString(tt.t, now); got != tt.want {
				t.Fatalf("AgeString(now-%v)=%q, want %q", now.Sub(tt.t), got, tt.want)
			}
		})
	}
}
