package http

// The authorization matrix's runner: the server with one caller of each kind and the objects
// the cells act on, the tests that send every cell and check that the matrix lists exactly the
// served routes, and the rendering of docs/permissions.md. The matrix itself is in
// authz_matrix_test.go.

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

var updatePermissionsDoc = flag.Bool("update-permissions-doc", false, "rewrite docs/permissions.md from the authorization matrix")

const permissionsDocPath = "../docs/permissions.md"

// ---- fixtures ----

const matrixPassword = "matrix-pw"

// matrixCSRF is the pre-sign-in double-submit CSRF value callers without a session send with
// form posts, so that a page cell shows the permission decision rather than the CSRF check.
const matrixCSRF = "matrix-csrf-0123456789abcdefghijklmnopqrstuvwxyz"

// matrixCaller is one caller's credentials.
type matrixCaller struct {
	key      string
	session  string // session cookie
	bearer   string // Authorization: Bearer value
	userID   int64  // the user or service account
	login    string
	email    string
	password string
	// renew builds a new identity of the same kind (users only).
	renew func() *matrixCaller
}

// matrix is a server with one caller of each kind and the objects the cells act on.
type matrix struct {
	t       testing.TB
	env     *testEnv
	store   warden.Store
	ctx     context.Context // acts as the server admin in org 1
	pwHash  string
	seq     int
	org2    int64
	target  int64        // SA of org 1: M-Edit holds Edit on it, M-Admin holds Admin
	team    int64        // team of org 1 whose only member is the server admin (its creator)
	grantee *warden.User // Viewer of org 1 who is no caller: grants and memberships go to it
	signin  string       // login of a Viewer of org 1 who signs in with matrixPassword
	callers map[string]*matrixCaller
}

type matrixMember struct {
	org  int64
	role warden.OrgRole
}

func newMatrix(t testing.TB) *matrix {
	t.Helper()
	var store warden.Store
	env := newTestEnvOn(t, func(s warden.Store) warden.Store { store = s; return s }, func(c *warden.Config) {
		// Revocation, expiry and disabling are read from the database on every request.
		c.Cache.Tokens = 0
	})
	ctx := context.Background()
	m := &matrix{t: t, env: env, store: store, callers: map[string]*matrixCaller{}}
	admin, err := env.svc.LookupUser(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	m.ctx = m.actingAs(admin, 1)
	if m.pwHash, err = warden.NewHasher(fastPasswordHash).Hash(ctx, matrixPassword); err != nil {
		t.Fatal(err)
	}
	org2, err := env.svc.CreateOrg(ctx, "Org 2")
	if err != nil {
		t.Fatal(err)
	}
	m.org2 = org2.ID
	m.grantee = m.user("grantee", false, false, matrixMember{1, warden.RoleViewer})
	m.signin = m.user("signin", true, false, matrixMember{1, warden.RoleViewer}).Login
	if m.target, err = m.createSA("target", warden.RoleViewer); err != nil {
		t.Fatal(err)
	}
	team, err := env.svc.CreateTeam(m.ctx, "matrix-team", "")
	if err != nil {
		t.Fatal(err)
	}
	m.team = team.ID

	m.callers["anon"] = &matrixCaller{key: "anon"}
	secret, err := warden.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m.callers["bad"] = &matrixCaller{key: "bad", bearer: secret.Reveal()}

	// The expired token is issued on a clock one hour back, with one minute to live.
	clock := env.svc.Now
	env.svc.Now = func() time.Time { return clock().Add(-time.Hour) }
	m.callers["exp"] = m.saCaller("exp", warden.RoleAdmin, 60)
	env.svc.Now = clock
	rev := m.saCaller("rev", warden.RoleAdmin, 0)
	if err := env.svc.RevokeToken(ctx, rev.tokenID(t, m)); err != nil {
		t.Fatal(err)
	}
	m.callers["rev"] = rev
	dis := m.saCaller("dis", warden.RoleAdmin, 0)
	yes := true
	if _, err := env.svc.UpdateServiceAccount(m.ctx, dis.userID, warden.ServiceAccountUpdate{IsDisabled: &yes}); err != nil {
		t.Fatal(err)
	}
	m.callers["dis"] = dis

	m.callers["None"] = m.userCaller("None", false, matrixMember{1, warden.RoleNone})
	m.callers["View"] = m.userCaller("View", false, matrixMember{1, warden.RoleViewer})
	m.callers["Edit"] = m.userCaller("Edit", false, matrixMember{1, warden.RoleEditor})
	m.callers["Admin"] = m.userCaller("Admin", false, matrixMember{1, warden.RoleAdmin})
	_, adminSession, err := env.svc.Login(ctx, "admin", "admin", "matrix")
	if err != nil {
		t.Fatal(err)
	}
	m.callers["Srv"] = &matrixCaller{key: "Srv", session: adminSession, userID: admin.ID,
		login: admin.Login, email: admin.Email, password: "admin",
		renew: func() *matrixCaller { return m.userCaller("Srv", true, matrixMember{1, warden.RoleAdmin}) }}
	m.callers["SA-N"] = m.saCaller("SA-N", warden.RoleNone, 0)
	m.callers["SA-V"] = m.saCaller("SA-V", warden.RoleViewer, 0)
	m.callers["SA-E"] = m.saCaller("SA-E", warden.RoleEditor, 0)
	m.callers["SA-A"] = m.saCaller("SA-A", warden.RoleAdmin, 0)
	m.callers["Org2"] = m.userCaller("Org2", false, matrixMember{m.org2, warden.RoleAdmin})
	m.callers["M-Edit"] = m.managedCaller("M-Edit", warden.LevelEdit)
	m.callers["M-Admin"] = m.managedCaller("M-Admin", warden.LevelAdmin)
	for _, k := range matrixCallerKinds {
		if m.callers[k.key] == nil {
			t.Fatalf("no caller %q", k.key)
		}
	}
	return m
}

// actingAs returns a context whose principal is u acting in org.
func (m *matrix) actingAs(u *warden.User, org int64) context.Context {
	m.t.Helper()
	p, err := m.env.svc.UserPrincipal(context.Background(), u, org)
	if err != nil {
		m.t.Fatal(err)
	}
	return warden.NewContextWithPrincipal(context.Background(), p)
}

// name returns a name no other object has.
func (m *matrix) name(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s-%d", prefix, m.seq)
}

// user creates a human user directly in the store (no password hashing per user): a member of
// orgs, acting in the first one; withPassword lets it sign in with matrixPassword.
func (m *matrix) user(prefix string, withPassword, serverAdmin bool, orgs ...matrixMember) *warden.User {
	m.t.Helper()
	ctx := context.Background()
	login := strings.ToLower(m.name(prefix))
	now := time.Now().UTC().Truncate(time.Second)
	u := &warden.User{UID: strings.ReplaceAll(login, "-", ""), Login: login, Email: login + "@matrix.test", Name: login,
		IsAdmin: serverAdmin, Created: now, Updated: now, LastSeenAt: now.AddDate(-10, 0, 0)}
	if withPassword {
		u.PasswordHash = m.pwHash
	}
	if len(orgs) > 0 {
		u.OrgID = orgs[0].org
	}
	err := m.store.Update(ctx, func(tx warden.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for _, o := range orgs {
			if err := tx.AddOrgUser(ctx, &warden.OrgUser{OrgID: o.org, UserID: u.ID, Role: o.role, Created: now, Updated: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return u
}

// userCaller creates a user and signs it in.
func (m *matrix) userCaller(key string, serverAdmin bool, orgs ...matrixMember) *matrixCaller {
	m.t.Helper()
	u := m.user("caller-"+strings.ToLower(key), true, serverAdmin, orgs...)
	_, session, err := m.env.svc.Login(context.Background(), u.Login, matrixPassword, "matrix")
	if err != nil {
		m.t.Fatal(err)
	}
	return &matrixCaller{key: key, session: session, userID: u.ID, login: u.Login, email: u.Email, password: matrixPassword,
		renew: func() *matrixCaller { return m.userCaller(key, serverAdmin, orgs...) }}
}

// managedCaller is a user with role None in org 1 and a managed permission on the target SA.
func (m *matrix) managedCaller(key string, level warden.ManagedLevel) *matrixCaller {
	m.t.Helper()
	c := m.userCaller(key, false, matrixMember{1, warden.RoleNone})
	m.grant(m.target, c.userID, level)
	c.renew = func() *matrixCaller { return m.managedCaller(key, level) }
	return c
}

func (m *matrix) grant(sa, userID int64, level warden.ManagedLevel) {
	m.t.Helper()
	if _, err := m.env.svc.SetServiceAccountUserPermission(m.ctx, sa, userID, level); err != nil {
		m.t.Fatal(err)
	}
}

func (m *matrix) createSA(prefix string, role warden.OrgRole) (int64, error) {
	a, err := m.env.svc.CreateServiceAccount(m.ctx, m.name(prefix), &role, false)
	if err != nil {
		return 0, err
	}
	return a.ID, nil
}

// saCaller creates a service account of org 1 with role and a token for it.
func (m *matrix) saCaller(key string, role warden.OrgRole, secondsToLive int64) *matrixCaller {
	m.t.Helper()
	sa, err := m.createSA("caller-"+strings.ToLower(key), role)
	if err != nil {
		m.t.Fatal(err)
	}
	_, secret, err := m.env.svc.IssueToken(m.ctx, sa, m.name("caller-token"), secondsToLive, warden.TokenRestrictions{})
	if err != nil {
		m.t.Fatal(err)
	}
	return &matrixCaller{key: key, bearer: secret.Reveal(), userID: sa}
}

// tokenID returns the id of the only token of a service-account caller.
func (c *matrixCaller) tokenID(t testing.TB, m *matrix) int64 {
	t.Helper()
	list, err := m.env.svc.ListTokens(m.ctx, c.userID)
	if err != nil || len(list) != 1 {
		t.Fatalf("tokens of %s: %v, %v", c.key, list, err)
	}
	return list[0].ID
}

// freshSA creates a Viewer service account of org 1 on which M-Edit holds Edit and M-Admin
// holds Admin, as on the target SA.
func (m *matrix) freshSA() int64 {
	m.t.Helper()
	sa, err := m.createSA("fresh", warden.RoleViewer)
	if err != nil {
		m.t.Fatal(err)
	}
	m.grant(sa, m.callers["M-Edit"].userID, warden.LevelEdit)
	m.grant(sa, m.callers["M-Admin"].userID, warden.LevelAdmin)
	return sa
}

func (m *matrix) freshToken(sa int64) int64 {
	m.t.Helper()
	tk, _, err := m.env.svc.IssueToken(m.ctx, sa, m.name("fresh-token"), 0, warden.TokenRestrictions{})
	if err != nil {
		m.t.Fatal(err)
	}
	return tk.ID
}

// freshTeam creates a team of org 1 (its creator, the server admin, is its Admin), with the
// grantee as a member when withGrantee is set.
func (m *matrix) freshTeam(withGrantee bool) int64 {
	m.t.Helper()
	tm, err := m.env.svc.CreateTeam(m.ctx, m.name("fresh-team"), "")
	if err != nil {
		m.t.Fatal(err)
	}
	if withGrantee {
		if err := m.env.svc.AddTeamMember(m.ctx, tm.ID, m.grantee.ID); err != nil {
			m.t.Fatal(err)
		}
	}
	return tm.ID
}

// freshOrg creates an org without members.
func (m *matrix) freshOrg() int64 {
	m.t.Helper()
	o, err := m.env.svc.CreateOrg(context.Background(), m.name("fresh-org"))
	if err != nil {
		m.t.Fatal(err)
	}
	return o.ID
}

// orgName returns the name of org id.
func (m *matrix) orgName(id int64) string {
	m.t.Helper()
	o, err := m.env.svc.FindOrgByID(context.Background(), id)
	if err != nil {
		m.t.Fatal(err)
	}
	return o.Name
}

// orgUser creates a Viewer of org 1 (and of no other org).
func (m *matrix) orgUser() *warden.User {
	return m.user("target-user", false, false, matrixMember{1, warden.RoleViewer})
}

// signedInUser creates a Viewer of org 1 with one session, and returns the user and the
// session's id.
func (m *matrix) signedInUser() (*warden.User, int64) {
	m.t.Helper()
	u := m.user("session-user", true, false, matrixMember{1, warden.RoleViewer})
	if _, _, err := m.env.svc.Login(context.Background(), u.Login, matrixPassword, "matrix"); err != nil {
		m.t.Fatal(err)
	}
	sessions, err := m.env.svc.UserSessions(context.Background(), u.ID)
	if err != nil || len(sessions) != 1 {
		m.t.Fatalf("sessions of a user signed in once: %d, %v", len(sessions), err)
	}
	return u, sessions[0].ID
}

// outsider creates a user that belongs to no org.
func (m *matrix) outsider() *warden.User { return m.user("outsider", false, false) }

// send sends rq with method as caller c and returns the response.
func (m *matrix) send(c *matrixCaller, method string, rq matrixReq, extra ...reqOption) *httptest.ResponseRecorder {
	var body io.Reader
	ct := ""
	switch {
	case rq.form != nil:
		switch {
		case c.session != "":
			rq.form.Set("csrf", csrfFor(c.session))
		default:
			rq.form.Set("csrf", matrixCSRF)
		}
		body, ct = strings.NewReader(rq.form.Encode()), "application/x-www-form-urlencoded"
	case rq.json != "":
		body, ct = strings.NewReader(rq.json), "application/json"
	}
	r := httptest.NewRequest(method, rq.path, body)
	r.RemoteAddr = "192.0.2.1:1234"
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if c.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.session != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.session})
		r.Header.Set("Origin", "http://example.com") // httptest requests go to example.com
	} else if rq.form != nil {
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: matrixCSRF})
	}
	for _, o := range extra {
		o(r)
	}
	w := httptest.NewRecorder()
	m.env.handler.ServeHTTP(w, r)
	return w
}

// ---- the tests ----

func TestAuthzMatrix(t *testing.T) {
	start := time.Now()
	m := newMatrix(t)
	cells := 0
	for _, row := range matrixRows {
		if row.own != "" {
			continue
		}
		want := row.wantStatuses()
		if len(want) != len(matrixCallerKinds) {
			t.Errorf("%s: %d statuses for %d callers", row.pattern, len(want), len(matrixCallerKinds))
			continue
		}
		method, path, _ := strings.Cut(row.pattern, " ")
		t.Run(row.pattern, func(t *testing.T) {
			// Fixtures made for a cell fail the subtest that needs them.
			parent := m.t
			m.t = t
			defer func() { m.t = parent }()
			for i, kind := range matrixCallerKinds {
				c := m.callers[kind.key]
				if row.fresh && c.renew != nil {
					c = c.renew()
				}
				rq := matrixReq{path: path}
				if row.req != nil {
					rq = row.req(m, c)
				}
				w := m.send(c, method, rq)
				cells++
				if msg := checkCell(want[i], kind, w); msg != "" {
					t.Errorf("%-8s %s %s: %s; body %.200s", kind.key, method, rq.path, msg, strings.TrimSpace(w.Body.String()))
				}
			}
		})
	}
	t.Logf("%d routes × %d callers: %d cells in %v", len(matrixRows), len(matrixCallerKinds), cells, time.Since(start).Round(time.Millisecond))
}

// checkCell compares one response with its expected status and says what is wrong, if
// anything.
func checkCell(want string, kind matrixCallerKind, w *httptest.ResponseRecorder) string {
	got := w.Code
	catchAll := got == http.StatusNotFound && (body(w) == genericNotFound || strings.Contains(w.Body.String(), "<h1>Page not found</h1>"))
	if fmt.Sprint(got) != want {
		return fmt.Sprintf("status %d, want %s", got, want)
	}
	if catchAll {
		return "answered by the catch-all 404: the route is not served"
	}
	// Signed-out browsers are sent to the sign-in page.
	if !kind.signed && (got == http.StatusFound || got == http.StatusSeeOther) {
		if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/login") {
			return fmt.Sprintf("Location %q, want the sign-in page", loc)
		}
	}
	// A 304 for an SA token carries no body (SPEC-identity §2.6).
	if got == http.StatusNotModified && w.Body.Len() != 0 {
		return fmt.Sprintf("304 with a body %q", w.Body)
	}
	return ""
}

// TestAuthzMatrix_CoversEveryRoute fails when the server serves a route the matrix does not
// list, or the matrix lists a route the server does not serve.
func TestAuthzMatrix_CoversEveryRoute(t *testing.T) {
	env := newTestEnv(t, nil)
	served := map[string]bool{}
	for _, rt := range routes(env.opts, newUI(env.opts)) {
		served[rt.pattern] = true
	}
	listed := map[string]bool{}
	for _, row := range matrixRows {
		if listed[row.pattern] {
			t.Errorf("%s: listed twice", row.pattern)
		}
		listed[row.pattern] = true
		if !served[row.pattern] {
			t.Errorf("%s: in the matrix, but the server does not serve it", row.pattern)
		}
	}
	var missing []string
	for p := range served {
		if !listed[p] {
			missing = append(missing, p)
		}
	}
	slices.Sort(missing)
	for _, p := range missing {
		t.Errorf("%s: served, but not in the authorization matrix (http/authz_matrix_test.go)", p)
	}
}

// TestAuthzMatrix_Doc checks that docs/permissions.md is the matrix's rendering; with
// -update-permissions-doc it rewrites the file.
func TestAuthzMatrix_Doc(t *testing.T) {
	doc := permissionsDoc()
	if *updatePermissionsDoc {
		if err := os.WriteFile(permissionsDocPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(permissionsDocPath)
	if err != nil {
		t.Fatalf("%v; create it with: go test ./http -run TestAuthzMatrix -update-permissions-doc", err)
	}
	if string(old) != doc {
		t.Fatal("docs/permissions.md is stale: the authorization matrix changed. Regenerate it with\n" +
			"\tgo test ./http -run TestAuthzMatrix -update-permissions-doc")
	}
}

// permissionsDoc renders the matrix as Markdown.
func permissionsDoc() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Who may do what\n\n")
	p("Generated by `go test ./http -run TestAuthzMatrix -update-permissions-doc` from the\n")
	p("authorization matrix in `http/authz_matrix_test.go`. Do not edit it by hand: change the matrix\n")
	p("and run that command; `go test ./http` fails while this file is stale.\n\n")
	p("Every route Warden serves (the JSON API and the web UI's pages and form posts) against every\n")
	p("kind of caller, with the exact HTTP status the test expects. The expectations are written by\n")
	p("hand from SPEC.md (service accounts, tokens) and SPEC-identity.md (users, orgs, teams,\n")
	p("permissions); the notes under each table name the section. The test sends every cell to the\n")
	p("real server over a real SQLite database, and fails when the server serves a route the\n")
	p("matrix does not list (or the matrix lists one it does not serve).\n\n")
	p("## How to read\n\n")
	p("- One table per area; one row per route (method and pattern as in `http/routes.go`), one\n")
	p("  column per kind of caller.\n")
	p("- **Bold** statuses are the caller getting what it asked for; plain ones are refusals or\n")
	p("  errors. 401 and 403 are refusals; 404 and 500 mean the caller got past the permission\n")
	p("  check but the object is not in the org it acts in.\n")
	p("- Cells that change something act on an object made for that cell (a new service account,\n")
	p("  team, token, user or org), so a status depends only on who asks.\n")
	p("- Routes that name an object (`{id}` and the like) target objects of org 1: the *target\n")
	p("  service account* (on which the managed-permission callers hold their permission), a team of\n")
	p("  org 1 whose only member is the server admin (its creator), and Viewers of org 1 who are no\n")
	p("  caller.\n\n")
	p("## Legend\n\n")
	p("| Status | Meaning |\n|---|---|\n")
	p("| 200, 201 | Done (201: service account created, as Grafana answers). |\n")
	p("| 302 | Page: a signed-out visitor is redirected to `/login?redirectTo=…`; `/logout` always redirects to `/login`. |\n")
	p("| 303 | Form post: processed, the browser is sent on (success, or back to the page with a message). Signed-out: redirect to `/login`. `GET /login` when already signed in: sent on. |\n")
	p("| 304 | Endpoint only for human users: service-account tokens get 304 with no body (as Grafana). |\n")
	p("| 401 | No usable credentials. |\n")
	p("| 403 | Signed in, but lacks the permission (API: Grafana's RBAC body naming the action; pages: an error page). |\n")
	p("| 404 | The object is not in the caller's org. |\n")
	p("| 500 | Grafana's answer for changing or removing a user who is not a member of the request's org (kept for compatibility). |\n\n")
	p("## Callers\n\n")
	p("| Column | Caller | How the test builds it |\n|---|---|---|\n")
	for _, k := range matrixCallerKinds {
		p("| %s | %s | %s |\n", k.key, k.name, k.how)
	}
	p("\nUsers authenticate with a session cookie (API writes carry a same-site `Origin`, form posts\n")
	p("the session's CSRF token); Basic credentials of users behave the same and are not repeated\n")
	p("here. Token callers send `Authorization: Bearer`; on form posts they also carry a valid\n")
	p("pre-sign-in CSRF pair, so the cell shows the permission decision. The token cache is off, so\n")
	p("revocation and disabling are read on each request.\n")
	// One table per area, the notes listed under it.
	var areas []string
	rows := map[string][]matrixRow{}
	for _, row := range matrixRows {
		if rows[row.area] == nil {
			areas = append(areas, row.area)
		}
		rows[row.area] = append(rows[row.area], row)
	}
	for _, area := range areas {
		p("\n## %s\n\n| Route |", area)
		for _, k := range matrixCallerKinds {
			p(" %s |", k.key)
		}
		p("\n|---|")
		for range matrixCallerKinds {
			p(":-:|")
		}
		p("\n")
		for _, row := range rows[area] {
			p("| `%s` |", row.pattern)
			if row.own != "" {
				for range matrixCallerKinds {
					p(" — |")
				}
				p("\n")
				continue
			}
			for i, s := range row.wantStatuses() {
				if strings.HasPrefix(s, "2") || (strings.HasPrefix(s, "30") && s != "304" && matrixCallerKinds[i].signed) {
					s = "**" + s + "**"
				}
				p(" %s |", s)
			}
			p("\n")
		}
		p("\nWhy:\n\n")
		for _, row := range rows[area] {
			note := row.note
			if row.own != "" {
				note = "Not in the matrix. " + row.own
			}
			p("- `%s`: %s\n", row.pattern, note)
		}
	}
	return b.String()
}
