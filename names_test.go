package warden_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// Names longer than Grafana's 190-character columns are refused with 400, never stored or
// turned into a database error.
func TestService_NameLength(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	ok := strings.Repeat("é", warden.MaxNameLen) // counted in characters, not bytes
	long := ok + "x"

	a, err := e.svc.CreateServiceAccount(ctx, ok, nil, false)
	if err != nil {
		t.Fatalf("190-character name refused: %v", err)
	}
	if _, err := e.svc.CreateServiceAccount(ctx, long, nil, false); warden.ErrorCode(err) != warden.EINVALID {
		t.Fatalf("191-character account name: err = %v, want EINVALID", err)
	}
	if _, err := e.svc.UpdateServiceAccount(ctx, a.ID, warden.ServiceAccountUpdate{Name: &long}); warden.ErrorCode(err) != warden.EINVALID {
		t.Fatalf("191-character rename: err = %v, want EINVALID", err)
	}
	if _, _, err := e.svc.IssueToken(ctx, a.ID, long, 0, warden.TokenRestrictions{}); warden.ErrorCode(err) != warden.EINVALID {
		t.Fatalf("191-character token name: err = %v, want EINVALID", err)
	}
	if _, err := e.svc.CreateTeam(ctx, long, ""); warden.ErrorCode(err) != warden.EINVALID {
		t.Fatalf("191-character team name: err = %v, want EINVALID", err)
	}
	if _, err := e.svc.CreateOrg(ctx, long); warden.ErrorCode(err) != warden.EINVALID {
		t.Fatalf("191-character org name: err = %v, want EINVALID", err)
	}
	if got := warden.ErrorMessage(func() error { _, err := e.svc.CreateOrg(ctx, long); return err }()); !strings.Contains(got, "at most 190") {
		t.Fatalf("message = %q, want it to name the limit", got)
	}
}
