package http

// Fuzz targets for the JSON API: fuzzed bodies for every route that takes one, and fuzzed
// query strings and path ids for every GET route. Both send their requests through the real
// handler (NewServer over SQLite in a temp dir) and check the API's promises: no panic, no
// 5xx, and every error is a JSON object with a non-empty "message".

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// fuzzLogs keeps the tail of the server's log, to explain a failure without growing for the
// whole fuzzing run.
type fuzzLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *fuzzLogs) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 256<<10 {
		tail := append([]byte(nil), b.buf.Bytes()[b.buf.Len()-64<<10:]...)
		b.buf.Reset()
		b.buf.Write(tail)
	}
	return b.buf.Write(p)
}

func (b *fuzzLogs) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}

// fuzzFixture is an entity the fuzzed requests name in their paths.
type fuzzFixture struct {
	id  int64
	uid string
}

// fuzzServer is one Warden server shared by the inputs of one fuzz process, with the
// identities the requests use: the server admin's session cookie, and the token of an Admin
// service account. Fuzzed requests may destroy either; check repairs or rebuilds them.
type fuzzServer struct {
	dir     string
	db      interface{ Close() error }
	svc     *warden.Service
	opts    Options
	handler http.Handler
	logs    *fuzzLogs

	cookie string // the admin's session
	token  string // an Admin service account's token
	authSA int64  // that service account

	// Fixtures named by path parameters.
	user, sa, team, org fuzzFixture
	tokenID             int64
}

// fuzzHarness builds the fuzzServer lazily, once per fuzz process, and again when a fuzzed
// request broke it beyond repair.
type fuzzHarness struct {
	mu     sync.Mutex
	srv    *fuzzServer
	closed []*fuzzServer
}

func newFuzzHarness(f *testing.F) *fuzzHarness {
	h := &fuzzHarness{}
	f.Cleanup(h.close)
	return h
}

func (h *fuzzHarness) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		h.closed = append(h.closed, h.srv)
		h.srv = nil
	}
	for _, s := range h.closed {
		s.close()
	}
	h.closed = nil
}

// server returns the current server, building it if needed.
func (h *fuzzHarness) server(t *testing.T) *fuzzServer {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		s, err := newFuzzServer()
		if err != nil {
			t.Fatalf("building the fuzz server: %v", err)
		}
		h.srv = s
	}
	return h.srv
}

// rebuild drops the current server; the next call to server builds a fresh one.
func (h *fuzzHarness) rebuild() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		h.srv.close()
		h.srv = nil
	}
}

func (s *fuzzServer) close() {
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
	os.RemoveAll(s.dir)
}

// newFuzzServer is newTestEnv without a testing.TB: the server outlives any one input.
func newFuzzServer() (_ *fuzzServer, err error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "warden-fuzz-")
	if err != nil {
		return nil, err
	}
	s := &fuzzServer{dir: dir, logs: &fuzzLogs{}}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "w.db"))
	if err != nil {
		return nil, err
	}
	s.db = db
	cfg := testConfig()
	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s.svc = warden.NewService(db, logger, cfg)
	if _, _, err := s.svc.Bootstrap(ctx, "admin", "admin@localhost", "admin"); err != nil {
		return nil, err
	}
	s.opts = Options{
		Logger:         logger,
		Service:        s.svc,
		Version:        "test",
		BasicAuth:      true,
		Registry:       prometheus.NewRegistry(),
		FeatureToggles: map[string]bool{"serviceAccounts": !cfg.DisableServiceAccounts},
	}
	s.handler = NewServer(s.opts)
	if _, s.cookie, err = s.svc.Login(ctx, "admin", "admin", "fuzz"); err != nil {
		return nil, err
	}
	if err := s.newAuthToken(); err != nil {
		return nil, err
	}
	if err := s.newFixtures(true); err != nil {
		return nil, err
	}
	return s, nil
}

// serve sends one request through the whole server. asToken picks the service account's
// token; otherwise the admin's session cookie is sent, with the Origin a same-origin write
// needs.
func (s *fuzzServer) serve(method, target string, body []byte, asToken bool) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.RemoteAddr = "192.0.2.1:1234"
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if asToken {
		r.Header.Set("Authorization", "Bearer "+s.token)
	} else {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.cookie})
		r.Header.Set("Origin", "http://example.com") // httptest requests go to example.com
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

// call sends a setup request as the admin and decodes its JSON answer into out.
func (s *fuzzServer) call(method, target, body string, out any) error {
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	w := s.serve(method, target, b, false)
	if w.Code >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
	if out != nil {
		return json.Unmarshal(w.Body.Bytes(), out)
	}
	return nil
}

var fuzzSeq int

func fuzzName(kind string) string {
	fuzzSeq++
	return fmt.Sprintf("fuzz-%s-%d", kind, fuzzSeq)
}

// newAuthToken creates an Admin service account and a token for it.
func (s *fuzzServer) newAuthToken() error {
	var sa struct {
		ID int64 `json:"id"`
	}
	if err := s.call("POST", "/api/serviceaccounts", `{"name":"`+fuzzName("auth")+`","role":"Admin"}`, &sa); err != nil {
		return err
	}
	var tok struct {
		Key string `json:"key"`
	}
	if err := s.call("POST", "/api/serviceaccounts/"+strconv.FormatInt(sa.ID, 10)+"/tokens",
		`{"name":"`+fuzzName("token")+`"}`, &tok); err != nil {
		return err
	}
	s.authSA, s.token = sa.ID, tok.Key
	return nil
}

// newFixtures creates the fixtures that no longer exist (all of them when all is set).
func (s *fuzzServer) newFixtures(all bool) error {
	exists := func(path string) bool { return s.serve("GET", path, nil, false).Code == http.StatusOK }
	if all || !exists("/api/users/"+strconv.FormatInt(s.user.id, 10)) {
		var u struct {
			ID  int64  `json:"id"`
			UID string `json:"uid"`
		}
		n := fuzzName("user")
		if err := s.call("POST", "/api/admin/users", `{"login":"`+n+`","email":"`+n+`@localhost","password":"fuzz-password-1"}`, &u); err != nil {
			return err
		}
		s.user = fuzzFixture{u.ID, u.UID}
	}
	if all || !exists("/api/serviceaccounts/"+strconv.FormatInt(s.sa.id, 10)) {
		var sa struct {
			ID  int64  `json:"id"`
			UID string `json:"uid"`
		}
		if err := s.call("POST", "/api/serviceaccounts", `{"name":"`+fuzzName("sa")+`","role":"Viewer"}`, &sa); err != nil {
			return err
		}
		s.sa = fuzzFixture{sa.ID, sa.UID}
		all = true // a new account needs a new token
	}
	if all || !s.tokenExists() {
		var tok struct {
			ID int64 `json:"id"`
		}
		if err := s.call("POST", "/api/serviceaccounts/"+strconv.FormatInt(s.sa.id, 10)+"/tokens",
			`{"name":"`+fuzzName("token")+`"}`, &tok); err != nil {
			return err
		}
		s.tokenID = tok.ID
	}
	if all || !exists("/api/teams/"+strconv.FormatInt(s.team.id, 10)) {
		var tm struct {
			TeamID int64  `json:"teamId"`
			UID    string `json:"uid"`
		}
		if err := s.call("POST", "/api/teams", `{"name":"`+fuzzName("team")+`"}`, &tm); err != nil {
			return err
		}
		s.team = fuzzFixture{tm.TeamID, tm.UID}
		if err := s.call("POST", "/api/teams/"+strconv.FormatInt(tm.TeamID, 10)+"/members",
			`{"userId":`+strconv.FormatInt(s.user.id, 10)+`}`, nil); err != nil {
			return err
		}
	}
	if all || !exists("/api/orgs/"+strconv.FormatInt(s.org.id, 10)) {
		var o struct {
			OrgID int64 `json:"orgId"`
		}
		if err := s.call("POST", "/api/orgs", `{"name":"`+fuzzName("org")+`"}`, &o); err != nil {
			return err
		}
		s.org = fuzzFixture{id: o.OrgID}
	}
	return nil
}

func (s *fuzzServer) tokenExists() bool {
	w := s.serve("GET", "/api/serviceaccounts/"+strconv.FormatInt(s.sa.id, 10)+"/tokens", nil, false)
	var toks []struct {
		ID int64 `json:"id"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &toks) != nil {
		return false
	}
	for _, t := range toks {
		if t.ID == s.tokenID {
			return true
		}
	}
	return false
}

// healthy reports whether the fuzzing identities still work as they did: the admin's session
// is a server admin acting as Admin of org 1, and the token is an Admin of org 1. It repairs
// what it cheaply can (the admin's current org, a lost token).
func (s *fuzzServer) healthy() bool {
	ctx := context.Background()
	admin := func() (*warden.Principal, bool) {
		u, _, err := s.svc.AuthenticateSession(ctx, s.cookie)
		if err != nil {
			return nil, false
		}
		p, err := s.svc.UserPrincipal(ctx, u, 0)
		if err != nil || !p.IsServerAdmin {
			return nil, false
		}
		return p, true
	}
	p, ok := admin()
	if !ok {
		return false
	}
	if p.OrgID != 1 {
		// POST /api/user/using/{id} switched the admin to another org: switch back.
		s.serve("POST", "/api/user/using/1", nil, false)
		if p, ok = admin(); !ok || p.OrgID != 1 {
			return false
		}
	}
	if p.OrgRole != warden.RoleAdmin {
		return false
	}
	if tp, err := s.svc.AuthenticateToken(ctx, s.token, 0); err != nil || tp.OrgID != 1 || tp.OrgRole != warden.RoleAdmin {
		if s.newAuthToken() != nil {
			return false
		}
	}
	return true
}

// grafanaParity500 are the 500s Warden answers on purpose, because Grafana answers them
// (service_org.go, service_team.go: Errorf(EINTERNAL, "...") on a missing member or org),
// and which cmd/warden's identity tests pin. They are the only 5xx the fuzz targets accept.
var grafanaParity500 = map[string]bool{
	`{"message":"Could not add user to organization"}`:      true,
	`{"message":"Failed update org user"}`:                  true,
	`{"message":"Failed to remove user from organization"}`: true,
	`{"message":"Failed to update organization"}`:           true,
	`{"message":"Failed to add Member to Team"}`:            true,
}

// checkAPIResponse checks the API's promises for one answer.
func checkAPIResponse(t *testing.T, s *fuzzServer, method, target string, body []byte, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code == http.StatusInternalServerError && grafanaParity500[strings.TrimSpace(w.Body.String())] {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("%s %s body %q: status %d, body %s\nserver log (tail):\n%s", method, target, body, w.Code, w.Body, s.logs.tail())
	}
	if w.Code < 400 {
		return
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s body %q: status %d with Content-Type %q, body %s", method, target, body, w.Code, ct, w.Body)
	}
	var resp map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%s %s body %q: status %d, body is not a JSON object: %v: %s", method, target, body, w.Code, err, w.Body)
	}
	if msg, ok := resp["message"].(string); !ok || msg == "" {
		t.Fatalf("%s %s body %q: status %d, no non-empty string message: %s", method, target, body, w.Code, w.Body)
	}
}

// fuzzRoute is a route of the table with its method and path pattern.
type fuzzRoute struct {
	method, path string
}

// apiRoutes lists the routes of the table under /api/ whose method is one of methods.
func apiRoutes(t testing.TB, methods ...string) []fuzzRoute {
	t.Helper()
	opts := Options{Service: warden.NewService(nil, slog.New(slog.DiscardHandler), testConfig()),
		Logger: slog.New(slog.DiscardHandler)}
	var out []fuzzRoute
	for _, rt := range routes(opts, newUI(opts)) {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for _, m := range methods {
			if m == method {
				out = append(out, fuzzRoute{method, path})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no routes found")
	}
	return out
}

// paramKind says which kind of entity a path parameter of the route names.
func paramKind(path, param string) string {
	switch param {
	case "orgId":
		return "org"
	case "userId", "hash":
		return "user"
	case "tokenId":
		return "token"
	case "teamId":
		return "team"
	}
	switch {
	case strings.HasPrefix(path, "/api/user/using/"):
		return "org"
	case strings.HasPrefix(path, "/api/serviceaccounts/"), strings.HasPrefix(path, "/api/access-control/serviceaccounts/"):
		return "sa"
	case strings.HasPrefix(path, "/api/teams/"):
		return "team"
	}
	return "user"
}

// fixtureID returns the id (or, with uid set, the UID where the kind has one) of a fixture.
func (s *fuzzServer) fixtureID(kind string, uid bool) string {
	var f fuzzFixture
	switch kind {
	case "org":
		f = s.org
	case "user":
		f = s.user
	case "sa":
		f = s.sa
	case "team":
		f = s.team
	case "token":
		f = fuzzFixture{id: s.tokenID}
	}
	if uid && f.uid != "" {
		return f.uid
	}
	return strconv.FormatInt(f.id, 10)
}

// fillPath replaces each {param} of path with value(kind) and drops {$}.
func fillPath(path string, value func(i int, kind string) string) string {
	path = strings.ReplaceAll(path, "{$}", "")
	i := 0
	return pathParam.ReplaceAllStringFunc(path, func(m string) string {
		v := value(i, paramKind(path, strings.Trim(m, "{}")))
		i++
		return v
	})
}

// FuzzJSONRoutes sends fuzzed bodies to every JSON route that takes one. The first byte picks
// the route; the second picks, two bits per path parameter, an existing id, an existing UID,
// an id that does not exist or id 1, and with bit 6 the caller (the admin's session or an
// Admin service account's token); the rest is the body.
func FuzzJSONRoutes(f *testing.F) {
	rts := apiRoutes(f, "POST", "PUT", "PATCH", "DELETE")
	h := newFuzzHarness(f)
	seed := func(pattern string, ctl byte, body string) {
		for i, rt := range rts {
			if rt.method+" "+rt.path == pattern {
				f.Add(append([]byte{byte(i), ctl}, body...))
				return
			}
		}
		f.Fatalf("seed for unknown route %q", pattern)
	}
	// Every route with an empty object and with its own kind of body, as each caller.
	for i := range rts {
		f.Add([]byte{byte(i), 0, '{', '}'})
		f.Add([]byte{byte(i), 0x40 | 0x15})
	}
	seed("POST /api/serviceaccounts", 0, `{"name":"seed-sa","role":"Editor","isDisabled":false}`)
	seed("POST /api/serviceaccounts", 0x40, `{"name":"","role":"Owner"}`)
	seed("PATCH /api/serviceaccounts/{id}", 0, `{"name":"renamed","role":"None","isDisabled":true}`)
	seed("PATCH /api/serviceaccounts/{id}", 1, `{"role":null}`)
	seed("POST /api/serviceaccounts/{id}/tokens", 0, `{"name":"t","secondsToLive":3600}`)
	seed("POST /api/serviceaccounts/{id}/tokens", 0x40, `{"name":"t","secondsToLive":-1}`)
	seed("POST /api/serviceaccounts/{id}/tokens", 0, `{"name":"t","secondsToLive":9223372036854775807}`)
	seed("POST /api/access-control/serviceaccounts/{id}/users/{userId}", 0, `{"permission":"Edit"}`)
	seed("POST /api/access-control/serviceaccounts/{id}/teams/{teamId}", 0, `{"permission":""}`)
	seed("POST /api/admin/users", 0, `{"name":"N","email":"n@x","login":"n","password":"longenough1","OrgId":1}`)
	seed("POST /api/admin/users", 0, `{"login":"n2","password":"x","OrgId":-1}`)
	seed("PUT /api/admin/users/{id}/password", 0, `{"password":"another-pw-1"}`)
	seed("PUT /api/admin/users/{id}/permissions", 0, `{"isGrafanaAdmin":true}`)
	seed("PUT /api/users/{id}", 0, `{"email":"e@x","name":"n","login":"l","theme":"dark"}`)
	seed("PUT /api/user", 0, `{"email":"admin@localhost","name":"Admin","login":"admin"}`)
	seed("PUT /api/user/password", 0, `{"oldPassword":"wrong","newPassword":"new-password-1","confirmNew":"new-password-1"}`)
	seed("PUT /api/org", 0, `{"name":"Main Org."}`)
	seed("PUT /api/org/address", 0, `{"address1":"a","address2":"b","city":"c","zipCode":"z","state":"s","country":"x"}`)
	seed("POST /api/orgs", 0, `{"name":"seed org"}`)
	seed("PUT /api/orgs/{orgId}", 0, `{"name":"renamed org"}`)
	seed("POST /api/org/users", 0, `{"loginOrEmail":"admin","role":"Viewer"}`)
	seed("POST /api/orgs/{orgId}/users", 0, `{"loginOrEmail":"nobody","role":"Editor"}`)
	seed("PATCH /api/org/users/{userId}", 0, `{"role":"Editor"}`)
	seed("PATCH /api/orgs/{orgId}/users/{userId}", 0, `{"role":"Nope"}`)
	seed("POST /api/teams", 0, `{"name":"seed team","email":"t@x"}`)
	seed("PUT /api/teams/{id}", 0, `{"name":"renamed team"}`)
	seed("POST /api/teams/{id}/members", 0, `{"userId":1}`)
	seed("PUT /api/teams/{id}/members/{userId}", 0, `{"permission":4}`)
	f.Add([]byte{0, 0, '[', ']'})
	f.Add([]byte{1, 0x40, 'n', 'u', 'l', 'l'})
	f.Add([]byte{2, 2, '{', '"', 'n', 'a', 'm', 'e', '"', ':', '1', '}'})
	f.Add([]byte{3, 0xff, '{', '"', 'a', '"', ':'})

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		rt := rts[int(data[0])%len(rts)]
		ctl, body := data[1], data[2:]
		s := h.server(t)
		target := fillPath(rt.path, func(i int, kind string) string {
			switch (ctl >> (2 * i)) & 3 {
			case 0:
				return s.fixtureID(kind, false)
			case 1:
				return s.fixtureID(kind, true)
			case 2:
				return "999999"
			}
			return "1"
		})
		w := s.serve(rt.method, target, body, ctl&0x40 != 0)
		checkAPIResponse(t, s, rt.method, target, body, w)
		if w.Code >= 300 {
			return
		}
		// The request changed something: it may have spent a fixture or an identity.
		if !s.healthy() || s.newFixtures(false) != nil {
			h.rebuild()
		}
	})
}

// FuzzQueryStrings sends GET requests to every GET route under /api/ with a fuzzed path id
// (path-escaped, in every path parameter; "" names an existing entity), fuzzed perpage, page
// and query parameters, and a fuzzed raw tail of the query string (ids, uids, targetOrgId...).
// sel picks the route, and with its high bit the caller.
func FuzzQueryStrings(f *testing.F) {
	rts := apiRoutes(f, "GET")
	h := newFuzzHarness(f)
	for i := range rts {
		f.Add(byte(i), "", "", "", "", "")
		f.Add(byte(i)|0x80, "1", "10", "1", "", "")
	}
	f.Add(byte(0), "999999", "-1", "0", "a", "ids=1&ids=2&uids=x")
	f.Add(byte(1), "not-a-uid", "1000000000000", "-9223372036854775808", "%", "targetOrgId=2")
	f.Add(byte(2), "../1", "abc", "9223372036854775807", "admin", "targetOrgId=-1&perpage=5&perpage=x")
	f.Add(byte(3), "%00", "0", "1e3", "\x00", "query=%ff&page=%")
	f.Add(byte(4), "1/tokens", " 1", "+1", "*", "ids=&uids=&ids=abc&targetOrgId=99999999999999999999")
	f.Add(byte(5)|0x80, "9223372036854775808", "9223372036854775807", "2", "sa", "accesscontrol=true&sort=login-desc&disabled=true&expiredTokens=true&filter=x")
	f.Add(byte(6), "-1", "1", "-1", "ü", "sort=name-asc,email-desc&teamId=1&withAccessControl=true")

	f.Fuzz(func(t *testing.T, sel byte, id, perpage, page, query, raw string) {
		rt := rts[int(sel&0x7f)%len(rts)]
		s := h.server(t)
		path := fillPath(rt.path, func(_ int, kind string) string {
			if id == "" {
				return s.fixtureID(kind, false)
			}
			return url.PathEscape(id)
		})
		q := url.Values{}
		for k, v := range map[string]string{"perpage": perpage, "page": page, "query": query} {
			if v != "" {
				q.Set(k, v)
			}
		}
		rawQuery := q.Encode()
		if raw != "" {
			if rawQuery != "" {
				rawQuery += "&"
			}
			rawQuery += raw
		}
		target := path
		if rawQuery != "" {
			target += "?" + rawQuery
		}
		// Only what a client can send: a request target without spaces, control characters
		// or a fragment, which the server parses.
		if strings.ContainsAny(target, " #") || strings.ContainsFunc(target, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			return
		}
		w := s.serve("GET", target, nil, sel&0x80 != 0)
		checkAPIResponse(t, s, "GET", target, nil, w)
	})
}
