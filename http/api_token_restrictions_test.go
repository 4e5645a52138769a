package http

// Token restrictions through the HTTP API: the create and PATCH fields and their refusals,
// what the token routes return, a capped token's role, address ranges behind trusted and
// untrusted proxies, scopes in forward rules and X-Warden-Scopes, introspection's scope and
// client_ip, and the refusal metric.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// restrictionRules is the rules file of these tests: /orders/ needs orders:write for writes.
const restrictionRules = `rules:
  - path: /orders/
    methods: [GET]
    role: Viewer
  - path: /orders/
    role: Viewer
    scopes: [orders:write]
  - path: /admin/
    role: Admin
`

func fromAddr(addr string) reqOption { return func(r *http.Request) { r.RemoteAddr = addr } }

// jsonBody returns the body for do and the Content-Type option.
func jsonBody(v string) (*strings.Reader, reqOption) {
	return strings.NewReader(v), withHeader("Content-Type", "application/json")
}

// issue creates a token of account saID through the API as the admin and returns the answer.
func (e *authzEnv) issue(t *testing.T, saID int64, body string) (int, map[string]any) {
	t.Helper()
	b, ct := jsonBody(body)
	w := e.do(t, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID), b, basicAuth("admin", "admin"), ct)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("POST tokens: %d %s", w.Code, w.Body)
	}
	return w.Code, m
}

func TestTokenRestrictions_CreateListPatch(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, restrictionRules)
	sa, plainID, _ := env.saToken(t, 1, "deployer", warden.RoleEditor, 0)

	code, m := env.issue(t, sa.ID, `{"name":"narrow","role":"Viewer","scopes":["orders:read","orders:write"],"allowedCidrs":["10.0.0.0/8","192.0.2.7"]}`)
	if code != 200 || m["role"] != "Viewer" || !reflect.DeepEqual(m["scopes"], []any{"orders:read", "orders:write"}) ||
		!reflect.DeepEqual(m["allowedCidrs"], []any{"10.0.0.0/8", "192.0.2.7/32"}) || m["key"] == nil {
		t.Fatalf("create: %d %v", code, m)
	}
	id := int64(m["id"].(float64))

	get := func(tokenID int64) map[string]any {
		w := env.do(t, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", sa.ID, tokenID), nil, basicAuth("admin", "admin"))
		var m map[string]any
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &m) != nil {
			t.Fatalf("GET token: %d %s", w.Code, w.Body)
		}
		return m
	}
	if g := get(id); g["role"] != "Viewer" || len(g["scopes"].([]any)) != 2 || len(g["allowedCidrs"].([]any)) != 2 {
		t.Fatalf("GET: %v", g)
	}
	// A token without restrictions has none of the keys: Grafana's shape, unchanged.
	for _, k := range []string{"role", "scopes", "allowedCidrs"} {
		if _, ok := get(plainID)[k]; ok {
			t.Fatalf("an unrestricted token carries %q", k)
		}
	}
	w := env.do(t, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa.ID), nil, basicAuth("admin", "admin"))
	if !strings.Contains(w.Body.String(), `"allowedCidrs":["10.0.0.0/8","192.0.2.7/32"]`) {
		t.Fatalf("list: %s", w.Body)
	}

	patch := func(body string) (int, map[string]any) {
		b, ct := jsonBody(body)
		w := env.do(t, "PATCH", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", sa.ID, id), b, basicAuth("admin", "admin"), ct)
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		return w.Code, m
	}
	// Left out: kept. null and []: removed.
	if code, m := patch(`{"allowedCidrs":null,"scopes":["orders:read"]}`); code != 200 || m["role"] != "Viewer" ||
		!reflect.DeepEqual(m["scopes"], []any{"orders:read"}) || m["allowedCidrs"] != nil {
		t.Fatalf("PATCH: %d %v", code, m)
	}
	if code, m := patch(`{"role":"","scopes":[]}`); code != 200 || m["role"] != nil || m["scopes"] != nil {
		t.Fatalf("PATCH clearing: %d %v", code, m)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"role":"Admin"}`, "role: Admin is above the service account's role (Editor); a token's role can only narrow its account's"},
		{`{"role":"Owner"}`, `role: "Owner" is not a role (None, Viewer, Editor or Admin)`},
		{`{"role":3}`, "role: must be a string, not a JSON number"},
		{`{"scopes":"orders:read"}`, "scopes: must be a list of strings, not a JSON string"},
		{`{"scopes":["Orders"]}`, `scopes: "Orders" is not a scope`},
		{`{"allowedCidrs":["10.0.0.1/8"]}`, `allowedCidrs: "10.0.0.1/8" has address bits set past its prefix length; did you mean 10.0.0.0/8?`},
		{`{"allowedCidrs":[1]}`, "allowedCidrs: each entry must be a string, not a JSON number"},
		{`{}`, "Nothing to change: send role, scopes or allowedCidrs"},
	} {
		code, m := patch(tc.body)
		if code != 400 || !strings.HasPrefix(fmt.Sprint(m["message"]), tc.want) {
			t.Errorf("PATCH %s: %d %v, want 400 %q", tc.body, code, m, tc.want)
		}
	}
	if g := get(id); g["role"] != nil || g["scopes"] != nil || g["allowedCidrs"] != nil {
		t.Fatalf("refused PATCHes changed the token: %v", g)
	}
	b, ct := jsonBody(`{"role":"None"}`)
	if w := env.do(t, "PATCH", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", sa.ID, id+1000), b, basicAuth("admin", "admin"), ct); w.Code != 404 {
		t.Fatalf("PATCH unknown token: %d %s", w.Code, w.Body)
	}

	// Create refusals name the field and store nothing.
	before := len(env.tokenList(t, sa.ID))
	for _, tc := range []struct{ body, want string }{
		{`{"name":"x","role":"Admin"}`, "role: Admin is above the service account's role (Editor)"},
		{`{"name":"x","scopes":["a b"]}`, `scopes: "a b" is not a scope`},
		{`{"name":"x","scopes":"a"}`, "scopes: must be a list of strings, not a JSON string"},
		{`{"name":"x","allowedCidrs":[true]}`, "allowedCidrs: each entry must be a string, not a JSON bool"},
		{`{"name":"x","allowedCidrs":["example.com"]}`, `allowedCidrs: "example.com" is not an IP address or a CIDR range`},
		{`{"name":"x","allowedCidrs":["10.0.0.1","10.0.0.1/32"]}`, "allowedCidrs: 10.0.0.1/32 is listed twice"},
	} {
		code, m := env.issue(t, sa.ID, tc.body)
		if code != 400 || !strings.HasPrefix(fmt.Sprint(m["message"]), tc.want) {
			t.Errorf("POST %s: %d %v, want 400 %q", tc.body, code, m, tc.want)
		}
	}
	if after := len(env.tokenList(t, sa.ID)); after != before {
		t.Fatalf("refused creates stored tokens: %d → %d", before, after)
	}
}

func (e *authzEnv) tokenList(t *testing.T, saID int64) []map[string]any {
	t.Helper()
	w := e.do(t, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID), nil, basicAuth("admin", "admin"))
	var l []map[string]any
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &l) != nil {
		t.Fatalf("list tokens: %d %s", w.Code, w.Body)
	}
	return l
}

// TestTokenRestrictions_RoleCapOnTheAPI: a Viewer-capped token of an Admin account reads but
// cannot write.
func TestTokenRestrictions_RoleCapOnTheAPI(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, restrictionRules)
	sa, _, full := env.saToken(t, 1, "admin-bot", warden.RoleAdmin, 0)
	_, m := env.issue(t, sa.ID, `{"name":"read-only","role":"Viewer"}`)
	capped := m["key"].(string)
	body := func() *strings.Reader { return strings.NewReader(`{"name":"made-by-token","role":"Viewer"}`) }
	ct := withHeader("Content-Type", "application/json")
	if w := env.do(t, "POST", "/api/serviceaccounts", body(), bearer(capped), ct); w.Code != 403 {
		t.Fatalf("capped token writing: %d %s", w.Code, w.Body)
	}
	if w := env.do(t, "GET", "/api/org", nil, bearer(capped)); w.Code != 200 {
		t.Fatalf("capped token reading: %d %s", w.Code, w.Body)
	}
	if w := env.do(t, "POST", "/api/serviceaccounts", body(), bearer(full), ct); w.Code != 201 {
		t.Fatalf("uncapped token of the same account writing: %d %s", w.Code, w.Body)
	}
	// The forward answer's role is the effective one.
	w := env.do(t, "GET", "/api/authz/forward", nil, bearer(capped), nginx("GET", "/admin/x", "h"))
	wantForward(t, w, http.StatusForbidden, "No authorization rule")
	w = env.do(t, "GET", "/api/authz/forward", nil, bearer(capped), nginx("GET", "/orders/1", "h"))
	wantForward(t, w, http.StatusOK, "OK")
	if got := w.Header().Get("X-Warden-Role"); got != "Viewer" {
		t.Fatalf("X-Warden-Role = %q, want the capped role", got)
	}
}

func TestTokenRestrictions_ScopesInForwardRules(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, restrictionRules)
	sa, _, plain := env.saToken(t, 1, "orders", warden.RoleEditor, 0)
	_, m := env.issue(t, sa.ID, `{"name":"writer","scopes":["orders:read","orders:write"]}`)
	writer := m["key"].(string)
	_, m = env.issue(t, sa.ID, `{"name":"reader","scopes":["orders:read"]}`)
	reader := m["key"].(string)

	for _, tc := range []struct {
		name, tok, method string
		status            int
		scopes            string
	}{
		{"writer posts", writer, "POST", 200, "orders:read orders:write"},
		{"reader gets", reader, "GET", 200, "orders:read"},
		{"reader posts", reader, "POST", 403, ""},
		{"unscoped token posts", plain, "POST", 403, ""},
		{"unscoped token gets", plain, "GET", 200, ""},
	} {
		w := env.do(t, "GET", "/api/authz/forward", nil, bearer(tc.tok), nginx(tc.method, "/orders/1", "h"))
		if w.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.status)
			continue
		}
		if tc.status == 200 {
			// Always present, empty for a token without scopes, so a proxy copying it
			// replaces whatever a client sent.
			if v, ok := w.Header()["X-Warden-Scopes"]; !ok || len(v) != 1 || v[0] != tc.scopes {
				t.Errorf("%s: X-Warden-Scopes = %q, want %q", tc.name, v, tc.scopes)
			}
		}
	}
}

func TestTokenRestrictions_AddressRanges(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, restrictionRules)
	env.opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	env.rebuild()
	sa, _, _ := env.saToken(t, 1, "ci", warden.RoleViewer, 0)
	_, m := env.issue(t, sa.ID, `{"name":"ci-runners","allowedCidrs":["10.0.0.0/8","2001:db8::/32"]}`)
	tok := m["key"].(string)
	const refused = "This token may not be used from address "

	for _, tc := range []struct {
		name   string
		opts   []reqOption
		status int
		msg    string
	}{
		{"direct, inside", []reqOption{fromAddr("10.1.2.3:5000")}, 200, ""},
		{"direct, IPv6 inside", []reqOption{fromAddr("[2001:db8::9]:5000")}, 200, ""},
		{"direct, outside", []reqOption{fromAddr("192.0.2.50:5000")}, 403, refused + "192.0.2.50"},
		// An untrusted client cannot claim an address inside the ranges.
		{"untrusted X-Forwarded-For", []reqOption{fromAddr("192.0.2.50:5000"), withHeader("X-Forwarded-For", "10.1.2.3")}, 403, refused + "192.0.2.50"},
		// A trusted proxy's X-Forwarded-For names the client.
		{"trusted proxy, client inside", []reqOption{fromAddr("127.0.0.1:5000"), withHeader("X-Forwarded-For", "10.1.2.3")}, 200, ""},
		{"trusted proxy, client outside", []reqOption{fromAddr("127.0.0.1:5000"), withHeader("X-Forwarded-For", "198.51.100.4")}, 403, refused + "198.51.100.4"},
		{"trusted proxy, client spoofing a hop", []reqOption{fromAddr("127.0.0.1:5000"), withHeader("X-Forwarded-For", "10.1.2.3, 198.51.100.4")}, 403, refused + "198.51.100.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := env.do(t, "GET", "/api/org", nil, append([]reqOption{bearer(tok)}, tc.opts...)...)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Fatalf("API: %d %s, want %d %q", w.Code, w.Body, tc.status, tc.msg)
			}
			w = env.do(t, "GET", "/api/authz/forward", nil, append([]reqOption{bearer(tok), nginx("GET", "/orders/1", "h")}, tc.opts...)...)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Fatalf("forward: %d %s, want %d %q", w.Code, w.Body, tc.status, tc.msg)
			}
			if tc.status == 403 && w.Header().Get("X-Warden-Login") != "" {
				t.Fatal("a refused forward request carries the identity headers")
			}
		})
	}
	// The API's 403 has Grafana's auth error shape.
	w := env.do(t, "GET", "/api/org", nil, bearer(tok), fromAddr("192.0.2.50:5000"))
	var body struct {
		Message, MessageID string
		StatusCode         int
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.MessageID != "api-key.address-not-allowed" || body.StatusCode != 403 {
		t.Fatalf("403 body: %s", w.Body)
	}
	// Counted by reason: the table's four refusals, each through the API and forward auth, and
	// the one above.
	metrics := env.do(t, "GET", "/metrics", nil).Body.String()
	if !strings.Contains(metrics, `warden_token_refusals_total{reason="address"} 9`) {
		t.Fatalf("metrics:\n%s", grepLines(metrics, "warden_token_refusals_total"))
	}
	if !strings.Contains(metrics, `warden_authz_forward_decisions_total{decision="address_not_allowed",rule="none"} 4`) {
		t.Fatalf("metrics:\n%s", grepLines(metrics, "warden_authz_forward_decisions_total"))
	}
	if !strings.Contains(metrics, `warden_token_refusals_total{reason="expired"} 0`) {
		t.Fatal("the other reasons are not exported before their first refusal")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestTokenRestrictions_Introspect(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, ForwardAuto, restrictionRules)
	sa, _, plain := env.saToken(t, 1, "intro", warden.RoleAdmin, 0)
	_, m := env.issue(t, sa.ID, `{"name":"narrow","role":"Editor","scopes":["a:b","c"],"allowedCidrs":["10.0.0.0/8"]}`)
	tok := m["key"].(string)
	introspect := func(form url.Values) (int, map[string]any) {
		w := env.do(t, "POST", "/api/authz/introspect", strings.NewReader(form.Encode()), basicAuth("admin", "admin"),
			withHeader("Content-Type", "application/x-www-form-urlencoded"))
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		return w.Code, m
	}
	code, got := introspect(url.Values{"token": {tok}})
	if code != 200 || got["active"] != true || got["scope"] != "a:b c" || got["role"] != "Editor" ||
		!reflect.DeepEqual(got["allowed_cidrs"], []any{"10.0.0.0/8"}) {
		t.Fatalf("without client_ip: %d %v", code, got)
	}
	if code, got := introspect(url.Values{"token": {tok}, "client_ip": {"10.9.8.7"}}); code != 200 || got["active"] != true {
		t.Fatalf("client inside: %d %v", code, got)
	}
	if code, got := introspect(url.Values{"token": {tok}, "client_ip": {"192.0.2.1"}}); code != 200 || !reflect.DeepEqual(got, map[string]any{"active": false}) {
		t.Fatalf("client outside: %d %v", code, got)
	}
	for _, bad := range [][]string{{"nonsense"}, {"10.0.0.1", "10.0.0.2"}, {"10.0.0.1:80"}} {
		if code, got := introspect(url.Values{"token": {tok}, "client_ip": bad}); code != 400 ||
			!strings.Contains(fmt.Sprint(got["message"]), "client_ip") {
			t.Errorf("client_ip %q: %d %v", bad, code, got)
		}
	}
	// An unrestricted token has neither key.
	if _, got := introspect(url.Values{"token": {plain}, "client_ip": {"192.0.2.1"}}); got["active"] != true || got["scope"] != nil || got["allowed_cidrs"] != nil {
		t.Fatalf("unrestricted: %v", got)
	}
}
