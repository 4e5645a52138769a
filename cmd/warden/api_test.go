package main

// API-wide behaviour: unknown routes and methods, the frontend settings.

import (
	"net/http"
	"strings"
	"testing"
)

func TestAPI_FrontendSettings(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wantUnauthorized(t, ts.anon().do(t, "GET", "/api/frontend/settings", nil))
	m := ts.admin().expect(t, http.StatusOK, "GET", "/api/frontend/settings", nil).JSON(t)
	bi, ok := m["buildInfo"].(map[string]any)
	if !ok {
		t.Fatalf("buildInfo = %#v, want an object", m["buildInfo"])
	}
	if v, ok := bi["version"].(string); !ok || v == "" {
		t.Fatalf("buildInfo.version = %#v, want a non-empty string", bi["version"])
	}
	if _, ok := m["featureToggles"].(map[string]any); !ok {
		t.Fatalf("featureToggles = %#v, want an object", m["featureToggles"])
	}
}

func TestAPI_UnknownRoutesAndMethodsAreJSON404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, c := range []struct {
		who          *client
		method, path string
	}{
		{ts.anon(), "GET", "/api/does-not-exist"},
		{ts.admin(), "GET", "/api/does-not-exist"},
		{ts.anon(), "DELETE", "/api/org"},
		{ts.admin(), "DELETE", "/api/org"},
		{ts.admin(), "POST", "/api/user"},
		{ts.admin(), "PUT", "/api/health"},
		{ts.admin(), "DELETE", "/api/users/1"},
	} {
		r := c.who.do(t, c.method, c.path, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("%s %s: status %d, want 404; body %s", c.method, c.path, r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s: Content-Type %q, want JSON", c.method, c.path, ct)
		}
		wantBody(t, r, `{"message":"Not found"}`)
	}
}
