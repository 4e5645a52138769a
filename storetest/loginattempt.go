// Login attempts: counting failed sign-ins by user (case-insensitively) and by IP since a time,
// and deleting them.

package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var loginAttemptTests = []contractTest{
	{"LoginAttempt/Count", testLoginAttemptCount},
	{"LoginAttempt/DeleteLoginAttempts", testLoginAttemptDelete},
	{"LoginAttempt/DeleteLoginAttemptsBefore", testLoginAttemptDeleteBefore},
}

// attempt is one failed sign-in.
type attempt struct {
	user, ip string
	at       time.Time
}

func createLoginAttempts(t *testing.T, s warden.Store, attempts ...attempt) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		for _, a := range attempts {
			if err := tx.CreateLoginAttempt(ctx, a.user, a.ip, a.at); err != nil {
				return err
			}
		}
		return nil
	})
}

func countAttempts(t *testing.T, s warden.Store, user string, since time.Time) int {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) (int, error) { return tx.CountLoginAttempts(ctx, user, since) })
}

func countAttemptsByIP(t *testing.T, s warden.Store, ip string, since time.Time) int {
	t.Helper()
	ctx := t.Context()
	return get(t, s, func(tx warden.Tx) (int, error) { return tx.CountLoginAttemptsByIP(ctx, ip, since) })
}

func testLoginAttemptCount(t *testing.T, s warden.Store) {
	createLoginAttempts(t, s,
		attempt{"Alice", "10.0.0.1", t0.Add(-10 * time.Minute)},
		attempt{"alice", "10.0.0.2", t0.Add(-5 * time.Minute)},
		attempt{"ALICE", "10.0.0.1", t0.Add(-2 * time.Hour)},
		attempt{"bob", "10.0.0.1", t0.Add(-time.Minute)},
	)
	for _, c := range []struct {
		user  string
		since time.Time
		want  int
	}{
		{"alice", t0.Add(-time.Hour), 2},
		{"aLiCe", t0.Add(-time.Hour), 2},
		{"ALICE", t0.Add(-3 * time.Hour), 3},
		{"alice", t0.Add(-5 * time.Minute), 1}, // since is inclusive
		{"alice", t0, 0},
		{"bob", t0.Add(-time.Hour), 1},
		{"carol", t0.Add(-time.Hour), 0},
	} {
		if got := countAttempts(t, s, c.user, c.since); got != c.want {
			t.Errorf("CountLoginAttempts(%q, %v)=%d, want %d", c.user, c.since, got, c.want)
		}
	}
	for _, c := range []struct {
		ip    string
		since time.Time
		want  int
	}{
		{"10.0.0.1", t0.Add(-time.Hour), 2},
		{"10.0.0.1", t0.Add(-3 * time.Hour), 3},
		{"10.0.0.1", t0.Add(-10 * time.Minute), 2}, // since is inclusive
		{"10.0.0.2", t0.Add(-time.Hour), 1},
		{"10.0.0.3", t0.Add(-time.Hour), 0},
	} {
		if got := countAttemptsByIP(t, s, c.ip, c.since); got != c.want {
			t.Errorf("CountLoginAttemptsByIP(%q, %v)=%d, want %d", c.ip, c.since, got, c.want)
		}
	}
}

func testLoginAttemptDelete(t *testing.T, s warden.Store) {
	ctx := t.Context()
	createLoginAttempts(t, s,
		attempt{"alice", "10.0.0.1", t0.Add(-10 * time.Minute)},
		attempt{"Alice", "10.0.0.2", t0.Add(-5 * time.Minute)},
		attempt{"bob", "10.0.0.1", t0.Add(-time.Minute)},
	)
	update(t, s, func(tx warden.Tx) error { return tx.DeleteLoginAttempts(ctx, "ALICE") })
	since := t0.Add(-time.Hour)
	if got, want := countAttempts(t, s, "alice", since), 0; got != want {
		t.Fatalf("CountLoginAttempts(alice) after DeleteLoginAttempts=%d, want %d", got, want)
	}
	if got, want := countAttempts(t, s, "bob", since), 1; got != want {
		t.Fatalf("CountLoginAttempts(bob)=%d, want %d", got, want)
	}
	if got, want := countAttemptsByIP(t, s, "10.0.0.1", since), 1; got != want {
		t.Fatalf("CountLoginAttemptsByIP=%d, want %d", got, want)
	}
}

func testLoginAttemptDeleteBefore(t *testing.T, s warden.Store) {
	ctx := t.Context()
	createLoginAttempts(t, s,
		attempt{"alice", "10.0.0.1", t0.Add(-2 * time.Hour)},
		attempt{"alice", "10.0.0.1", t0.Add(-time.Hour)},
		attempt{"alice", "10.0.0.1", t0},
	)
	update(t, s, func(tx warden.Tx) error { return tx.DeleteLoginAttemptsBefore(ctx, t0.Add(-time.Hour)) })
	since := t0.Add(-24 * time.Hour)
	if got, want := countAttempts(t, s, "alice", since), 2; got != want {
		t.Fatalf("CountLoginAttempts after DeleteLoginAttemptsBefore=%d, want %d", got, want)
	}
	if got, want := countAttemptsByIP(t, s, "10.0.0.1", since), 2; got != want {
		t.Fatalf("CountLoginAttemptsByIP after DeleteLoginAttemptsBefore=%d, want %d", got, want)
	}
}
