package main

// Service accounts over HTTP (/api/serviceaccounts): create, get, update and delete, who may
// do each, and the helpers the service-account and token tests share (prefixed sa).
//
// Grants on one account are built with managed permissions: "serviceaccounts:read (and write)
// on serviceaccounts:id:1" is a user holding "Edit" on that one account, and
// "serviceaccounts:delete on serviceaccounts:id:1" is a user holding "Admin" on it. What cannot
// be built over HTTP (a Viewer holding serviceaccounts:create) and the store-level rules are
// tested on the service, in ../../service_account_test.go.

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Grafana's newest structured service-account errors (SPEC §2.9) and the plain binding error.
const (
	saErrNotFound       = `{"message":"service account not found","messageId":"serviceaccounts.ErrNotFound","statusCode":404}`
	saErrRoleForbidden  = `{"message":"can not assign a role higher than user's role","messageId":"serviceaccounts.ErrRoleForbidden","statusCode":403}`
	saErrAlreadyExists  = `{"message":"service account already exists","messageId":"serviceaccounts.ErrAlreadyExists","statusCode":400}`
	saErrTokenExists    = `{"message":"service account token with given name already exists in the organization","messageId":"serviceaccounts.ErrTokenAlreadyExists","statusCode":400}`
	saErrTokenNotFound  = `{"message":"service account token not found","messageId":"serviceaccounts.ErrTokenNotFound","statusCode":404}`
	saErrInvalidTTL     = `{"message":"invalid SecondsToLive value","messageId":"serviceaccounts.ErrInvalidInput","statusCode":400}`
	saErrInvalidTokenID = `{"message":"invalid service account token id specified","messageId":"serviceaccounts.ErrInvalidTokenId","statusCode":400}`
	saBadRequest        = `{"message":"Bad request data"}`
)

// The actions of the managed levels, sorted (SPEC §5.3).
var (
	saEditActions  = []any{"serviceaccounts:read", "serviceaccounts:write"}
	saAdminActions = []any{"serviceaccounts.permissions:read", "serviceaccounts.permissions:write",
		"serviceaccounts:delete", "serviceaccounts:read", "serviceaccounts:write"}
)

var (
	saTimeRe     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	saTokenRe    = regexp.MustCompile(`^glsa_[0-9A-Za-z]{32}_[0-9a-f]{8}$`)
	saAccessIDRe = regexp.MustCompile(`^ACE[0-9]{10}$`)
)

// saStatus fails unless r has the status.
func saStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
}

// saJSONEqual reports whether two JSON texts hold equal values.
func saJSONEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// saBody fails unless r has the status and a JSON body equal to want.
func saBody(t *testing.T, r *response, status int, want string) {
	t.Helper()
	saStatus(t, r, status)
	if !saJSONEqual(t, r.Body, want) {
		t.Fatalf("body = %s, want %s", strings.TrimSpace(string(r.Body)), want)
	}
}

// saDenied fails unless r is the RBAC 403 naming action.
func saDenied(t *testing.T, r *response, action string) {
	t.Helper()
	saStatus(t, r, http.StatusForbidden)
	m := r.JSON(t)
	wantKeys(t, m, "title", "message", "accessErrorId")
	wantFields(t, m, map[string]any{
		"title":   "Access denied",
		"message": "You'll need additional permissions to perform this action. Permissions needed: " + action,
	})
	if id, _ := m["accessErrorId"].(string); !saAccessIDRe.MatchString(id) {
		t.Fatalf("accessErrorId = %q, want ACE + 10 digits", m["accessErrorId"])
	}
}

// saAPIKeyError fails unless r is the 401 a failed token authentication answers.
func saAPIKeyError(t *testing.T, r *response, message, messageID string) {
	t.Helper()
	saStatus(t, r, http.StatusUnauthorized)
	wantFields(t, r.JSON(t), map[string]any{"message": message, "messageId": messageID, "statusCode": 401})
}

// saNum returns the numeric field key of m.
func saNum(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	f, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%s = %#v, want a number (in %v)", key, m[key], m)
	}
	return int64(f)
}

func saItoa(id int64) string { return strconv.FormatInt(id, 10) }

// saURL returns /api/serviceaccounts/<id><rest>.
func saURL(id int64, rest string) string { return "/api/serviceaccounts/" + saItoa(id) + rest }

// saPermURL returns /api/access-control/serviceaccounts/<id><rest>.
func saPermURL(id int64, rest string) string {
	return "/api/access-control/serviceaccounts/" + saItoa(id) + rest
}

// saCreate creates a service account with body and returns the 201 DTO.
func saCreate(t *testing.T, c *client, body map[string]any) map[string]any {
	t.Helper()
	return c.expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", body).JSON(t)
}

// saNew creates a service account with a name (role default Viewer) and returns its id.
func saNew(t *testing.T, c *client, name string) int64 {
	t.Helper()
	return saNum(t, saCreate(t, c, map[string]any{"name": name}), "id")
}

// saNewRole creates a service account with a role and returns its id.
func saNewRole(t *testing.T, c *client, name, role string) int64 {
	t.Helper()
	return saNum(t, saCreate(t, c, map[string]any{"name": name, "role": role}), "id")
}

// saNewToken creates a token (secondsToLive 0: never expires) and returns its id and key.
func saNewToken(t *testing.T, c *client, saID int64, name string, secondsToLive int64) (int64, string) {
	t.Helper()
	body := map[string]any{"name": name}
	if secondsToLive != 0 {
		body["secondsToLive"] = secondsToLive
	}
	m := c.expect(t, http.StatusOK, "POST", saURL(saID, "/tokens"), body).JSON(t)
	key, _ := m["key"].(string)
	return saNum(t, m, "id"), key
}

var (
	saAdminMu      sync.Mutex
	saAdminClients = map[*testServer]*client{}
)

// saAdmin returns a session-authenticated client for the server admin, signed in once per
// server: Basic auth would run the password hash on every request.
func saAdmin(t *testing.T, ts *testServer) *client {
	t.Helper()
	saAdminMu.Lock()
	c, ok := saAdminClients[ts]
	saAdminMu.Unlock()
	if ok {
		return c
	}
	c = ts.login(t, "admin", ts.Password)
	saAdminMu.Lock()
	saAdminClients[ts] = c
	saAdminMu.Unlock()
	t.Cleanup(func() {
		saAdminMu.Lock()
		delete(saAdminClients, ts)
		saAdminMu.Unlock()
	})
	return c
}

// saUser creates a user of org 1 with a role there and returns its id and a Basic client.
func saUser(t *testing.T, ts *testServer, login, role string) (int64, *client) {
	t.Helper()
	id := ts.createUser(t, map[string]any{"name": login, "email": login + "@example.com", "login": login, "password": "password1"})
	if role != "Viewer" {
		r := saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", "/api/org/users/"+saItoa(id), map[string]string{"role": role})
		wantMessage(t, r, "Organization user updated")
	}
	return id, ts.login(t, login, "password1")
}

// saGrant gives a user a managed permission ("Edit", "Admin", or "" to remove) on one account.
func saGrant(t *testing.T, ts *testServer, saID, userID int64, permission string) {
	t.Helper()
	r := saAdmin(t, ts).expect(t, http.StatusOK, "POST", saPermURL(saID, "/users/"+saItoa(userID)),
		map[string]string{"permission": permission})
	if permission == "" {
		saBody(t, r, http.StatusOK, `{"message":"Permission removed"}`)
	} else {
		saBody(t, r, http.StatusOK, `{"message":"Permission updated"}`)
	}
}

// saTokenNames lists the names of an account's tokens, as the admin sees them.
func saTokenNames(t *testing.T, ts *testServer, saID int64) []string {
	t.Helper()
	names := []string{}
	for _, tk := range saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(saID, "/tokens"), nil).List(t) {
		names = append(names, tk["name"].(string))
	}
	return names
}

// saSearch runs a search and returns the body and the logins found.
func saSearch(t *testing.T, c *client, query string) (map[string]any, []string) {
	t.Helper()
	m := c.expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search"+query, nil).JSON(t)
	list, ok := m["serviceAccounts"].([]any)
	if !ok {
		t.Fatalf("serviceAccounts = %#v, want an array (body %v)", m["serviceAccounts"], m)
	}
	logins := []string{}
	for _, a := range list {
		logins = append(logins, a.(map[string]any)["login"].(string))
	}
	return m, logins
}

// saAvatar is Grafana's avatar URL for a service account name (SPEC §1.4).
func saAvatar(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	sum := md5.Sum([]byte(strings.ToLower(b.String() + "@localhost")))
	return "/avatar/" + hex.EncodeToString(sum[:])
}

// saFixture is the common setup: accounts A and B and a user holding a level on A.
type saFixture struct {
	ts       *testServer
	admin    *client
	a, b     int64
	userID   int64
	user     *client
	tokenA   int64
	tokenB   int64
	keyA     string
	username string
}

// saSetup starts a server with accounts "sa-a" and "sa-b", one token each, and a user with
// the org role who holds level ("Edit", "Admin" or "") on sa-a only.
func saSetup(t *testing.T, role, level string) *saFixture {
	t.Helper()
	ts := startServer(t, nil)
	f := &saFixture{ts: ts, admin: saAdmin(t, ts), username: "u"}
	f.a = saNew(t, f.admin, "sa-a")
	f.b = saNew(t, f.admin, "sa-b")
	f.tokenA, f.keyA = saNewToken(t, f.admin, f.a, "token-a", 0)
	f.tokenB, _ = saNewToken(t, f.admin, f.b, "token-b", 0)
	f.userID, f.user = saUser(t, ts, f.username, role)
	if level != "" {
		saGrant(t, ts, f.a, f.userID, level)
	}
	return f
}

// An org Admin creates an account. (A Viewer holding serviceaccounts:create cannot be built
// over HTTP: the service tests cover it.)
func TestServiceAccounts_Create(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusCreated, "POST", "/api/serviceaccounts",
		map[string]any{"name": "test", "isDisabled": false, "role": "Viewer"})
	m := r.JSON(t)
	wantKeys(t, m, "id", "uid", "name", "login", "orgId", "isDisabled", "role", "tokens", "avatarUrl")
	wantFields(t, m, map[string]any{"name": "test", "login": "sa-1-test", "orgId": 1, "isDisabled": false,
		"role": "Viewer", "tokens": 0, "avatarUrl": ""})
}

func TestServiceAccounts_CreateNeedsPermission(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, role := range []string{"None", "Viewer", "Editor"} {
		_, c := saUser(t, ts, "user-"+strings.ToLower(role), role)
		r := c.do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "test", "isDisabled": false, "role": "Viewer"})
		saDenied(t, r, "serviceaccounts:create")
	}
	// An Admin grant on one account does not include create either.
	a := saNew(t, saAdmin(t, ts), "mine")
	uid, c := saUser(t, ts, "owner", "Viewer")
	saGrant(t, ts, a, uid, "Admin")
	saDenied(t, c.do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "test"}), "serviceaccounts:create")
	m, _ := saSearch(t, saAdmin(t, ts), "")
	if got := saNum(t, m, "totalCount"); got != 1 {
		t.Fatalf("totalCount = %d after refused creates, want 1", got)
	}
}

// (A Viewer with create asking for Editor needs a Viewer holding create: the service tests
// cover it. Over HTTP the role check is reached by no caller but Admins.)

func TestServiceAccounts_CreateRoleValidation(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, role := range []string{"random", "", "viewer"} {
		r := saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "sa-" + role, "role": role})
		if role == "random" {
			saBody(t, r, http.StatusBadRequest, saBadRequest)
			continue
		}
		// "" means Viewer and roles are title-cased on input (SPEC §1.5).
		saStatus(t, r, http.StatusCreated)
		wantFields(t, r.JSON(t), map[string]any{"role": "Viewer"})
	}
	r := saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "New SA", "role": "Random"})
	saBody(t, r, http.StatusBadRequest, saBadRequest)
	_, logins := saSearch(t, saAdmin(t, ts), "?query=random")
	if len(logins) != 0 {
		t.Fatalf("a refused create left %v", logins)
	}
	_, logins = saSearch(t, saAdmin(t, ts), "?query=new")
	if len(logins) != 0 {
		t.Fatalf("a refused create left %v", logins)
	}
	// A Viewer without create is refused before the role is even looked at.
	_, c := saUser(t, ts, "v", "Viewer")
	saDenied(t, c.do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "New SA", "role": "Admin"}), "serviceaccounts:create")
}

func TestServiceAccounts_CreateWithoutNameRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, body := range []any{map[string]any{"name": ""}, map[string]any{"role": "Viewer"}, map[string]any{}, ""} {
		saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", body), http.StatusBadRequest, saBadRequest)
	}
	m, _ := saSearch(t, saAdmin(t, ts), "")
	if got := saNum(t, m, "totalCount"); got != 0 {
		t.Fatalf("totalCount = %d, want 0", got)
	}
}

func TestServiceAccounts_CreatorGetsAdminPermission(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	m := saCreate(t, saAdmin(t, ts), map[string]any{"name": "New SA", "role": "Viewer"})
	wantFields(t, m, map[string]any{"name": "New SA", "login": "sa-1-new-sa", "orgId": 1, "role": "Viewer"})
	id := saNum(t, m, "id")
	if id == 0 {
		t.Fatal("id = 0")
	}
	perms := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil).List(t)
	if len(perms) != 1 {
		t.Fatalf("managed permissions on the new account = %v, want exactly the creator's", perms)
	}
	wantFields(t, perms[0], map[string]any{"userId": 1, "userLogin": "admin", "permission": "Admin",
		"isManaged": true, "isInherited": false, "actions": saAdminActions, "roleName": "managed:users:1:permissions"})
}

func TestServiceAccounts_CreateDuplicateNameRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	saNewRole(t, saAdmin(t, ts), "New SA", "Viewer")
	for _, name := range []string{"New SA", "new sa", "NEW SA"} {
		r := saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": name, "role": "Viewer"})
		saBody(t, r, http.StatusBadRequest, saErrAlreadyExists)
	}
	m, _ := saSearch(t, saAdmin(t, ts), "")
	if got := saNum(t, m, "totalCount"); got != 1 {
		t.Fatalf("totalCount = %d, want 1", got)
	}
}

func TestServiceAccounts_PermissionCheckedBeforeBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, c := saUser(t, ts, "v", "Viewer")
	saDenied(t, c.do(t, "POST", "/api/serviceaccounts", map[string]any{}), "serviceaccounts:create")
	saDenied(t, c.do(t, "POST", "/api/serviceaccounts", "{not json"), "serviceaccounts:create")
	// With the permission the same body fails validation.
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{}), http.StatusBadRequest, saBadRequest)
}

// A user holding Admin on account A (serviceaccounts:delete on serviceaccounts:id:A) deletes A
// but not B; Edit on an account does not allow deleting it.
func TestServiceAccounts_DeleteNeedsAdminGrantOnThatAccount(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Admin")
	saDenied(t, f.user.do(t, "DELETE", saURL(f.b, ""), nil), "serviceaccounts:delete")
	f.admin.expect(t, http.StatusOK, "GET", saURL(f.b, ""), nil)
	// Edit (read+write) on an account does not allow deleting it.
	uid, c := saUser(t, f.ts, "editor-of-b", "Editor")
	saGrant(t, f.ts, f.b, uid, "Edit")
	saDenied(t, c.do(t, "DELETE", saURL(f.b, ""), nil), "serviceaccounts:delete")
	f.admin.expect(t, http.StatusOK, "GET", saURL(f.b, ""), nil)
	// Admin on A does.
	r := f.user.do(t, "DELETE", saURL(f.a, ""), nil)
	saBody(t, r, http.StatusOK, `{"message":"Service account deleted"}`)
	saBody(t, f.admin.do(t, "GET", saURL(f.a, ""), nil), http.StatusNotFound, saErrNotFound)
}

func TestServiceAccounts_DeleteNeedsPermission(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := saNew(t, saAdmin(t, ts), "doomed")
	for _, role := range []string{"Viewer", "Editor"} {
		_, c := saUser(t, ts, strings.ToLower(role), role)
		saDenied(t, c.do(t, "DELETE", saURL(a, ""), nil), "serviceaccounts:delete")
	}
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(a, ""), nil), http.StatusOK, `{"message":"Service account deleted"}`)
	saBody(t, saAdmin(t, ts).do(t, "GET", saURL(a, ""), nil), http.StatusNotFound, saErrNotFound)
}

// A user holding Edit on account A reads A, and not B (by id or UID); a user without a grant
// reads neither.
func TestServiceAccounts_GetNeedsGrantOnThatAccount(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit")
	r := f.user.expect(t, http.StatusOK, "GET", saURL(f.a, ""), nil)
	wantFields(t, r.JSON(t), map[string]any{"id": f.a, "login": "sa-1-sa-a", "name": "sa-a"})
	saDenied(t, f.user.do(t, "GET", saURL(f.b, ""), nil), "serviceaccounts:read")
	// The same holds when the account is named by its UID.
	uid := f.admin.expect(t, http.StatusOK, "GET", saURL(f.b, ""), nil).JSON(t)["uid"].(string)
	saDenied(t, f.user.do(t, "GET", "/api/serviceaccounts/"+uid, nil), "serviceaccounts:read")
	// A user without any grant is refused even on A.
	_, other := saUser(t, f.ts, "nobody", "Viewer")
	saDenied(t, other.do(t, "GET", saURL(f.a, ""), nil), "serviceaccounts:read")
}

func TestServiceAccounts_GetExistingAndAbsent(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	created := saCreate(t, saAdmin(t, ts), map[string]any{"name": "New SA"})
	id := saNum(t, created, "id")
	m := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, ""), nil).JSON(t)
	wantFields(t, m, map[string]any{"id": id, "login": created["login"], "uid": created["uid"]})
	saBody(t, saAdmin(t, ts).do(t, "GET", "/api/serviceaccounts/12", nil), http.StatusNotFound, saErrNotFound)
	// A human user's id is not a service account.
	saBody(t, saAdmin(t, ts).do(t, "GET", "/api/serviceaccounts/1", nil), http.StatusNotFound, saErrNotFound)
}

func TestServiceAccounts_UpdateRole(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Editor", "Edit")
	r := f.admin.expect(t, http.StatusOK, "PATCH", saURL(f.a, ""), map[string]any{"role": "Editor"})
	wantFields(t, r.JSON(t)["serviceaccount"].(map[string]any), map[string]any{"role": "Editor"})
	wantFields(t, f.admin.expect(t, http.StatusOK, "GET", saURL(f.a, ""), nil).JSON(t), map[string]any{"role": "Editor"})
	// An Editor holding write on A may assign a role it includes.
	r = f.user.expect(t, http.StatusOK, "PATCH", saURL(f.a, ""), map[string]any{"role": "Viewer"})
	wantFields(t, r.JSON(t)["serviceaccount"].(map[string]any), map[string]any{"role": "Viewer"})
	r = f.user.expect(t, http.StatusOK, "PATCH", saURL(f.a, ""), map[string]any{"role": "Editor"})
	wantFields(t, r.JSON(t)["serviceaccount"].(map[string]any), map[string]any{"role": "Editor"})
}

// An Editor holding Edit on account A: writing B is refused; on A an unknown role is a bad
// request, and a role above Editor is refused even with allowed changes (nothing applied);
// other changes within its role are allowed.
func TestServiceAccounts_EditorUpdatesWithinItsRole(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Editor", "Edit")
	saDenied(t, f.user.do(t, "PATCH", saURL(f.b, ""), map[string]any{}), "serviceaccounts:write")
	saBody(t, f.user.do(t, "PATCH", saURL(f.a, ""), map[string]any{"role": "fake"}), http.StatusBadRequest, saBadRequest)
	r := f.user.do(t, "PATCH", saURL(f.a, ""), map[string]any{"role": "Admin"})
	saBody(t, r, http.StatusForbidden, saErrRoleForbidden)
	// Even together with allowed changes nothing is applied.
	r = f.user.do(t, "PATCH", saURL(f.a, ""), map[string]any{"name": "sneaky", "role": "Admin"})
	saBody(t, r, http.StatusForbidden, saErrRoleForbidden)
	wantFields(t, f.admin.expect(t, http.StatusOK, "GET", saURL(f.a, ""), nil).JSON(t), map[string]any{"name": "sa-a", "role": "Viewer"})
	// Other changes within its role are allowed.
	r = f.user.expect(t, http.StatusOK, "PATCH", saURL(f.a, ""), map[string]any{"name": "renamed", "isDisabled": true})
	wantFields(t, r.JSON(t)["serviceaccount"].(map[string]any), map[string]any{"name": "renamed", "isDisabled": true, "role": "Viewer"})
}

func TestServiceAccounts_UpdateNameAndRole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := saNewRole(t, saAdmin(t, ts), "Old Name", "Editor")
	r := saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{"name": "New Name", "role": "Viewer"})
	m := r.JSON(t)
	wantKeys(t, m, "message", "id", "name", "serviceaccount")
	wantFields(t, m, map[string]any{"message": "Service account updated", "id": id, "name": "New Name"})
	wantFields(t, m["serviceaccount"].(map[string]any), map[string]any{"id": id, "name": "New Name",
		"role": "Viewer", "login": "sa-1-old-name"})
	wantFields(t, saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, ""), nil).JSON(t),
		map[string]any{"name": "New Name", "role": "Viewer", "login": "sa-1-old-name"})
}

func TestServiceAccounts_UpdateRefusals(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit")
	saBody(t, f.user.do(t, "PATCH", saURL(f.a, ""), map[string]any{"role": "Editor"}), http.StatusForbidden, saErrRoleForbidden)
	saBody(t, f.user.do(t, "PATCH", saURL(f.a, ""), map[string]any{"role": "Random"}), http.StatusBadRequest, saBadRequest)
	_, other := saUser(t, f.ts, "nobody", "Viewer")
	saDenied(t, other.do(t, "PATCH", saURL(f.a, ""), map[string]any{"name": "x"}), "serviceaccounts:write")
	saBody(t, f.admin.do(t, "PATCH", "/api/serviceaccounts/12", map[string]any{"name": "x"}), http.StatusNotFound, saErrNotFound)
	wantFields(t, f.admin.expect(t, http.StatusOK, "GET", saURL(f.a, ""), nil).JSON(t), map[string]any{"name": "sa-a", "role": "Viewer"})
}

func TestServiceAccounts_CreateResponseAndTrailingSlash(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, path := range []string{"/api/serviceaccounts", "/api/serviceaccounts/"} {
		name := "Bot " + strconv.Itoa(len(path))
		r := saAdmin(t, ts).expect(t, http.StatusCreated, "POST", path, map[string]any{"name": name})
		m := r.JSON(t)
		wantKeys(t, m, "id", "uid", "name", "login", "orgId", "isDisabled", "role", "tokens", "avatarUrl")
		wantFields(t, m, map[string]any{"name": name, "login": "sa-1-" + strings.ReplaceAll(strings.ToLower(name), " ", "-"),
			"orgId": 1, "isDisabled": false, "role": "Viewer", "tokens": 0, "avatarUrl": ""})
		if saNum(t, m, "id") <= 1 {
			t.Fatalf("id = %v", m["id"])
		}
		if uid, _ := m["uid"].(string); uid == "" {
			t.Fatalf("uid = %#v, want a non-empty string", m["uid"])
		}
	}
	m := saCreate(t, saAdmin(t, ts), map[string]any{"name": "Off", "isDisabled": true, "role": "Admin"})
	wantFields(t, m, map[string]any{"isDisabled": true, "role": "Admin"})
	m = saCreate(t, saAdmin(t, ts), map[string]any{"name": "Nobody", "role": "None"})
	wantFields(t, m, map[string]any{"role": "None"})
}

func TestServiceAccounts_LoginDerivedFromName(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for name, login := range map[string]string{
		"My  SA":    "sa-1-my--sa",
		"Foo_Bar/1": "sa-1-foo_bar/1",
		"grafana":   "sa-1-grafana",
		"New SA":    "sa-1-new-sa",
	} {
		m := saCreate(t, saAdmin(t, ts), map[string]any{"name": name})
		wantFields(t, m, map[string]any{"name": name, "login": login})
	}
}

func TestServiceAccounts_CreateBlockedByHumanLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.createUser(t, map[string]any{"name": "Bot", "email": "bot@example.com", "login": "sa-1-bot", "password": "password1"})
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "bot"}), http.StatusBadRequest, saErrAlreadyExists)
	// An email equal to the generated login blocks it too.
	ts.createUser(t, map[string]any{"name": "Mail", "email": "sa-1-mail", "login": "mailer", "password": "password1"})
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "Mail"}), http.StatusBadRequest, saErrAlreadyExists)
}

func TestServiceAccounts_SameNameInOtherOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := saNew(t, saAdmin(t, ts), "New SA")
	r := saAdmin(t, ts).expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	saBody(t, r, http.StatusOK, `{"orgId":2,"message":"Organization created"}`)
	org2 := saAdmin(t, ts).with("X-Grafana-Org-Id", "2")
	m := saCreate(t, org2, map[string]any{"name": "New SA"})
	wantFields(t, m, map[string]any{"name": "New SA", "login": "sa-2-new-sa", "orgId": 2})
	b := saNum(t, m, "id")
	saBody(t, org2.do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "New SA"}), http.StatusBadRequest, saErrAlreadyExists)
	// Each org sees only its own account.
	_, logins := saSearch(t, org2, "")
	if !reflect.DeepEqual(logins, []string{"sa-2-new-sa"}) {
		t.Fatalf("org 2 search = %v", logins)
	}
	_, logins = saSearch(t, saAdmin(t, ts), "")
	if !reflect.DeepEqual(logins, []string{"sa-1-new-sa"}) {
		t.Fatalf("org 1 search = %v", logins)
	}
	saBody(t, org2.do(t, "GET", saURL(a, ""), nil), http.StatusNotFound, saErrNotFound)
	saBody(t, saAdmin(t, ts).do(t, "GET", saURL(b, ""), nil), http.StatusNotFound, saErrNotFound)
	saBody(t, saAdmin(t, ts).do(t, "DELETE", saURL(b, ""), nil), http.StatusNotFound, saErrNotFound)
	saBody(t, saAdmin(t, ts).do(t, "POST", saURL(b, "/tokens"), map[string]any{"name": "x"}), http.StatusNotFound, saErrNotFound)
	// The admin is Admin of the org it created and got the managed Admin there too.
	perms := org2.expect(t, http.StatusOK, "GET", saPermURL(b, ""), nil).List(t)
	if len(perms) != 1 {
		t.Fatalf("permissions on org 2's account = %v", perms)
	}
	wantFields(t, perms[0], map[string]any{"userLogin": "admin", "permission": "Admin"})
	// Token names are unique per org, not across orgs.
	saNewToken(t, saAdmin(t, ts), a, "ci", 0)
	saNewToken(t, org2, b, "ci", 0)
}

func TestServiceAccounts_GetByIDAndUID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	created := saCreate(t, saAdmin(t, ts), map[string]any{"name": "grafana", "role": "Editor"})
	id, uid := saNum(t, created, "id"), created["uid"].(string)
	byID := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, ""), nil).JSON(t)
	byUID := saAdmin(t, ts).expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+uid, nil).JSON(t)
	if !reflect.DeepEqual(byID, byUID) {
		t.Fatalf("by id %v\nby uid %v", byID, byUID)
	}
	wantKeys(t, byID, "id", "uid", "name", "login", "orgId", "isDisabled", "createdAt", "updatedAt", "avatarUrl", "role", "teams")
	wantFields(t, byID, map[string]any{"id": id, "uid": uid, "name": "grafana", "login": "sa-1-grafana", "orgId": 1,
		"isDisabled": false, "role": "Editor", "teams": []any{}, "avatarUrl": "/avatar/85ec38023d90823d3e5b43ef35646af9"})
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, _ := byID[k].(string); !saTimeRe.MatchString(s) {
			t.Fatalf("%s = %v, want RFC 3339 UTC ending in Z", k, byID[k])
		}
	}
	// With tokens the count appears.
	saNewToken(t, saAdmin(t, ts), id, "one", 0)
	saNewToken(t, saAdmin(t, ts), id, "two", 0)
	m := saAdmin(t, ts).expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+uid, nil).JSON(t)
	wantFields(t, m, map[string]any{"tokens": 2})
	// UIDs work on the other routes as well.
	saAdmin(t, ts).expect(t, http.StatusOK, "GET", "/api/serviceaccounts/"+uid+"/tokens", nil)
	saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", "/api/serviceaccounts/"+uid, map[string]any{"name": "renamed"})
	saAdmin(t, ts).expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/"+uid, nil)
	// Unknown UID: the resolver's 404, before any permission check.
	saBody(t, saAdmin(t, ts).do(t, "GET", "/api/serviceaccounts/nosuchuid", nil), http.StatusNotFound, `{"message":"Not found"}`)
	saBody(t, saAdmin(t, ts).do(t, "DELETE", "/api/serviceaccounts/nosuchuid", nil), http.StatusNotFound, `{"message":"Not found"}`)
	_, v := saUser(t, ts, "v", "Viewer")
	saBody(t, v.do(t, "GET", "/api/serviceaccounts/nosuchuid", nil), http.StatusNotFound, `{"message":"Not found"}`)
	// The UID of an account in another org is unknown here.
	saAdmin(t, ts).expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	saBody(t, saAdmin(t, ts).with("X-Grafana-Org-Id", "2").do(t, "GET", "/api/serviceaccounts/"+uid, nil),
		http.StatusNotFound, `{"message":"Not found"}`)
	// The accessControl map on request.
	m = saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, "?accesscontrol=true"), nil).JSON(t)
	wantFields(t, m, map[string]any{"accessControl": map[string]any{"serviceaccounts:read": true, "serviceaccounts:write": true,
		"serviceaccounts:delete": true, "serviceaccounts.permissions:read": true, "serviceaccounts.permissions:write": true}})
}

func TestServiceAccounts_Avatar(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, name := range []string{"test", "My SA #2", "New SA"} {
		id := saNew(t, saAdmin(t, ts), name)
		m := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, ""), nil).JSON(t)
		wantFields(t, m, map[string]any{"avatarUrl": saAvatar(name)})
	}
	if got := saAvatar("test"); got != "/avatar/8ea890a677d6a223c591a1beea6ea9d2" {
		t.Fatalf("test helper avatar(test) = %s", got)
	}
}

func TestServiceAccounts_UpdateResponseAndPersistence(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := saNew(t, saAdmin(t, ts), "worker")
	_, key := saNewToken(t, saAdmin(t, ts), id, "k", 0)
	before := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, ""), nil).JSON(t)

	// {} returns the current state.
	m := saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{}).JSON(t)
	wantKeys(t, m, "message", "id", "name", "serviceaccount")
	wantFields(t, m, map[string]any{"message": "Service account updated", "id": id, "name": "worker"})
	sa := m["serviceaccount"].(map[string]any)
	wantKeys(t, sa, "id", "uid", "name", "login", "orgId", "isDisabled", "createdAt", "updatedAt", "avatarUrl", "role", "teams")
	wantFields(t, sa, map[string]any{"id": id, "uid": before["uid"], "name": "worker", "login": "sa-1-worker", "orgId": 1,
		"isDisabled": false, "role": "Viewer", "teams": []any{}, "avatarUrl": saAvatar("worker"), "createdAt": before["createdAt"]})

	// Each field persists; the login never changes.
	for _, step := range []struct {
		body map[string]any
		want map[string]any
	}{
		{map[string]any{"role": "Editor"}, map[string]any{"role": "Editor", "name": "worker", "isDisabled": false}},
		{map[string]any{"name": "Worker Two"}, map[string]any{"role": "Editor", "name": "Worker Two", "isDisabled": false}},
		{map[string]any{"isDisabled": true}, map[string]any{"role": "Editor", "name": "Worker Two", "isDisabled": true}},
		{map[string]any{"role": "none"}, map[string]any{"role": "None", "name": "Worker Two", "isDisabled": true}},
		{map[string]any{"isDisabled": false, "role": "Admin", "name": "W3", "login": "hacked", "serviceAccountId": 99},
			map[string]any{"role": "Admin", "name": "W3", "isDisabled": false}},
	} {
		r := saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), step.body).JSON(t)
		wantFields(t, r, map[string]any{"message": "Service account updated", "id": id, "name": step.want["name"]})
		wantFields(t, r["serviceaccount"].(map[string]any), step.want)
		got := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saURL(id, ""), nil).JSON(t)
		wantFields(t, got, step.want)
		wantFields(t, got, map[string]any{"login": "sa-1-worker", "id": id, "tokens": 1})
		_, logins := saSearch(t, saAdmin(t, ts), "")
		if !reflect.DeepEqual(logins, []string{"sa-1-worker"}) {
			t.Fatalf("logins = %v", logins)
		}
	}
	// Renaming does not free or take the login: a new account named like the old name still
	// conflicts, one named like the new name gets its own login.
	saBody(t, saAdmin(t, ts).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "worker"}), http.StatusBadRequest, saErrAlreadyExists)
	wantFields(t, saCreate(t, saAdmin(t, ts), map[string]any{"name": "W3"}), map[string]any{"login": "sa-1-w3"})
	// The token follows the account's state: disabled → refused, enabled again → accepted.
	ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil)
	saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{"isDisabled": true})
	saAPIKeyError(t, ts.bearer(key).do(t, "GET", "/api/org", nil), "Unauthorized", "identity.disabled")
	saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{"isDisabled": false})
	ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil)
	// A bad body is 400.
	saBody(t, saAdmin(t, ts).do(t, "PATCH", saURL(id, ""), "{"), http.StatusBadRequest, saBadRequest)
	saBody(t, saAdmin(t, ts).do(t, "PATCH", saURL(id, ""), map[string]any{"isDisabled": "yes"}), http.StatusBadRequest, saBadRequest)
}

func TestServiceAccounts_DeleteRemovesTokensAndPermissions(t *testing.T) {
	t.Parallel()
	f := saSetup(t, "Viewer", "Edit")
	f.ts.bearer(f.keyA).expect(t, http.StatusOK, "GET", "/api/org", nil)
	_, key2 := saNewToken(t, f.admin, f.a, "second", 0)
	saBody(t, f.admin.do(t, "DELETE", saURL(f.a, ""), nil), http.StatusOK, `{"message":"Service account deleted"}`)
	for _, key := range []string{f.keyA, key2} {
		saAPIKeyError(t, f.ts.bearer(key).do(t, "GET", "/api/org", nil), "Invalid API key", "api-key.invalid")
	}
	saBody(t, f.admin.do(t, "GET", saPermURL(f.a, ""), nil), http.StatusNotFound, saErrNotFound)
	saBody(t, f.admin.do(t, "GET", saURL(f.a, ""), nil), http.StatusNotFound, saErrNotFound)
	saBody(t, f.admin.do(t, "DELETE", saURL(f.a, ""), nil), http.StatusNotFound, saErrNotFound)
	if got := saAdmin(t, f.ts).expect(t, http.StatusOK, "GET", saURL(f.a, "/tokens"), nil).List(t); len(got) != 0 {
		t.Fatalf("tokens after delete = %v", got)
	}
	// The user's Edit on A is gone: its permissions no longer name A, and search is refused.
	perms := f.user.expect(t, http.StatusOK, "GET", "/api/access-control/user/permissions", nil).JSON(t)
	for action, scopes := range perms {
		for _, s := range scopes.([]any) {
			if s == "serviceaccounts:id:"+saItoa(f.a) {
				t.Fatalf("user still holds %s on %s", action, s)
			}
		}
	}
	saDenied(t, f.user.do(t, "GET", "/api/serviceaccounts/search", nil), "serviceaccounts:read")
	// The token names and the account name are free again; B and its token are untouched.
	id := saNew(t, f.admin, "sa-a")
	if id == f.a {
		t.Fatalf("a deleted id was reused: %d", id)
	}
	saNewToken(t, f.admin, id, "token-a", 0)
	f.admin.expect(t, http.StatusOK, "GET", saURL(f.b, ""), nil)
	if got := saTokenNames(t, f.ts, f.b); !reflect.DeepEqual(got, []string{"token-b"}) {
		t.Fatalf("tokens of B = %v", got)
	}
}
