package main

// The serviceAccounts feature toggle: on by default; off (by environment or config file),
// every service-account route answers like an unknown one and existing tokens stop working.

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// taSARoutes lists every service-account route with a request for it.
var taSARoutes = []struct {
	method, path string
	body         any
}{
	{"GET", "/api/serviceaccounts/search", nil},
	{"POST", "/api/serviceaccounts", map[string]any{"name": "x"}},
	{"POST", "/api/serviceaccounts/", map[string]any{"name": "x"}},
	{"GET", "/api/serviceaccounts/2", nil},
	{"PATCH", "/api/serviceaccounts/2", map[string]any{"name": "y"}},
	{"DELETE", "/api/serviceaccounts/2", nil},
	{"GET", "/api/serviceaccounts/2/tokens", nil},
	{"POST", "/api/serviceaccounts/2/tokens", map[string]any{"name": "t"}},
	{"DELETE", "/api/serviceaccounts/2/tokens/1", nil},
	{"GET", "/api/access-control/serviceaccounts/description", nil},
	{"GET", "/api/access-control/serviceaccounts/2", nil},
	{"POST", "/api/access-control/serviceaccounts/2/users/1", map[string]any{"permission": "Edit"}},
}

// taToggles returns featureToggles from the frontend settings.
func taToggles(t *testing.T, ts *testServer) map[string]any {
	t.Helper()
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/frontend/settings", nil).JSON(t)
	ft, ok := m["featureToggles"].(map[string]any)
	if !ok {
		t.Fatalf("featureToggles = %#v, want an object", m["featureToggles"])
	}
	return ft
}

// taWantToggleOff checks that every service-account route answers like an unknown route.
func taWantToggleOff(t *testing.T, ts *testServer) {
	t.Helper()
	notFound := map[string]any{"message": "Not found"}
	taWantJSON(t, ts.admin().do(t, "GET", "/api/no-such-route", nil), http.StatusNotFound, notFound)
	for _, rt := range taSARoutes {
		for name, c := range map[string]*client{"admin": ts.admin(), "anonymous": ts.anon()} {
			r := c.do(t, rt.method, rt.path, rt.body)
			if r.Status != http.StatusNotFound {
				t.Fatalf("toggle off, %s %s %s: status %d, want 404; body %s", name, rt.method, rt.path, r.Status, r.Body)
			}
			taWantJSON(t, r, http.StatusNotFound, notFound)
		}
	}
	if _, on := taToggles(t, ts)["serviceAccounts"]; on {
		t.Fatalf("toggle off, featureToggles = %v, want no serviceAccounts", taToggles(t, ts))
	}
}

func TestServiceAccounts_FeatureToggleOnByDefault(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	if ft := taToggles(t, ts); ft["serviceAccounts"] != true {
		t.Fatalf("featureToggles = %v, want serviceAccounts: true by default", ft)
	}
	ts.admin().expect(t, http.StatusOK, "GET", "/api/serviceaccounts/search", nil)
}

func TestServiceAccounts_FeatureToggleOffByEnvironment(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS": "false"})
	taWantToggleOff(t, ts)
}

// Tokens created with the toggle on stop authenticating when the server restarts with it off,
// and work again when it is back on.
func TestServiceAccounts_FeatureToggleOffDisablesExistingTokens(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	_, _, tok := taSA(t, ts, "toggled", "Admin")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.Stop()

	off := startServer(t, ts.sameStore(map[string]string{"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS": "false"}))
	taWantInvalidKey(t, off.bearer(tok).do(t, "GET", "/api/org", nil))
	taWantInvalidKey(t, off.basic("api_key", tok).do(t, "GET", "/api/org", nil))
	taWantToggleOff(t, off)
	off.admin().expect(t, http.StatusOK, "GET", "/api/org", nil) // users are unaffected
	off.Stop()

	on := startServer(t, ts.sameStore(nil))
	on.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
}

// The toggle in a config file given with --config: Grafana 8.5's `enable = serviceAccounts`
// keeps service accounts on; `serviceAccounts = false` turns them off.
func TestServiceAccounts_FeatureToggleInConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	enable := write("enable.ini", "[feature_toggles]\nenable = serviceAccounts\n")
	ts := taStartWithArgs(t, []string{"server", "--config", enable}, nil)
	if ft := taToggles(t, ts); ft["serviceAccounts"] != true {
		t.Fatalf("enable = serviceAccounts: featureToggles = %v, want serviceAccounts: true", ft)
	}
	_, _, tok := taSA(t, ts, "from-ini", "Viewer")
	ts.bearer(tok).expect(t, http.StatusOK, "GET", "/api/org", nil)
	ts.Stop()

	// The global flag form (`warden --config FILE server`) reads the same file.
	disable := write("disable.ini", "[feature_toggles]\nserviceAccounts = false\n")
	off := taStartWithArgs(t, []string{"--config", disable, "server"}, ts.sameStore(nil))
	taWantToggleOff(t, off)
	taWantInvalidKey(t, off.bearer(tok).do(t, "GET", "/api/org", nil))
}
