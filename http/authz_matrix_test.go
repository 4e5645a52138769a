package http

import (
	"fmt"
	"net/url"
	"strings"
)

// The authorization matrix: for every route Warden serves and every kind of caller, the exact
// status. The expected statuses are written by hand from SPEC.md and SPEC-identity.md (cited in
// each row's note), never computed from the route table's access rules; the route table is only
// read to check that every served route has a row and every row a served route.
//
// docs/permissions.md is generated from this table. Refresh it with
//
//	go test ./http -run TestAuthzMatrix -update-permissions-doc
//
// This file holds the matrix (the callers, the routes and their expected statuses);
// authz_matrix_run_test.go builds the callers and fixtures, runs the cells and renders the doc.

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
	mxNoteConfirm    = " The cells send confirm=yes; without it a caller who may act gets a 200 page asking to confirm (the form without JavaScript), and nothing changes."
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
	{area: "The signed-in user", pattern: "GET /api/user/preferences", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Any signed-in identity, SA tokens included: each reads its own (SPEC-identity, issue 15)."},
	{area: "The signed-in user", pattern: "PUT /api/user/preferences", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Any signed-in identity writes its own preferences.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/user/preferences", `{"theme":"dark"}`)
		}},
	{area: "The signed-in user", pattern: "PATCH /api/user/preferences", want: outAPI + "|200 200 200 200 200|200 200 200 200|200 200 200",
		note: "Any signed-in identity changes its own preferences.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/user/preferences", `{"weekStart":"monday"}`)
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
	{area: "Server-admin user management", pattern: "POST /api/admin/users/{id}/logout", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.10 (users:logout). Target: a new signed-in user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			u, _ := m.signedInUser()
			return matrixReq{path: "/api/admin/users/" + matrixID(u.ID) + "/logout"}
		}},
	{area: "Server-admin user management", pattern: "GET /api/admin/users/{id}/auth-tokens", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.10 (users.authtoken:read).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/admin/users/" + matrixID(m.grantee.ID) + "/auth-tokens"}
		}},
	{area: "Server-admin user management", pattern: "POST /api/admin/users/{id}/revoke-auth-token", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.10 (users.authtoken:write). Target: the session of a new signed-in user per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			u, session := m.signedInUser()
			return matrixJSON("/api/admin/users/"+matrixID(u.ID)+"/revoke-auth-token", fmt.Sprintf(`{"authTokenId":%d}`, session))
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
	{area: "Server-admin user management", pattern: "GET /api/users/{id}/teams", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: mxNoteServer + " §5.3 (users:read on the user).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/users/" + matrixID(m.grantee.ID) + "/teams"}
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
	{area: "Orgs", pattern: "GET /api/org/preferences", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "orgs.preferences:read: Admin (fixed:organization:writer, SPEC-identity §8.3). Org 2's Admin reads org 2's."},
	{area: "Orgs", pattern: "PUT /api/org/preferences", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "orgs.preferences:write: Admin (SPEC-identity §8.3).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/org/preferences", `{"theme":"light"}`)
		}},
	{area: "Orgs", pattern: "PATCH /api/org/preferences", want: outAPI + "|403 403 403 200 200|403 403 403 200|200 403 403",
		note: "orgs.preferences:write: Admin (SPEC-identity §8.3).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/org/preferences", `{"timezone":"utc"}`)
		}},
	{area: "Orgs", pattern: "POST /api/orgs", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "orgs:create: Grafana Admin (SPEC-identity §6.2; checklist 60).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/orgs", fmt.Sprintf(`{"name":%q}`, m.name("org")))
		}},
	{area: "Orgs", pattern: "GET /api/orgs", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "orgs:read in the global org: Grafana Admin (SPEC-identity §6.2)."},
	{area: "Orgs", pattern: "GET /api/orgs/name/{name}", want: outAPI + "|403 403 403 403 200|403 403 403 403|403 403 403",
		note: "orgs:read in the global org: Grafana Admin (SPEC-identity §6.2). Target: a new org per cell, by its name.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/orgs/name/" + url.PathEscape(m.orgName(m.freshOrg()))}
		}},
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
	{area: "Service accounts and tokens", pattern: "DELETE /api/serviceaccounts/{id}/tokens", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " Deletes the target SA's expired tokens (`?expired=true`); as deleting a token (issue 17).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/serviceaccounts/" + matrixID(m.target) + "/tokens?expired=true"}
		}},
	{area: "Service accounts and tokens", pattern: "GET /api/serviceaccounts/{id}/tokens/{tokenId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " One token of the target SA, as the list reads it (Warden's).",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/serviceaccounts/" + matrixID(m.target) + "/tokens/" + matrixID(m.freshToken(m.target))}
		}},
	{area: "Service accounts and tokens", pattern: "PATCH /api/serviceaccounts/{id}/tokens/{tokenId}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " Changes a token's restrictions; as creating a token (issue 18). Restricts a new token of the target SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/serviceaccounts/"+matrixID(m.target)+"/tokens/"+matrixID(m.freshToken(m.target)), `{"scopes":["orders:read"]}`)
		}},
	{area: "Service accounts and tokens", pattern: "POST /api/serviceaccounts/{id}/tokens/{tokenId}/rotate", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: mxNoteSA + " As creating a token (issue 17). Rotates a new token of the target SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/serviceaccounts/"+matrixID(m.target)+"/tokens/"+matrixID(m.freshToken(m.target))+"/rotate", `{"gracePeriodSeconds":0}`)
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
	{area: "Service-account permissions", pattern: "POST /api/access-control/serviceaccounts/{id}", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 200",
		note: "serviceaccounts.permissions:write on the SA (SPEC §5.3), as the one-grant routes. Grants Edit to a user and a team, on a new SA per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/access-control/serviceaccounts/"+matrixID(m.freshSA()),
				fmt.Sprintf(`{"permissions":[{"userId":%d,"permission":"Edit"},{"teamId":%d,"permission":"Admin"}]}`, m.grantee.ID, m.team))
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
	{area: "Teams", pattern: "PUT /api/teams/{id}/members", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: mxNoteTeamAdmin + " Replaces the members of a new team per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams/"+matrixID(m.freshTeam(false))+"/members", fmt.Sprintf(`{"members":[%q]}`, m.grantee.Email))
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
	{area: "Teams", pattern: "GET /api/teams/{id}/preferences", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: "teams:read on the team (SPEC-identity §7.2). " + mxNoteTeamAdmin,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/api/teams/" + matrixID(m.team) + "/preferences"}
		}},
	{area: "Teams", pattern: "PUT /api/teams/{id}/preferences", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: "teams:write on the team (SPEC-identity §7.2). " + mxNoteTeamAdmin,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams/"+matrixID(m.team)+"/preferences", `{"theme":"dark","weekStart":"monday"}`)
		}},
	{area: "Teams", pattern: "PATCH /api/teams/{id}/preferences", want: outAPI + "|403 403 403 200 200|403 403 403 200|404 403 403",
		note: "teams:write on the team. " + mxNoteTeamAdmin,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixJSON("/api/teams/"+matrixID(m.team)+"/preferences", `{"timezone":"utc"}`)
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
		note: "serviceaccounts:delete on the SA; another org's SA → 404 page." + mxNoteConfirm,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.freshSA())+"/delete", "confirm", "yes")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens", want: outForm + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: "serviceaccounts:write on the SA; the token is shown once on a 200 page; another org's SA → 404 page.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.target)+"/tokens", "name", m.name("token"), "nonce", newNonce())
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens/{tokenId}/delete", want: outForm + "|403 403 403 303 303|403 403 403 303|404 303 303",
		note: "serviceaccounts:write on the SA; another org's SA → 404 page. New token per cell." + mxNoteConfirm,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.target)+"/tokens/"+matrixID(m.freshToken(m.target))+"/delete", "confirm", "yes")
		}},
	{area: "Web UI: service accounts", pattern: "GET /org/serviceaccounts/{id}/tokens/{tokenId}/rotate", want: outPage + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: "serviceaccounts:write on the SA, as rotating through the API (issue 17): the page to choose the grace period on; another org's SA → 404 page. A new token per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/org/serviceaccounts/" + matrixID(m.target) + "/tokens/" + matrixID(m.freshToken(m.target)) + "/rotate"}
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens/{tokenId}/rotate", want: outForm + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: "serviceaccounts:write on the SA, as rotating through the API (issue 17); the new token is shown once on a 200 page; another org's SA → 404 page. Rotates a new token per cell, grace 0.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.target)+"/tokens/"+matrixID(m.freshToken(m.target))+"/rotate", "grace", "0", "nonce", newNonce())
		}},
	{area: "Web UI: service accounts", pattern: "GET /org/serviceaccounts/{id}/tokens/{tokenId}/restrictions", want: outPage + "|403 403 403 200 200|403 403 403 200|404 200 200",
		note: "serviceaccounts:write on the SA, as changing a token's restrictions through the API (issue 18): the page with the token's role cap, scopes and ranges; another org's SA → 404 page. A new token per cell.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixReq{path: "/org/serviceaccounts/" + matrixID(m.target) + "/tokens/" + matrixID(m.freshToken(m.target)) + "/restrictions"}
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens/{tokenId}/restrictions", want: outForm + "|403 403 403 303 303|403 403 403 303|404 303 303",
		note: "serviceaccounts:write on the SA, as changing a token's restrictions through the API (issue 18); saved → 303 to the account's page; another org's SA → 404 page. Restricts a new token per cell to a scope.",
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.target)+"/tokens/"+matrixID(m.freshToken(m.target))+"/restrictions", "scopes", "orders:read")
		}},
	{area: "Web UI: service accounts", pattern: "POST /org/serviceaccounts/{id}/tokens/delete-expired", want: outForm + "|403 403 403 303 303|403 403 403 303|404 303 303",
		note: "serviceaccounts:write on the SA, as deleting expired tokens through the API (issue 17); another org's SA → 404 page. Target: the target SA." + mxNoteConfirm,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/serviceaccounts/"+matrixID(m.target)+"/tokens/delete-expired", "confirm", "yes")
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
		note: "org.users:remove, as the API. " + mxNoteFormOrg2 + " Target: a new Viewer of org 1." + mxNoteConfirm,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/users/"+matrixID(m.orgUser().ID)+"/remove", "confirm", "yes")
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
		note: "teams.permissions:write on the team. " + mxNoteFormOrg2 + " New team per cell." + mxNoteConfirm,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/teams/"+matrixID(m.freshTeam(true))+"/members/"+matrixID(m.grantee.ID)+"/remove", "confirm", "yes")
		}},
	{area: "Web UI: users and teams", pattern: "POST /org/teams/{id}/delete", want: outForm + "|403 403 403 303 303|403 403 403 303|303 403 403",
		note: "teams:delete on the team. " + mxNoteFormOrg2 + " New team per cell." + mxNoteConfirm,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/org/teams/"+matrixID(m.freshTeam(false))+"/delete", "confirm", "yes")
		}},

	// Web UI: the profile.
	{area: "Web UI: profile", pattern: "GET /profile", want: outPage + "|200 200 200 200 200|404 404 404 404|200 200 200",
		note: "Any signed-in user, for their own details and password (the page of PUT /api/user/password, SPEC-identity §4.4); service accounts have no profile → 404 page."},
	{area: "Web UI: profile", pattern: "POST /profile", want: outForm + "|303 303 303 303 303|404 404 404 404|303 303 303",
		note:  "The user's own password, through the same service call as PUT /api/user/password (the current password checked under the brute-force limits); changed → 303 to /profile, signed in again. Service accounts → 404 page. Run as a new identity per cell.",
		fresh: true,
		req: func(m *matrix, c *matrixCaller) matrixReq {
			return matrixForm("/profile", "currentPassword", c.password, "newPassword", c.password+"-2", "confirmPassword", c.password+"-2")
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
