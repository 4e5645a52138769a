// Audit log: writing entries, FindAuditEntries with its filters and paging (newest first), and
// DeleteAuditEntriesBefore.

package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var auditTests = []contractTest{
	{"Audit/CreateFind", testAuditCreateFind},
	{"Audit/Filter", testAuditFilter},
	{"Audit/DeleteBefore", testAuditDeleteBefore},
}

// mustCreateAuditEntries writes the entries, in order, in one transaction.
func mustCreateAuditEntries(t *testing.T, s warden.Store, entries ...*warden.AuditEntry) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		for _, e := range entries {
			if err := tx.CreateAuditEntry(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	for _, e := range entries {
		if e.ID == 0 {
			t.Fatalf("CreateAuditEntry(%+v) left ID 0", *e)
		}
	}
}

func testAuditCreateFind(t *testing.T, s warden.Store) {
	entries := []*warden.AuditEntry{
		{Created: t0, ActorKind: "user", ActorID: 7, OrgID: 1, ClientIP: "192.0.2.1", Action: "user.create",
			TargetType: "user", TargetID: "8", Outcome: "success", Detail: "login=bob"},
		{Created: t0.Add(time.Second), ActorKind: "service_account", ActorID: 9, TokenID: 12, OrgID: 2,
			ClientIP: "2001:db8::1", Action: "org.update", TargetType: "org", TargetID: "2", Outcome: "failure",
			Detail: "name taken"},
		{Created: t0.Add(time.Second), ActorKind: "anonymous", Action: "login", Outcome: "failure"},
	}
	mustCreateAuditEntries(t, s, entries...)
	got := auditEntries(t, s, warden.AuditFilter{Limit: 10})
	if len(got) != 3 {
		t.Fatalf("len(FindAuditEntries(10))=%d, want 3", len(got))
	}
	for i, want := range []*warden.AuditEntry{entries[2], entries[1], entries[0]} {
		wantEqual(t, fmt.Sprintf("FindAuditEntries[%d]", i), *got[i], *want)
	}
	got = auditEntries(t, s, warden.AuditFilter{Limit: 2})
	if len(got) != 2 {
		t.Fatalf("len(FindAuditEntries(2))=%d, want 2", len(got))
	}
	if got[0].ID != entries[2].ID || got[1].ID != entries[1].ID {
		t.Fatalf("FindAuditEntries(2) IDs=%d,%d, want %d,%d", got[0].ID, got[1].ID, entries[2].ID, entries[1].ID)
	}
}

func testAuditFilter(t *testing.T, s warden.Store) {
	ctx := t.Context()
	entries := []*warden.AuditEntry{
		{Created: t0, ActorKind: "user", ActorID: 7, ActorLogin: "alice", OrgID: 1, Action: "token.create",
			TargetType: "token", TargetID: "1", Outcome: "success"},
		{Created: t0.Add(time.Minute), ActorKind: "service_account", ActorID: 9, ActorLogin: "sa-1-ci", TokenID: 12,
			OrgID: 2, Action: "token.delete", TargetType: "token", TargetID: "1", Outcome: "success"},
		{Created: t0.Add(2 * time.Minute), ActorKind: "user", ActorID: 7, ActorLogin: "alice", OrgID: 1,
			Action: "team.create", TargetType: "team", TargetID: "3", Outcome: "denied"},
		{Created: t0.Add(3 * time.Minute), ActorKind: "anonymous", Action: "login", TargetType: "user",
			Outcome: "failure", Detail: "unknown user bob…"},
		{Created: t0.Add(4 * time.Minute), ActorKind: "user", ActorID: 8, ActorLogin: "to%_ken", Action: "tokenXcreate",
			Outcome: "success"},
	}
	mustCreateAuditEntries(t, s, entries...)
	for _, tt := range []struct {
		name string
		f    warden.AuditFilter
		want []int // indexes into entries, newest first
	}{
		{"all", warden.AuditFilter{}, []int{4, 3, 2, 1, 0}},
		{"from inclusive", warden.AuditFilter{From: t0.Add(time.Minute)}, []int{4, 3, 2, 1}},
		{"to exclusive", warden.AuditFilter{To: t0.Add(2 * time.Minute)}, []int{1, 0}},
		{"range", warden.AuditFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []int{2, 1}},
		{"actor kind and id", warden.AuditFilter{ActorKind: "user", ActorID: 7}, []int{2, 0}},
		{"actor login", warden.AuditFilter{ActorLogin: "sa-1-ci"}, []int{1}},
		{"token", warden.AuditFilter{TokenID: 12}, []int{1}},
		{"org", warden.AuditFilter{OrgID: 1}, []int{2, 0}},
		{"action exact", warden.AuditFilter{Action: "token.create"}, []int{0}},
		{"action prefix", warden.AuditFilter{Action: "token.*"}, []int{1, 0}},
		{"prefix is literal", warden.AuditFilter{Action: "token_*"}, nil},
		{"target", warden.AuditFilter{TargetType: "token", TargetID: "1"}, []int{1, 0}},
		{"outcome", warden.AuditFilter{Outcome: "denied"}, []int{2}},
		{"nothing", warden.AuditFilter{ActorLogin: "nobody"}, nil},
		{"page", warden.AuditFilter{Offset: 1, Limit: 2}, []int{3, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total := getPage(t, s, "FindAuditEntries", func(tx warden.Tx) ([]*warden.AuditEntry, int, error) {
				return tx.FindAuditEntries(ctx, tt.f)
			})
			var ids, want []int64
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			for _, i := range tt.want {
				want = append(want, entries[i].ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Fatalf("FindAuditEntries(%+v) IDs=%v, want %v", tt.f, ids, want)
			}
			wantTotal := len(tt.want)
			if tt.f.Limit > 0 {
				wantTotal = len(entries)
			}
			if total != wantTotal {
				t.Fatalf("total=%d, want %d", total, wantTotal)
			}
		})
	}
}

func testAuditDeleteBefore(t *testing.T, s warden.Store) {
	ctx := t.Context()
	var entries []*warden.AuditEntry
	for i := range 7 {
		entries = append(entries, &warden.AuditEntry{Created: t0.Add(time.Duration(i) * time.Hour), ActorKind: "system",
			Action: "x", Outcome: "success", Detail: fmt.Sprint(i)})
	}
	mustCreateAuditEntries(t, s, entries...)
	deleteBefore := func(limit int) int {
		var n int
		update(t, s, func(tx warden.Tx) error {
			var err error
			n, err = tx.DeleteAuditEntriesBefore(ctx, t0.Add(5*time.Hour), limit)
			return err
		})
		return n
	}
	// Entries 0–4 are older than the cutoff; they go oldest first, at most limit at a time.
	if n := deleteBefore(3); n != 3 {
		t.Fatalf("first DeleteAuditEntriesBefore(limit 3)=%d, want 3", n)
	}
	if n := deleteBefore(3); n != 2 {
		t.Fatalf("second DeleteAuditEntriesBefore(limit 3)=%d, want 2", n)
	}
	if n := deleteBefore(3); n != 0 {
		t.Fatalf("third DeleteAuditEntriesBefore(limit 3)=%d, want 0", n)
	}
	got := auditEntries(t, s, warden.AuditFilter{})
	var details []string
	for _, e := range got {
		details = append(details, e.Detail)
	}
	if fmt.Sprint(details) != "[6 5]" {
		t.Fatalf("entries left=%v, want [6 5]", details)
	}
}
