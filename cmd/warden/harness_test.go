package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/postgres/pgtest"
)

// testServer is a real Warden started in-process by run, on a free port, with its own data
// directory: the same code path as `warden server`.
type testServer struct {
	t        *testing.T
	URL      string
	DataDir  string
	Password string // the admin password
	Postgres bool   // the server's database is PostgreSQL (DBURL), not SQLite in DataDir
	DBURL    string // the PostgreSQL database's URL
	stderr   *syncBuffer
	cancel   context.CancelFunc
	done     chan error

	adminMu   sync.Mutex     // guards adminJar and adminPass
	adminJar  http.CookieJar // the admin's session (see admin), nil before the first sign-in
	adminPass string         // the password adminJar's session was signed in with
}

// testClock is a server clock (warden.Service.Now, see startServerClock) that runs with real
// time plus an offset the test moves forward with Advance: time passes on the server, to the
// second as the server keeps it, without the test waiting for it.
type testClock struct{ offset atomic.Int64 }

// Now returns the server's time.
func (c *testClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the server's time on by d.
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// syncBuffer is a goroutine-safe bytes.Buffer for captured output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs Warden with the admin password "admin" (unless env sets another) and brute
// force limits from env. env holds WARDEN_* variables; unset ones take defaults. The database
// is the one testDatabase names (see startRun).
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	return startServerClock(t, env, nil)
}

// startServerClock is startServer with the server's clock (nil: the real one).
func startServerClock(t *testing.T, env map[string]string, clock *testClock) *testServer {
	t.Helper()
	return startRunClock(t, []string{"server"}, env, map[string]string{"WARDEN_SERVER_ROUTER_LOGGING": "true"}, clock)
}

// envTestDatabase names the environment variable choosing the database of the test servers:
// "postgres" runs them on PostgreSQL (a fresh database per server, on the server that
// pgtest.EnvURL names), unset (or "sqlite") on SQLite files in their data directories.
const envTestDatabase = "WARDEN_TEST_DATABASE"

// testDatabase returns the database kind the test servers use: "sqlite3" or "postgres".
func testDatabase(t testing.TB) string {
	t.Helper()
	switch v := os.Getenv(envTestDatabase); v {
	case "", "sqlite", "sqlite3":
		return "sqlite3"
	case "postgres":
		return "postgres"
	default:
		t.Fatalf("%s = %q, want postgres, sqlite or nothing", envTestDatabase, v)
		return ""
	}
}

// defaultPasswordHash, given as env, runs a test server with the default argon2id cost
// instead of the tests' cheap one: an empty variable overrides nothing.
var defaultPasswordHash = map[string]string{
	"WARDEN_SECURITY_PASSWORD_HASH_MEMORY":     "",
	"WARDEN_SECURITY_PASSWORD_HASH_ITERATIONS": "",
}

// startRun runs `warden <args>` in process on a free port, with its own data directory, and
// waits until it answers /api/health. The variables are defaults, then extra, then env.
//
// When testDatabase is "postgres" and env chooses no database itself (WARDEN_DATABASE_TYPE or
// WARDEN_DATABASE_PATH), the server gets a fresh PostgreSQL database of its own, dropped when
// the test ends. A test restarting a server on the same data passes ts.sameStore(...).
func startRun(t *testing.T, args []string, env, extra map[string]string) *testServer {
	t.Helper()
	return startRunClock(t, args, env, extra, nil)
}

// startRunClock is startRun with the server's clock (nil: the real one).
func startRunClock(t *testing.T, args []string, env, extra map[string]string, clock *testClock) *testServer {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{
		"WARDEN_SERVER_HTTP_ADDR":        "127.0.0.1",
		"WARDEN_SERVER_HTTP_PORT":        "0", // the system picks a free port as the server binds (see listenAddr)
		"WARDEN_PATHS_DATA":              filepath.Join(dir, "data"),
		"WARDEN_SECURITY_ADMIN_PASSWORD": "admin",
		// A hundredth of the default argon2id cost: the tests hash thousands of passwords.
		// (Warden warns about it at start; tests of a quiet start pass defaultPasswordHash.)
		"WARDEN_SECURITY_PASSWORD_HASH_MEMORY":     "256",
		"WARDEN_SECURITY_PASSWORD_HASH_ITERATIONS": "1",
	}
	for k, v := range extra {
		vars[k] = v
	}
	for k, v := range env {
		vars[k] = v
	}
	if lvl := strings.ToLower(vars["WARDEN_LOG_LEVEL"]); (lvl == "warn" || lvl == "error") && vars["WARDEN_SERVER_HTTP_PORT"] == "0" {
		// No "server started" line to read the port from: pick one beforehand.
		vars["WARDEN_SERVER_HTTP_PORT"] = fmt.Sprint(freePort(t))
	}
	_, typed := env["WARDEN_DATABASE_TYPE"]
	_, pathed := env["WARDEN_DATABASE_PATH"]
	if !typed && !pathed && testDatabase(t) == "postgres" {
		// Created before ts.Stop is registered, so dropped after the server has stopped.
		vars["WARDEN_DATABASE_TYPE"] = "postgres"
		vars["WARDEN_DATABASE_URL"] = pgtest.NewDatabase(t)
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	if clock != nil {
		ctx = context.WithValue(ctx, clockKey{}, clock.Now)
	}
	ts := &testServer{t: t, DataDir: vars["WARDEN_PATHS_DATA"],
		Password: vars["WARDEN_SECURITY_ADMIN_PASSWORD"], stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	if vars["WARDEN_DATABASE_TYPE"] == "postgres" {
		ts.Postgres, ts.DBURL = true, vars["WARDEN_DATABASE_URL"]
	}
	go func() {
		ts.done <- run(ctx, args, getenv, strings.NewReader(""), io.Discard, ts.stderr)
	}()
	t.Cleanup(ts.Stop)
	// A bound for a server that never comes up, not for a slow start: many tests start
	// servers at once, each hashing its admin's password.
	const limit = 30 * time.Second
	exited := func() bool {
		select {
		case err := <-ts.done:
			ts.done <- err // for Stop
			t.Fatalf("server exited before it was ready: %v\n%s", err, ts.stderr.String())
			return true
		default:
			return false
		}
	}
	if port := vars["WARDEN_SERVER_HTTP_PORT"]; port != "0" {
		ts.URL = "http://" + net.JoinHostPort(vars["WARDEN_SERVER_HTTP_ADDR"], port)
	} else {
		addr, err := listenAddr(ts.stderr.String, exited, limit)
		if err != nil {
			t.Fatalf("%v\n%s", err, ts.stderr.String())
		}
		ts.URL = "http://" + addr
	}
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(ts.URL + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return ts
			}
		}
		exited()
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after %v\n%s", limit, ts.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startedAddr matches the address Warden logs once it listens ("server started … addr=…"), in
// the text and the JSON log formats.
var startedAddr = regexp.MustCompile(`server started"[ ,]"?addr"?[=:]"?([0-9.]+:[0-9]+)`)

// listenAddr waits until output (a server's stderr so far) names the address the server
// listens on, and returns it. Servers started by the tests listen on port 0, so that the system
// picks a free port as they bind: a port found free beforehand could be taken by another test's
// server, or by a client's ephemeral port, before the server binds it. gone reports whether the
// server has exited.
func listenAddr(output func() string, gone func() bool, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		if m := startedAddr.FindStringSubmatch(output()); m != nil {
			return m[1], nil
		}
		if gone() {
			return "", fmt.Errorf("the server exited before it listened")
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the server logged no \"server started\" line within %v", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sameStore returns env for a server on ts's data: its data directory and, on PostgreSQL,
// its database. env's own entries are kept.
func (ts *testServer) sameStore(env map[string]string) map[string]string {
	m := map[string]string{"WARDEN_PATHS_DATA": ts.DataDir}
	if ts.Postgres {
		m["WARDEN_DATABASE_TYPE"] = "postgres"
		m["WARDEN_DATABASE_URL"] = ts.DBURL
	}
	for k, v := range env {
		m[k] = v
	}
	return m
}

// Stop shuts the server down (once) and fails the test if it did not exit cleanly.
func (ts *testServer) Stop() {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			ts.t.Errorf("server exited with error: %v", err)
		}
	case <-time.After(15 * time.Second):
		ts.t.Errorf("server did not stop within 15s")
	}
}

// Logs returns what the server wrote to stderr so far.
func (ts *testServer) Logs() string { return ts.stderr.String() }

// client is one caller of the test server: anonymous, Basic, token or cookie based.
type client struct {
	ts      *testServer
	http    *http.Client
	user    string
	pass    string
	token   string
	headers map[string]string
}

// anon returns a client without credentials (but with a cookie jar, for sign-in tests).
func (ts *testServer) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{ts: ts, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, headers: map[string]string{}}
}

// basic returns a client using HTTP Basic auth.
func (ts *testServer) basic(user, pass string) *client {
	c := ts.anon()
	c.user, c.pass = user, pass
	return c
}

// admin returns a client for the server admin (login admin, password ts.Password) that
// sends the admin's session cookie and the Origin header cookie-authenticated writes need. The
// first call signs in (POST /login); later calls share that session as long as ts.Password is
// the same: HTTP Basic would run the password hash (argon2id, some 40 ms of CPU) again on
// every request. When signing in fails (the admin is locked out, the password is wrong) the
// client sends HTTP Basic instead, so that the server's refusal shows. Tests of HTTP Basic
// itself use adminBasic.
func (ts *testServer) admin() *client {
	ts.adminMu.Lock()
	defer ts.adminMu.Unlock()
	if ts.adminJar == nil || ts.adminPass != ts.Password {
		jar, ok := ts.signIn("admin", ts.Password)
		if !ok {
			return ts.adminBasic()
		}
		ts.adminJar, ts.adminPass = jar, ts.Password
	}
	c := ts.anon()
	c.http.Jar = ts.adminJar
	c.headers["Origin"] = ts.URL
	return c
}

// adminBasic returns an HTTP Basic client for the server admin.
func (ts *testServer) adminBasic() *client { return ts.basic("admin", ts.Password) }

// signIn posts the sign-in form's JSON to /login and returns the cookie jar holding the new
// session, or false when the server refused.
func (ts *testServer) signIn(user, pass string) (http.CookieJar, bool) {
	jar, _ := cookiejar.New(nil)
	body, _ := json.Marshal(map[string]string{"user": user, "password": pass})
	req, err := http.NewRequest("POST", ts.URL+"/login", bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", ts.URL)
	resp, err := (&http.Client{Jar: jar}).Do(req)
	if err != nil {
		return nil, false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return jar, resp.StatusCode == http.StatusOK
}

// bearer returns a client sending a token.
func (ts *testServer) bearer(token string) *client {
	c := ts.anon()
	c.token = token
	return c
}

// with returns a copy of c that also sends the header.
func (c *client) with(k, v string) *client {
	cp := *c
	cp.headers = map[string]string{}
	for hk, hv := range c.headers {
		cp.headers[hk] = hv
	}
	cp.headers[k] = v
	return &cp
}

// response is a finished HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r *response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// List decodes the body as a JSON array of objects.
func (r *response) List(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatalf("body is not a JSON array: %v: %s", err, r.Body)
	}
	return l
}

// do sends a request. body may be nil, a string (sent as is) or a value (sent as JSON).
func (c *client) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// expect sends a request and fails the test unless the status matches.
func (c *client) expect(t *testing.T, status int, method, path string, body any) *response {
	t.Helper()
	r := c.do(t, method, path, body)
	if r.Status != status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.Status, status, r.Body)
	}
	return r
}

// login signs in with POST /login and returns a client that carries the session cookie (and
// the Origin header cookie-authenticated writes need).
func (ts *testServer) login(t *testing.T, user, pass string) *client {
	t.Helper()
	c := ts.anon().with("Origin", ts.URL)
	c.expect(t, http.StatusOK, "POST", "/login", map[string]string{"user": user, "password": pass})
	return c
}

// createUser creates a user through the admin API and returns its id.
func (ts *testServer) createUser(t *testing.T, body map[string]any) int64 {
	t.Helper()
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/admin/users", body)
	return int64(r.JSON(t)["id"].(float64))
}

// wantMessage fails unless the JSON body's message equals want.
func wantMessage(t *testing.T, r *response, want string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not JSON: %s", r.Body)
	}
	if got := m["message"]; got != want {
		t.Fatalf("message = %q, want %q (body %s)", got, want, r.Body)
	}
}
