package main

// GET /api/serviceaccounts/search: query, order, paging, the disabled and expiredTokens
// filters, and that callers see only the accounts they may read.

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestServiceAccounts_SearchQueryOrderAndShape(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ids := map[string]int64{}
	for _, n := range []string{"charlie", "Alpha", "bravo", "Delta Force"} {
		ids[n] = saNew(t, saAdmin(t, ts), n)
	}
	saNewToken(t, saAdmin(t, ts), ids["bravo"], "t1", 0)
	m, logins := saSearch(t, saAdmin(t, ts), "")
	if !reflect.DeepEqual(logins, []string{"sa-1-alpha", "sa-1-bravo", "sa-1-charlie", "sa-1-delta-force"}) {
		t.Fatalf("order = %v", logins)
	}
	wantKeys(t, m, "totalCount", "serviceAccounts", "page", "perPage")
	wantFields(t, m, map[string]any{"totalCount": 4, "page": 1, "perPage": 1000})
	first := m["serviceAccounts"].([]any)[1].(map[string]any)
	wantKeys(t, first, "id", "uid", "name", "login", "orgId", "isDisabled", "role", "tokens", "avatarUrl")
	wantFields(t, first, map[string]any{"id": ids["bravo"], "name": "bravo", "login": "sa-1-bravo", "orgId": 1,
		"isDisabled": false, "role": "Viewer", "tokens": 1, "avatarUrl": saAvatar("bravo")})
	for q, want := range map[string][]string{
		"?query=ALPHA":       {"sa-1-alpha"},
		"?query=a":           {"sa-1-alpha", "sa-1-bravo", "sa-1-charlie", "sa-1-delta-force"},
		"?query=rav":         {"sa-1-bravo"},
		"?query=delta%20f":   {"sa-1-delta-force"}, // the name
		"?query=sa-1-DELTA-": {"sa-1-delta-force"}, // the login
		"?query=zzz":         {},
		"?query=%25":         {}, // LIKE wildcards are literal
		"?query=_":           {},
	} {
		m, logins := saSearch(t, saAdmin(t, ts), q)
		if !reflect.DeepEqual(logins, want) {
			t.Fatalf("%s: %v, want %v", q, logins, want)
		}
		wantFields(t, m, map[string]any{"totalCount": len(want)})
	}
}

func TestServiceAccounts_SearchPaging(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, n := range []string{"a", "b", "c"} {
		saNew(t, saAdmin(t, ts), n)
	}
	for _, tc := range []struct {
		query         string
		page, perPage int
		want          []string
	}{
		{"?perpage=2&page=1", 1, 2, []string{"sa-1-a", "sa-1-b"}},
		{"?perpage=2&page=2", 2, 2, []string{"sa-1-c"}},
		{"?perpage=2&page=3", 3, 2, []string{}},
		{"?perpage=1&page=3", 3, 1, []string{"sa-1-c"}},
		{"?perpage=0", 1, 1000, []string{"sa-1-a", "sa-1-b", "sa-1-c"}},
		{"?perpage=-5", 1, 1000, []string{"sa-1-a", "sa-1-b", "sa-1-c"}},
		{"?page=0", 1, 1000, []string{"sa-1-a", "sa-1-b", "sa-1-c"}},
		{"?page=-1&perpage=2", 1, 2, []string{"sa-1-a", "sa-1-b"}},
		{"?page=abc&perpage=xyz", 1, 1000, []string{"sa-1-a", "sa-1-b", "sa-1-c"}},
	} {
		m, logins := saSearch(t, saAdmin(t, ts), tc.query)
		if !reflect.DeepEqual(logins, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.query, logins, tc.want)
		}
		wantFields(t, m, map[string]any{"totalCount": 3, "page": tc.page, "perPage": tc.perPage})
	}
	// Large values never fail.
	for _, q := range []string{"?perpage=5000", "?perpage=5000&page=2", "?page=99999999999", "?page=99999999999&perpage=1000",
		"?page=9223372036854775807&perpage=9223372036854775807", "?page=99999999999999999999999"} {
		m, logins := saSearch(t, saAdmin(t, ts), q)
		wantFields(t, m, map[string]any{"totalCount": 3})
		want := 3
		if strings.Contains(q, "page=2") || strings.Contains(q, "page=9") {
			want = 0
		}
		if q == "?page=99999999999999999999999" {
			want = 3 // not an integer: the default page 1
		}
		if len(logins) != want {
			t.Fatalf("%s: %v, want %d accounts", q, logins, want)
		}
	}
}

func TestServiceAccounts_SearchFilters(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	ts := startServerClock(t, nil, clock)
	on := saNew(t, saAdmin(t, ts), "on")
	off := saCreate(t, saAdmin(t, ts), map[string]any{"name": "off", "isDisabled": true})
	old := saNew(t, saAdmin(t, ts), "old")
	saNewToken(t, saAdmin(t, ts), on, "fresh", 3600)
	saNewToken(t, saAdmin(t, ts), on, "forever", 0)
	saNewToken(t, saAdmin(t, ts), old, "stale", 1)
	clock.Advance(2500 * time.Millisecond) // "stale" has expired
	for q, want := range map[string][]string{
		"?disabled=true":                     {"sa-1-off"},
		"?disabled=1":                        {"sa-1-off"},
		"?disabled=false":                    {"sa-1-off", "sa-1-old", "sa-1-on"},
		"?expiredTokens=true":                {"sa-1-old"},
		"?expiredTokens=T":                   {"sa-1-old"},
		"?disabled=true&expiredTokens=true":  {"sa-1-off"}, // disabled wins
		"?expiredTokens=true&query=on":       {},
		"?disabled=true&query=o":             {"sa-1-off"},
		"?disabled=bogus&expiredTokens=nope": {"sa-1-off", "sa-1-old", "sa-1-on"},
	} {
		m, logins := saSearch(t, saAdmin(t, ts), q)
		if !reflect.DeepEqual(logins, want) {
			t.Fatalf("%s: %v, want %v", q, logins, want)
		}
		wantFields(t, m, map[string]any{"totalCount": len(want)})
	}
	m, _ := saSearch(t, saAdmin(t, ts), "?disabled=true")
	wantFields(t, m["serviceAccounts"].([]any)[0].(map[string]any), map[string]any{"id": off["id"], "isDisabled": true, "tokens": 0})
}

func TestServiceAccounts_SearchShowsOnlyReadable(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit")
	saNew(t, f.admin, "sa-c")
	// Without accesscontrol there is no map.
	m, logins := saSearch(t, f.admin, "")
	if !reflect.DeepEqual(logins, []string{"sa-1-sa-a", "sa-1-sa-b", "sa-1-sa-c"}) {
		t.Fatalf("admin sees %v", logins)
	}
	for _, a := range m["serviceAccounts"].([]any) {
		if _, ok := a.(map[string]any)["accessControl"]; ok {
			t.Fatalf("accessControl present without ?accesscontrol=true: %v", a)
		}
	}
	m, _ = saSearch(t, f.admin, "?accesscontrol=true")
	for _, a := range m["serviceAccounts"].([]any) {
		wantFields(t, a.(map[string]any), map[string]any{"accessControl": map[string]any{
			"serviceaccounts:read": true, "serviceaccounts:write": true, "serviceaccounts:delete": true,
			"serviceaccounts.permissions:read": true, "serviceaccounts.permissions:write": true}})
	}
	// A Viewer holding Edit on A sees exactly A, and totalCount counts only what it may read.
	m, logins = saSearch(t, f.user, "?accesscontrol=true")
	if !reflect.DeepEqual(logins, []string{"sa-1-sa-a"}) {
		t.Fatalf("user sees %v, want [sa-1-sa-a]", logins)
	}
	wantFields(t, m, map[string]any{"totalCount": 1, "page": 1, "perPage": 1000})
	wantFields(t, m["serviceAccounts"].([]any)[0].(map[string]any), map[string]any{"id": f.a,
		"accessControl": map[string]any{"serviceaccounts:read": true, "serviceaccounts:write": true}})
	m, logins = saSearch(t, f.user, "?query=sa-b")
	if len(logins) != 0 {
		t.Fatalf("user finds %v by query", logins)
	}
	wantFields(t, m, map[string]any{"totalCount": 0})
	m, _ = saSearch(t, f.user, "?perpage=1&page=2")
	wantFields(t, m, map[string]any{"totalCount": 1, "serviceAccounts": []any{}})
	// Without any read the search itself is refused; a removed grant takes effect at once.
	saGrant(t, f.ts, f.a, f.userID, "")
	saDenied(t, f.user.do(t, "GET", "/api/serviceaccounts/search", nil), "serviceaccounts:read")
	// Editors have no access either.
	_, ed := saUser(t, f.ts, "ed", "Editor")
	saDenied(t, ed.do(t, "GET", "/api/serviceaccounts/search", nil), "serviceaccounts:read")
}
