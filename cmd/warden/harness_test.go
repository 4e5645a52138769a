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
	"strconv"
	"strings"
	"sync"
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
}

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
	return startRun(t, []string{"server"}, env, map[string]string{"WARDEN_SERVER_ROUTER_LOGGING": "true"})
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

// startRun runs `warden <args>` in process on a free port, with its own data directory, and
// waits until it answers /api/health. The variables are defaults, then extra, then env.
//
// When testDatabase is "postgres" and env chooses no database itself (WARDEN_DATABASE_TYPE or
// WARDEN_DATABASE_PATH), the server gets a fresh PostgreSQL database of its own, dropped when
// the test ends. A test restarting a server on the same data passes ts.sameStore(...).
func startRun(t *testing.T, args []string, env, extra map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	vars := map[string]string{
		"WARDEN_SERVER_HTTP_ADDR":        "127.0.0.1",
		"WARDEN_SERVER_HTTP_PORT":        strconv.Itoa(port),
		"WARDEN_PATHS_DATA":              filepath.Join(dir, "data"),
		"WARDEN_SECURITY_ADMIN_PASSWORD": "admin",
	}
	for k, v := range extra {
		vars[k] = v
	}
	for k, v := range env {
		vars[k] = v
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
	ts := &testServer{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", port), DataDir: vars["WARDEN_PATHS_DATA"],
		Password: vars["WARDEN_SECURITY_ADMIN_PASSWORD"], stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	if vars["WARDEN_DATABASE_TYPE"] == "postgres" {
		ts.Postgres, ts.DBURL = true, vars["WARDEN_DATABASE_URL"]
	}
	go func() {
		ts.done <- run(ctx, args, getenv, strings.NewReader(""), io.Discard, ts.stderr)
	}()
	t.Cleanup(ts.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(ts.URL + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return ts
			}
		}
		select {
		case err := <-ts.done:
			t.Fatalf("server exited before it was ready: %v\n%s", err, ts.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 10s\n%s", ts.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
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

// admin returns a Basic-auth client for the server admin.
func (ts *testServer) admin() *client { return ts.basic("admin", ts.Password) }

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
