package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardenhq/warden/postgres/pgtest"
)

// TestMultiInstance runs three real Warden processes (A, B, C) on one PostgreSQL database, as
// a production deployment behind a load balancer would, and checks what sharing the database
// promises: one bootstrap, tokens and sessions valid everywhere, changes made on one instance
// honoured by the others within a second (LISTEN/NOTIFY), races on unique names settled by
// the database, no stale identity after a lost listener, and 503s (not 500s or crashes) while
// the database is gone.
//
// Time bounds are never asserted directly: a promised bound of 1 s is polled with a deadline of
// 5 s, and the observed delay is logged.
func TestMultiInstance(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it runs its own PostgreSQL cluster in every stage")
	dbURL := pgtest.NewDatabase(t) // skips (or fails in CI) without WARDEN_TEST_POSTGRES_URL
	serverURL := pgtest.URL(t)     // the maintenance database, for ALTER DATABASE and pg_terminate_backend
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")

	bin := wardenBinary(t)

	const password = "mi-Admin-Pa55word"
	cl := miStartCluster(t, bin, dbURL, password, "A", "B", "C")
	A, B, C := cl[0], cl[1], cl[2]
	admin := miBasic("admin", password)

	// --- Start-up: concurrent migration and bootstrap under the advisory lock. ---
	var creators []string
	for _, in := range cl {
		in.waitLog(t, "server started", 5*time.Second)
		if strings.Contains(in.stderr.String(), "created org 1 and the server admin") {
			creators = append(creators, in.name)
		}
		if strings.Contains(in.stderr.String(), "Warden created the server admin") {
			t.Errorf("%s printed a generated-password banner although WARDEN_SECURITY_ADMIN_PASSWORD was set", in.name)
		}
	}
	if len(creators) != 1 {
		t.Fatalf("instances that logged \"created org 1 and the server admin\": %v, want exactly one", creators)
	}
	t.Logf("bootstrap done by %s", creators[0])
	for _, in := range cl {
		// Caches are used only while the listener is up: wait for it, so that the cache
		// assertions below test the caches and not their suspension.
		in.waitListener(t, 1, 10*time.Second)
	}

	t.Run("TokenCreatedOnAWorksOnBAndC", func(t *testing.T) {
		saID := miCreateSA(t, A, admin, "mi-shared", "Viewer")
		_, key := miCreateToken(t, A, admin, saID, "mi-shared-1")
		for _, in := range []*miInstance{B, C} {
			miUseCached(t, in, key, 5)
		}
	})

	t.Run("DeleteOnAIsRefusedOnBAndCWithin1s", func(t *testing.T) {
		saID := miCreateSA(t, A, admin, "mi-delete", "Viewer")
		tokID, key := miCreateToken(t, A, admin, saID, "mi-delete-1")
		for _, in := range []*miInstance{A, B, C} {
			miUseCached(t, in, key, 5)
		}
		A.expect(t, 200, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", saID, tokID), admin, nil)
		changed := time.Now()
		// The instance that made the change holds it for its very next request (SPEC rule 8).
		r := A.expect(t, 401, "GET", "/api/org", miBearer(key), nil)
		miWantMessage(t, r, "Invalid API key")
		miAwaitAll(t, changed, key, "deleted token", B, C)
	})

	t.Run("RotateOnAEndsTheOldTokenOnBAndCWithin1s", func(t *testing.T) {
		// A rotation shortens the old token's life (here to nothing: grace 0); every instance
		// that cached it must see the new end, and the new token works everywhere.
		saID := miCreateSA(t, A, admin, "mi-rotate", "Viewer")
		tokID, key := miCreateToken(t, A, admin, saID, "mi-rotate-1")
		for _, in := range []*miInstance{A, B, C} {
			miUseCached(t, in, key, 5)
		}
		r := A.expect(t, 200, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d/rotate", saID, tokID), admin,
			map[string]any{"gracePeriodSeconds": 0})
		changed := time.Now()
		var rotated struct {
			Key             string `json:"key"`
			PreviousTokenID int64  `json:"previousTokenId"`
		}
		if err := json.Unmarshal(r.body, &rotated); err != nil || rotated.Key == "" || rotated.PreviousTokenID != tokID {
			t.Fatalf("rotate on A: %s", r.body)
		}
		r = A.expect(t, 401, "GET", "/api/org", miBearer(key), nil)
		miWantMessage(t, r, "Expired API key")
		miAwaitAll(t, changed, key, "rotated token", B, C)
		for _, in := range []*miInstance{A, B, C} {
			in.expect(t, 200, "GET", "/api/org", miBearer(rotated.Key), nil)
		}
	})

	t.Run("RestrictOnAIsEnforcedOnBAndCWithin1s", func(t *testing.T) {
		// PATCH binds a token to a range its client (127.0.0.1) is outside of: every instance
		// that cached the token must refuse it.
		saID := miCreateSA(t, A, admin, "mi-restrict", "Viewer")
		tokID, key := miCreateToken(t, A, admin, saID, "mi-restrict-1")
		for _, in := range []*miInstance{A, B, C} {
			miUseCached(t, in, key, 5)
		}
		A.expect(t, 200, "PATCH", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", saID, tokID), admin,
			map[string]any{"allowedCidrs": []string{"192.0.2.0/24"}})
		changed := time.Now()
		r := A.expect(t, 403, "GET", "/api/org", miBearer(key), nil) // the changing instance: at once
		miWantMessage(t, r, "This token may not be used from address 127.0.0.1: it is outside the token's allowed address ranges")
		miAwaitAllStatus(t, changed, key, "token bound to another range", http.StatusForbidden, B, C)
	})

	t.Run("DisableOnBIsRefusedOnAWithin1s", func(t *testing.T) {
		saID := miCreateSA(t, A, admin, "mi-disable", "Viewer")
		_, key := miCreateToken(t, A, admin, saID, "mi-disable-1")
		miUseCached(t, A, key, 5)
		B.expect(t, 200, "PATCH", fmt.Sprintf("/api/serviceaccounts/%d", saID), admin, map[string]any{"isDisabled": true})
		changed := time.Now()
		B.expect(t, 401, "GET", "/api/org", miBearer(key), nil) // the changing instance: at once
		miAwaitAll(t, changed, key, "token of a disabled account", A)
		C.expect(t, 401, "GET", "/api/org", miBearer(key), nil)
	})

	t.Run("ConcurrentCreateSameName", func(t *testing.T) {
		// The creators authenticate with a cached Admin token rather than Basic auth, so that
		// both requests reach the database at nearly the same moment (a password check takes
		// a variable while).
		botID := miCreateSA(t, A, admin, "mi-race-bot", "Admin")
		_, botKey := miCreateToken(t, A, admin, botID, "mi-race-bot-1")
		bot := miBearer(botKey)
		miUseCached(t, A, botKey, 3)
		miUseCached(t, B, botKey, 3)
		// Grafana answers a duplicate service-account name with 400 (errutil.BadRequest), not
		// 409: SPEC §2 "serviceaccounts.ErrAlreadyExists | 400 | service account already exists".
		want := map[string]any{"message": "service account already exists",
			"messageId": "serviceaccounts.ErrAlreadyExists", "statusCode": float64(400)}
		for round := range 5 {
			name := fmt.Sprintf("mi-race-%d", round)
			var wg sync.WaitGroup
			barrier := make(chan struct{})
			res := make([]*miResp, 2)
			errs := make([]error, 2)
			for i, in := range []*miInstance{A, B} {
				wg.Go(func() {
					<-barrier
					res[i], errs[i] = in.do("POST", "/api/serviceaccounts", bot, map[string]any{"name": name, "role": "Viewer"})
				})
			}
			close(barrier)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d: %s: %v", round, cl[i].name, err)
				}
			}
			created, refused := -1, -1
			for i, r := range res {
				switch r.status {
				case 201:
					created = i
				case 400:
					refused = i
				}
			}
			if created < 0 || refused < 0 {
				t.Fatalf("round %d (%q): A answered %d %s, B answered %d %s; want one 201 and one 400",
					round, name, res[0].status, res[0].body, res[1].status, res[1].body)
			}
			var got map[string]any
			if err := json.Unmarshal(res[refused].body, &got); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("round %d: the refused creation (%s) answered %s, want %v", round, cl[refused].name, res[refused].body, want)
			}
			r := C.expect(t, 200, "GET", "/api/serviceaccounts/search?query="+name, admin, nil)
			var page struct {
				TotalCount int `json:"totalCount"`
			}
			if err := json.Unmarshal(r.body, &page); err != nil || page.TotalCount != 1 {
				t.Errorf("round %d: search for %q on C: %s, want totalCount 1", round, name, r.body)
			}
		}
	})

	t.Run("SessionFromAWorksOnB", func(t *testing.T) {
		r := A.expect(t, 200, "POST", "/login", nil, map[string]any{"user": "admin", "password": password})
		var session string
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "warden_session" && c.Value != "" {
				session = c.Value
			}
		}
		if session == "" {
			t.Fatalf("POST /login on A set no warden_session cookie; headers: %v", r.header)
		}
		for _, in := range []*miInstance{B, C} {
			r := in.expect(t, 200, "GET", "/api/user", miCookie("warden_session", session), nil)
			var user struct {
				Login string `json:"login"`
			}
			if err := json.Unmarshal(r.body, &user); err != nil || user.Login != "admin" {
				t.Errorf("GET /api/user on %s with A's session: %s, want login admin", in.name, r.body)
			}
		}
	})

	t.Run("ListenerLoss", func(t *testing.T) {
		// Design. An instance that misses a notification must not serve what it cached
		// before. To make C miss one for certain, the change is made while C cannot listen:
		// new connections to the database are refused (ALLOW_CONNECTIONS false) and the three
		// listener connections are terminated, so no listener can reconnect. The instances'
		// pooled connections (application_name "warden") are left alone, so A can still
		// commit a deletion and C can still look tokens up. PostgreSQL delivers a NOTIFY only
		// to sessions listening at that moment, so C never hears of the deletions.
		//
		// Two tokens, both cached on C beforehand, are deleted through A during the gap:
		//   t1 is presented to C during the gap: C must refuse it, which it can only do by
		//      not using its cache while the listener is down (a C that kept serving its cache
		//      answers 200 here);
		//   t2 is presented to C only after the listener is back: C must refuse it, which it
		//      can only do if it dropped its cache when the listener went (or on reconnect);
		//      a C that merely paused its cache during the gap answers 200 here.
		// Finally a new token must work everywhere and its deletion through B must reach C
		// again, showing that notifications flow once more after the reconnect.
		saID := miCreateSA(t, A, admin, "mi-listener", "Viewer")
		t1ID, t1 := miCreateToken(t, A, admin, saID, "mi-listener-1")
		t2ID, t2 := miCreateToken(t, A, admin, saID, "mi-listener-2")
		miUseCached(t, C, t1, 4)
		miUseCached(t, C, t2, 4)
		if n := C.metric(t, "warden_token_cache_entries"); n < 2 {
			t.Fatalf("C caches %v identities before the gap, want at least 2", n)
		}
		// Each pool keeps a few live connections to work with while new ones are refused.
		for _, in := range cl {
			in.warmPool(t, 4)
		}

		t.Cleanup(func() { miAllowConnections(t, serverURL, dbName, true) })
		miAllowConnections(t, serverURL, dbName, false)
		n := miCount(t, serverURL, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "+
			"WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()", dbName, "warden-listener")
		if n != 3 {
			t.Errorf("terminated %d listener connections, want 3 (one per instance)", n)
		}
		for _, in := range cl {
			in.waitListener(t, 0, 5*time.Second)
		}
		if n := C.metric(t, "warden_token_cache_entries"); n != 0 {
			t.Errorf("C still holds %v cached identities while its listener is down, want 0", n)
		}

		for _, id := range []int64{t1ID, t2ID} {
			r := A.call(t, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", saID, id), admin, nil)
			if r.status != 200 {
				t.Fatalf("DELETE token %d through A during the gap: %d %s (A should use its pooled connections)", id, r.status, r.body)
			}
		}
		r := C.call(t, "GET", "/api/org", miBearer(t1), nil)
		if r.status != 401 {
			t.Fatalf("C answered %d %s for a token deleted (through A) while C's listener was down, want 401: "+
				"C served a stale cached identity", r.status, r.body)
		}
		miWantMessage(t, r, "Invalid API key")
		if up := C.metric(t, "warden_cache_listener_up"); up != 0 {
			t.Fatalf("C's listener is back (warden_cache_listener_up %v) while connections are refused", up)
		}

		miAllowConnections(t, serverURL, dbName, true)
		back := time.Now()
		for _, in := range cl {
			in.waitListener(t, 1, 10*time.Second)
		}
		t.Logf("listeners back on all instances %v after connections were allowed again", time.Since(back).Round(time.Millisecond))
		r = C.call(t, "GET", "/api/org", miBearer(t2), nil)
		if r.status != 401 {
			t.Fatalf("C answered %d %s after its listener came back, for a token it had cached before the gap and "+
				"that was deleted during it; want 401: C kept its cache across the gap", r.status, r.body)
		}
		for _, in := range cl {
			for _, key := range []string{t1, t2} {
				if r := in.call(t, "GET", "/api/org", miBearer(key), nil); r.status != 401 {
					t.Errorf("%s answered %d %s for a deleted token after the gap, want 401", in.name, r.status, r.body)
				}
			}
		}

		t3ID, t3 := miCreateToken(t, A, admin, saID, "mi-listener-3")
		for _, in := range cl {
			miUseCached(t, in, t3, 3)
		}
		B.expect(t, 200, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", saID, t3ID), admin, nil)
		miAwaitAll(t, time.Now(), t3, "token deleted through B after the reconnect", A, C)
	})

	t.Run("DatabaseLoss", func(t *testing.T) {
		// A token cached everywhere beforehand: during the outage it must not be served from a
		// cache either (the listeners are gone too), and a database outage must not look like
		// an invalid token (401).
		saID := miCreateSA(t, A, admin, "mi-outage", "Viewer")
		_, key := miCreateToken(t, A, admin, saID, "mi-outage-1")
		for _, in := range cl {
			miUseCached(t, in, key, 3)
		}

		t.Cleanup(func() { miAllowConnections(t, serverURL, dbName, true) })
		miAllowConnections(t, serverURL, dbName, false)
		miCount(t, serverURL, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "+
			"WHERE datname = $1 AND pid <> pg_backend_pid()", dbName)
		for _, in := range cl {
			in.waitListener(t, 0, 5*time.Second)
			in.waitStatus(t, "GET", "/api/health", nil, 503, 5*time.Second)
		}

		for _, in := range cl {
			for _, req := range []struct {
				method, path string
				auth         func(*http.Request)
				body         any
			}{
				{"GET", "/api/serviceaccounts/search", admin, nil}, // Basic auth needs the database too
				{"POST", "/api/serviceaccounts", admin, map[string]any{"name": "mi-outage-new", "role": "Viewer"}},
				{"GET", "/api/org", miBearer(key), nil},
			} {
				r := in.call(t, req.method, req.path, req.auth, req.body)
				var body struct {
					Message string `json:"message"`
				}
				if r.status != 503 || json.Unmarshal(r.body, &body) != nil || body.Message != "database unavailable" {
					t.Errorf("%s %s on %s with the database gone: %d %s, want 503 {\"message\":\"database unavailable\"}",
						req.method, req.path, in.name, r.status, r.body)
				}
			}
			if r := in.call(t, "GET", "/healthz", nil, nil); r.status != 200 {
				t.Errorf("GET /healthz on %s with the database gone: %d, want 200 (the process is up)", in.name, r.status)
			}
		}
		for _, in := range cl {
			if in.hasExited() {
				t.Fatalf("%s exited during the database outage: %v", in.name, in.waitErr)
			}
		}

		miAllowConnections(t, serverURL, dbName, true)
		back := time.Now()
		for _, in := range cl {
			in.waitStatus(t, "GET", "/api/serviceaccounts/search", admin, 200, 10*time.Second)
		}
		t.Logf("all instances answer again %v after connections were allowed again", time.Since(back).Round(time.Millisecond))
		for _, in := range cl {
			in.waitListener(t, 1, 10*time.Second)
			in.expect(t, 200, "GET", "/api/org", miBearer(key), nil)
		}
		_, fresh := miCreateToken(t, B, admin, saID, "mi-outage-2")
		for _, in := range cl {
			in.expect(t, 200, "GET", "/api/org", miBearer(fresh), nil)
		}
		for _, in := range cl {
			if in.hasExited() {
				t.Fatalf("%s exited: %v", in.name, in.waitErr)
			}
		}
	})
}

// miInstance is one Warden process of the cluster.
// miInstance is a real warden process (this test's and the crash test's).
type miInstance struct {
	name    string
	url     string
	cmd     *exec.Cmd
	stderr  *syncBuffer
	exited  chan struct{} // closed when the process has exited; waitErr is then set
	waitErr error
}

var miClient = &http.Client{
	Timeout:       15 * time.Second,
	Transport:     &http.Transport{MaxIdleConnsPerHost: 16},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// miStartCluster starts one process per name at the same moment, all on dbURL with the same
// admin password and secret key, and waits until each answers GET /api/health with 200. The
// processes are stopped at cleanup (SIGTERM, then SIGKILL), and their stderr is shown if the
// test failed.
func miStartCluster(t *testing.T, bin, dbURL, password string, names ...string) []*miInstance {
	t.Helper()
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARDEN_") {
			base = append(base, kv)
		}
	}
	var cl []*miInstance
	for _, name := range names {
		dir := t.TempDir()
		cmd := exec.Command(bin, "server")
		cmd.Dir = dir
		cmd.Env = append(append([]string(nil), base...),
			"WARDEN_DATABASE_TYPE=postgres",
			"WARDEN_DATABASE_URL="+dbURL,
			"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
			"WARDEN_SERVER_HTTP_PORT=0", // see listenAddr
			"WARDEN_PATHS_DATA="+filepath.Join(dir, "data"),
			"WARDEN_SECURITY_ADMIN_PASSWORD="+password,
			"WARDEN_SECURITY_SECRET_KEY=mi-shared-secret-key-6f1c0a9e4b",
		)
		in := &miInstance{name: name, cmd: cmd,
			stderr: &syncBuffer{}, exited: make(chan struct{})}
		cmd.Stdout = in.stderr
		cmd.Stderr = in.stderr
		cl = append(cl, in)
	}

	// Start all at once, so that their migrations and bootstraps contend for the lock.
	barrier := make(chan struct{})
	errs := make([]error, len(cl))
	var wg sync.WaitGroup
	for i, in := range cl {
		wg.Go(func() {
			<-barrier
			errs[i] = in.cmd.Start()
		})
	}
	close(barrier)
	wg.Wait()
	for i, in := range cl {
		if errs[i] != nil {
			t.Fatalf("start %s: %v", in.name, errs[i])
		}
		go func() {
			in.waitErr = in.cmd.Wait()
			close(in.exited)
		}()
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, in := range cl {
			wg.Go(func() { in.stop(t) })
		}
		wg.Wait()
		if t.Failed() {
			for _, in := range cl {
				out := in.stderr.String()
				if len(out) > 64<<10 {
					out = "…" + out[len(out)-64<<10:]
				}
				t.Logf("---- stderr of %s (%s) ----\n%s", in.name, in.url, out)
			}
		}
	})

	start := time.Now()
	for _, in := range cl {
		addr, err := listenAddr(in.stderr.String, in.hasExited, 30*time.Second)
		if err != nil {
			t.Fatalf("%s: %v\n%s", in.name, err, in.stderr.String())
		}
		in.url = "http://" + addr
		in.waitStatus(t, "GET", "/api/health", nil, 200, 30*time.Second)
	}
	t.Logf("%d instances healthy %v after starting together", len(cl), time.Since(start).Round(time.Millisecond))
	return cl
}

func (in *miInstance) hasExited() bool {
	select {
	case <-in.exited:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and, if the process has not exited within 15 s, SIGKILL.
func (in *miInstance) stop(t *testing.T) {
	if in.hasExited() {
		t.Errorf("%s had exited before the end of the test: %v", in.name, in.waitErr)
		return
	}
	// A connection the client dialled but never used is "new" to the server, and a graceful
	// shutdown waits up to 5 s for such a connection to send its request: close them first.
	miClient.CloseIdleConnections()
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
		if in.waitErr != nil {
			t.Errorf("%s: exit after SIGTERM: %v", in.name, in.waitErr)
		}
	case <-time.After(15 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.exited
		t.Errorf("%s did not stop within 15 s of SIGTERM; killed", in.name)
	}
}

// miResp is a finished HTTP exchange.
type miResp struct {
	status int
	header http.Header
	body   []byte
}

func miBasic(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func miBearer(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }
}

func miCookie(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

// do sends a request; body, when not nil, is sent as JSON.
func (in *miInstance) do(method, path string, auth func(*http.Request), body any) (*miResp, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, in.url+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	resp, err := miClient.Do(req)
	if err != nil {
		if in.hasExited() {
			err = fmt.Errorf("%w (the process exited: %v)", err, in.waitErr)
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &miResp{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// call is do that fails the test on a transport error.
func (in *miInstance) call(t *testing.T, method, path string, auth func(*http.Request), body any) *miResp {
	t.Helper()
	r, err := in.do(method, path, auth, body)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.name, err)
	}
	return r
}

// expect is call that fails the test unless the status is want.
func (in *miInstance) expect(t *testing.T, want int, method, path string, auth func(*http.Request), body any) *miResp {
	t.Helper()
	r := in.call(t, method, path, auth, body)
	if r.status != want {
		t.Fatalf("%s %s on %s: status %d, want %d; body: %s", method, path, in.name, r.status, want, r.body)
	}
	return r
}

// waitStatus polls until the request answers want, failing after limit; it returns how long
// that took.
func (in *miInstance) waitStatus(t *testing.T, method, path string, auth func(*http.Request), want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(limit)
	for {
		r, err := in.do(method, path, auth, nil)
		if err == nil && r.status == want {
			return time.Since(start)
		}
		if in.hasExited() {
			t.Fatalf("%s exited while waiting for %s %s to answer %d: %v", in.name, method, path, want, in.waitErr)
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("%s %s on %s: no %d within %v; last: %v", method, path, in.name, want, limit, err)
			}
			t.Fatalf("%s %s on %s: no %d within %v; last: %d %s", method, path, in.name, want, limit, r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLog waits until the process's stderr contains s.
func (in *miInstance) waitLog(t *testing.T, s string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(in.stderr.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q", in.name, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metric reads one unlabelled sample from /metrics.
func (in *miInstance) metric(t *testing.T, name string) float64 {
	t.Helper()
	v, err := in.readMetric(name)
	if err != nil {
		t.Fatalf("%s: %v", in.name, err)
	}
	return v
}

func (in *miInstance) readMetric(name string) (float64, error) {
	r, err := in.do("GET", "/metrics", nil, nil)
	if err != nil {
		return 0, err
	}
	if r.status != 200 {
		return 0, fmt.Errorf("GET /metrics: %d", r.status)
	}
	for line := range strings.Lines(string(r.body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no metric %s in /metrics", name)
}

// waitListener polls until warden_cache_listener_up is want.
func (in *miInstance) waitListener(t *testing.T, want float64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		v, err := in.readMetric("warden_cache_listener_up")
		if err == nil && v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: warden_cache_listener_up is %v (err %v), want %v within %v", in.name, v, err, want, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// warmPool makes n requests that each need a database connection at the same time, so that
// the instance's pool holds that many open connections afterwards.
func (in *miInstance) warmPool(t *testing.T, n int) {
	t.Helper()
	for range 2 {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { _, _ = in.do("GET", "/api/health", nil, nil) })
		}
		wg.Wait()
	}
}

func miCreateSA(t *testing.T, in *miInstance, auth func(*http.Request), name, role string) int64 {
	t.Helper()
	r := in.expect(t, 201, "POST", "/api/serviceaccounts", auth, map[string]any{"name": name, "role": role})
	var sa struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(r.body, &sa); err != nil || sa.ID == 0 {
		t.Fatalf("create service account on %s: %s", in.name, r.body)
	}
	return sa.ID
}

func miCreateToken(t *testing.T, in *miInstance, auth func(*http.Request), saID int64, name string) (int64, string) {
	t.Helper()
	r := in.expect(t, 200, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID), auth, map[string]any{"name": name})
	var tok struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	if err := json.Unmarshal(r.body, &tok); err != nil || tok.ID == 0 || tok.Key == "" {
		t.Fatalf("create token on %s: %s", in.name, r.body)
	}
	return tok.ID, tok.Key
}

// miUseCached uses key on in (GET /api/org → 200) at least n times, and until two uses in a
// row were answered from in's token cache, so that the token is known to be cached there.
// (A use may miss although the token was cached by the previous one: a notification of an
// earlier, unrelated change, such as the account's creation, can arrive in between and make
// the cache reload, which is correct.)
func miUseCached(t *testing.T, in *miInstance, key string, n int) {
	t.Helper()
	const most = 50
	hits := in.metric(t, "warden_token_cache_hits_total")
	streak := 0
	for i := 1; i <= most; i++ {
		in.expect(t, 200, "GET", "/api/org", miBearer(key), nil)
		h := in.metric(t, "warden_token_cache_hits_total")
		if h > hits {
			streak++
		} else {
			streak = 0
		}
		hits = h
		if streak >= 2 && i >= n {
			return
		}
	}
	t.Fatalf("%s never answered two uses of a token in a row from its cache, in %d uses", in.name, most)
}

// miAwaitAll polls each instance, concurrently, until it refuses key (401), within 5 s of
// changed: five times the promised bound of 1 s. It logs the delays observed.
func miAwaitAll(t *testing.T, changed time.Time, key, what string, ins ...*miInstance) {
	t.Helper()
	miAwaitAllStatus(t, changed, key, what, http.StatusUnauthorized, ins...)
}

// miAwaitAllStatus is miAwaitAll for a refusal with another status (403 for an address).
func miAwaitAllStatus(t *testing.T, changed time.Time, key, what string, want int, ins ...*miInstance) {
	t.Helper()
	const bound = time.Second
	delays := make([]time.Duration, len(ins))
	fails := make([]string, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			deadline := changed.Add(5 * bound)
			for {
				r, err := in.do("GET", "/api/org", miBearer(key), nil)
				now := time.Now()
				if err != nil {
					fails[i] = fmt.Sprintf("%s: %v", in.name, err)
					return
				}
				switch r.status {
				case want:
					delays[i] = now.Sub(changed)
					return
				case 200:
				default:
					fails[i] = fmt.Sprintf("%s answered %d %s for the %s, want 200 (not yet) or %d", in.name, r.status, r.body, what, want)
					return
				}
				if now.After(deadline) {
					fails[i] = fmt.Sprintf("%s still accepts the %s %v after the change (the bound is %v)", in.name, what, now.Sub(changed).Round(time.Millisecond), bound)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	for i, in := range ins {
		if fails[i] != "" {
			t.Error(fails[i])
			continue
		}
		t.Logf("%s refused the %s %v after the change", in.name, what, delays[i].Round(100*time.Microsecond))
	}
	if t.Failed() {
		t.FailNow()
	}
}

func miWantMessage(t *testing.T, r *miResp, want string) {
	t.Helper()
	var body struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Message != want {
		t.Errorf("body %s, want message %q", r.body, want)
	}
}

// miAllowConnections sets ALLOW_CONNECTIONS on the database dbName, through the server's
// maintenance database.
func miAllowConnections(t *testing.T, serverURL, dbName string, allow bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sql := fmt.Sprintf("ALTER DATABASE %s WITH ALLOW_CONNECTIONS %t", pgx.Identifier{dbName}.Sanitize(), allow)
	if err := pgtest.Exec(ctx, serverURL, sql); err != nil {
		t.Errorf("%v", err)
	}
}

// miCount runs a query returning one integer, on the server's maintenance database.
func miCount(t *testing.T, serverURL, sql string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("connect to the maintenance database: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: %v", sql, err)
		}
		t.Fatalf("%s: timed out", sql)
	}
	return n
}
