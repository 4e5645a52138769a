package http

// Allocations and speed of the forward-auth endpoint: an allowed request with a cached token,
// through the whole server and through the handler alone, against a bare net/http handler.

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wardenhq/warden"
)

// TestForward_AllocationLight bounds the allocations of an allowed request with a cached
// token, through the whole server.
func TestForward_AllocationLight(t *testing.T) {
	env := newAuthzEnv(t, ForwardNginx, forwardRules)
	env.opts.AccessLog = false
	env.rebuild()
	_, _, tok := env.saToken(t, 1, "reader", warden.RoleViewer, 0)
	r := httptest.NewRequest("GET", "/api/authz/forward", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	nginx("GET", "/orders/1?page=2", "api.example.com")(r)
	w := &discardWriter{h: http.Header{}}
	env.handler.ServeHTTP(w, r)
	if w.status != 200 {
		t.Fatalf("status %d", w.status)
	}
	bare := testing.AllocsPerRun(200, func() { w.reset(); bareServer().ServeHTTP(w, r) })
	n := testing.AllocsPerRun(200, func() { w.reset(); env.handler.ServeHTTP(w, r) })
	fwd := handleForward(env.opts)
	alone := testing.AllocsPerRun(200, func() { w.reset(); fwd.ServeHTTP(w, r) })
	t.Logf("allocations per request: whole server %v, forward handler alone %v, bare handler %v", n, alone, bare)
	if alone != 0 {
		t.Errorf("the forward handler allocates %v times per allowed request with a cached token, want 0", alone)
	}
	if n > 12 {
		t.Errorf("an allowed forward request allocates %v times through the server, want at most 12", n)
	}
}

// discardWriter is a ResponseWriter that keeps only the status, so benchmarks measure the
// handler.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) reset()                      { clear(d.h); d.status = 0 }

// bareServer is the baseline: a net/http handler answering 200 with a small JSON body.
func bareServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = jsonContentType
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(forwardOKBody)
	})
}

// BenchmarkForward_CachedToken is an allowed nginx-shape request with a cached token, through
// the whole server (access log off); compare with BenchmarkForward_BareHandler.
func BenchmarkForward_CachedToken(b *testing.B) {
	env := newAuthzEnv(b, ForwardNginx, forwardRules)
	env.opts.AccessLog = false
	env.rebuild()
	_, _, tok := env.saToken(b, 1, "reader", warden.RoleViewer, 0)
	r := httptest.NewRequest("GET", "/api/authz/forward", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	nginx("GET", "/orders/1?page=2", "api.example.com")(r)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		env.handler.ServeHTTP(w, r)
	}
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
}

// BenchmarkForward_HandlerOnly is the forward handler alone, without the server's middleware
// (request id, access log, metrics by route, body limit, mux).
func BenchmarkForward_HandlerOnly(b *testing.B) {
	env := newAuthzEnv(b, ForwardNginx, forwardRules)
	_, _, tok := env.saToken(b, 1, "reader", warden.RoleViewer, 0)
	h := handleForward(env.opts)
	r := httptest.NewRequest("GET", "/api/authz/forward", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	nginx("GET", "/orders/1?page=2", "api.example.com")(r)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
	}
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
}

func BenchmarkForward_BareHandler(b *testing.B) {
	h := bareServer()
	r := httptest.NewRequest("GET", "/api/authz/forward", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
	}
}

// TestForward_AllocationFreeWithRestrictions: a token with a role cap, scopes and address
// ranges, under a rule requiring scopes, is still decided without an allocation by the forward
// handler (its ranges and scopes were parsed when it was cached).
func TestForward_AllocationFreeWithRestrictions(t *testing.T) {
	env := newAuthzEnv(t, ForwardNginx, restrictionRules)
	sa, _, _ := env.saToken(t, 1, "orders", warden.RoleEditor, 0)
	_, m := env.issue(t, sa.ID, `{"name":"narrow","role":"Viewer","scopes":["orders:read","orders:write"],"allowedCidrs":["192.0.2.0/24","10.0.0.0/8"]}`)
	r := httptest.NewRequest("GET", "/api/authz/forward", nil)
	r.Header.Set("Authorization", "Bearer "+m["key"].(string))
	nginx("POST", "/orders/1", "api.example.com")(r)
	r = r.WithContext(warden.NewContextWithClientIP(r.Context(), "10.1.2.3"))
	w := &discardWriter{h: http.Header{}}
	fwd := handleForward(env.opts)
	fwd.ServeHTTP(w, r)
	if w.status != 200 || w.h.Get("X-Warden-Scopes") != "orders:read orders:write" || w.h.Get("X-Warden-Role") != "Viewer" {
		t.Fatalf("status %d, headers %v", w.status, w.h)
	}
	if n := testing.AllocsPerRun(200, func() { w.reset(); fwd.ServeHTTP(w, r) }); n != 0 {
		t.Errorf("the forward handler allocates %v times for a restricted token, want 0", n)
	}
}
