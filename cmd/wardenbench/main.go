// Command wardenbench measures Warden as shipped: it builds cmd/warden, seeds a temporary
// database with `warden admin seed`, runs `warden server` on 127.0.0.1 and drives it with a
// load generator (wrk when it is on PATH, else a built-in Go one), beside a bare net/http handler that returns the same bytes as
// GET /api/org, so the table shows what Warden's own work costs.
//
//	go run ./cmd/wardenbench [-duration 10s] [-conns 32] [-accounts 1000 -tokens 10000] [-no-wrk]
//	go run ./cmd/wardenbench -scale [-accounts 100000 -tokens 1000000]
//
// Everything runs on loopback; every loop is bounded in time and count; the Warden process and
// the temporary directory are removed on every exit path.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wardenhq/warden"
)

// maxPerWorker bounds the latencies one load worker records, and so its requests.
const maxPerWorker = 2_000_000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wardenbench:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	duration time.Duration
	conns    int
	accounts int
	tokens   int
	scale    bool
	noWrk    bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wardenbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "load duration per case (at most 5m)")
	fs.IntVar(&o.conns, "conns", 32, "concurrent connections per load case (1..1024)")
	fs.IntVar(&o.accounts, "accounts", 1000, "service accounts to seed (-scale: 100000)")
	fs.IntVar(&o.tokens, "tokens", 10000, "tokens to seed (-scale: 1000000)")
	fs.BoolVar(&o.noWrk, "no-wrk", false, "use the built-in Go load generator even when wrk is on PATH")
	fs.BoolVar(&o.scale, "scale", false, "run the scale benchmark instead of the load benchmark")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.scale {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["accounts"] {
			o.accounts = 100_000
		}
		if !set["tokens"] {
			o.tokens = 1_000_000
		}
	}
	if o.duration <= 0 || o.duration > 5*time.Minute || o.conns < 1 || o.conns > 1024 || o.accounts < 1 || o.tokens < 1 {
		return errors.New("bad flags: need 0 < duration <= 5m, 1 <= conns <= 1024, accounts and tokens >= 1")
	}

	dir, err := os.MkdirTemp("", "wardenbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "warden")
	fmt.Fprintln(stderr, "building cmd/warden ...")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/wardenhq/warden/cmd/warden")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}

	w, err := newWarden(dir, bin)
	if err != nil {
		return err
	}
	seedStart := time.Now()
	fmt.Fprintf(stderr, "seeding %d accounts / %d tokens ...\n", o.accounts, o.tokens)
	if err := w.seed(ctx, o.accounts, o.tokens, stderr); err != nil {
		return err
	}
	seedTime := time.Since(seedStart)
	if err := w.start(ctx); err != nil {
		w.stop()
		return err
	}
	defer w.stop()
	fmt.Fprintf(stdout, "Seeded %d service accounts and %d tokens in %s.\n", o.accounts, o.tokens, seedTime.Round(time.Millisecond))

	adminToken, adminSA, err := w.adminToken(ctx)
	if err != nil {
		return err
	}
	if o.scale {
		return scaleBench(ctx, w, adminToken, adminSA, stdout)
	}
	return loadBench(ctx, w, o, adminToken, stdout, stderr)
}

// server is one Warden server process started by the benchmark.
type server struct {
	dir, bin, url string
	env           []string
	samples       []string // plaintext sample tokens from the seed
	cmd           *exec.Cmd
	done          chan error
	client        *http.Client
}

func newWarden(dir, bin string) (*server, error) {
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
	return &server{dir: dir, bin: bin, env: env, url: fmt.Sprintf("http://127.0.0.1:%d", port),
		client: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (w *server) password() string {
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "WARDEN_SECURITY_ADMIN_PASSWORD="); ok {
			return v
		}
	}
	return ""
}

// seed runs `warden admin seed` and keeps the sample tokens it writes.
func (w *server) seed(ctx context.Context, accounts, tokens int, stderr io.Writer) error {
	out := filepath.Join(w.dir, "tokens.txt")
	cmd := exec.CommandContext(ctx, w.bin, "admin", "seed", "--accounts", strconv.Itoa(accounts),
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

// stop ends the server: SIGTERM, then SIGKILL after 10 s.
func (w *server) stop() {
	if w.cmd == nil || w.cmd.Process == nil {
		return
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
	}
	w.cmd = nil
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
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if basic {
		req.SetBasicAuth("admin", w.password())
	} else if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
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

// stats summarises one set of latencies.
type stats struct {
	n        int
	errs     int
	sockErrs int
	rps      float64
	p50, p99 time.Duration
	statuses map[int]int
}

func summarize(lat []time.Duration, elapsed time.Duration) stats {
	s := stats{n: len(lat)}
	if elapsed > 0 {
		s.rps = float64(len(lat)) / elapsed.Seconds()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		s.p50 = lat[len(lat)*50/100]
		s.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return s
}

// load drives url with conns connections for d: each request is built by next(i) (i counts the
// worker's requests) and must answer want. It is bounded by d and by maxPerWorker requests.
func load(ctx context.Context, d time.Duration, conns int, want int, next func(worker, i int) *http.Request) stats {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	statuses := map[int]int{}
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			st := map[int]int{}
			e := 0
			buf := make([]byte, 32<<10)
			for i := 0; i < maxPerWorker && ctx.Err() == nil; i++ {
				req := next(worker, i).WithContext(ctx)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						e++
					}
					continue
				}
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						break
					}
				}
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				st[resp.StatusCode]++
				if resp.StatusCode != want {
					e++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			for k, v := range st {
				statuses[k] += v
			}
			errs += e
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	s := summarize(all, time.Since(start))
	s.errs, s.statuses = errs, statuses
	return s
}

// loadBench runs the load cases and prints the table.
func loadBench(ctx context.Context, w *server, o options, adminToken string, stdout, stderr io.Writer) error {
	// The bare handler answers with the very bytes and content type of GET /api/org.
	req, _ := http.NewRequestWithContext(ctx, "GET", w.url+"/api/org", nil)
	req.Header.Set("Authorization", "Bearer "+w.samples[0])
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	orgBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("GET /api/org with a seeded token: status %d: %v", resp.StatusCode, err)
	}
	ctype := resp.Header.Get("Content-Type")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", ctype)
		rw.Write(orgBody)
	}), ReadHeaderTimeout: 10 * time.Second}
	go bare.Serve(ln)
	defer bare.Close()
	bareURL := "http://" + ln.Addr().String()

	// Distinct well-formed unknown tokens: valid checksum, random secret.
	unknown := make([]string, 4096)
	for i := range unknown {
		s, err := warden.NewSecret(rand.Reader)
		if err != nil {
			return err
		}
		unknown[i] = s.Reveal()
	}
	garbage := "glsa_not-a-token"
	flood := make([]string, 0, len(unknown)+len(unknown)/7)
	for i, u := range unknown {
		flood = append(flood, u)
		if i%7 == 6 {
			flood = append(flood, garbage) // 1 request in 8 is malformed
		}
	}
	cases := []benchCase{
		{"bare net/http handler (same bytes as /api/org)", bareURL + "/api/org", []string{""}, 200},
		{fmt.Sprintf("GET /api/org, token auth (%d seeded tokens in turn)", len(w.samples)), w.url + "/api/org", w.samples, 200},
		{"GET /api/serviceaccounts/search?perpage=10, Admin SA token", w.url + "/api/serviceaccounts/search?perpage=10", []string{adminToken}, 200},
		{"invalid-token flood (7/8 distinct unknown well-formed, 1/8 garbage)", w.url + "/api/org", flood, 401},
	}
	wrk := ""
	if !o.noWrk {
		wrk, _ = exec.LookPath("wrk")
	}
	generator := "built-in Go load generator (in the same process, sharing the 2 cores)"
	if wrk != "" {
		generator = "wrk -t2 (" + wrk + ")"
	}
	results := make([]stats, len(cases))
	for i, c := range cases {
		fmt.Fprintf(stderr, "running %s for %s with %d connections ...\n", c.name, o.duration, o.conns)
		if wrk != "" {
			results[i], err = runWrk(ctx, wrk, w.dir, c, o)
			if err != nil {
				return err
			}
		} else {
			results[i] = load(ctx, o.duration, o.conns, c.want, c.next)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	fmt.Fprintf(stdout, "\nLoad: %d connections, %s per case, 127.0.0.1, %s\n\n", o.conns, o.duration, generator)
	fmt.Fprintf(stdout, "| case | requests | req/s | p50 | p99 | req/s vs bare | unexpected status/errors |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for i, c := range cases {
		r := results[i]
		ratio := 0.0
		if results[0].rps > 0 {
			ratio = r.rps / results[0].rps
		}
		fmt.Fprintf(stdout, "| %s | %d | %.0f | %s | %s | %.2f | %d |\n", c.name, r.n, r.rps, fmtDur(r.p50), fmtDur(r.p99), ratio, r.errs)
	}
	if fi, err := os.Stat(filepath.Join(w.dir, "server.log")); err == nil {
		fmt.Fprintf(stdout, "\nAccess log written during the run: %.1f MB\n", float64(fi.Size())/1e6)
	}
	fmt.Fprintf(stdout, "Warden resident memory at the end: %.1f MB\n", float64(w.rssKB())/1024)
	return nil
}

// benchCase is one load case: GET url, with the tokens sent in turn ("" sends none).
type benchCase struct {
	name   string
	url    string
	tokens []string
	want   int
}

// next builds the i-th request of a worker for the built-in generator.
func (c benchCase) next(worker, i int) *http.Request {
	r, _ := http.NewRequest("GET", c.url, nil)
	if t := c.tokens[(worker*7919+i)%len(c.tokens)]; t != "" {
		r.Header.Set("Authorization", "Bearer "+t)
	}
	return r
}

// runWrk runs one case with wrk and a Lua script that sends the case's tokens in turn. wrk
// counts every non-2xx/3xx answer, so for a case expecting 401 those are the expected ones.
func runWrk(ctx context.Context, wrk, dir string, c benchCase, o options) (stats, error) {
	var lua strings.Builder
	lua.WriteString("local tokens = {")
	for _, t := range c.tokens {
		fmt.Fprintf(&lua, "%q,", t)
	}
	lua.WriteString(`}
local i = 0
function setup(thread) thread:set("off", math.random(1, #tokens)) end
function request()
  i = i + 1
  local t = tokens[((i + off) % #tokens) + 1]
  if t == "" then return wrk.format("GET") end
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. t})
end
`)
	script := filepath.Join(dir, "case.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		return stats{}, err
	}
	defer os.Remove(script)
	ctx, cancel := context.WithTimeout(ctx, o.duration+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, "-t2", "-c"+strconv.Itoa(o.conns), "-d"+strconv.Itoa(max(1, int(o.duration.Seconds())))+"s",
		"--latency", "-s", script, c.url).CombinedOutput()
	if err != nil {
		return stats{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	var s stats
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			s.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "50%":
			s.p50, _ = time.ParseDuration(strings.Replace(f[1], "us", "µs", 1))
		case len(f) == 2 && f[0] == "99%":
			s.p99, _ = time.ParseDuration(strings.Replace(f[1], "us", "µs", 1))
		case len(f) >= 2 && f[1] == "requests" && f[2] == "in":
			s.n, _ = strconv.Atoi(f[0])
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			s.errs, _ = strconv.Atoi(f[len(f)-1])
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0": count them as errors.
			for _, v := range f[2:] {
				if n, err := strconv.Atoi(strings.TrimSuffix(v, ",")); err == nil {
					s.sockErrs += n
				}
			}
		}
	}
	if c.want != 200 {
		s.errs = s.n - s.errs // here the non-2xx answers are the expected ones
	}
	s.errs += s.sockErrs
	return s, nil
}

// scaleBench measures search, token creation, cold and warm token checks, memory and file size.
func scaleBench(ctx context.Context, w *server, adminToken string, adminSA int64, stdout io.Writer) error {
	rssStart := w.rssKB()
	timed := func(n int, f func(i int) error) ([]time.Duration, error) {
		lat := make([]time.Duration, 0, n)
		for i := 0; i < n && ctx.Err() == nil; i++ {
			t0 := time.Now()
			if err := f(i); err != nil {
				return nil, err
			}
			lat = append(lat, time.Since(t0))
		}
		return lat, ctx.Err()
	}
	// Cold: the first use of each sample token since the server started.
	ncold := min(len(w.samples), 128)
	cold, err := timed(ncold, func(i int) error { return w.call(ctx, "GET", "/api/org", w.samples[i], false, nil, 200, nil) })
	if err != nil {
		return fmt.Errorf("cold auth: %w", err)
	}
	warm, err := timed(5*ncold, func(i int) error { return w.call(ctx, "GET", "/api/org", w.samples[i%ncold], false, nil, 200, nil) })
	if err != nil {
		return fmt.Errorf("warm auth: %w", err)
	}
	queries := []string{"", "seed", "0000", "12345", "99", "bench", "no-such-account", "SEED-"}
	search, err := timed(200, func(i int) error {
		q := queries[i%len(queries)]
		page := 1 + (i*37)%50
		perpage := []int{10, 50, 100}[i%3]
		path := fmt.Sprintf("/api/serviceaccounts/search?query=%s&page=%d&perpage=%d", q, page, perpage)
		return w.call(ctx, "GET", path, adminToken, false, nil, 200, nil)
	})
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	create, err := timed(100, func(i int) error {
		return w.call(ctx, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", adminSA), adminToken, false,
			map[string]any{"name": fmt.Sprintf("bench-create-%d", i)}, 200, nil)
	})
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	var dbSize int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(filepath.Join(w.dir, "data", "warden.db"+suffix)); err == nil {
			dbSize += fi.Size()
		}
	}
	row := func(name string, lat []time.Duration) {
		s := summarize(lat, 0)
		fmt.Fprintf(stdout, "| %s | %d | %s | %s |\n", name, s.n, fmtDur(s.p50), fmtDur(s.p99))
	}
	fmt.Fprintf(stdout, "\nScale: sequential requests over HTTP on 127.0.0.1\n\n| measurement | n | p50 | p99 |\n|---|---:|---:|---:|\n")
	row("token auth, cold (first use of a seeded token): GET /api/org", cold)
	row("token auth, warm (same tokens again): GET /api/org", warm)
	row("search, various queries/pages/perpage (Admin SA token)", search)
	row("token create over the API", create)
	fmt.Fprintf(stdout, "\nWarden resident memory: %.1f MB after start, %.1f MB at the end\n", float64(rssStart)/1024, float64(w.rssKB())/1024)
	fmt.Fprintf(stdout, "Database size (warden.db + -wal + -shm): %.1f MB\n", float64(dbSize)/1e6)
	return nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0f µs", float64(d)/1e3)
}
