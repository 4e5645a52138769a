package warden_test

// Service-level tests of preferences (Grafana's org, team and user preferences): reading the
// defaults, PUT (SetPreferences) replacing everything, PATCH (PatchPreferences) changing only
// the fields it names, validation, who owns which row, and the audit row of a change. The
// helpers (saEnv, asUser, saWantErr) are those of service_account_test.go.

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var (
	prefsOrg    = warden.PreferencesOwner{}
	prefsCaller = warden.PreferencesOwner{Caller: true}
)

func prefsTeam(id int64) warden.PreferencesOwner { return warden.PreferencesOwner{TeamID: id} }

// prefsGet reads the preferences of o as ctx.
func prefsGet(t *testing.T, e *saEnv, ctx context.Context, o warden.PreferencesOwner) *warden.Preferences {
	t.Helper()
	p, err := e.svc.Preferences(ctx, o)
	if err != nil {
		t.Fatalf("Preferences(%+v): %v", o, err)
	}
	return p
}

// prefsFields returns the preference values of p, without owner and times, with empty lists
// as nil, for comparison.
func prefsFields(p *warden.Preferences) warden.Preferences {
	v := *p
	v.OrgID, v.UserID, v.TeamID, v.Created, v.Updated = 0, 0, 0, time.Time{}, time.Time{}
	if len(v.BookmarkURLs) == 0 {
		v.BookmarkURLs = nil
	}
	if len(v.Cookies) == 0 {
		v.Cookies = nil
	}
	return v
}

func prefsWant(t *testing.T, what string, got *warden.Preferences, want warden.Preferences) {
	t.Helper()
	if g, w := prefsFields(got), prefsFields(&want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: preferences %+v, want %+v", what, g, w)
	}
}

// auditRows lists the audit rows of one action, newest first.
func auditRows(t *testing.T, e *saEnv, action string) []*warden.AuditEntry {
	t.Helper()
	var rows []*warden.AuditEntry
	err := e.db.View(context.Background(), func(tx warden.Tx) error {
		var err error
		rows, _, err = tx.FindAuditEntries(context.Background(), warden.AuditFilter{Action: action, Limit: 100})
		return err
	})
	if err != nil {
		t.Fatalf("FindAuditEntries(%s): %v", action, err)
	}
	return rows
}

var prefsFull = warden.Preferences{
	Theme: "dark", HomeDashboardID: 7, HomeDashboardUID: "home-uid", Timezone: "Europe/Paris",
	WeekStart: "monday", Language: "fr-FR", RegionalFormat: "fr", QueryHistoryTab: "starred",
	BookmarkURLs: []string{"/d/a", "/d/b"}, Cookies: []string{"analytics", "functional", "performance"},
}

func TestPreferencesPatch_Apply(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	p := prefsFull
	p.OrgID, p.TeamID = 3, 4
	warden.PreferencesPatch{}.Apply(&p)
	prefsWant(t, "empty patch", &p, prefsFull)
	if p.OrgID != 3 || p.TeamID != 4 {
		t.Fatalf("empty patch changed the owner to org %d team %d", p.OrgID, p.TeamID)
	}

	none := []string{}
	warden.PreferencesPatch{Theme: s("light"), HomeDashboardID: ptr(int64(0)), Timezone: s(""),
		BookmarkURLs: &none, Cookies: &[]string{"functional"}}.Apply(&p)
	want := prefsFull
	want.Theme, want.HomeDashboardID, want.Timezone, want.BookmarkURLs, want.Cookies = "light", 0, "", nil, []string{"functional"}
	prefsWant(t, "patch", &p, want)

	all := warden.PreferencesPatch{Theme: s("system"), HomeDashboardID: ptr(int64(9)), HomeDashboardUID: s("u"),
		Timezone: s("utc"), WeekStart: s("sunday"), Language: s("de-DE"), RegionalFormat: s("de"),
		QueryHistoryTab: s("query"), BookmarkURLs: &[]string{"/x"}, Cookies: &none}
	all.Apply(&p)
	prefsWant(t, "every field", &p, warden.Preferences{Theme: "system", HomeDashboardID: 9, HomeDashboardUID: "u",
		Timezone: "utc", WeekStart: "sunday", Language: "de-DE", RegionalFormat: "de", QueryHistoryTab: "query",
		BookmarkURLs: []string{"/x"}})
}

// Nothing stored reads as Grafana's defaults, every field empty, for each owner.
func TestPreferences_DefaultsWhenNoneStored(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	team, err := e.svc.CreateTeam(ctx, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []warden.PreferencesOwner{prefsOrg, prefsCaller, prefsTeam(team.ID)} {
		p := prefsGet(t, e, ctx, o)
		prefsWant(t, "defaults", p, warden.Preferences{})
		if p.OrgID != 1 || !p.Created.IsZero() {
			t.Fatalf("defaults of %+v: org %d created %v, want org 1 and no time", o, p.OrgID, p.Created)
		}
	}
	_, err = e.svc.Preferences(context.Background(), prefsOrg)
	saWantErr(t, err, warden.ENOTFOUND, "", "Organization not found")
	saWantErr(t, e.svc.SetPreferences(context.Background(), prefsOrg, prefsFull), warden.ENOTFOUND, "", "Organization not found")
}

// PUT replaces every field (omitted ones are cleared) and keeps the creation time.
func TestPreferences_SetReplacesAndKeepsCreated(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	if err := e.svc.SetPreferences(ctx, prefsOrg, prefsFull); err != nil {
		t.Fatalf("SetPreferences: %v", err)
	}
	p := prefsGet(t, e, ctx, prefsOrg)
	prefsWant(t, "after the first PUT", p, prefsFull)
	if !p.Created.Equal(saStart) || !p.Updated.Equal(saStart) {
		t.Fatalf("created %v updated %v, want both %v", p.Created, p.Updated, saStart)
	}

	e.clock.Add(time.Hour)
	// The owner fields of the argument are ignored: the row stays the org's.
	if err := e.svc.SetPreferences(ctx, prefsOrg, warden.Preferences{OrgID: 99, TeamID: 5, Theme: "light",
		Created: saStart.Add(-time.Hour)}); err != nil {
		t.Fatalf("second SetPreferences: %v", err)
	}
	p = prefsGet(t, e, ctx, prefsOrg)
	prefsWant(t, "after the second PUT", p, warden.Preferences{Theme: "light"})
	if !p.Created.Equal(saStart) || !p.Updated.Equal(saStart.Add(time.Hour)) {
		t.Fatalf("created %v updated %v, want %v and %v", p.Created, p.Updated, saStart, saStart.Add(time.Hour))
	}
	if p.OrgID != 1 || p.TeamID != 0 {
		t.Fatalf("owner org %d team %d, want org 1 team 0", p.OrgID, p.TeamID)
	}
}

// PATCH changes only what it names; a PATCH on nothing stored creates the row.
func TestPreferences_PatchChangesOnlyNamedFields(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	if err := e.svc.PatchPreferences(ctx, prefsCaller, warden.PreferencesPatch{Timezone: ptr("utc")}); err != nil {
		t.Fatalf("PatchPreferences on nothing stored: %v", err)
	}
	prefsWant(t, "first patch", prefsGet(t, e, ctx, prefsCaller), warden.Preferences{Timezone: "utc"})

	if err := e.svc.SetPreferences(ctx, prefsCaller, prefsFull); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if err := e.svc.PatchPreferences(ctx, prefsCaller, warden.PreferencesPatch{
		Theme: ptr("system"), Cookies: &[]string{}, HomeDashboardID: ptr(int64(0))}); err != nil {
		t.Fatalf("PatchPreferences: %v", err)
	}
	want := prefsFull
	want.Theme, want.Cookies, want.HomeDashboardID = "system", nil, 0
	p := prefsGet(t, e, ctx, prefsCaller)
	prefsWant(t, "after the patch", p, want)
	if !p.Created.Equal(saStart) || !p.Updated.Equal(saStart.Add(time.Minute)) {
		t.Fatalf("created %v updated %v, want %v and %v", p.Created, p.Updated, saStart, saStart.Add(time.Minute))
	}
}

// Values Grafana refuses are EINVALID with its message, by PUT and by PATCH, and leave the
// stored preferences as they were; the limits themselves are accepted.
func TestPreferences_Validation(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	long, longest := strings.Repeat("a", 191), strings.Repeat("a", 190)
	tooMany := make([]string, 51)
	for i := range tooMany {
		tooMany[i] = "/d/x"
	}
	const lenMsg = "preference values are at most 190 characters"
	for _, tc := range []struct {
		name  string
		patch warden.PreferencesPatch
		msg   string // "" when accepted
	}{
		{"ThemeUnknown", warden.PreferencesPatch{Theme: ptr("blue")}, "Invalid theme"},
		{"ThemeCase", warden.PreferencesPatch{Theme: ptr("Dark")}, "Invalid theme"},
		{"CookieUnknown", warden.PreferencesPatch{Cookies: &[]string{"analytics", "tracking"}}, `Invalid cookie type "tracking"`},
		{"HomeDashboardNegative", warden.PreferencesPatch{HomeDashboardID: ptr(int64(-1))}, "Invalid home dashboard id"},
		{"HomeDashboardUIDLong", warden.PreferencesPatch{HomeDashboardUID: &long}, lenMsg},
		{"TimezoneLong", warden.PreferencesPatch{Timezone: &long}, lenMsg},
		{"WeekStartLong", warden.PreferencesPatch{WeekStart: &long}, lenMsg},
		{"LanguageLong", warden.PreferencesPatch{Language: &long}, lenMsg},
		{"RegionalFormatLong", warden.PreferencesPatch{RegionalFormat: &long}, lenMsg},
		{"QueryHistoryTabLong", warden.PreferencesPatch{QueryHistoryTab: &long}, lenMsg},
		{"TooManyBookmarks", warden.PreferencesPatch{BookmarkURLs: &tooMany}, "at most 50 bookmarks"},
		{"BookmarkLong", warden.PreferencesPatch{BookmarkURLs: &[]string{"/" + strings.Repeat("b", 2048)}}, "bookmark URLs are at most 2048 characters"},

		{"ThemeLight", warden.PreferencesPatch{Theme: ptr("light")}, ""},
		{"ThemeDark", warden.PreferencesPatch{Theme: ptr("dark")}, ""},
		{"ThemeSystem", warden.PreferencesPatch{Theme: ptr("system")}, ""},
		{"ThemeDefault", warden.PreferencesPatch{Theme: ptr("")}, ""},
		{"AllCookies", warden.PreferencesPatch{Cookies: &[]string{"performance", "functional", "analytics"}}, ""},
		{"LongestValues", warden.PreferencesPatch{Timezone: &longest, HomeDashboardUID: &longest}, ""},
		{"LongestBookmark", warden.PreferencesPatch{BookmarkURLs: &[]string{strings.Repeat("b", 2048)}}, ""},
		{"FiftyBookmarks", warden.PreferencesPatch{BookmarkURLs: ptr(tooMany[:50])}, ""},
	} {
		// Subtests share one database and run in order: each one starts from prefsFull.
		t.Run(tc.name, func(t *testing.T) {
			if err := e.svc.SetPreferences(ctx, prefsOrg, prefsFull); err != nil {
				t.Fatal(err)
			}
			want := prefsFull
			if tc.msg == "" {
				tc.patch.Apply(&want)
			}
			err := e.svc.PatchPreferences(ctx, prefsOrg, tc.patch)
			if tc.msg == "" && err != nil {
				t.Fatalf("PATCH: %v", err)
			}
			if tc.msg != "" {
				saWantErr(t, err, warden.EINVALID, "", tc.msg)
			}
			prefsWant(t, "after PATCH", prefsGet(t, e, ctx, prefsOrg), want)

			put := warden.Preferences{}
			tc.patch.Apply(&put)
			err = e.svc.SetPreferences(ctx, prefsOrg, put)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("PUT: %v", err)
				}
				want = put
			} else {
				saWantErr(t, err, warden.EINVALID, "", tc.msg)
			}
			prefsWant(t, "after PUT", prefsGet(t, e, ctx, prefsOrg), want)
		})
	}
}

// The org, each team and each user in each org have their own preferences; nothing of one org
// is seen from another, and a team of another org is "Team not found".
func TestPreferences_Owners(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	admin := e.asAdmin(t)
	bob := e.user(t, "bob") // a Viewer of org 1
	bctx := e.asUser(t, bob, 1)
	team, err := e.svc.CreateTeam(admin, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	org2, err := e.svc.CreateOrg(admin, "Org2") // the admin becomes its Admin
	if err != nil {
		t.Fatal(err)
	}
	admin2 := e.asUser(t, e.admin, org2.ID)
	team2, err := e.svc.CreateTeam(admin2, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	set := func(ctx context.Context, o warden.PreferencesOwner, theme, tz string) {
		t.Helper()
		if err := e.svc.SetPreferences(ctx, o, warden.Preferences{Theme: theme, Timezone: tz}); err != nil {
			t.Fatalf("SetPreferences(%+v): %v", o, err)
		}
	}
	set(admin, prefsOrg, "dark", "org1")
	set(admin, prefsTeam(team.ID), "light", "team1")
	set(admin, prefsCaller, "system", "admin@1")
	set(bctx, prefsCaller, "light", "bob@1")
	set(admin2, prefsCaller, "dark", "admin@2")
	set(admin2, prefsTeam(team2.ID), "dark", "team2")

	for _, tc := range []struct {
		name string
		ctx  context.Context
		o    warden.PreferencesOwner
		want warden.Preferences
	}{
		{"Org1", admin, prefsOrg, warden.Preferences{Theme: "dark", Timezone: "org1"}},
		{"Org1FromBob", bctx, prefsOrg, warden.Preferences{Theme: "dark", Timezone: "org1"}},
		{"Team1", bctx, prefsTeam(team.ID), warden.Preferences{Theme: "light", Timezone: "team1"}},
		{"AdminInOrg1", admin, prefsCaller, warden.Preferences{Theme: "system", Timezone: "admin@1"}},
		{"BobInOrg1", bctx, prefsCaller, warden.Preferences{Theme: "light", Timezone: "bob@1"}},
		{"AdminInOrg2", admin2, prefsCaller, warden.Preferences{Theme: "dark", Timezone: "admin@2"}},
		{"Org2Untouched", admin2, prefsOrg, warden.Preferences{}},
		{"Team2", admin2, prefsTeam(team2.ID), warden.Preferences{Theme: "dark", Timezone: "team2"}},
	} {
		p := prefsGet(t, e, tc.ctx, tc.o)
		prefsWant(t, tc.name, p, tc.want)
		if p.TeamID != tc.o.TeamID {
			t.Fatalf("%s: TeamID %d, want %d", tc.name, p.TeamID, tc.o.TeamID)
		}
	}

	// A team of another org, or no team at all, is not found, and nothing is written.
	for _, c := range []struct {
		ctx    context.Context
		teamID int64
	}{{admin, team2.ID}, {admin2, team.ID}, {admin, 9999}} {
		_, err := e.svc.Preferences(c.ctx, prefsTeam(c.teamID))
		saWantErr(t, err, warden.ENOTFOUND, "", "Team not found")
		saWantErr(t, e.svc.SetPreferences(c.ctx, prefsTeam(c.teamID), prefsFull), warden.ENOTFOUND, "", "Team not found")
		saWantErr(t, e.svc.PatchPreferences(c.ctx, prefsTeam(c.teamID), warden.PreferencesPatch{Theme: ptr("dark")}),
			warden.ENOTFOUND, "", "Team not found")
	}
	prefsWant(t, "team 2 after refused writes", prefsGet(t, e, admin2, prefsTeam(team2.ID)),
		warden.Preferences{Theme: "dark", Timezone: "team2"})
	prefsWant(t, "team 1 after refused writes", prefsGet(t, e, admin, prefsTeam(team.ID)),
		warden.Preferences{Theme: "light", Timezone: "team1"})

	// A deleted team's preferences go with it.
	if err := e.svc.DeleteTeam(admin, team.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Preferences(admin, prefsTeam(team.ID))
	saWantErr(t, err, warden.ENOTFOUND, "", "Team not found")
}

// Each saved change writes one "preferences.update" row naming the owner; a refused one
// writes none.
func TestPreferences_Audit(t *testing.T) {
	t.Parallel()
	e := newSAEnv(t, nil)
	ctx := e.asAdmin(t)
	team, err := e.svc.CreateTeam(ctx, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.svc.SetPreferences(ctx, prefsOrg, prefsFull))
	must(e.svc.PatchPreferences(ctx, prefsTeam(team.ID), warden.PreferencesPatch{Theme: ptr("dark")}))
	must(e.svc.PatchPreferences(ctx, prefsCaller, warden.PreferencesPatch{Theme: ptr("light")}))
	saWantErr(t, e.svc.SetPreferences(ctx, prefsOrg, warden.Preferences{Theme: "neon"}), warden.EINVALID, "", "Invalid theme")

	rows := auditRows(t, e, "preferences.update")
	var got []string
	for _, r := range rows {
		got = append(got, r.TargetType+"="+r.TargetID+" "+r.Outcome+" by "+r.ActorLogin+" in "+idStr(r.OrgID))
	}
	want := []string{
		"user=" + idStr(e.admin.ID) + " success by admin in 1",
		"team=" + idStr(team.ID) + " success by admin in 1",
		"org=1 success by admin in 1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("preferences.update rows %q, want %q", got, want)
	}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
