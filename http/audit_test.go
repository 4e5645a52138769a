package http

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type auditResponse struct {
	TotalCount int             `json:"totalCount"`
	Entries    []auditEntryDTO `json:"entries"`
	Page       int             `json:"page"`
	PerPage    int             `json:"perPage"`
}

func readAudit(t *testing.T, w *httptest.ResponseRecorder) auditResponse {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("GET /api/audit status=%d body=%s, want 200", w.Code, w.Body)
	}
	var r auditResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("GET /api/audit body %s: %v", w.Body, err)
	}
	return r
}

// GET /api/audit: server admins read the log with filters and pages; state changes made
// through the API, and changes refused for lack of permission, appear in it with who did them.
func TestAudit_API(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, nil)
	e.createViewer(t)
	admin := basicAuth("admin", "admin")
	viewer := basicAuth("viewer", "viewer-pw")
	jsonBody := withHeader("Content-Type", "application/json")

	w := e.do(t, "POST", "/api/serviceaccounts", strings.NewReader(`{"name":"ci","role":"Admin"}`), admin, jsonBody)
	if w.Code != 201 {
		t.Fatalf("create service account: %d %s", w.Code, w.Body)
	}
	var sa struct{ ID int64 }
	json.Unmarshal(w.Body.Bytes(), &sa)
	w = e.do(t, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa.ID), strings.NewReader(`{"name":"t"}`), admin, jsonBody)
	if w.Code != 200 {
		t.Fatalf("create token: %d %s", w.Code, w.Body)
	}
	var tok struct {
		ID  int64
		Key string
	}
	json.Unmarshal(w.Body.Bytes(), &tok)
	bearer := withHeader("Authorization", "Bearer "+tok.Key)
	if w := e.do(t, "POST", "/api/teams", strings.NewReader(`{"name":"ops"}`), bearer, jsonBody); w.Code != 200 {
		t.Fatalf("create team with the token: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, "POST", "/api/teams", strings.NewReader(`{"name":"nope"}`), viewer, jsonBody); w.Code != 403 {
		t.Fatalf("viewer creates a team: %d %s, want 403", w.Code, w.Body)
	}
	// Reads are not audited, even refused ones.
	if w := e.do(t, "GET", "/api/audit", nil, viewer); w.Code != 403 {
		t.Fatalf("viewer reads the audit log: %d %s, want 403", w.Code, w.Body)
	}

	all := readAudit(t, e.do(t, "GET", "/api/audit", nil, admin))
	var actions []string
	for _, en := range all.Entries {
		actions = append(actions, en.Action+"/"+en.Outcome)
	}
	// Newest first: the denial, the team, the token, the account; then the setup's rows. The
	// viewer's refused read of the log is not among them.
	want := []string{"access.denied/denied", "team.create/success", "token.create/success", "serviceaccount.create/success"}
	if len(actions) < len(want) || strings.Join(actions[:len(want)], " ") != strings.Join(want, " ") {
		t.Fatalf("audit actions=%v, want them to start with %v", actions, want)
	}
	if all.TotalCount != len(all.Entries) || all.Page != 1 || all.PerPage != 100 {
		t.Errorf("page=%d perPage=%d totalCount=%d entries=%d", all.Page, all.PerPage, all.TotalCount, len(all.Entries))
	}
	denied, team := all.Entries[0], all.Entries[1]
	if denied.ActorLogin != "viewer" || denied.ActorKind != "user" || denied.TargetType != "route" ||
		denied.TargetID != "POST /api/teams" || denied.Detail != "requires teams:create" || denied.ClientIP != "192.0.2.1" {
		t.Errorf("denied entry=%+v", denied)
	}
	if team.ActorKind != "service_account" || team.ActorLogin != "sa-1-ci" || team.TokenID != tok.ID || team.OrgID != 1 {
		t.Errorf("team.create entry=%+v, want the service account sa-1-ci with token %d", team, tok.ID)
	}
	if team.Time.IsZero() || time.Since(team.Time) > time.Hour {
		t.Errorf("team.create time=%v", team.Time)
	}

	for _, tt := range []struct {
		query string
		want  []string // actions, newest first
	}{
		{"action=team.create", []string{"team.create"}},
		{"action=" + url.QueryEscape("t*"), []string{"team.create", "token.create"}},
		{"actor=sa-1-ci", []string{"team.create"}},
		{fmt.Sprintf("tokenId=%d", tok.ID), []string{"team.create"}},
		{"outcome=denied", []string{"access.denied"}},
		{fmt.Sprintf("targetType=serviceaccount&targetId=%d", sa.ID), []string{"serviceaccount.create"}},
		{"actorKind=service_account", []string{"team.create"}},
		{"from=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil},
		{fmt.Sprintf("to=%d", time.Now().Add(-time.Hour).UnixMilli()), nil},
		{fmt.Sprintf("from=%d&action=team.create", time.Now().Add(-time.Hour).UnixMilli()), []string{"team.create"}},
	} {
		got := readAudit(t, e.do(t, "GET", "/api/audit?"+tt.query, nil, admin))
		var acts []string
		for _, en := range got.Entries {
			acts = append(acts, en.Action)
		}
		if fmt.Sprint(acts) != fmt.Sprint(tt.want) || got.TotalCount != len(tt.want) {
			t.Errorf("GET /api/audit?%s: actions %v (total %d), want %v", tt.query, acts, got.TotalCount, tt.want)
		}
	}

	// Pages.
	p2 := readAudit(t, e.do(t, "GET", "/api/audit?perpage=1&page=2", nil, admin))
	if len(p2.Entries) != 1 || p2.Entries[0].ID != team.ID || p2.TotalCount != all.TotalCount || p2.Page != 2 || p2.PerPage != 1 {
		t.Errorf("page 2 of 1: %+v, want the team entry %d with total %d", p2, team.ID, all.TotalCount)
	}
	if big := readAudit(t, e.do(t, "GET", "/api/audit?perpage=100000", nil, admin)); big.PerPage != 1000 {
		t.Errorf("perpage=100000 → perPage %d, want the cap 1000", big.PerPage)
	}

	// Malformed filters are refused, not ignored.
	for _, q := range []string{"from=yesterday", "to=-5", "actorId=abc", "tokenId=0", "orgId=99999999999999999999",
		"perpage=0", "perpage=x", "page=-1", "page=" + strings.Repeat("9", 30),
		"from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z"} {
		w := e.do(t, "GET", "/api/audit?"+q, nil, admin)
		var m struct{ Message string }
		if w.Code != 400 || json.Unmarshal(w.Body.Bytes(), &m) != nil || m.Message == "" {
			t.Errorf("GET /api/audit?%s: %d %s, want 400 with a message", q, w.Code, w.Body)
		}
	}

	// Only server admins: not a service account with the Admin role, not anonymous callers.
	if w := e.do(t, "GET", "/api/audit", nil, bearer); w.Code != 403 || !strings.Contains(w.Body.String(), "Permission denied") {
		t.Errorf("Admin service account reads the audit log: %d %s, want 403", w.Code, w.Body)
	}
	if w := e.do(t, "GET", "/api/audit", nil); w.Code != 401 {
		t.Errorf("anonymous read of the audit log: %d %s, want 401", w.Code, w.Body)
	}
	if strings.Contains(e.do(t, "GET", "/api/audit?perpage=1000", nil, admin).Body.String(), tok.Key) {
		t.Error("the audit log shows a token")
	}
}
