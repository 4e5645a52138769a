package main

// Managed permissions on a service account (/api/access-control/serviceaccounts), and
// service-account tokens managing service accounts.

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"reflect"
	"testing"
)

func TestServiceAccounts_PermissionAssignments(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := saNew(t, saAdmin(t, ts), "perm")
	l := saAdmin(t, ts).expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil).List(t)
	if len(l) != 1 {
		t.Fatalf("permissions = %v", l)
	}
	wantFields(t, l[0], map[string]any{"userId": 1, "userLogin": "admin", "permission": "Admin", "isManaged": true,
		"isInherited": false, "actions": saAdminActions, "roleName": "managed:users:1:permissions",
		"userAvatarUrl": "/avatar/" + func() string { s := md5.Sum([]byte("admin@localhost")); return hex.EncodeToString(s[:]) }()})
	if uid, _ := l[0]["userUid"].(string); uid == "" {
		t.Fatalf("userUid = %#v", l[0]["userUid"])
	}

	uid, u := saUser(t, ts, "u", "Viewer")
	r := saAdmin(t, ts).expect(t, http.StatusOK, "POST", saPermURL(id, "/users/"+saItoa(uid)), map[string]string{"permission": "Edit"})
	saBody(t, r, http.StatusOK, `{"message":"Permission updated"}`)
	l = saAdmin(t, ts).expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil).List(t)
	if len(l) != 2 {
		t.Fatalf("permissions = %v", l)
	}
	wantFields(t, l[1], map[string]any{"userId": uid, "userLogin": "u", "permission": "Edit", "isManaged": true, "actions": saEditActions})
	u.expect(t, http.StatusOK, "GET", saURL(id, ""), nil)
	// Edit does not let u read or change the permissions.
	saDenied(t, u.do(t, "GET", saPermURL(id, ""), nil), "serviceaccounts.permissions:read")
	saDenied(t, u.do(t, "POST", saPermURL(id, "/users/"+saItoa(uid)), map[string]string{"permission": "Admin"}), "serviceaccounts.permissions:write")
	// Upgrading replaces the grant.
	saGrant(t, ts, id, uid, "Admin")
	l = saAdmin(t, ts).expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil).List(t)
	if len(l) != 2 {
		t.Fatalf("permissions after upgrade = %v", l)
	}
	wantFields(t, l[1], map[string]any{"userLogin": "u", "permission": "Admin", "actions": saAdminActions})
	u.expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil)
	// Removing.
	r = saAdmin(t, ts).expect(t, http.StatusOK, "POST", saPermURL(id, "/users/"+saItoa(uid)), map[string]string{"permission": ""})
	saBody(t, r, http.StatusOK, `{"message":"Permission removed"}`)
	l = saAdmin(t, ts).expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil).List(t)
	if len(l) != 1 || l[0]["userLogin"] != "admin" {
		t.Fatalf("permissions after removal = %v", l)
	}
	saDenied(t, u.do(t, "GET", saURL(id, ""), nil), "serviceaccounts:read")

	// A user of another org cannot hold one; nor can a service account or an unknown user.
	saAdmin(t, ts).expect(t, http.StatusOK, "POST", "/api/orgs", map[string]string{"name": "Org2"})
	other := ts.createUser(t, map[string]any{"name": "o", "email": "o@example.com", "login": "o", "password": "password1"})
	saAdmin(t, ts).expect(t, http.StatusOK, "POST", "/api/orgs/2/users", map[string]string{"loginOrEmail": "o", "role": "Viewer"})
	saAdmin(t, ts).expect(t, http.StatusOK, "DELETE", "/api/orgs/1/users/"+saItoa(other), nil)
	for target, msg := range map[int64]string{
		other: "user is not a member of the service account's organization",
		id:    "user not found", // a service account
		99999: "user not found",
	} {
		r = saAdmin(t, ts).do(t, "POST", saPermURL(id, "/users/"+saItoa(target)), map[string]string{"permission": "Edit"})
		saBody(t, r, http.StatusBadRequest, `{"message":"`+msg+`"}`)
	}
	saBody(t, saAdmin(t, ts).do(t, "POST", saPermURL(id, "/users/"+saItoa(uid)), map[string]string{"permission": "Bogus"}),
		http.StatusBadRequest, `{"message":"invalid permission"}`)
	saBody(t, saAdmin(t, ts).do(t, "POST", saPermURL(99999, "/users/"+saItoa(uid)), map[string]string{"permission": "Edit"}),
		http.StatusNotFound, saErrNotFound)
	l = saAdmin(t, ts).expect(t, http.StatusOK, "GET", saPermURL(id, ""), nil).List(t)
	if len(l) != 1 {
		t.Fatalf("refused grants were stored: %v", l)
	}
}

func TestServiceAccounts_PermissionsDescription(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := saAdmin(t, ts).expect(t, http.StatusOK, "GET", "/api/access-control/serviceaccounts/description", nil)
	saBody(t, r, http.StatusOK, `{"assignments":{"users":true,"serviceAccounts":false,"teams":true,"builtInRoles":false},"permissions":["Edit","Admin"]}`)
	_, v := saUser(t, ts, "v", "Viewer")
	saDenied(t, v.do(t, "GET", "/api/access-control/serviceaccounts/description", nil), "serviceaccounts.permissions:read")
}

func TestServiceAccounts_AdminTokenManagesAccounts(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	tf := saNewRole(t, saAdmin(t, ts), "terraform", "Admin")
	_, key := saNewToken(t, saAdmin(t, ts), tf, "tf", 0)
	bot := ts.bearer(key)
	m := saCreate(t, bot, map[string]any{"name": "made by tf", "role": "Editor"})
	wantFields(t, m, map[string]any{"login": "sa-1-made-by-tf", "role": "Editor", "orgId": 1})
	id := saNum(t, m, "id")
	tokID, newKey := saNewToken(t, bot, id, "nested", 3600)
	if !saTokenRe.MatchString(newKey) {
		t.Fatalf("key %q", newKey)
	}
	_, logins := saSearch(t, bot, "")
	if !reflect.DeepEqual(logins, []string{"sa-1-made-by-tf", "sa-1-terraform"}) {
		t.Fatalf("search by token = %v", logins)
	}
	bot.expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{"role": "Admin"})
	// An SA token never gets the creator's managed permission.
	saBody(t, saAdmin(t, ts).do(t, "GET", saPermURL(id, ""), nil), http.StatusOK, `[]`)
	bot.expect(t, http.StatusOK, "DELETE", saURL(id, "/tokens/"+saItoa(tokID)), nil)
	bot.expect(t, http.StatusOK, "DELETE", saURL(id, ""), nil)
	// The Basic form with user api_key works the same.
	r := ts.basic("api_key", key).expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]any{"name": "via basic"})
	wantFields(t, r.JSON(t), map[string]any{"login": "sa-1-via-basic"})
}

func TestServiceAccounts_ViewerTokenCannotCreate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := saNew(t, saAdmin(t, ts), "reader")
	_, key := saNewToken(t, saAdmin(t, ts), id, "r", 0)
	r := ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantFields(t, r.JSON(t), map[string]any{"id": 1, "name": "Main Org."})
	saDenied(t, ts.bearer(key).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "x"}), "serviceaccounts:create")
	saDenied(t, ts.bearer(key).do(t, "POST", saURL(id, "/tokens"), map[string]any{"name": "self"}), "serviceaccounts:write")
	// An Editor-role account cannot either.
	ed := saNewRole(t, saAdmin(t, ts), "editor bot", "Editor")
	_, edKey := saNewToken(t, saAdmin(t, ts), ed, "e", 0)
	saDenied(t, ts.bearer(edKey).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "x"}), "serviceaccounts:create")
	// Raising the role takes effect on the next request.
	saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{"role": "Admin"})
	ts.bearer(key).expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]any{"name": "x"})
	saAdmin(t, ts).expect(t, http.StatusOK, "PATCH", saURL(id, ""), map[string]any{"role": "Viewer"})
	saDenied(t, ts.bearer(key).do(t, "POST", "/api/serviceaccounts", map[string]any{"name": "y"}), "serviceaccounts:create")
}
