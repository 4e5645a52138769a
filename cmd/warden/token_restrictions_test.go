package main

// Narrower tokens through the real server (SQLite, or PostgreSQL with WARDEN_TEST_DATABASE):
// a role cap, scopes in forward-auth rules, allowed address ranges checked directly, through
// forward auth behind a trusted proxy and through a real nginx, and PATCH taking effect on the
// next request. Clients get distinct addresses by binding to other loopback addresses
// (127.0.0.2, 127.0.0.3…), which Linux routes to the server on 127.0.0.1.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// restrictionRules: reading orders needs a Viewer; writing them also the orders:write scope.
const restrictionRules = `rules:
  - path: /orders/
    methods: [GET, HEAD]
    role: Viewer
  - path: /orders/
    role: Viewer
    scopes: [orders:write]
  - path: /admin/
    role: Admin
`

// from returns a copy of c whose connections come from the local address ip.
func (c *client) from(ip string) *client {
	cp := *c
	hc := *c.http
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext
	hc.Transport = tr
	cp.http = &hc
	return &cp
}

// restrictedToken issues a token through the API with the given extra fields and returns its
// key and id.
func restrictedToken(t *testing.T, ts *testServer, saID int64, name string, fields map[string]any) (string, int64) {
	t.Helper()
	body := map[string]any{"name": name}
	for k, v := range fields {
		body[k] = v
	}
	m := ts.admin().expect(t, http.StatusOK, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID), body).JSON(t)
	return m["key"].(string), int64(m["id"].(float64))
}

// forward asks forward auth about an nginx-shaped original request.
func forward(t *testing.T, c *client, method, uri string) *response {
	t.Helper()
	return c.with("X-Original-Method", method).with("X-Original-URI", uri).do(t, "GET", "/api/authz/forward", nil)
}

func rulesFile(t *testing.T, rules string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTokenRestrictions_RoleCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_AUTHZ_RULES_FILE": rulesFile(t, restrictionRules)})
	saID := createSA(t, ts, "admin-bot", "Admin")
	full := apiToken(t, ts.admin(), saID, "full")
	capped, _ := restrictedToken(t, ts, saID, "read-only", map[string]any{"role": "Viewer"})

	// A Viewer-capped token of an Admin account reads, and gets 403 on a write its account
	// could do.
	ts.bearer(capped).expect(t, http.StatusOK, "GET", "/api/org", nil)
	r := ts.bearer(capped).expect(t, http.StatusForbidden, "POST", "/api/serviceaccounts", map[string]any{"name": "by-capped"})
	wantAccessDenied(t, r, "serviceaccounts:create")
	ts.bearer(full).expect(t, http.StatusCreated, "POST", "/api/serviceaccounts", map[string]any{"name": "by-full"})
	if got := forward(t, ts.bearer(capped), "GET", "/orders/1").Header.Get("X-Warden-Role"); got != "Viewer" {
		t.Fatalf("forward X-Warden-Role of the capped token = %q, want Viewer", got)
	}
	if r := forward(t, ts.bearer(capped), "GET", "/admin/x"); r.Status != http.StatusForbidden {
		t.Fatalf("the capped token under an Admin rule: %d", r.Status)
	}
	if r := forward(t, ts.bearer(full), "GET", "/admin/x"); r.Status != http.StatusOK {
		t.Fatalf("the uncapped token under an Admin rule: %d", r.Status)
	}

	// Lowering the account's role lowers every token's, capped or not, on the next request.
	ts.admin().expect(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/serviceaccounts/%d", saID), map[string]any{"role": "Viewer"})
	ts.bearer(full).expect(t, http.StatusForbidden, "POST", "/api/serviceaccounts", map[string]any{"name": "by-full-2"})
	if got := forward(t, ts.bearer(full), "GET", "/orders/1").Header.Get("X-Warden-Role"); got != "Viewer" {
		t.Fatalf("after lowering the account, X-Warden-Role = %q", got)
	}
	// A cap above the account's current role cannot be given.
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID),
		map[string]any{"name": "too-high", "role": "Editor"})
	wantMessage(t, r, "role: Editor is above the service account's role (Viewer); a token's role can only narrow its account's")
}

func TestTokenRestrictions_ScopesAndAddresses(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{
		"WARDEN_AUTHZ_RULES_FILE":       rulesFile(t, restrictionRules),
		"WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1/32",
	})
	saID := createSA(t, ts, "orders", "Editor")
	key, id := restrictedToken(t, ts, saID, "ci", map[string]any{
		"scopes": []string{"orders:read", "orders:write"}, "allowedCidrs": []string{"127.0.0.2/32", "10.0.0.0/8"}})
	reader, _ := restrictedToken(t, ts, saID, "reader", map[string]any{"scopes": []string{"orders:read"}})
	inside, outside := ts.bearer(key).from("127.0.0.2"), ts.bearer(key).from("127.0.0.3")
	const refused = "This token may not be used from address 127.0.0.3: it is outside the token's allowed address ranges"

	// Directly: from inside the ranges, from outside, and from outside claiming to be inside
	// (127.0.0.3 is not a trusted proxy, so its X-Forwarded-For is ignored).
	inside.expect(t, http.StatusOK, "GET", "/api/org", nil)
	wantMessage(t, outside.expect(t, http.StatusForbidden, "GET", "/api/org", nil), refused)
	wantMessage(t, outside.with("X-Forwarded-For", "127.0.0.2").expect(t, http.StatusForbidden, "GET", "/api/org", nil), refused)

	// Forward auth asked by a trusted proxy (127.0.0.1): the client is X-Forwarded-For's.
	proxy := ts.bearer(key).from("127.0.0.1")
	if r := forward(t, proxy.with("X-Forwarded-For", "10.1.2.3"), "POST", "/orders/1"); r.Status != http.StatusOK ||
		r.Header.Get("X-Warden-Scopes") != "orders:read orders:write" {
		t.Fatalf("trusted proxy, client inside: %d %s, scopes %q", r.Status, r.Body, r.Header.Get("X-Warden-Scopes"))
	}
	r := forward(t, proxy.with("X-Forwarded-For", "192.0.2.8"), "GET", "/orders/1")
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "address 192.0.2.8") || r.Header.Get("X-Warden-Login") != "" {
		t.Fatalf("trusted proxy, client outside: %d %s", r.Status, r.Body)
	}
	// Scopes decide the rule: the reader may GET but not POST.
	if r := forward(t, ts.bearer(reader), "GET", "/orders/1"); r.Status != http.StatusOK || r.Header.Get("X-Warden-Scopes") != "orders:read" {
		t.Fatalf("reader GET: %d %s", r.Status, r.Body)
	}
	if r := forward(t, ts.bearer(reader), "POST", "/orders/1"); r.Status != http.StatusForbidden {
		t.Fatalf("reader POST without orders:write: %d %s", r.Status, r.Body)
	}

	// PATCH takes effect on the very next request: the ranges move to 127.0.0.3 and the
	// writer loses orders:write.
	path := fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", saID, id)
	m := ts.admin().expect(t, http.StatusOK, "PATCH", path, map[string]any{"allowedCidrs": []string{"127.0.0.3"}, "scopes": []string{"orders:read"}}).JSON(t)
	if fmt.Sprint(m["allowedCidrs"]) != "[127.0.0.3/32]" || fmt.Sprint(m["scopes"]) != "[orders:read]" {
		t.Fatalf("PATCH answer: %v", m)
	}
	outside.expect(t, http.StatusOK, "GET", "/api/org", nil)
	inside.expect(t, http.StatusForbidden, "GET", "/api/org", nil)
	if r := forward(t, outside, "POST", "/orders/1"); r.Status != http.StatusForbidden {
		t.Fatalf("POST after orders:write was removed: %d %s", r.Status, r.Body)
	}
	got := ts.admin().expect(t, http.StatusOK, "GET", path, nil).JSON(t)
	if fmt.Sprint(got["allowedCidrs"]) != "[127.0.0.3/32]" || fmt.Sprint(got["scopes"]) != "[orders:read]" {
		t.Fatalf("GET after PATCH: %v", got)
	}

	// Rotation keeps the restrictions.
	rot := ts.admin().expect(t, http.StatusOK, "POST", path+"/rotate", map[string]any{"gracePeriodSeconds": 0}).JSON(t)
	newKey := rot["key"].(string)
	ts.bearer(newKey).from("127.0.0.3").expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.bearer(newKey).from("127.0.0.2").expect(t, http.StatusForbidden, "GET", "/api/org", nil)

	// Seen and counted: the refusals are in the audit log (one row a minute per token, with the
	// address) and in /metrics.
	audit := ts.admin().expect(t, http.StatusOK, "GET", "/api/audit?action=token.use_refused&perpage=100", nil).JSON(t)
	entries, _ := audit["entries"].([]any)
	var details []string
	for _, e := range entries {
		e := e.(map[string]any)
		if e["action"] == "token.use_refused" {
			details = append(details, fmt.Sprint(e["targetId"], " ", e["detail"]))
		}
	}
	wantFirst := fmt.Sprintf("%d reason=address address=127.0.0.3", id)
	if !slices.Contains(details, wantFirst) {
		t.Fatalf("audit rows of refused uses: %q, want one %q", details, wantFirst)
	}
	metrics := string(ts.anon().expect(t, http.StatusOK, "GET", "/metrics", nil).Body)
	if !strings.Contains(metrics, `warden_token_refusals_total{reason="address"} 5`) {
		t.Fatalf("metrics:\n%s", srvGrepLines(metrics, "warden_token_refusals_total"))
	}
}

// TestTokenRestrictions_Nginx: a scoped, address-bound token used through a real nginx
// configured as README shows. nginx (on 127.0.0.1, a trusted proxy) appends each client's
// address to X-Forwarded-For; Warden checks the token's ranges against it.
func TestTokenRestrictions_Nginx(t *testing.T) {
	t.Parallel()
	bin := nginxPath(t)
	ts := startServer(t, map[string]string{
		"WARDEN_AUTHZ_RULES_FILE":       rulesFile(t, restrictionRules),
		"WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1/32",
	})
	backend := &recordingBackend{}
	bs := httptest.NewServer(backend)
	t.Cleanup(bs.Close)
	proxy, nginxDir := startNginx(t, bin, ts.URL, bs.URL)

	saID := createSA(t, ts, "ci-deployer", "Editor")
	key, _ := restrictedToken(t, ts, saID, "deploy", map[string]any{
		"scopes": []string{"orders:write"}, "allowedCidrs": []string{"127.0.0.2/32"}})
	send := func(from, method, path string, headers ...string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), method, proxy+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("%s %s from %s through nginx: %v", method, path, from, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	want := func(what string, got, status int) {
		t.Helper()
		if got != status {
			logs, _ := os.ReadFile(filepath.Join(nginxDir, "error.log"))
			t.Fatalf("%s: status %d, want %d\nnginx error log:\n%s", what, got, status, logs)
		}
	}

	_, before := backend.last()
	want("from an allowed address, with the scope", send("127.0.0.2", "POST", "/orders/1", "X-Warden-Scopes", "forged"), 200)
	seen, n := backend.last()
	if n != before+1 || seen.Scopes != "orders:write" || seen.Login != "sa-1-ci-deployer" || seen.Role != "Editor" {
		t.Fatalf("backend saw %+v (a forged X-Warden-Scopes must not pass)", seen)
	}
	want("from another address", send("127.0.0.3", "POST", "/orders/1"), 403)
	// The client's own X-Forwarded-For is kept by nginx, which appends the real address:
	// Warden reads the rightmost address that is not a trusted proxy.
	want("from another address, claiming the allowed one", send("127.0.0.3", "POST", "/orders/1", "X-Forwarded-For", "127.0.0.2"), 403)
	if _, m := backend.last(); m != before+1 {
		t.Fatal("a refused request reached the backend")
	}
	// The rule for other paths still decides: no rule matches /elsewhere.
	want("from the allowed address, outside every rule", send("127.0.0.2", "GET", "/elsewhere"), 403)
}
