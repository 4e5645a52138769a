package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// nginxPath returns the nginx binary: the test fails in CI without it (.ci/run installs
// nginx-light) and is skipped on a developer's machine without it.
func nginxPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is required in CI (install the nginx-light package)")
	}
	t.Skip("nginx not installed; the nginx forward-auth test is skipped")
	return ""
}

// nginxConf is the configuration README's "Protect your own API" shows, with every path in
// a temporary directory. Keep the two in step.
var nginxConf = template.Must(template.New("nginx").Parse(`daemon off;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 64; }
http {
	access_log {{.Dir}}/access.log;
	client_body_temp_path {{.Dir}}/body;
	proxy_temp_path {{.Dir}}/proxy;
	fastcgi_temp_path {{.Dir}}/fastcgi;
	uwsgi_temp_path {{.Dir}}/uwsgi;
	scgi_temp_path {{.Dir}}/scgi;

	upstream warden  { server {{.Warden}}; }
	upstream backend { server {{.Backend}}; }

	server {
		listen 127.0.0.1:{{.Port}};

		# Every request is checked by Warden first.
		location / {
			auth_request /_warden;
			auth_request_set $warden_login    $upstream_http_x_warden_login;
			auth_request_set $warden_id       $upstream_http_x_warden_id;
			auth_request_set $warden_org_id   $upstream_http_x_warden_org_id;
			auth_request_set $warden_role     $upstream_http_x_warden_role;
			auth_request_set $warden_token_id $upstream_http_x_warden_token_id;
			auth_request_set $warden_scopes   $upstream_http_x_warden_scopes;
			# Overwrite whatever the client sent: the backend can trust these.
			proxy_set_header X-Warden-Login    $warden_login;
			proxy_set_header X-Warden-Id       $warden_id;
			proxy_set_header X-Warden-Org-Id   $warden_org_id;
			proxy_set_header X-Warden-Role     $warden_role;
			proxy_set_header X-Warden-Token-Id $warden_token_id;
			proxy_set_header X-Warden-Scopes   $warden_scopes;
			proxy_set_header Host $host;
			proxy_pass http://backend;
		}

		location = /_warden {
			internal;
			proxy_pass http://warden/api/authz/forward;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-Method $request_method;
			proxy_set_header X-Original-URI $request_uri;
			proxy_set_header X-Forwarded-Host $host;
			# nginx's peer goes last, so Warden (with nginx in trusted_proxies) sees the
			# client's address: each client gets its own failed-lookup budget.
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			# A client cannot smuggle in another proxy's headers (Warden refuses mixed shapes).
			proxy_set_header X-Forwarded-Method "";
			proxy_set_header X-Forwarded-Uri "";
		}
	}
}
`))

// startNginx runs an nginx master in the foreground in front of backend, asking warden, and
// returns its base URL and its directory (logs).
func startNginx(t *testing.T, bin, warden, backend string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	var conf bytes.Buffer
	strip := func(u string) string { return strings.TrimPrefix(u, "http://") }
	if err := nginxConf.Execute(&conf, map[string]any{"Dir": dir, "Port": port, "Warden": strip(warden), "Backend": strip(backend)}); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s\n%s", err, out.String(), logs)
		default:
		}
		if resp, err := http.Get(url + "/"); err == nil {
			resp.Body.Close()
			return url, dir
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not answering after 10s\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seenRequest is what the backend behind nginx received.
type seenRequest struct {
	Method, Path, Login, ID, OrgID, Role, TokenID, Scopes string
}

// recordingBackend is the team's API: it answers 200 and remembers what reached it.
type recordingBackend struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (b *recordingBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.seen = append(b.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Login: r.Header.Get("X-Warden-Login"),
		ID: r.Header.Get("X-Warden-Id"), OrgID: r.Header.Get("X-Warden-Org-Id"), Role: r.Header.Get("X-Warden-Role"),
		TokenID: r.Header.Get("X-Warden-Token-Id"), Scopes: r.Header.Get("X-Warden-Scopes")})
	b.mu.Unlock()
	w.Write([]byte("backend ok"))
}

func (b *recordingBackend) last() (seenRequest, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) == 0 {
		return seenRequest{}, 0
	}
	return b.seen[len(b.seen)-1], len(b.seen)
}

const nginxRules = `rules:
  - path: /orders/
    methods: [GET, HEAD]
    role: Viewer
  - path: /orders/
    methods: [POST]
    role: Editor
`

// A real nginx guards a backend with Warden's forward-auth endpoint, configured as README shows.
func TestForwardAuth_Nginx(t *testing.T) {
	t.Parallel()
	bin := nginxPath(t)
	rulesPath := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(nginxRules), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	ts := startServerClock(t, map[string]string{"WARDEN_AUTHZ_RULES_FILE": rulesPath, "WARDEN_SERVER_TRUSTED_PROXIES": "127.0.0.1/32"}, clock)
	backend := &recordingBackend{}
	bs := httptest.NewServer(backend)
	t.Cleanup(bs.Close)
	proxy, nginxDir := startNginx(t, bin, ts.URL, bs.URL)

	token := func(saID int64, name string, secondsToLive int) (string, int64) {
		t.Helper()
		r := ts.admin().expect(t, http.StatusOK, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", saID),
			map[string]any{"name": name, "secondsToLive": secondsToLive})
		m := r.JSON(t)
		return m["key"].(string), int64(m["id"].(float64))
	}
	viewerSA := createSA(t, ts, "reader", "Viewer")
	editorSA := createSA(t, ts, "writer", "Editor")
	viewer, viewerID := token(viewerSA, "v", 0)
	editor, _ := token(editorSA, "e", 0)

	type result struct {
		status int
		www    string
	}
	send := func(method, path, token string, headers ...string) result {
		t.Helper()
		req, err := http.NewRequest(method, proxy+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s through nginx: %v", method, path, err)
		}
		resp.Body.Close()
		return result{resp.StatusCode, resp.Header.Get("WWW-Authenticate")}
	}
	wantStatus := func(what string, got result, want int) {
		t.Helper()
		if got.status != want {
			logs, _ := os.ReadFile(filepath.Join(nginxDir, "error.log"))
			t.Fatalf("%s: status %d, want %d\nnginx error log:\n%s", what, got.status, want, logs)
		}
	}

	_, before := backend.last()
	r := send("GET", "/orders/1", "")
	wantStatus("no token", r, 401)
	if !strings.HasPrefix(r.www, "Bearer") {
		t.Errorf("no token: WWW-Authenticate=%q, want Bearer", r.www)
	}
	wantStatus("garbage token", send("GET", "/orders/1", "glsa_garbage"), 401)
	if _, n := backend.last(); n != before {
		t.Fatal("a refused request reached the backend")
	}

	// A Viewer token reads; the backend learns who it is, from Warden, not from the client.
	wantStatus("viewer GET", send("GET", "/orders/1?expand=items", viewer, "X-Warden-Login", "admin", "X-Warden-Role", "Admin"), 200)
	seen, _ := backend.last()
	want := seenRequest{Method: "GET", Path: "/orders/1", Login: "sa-1-reader", ID: fmt.Sprint(viewerSA), OrgID: "1",
		Role: "Viewer", TokenID: fmt.Sprint(viewerID)}
	if seen != want {
		t.Fatalf("backend saw %+v, want %+v (a forged X-Warden-Login must not pass)", seen, want)
	}
	wantStatus("viewer POST under the Editor rule", send("POST", "/orders/1", viewer), 403)
	wantStatus("viewer outside every rule", send("GET", "/admin/users", viewer), 403)
	wantStatus("viewer on a lookalike prefix", send("GET", "/orders-admin", viewer), 403)
	wantStatus("viewer with a dot-dot path", send("GET", "/orders/../admin", viewer), 403)

	wantStatus("editor POST", send("POST", "/orders/2", editor), 200)
	if seen, _ := backend.last(); seen.Method != "POST" || seen.Login != "sa-1-writer" || seen.Role != "Editor" {
		t.Fatalf("backend saw %+v, want a POST by sa-1-writer (Editor)", seen)
	}
	// A client cannot pass the method check off as another proxy's GET.
	r = send("POST", "/orders/3", viewer, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/orders/3")
	if r.status == 200 {
		t.Fatal("a Viewer POST with forged X-Forwarded-* headers was allowed")
	}

	// A deleted token is refused on the very next request.
	ts.admin().expect(t, http.StatusOK, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", viewerSA, viewerID), nil)
	wantStatus("deleted token", send("GET", "/orders/1", viewer), 401)

	// A token is refused once the server's clock has passed its expiry. (A token of one second
	// could expire before its first use: expiries fall on whole seconds.)
	short, _ := token(viewerSA, "short", 60)
	wantStatus("fresh short-lived token", send("GET", "/orders/1", short), 200)
	clock.Advance(61 * time.Second)
	wantStatus("expired token", send("GET", "/orders/1", short), 401)

	// Editing the rules file changes the decision without a restart (bound: 2 s).
	viewer2, _ := token(viewerSA, "v2", 0)
	wantStatus("viewer POST before the rules change", send("POST", "/orders/9", viewer2), 403)
	edited := strings.Replace(nginxRules, "methods: [POST]\n    role: Editor", "methods: [POST]\n    role: Viewer", 1)
	tmp := rulesPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	saved := time.Now()
	if err := os.Rename(tmp, rulesPath); err != nil { // how editors and config tools save
		t.Fatal(err)
	}
	for send("POST", "/orders/9", viewer2).status != 200 {
		if time.Since(saved) > 10*time.Second {
			t.Fatal("the edited rules file was not applied within 10 s (5× the 2 s bound)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("edited rules applied %v after the save", time.Since(saved).Round(time.Millisecond))

	// No token in Warden's or nginx's logs. Warden writes its log out once a second: stopped,
	// it has written everything.
	ts.Stop()
	logs := ts.Logs()
	for _, f := range []string{"access.log", "error.log"} {
		b, _ := os.ReadFile(filepath.Join(nginxDir, f))
		logs += string(b)
	}
	for _, tok := range []string{viewer, editor, short, viewer2} {
		if strings.Contains(logs, tok) {
			t.Fatal("a token appears in the logs")
		}
	}
	// Warden logged the original URI without its query.
	if !strings.Contains(ts.Logs(), "/orders/1") || strings.Contains(ts.Logs(), "expand=items") {
		t.Errorf("Warden's log should name /orders/1 without its query string:\n%s", lastLines(ts.Logs(), 20))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
