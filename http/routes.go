package http

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wardenhq/warden"
)

// access says who may call a route. The route table below is the one place where each route
// names the permission it needs; handlers never check roles themselves.
type access struct {
	// public routes need no identity.
	public bool
	// action is the RBAC action required; "" means any signed-in identity.
	action string
	// scope computes the scope the action is checked on; nil checks the action with any scope.
	scope func(r *http.Request) (string, error)
	// orgParam names the path value holding the org the permission is evaluated in (routes
	// under /api/orgs/{orgId}); "" evaluates in the request's org.
	orgParam string
	// serverAdmin additionally requires a server admin (Grafana's legacy reqGrafanaAdmin),
	// answering 403 "Permission denied" to anyone else.
	serverAdmin bool
	// serviceAccount marks routes whose {id} is a service account given by id or UID; the UID
	// is resolved in the caller's org before the permission check, and the routes exist only
	// while the serviceAccounts feature toggle is on.
	serviceAccount bool
	// team marks routes whose {id} is a team given by id or UID, resolved likewise.
	team bool
	// userParam names a path value holding a user id or UID, resolved to the id.
	userParam string
	// alsoAllow lists other actions that grant the route when held with any scope.
	alsoAllow []string
	// global evaluates the permission in the global org, where only server-admin grants
	// count (Grafana's UseGlobalOrg).
	global bool
	// ui marks browser pages: no credentials redirect to the sign-in page, denials render an
	// HTML page, and form posts must carry the CSRF token.
	ui bool
	// tokenOnly routes are not public, but the guard lets them through: the handler itself
	// accepts only a service-account token (never a cookie, a password or X-Grafana-Org-Id).
	tokenOnly bool
	// anyMethod routes are also registered without their method, for every other method.
	anyMethod bool
}

// route is one entry of the route table.
type route struct {
	pattern string
	access  access
	handler handlerFunc
}

func signedIn() access { return access{} }

// forwardAccess is the access of the forward-auth routes: any method, token only.
var forwardAccess = access{tokenOnly: true, anyMethod: true}

func need(action string) access { return access{action: action} }

func needScoped(action string, scope func(*http.Request) (string, error)) access {
	return access{action: action, scope: scope}
}

func inOrg(a access) access { a.orgParam = "orgId"; return a }

func serverAdminOnly(a access) access { a.serverAdmin = true; return a }

var globalUserScope = idScope("global.users:id:", "id")

// globalUser checks action on the user named by {id} (an id or a UID).
func globalUser(action string) access {
	return access{action: action, scope: globalUserScope, userParam: "id"}
}

// orgUser checks action on the org member named by {userId} (an id or a UID).
func orgUser(action string) access {
	return access{action: action, scope: idScope("users:id:", "userId"), userParam: "userId"}
}

// teamAccess marks a team route; scoped ones are checked on teams:id:{id}.
func teamAccess(action string, scoped bool) access {
	a := access{action: action, team: true}
	if scoped {
		a.scope = idScope("teams:id:", "id")
	}
	return a
}

// sa marks a service-account route; scoped ones are checked on serviceaccounts:id:{id}.
func sa(action string, scoped bool) access {
	a := access{action: action, serviceAccount: true}
	if scoped {
		a.scope = idScope("serviceaccounts:id:", "id")
	}
	return a
}

func fixedScope(s string) func(*http.Request) (string, error) {
	return func(*http.Request) (string, error) { return s, nil }
}

// idScope builds a scope from a numeric path value, e.g. "users:id:" + {userId}.
func idScope(prefix, param string) func(*http.Request) (string, error) {
	return func(r *http.Request) (string, error) {
		id, err := pathID(r, param)
		if err != nil {
			return "", err
		}
		return prefix + strconv.FormatInt(id, 10), nil
	}
}

// page marks a browser route.
func pageAccess(a access) access { a.ui = true; return a }

// routes returns every route Warden serves. Read this first.
func routes(opts Options, u *ui) []route {
	logger, svc := opts.Logger, opts.Service
	saPage := func(action string, scoped bool) access { return pageAccess(sa(action, scoped)) }
	teamPage := func(action string, scoped bool) access { return pageAccess(teamAccess(action, scoped)) }
	fwd := plain(handleForward(opts))
	return []route{
		// Health, metrics, sign-in.
		{"GET /api/health", access{public: true}, handleHealth(svc, opts.Version, opts.Commit)},
		{"HEAD /api/health", access{public: true}, handleHealth(svc, opts.Version, opts.Commit)},
		{"GET /healthz", access{public: true}, handleHealthz()},
		{"GET /metrics", access{public: true}, plain(promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{}))},
		{"POST /login", access{public: true}, handleLogin(svc, opts, u)},
		{"GET /login", access{public: true}, u.handleUILoginPage()},
		{"GET /public/", access{public: true}, handleStatic()},
		{"GET /avatar/{hash}", access{public: true}, handleAvatar()},
		{"GET /logout", access{public: true}, handleLogout(logger, svc, opts)},
		{"GET /api/login/ping", signedIn(), handleLoginPing()},
		{"GET /api/frontend/settings", signedIn(), handleFrontendSettings(opts)},

		// The signed-in user.
		{"GET /api/user", signedIn(), handleUserGet(svc)},
		{"GET /api/user/orgs", signedIn(), usersOnly(handleUserOrgs(svc))},
		{"POST /api/user/using/{id}", signedIn(), usersOnly(handleUserUsing(svc))},
		{"PUT /api/user/password", signedIn(), usersOnly(handleUserPassword(svc))},
		{"PUT /api/user", signedIn(), usersOnly(handleUserUpdateSelf(svc))},
		{"GET /api/user/preferences", signedIn(), handlePreferencesGet(svc, callerPreferences)},
		{"PUT /api/user/preferences", signedIn(), handlePreferencesSave(svc, callerPreferences, true)},
		{"PATCH /api/user/preferences", signedIn(), handlePreferencesSave(svc, callerPreferences, false)},

		// Server-admin user management.
		{"POST /api/admin/users", need(warden.ActionUsersCreate), handleAdminUserCreate(svc)},
		{"PUT /api/admin/users/{id}/password", globalUser(warden.ActionUsersPasswordWrite), handleAdminUserPassword(svc)},
		{"PUT /api/admin/users/{id}/permissions", serverAdminOnly(globalUser(warden.ActionUsersPermissionsWrite)), handleAdminUserPermissions(svc)},
		{"POST /api/admin/users/{id}/disable", globalUser(warden.ActionUsersDisable), handleAdminUserDisable(svc, true)},
		{"POST /api/admin/users/{id}/enable", globalUser(warden.ActionUsersEnable), handleAdminUserDisable(svc, false)},
		{"DELETE /api/admin/users/{id}", globalUser(warden.ActionUsersDelete), handleAdminUserDelete(svc)},
		{"POST /api/admin/users/{id}/logout", globalUser(warden.ActionUsersLogout), handleAdminUserLogout(svc)},
		{"GET /api/admin/users/{id}/auth-tokens", globalUser(warden.ActionUsersAuthTokenRead), handleAdminUserSessions(svc)},
		{"POST /api/admin/users/{id}/revoke-auth-token", globalUser(warden.ActionUsersAuthTokenWrite), handleAdminUserRevokeSession(svc)},
		{"GET /api/users/lookup", needScoped(warden.ActionUsersRead, fixedScope(warden.ScopeGlobalUsersAll)), handleUserLookup(svc)},
		{"GET /api/users", needScoped(warden.ActionUsersRead, nil), handleUserSearch(svc, false)},
		{"GET /api/users/search", needScoped(warden.ActionUsersRead, nil), handleUserSearch(svc, true)},
		{"GET /api/users/{id}", globalUser(warden.ActionUsersRead), handleUserByID(svc)},
		{"PUT /api/users/{id}", globalUser(warden.ActionUsersWrite), handleUserUpdate(svc)},
		{"GET /api/users/{id}/orgs", globalUser(warden.ActionUsersRead), handleUserByIDOrgs(svc)},
		{"GET /api/users/{id}/teams", globalUser(warden.ActionUsersRead), handleUserByIDTeams(svc)},

		// Orgs.
		{"GET /api/org", need(warden.ActionOrgsRead), handleOrgCurrent(svc)},
		{"PUT /api/org", need(warden.ActionOrgsWrite), handleOrgUpdate(svc, false)},
		{"PUT /api/org/address", need(warden.ActionOrgsWrite), handleOrgAddress(svc, false)},
		{"GET /api/org/preferences", need(warden.ActionOrgsPreferencesRead), handlePreferencesGet(svc, orgPreferences)},
		{"PUT /api/org/preferences", need(warden.ActionOrgsPreferencesWrite), handlePreferencesSave(svc, orgPreferences, true)},
		{"PATCH /api/org/preferences", need(warden.ActionOrgsPreferencesWrite), handlePreferencesSave(svc, orgPreferences, false)},
		{"POST /api/orgs", access{action: warden.ActionOrgsCreate, global: true}, handleOrgCreate(svc)},
		{"GET /api/orgs", access{action: warden.ActionOrgsRead, global: true}, handleOrgSearch(svc)},
		{orgByNamePattern, access{action: warden.ActionOrgsRead, global: true}, handleOrgByName(svc)},
		{"GET /api/orgs/{orgId}", inOrg(need(warden.ActionOrgsRead)), handleOrgGet(svc)},
		{"PUT /api/orgs/{orgId}", inOrg(need(warden.ActionOrgsWrite)), handleOrgUpdate(svc, true)},
		{"PUT /api/orgs/{orgId}/address", inOrg(need(warden.ActionOrgsWrite)), handleOrgAddress(svc, true)},
		{"DELETE /api/orgs/{orgId}", inOrg(need(warden.ActionOrgsDelete)), handleOrgDelete(svc)},

		// Org membership.
		{"GET /api/org/users", needScoped(warden.ActionOrgUsersRead, fixedScope(warden.ScopeUsersAll)), handleOrgUsers(svc, false)},
		{"GET /api/org/users/search", needScoped(warden.ActionOrgUsersRead, fixedScope(warden.ScopeUsersAll)), handleOrgUserSearch(svc, false)},
		{"GET /api/org/users/lookup", access{action: warden.ActionOrgUsersRead, scope: fixedScope(warden.ScopeUsersAll),
			alsoAllow: []string{warden.ActionTeamsPermissionsWrite, "folders.permissions:write", "dashboards.permissions:write"}},
			handleOrgUserLookup(svc)},
		{"POST /api/org/users", needScoped(warden.ActionOrgUsersAdd, fixedScope(warden.ScopeUsersAll)), handleOrgUserAddCurrent(svc)},
		{"PATCH /api/org/users/{userId}", orgUser(warden.ActionOrgUsersWrite), handleOrgUserUpdate(svc, false)},
		{"DELETE /api/org/users/{userId}", orgUser(warden.ActionOrgUsersRemove), handleOrgUserRemoveCurrent(svc)},
		{orgUsersPattern, inOrg(needScoped(warden.ActionOrgUsersRead, fixedScope(warden.ScopeUsersAll))), handleOrgUsers(svc, true)},
		{"GET /api/orgs/{orgId}/users/search", inOrg(needScoped(warden.ActionOrgUsersRead, fixedScope(warden.ScopeUsersAll))), handleOrgUserSearch(svc, true)},
		{"POST /api/orgs/{orgId}/users", inOrg(needScoped(warden.ActionOrgUsersAdd, fixedScope(warden.ScopeUsersAll))), handleOrgUserAdd(svc)},
		{"PATCH /api/orgs/{orgId}/users/{userId}", inOrg(orgUser(warden.ActionOrgUsersWrite)), handleOrgUserUpdate(svc, true)},
		{"DELETE /api/orgs/{orgId}/users/{userId}", inOrg(orgUser(warden.ActionOrgUsersRemove)), handleOrgUserRemove(svc)},

		// Service accounts and their tokens.
		{"POST /api/serviceaccounts", sa(warden.ActionSACreate, false), handleServiceAccountCreate(svc)},
		{"POST /api/serviceaccounts/{$}", sa(warden.ActionSACreate, false), handleServiceAccountCreate(svc)},
		{"GET /api/serviceaccounts/search", sa(warden.ActionSARead, false), handleServiceAccountSearch(svc)},
		{"GET /api/serviceaccounts/{id}", sa(warden.ActionSARead, true), handleServiceAccountGet(svc)},
		{"PATCH /api/serviceaccounts/{id}", sa(warden.ActionSAWrite, true), handleServiceAccountUpdate(svc)},
		{"DELETE /api/serviceaccounts/{id}", sa(warden.ActionSADelete, true), handleServiceAccountDelete(svc)},
		{"GET /api/serviceaccounts/{id}/tokens", sa(warden.ActionSARead, true), handleTokenList(svc)},
		{"POST /api/serviceaccounts/{id}/tokens", sa(warden.ActionSAWrite, true), handleTokenIssue(svc)},
		{"DELETE /api/serviceaccounts/{id}/tokens", sa(warden.ActionSAWrite, true), handleTokensDeleteExpired(svc)},
		{"GET /api/serviceaccounts/{id}/tokens/{tokenId}", sa(warden.ActionSARead, true), handleTokenGet(svc)},
		{"PATCH /api/serviceaccounts/{id}/tokens/{tokenId}", sa(warden.ActionSAWrite, true), handleTokenRestrict(svc)},
		{"DELETE /api/serviceaccounts/{id}/tokens/{tokenId}", sa(warden.ActionSAWrite, true), handleTokenDelete(svc)},
		{"POST /api/serviceaccounts/{id}/tokens/{tokenId}/rotate", sa(warden.ActionSAWrite, true), handleTokenRotate(svc)},
		{"GET /api/access-control/serviceaccounts/description", sa(warden.ActionSAPermissionsRead, false), handleSAPermissionsDescription()},
		{"GET /api/access-control/serviceaccounts/{id}", sa(warden.ActionSAPermissionsRead, true), handleSAPermissionsList(svc)},
		{"POST /api/access-control/serviceaccounts/{id}", sa(warden.ActionSAPermissionsWrite, true), handleSAPermissionsSetMany(svc)},
		{"POST /api/access-control/serviceaccounts/{id}/users/{userId}", sa(warden.ActionSAPermissionsWrite, true), handleSAPermissionsSet(svc, "userId")},
		{"POST /api/access-control/serviceaccounts/{id}/teams/{teamId}", sa(warden.ActionSAPermissionsWrite, true), handleSAPermissionsSet(svc, "teamId")},

		// Teams.
		{"POST /api/teams", teamAccess(warden.ActionTeamsCreate, false), handleTeamCreate(svc)},
		{"GET /api/teams/search", teamAccess(warden.ActionTeamsRead, false), handleTeamSearch(svc)},
		{"GET /api/teams/{id}", teamAccess(warden.ActionTeamsRead, true), handleTeamGet(svc)},
		{"PUT /api/teams/{id}", teamAccess(warden.ActionTeamsWrite, true), handleTeamUpdate(svc)},
		{"DELETE /api/teams/{id}", teamAccess(warden.ActionTeamsDelete, true), handleTeamDelete(svc)},
		{"GET /api/teams/{id}/members", teamAccess(warden.ActionTeamsPermissionsRead, true), handleTeamMembers(svc)},
		{"POST /api/teams/{id}/members", teamAccess(warden.ActionTeamsPermissionsWrite, true), handleTeamMemberAdd(svc)},
		{"PUT /api/teams/{id}/members", teamAccess(warden.ActionTeamsPermissionsWrite, true), handleTeamMembersSet(svc)},
		{"PUT /api/teams/{id}/members/{userId}", teamAccess(warden.ActionTeamsPermissionsWrite, true), handleTeamMemberUpdate(svc)},
		{"DELETE /api/teams/{id}/members/{userId}", teamAccess(warden.ActionTeamsPermissionsWrite, true), handleTeamMemberRemove(svc)},
		{"GET /api/teams/{id}/preferences", teamAccess(warden.ActionTeamsRead, true), handlePreferencesGet(svc, teamPreferences)},
		{"PUT /api/teams/{id}/preferences", teamAccess(warden.ActionTeamsWrite, true), handlePreferencesSave(svc, teamPreferences, true)},
		{"PATCH /api/teams/{id}/preferences", teamAccess(warden.ActionTeamsWrite, true), handlePreferencesSave(svc, teamPreferences, false)},
		{"GET /api/user/teams", signedIn(), usersOnly(handleUserTeams(svc))},

		// The web UI: the same service calls, the same permissions.
		{"GET /{$}", pageAccess(signedIn()), u.handleUIHome()},
		{"GET /org/serviceaccounts", pageAccess(access{action: warden.ActionSARead, alsoAllow: []string{warden.ActionSACreate}, serviceAccount: true}), u.handleUISAList()},
		{"GET /org/serviceaccounts/create", saPage(warden.ActionSACreate, false), u.handleUISACreatePage()},
		{"POST /org/serviceaccounts/create", saPage(warden.ActionSACreate, false), u.handleUISACreate()},
		{"GET /org/serviceaccounts/{id}", saPage(warden.ActionSARead, true), u.handleUISAPage()},
		{"POST /org/serviceaccounts/{id}/name", saPage(warden.ActionSAWrite, true), u.handleUISAUpdate("name")},
		{"POST /org/serviceaccounts/{id}/role", saPage(warden.ActionSAWrite, true), u.handleUISAUpdate("role")},
		{"POST /org/serviceaccounts/{id}/disable", saPage(warden.ActionSAWrite, true), u.handleUISAUpdate("disable")},
		{"POST /org/serviceaccounts/{id}/enable", saPage(warden.ActionSAWrite, true), u.handleUISAUpdate("enable")},
		{"POST /org/serviceaccounts/{id}/delete", saPage(warden.ActionSADelete, true), u.handleUISAUpdate("delete")},
		{"POST /org/serviceaccounts/{id}/tokens", saPage(warden.ActionSAWrite, true), u.handleUITokenCreate()},
		{"POST /org/serviceaccounts/{id}/tokens/{tokenId}/delete", saPage(warden.ActionSAWrite, true), u.handleUITokenDelete()},
		{"GET /org/serviceaccounts/{id}/tokens/{tokenId}/rotate", saPage(warden.ActionSAWrite, true), u.handleUITokenRotatePage()},
		{"POST /org/serviceaccounts/{id}/tokens/{tokenId}/rotate", saPage(warden.ActionSAWrite, true), u.handleUITokenRotate()},
		{"GET /org/serviceaccounts/{id}/tokens/{tokenId}/restrictions", saPage(warden.ActionSAWrite, true), u.handleUITokenRestrictionsPage()},
		{"POST /org/serviceaccounts/{id}/tokens/{tokenId}/restrictions", saPage(warden.ActionSAWrite, true), u.handleUITokenRestrictions()},
		{"POST /org/serviceaccounts/{id}/tokens/delete-expired", saPage(warden.ActionSAWrite, true), u.handleUITokensDeleteExpired()},
		{"POST /org/serviceaccounts/{id}/permissions", saPage(warden.ActionSAPermissionsWrite, true), u.handleUISAPermission()},
		{"GET /org/users", pageAccess(needScoped(warden.ActionOrgUsersRead, fixedScope(warden.ScopeUsersAll))), u.handleUIUsers()},
		{"POST /org/users", pageAccess(needScoped(warden.ActionOrgUsersAdd, fixedScope(warden.ScopeUsersAll))), u.handleUIUserAdd()},
		{"POST /org/users/{userId}/role", pageAccess(orgUser(warden.ActionOrgUsersWrite)), u.handleUIUserChange(false)},
		{"POST /org/users/{userId}/remove", pageAccess(orgUser(warden.ActionOrgUsersRemove)), u.handleUIUserChange(true)},
		{"GET /org/teams", pageAccess(access{action: warden.ActionTeamsRead, alsoAllow: []string{warden.ActionTeamsCreate}}), u.handleUITeams()},
		{"POST /org/teams", teamPage(warden.ActionTeamsCreate, false), u.handleUITeamCreate()},
		{"GET /org/teams/{id}", teamPage(warden.ActionTeamsRead, true), u.handleUITeam()},
		{"POST /org/teams/{id}/members", teamPage(warden.ActionTeamsPermissionsWrite, true), u.handleUITeamChange("add")},
		{"POST /org/teams/{id}/members/{userId}/remove", teamPage(warden.ActionTeamsPermissionsWrite, true), u.handleUITeamChange("remove")},
		{"POST /org/teams/{id}/delete", teamPage(warden.ActionTeamsDelete, true), u.handleUITeamChange("delete")},
		{"GET /profile", pageAccess(signedIn()), u.handleUIProfile()},
		{"POST /profile", pageAccess(signedIn()), u.handleUIPasswordChange()},

		// Forward auth for reverse proxies, and token introspection (docs/authz.md).
		{"GET /api/authz/forward", forwardAccess, fwd},
		{"GET /api/authz/forward/{path...}", forwardAccess, fwd},
		{"POST /api/authz/introspect", signedIn(), handleIntrospect(svc)},

		// The audit log (server admins).
		{"GET /api/audit", serverAdminOnly(signedIn()), handleAuditSearch(svc)},

		// Access control.
		{"GET /api/access-control/user/permissions", signedIn(), handleUserPermissions()},
		{"GET /api/access-control/user/actions", signedIn(), handleUserActions()},
	}
}

// addRoutes registers the route table on mux, each route behind its access guard, plus the
// JSON 404 for unknown API paths and the 404 page for any other unknown address.
func addRoutes(mux *http.ServeMux, opts Options) {
	u := newUI(opts)
	auth := &authenticator{logger: opts.Logger, svc: opts.Service, basicAuth: opts.BasicAuth,
		rootURL: opts.RootURL, cookieName: SessionCookie}
	apiFail := apiErrors(opts.Logger, u)
	pages := map[string]bool{} // the patterns of the UI's GET pages
	var orgByName, orgUsers http.Handler
	for _, rt := range routes(opts, u) {
		if rt.access.serviceAccount && !opts.Service.ServiceAccountsEnabled() {
			continue // the toggle is off: these paths answer the generic 404, as in Grafana 8.5
		}
		fail := apiFail
		if rt.access.ui {
			fail = u.fail
		}
		h := guard(auth, rt.access, rt.handler, fail)
		switch rt.pattern {
		case orgByNamePattern:
			orgByName = h
			continue
		case orgUsersPattern:
			orgUsers = h
			continue
		}
		mux.Handle(rt.pattern, h)
		if rt.access.ui && strings.HasPrefix(rt.pattern, "GET ") {
			pages[rt.pattern] = true
		}
		if rt.access.anyMethod {
			_, path, _ := strings.Cut(rt.pattern, " ")
			mux.Handle(path, h)
		}
	}
	// Go's mux cannot hold both of these patterns: both match /api/orgs/name/users and neither is
	// more specific. Grafana's router lets the literal "name" win; so does this dispatch.
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusNotFound, message{"Not found"})
	})
	mux.Handle(orgsDispatchPattern, orgsByNameOr(orgByName, notFound))
	mux.Handle(orgUsersPattern, orgsByNameOr(orgByName, orgUsers))

	// Unknown API routes, and known paths with another method, answer Grafana's JSON 404
	// without asking for credentials.
	mux.Handle(fallbackAPI, notFound)
	// Any other unknown address (a page's address with a trailing slash included) answers
	// Warden's 404 page.
	mux.Handle(fallbackPage, u.handleNotFound(func(path string) bool {
		_, pattern := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Host: "warden"})
		return pages[pattern]
	}))
}

// The patterns that answer unknown addresses: API paths, and all others.
const (
	fallbackAPI  = "/api/"
	fallbackPage = "/"
)

// truncate cuts s to at most n bytes of valid UTF-8, marking a cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// The two routes that share the path shape /api/orgs/{x}/{y}.
const (
	orgByNamePattern = "GET /api/orgs/name/{name}"
	orgUsersPattern  = "GET /api/orgs/{orgId}/users"
	// orgsDispatchPattern is registered in orgByNamePattern's place.
	orgsDispatchPattern = "GET /api/orgs/{orgId}/{name}"
)

// orgsByNameOr serves GET /api/orgs/name/{name} with byName, and any other /api/orgs/{orgId}/…
// path of its pattern with other.
func orgsByNameOr(byName, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("orgId") != "name" {
			other.ServeHTTP(w, r)
			return
		}
		if r.Pattern == orgUsersPattern {
			r.SetPathValue("name", "users")
		}
		r.Pattern = orgByNamePattern // for the access log and the metrics
		byName.ServeHTTP(w, r)
	})
}

// guard runs a route: it authenticates the caller and checks the route's permission, then
// calls the handler. Every error on the way, the handler's included, is answered by fail.
func guard(auth *authenticator, a access, h handlerFunc, fail errorWriter) http.Handler {
	admit := auth.admit
	switch {
	case a.public || a.tokenOnly:
		admit = nil
	case a.ui:
		admit = auth.admitPage
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if admit != nil {
			r, err = admit(w, r, a)
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			fail(w, r, err)
		}
	})
}

// admit lets an API caller through to a route: it returns the request carrying the caller's
// principal, or the error that refuses it.
func (auth *authenticator) admit(_ http.ResponseWriter, r *http.Request, a access) (*http.Request, error) {
	p, err := auth.principal(r)
	if err != nil {
		return r, &authError{err}
	}
	if p == nil {
		return r, &authError{warden.ErrUnauthorized}
	}
	return auth.authorize(a, p, r)
}

// admitPage lets a browser through to a page: signed-out visitors go to the sign-in page and
// come back; form posts must carry the CSRF token.
func (auth *authenticator) admitPage(w http.ResponseWriter, r *http.Request, a access) (*http.Request, error) {
	p, err := auth.principal(r)
	if err != nil && warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		return r, err
	}
	if p == nil {
		if err != nil {
			// A dead session cookie (expired, signed out elsewhere, password changed) is
			// dropped, so the sign-in form's CSRF token is not tied to it.
			clearSessionCookie(w, false)
		}
		return r, errSignInRequired
	}
	if r.Method == http.MethodPost && !validCSRF(r) {
		return r, warden.Errorf(warden.EFORBIDDEN, "This form has expired. Reload the page and try again.")
	}
	return auth.authorize(a, p, r.WithContext(warden.NewContextWithPrincipal(r.Context(), p)))
}

// authorize runs the route's permission check for principal p. It returns the request the
// handler gets, carrying the principal, or the error that refuses it; a refused state change
// is recorded in the audit log.
func (auth *authenticator) authorize(a access, p *warden.Principal, r *http.Request) (*http.Request, error) {
	p, err := auth.check(a, p, r)
	if err != nil {
		if !isSafeMethod(r.Method) {
			auth.recordDenial(p, r, err)
		}
		return r, err
	}
	return r.WithContext(warden.NewContextWithPrincipal(r.Context(), p)), nil
}

// check decides whether p may call the route: it resolves the path's ids (a UID becomes the
// id the scope is computed from) and returns the principal the handler acts as.
func (auth *authenticator) check(a access, p *warden.Principal, r *http.Request) (*warden.Principal, error) {
	// Cookie-authenticated writes must come from Warden's own pages (CVE-2022-21703).
	if ri := infoFrom(r); ri != nil {
		ri.callerID = string(p.Kind) + ":" + strconv.FormatInt(p.UserID, 10)
	}
	if p.AuthMethod == "session" && !isSafeMethod(r.Method) && !auth.sameOrigin(r) {
		return p, warden.Errorf(warden.EFORBIDDEN, "origin not allowed")
	}
	if a.orgParam != "" {
		orgID, err := strconv.ParseInt(r.PathValue(a.orgParam), 10, 64)
		if err != nil || orgID <= 0 {
			return p, &accessDeniedError{a.action}
		}
		if p, err = auth.svc.InOrg(r.Context(), p, orgID); err != nil {
			return p, err
		}
	}
	if (a.serviceAccount || a.team) && r.PathValue("id") != "" {
		// Resolve a UID in the caller's org before the scope is computed from the id.
		ctx := warden.NewContextWithPrincipal(r.Context(), p)
		resolve := auth.svc.ResolveServiceAccountID
		if a.team {
			resolve = auth.svc.ResolveTeamID
		}
		id, err := resolve(ctx, r.PathValue("id"))
		if err != nil {
			return p, err
		}
		r.SetPathValue("id", strconv.FormatInt(id, 10))
	}
	if a.userParam != "" {
		id, err := auth.svc.ResolveUserID(r.Context(), r.PathValue(a.userParam))
		if err != nil {
			return p, err
		}
		r.SetPathValue(a.userParam, strconv.FormatInt(id, 10))
	}
	if a.global {
		gp := *p
		gp.Permissions = warden.NewPermissions(warden.BasicRolePermissions("", p.IsUser() && p.IsServerAdmin))
		p = &gp
	}
	if a.serverAdmin && !(p.IsUser() && p.IsServerAdmin) {
		return p, warden.Errorf(warden.EFORBIDDEN, "Permission denied")
	}
	if a.action != "" {
		scope := ""
		if a.scope != nil {
			var err error
			if scope, err = a.scope(r); err != nil {
				return p, err
			}
		}
		if !p.Permissions.Evaluate(a.action, scope) && !anyHeld(p.Permissions, a.alsoAllow) {
			return p, &accessDeniedError{a.action}
		}
	}
	return p, nil
}

// recordDenial writes a refusal for lack of permission (403) to the audit log as outcome
// "denied"; other errors are not denials.
func (auth *authenticator) recordDenial(p *warden.Principal, r *http.Request, err error) {
	var detail string
	var denied *accessDeniedError
	switch {
	case errors.As(err, &denied):
		detail = "requires " + denied.action
	case warden.ErrorCode(err) == warden.EFORBIDDEN:
		detail = warden.ErrorMessage(err)
	default:
		return
	}
	ctx := warden.NewContextWithPrincipal(r.Context(), p)
	target := truncate(r.Method+" "+r.URL.Path, 200)
	d := warden.Denial{Route: r.Pattern, TargetID: target, Detail: detail}
	if _, err := auth.svc.RecordDenied(ctx, d); err != nil {
		auth.logger.Error("record denied request", "err", err, "route", target)
	}
}

// usersOnly answers 304 with no body to identities that are not human users, as Grafana's
// newest /api/user/* endpoints do.
func usersOnly(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !warden.PrincipalFromContext(r.Context()).IsUser() {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return next(w, r)
	}
}

// anyHeld reports whether perms hold any of actions, with any scope.
func anyHeld(perms warden.Permissions, actions []string) bool {
	for _, a := range actions {
		if perms.Evaluate(a, "") {
			return true
		}
	}
	return false
}
