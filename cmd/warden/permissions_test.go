package main

// What callers may do: /api/access-control/user/permissions and /actions per role, and the
// shape of the RBAC refusal.

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// permissionsOf decodes a permissions map, failing unless every value of the
// map is an array of strings.
func permissionsOf(t *testing.T, r *response) map[string][]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("body is not an object: %v: %s", err, r.Body)
	}
	out := make(map[string][]string, len(raw))
	for a, v := range raw {
		arr, ok := v.([]any)
		if !ok {
			t.Fatalf("%q = %#v, want an array of strings", a, v)
		}
		for _, s := range arr {
			str, ok := s.(string)
			if !ok {
				t.Fatalf("%q holds %#v, want strings", a, s)
			}
			out[a] = append(out[a], str)
		}
		if out[a] == nil {
			out[a] = []string{}
		}
	}
	return out
}

// wantScopes fails unless the scopes of action are, as a set, exactly want.
func wantScopes(t *testing.T, perms map[string][]string, action string, want ...string) {
	t.Helper()
	got, ok := perms[action]
	if !ok {
		t.Fatalf("permission %q missing", action)
	}
	set := map[string]bool{}
	for _, s := range got {
		set[s] = true
	}
	wantSet := map[string]bool{}
	for _, s := range want {
		wantSet[s] = true
	}
	if !reflect.DeepEqual(set, wantSet) {
		t.Fatalf("%q scopes = %q, want %q", action, got, want)
	}
}

func TestPermissions_Admin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	perms := permissionsOf(t, ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil))
	if !contains(perms["users:read"], "global.users:*") {
		t.Fatalf("users:read = %q, want it to contain global.users:*", perms["users:read"])
	}
	wantScopes(t, perms, "orgs:create", "")
	wantScopes(t, perms, "org.users:add", "users:*")
	wantScopes(t, perms, "teams:create", "")
	wantScopes(t, perms, "serviceaccounts:create", "")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// wantNoManagement checks the permissions of a Viewer or Editor: they read their org and
// manage nothing.
func wantNoManagement(t *testing.T, perms map[string][]string) {
	t.Helper()
	if _, ok := perms["orgs:read"]; !ok {
		t.Fatalf("orgs:read missing from %v", perms)
	}
	for _, a := range []string{"teams:create", "org.users:read", "users:read"} {
		if _, ok := perms[a]; ok {
			t.Fatalf("%q present in %v", a, perms)
		}
	}
	for a := range perms {
		if strings.HasPrefix(a, "serviceaccounts") {
			t.Fatalf("%q present in %v", a, perms)
		}
	}
}

func TestPermissions_ViewerManagesNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	wantNoManagement(t, permissionsOf(t, ts.basic("u", "pass").expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil)))
}

func TestPermissions_EditorManagesNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	e := ts.createUser(t, map[string]any{"login": "ed", "password": "pass"})
	setOrgRole(t, ts, e, "Editor")
	wantBody(t, ts.basic("ed", "pass").expect(t, http.StatusOK, "GET", "/api/user/orgs", nil),
		`[{"orgId":1,"name":"Main Org.","role":"Editor"}]`)
	wantNoManagement(t, permissionsOf(t, ts.basic("ed", "pass").expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil)))
}

func TestPermissions_NeedSignIn(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/access-control/user/permissions", nil))
}

func TestPermissions_UserActions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/access-control/user/actions", nil).JSON(t)
	if len(m) == 0 {
		t.Fatal("no actions")
	}
	for a, v := range m {
		if v != true {
			t.Fatalf("%q = %#v, want true", a, v)
		}
	}
	for _, a := range []string{"users:read", "orgs:create", "org.users:add", "teams:create", "serviceaccounts:create", "orgs:read"} {
		if _, ok := m[a]; !ok {
			t.Fatalf("action %q missing from %v", a, m)
		}
	}
}

func TestPermissions_DenyBodyShape(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	uc := ts.basic("u", "pass")
	r := uc.do(t, "GET", "/api/org/users", nil)
	wantAccessDenied(t, r, "org.users:read")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	// A Viewer holds orgs:read in its own org only.
	uc.expect(t, http.StatusOK, "GET", "/api/orgs/1", nil)
	ts.admin().expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	wantAccessDenied(t, uc.do(t, "GET", "/api/orgs/2", nil), "orgs:read")
	wantAccessDenied(t, uc.do(t, "PUT", "/api/admin/users/1/password", map[string]string{"password": "xxxx"}), "users.password:write")
	// /api/orgs/{orgId} with a non-numeric or zero id fails the in-org check.
	wantAccessDenied(t, uc.do(t, "GET", "/api/orgs/abc", nil), "orgs:read")
	wantAccessDenied(t, uc.do(t, "GET", "/api/orgs/0", nil), "orgs:read")
	// Two denials carry their own ids.
	a := uc.do(t, "GET", "/api/org/users", nil).JSON(t)["accessErrorId"]
	b := uc.do(t, "GET", "/api/org/users", nil).JSON(t)["accessErrorId"]
	if a == b {
		t.Fatalf("accessErrorId %v repeated", a)
	}
}

func TestPermissions_ServiceAccountToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "Admin")
	c := ts.bearer(apiToken(t, ts.admin(), sa, "bot-token"))
	perms := permissionsOf(t, c.expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil))
	wantScopes(t, perms, "serviceaccounts:read", "serviceaccounts:*")
	wantScopes(t, perms, "org.users:read", "users:*")
	wantScopes(t, perms, "teams:create", "")
	for a, scopes := range perms {
		if strings.HasPrefix(a, "users:") || strings.HasPrefix(a, "users.password") || a == "orgs:create" || a == "orgs:delete" {
			t.Fatalf("an SA token holds %q (%q); no SA is a server admin", a, scopes)
		}
		for _, sc := range scopes {
			if strings.HasPrefix(sc, "global.") {
				t.Fatalf("an SA token holds %q on %q; no SA is a server admin", a, sc)
			}
		}
	}
	acts := c.expect(t, http.StatusOK, "GET", "/api/access-control/user/actions", nil).JSON(t)
	for _, a := range []string{"serviceaccounts:read", "org.users:read", "teams:create"} {
		if acts[a] != true {
			t.Fatalf("actions lack %q: %v", a, acts)
		}
	}
	if _, ok := acts["users:read"]; ok {
		t.Fatalf("actions hold users:read: %v", acts)
	}
	// A Viewer-role account holds none of the management actions.
	sv, _ := apiSA(t, ts.admin(), "viewer-bot", "Viewer")
	vp := permissionsOf(t, ts.bearer(apiToken(t, ts.admin(), sv, "v-token")).expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil))
	wantNoManagement(t, vp)
}
