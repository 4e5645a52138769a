package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one Warden server process started by the benchmark.
type server struct {
	dir, bin, url string
	env           []string
	samples       []string // plaintext sample tokens from the seed
	cmd           *exec.Cmd
	done          chan error
	client        *http.Client
}

// newWarden prepares a server in dir running bin; extraEnv (WARDEN_… settings, such as the
// database) is added to the environment.
func newWarden(dir, bin string, extraEnv ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARDEN_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"WARDEN_PATHS_DATA="+filepath.Join(dir, "data"),
		"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
		"WARDEN_SERVER_HTTP_PORT="+strconv.Itoa(port),
		"WARDEN_SECURITY_ADMIN_PASSWORD=bench-"+rand.Text(),
		"WARDEN_SERVER_ROUTER_LOGGING=true",
	)
	env = append(env, extraEnv...)
	// Enough idle connections for every soak worker, so a long run does not churn through
	// ephemeral ports; redirects are answers to check, not to follow.
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &server{dir: dir, bin: bin, env: env, url: fmt.Sprintf("http://127.0.0.1:%d", port),
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

func (w *server) password() string {
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "WARDEN_SECURITY_ADMIN_PASSWORD="); ok {
			return v
		}
	}
	return ""
}

// seed runs `warden admin seed` on a new database (--create) and keeps the sample tokens it
// writes.
func (w *server) seed(ctx context.Context, accounts, tokens int, stderr io.Writer) error {
	out := filepath.Join(w.dir, "tokens.txt")
	cmd := exec.CommandContext(ctx, w.bin, "admin", "seed", "--create", "--accounts", strconv.Itoa(accounts),
		"--tokens", strconv.Itoa(tokens), "--tokens-out", out)
	cmd.Env = w.env
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("warden admin seed: %w", err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	w.samples = strings.Fields(string(raw))
	if len(w.samples) == 0 {
		return errors.New("seed wrote no sample tokens")
	}
	return nil
}

// start runs `warden server` with its log (access log included) in server.log, and waits for
// /api/health.
func (w *server) start(ctx context.Context) error {
	logf, err := os.Create(filepath.Join(w.dir, "server.log"))
	if err != nil {
		return err
	}
	w.cmd = exec.Command(w.bin, "server")
	w.cmd.Env = w.env
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	if err := w.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start warden: %w", err)
	}
	w.done = make(chan error, 1)
	go func() { w.done <- w.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := w.client.Get(w.url + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-w.done:
			w.done <- err
			return fmt.Errorf("warden exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("warden not ready after 30s")
}

// stop ends the server: SIGTERM, then SIGKILL after 10 s. It returns how the process ended
// (nil for a clean exit); calling it again does nothing.
func (w *server) stop() error {
	if w.cmd == nil || w.cmd.Process == nil {
		return nil
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-w.done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
		err = errors.New("did not stop within 10s of SIGTERM; killed")
	}
	w.cmd = nil
	return err
}

// rssKB reads the server's resident memory from /proc/<pid>/status.
func (w *server) rssKB() int64 {
	if w.cmd == nil || w.cmd.Process == nil {
		return -1
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// call makes one request and decodes a JSON answer into out (if not nil).
func (w *server) call(ctx context.Context, method, path, token string, basic bool, body any, want int, out any) error {
	status, raw, _, err := w.do(ctx, method, path, token, basic, nil, body)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, status, want, redact(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// do makes one request, authenticated by a bearer token, by the admin's Basic credentials
// (basic) or by cookies, and returns the status, at most 1 MB of the body and the header.
func (w *server) do(ctx context.Context, method, path, token string, basic bool, cookies []*http.Cookie, body any) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.url+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if basic {
		req.SetBasicAuth("admin", w.password())
	} else if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, raw, resp.Header, nil
}

// tokenPattern matches a token in Grafana's format, so error reports can blank it out.
var tokenPattern = regexp.MustCompile(`glsa_[A-Za-z0-9]+_[0-9a-fA-F]+`)

// redact returns b as a string with every token plaintext in it replaced, cut to 300 bytes.
func redact(b []byte) string {
	s := tokenPattern.ReplaceAllString(string(b), "glsa_REDACTED")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// metrics scrapes /metrics and returns the value of each named sample without labels
// (missing ones are absent from the map).
func (w *server) metrics(ctx context.Context, names ...string) (map[string]float64, error) {
	status, raw, _, err := w.do(ctx, "GET", "/metrics", "", false, nil, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", status)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !want[name] {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	}
	return out, nil
}

// dataSize is the size of the SQLite files in the data directory (0 on PostgreSQL).
func (w *server) dataSize() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(filepath.Join(w.dir, "data", "warden.db"+suffix)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// adminToken creates an Admin-role service account and a token for it.
func (w *server) adminToken(ctx context.Context) (string, int64, error) {
	var sa struct{ ID int64 }
	if err := w.call(ctx, "POST", "/api/serviceaccounts", "", true, map[string]any{"name": "bench-admin", "role": "Admin"}, 201, &sa); err != nil {
		return "", 0, fmt.Errorf("create admin service account: %w", err)
	}
	var tk struct{ Key string }
	if err := w.call(ctx, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa.ID), "", true, map[string]any{"name": "bench-admin"}, 200, &tk); err != nil {
		return "", 0, fmt.Errorf("create admin token: %w", err)
	}
	return tk.Key, sa.ID, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
