package http

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// The authorization matrix: for every route Warden serves and every kind of caller, the exact
// status. The expected statuses are written by hand from SPEC.md and SPEC-identity.md (cited in
// each row's note), never computed from the route table's access rules; the route table is only
// read to check that every served route has a row and every row a served route.
//
// docs/permissions.md is generated from this table. Refresh it with
//
//	go test ./http -run TestAuthzMatrix -update-permissions-doc

var updatePermissionsDoc = flag.Bool("update-permissions-doc", false, "rewrite docs/permissions.md from the authorization matrix")

const permissionsDocPath = "../docs/permissions.md"

// matrixCallerKind is one column of the matrix.
type matrixCallerKind struct {
	key    string // column header in the doc
	name   string
	how    string // how the test builds it (the doc's caller table)
	signed bool   // authenticates successfully
}

var matrixCallerKinds = []matrixCallerKind{
	{"anon", "Nobody", "No credentials at all.", false},
	{"bad", "Unknown token", "`Authorization: Bearer` with a well-formed `glsa_` token (valid checksum) that Warden never issued.", false},
	{"exp", "Expired token", "Bearer token of an Admin-role service account, issued with `secondsToLive` 60 on a clock set one hour back.", false},
	{"rev", "Revoked token", "Bearer token of an Admin-role service account, revoked (as secret scanning does) before the requests.", false},
	{"dis", "Disabled SA's token", "Bearer token of an Admin-role service account that is disabled.", false},
	{"None", "Org None", "Session cookie of a user whose role in org 1 is None.", true},
	{"View", "Org Viewer", "Session cookie of a Viewer of org 1.", true},
	{"Edit", "Org Editor", "Session cookie of an Editor of org 1.", true},
	{"Admin", "Org Admin", "Session cookie of an Admin of org 1 who is not a server admin.", true},
	{"Srv", "Server admin", "Session cookie of the bootstrap server admin (`admin`, also Admin of org 1).", true},
	{"SA-N", "SA token, None", "Bearer token of a service account of org 1 with role None.", true},
	{"SA-V", "SA token, Viewer", "Bearer token of a service account of org 1 with role Viewer.", true},
	{"SA-E", "SA token, Editor", "Bearer token of a service account of org 1 with role Editor.", true},
	{"SA-A", "SA token, Admin", "Bearer token of a service account of org 1 with role Admin.", true},
	{"Org2", "Other org's Admin", "Session cookie of an Admin of org 2 who is not a member of org 1. Requests name no org, so it acts in org 2; targets (service accounts, teams, users) are org 1's.", true},
	{"M-Edit", "Managed Edit", "Session cookie of a user with role None in org 1 who holds only the managed permission Edit on the target service account.", true},
	{"M-Admin", "Managed Admin", "Session cookie of a user with role None in org 1 who holds only the managed permission Admin on the target service account.", true},
}

// The first five columns never authenticate: an API route answers 401, a page redirects to the
// sign-in page (302 for GET, 303 for a form post), a public route answers as it always does.
const (
	outAPI  = "401 401 401 401 401"
	outPage = "302 302 302 302 302"
	outForm = "303 303 303 303 303"
	outOpen = "200 200 200 200 200"
)

// matrixReq is the request one cell sends; the method is the row's.
type matrixReq struct {
	path string
	json string     // JSON body, if not empty
	form url.Values // form body (pages), if not nil; the CSRF field is added by the runner
}

// matrixRow is one route. want lists one status per caller kind, in matrixCallerKinds order;
// "|" only groups columns for the eye.
type matrixRow struct {
	area    string
	pattern string // exactly as in routes.go
	want    string
	note    string // where the expectation comes from
	// req builds the request for caller c; nil sends the pattern's path with no body.
	req func(m *matrix, c *matrixCaller) matrixReq
	// fresh runs each cell as a new identity of the caller's kind: the route changes the
	// caller itself (its password, its session).
	fresh bool
	// own marks a route that authenticates on its own terms; it is listed (so the route
	// check covers it) but not run here. The text says where it is tested.
	own string
}

func matrixGet(p string) func(*matrix, *matrixCaller) matrixReq {
	return func(*matrix, *matrixCaller) matrixReq { return matrixReq{path: p} }
}

func matrixJSON(path, body string) matrixReq { return matrixReq{path: path, json: body} }

func matrixForm(path string, kv ...string) matrixReq {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return matrixReq{path: path, form: v}
}

// Notes shared by many rows.
const (
	mxNoteAdminOnly  = "Org Admin only: fixed roles granted to Admin (SPEC-identity §8.3). Org 2's Admin acts in org 2."
	mxNoteServer     = "Grafana Admin only (SPEC-identity §5, §8.3); SA tokens never (§12)."
	mxNoteSA         = "SPEC §2.2, §5.2 (Admin holds serviceaccounts:*), §5.3 (Edit = read+write, Admin adds delete and permissions). Another org's SA is not found (§2.1)."
	mxNotePage       = "Warden's page for the same permission as the API (SPECs silent on pages): signed out → /login (SPEC-identity §3.6), denied → 403 page."
	mxNoteFormOrg2   = "Form errors return to the page with a message (303); org 2 changes nothing (escalation_test.go checks the state)."
	mxNoteTeamAdmin  = "SPEC-identity §7.2: teams:* held by org Admin; callers are in no team. Another org's team is not found (§7.3)."
	mxNoteSignedIn   = "Any signed-in identity (SPEC-identity §2.1)."
	mxNoteUsersOnly  = "Human users only: SA tokens get 304 with no body (SPEC-identity §2.6)."
	mxNoteOrgMembers = "Evaluated in org :orgId (SPEC-identity §2.2, §6.3); org 2's Admin is not a member of org 1."
)

func matrixID(n int64) string { return fmt.Sprint(n) }

// matrixRows is the matrix. Keep it in routes.go's order.
var matrixRows = []matrixRow{
	// Health, metrics, sign-in.
	{area: "Health, metrics and sign-in", pattern: "GET /api/health", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public (SPEC-identity §9.1)."},
	{area: "Health, metrics and sign-in", pattern: "HEAD /api/health", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public (SPEC-identity §9.1)."},
	{area: "Health, metrics and sign-in", pattern: "GET /healthz", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public (SPEC-identity §9.1)."},
	{area: "Health, metrics and sign-in", pattern: "GET /metrics", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public, as Grafana's /metrics is by default (SPECs silent)."},
	{area: "Health, metrics and sign-in", pattern: "POST /login", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public: anyone may sign in with a valid login and password (SPEC-identity §3.1).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/login", fmt.Sprintf(`{"user":%q,"password":%q}`, m.signin, matrixPassword))
		}},
	{area: "Health, metrics and sign-in", pattern: "GET /login", want: outOpen + "|303 303 303 303 303|200 200 200 200|303 303 303",
		note: "Public; a browser already signed in (session cookie) is sent on, as Grafana redirects signed-in users away from /login."},
	{area: "Health, metrics and sign-in", pattern: "GET /public/", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public static files.", req: matrixGet("/public/warden.css")},
	{area: "Health, metrics and sign-in", pattern: "GET /avatar/{hash}", want: outOpen + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Public, as Grafana's avatars.", req: matrixGet("/avatar/46d229b033af06a191ff2267bca9ae56")},
	{area: "Health, metrics and sign-in", pattern: "GET /logout", want: "302 302 302 302 302|302 302 302 302 302|302 302 302 302|302 302 302",
		note: "Public; always 302 to /login (SPEC-identity §3.2).", fresh: true},
	{area: "Health, metrics and sign-in", pattern: "GET /api/login/ping", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "SPEC-identity §3.3."},
	{area: "Health, metrics and sign-in", pattern: "GET /api/frontend/settings", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Signed-in identities (SPEC-identity §9.2)."},

	// The signed-in user.
	{area: "The signed-in user", pattern: "GET /api/user", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "SA tokens get the synthetic profile (SPEC-identity §4.1)."},
	{area: "The signed-in user", pattern: "GET /api/user/orgs", want: outAPI + "|200 200 200 200 200|304 304 304 304|200 200 200",
		note: mxNoteUsersOnly + " §4.2."},
	{area: "The signed-in user", pattern: "POST /api/user/using/{id}", want: outAPI + "|200 200 200 200 200|304 304 304 304|401 200 200",
		note: "Switch to org 1: members 200; org 2's Admin is not a member → 401 Not a valid organization (SPEC-identity §4.3).",
		req:  matrixGet("/api/user/using/1")},
	{area: "The signed-in user", pattern: "PUT /api/user/password", want: outAPI + "|200 200 200 200 200|304 304 304 304|200 200 200",
		note: mxNoteUsersOnly + " §4.4. Run as a new identity per cell.", fresh: true,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/user/password", `{"oldPassword":"`+c.password+`","newPassword":"`+c.password+`-2"}`)
		}},
	{area: "The signed-in user", pattern: "PUT /api/user", want: outAPI + "|200 200 200 200 200|304 304 304 304|200 200 200",
		note: mxNoteUsersOnly + " §4.5.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/user", fmt.Sprintf(`{"login":%q,"email":%q,"name":"Renamed"}`, c.login, c.email))
		}},

	// Server-admin user management.
	{area: "Server-admin user management", pattern: "POST /api/admin/users", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/admin/users", fmt.Sprintf(`{"login":%q,"password":"new-pass"}`, m.name("created")))
		}},
	{area: "Server-admin user management", pattern: "PUT /api/admin/users/{id}/password", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " Target: a new user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/admin/users/"+matrixID(m.orgUser().ID)+"/password", `{"password":"new-pass"}`)
		}},
	{area: "Server-admin user management", pattern: "PUT /api/admin/users/{id}/permissions", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "Server admin only (reqGrafanaAdmin, SPEC-identity §5.7). Target: a new user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/admin/users/"+matrixID(m.orgUser().ID)+"/permissions", `{"isGrafanaAdmin":true}`)
		}},
	{area: "Server-admin user management", pattern: "POST /api/admin/users/{id}/disable", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.8. Target: a new user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/admin/users/" + matrixID(m.orgUser().ID) + "/disable"}
		}},
	{area: "Server-admin user management", pattern: "POST /api/admin/users/{id}/enable", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.8. Target: a new user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/admin/users/" + matrixID(m.orgUser().ID) + "/enable"}
		}},
	{area: "Server-admin user management", pattern: "DELETE /api/admin/users/{id}", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.9. Target: a new user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/admin/users/" + matrixID(m.orgUser().ID)}
		}},
	{area: "Server-admin user management", pattern: "GET /api/users/lookup", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.4.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/users/lookup?loginOrEmail=" + m.grantee.Login}
		}},
	{area: "Server-admin user management", pattern: "GET /api/users", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.2; checklist 53, 55."},
	{area: "Server-admin user management", pattern: "GET /api/users/search", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.2."},
	{area: "Server-admin user management", pattern: "GET /api/users/{id}", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.3.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/users/" + matrixID(m.grantee.ID)}
		}},
	{area: "Server-admin user management", pattern: "PUT /api/users/{id}", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.5. Target: a new user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			u := m.orgUser()
			return matrixJSON("/api/users/"+matrixID(u.ID), fmt.Sprintf(`{"login":%q,"email":%q,"name":"Renamed"}`, u.Login, u.Email))
		}},
	{area: "Server-admin user management", pattern: "GET /api/users/{id}/orgs", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.3.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/users/" + matrixID(m.grantee.ID) + "/orgs"}
		}},

	// Orgs.
	{area: "Orgs", pattern: "GET /api/org", want: outAPI + "|403 200 200 200 200|403 200 200 200|200 403 403",
		note: "orgs:read: Viewer and up, Grafana Admin; None holds nothing (SPEC-identity §6.1, §8.3)."},
	{area: "Orgs", pattern: "PUT /api/org", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "orgs:write: Admin (SPEC-identity §6.1). Org 2's Admin renames org 2.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/org", fmt.Sprintf(`{"name":%q}`, m.name("org")))
		}},
	{area: "Orgs", pattern: "PUT /api/org/address", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "orgs:write: Admin (SPEC-identity §6.1).",
		req:  func(m *matrix, c *matrixCaller) matrixReq { return matrixJSON("/api/org/address", `{"city":"Matrix"}`) }},
	{area: "Orgs", pattern: "POST /api/orgs", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "orgs:create: Grafana Admin (SPEC-identity §6.2; checklist 60).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/orgs", fmt.Sprintf(`{"name":%q}`, m.name("org")))
		}},
	{area: "Orgs", pattern: "GET /api/orgs", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "orgs:read in the global org: Grafana Admin (SPEC-identity §6.2)."},
	{area: "Orgs", pattern: "GET /api/orgs/{orgId}", want: outAPI + "|403 200 200 200 200|403 200 200 200|403 403 403",
		note: "orgs:read evaluated in org 1 (SPEC-identity §2.2, §6.2), where Viewers hold it (§8.3).",
		req:  matrixGet("/api/orgs/1")},
	{area: "Orgs", pattern: "PUT /api/orgs/{orgId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: "orgs:write evaluated in org 1 (SPEC-identity §6.2): Admins of org 1.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/orgs/1", fmt.Sprintf(`{"name":%q}`, m.name("org")))
		}},
	{area: "Orgs", pattern: "PUT /api/orgs/{orgId}/address", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: "orgs:write evaluated in org 1 (SPEC-identity §6.2).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/orgs/1/address", `{"city":"Matrix"}`)
		}},
	{area: "Orgs", pattern: "DELETE /api/orgs/{orgId}", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "orgs:delete: Grafana Admin only (SPEC-identity §6.2, §8.3). Target: a new org per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/orgs/" + matrixID(m.freshOrg())}
		}},

	// Org membership.
	{area: "Org membership", pattern: "GET /api/org/users", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "org.users:read (SPEC-identity §6.3). " + mxNoteAdminOnly},
	{area: "Org membership", pattern: "GET /api/org/users/search", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "org.users:read (SPEC-identity §6.3)."},
	{area: "Org membership", pattern: "GET /api/org/users/lookup", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "org.users:read or teams/folders/dashboards.permissions:write (SPEC-identity §6.3); no caller holds the latter without the former."},
	{area: "Org membership", pattern: "POST /api/org/users", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "org.users:add (SPEC-identity §6.3, §6.5). Target: a new user in no org; org 2's Admin adds it to org 2.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/org/users", fmt.Sprintf(`{"loginOrEmail":%q,"role":"Viewer"}`, m.outsider().Login))
		}},
	{area: "Org membership", pattern: "PATCH /api/org/users/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|500 403 403",
		note: "org.users:write (SPEC-identity §6.3). Org 2's Admin passes the check in org 2, where the org-1 user is no member → 500 Failed update org user (§6.5, observed in Grafana). Target: a new Viewer of org 1 per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/org/users/"+matrixID(m.orgUser().ID), `{"role":"Editor"}`)
		}},
	{area: "Org membership", pattern: "DELETE /api/org/users/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|500 403 403",
		note: "org.users:remove (SPEC-identity §6.3); a user not in the request org → 500 Failed to remove user from organization (§6.5). Target: a new Viewer of org 1 per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/org/users/" + matrixID(m.orgUser().ID)}
		}},
	{area: "Org membership", pattern: "GET /api/orgs/{orgId}/users", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: mxNoteOrgMembers, req: matrixGet("/api/orgs/1/users")},
	{area: "Org membership", pattern: "GET /api/orgs/{orgId}/users/search", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: mxNoteOrgMembers, req: matrixGet("/api/orgs/1/users/search")},
	{area: "Org membership", pattern: "POST /api/orgs/{orgId}/users", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: mxNoteOrgMembers + " Target: a new user in no org.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/orgs/1/users", fmt.Sprintf(`{"loginOrEmail":%q,"role":"Viewer"}`, m.outsider().Login))
		}},
	{area: "Org membership", pattern: "PATCH /api/orgs/{orgId}/users/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: mxNoteOrgMembers + " Target: a new Viewer of org 1.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/orgs/1/users/"+matrixID(m.orgUser().ID), `{"role":"Editor"}`)
		}},
	{area: "Org membership", pattern: "DELETE /api/orgs/{orgId}/users/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|403 403 403",
		note: mxNoteOrgMembers + " Target: a new Viewer of org 1.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/orgs/1/users/" + matrixID(m.orgUser().ID)}
		}},

	// Service accounts and their tokens.
	{area: "Service accounts and tokens", pattern: "POST /api/serviceaccounts", want: outAPI + "|403 403 403 201 201|403 403 403 201|201 403 403",
		note: "serviceaccounts:create, no scope: Admin (SPEC §2.2, §5.2); managed permissions do not grant it. Org 2's Admin creates in org 2.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/serviceaccounts", fmt.Sprintf(`{"name":%q}`, m.name("sa")))
		}},
	{area: "Service accounts and tokens", pattern: "POST /api/serviceaccounts/{$}", want: outAPI + "|403 403 403 201 201|403 403 403 201|201 403 403",
		note: "Same as without the slash (SPEC §2.2).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/serviceaccounts/", fmt.Sprintf(`{"name":%q}`, m.name("sa")))
		}},
	{area: "Service accounts and tokens", pattern: "GET /api/serviceaccounts/search", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 200 200",
		note: "serviceaccounts:read with any scope, so a managed permission on one SA is enough (SPEC §2.2, §2.3)."},
	{area: "Service accounts and tokens", pattern: "GET /api/serviceaccounts/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " Target: the target SA.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/serviceaccounts/" + matrixID(m.target)}
		}},
	{area: "Service accounts and tokens", pattern: "PATCH /api/serviceaccounts/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " Renames a new SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/serviceaccounts/"+matrixID(m.freshSA()), fmt.Sprintf(`{"name":%q}`, m.name("renamed")))
		}},
	{area: "Service accounts and tokens", pattern: "DELETE /api/serviceaccounts/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 200",
		note: mxNoteSA + " Deletes a new SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/serviceaccounts/" + matrixID(m.freshSA())}
		}},
	{area: "Service accounts and tokens", pattern: "GET /api/serviceaccounts/{id}/tokens", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 200 200",
		note: mxNoteSA + " The list does not check that the SA exists: org 2 gets [] (SPEC §2.8).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/serviceaccounts/" + matrixID(m.target) + "/tokens"}
		}},
	{area: "Service accounts and tokens", pattern: "POST /api/serviceaccounts/{id}/tokens", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " §2.8: 200, not 201.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/serviceaccounts/"+matrixID(m.target)+"/tokens", fmt.Sprintf(`{"name":%q}`, m.name("token")))
		}},
	{area: "Service accounts and tokens", pattern: "DELETE /api/serviceaccounts/{id}/tokens/{tokenId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " Deletes a new token of the target SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/serviceaccounts/" + matrixID(m.target) + "/tokens/" + matrixID(m.freshToken(m.target))}
		}},

	// Service-account permissions.
	{area: "Service-account permissions", pattern: "GET /api/access-control/serviceaccounts/description", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 200",
		note: "serviceaccounts.permissions:read with any scope (SPEC §5.3): Admin, and the managed Admin level."},
	{area: "Service-account permissions", pattern: "GET /api/access-control/serviceaccounts/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 200",
		note: "serviceaccounts.permissions:read on the SA (SPEC §5.3). Org 2: SA not in the org (status UNCONFIRMED in the SPEC, likely 404).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/access-control/serviceaccounts/" + matrixID(m.target)}
		}},
	{area: "Service-account permissions", pattern: "POST /api/access-control/serviceaccounts/{id}/users/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 200",
		note: "serviceaccounts.permissions:write on the SA (SPEC §5.3). Grants Edit to a user who is no caller, on a new SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/access-control/serviceaccounts/"+matrixID(m.freshSA())+"/users/"+matrixID(m.grantee.ID), `{"permission":"Edit"}`)
		}},
	{area: "Service-account permissions", pattern: "POST /api/access-control/serviceaccounts/{id}/teams/{teamId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 200",
		note: "serviceaccounts.permissions:write on the SA (SPEC §5.3). Grants Edit to a team of org 1, on a new SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/access-control/serviceaccounts/"+matrixID(m.freshSA())+"/teams/"+matrixID(m.team), `{"permission":"Edit"}`)
		}},

	// Teams.
	{area: "Teams", pattern: "POST /api/teams", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "teams:create: Admin (SPEC-identity §7.2; Editors no longer). Org 2's Admin creates in org 2.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams", fmt.Sprintf(`{"name":%q}`, m.name("team")))
		}},
	{area: "Teams", pattern: "GET /api/teams/search", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "teams:read with any scope; a Viewer in no team → 403 (SPEC-identity §7.2; checklist 92)."},
	{area: "Teams", pattern: "GET /api/teams/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Target: a team of org 1.",
		req:  func(m *matrix, c *matrixCaller) matrixReq { return matrixReq{path: "/api/teams/" + matrixID(m.team)} }},
	{area: "Teams", pattern: "PUT /api/teams/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Unknown team → 404 (≥ 12). Target: a new team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams/"+matrixID(m.freshTeam(false)), fmt.Sprintf(`{"name":%q}`, m.name("team")))
		}},
	{area: "Teams", pattern: "DELETE /api/teams/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Target: a new team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/teams/" + matrixID(m.freshTeam(false))}
		}},
	{area: "Teams", pattern: "GET /api/teams/{id}/members", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "teams.permissions:read (SPEC-identity §7.2); an unknown team lists [] (§7.3), so org 2 gets [].",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/teams/" + matrixID(m.team) + "/members"}
		}},
	{area: "Teams", pattern: "POST /api/teams/{id}/members", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Adds a user who is no caller to a new team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams/"+matrixID(m.freshTeam(false))+"/members", fmt.Sprintf(`{"userId":%d}`, m.grantee.ID))
		}},
	{area: "Teams", pattern: "PUT /api/teams/{id}/members/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Makes a member team Admin, on a new team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams/"+matrixID(m.freshTeam(true))+"/members/"+matrixID(m.grantee.ID), `{"permission":4}`)
		}},
	{area: "Teams", pattern: "DELETE /api/teams/{id}/members/{userId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Removes a member of a new team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/teams/" + matrixID(m.freshTeam(true)) + "/members/" + matrixID(m.grantee.ID)}
		}},
	{area: "Teams", pattern: "GET /api/user/teams", want: outAPI + "|200 200 200 200 200|304 304 304 304|200 200 200",
		note: mxNoteUsersOnly + " §4.6."},

	// Web UI: service accounts.
	{area: "Web UI: service accounts", pattern: "GET /{$}", want: outPage + "|200 200 200 303 303|200 200 200 303|303 303 303",
		note: "Any signed-in identity; sent on to the service-account list when it may open it (serviceaccounts:read or :create, SPEC §5.1), else the home page.",
		req:  matrixGet("/")},
	{area: "Web UI: service accounts", pattern: "GET /org/serviceaccounts", want: outPage + "|403 403 403 200 200|403 403 403 200|200 200 200",
		note: "Shown with serviceaccounts:read or :create (SPEC §5.1). " + mxNotePage},
	{area: "Web UI: service accounts", pattern: "GET /org/serviceaccounts/create", want: outPage + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "serviceaccounts:create, as the API. " + mxNotePage},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/create", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "serviceaccounts:create, as the API; created → 303 to its page.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/create", "name", m.name("sa"), "role", "Viewer")
		}},
	{area: "Web UI: service accounts", pattern: "GET /org/serviceaccounts/{id}", want: outPage + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: "serviceaccounts:read on the SA, as the API. Target: the target SA.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/org/serviceaccounts/" + matrixID(m.target)}
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/name", want: outForm + "|403 403 403 303 303|403 403 403 303|303 303 303",
		note: "serviceaccounts:write on the SA. " + mxNoteFormOrg2 + " New SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.freshSA())+"/name", "name", m.name("renamed"))
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/role", want: outForm + "|403 403 403 303 303|403 403 403 303|303 303 303",
		note: "serviceaccounts:write on the SA; sets role None, which every caller's role includes. " + mxNoteFormOrg2,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.freshSA())+"/role", "role", "None")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/disable", want: outForm + "|403 403 403 303 303|403 403 403 303|303 303 303",
		note: "serviceaccounts:write on the SA. " + mxNoteFormOrg2,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/" + matrixID(m.freshSA()) + "/disable")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/enable", want: outForm + "|403 403 403 303 303|403 403 403 303|303 303 303",
		note: "serviceaccounts:write on the SA. " + mxNoteFormOrg2,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/" + matrixID(m.freshSA()) + "/enable")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/delete", want: outForm + "|403 403 403 303 303|403 403 403 303|404 403 303",
		note: "serviceaccounts:delete on the SA; another org's SA → 404 page.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/" + matrixID(m.freshSA()) + "/delete")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens", want: outForm + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: "serviceaccounts:write on the SA; the token is shown once on a 200 page; another org's SA → 404 page.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.target)+"/tokens", "name", m.name("token"), "nonce", newNonce())
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens/{tokenId}/delete", want: outForm + "|403 403 403 303 303|403 403 403 303|404 303 303",
		note: "serviceaccounts:write on the SA; another org's SA → 404 page. New token per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/" + matrixID(m.target) + "/tokens/" + matrixID(m.freshToken(m.target)) + "/delete")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/permissions", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 303",
		note: "serviceaccounts.permissions:write on the SA (SPEC §5.3). " + mxNoteFormOrg2,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.freshSA())+"/permissions", "principal", "user:"+matrixID(m.grantee.ID), "permission", "Edit")
		}},

	// Web UI: users and teams.
	{area: "Web UI: users and teams", pattern: "GET /org/users", want: outPage + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "org.users:read, as the API. " + mxNotePage},
	{area: "Web UI: users and teams", pattern: "POST /org/users", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "org.users:add, as the API; org 2's Admin adds to org 2. Target: a new user in no org.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/users", "loginOrEmail", m.outsider().Login, "role", "Viewer")
		}},
	{area: "Web UI: users and teams", pattern: "POST /org/users/{userId}/role", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "org.users:write, as the API. " + mxNoteFormOrg2 + " Target: a new Viewer of org 1.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/users/"+matrixID(m.orgUser().ID)+"/role", "role", "Editor")
		}},
	{area: "Web UI: users and teams", pattern: "POST /org/users/{userId}/remove", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "org.users:remove, as the API. " + mxNoteFormOrg2 + " Target: a new Viewer of org 1.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/users/" + matrixID(m.orgUser().ID) + "/remove")
		}},
	{area: "Web UI: users and teams", pattern: "GET /org/teams", want: outPage + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "teams:read or teams:create. " + mxNotePage},
	{area: "Web UI: users and teams", pattern: "POST /org/teams", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "teams:create, as the API; org 2's Admin creates in org 2.",
		req:  func(m *matrix, c *matrixCaller) matrixReq { return matrixForm("/org/teams", "name", m.name("team")) }},
	{area: "Web UI: users and teams", pattern: "GET /org/teams/{id}", want: outPage + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: "teams:read on the team, as the API; another org's team → 404 page.",
		req:  func(m *matrix, c *matrixCaller) matrixReq { return matrixReq{path: "/org/teams/" + matrixID(m.team)} }},
	{area: "Web UI: users and teams", pattern: "POST /org/teams/{id}/members", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "teams.permissions:write on the team. " + mxNoteFormOrg2 + " New team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/teams/"+matrixID(m.freshTeam(false))+"/members", "userId", matrixID(m.grantee.ID))
		}},
	{area: "Web UI: users and teams", pattern: "POST /org/teams/{id}/members/{userId}/remove", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "teams.permissions:write on the team. " + mxNoteFormOrg2 + " New team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/teams/" + matrixID(m.freshTeam(true)) + "/members/" + matrixID(m.grantee.ID) + "/remove")
		}},
	{area: "Web UI: users and teams", pattern: "POST /org/teams/{id}/delete", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "teams:delete on the team. " + mxNoteFormOrg2 + " New team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/teams/" + matrixID(m.freshTeam(false)) + "/delete")
		}},

	// Access control.
	{area: "Access control", pattern: "GET /api/access-control/user/permissions", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: mxNoteSignedIn + " Users and SA tokens (SPEC-identity §8.1)."},
	{area: "Access control", pattern: "GET /api/access-control/user/actions", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: mxNoteSignedIn + " (SPEC-identity §8.1)."},

	// Audit and request authorization (being added).
	{area: "Audit and request authorization", pattern: "GET /api/audit", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "Server admin only (tracker issue 8)."},
	{area: "Audit and request authorization", pattern: "POST /api/authz/introspect", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "Signed in; callers administering an org (server admin, an org's Admin, an Admin-role SA token), else 403 (tracker issue 8). Org 2's Admin asks about an org-1 token and is told it is inactive.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/api/authz/introspect", "token", m.callers["SA-V"].bearer)
		}},
	{area: "Audit and request authorization", pattern: "GET /api/authz/forward",
		own: "Own authentication (a service-account token only, any method); tested in http/api_authz tests."},
	{area: "Audit and request authorization", pattern: "GET /api/authz/forward/{path...}",
		own: "Own authentication (a service-account token only, any method); tested in http/api_authz tests."},
}

// wantStatuses splits a row's want into one token per caller kind.
func (r matrixRow) wantStatuses() []string {
	return strings.Fields(strings.ReplaceAll(r.want, "|", " "))
}

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
	if m.pwHash, err = warden.NewHasher().Hash(ctx, matrixPassword); err != nil {
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
	_, secret, err := m.env.svc.IssueToken(m.ctx, sa, m.name("caller-token"), secondsToLive)
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
	tk, _, err := m.env.svc.IssueToken(m.ctx, sa, m.name("fresh-token"), 0)
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

// orgUser creates a Viewer of org 1 (and of no other org).
func (m *matrix) orgUser() *warden.User {
	return m.user("target-user", false, false, matrixMember{1, warden.RoleViewer})
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
	catchAll := got == http.StatusNotFound && body(w) == genericNotFound
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
