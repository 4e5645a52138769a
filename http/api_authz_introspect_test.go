package http

// Token introspection (POST /api/authz/introspect): who may ask, what it answers, and what it
// refuses. The forward-auth tests and their helpers are in api_authz_test.go.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func TestIntrospect(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, forwardRules)
	env.createViewer(t)
	ctx := env.as(t, "admin", 1)
	if _, err := env.svc.CreateOrg(ctx, "Second"); err != nil {
		t.Fatal(err)
	}
	// orgadmin administers org 1 only.
	u, err := env.svc.CreateUser(ctx, warden.CreateUserInput{Login: "orgadmin", Email: "orgadmin@localhost", Password: "orgadmin-pw", OrgID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.svc.UpdateOrgUser(ctx, 1, u.ID, warden.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	sa1, tok1ID, tok1 := env.saToken(t, 1, "reader", warden.RoleViewer, 3600)
	_, tok2ID, tok2 := env.saToken(t, 2, "other", warden.RoleEditor, 0)
	_, _, adminSA := env.saToken(t, 1, "robot", warden.RoleAdmin, 0)
	_, _, viewerSA := env.saToken(t, 1, "peon", warden.RoleViewer, 0)

	introspect := func(token string, opts ...reqOption) *httptest.ResponseRecorder {
		form := url.Values{"token": {token}}.Encode()
		opts = append(opts, withHeader("Content-Type", "application/x-www-form-urlencoded"))
		return env.do(t, "POST", "/api/authz/introspect", strings.NewReader(form), opts...)
	}
	decode := func(w *httptest.ResponseRecorder) map[string]any {
		t.Helper()
		if w.Code != 200 {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("introspection may be cached")
		}
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	inactive := func(w *httptest.ResponseRecorder) {
		t.Helper()
		if m := decode(w); len(m) != 1 || m["active"] != false {
			t.Fatalf("answer = %v, want only active: false", m)
		}
	}
	serverAdmin := basicAuth("admin", "admin")
	orgAdmin := basicAuth("orgadmin", "orgadmin-pw")

	// The server admin sees every org's tokens.
	m := decode(introspect(tok1, serverAdmin))
	if m["active"] != true || m["sub"] != sa1.Login || m["org_id"] != float64(1) || m["role"] != "Viewer" ||
		m["token_id"] != float64(tok1ID) {
		t.Fatalf("answer = %v", m)
	}
	if exp, _ := m["exp"].(float64); exp < float64(time.Now().Add(59*time.Minute).Unix()) || exp > float64(time.Now().Add(61*time.Minute).Unix()) {
		t.Fatalf("exp = %v", m["exp"])
	}
	m = decode(introspect(tok2, serverAdmin))
	if m["active"] != true || m["org_id"] != float64(2) || m["role"] != "Editor" || m["token_id"] != float64(tok2ID) {
		t.Fatalf("answer = %v", m)
	}
	if _, ok := m["exp"]; ok {
		t.Fatal("a token without expiry has exp")
	}
	// An org Admin sees its org's tokens, and nothing of another org's.
	if m := decode(introspect(tok1, orgAdmin)); m["active"] != true {
		t.Fatalf("org admin, own org: %v", m)
	}
	inactive(introspect(tok2, orgAdmin))
	// So does an Admin service account, for its own org.
	if m := decode(introspect(tok1, bearer(adminSA))); m["active"] != true {
		t.Fatalf("admin service account: %v", m)
	}
	inactive(introspect(tok2, bearer(adminSA)))
	// Not valid: inactive, whoever asks.
	inactive(introspect("garbage", serverAdmin))
	inactive(introspect(wrongChecksum(tok1), serverAdmin))
	inactive(introspect(unknownToken, serverAdmin))

	// Callers who administer no org, and anonymous ones.
	if w := introspect(tok1, basicAuth("viewer", "viewer-pw")); w.Code != http.StatusForbidden {
		t.Fatalf("viewer: %d %s", w.Code, w.Body)
	}
	if w := introspect(tok1, bearer(viewerSA)); w.Code != http.StatusForbidden {
		t.Fatalf("viewer service account: %d %s", w.Code, w.Body)
	}
	if w := introspect(tok1); w.Code != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d %s", w.Code, w.Body)
	}
	// The permission comes before the input: a malformed request is a 403 for them too.
	if w := env.do(t, "POST", "/api/authz/introspect", strings.NewReader("{}"), basicAuth("viewer", "viewer-pw"),
		withHeader("Content-Type", "application/json")); w.Code != http.StatusForbidden {
		t.Fatalf("viewer with a malformed body: %d %s, want 403", w.Code, w.Body)
	}
	// A session cookie works, from Warden's own origin only (the CSRF check of cookie writes).
	cookie := withCookie(SessionCookie, env.session(t, "admin", "admin"))
	if w := introspect(tok1, cookie); w.Code != http.StatusForbidden {
		t.Fatalf("cookie without Origin: %d %s", w.Code, w.Body)
	}
	if m := decode(introspect(tok1, cookie, withHeader("Origin", "http://example.com"))); m["active"] != true {
		t.Fatalf("cookie with Origin: %v", m)
	}
	// The token field is required, once, in the body.
	for name, body := range map[string]string{"missing": "", "empty": "token=", "twice": "token=a&token=b"} {
		w := env.do(t, "POST", "/api/authz/introspect", strings.NewReader(body), serverAdmin,
			withHeader("Content-Type", "application/x-www-form-urlencoded"))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "token") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	w := env.do(t, "POST", "/api/authz/introspect?token="+url.QueryEscape(tok1), nil, serverAdmin)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("token in the query: %d %s", w.Code, w.Body)
	}

	// Expired, revoked: inactive.
	if err := env.svc.RevokeToken(ctx, tok2ID); err != nil {
		t.Fatal(err)
	}
	inactive(introspect(tok2, serverAdmin))
	now := env.svc.Now
	env.svc.Now = func() time.Time { return now().Add(2 * time.Hour) }
	defer func() { env.svc.Now = now }()
	inactive(introspect(tok1, serverAdmin))

	if strings.Contains(env.logs.String(), tok1) || strings.Contains(env.logs.String(), tok2) {
		t.Fatal("a token reached the log")
	}
}
