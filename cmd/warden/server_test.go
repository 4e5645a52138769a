package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	wardenhttp "github.com/wardenhq/warden/http"
)

// srvAccessLine is one access-log line, with its attributes.
type srvAccessLine struct {
	raw   string
	attrs map[string]string
}

// srvLogAttr matches one key=value pair of a text-format slog line; values with spaces are quoted.
var srvLogAttr = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)

// srvAccessLines returns the "request" lines of a text-format log.
func srvAccessLines(t *testing.T, logs string) []srvAccessLine {
	t.Helper()
	var out []srvAccessLine
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "msg=request ") {
			continue
		}
		l := srvAccessLine{raw: line, attrs: map[string]string{}}
		for _, m := range srvLogAttr.FindAllStringSubmatch(line, -1) {
			v := m[2]
			if strings.HasPrefix(v, `"`) {
				if uq, err := strconv.Unquote(v); err == nil {
					v = uq
				}
			}
			l.attrs[m[1]] = v
		}
		out = append(out, l)
	}
	return out
}

// srvLinesFor returns the access lines of one route pattern.
func srvLinesFor(lines []srvAccessLine, route string) []srvAccessLine {
	var out []srvAccessLine
	for _, l := range lines {
		if l.attrs["route"] == route {
			out = append(out, l)
		}
	}
	return out
}

// srvSessionCookie returns the session cookie a client holds for the server.
func srvSessionCookie(t *testing.T, c *client) string {
	t.Helper()
	u, err := url.Parse(c.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == wardenhttp.SessionCookie && ck.Value != "" {
			return ck.Value
		}
	}
	t.Fatalf("client holds no %s cookie", wardenhttp.SessionCookie)
	return ""
}

func TestServer_AccessLog(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the HTTP server, whatever the database")
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		const adminPassword = "Adm1n-S3cret-Pw"
		const newUserPassword = "N3wUser-S3cret-Pw"
		const wrongPassword = "Wr0ng-S3cret-Pw"
		ts := startServer(t, map[string]string{"WARDEN_SECURITY_ADMIN_PASSWORD": adminPassword})

		// Basic auth, a failed and a good sign-in with the password in a JSON body, a session
		// cookie, and another JSON body holding a password.
		ts.adminBasic().expect(t, http.StatusOK, "GET", "/api/user", nil)
		ts.anon().expect(t, http.StatusUnauthorized, "POST", "/login", map[string]string{"user": "admin", "password": wrongPassword})
		c := ts.login(t, "admin", adminPassword)
		cookie := srvSessionCookie(t, c)
		c.expect(t, http.StatusOK, "GET", "/api/user", nil)
		ts.adminBasic().expect(t, http.StatusOK, "POST", "/api/admin/users", map[string]any{
			"login": "newbie", "email": "newbie@example.com", "password": newUserPassword})
		ts.Stop()
		logs := ts.Logs()

		for _, secret := range []string{adminPassword, newUserPassword, wrongPassword, cookie, "Authorization", "Basic "} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log contains %q:\n%s", secret, logs)
			}
		}

		lines := srvAccessLines(t, logs)
		want := []struct {
			route  string
			status []string
		}{
			{"GET /api/user", []string{"200", "200"}},
			{"POST /login", []string{"401", "200"}},
			{"POST /api/admin/users", []string{"200"}},
		}
		for _, w := range want {
			got := srvLinesFor(lines, w.route)
			if len(got) != len(w.status) {
				t.Errorf("%d request lines for %q, want %d:\n%s", len(got), w.route, len(w.status), logs)
				continue
			}
			method, _, _ := strings.Cut(w.route, " ")
			for i, l := range got {
				checks := map[string]string{"method": method, "status": w.status[i], "client_ip": "127.0.0.1"}
				for k, v := range checks {
					if l.attrs[k] != v {
						t.Errorf("line %q: %s=%q, want %q", l.raw, k, l.attrs[k], v)
					}
				}
				for _, k := range []string{"duration", "request_id"} {
					if l.attrs[k] == "" {
						t.Errorf("line %q has no %s", l.raw, k)
					}
				}
			}
		}
		// The signed-in requests name their caller.
		for _, l := range srvLinesFor(lines, "GET /api/user") {
			if got := l.attrs["caller"]; got != "user:1" {
				t.Errorf("line %q: caller=%q, want user:1", l.raw, got)
			}
		}
		ids := map[string]bool{}
		for _, l := range lines {
			if ids[l.attrs["request_id"]] {
				t.Errorf("request_id %q appears on two lines", l.attrs["request_id"])
			}
			ids[l.attrs["request_id"]] = true
		}
	})

	t.Run("QueryNotLogged", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, nil)
		ts.anon().expect(t, http.StatusOK, "GET", "/healthz?secret=Qu3ry-S3cret", nil)
		ts.Stop()
		if strings.Contains(ts.Logs(), "Qu3ry-S3cret") {
			t.Fatalf("the log contains the query string:\n%s", ts.Logs())
		}
		if got := len(srvLinesFor(srvAccessLines(t, ts.Logs()), "GET /healthz")); got != 1 {
			t.Fatalf("%d request lines for GET /healthz, want 1", got)
		}
	})

	t.Run("Off", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, map[string]string{"WARDEN_SERVER_ROUTER_LOGGING": "false"})
		ts.admin().expect(t, http.StatusOK, "GET", "/api/user", nil)
		ts.anon().expect(t, http.StatusOK, "GET", "/healthz", nil)
		ts.Stop()
		logs := ts.Logs()
		if lines := srvAccessLines(t, logs); len(lines) != 0 {
			t.Fatalf("router_logging=false still wrote %d request lines:\n%s", len(lines), logs)
		}
		if !strings.Contains(logs, "server started") {
			t.Fatalf("no start-up line in the log:\n%s", logs)
		}
	})
}

func TestServer_Metrics(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the HTTP server, whatever the database")
	ts := startServer(t, nil)
	for i := 0; i < 3; i++ {
		ts.admin().expect(t, http.StatusOK, "GET", "/api/org", nil)
	}
	ts.anon().expect(t, http.StatusUnauthorized, "GET", "/api/org", nil)
	ts.anon().do(t, "GET", "/api/no-such-route-x7q", nil)

	r := ts.anon().expect(t, http.StatusOK, "GET", "/metrics", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type=%q, want text/plain", ct)
	}
	body := string(r.Body)
	series := `warden_http_requests_total{method="GET",route="GET /api/org",status="200"}`
	if !strings.Contains(body, series+" 3\n") {
		t.Errorf("metrics do not count 3 for %s:\n%s", series, srvGrepLines(body, "warden_http_requests_total"))
	}
	if s := `warden_http_requests_total{method="GET",route="GET /api/org",status="401"} 1`; !strings.Contains(body, s) {
		t.Errorf("metrics lack %s:\n%s", s, srvGrepLines(body, "warden_http_requests_total"))
	}
	for _, want := range []string{"go_goroutines", "warden_http_request_duration_seconds_bucket"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Raw paths never become label values.
	if strings.Contains(body, "no-such-route-x7q") {
		t.Errorf("metrics contain a raw path:\n%s", srvGrepLines(body, "no-such-route"))
	}
}

// srvGrepLines returns the lines of s that contain sub.
func srvGrepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The health check is public, names the database's state (it pings it: the test runs on the
// PostgreSQL stage too), the version and the commit, Grafana's way.
func TestServer_Health(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)

	t.Run("OK", func(t *testing.T) {
		r := ts.anon().expect(t, http.StatusOK, "GET", "/api/health", nil)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type=%q, want application/json", ct)
		}
		body := string(r.Body)
		var m map[string]string
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("body is not a JSON object of strings: %v: %s", err, body)
		}
		if got, want := m["database"], "ok"; got != want {
			t.Errorf("database=%q, want %q", got, want)
		}
		if got, want := m["version"], version; got != want {
			t.Errorf("version=%q, want %q", got, want)
		}
		if got, want := m["commit"], buildCommit(); got != want {
			t.Errorf("commit=%q, want %q", got, want)
		}
		if len(m) != 3 {
			t.Errorf("keys=%v, want database, version, commit only", m)
		}
		// Pretty-printed, in Grafana's key order.
		if !strings.HasPrefix(body, "{\n  \"database\": ") {
			t.Errorf("body %q is not pretty JSON starting with database", body)
		}
		d, v, c := strings.Index(body, `"database"`), strings.Index(body, `"version"`), strings.Index(body, `"commit"`)
		if !(d < v && v < c) {
			t.Errorf("key order in %q, want database, version, commit", body)
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		r := ts.anon().expect(t, http.StatusOK, "HEAD", "/api/health", nil)
		if len(r.Body) != 0 {
			t.Errorf("HEAD body=%q, want none", r.Body)
		}
	})

	t.Run("Healthz", func(t *testing.T) {
		r := ts.anon().expect(t, http.StatusOK, "GET", "/healthz", nil)
		if got, want := string(r.Body), "Ok"; got != want {
			t.Errorf("body=%q, want %q", got, want)
		}
	})

	t.Run("NoAuthNeeded", func(t *testing.T) {
		// A bad credential does not turn a health check into a 401.
		ts.basic("admin", "wrong").expect(t, http.StatusOK, "GET", "/api/health", nil)
	})
}

// A stop drains the server and closes the database cleanly, in well under 10 s.
func TestServer_GracefulShutdown(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	c := ts.admin()
	c.expect(t, http.StatusOK, "GET", "/api/user", nil) // leaves an idle keep-alive connection
	start := time.Now()
	ts.Stop()
	elapsed := time.Since(start)
	t.Logf("shutdown took %v", elapsed)
	if elapsed > 10*time.Second {
		t.Fatalf("shutdown took %v, want under 10s", elapsed)
	}
	logs := ts.Logs()
	if !strings.Contains(logs, "msg=stopped") {
		t.Fatalf("no \"stopped\" line in the log:\n%s", logs)
	}
	if strings.Contains(logs, "shutdown incomplete") || strings.Contains(logs, "level=ERROR") {
		t.Fatalf("shutdown logged a problem:\n%s", logs)
	}
	// The port is closed.
	if resp, err := http.Get(ts.URL + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers after stop: %d", resp.StatusCode)
	}
}

func TestServer_TrustedProxies(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the HTTP server, whatever the database")
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"Trusted", map[string]string{"WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1/32"}, "203.0.113.9"},
		{"TrustedBareIP", map[string]string{"WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1"}, "203.0.113.9"},
		{"Untrusted", nil, "127.0.0.1"},
		{"OtherProxy", map[string]string{"WARDEN_SERVER_TRUSTED_PROXIES": "10.0.0.0/8"}, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tt.env)
			ts.anon().with("X-Forwarded-For", "203.0.113.9").expect(t, http.StatusOK, "GET", "/healthz", nil)
			ts.Stop()
			lines := srvLinesFor(srvAccessLines(t, ts.Logs()), "GET /healthz")
			if len(lines) != 1 {
				t.Fatalf("%d request lines for GET /healthz, want 1:\n%s", len(lines), ts.Logs())
			}
			if got := lines[0].attrs["client_ip"]; got != tt.want {
				t.Fatalf("client_ip=%q, want %q", got, tt.want)
			}
		})
	}

	t.Run("SpoofedLeftHop", func(t *testing.T) {
		t.Parallel()
		// Behind one trusted proxy, a client-supplied first hop is not believed: the rightmost
		// untrusted hop is the client.
		ts := startServer(t, map[string]string{"WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1/32"})
		ts.anon().with("X-Forwarded-For", "198.51.100.1, 203.0.113.9").expect(t, http.StatusOK, "GET", "/healthz", nil)
		ts.Stop()
		lines := srvLinesFor(srvAccessLines(t, ts.Logs()), "GET /healthz")
		if len(lines) != 1 || lines[0].attrs["client_ip"] != "203.0.113.9" {
			t.Fatalf("lines=%v, want one with client_ip 203.0.113.9", lines)
		}
	})
}

func TestServer_DataDirPermissions(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it checks the SQLite files")
	ts := startServer(t, nil)
	checks := []struct {
		path string
		want os.FileMode
	}{
		{ts.DataDir, 0o700},
		{filepath.Join(ts.DataDir, "warden.db"), 0o600},
	}
	for _, c := range checks {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("%s mode=%v, want %v", c.path, got, c.want)
		}
	}
	// SQLite's side files hold the same data and must be as private.
	for _, side := range []string{"warden.db-wal", "warden.db-shm"} {
		fi, err := os.Stat(filepath.Join(ts.DataDir, side))
		if err != nil {
			continue // not every moment has them
		}
		if got := fi.Mode().Perm(); got&0o077 != 0 {
			t.Errorf("%s mode=%v, want no group or other access", side, got)
		}
	}
}
