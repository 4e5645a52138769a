package http

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		remote  string
		xff     []string // one entry per X-Forwarded-For header line
		proxies []string
		want    string
	}{
		{name: "no proxies", remote: "203.0.113.9:5000", want: "203.0.113.9"},
		{name: "no proxies, XFF ignored", remote: "203.0.113.9:5000", xff: []string{"198.51.100.1"}, want: "203.0.113.9"},
		{name: "untrusted peer cannot spoof", remote: "203.0.113.9:5000", xff: []string{"10.0.0.1"},
			proxies: []string{"10.0.0.0/8"}, want: "203.0.113.9"},
		{name: "trusted proxy, one hop", remote: "10.0.0.1:5000", xff: []string{"198.51.100.1"},
			proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "trusted proxy, rightmost untrusted hop wins", remote: "10.0.0.1:5000",
			xff: []string{"1.2.3.4, 198.51.100.1"}, proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "chain of trusted proxies", remote: "10.0.0.1:5000",
			xff: []string{"1.2.3.4, 198.51.100.1, 10.0.0.3, 192.168.1.2"}, proxies: []string{"10.0.0.0/8", "192.168.0.0/16"},
			want: "198.51.100.1"},
		{name: "several header lines", remote: "10.0.0.1:5000",
			xff: []string{"1.2.3.4", "198.51.100.1, 10.0.0.2"}, proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "spaces around hops", remote: "10.0.0.1:5000", xff: []string{"  198.51.100.1  ,   10.0.0.2 "},
			proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "trusted proxy, no XFF", remote: "10.0.0.1:5000", proxies: []string{"10.0.0.0/8"}, want: "10.0.0.1"},
		{name: "trusted proxy, empty XFF", remote: "10.0.0.1:5000", xff: []string{""}, proxies: []string{"10.0.0.0/8"}, want: "10.0.0.1"},
		{name: "garbage XFF", remote: "10.0.0.1:5000", xff: []string{"not-an-ip"}, proxies: []string{"10.0.0.0/8"}, want: "10.0.0.1"},
		{name: "garbage hop stops the walk", remote: "10.0.0.1:5000", xff: []string{"198.51.100.1, <script>, 10.0.0.2"},
			proxies: []string{"10.0.0.0/8"}, want: "10.0.0.1"},
		{name: "hop with port is garbage", remote: "10.0.0.1:5000", xff: []string{"198.51.100.1:443"},
			proxies: []string{"10.0.0.0/8"}, want: "10.0.0.1"},
		// A client inside a trusted range (an office behind the same proxy) is the leftmost
		// hop, not the proxy that connected: otherwise every such client shares the proxy's
		// address, in the audit log and in the per-IP password-check limit.
		{name: "all hops trusted", remote: "10.0.0.1:5000", xff: []string{"10.0.0.5, 10.0.0.6"},
			proxies: []string{"10.0.0.0/8"}, want: "10.0.0.5"},
		{name: "trusted client, one proxy", remote: "10.0.0.1:5000", xff: []string{"10.0.0.5"},
			proxies: []string{"10.0.0.0/8"}, want: "10.0.0.5"},
		{name: "IPv6 peer", remote: "[2001:db8::1]:5000", want: "2001:db8::1"},
		{name: "IPv6 peer, XFF ignored", remote: "[2001:db8::1]:5000", xff: []string{"198.51.100.1"}, want: "2001:db8::1"},
		{name: "IPv6 trusted proxy, IPv6 client", remote: "[2001:db8::1]:5000", xff: []string{"2001:db8:ffff::7"},
			proxies: []string{"2001:db8::/64"}, want: "2001:db8:ffff::7"},
		{name: "IPv4-mapped peer", remote: "[::ffff:203.0.113.9]:5000", want: "203.0.113.9"},
		{name: "IPv4-mapped peer matches IPv4 proxy", remote: "[::ffff:10.0.0.1]:5000", xff: []string{"198.51.100.1"},
			proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "IPv4-mapped hop", remote: "10.0.0.1:5000", xff: []string{"::ffff:198.51.100.1"},
			proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "IPv4-mapped trusted hop", remote: "10.0.0.1:5000", xff: []string{"198.51.100.1, ::ffff:10.0.0.2"},
			proxies: []string{"10.0.0.0/8"}, want: "198.51.100.1"},
		{name: "remote without port", remote: "203.0.113.9", want: "203.0.113.9"},
		{name: "loopback", remote: "127.0.0.1:1", want: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, prefixes(t, tt.proxies...)); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsHTTPS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		remote  string
		tls     bool
		proto   string
		proxies []string
		want    bool
	}{
		{name: "plain", remote: "203.0.113.9:1", want: false},
		{name: "TLS", remote: "203.0.113.9:1", tls: true, want: true},
		{name: "TLS, proxy says http", remote: "10.0.0.1:1", tls: true, proto: "http", proxies: []string{"10.0.0.0/8"}, want: true},
		{name: "untrusted X-Forwarded-Proto", remote: "203.0.113.9:1", proto: "https", want: false},
		{name: "untrusted peer, proxies set", remote: "203.0.113.9:1", proto: "https", proxies: []string{"10.0.0.0/8"}, want: false},
		{name: "trusted proxy https", remote: "10.0.0.1:1", proto: "https", proxies: []string{"10.0.0.0/8"}, want: true},
		{name: "trusted proxy HTTPS", remote: "10.0.0.1:1", proto: "HTTPS", proxies: []string{"10.0.0.0/8"}, want: true},
		{name: "trusted proxy http", remote: "10.0.0.1:1", proto: "http", proxies: []string{"10.0.0.0/8"}, want: false},
		{name: "trusted proxy, no header", remote: "10.0.0.1:1", proxies: []string{"10.0.0.0/8"}, want: false},
		{name: "IPv4-mapped trusted proxy", remote: "[::ffff:10.0.0.1]:1", proto: "https", proxies: []string{"10.0.0.0/8"}, want: true},
		{name: "IPv6 trusted proxy", remote: "[2001:db8::1]:1", proto: "https", proxies: []string{"2001:db8::/32"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if got := isHTTPS(r, prefixes(t, tt.proxies...)); got != tt.want {
				t.Errorf("isHTTPS = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRequestedOrg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		query  string
		header string
		want   int64
	}{
		{name: "neither", want: 0},
		{name: "query", query: "targetOrgId=3", want: 3},
		{name: "header", header: "4", want: 4},
		{name: "query beats header", query: "targetOrgId=3", header: "4", want: 3},
		{name: "invalid query, header used", query: "targetOrgId=abc", header: "4", want: 4},
		{name: "zero query, header used", query: "targetOrgId=0", header: "4", want: 4},
		{name: "negative query, header used", query: "targetOrgId=-2", header: "4", want: 4},
		{name: "invalid header", header: "x", want: 0},
		{name: "negative header", header: "-1", want: 0},
		{name: "zero header", header: "0", want: 0},
		{name: "overflowing query", query: "targetOrgId=99999999999999999999", want: 0},
		{name: "decimal header", header: "1.0", want: 0},
		{name: "big id", query: "targetOrgId=9223372036854775807", want: 1<<63 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/x?"+tt.query, nil)
			if tt.header != "" {
				r.Header.Set("X-Grafana-Org-Id", tt.header)
			}
			if got := requestedOrg(r); got != tt.want {
				t.Errorf("requestedOrg = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rootURL string
		host    string
		origin  string
		referer string
		want    bool
	}{
		{name: "origin matches host", host: "warden.local:3000", origin: "http://warden.local:3000", want: true},
		{name: "origin matches host, case", host: "Warden.Local:3000", origin: "http://warden.local:3000", want: true},
		{name: "origin matches root_url", rootURL: "https://warden.example.com/", host: "10.0.0.5:3000",
			origin: "https://warden.example.com", want: true},
		{name: "origin mismatch", host: "warden.local:3000", origin: "https://evil.example", want: false},
		{name: "origin mismatch with root_url", rootURL: "https://warden.example.com/", host: "warden.local",
			origin: "https://evil.example", want: false},
		{name: "origin differs only in port", host: "warden.local:3000", origin: "http://warden.local:4000", want: false},
		{name: "suffix is not a match", host: "warden.local", origin: "http://evilwarden.local", want: false},
		{name: "userinfo trick", host: "warden.local", origin: "http://warden.local@evil.example", want: false},
		{name: "referer fallback", host: "warden.local", referer: "http://warden.local/org/serviceaccounts?x=1", want: true},
		{name: "referer mismatch", host: "warden.local", referer: "http://evil.example/warden.local", want: false},
		{name: "origin wins over referer", host: "warden.local", origin: "http://evil.example",
			referer: "http://warden.local/", want: false},
		{name: "null origin", host: "warden.local", origin: "null", want: false},
		{name: "null origin, good referer", host: "warden.local", origin: "null", referer: "http://warden.local/", want: false},
		{name: "missing both", host: "warden.local", want: false},
		{name: "relative referer", host: "warden.local", referer: "/org/users", want: false},
		{name: "unparsable origin", host: "warden.local", origin: "http://[::1", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &authenticator{}
			if tt.rootURL != "" {
				u, err := url.Parse(tt.rootURL)
				if err != nil {
					t.Fatal(err)
				}
				a.rootURL = u
			}
			r := httptest.NewRequest("POST", "/api/serviceaccounts", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				r.Header.Set("Referer", tt.referer)
			}
			if got := a.sameOrigin(r); got != tt.want {
				t.Errorf("sameOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSafeRedirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target string
		want   bool
	}{
		{"/", true},
		{"/org/x?y=1", true},
		{"/org/serviceaccounts/3#tokens", true},
		{"/a/b/../c", true},
		{"//evil.com", false},
		{"///evil.com", false},
		{"/\\evil", false},
		{"/\\/evil.com", false},
		{"https://x", false},
		{"http://warden.local/", false},
		{"", false},
		{"javascript:x", false},
		{"evil.com", false},
		{"\\\\evil.com", false},
		{"/a\r\nb", false},
		{"/a\nSet-Cookie: x=y", false},
		{"/a\x00b", false},
		// Browsers delete tabs and newlines anywhere in a URL (WHATWG URL parser), so these
		// become "//evil.com" and "/\evil.com": another host.
		{"/\t/evil.com", false},
		{"/\t\\evil.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			if got := safeRedirect(tt.target); got != tt.want {
				t.Errorf("safeRedirect(%q) = %v, want %v", tt.target, got, tt.want)
			}
		})
	}
}

// requestCount is one series of warden_http_requests_total.
type requestCount struct{ method, route, status string }

// gatherRequests returns the warden_http_requests_total series in reg.
func gatherRequests(t *testing.T, reg *prometheus.Registry) map[requestCount]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[requestCount]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "warden_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			out[requestCount{l["method"], l["route"], l["status"]}] = m.GetCounter().GetValue()
		}
	}
	return out
}

func TestMetrics_LabelsBounded(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	send := func(method, target string) int {
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, httptest.NewRequest(method, target, nil))
		return w.Code
	}
	send("PURGE", "/api/health")
	send("get", "/api/health")
	send("X-"+strings.Repeat("A", 100), "/api/health")
	send("GET", "/api/health")
	send("GET", "/api/serviceaccounts/12345")
	send("GET", "/api/serviceaccounts/67890")
	send("GET", "/no/such/page/1")
	send("GET", "/no/such/page/2")

	got := gatherRequests(t, env.reg)
	want := map[requestCount]float64{
		{"OTHER", "unmatched", "404"}:                   3,
		{"GET", "GET /api/health", "200"}:               1,
		{"GET", "GET /api/serviceaccounts/{id}", "401"}: 2,
		{"GET", "unmatched", "404"}:                     2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("requests%+v = %v, want %v", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected series %+v", k)
		}
	}
}

func TestLimitBody(t *testing.T) {
	t.Parallel()
	t.Run("content length over the limit", func(t *testing.T) {
		ran := false
		h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
		r := httptest.NewRequest("POST", "/api/serviceaccounts", strings.NewReader(strings.Repeat("x", maxBodyBytes+1)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if ran {
			t.Error("handler ran")
		}
		if got, want := w.Code, http.StatusRequestEntityTooLarge; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := body(w), `{"message":"Request body too large"}`; got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
	t.Run("declared length is enough", func(t *testing.T) {
		// The check uses the declared length: a client announcing a huge body is refused
		// before a byte is read.
		ran := false
		h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
		r := httptest.NewRequest("POST", "/x", strings.NewReader("{}"))
		r.ContentLength = 1 << 40
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if ran || w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("ran = %v, status = %d; want false, 413", ran, w.Code)
		}
	})
	t.Run("exactly the limit", func(t *testing.T) {
		var n int64
		h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ = io.Copy(io.Discard, r.Body)
		}))
		r := httptest.NewRequest("POST", "/x", strings.NewReader(strings.Repeat("x", maxBodyBytes)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got, want := w.Code, http.StatusOK; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := n, int64(maxBodyBytes); got != want {
			t.Errorf("read %d bytes, want %d", got, want)
		}
	})
	t.Run("chunked over the limit", func(t *testing.T) {
		logger, _ := newTestLogger()
		h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := decode[decodeTarget](w, r, badData); err != nil {
				writeError(w, r, logger, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		big := `{"name":"` + strings.Repeat("x", maxBodyBytes) + `"}`
		r := httptest.NewRequest("POST", "/x", oneByteReader{strings.NewReader(big)})
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got, want := w.Code, http.StatusRequestEntityTooLarge; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := body(w), `{"message":"Request body too large"}`; got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
	t.Run("content length over the limit, before authentication", func(t *testing.T) {
		env := newTestEnv(t, nil)
		r := httptest.NewRequest("POST", "/api/serviceaccounts", strings.NewReader(strings.Repeat("x", maxBodyBytes+1)))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, r)
		if got, want := w.Code, http.StatusRequestEntityTooLarge; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := body(w), `{"message":"Request body too large"}`; got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
	t.Run("chunked over the limit through the server", func(t *testing.T) {
		env := newTestEnv(t, nil)
		big := `{"user":"admin","password":"` + strings.Repeat("x", maxBodyBytes) + `"}`
		r := httptest.NewRequest("POST", "/login", oneByteReader{strings.NewReader(big)})
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, r)
		if got, want := w.Code, http.StatusRequestEntityTooLarge; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := body(w), `{"message":"Request body too large"}`; got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
}

func TestRecoverPanic(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	h := logRequests(logger, false, nil, newMetrics(prometheus.NewRegistry()), newRequestIDs(),
		recoverPanic(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]int
			m["boom"]++ // assignment to entry in nil map
		})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", nil))

	if got, want := w.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	var resp struct {
		Message string `json:"message"`
		TraceID string `json:"traceID"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if got, want := resp.Message, "Internal Server Error"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if resp.TraceID == "" {
		t.Fatalf("no traceID in %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "nil map") {
		t.Errorf("body %s shows the panic", w.Body)
	}
	recs := logs.recordsFor(t, resp.TraceID)
	if got, want := len(recs), 1; got != want {
		t.Errorf("%d log records for request %s, want %d (one line, with the stack):\n%s", got, resp.TraceID, want, logs)
	}
	withStack := 0
	for _, rec := range recs {
		if s, _ := rec["stack"].(string); strings.Contains(s, "TestRecoverPanic") {
			withStack++
			if p, _ := rec["panic"].(string); !strings.Contains(p, "nil map") {
				t.Errorf("panic = %q, want the panic value", p)
			}
		}
	}
	if got, want := withStack, 1; got != want {
		t.Errorf("%d log records with the handler's stack, want %d", got, want)
	}
}

func TestRecoverPanic_AbortHandler(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	h := recoverPanic(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	w := httptest.NewRecorder()
	defer func() {
		v := recover()
		if err, _ := v.(error); !errors.Is(err, http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
		if got := logs.String(); got != "" {
			t.Errorf("logged %s, want nothing", got)
		}
		if w.Body.Len() != 0 {
			t.Errorf("wrote %q, want nothing", w.Body)
		}
	}()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", nil))
	t.Error("ServeHTTP returned, want a panic")
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	a, b := newRequestIDs(), newRequestIDs()
	seen := map[string]bool{}
	for range 1000 {
		for _, g := range []*requestIDs{a, b} {
			id := g.next()
			if seen[id] {
				t.Fatalf("duplicate request id %q", id)
			}
			seen[id] = true
		}
	}
}

// TestLogRequests_AccessLog checks the access log names the route and caller but never the
// query string, headers or cookies.
func TestLogRequests_AccessLog(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	h := logRequests(logger, true, prefixes(t, "10.0.0.0/8"), newMetrics(prometheus.NewRegistry()), newRequestIDs(),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Pattern = "GET /api/x"
			infoFrom(r).callerID = "user:1"
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("tea"))
		}))
	r := httptest.NewRequest("GET", "/api/x?password=hunter2", nil)
	r.RemoteAddr = "10.0.0.1:1234"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("Authorization", "Bearer glsa_secret")
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "sessionsecret"})
	h.ServeHTTP(httptest.NewRecorder(), r)

	recs := logs.records(t)
	if got, want := len(recs), 1; got != want {
		t.Fatalf("%d records, want %d", got, want)
	}
	rec := recs[0]
	for k, want := range map[string]any{"msg": "request", "method": "GET", "route": "GET /api/x", "status": float64(418),
		"caller": "user:1", "client_ip": "198.51.100.7", "bytes": float64(3)} {
		if got := rec[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	for _, secret := range []string{"hunter2", "glsa_secret", "sessionsecret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("access log shows %q: %s", secret, logs)
		}
	}
}

// TestLogRequests_UnmatchedPath checks that a request no route matches is logged with its path
// (without the query string) under route "unmatched", and a matched one without a path.
func TestLogRequests_UnmatchedPath(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	opts := env.opts
	opts.AccessLog, opts.Registry = true, prometheus.NewRegistry()
	h, logs := NewServer(opts), env.logs
	for _, target := range []string{"/api/no/such/route?token=hunter2", "/no/such/page", "/api/health"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	var got []string
	for _, rec := range logs.records(t) {
		if rec["msg"] == "request" {
			got = append(got, fmt.Sprintf("%v %v %v", rec["route"], rec["path"], rec["status"]))
		}
	}
	want := []string{"unmatched /api/no/such/route 404", "unmatched /no/such/page 404", "GET /api/health <nil> 200"}
	if !slices.Equal(got, want) {
		t.Errorf("access log lines (route path status) = %q, want %q", got, want)
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("access log shows the query string: %s", logs)
	}
}
