package main

// Hostile input that only the real net/http server sees (tracker issue 8): oversized headers,
// control characters on the wire, slow and lying bodies. The rest of the bad-input table runs
// in process, in http/badinput_test.go. Answers written by net/http itself, before Warden's
// handler runs (431, and 400 for a malformed request), are net/http's plain text; everything
// that reaches Warden is Grafana's JSON error.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawExchange writes req to a new connection to ts as is and reads one response. With stall,
// it holds back the last holdBack bytes of req for 1.5 s (past the test server's read timeout)
// before sending them.
func rawExchange(t *testing.T, ts *testServer, req string, stall bool, holdBack int) (*http.Response, []byte) {
	t.Helper()
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if stall {
		if _, err := io.WriteString(conn, req[:len(req)-holdBack]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		req = req[len(req)-holdBack:]
	}
	// The server may answer and close before it has read everything (an oversized header):
	// a failed write is expected then, and the answer is still there to read.
	_, _ = io.WriteString(conn, req)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// rawRequest builds an HTTP/1.1 request; headers are written exactly as given.
func rawRequest(method, path string, headers []string, body string) string {
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: warden.test\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String()
}

func basicAuthHeader(user, pass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// jsonMessage returns the "message" of a JSON error body, or fails.
func jsonMessage(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == nil || *e.Message == "" {
		t.Fatalf("body is not a JSON error with a message: %.300s", body)
	}
	return *e.Message
}

func TestBadInput_Wire(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{
		"WARDEN_SERVER_MAX_HEADER_BYTES": "16384",
		"WARDEN_SERVER_READ_TIMEOUT":     "1s",
	})
	admin := basicAuthHeader("admin", ts.Password)
	jsonType := "Content-Type: application/json"
	pad := func(n int) string { return "X-Pad: " + strings.Repeat("a", n) }

	tests := []struct {
		name       string
		req        string
		stall      bool // stall 1.5 s (past the 1 s read timeout) before the last holdBack bytes
		holdBack   int
		wantStatus int
		// wantMessage is the JSON message of Warden's answer; "" marks an answer net/http
		// writes itself (plain text), checked for its status only.
		wantMessage string
	}{
		// Header size: MaxHeaderBytes (16 KiB here; net/http allows 4 KiB of slack).
		{name: "header just under the limit", req: rawRequest("GET", "/api/org", []string{pad(12 << 10),
			"Authorization: Bearer glsa_garbage"}, ""), wantStatus: 401, wantMessage: "Invalid API key"},
		{name: "one header over the limit", req: rawRequest("GET", "/api/org", []string{pad(64 << 10), admin}, ""),
			wantStatus: 431},
		{name: "authorization over the limit", req: rawRequest("GET", "/api/org",
			[]string{"Authorization: Bearer " + strings.Repeat("A", 64<<10)}, ""), wantStatus: 431},
		{name: "many small headers over the limit", req: rawRequest("GET", "/api/org",
			append(strings.Split(strings.Repeat("X-Many: 0123456789abcdef\n", 2000), "\n")[:2000], admin), ""),
			wantStatus: 431},
		{name: "login with a header over the limit", req: rawRequest("POST", "/login", []string{pad(64 << 10), jsonType,
			"Content-Length: 2"}, "{}"), wantStatus: 431},

		// Control characters on the wire are malformed HTTP: net/http answers 400 itself.
		{name: "NUL in authorization", req: rawRequest("GET", "/api/org", []string{"Authorization: Bearer a\x00b"}, ""),
			wantStatus: 400},
		{name: "bare CR in org header", req: rawRequest("GET", "/api/org", []string{admin, "X-Grafana-Org-Id: 1\rX-Injected: 1"}, ""),
			wantStatus: 400},
		{name: "NUL in org header", req: rawRequest("GET", "/api/org", []string{admin, "X-Grafana-Org-Id: 1\x00"}, ""),
			wantStatus: 400},
		// CRLF inside a header on the wire just ends it: the "injected" line is another
		// header, which Warden ignores; the org header still names org 1.
		{name: "CRLF in org header", req: rawRequest("GET", "/api/org", []string{admin, "X-Grafana-Org-Id: 1\r\nX-Injected: 1"}, ""),
			wantStatus: 200},
		{name: "org header overflowing int64", req: rawRequest("GET", "/api/org", []string{admin, "X-Grafana-Org-Id: 99999999999999999999"}, ""),
			wantStatus: 200},

		// Bodies.
		{name: "Content-Length over the limit, body never sent", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 2097152"}, `{"name":"x"}`), wantStatus: 413, wantMessage: "Request body too large"},
		{name: "Content-Length 2^63-1", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 9223372036854775807"}, `{"name":"x"}`), wantStatus: 413, wantMessage: "Request body too large"},
		{name: "Content-Length overflowing int64", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 99999999999999999999"}, `{"name":"x"}`), wantStatus: 400},
		{name: "negative Content-Length", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: -1"}, `{"name":"x"}`), wantStatus: 400},
		{name: "two different Content-Lengths", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 12", "Content-Length: 13"}, `{"name":"x"} `), wantStatus: 400},
		{name: "chunked body over the limit", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Transfer-Encoding: chunked"}, chunked(`{"name":"x"}`+strings.Repeat(" ", 2<<20))),
			wantStatus: 413, wantMessage: "Request body too large"},
		{name: "Content-Length shorter than the JSON", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 9"}, `{"name":"short"}`), wantStatus: 400, wantMessage: "Bad request data"},
		// A client that stops sending its body is cut off by the read timeout (1 s here); the
		// handler sees a failed read: 400, not a 5xx and not a hung connection.
		{name: "body stalls past the read timeout", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 100"}, `{"name":"slow"`+strings.Repeat(" ", 86)),
			stall: true, holdBack: 10, wantStatus: 400, wantMessage: "Bad request data"},
		{name: "Content-Length longer than what is sent", req: rawRequest("POST", "/api/serviceaccounts",
			[]string{admin, jsonType, "Content-Length: 1000"}, `{"name":"liar"}`),
			stall: true, wantStatus: 400, wantMessage: "Bad request data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := rawExchange(t, ts, tt.req, tt.stall, tt.holdBack)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body: %.300s", resp.StatusCode, tt.wantStatus, body)
			}
			if _, ok := resp.Header["X-Injected"]; ok {
				t.Errorf("injected response header: %q", resp.Header["X-Injected"])
			}
			if tt.wantMessage != "" {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				if got := jsonMessage(t, body); got != tt.wantMessage {
					t.Errorf("message = %q, want %q", got, tt.wantMessage)
				}
			}
			if tt.wantStatus == 200 {
				var org struct{ ID int64 }
				if err := json.Unmarshal(body, &org); err != nil || org.ID != 1 {
					t.Errorf("body = %.300s, want org 1", body)
				}
			}
		})
	}
	// The server is still healthy after all of that.
	ts.anon().expect(t, http.StatusOK, "GET", "/api/health", nil)
}

// chunked encodes body as one chunk and the terminating chunk.
func chunked(body string) string {
	return strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
}

// Text no name or id can hold (a NUL, invalid UTF-8) in a path or query string is refused with
// 400 on every store — PostgreSQL cannot even compare it, where SQLite answered 404 — and a
// header kept as text (the User-Agent of a session) is stored cleaned, never a 500. The
// test-postgres stage of .ci/run runs this on PostgreSQL.
func TestBadInput_UnstorableText(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	auth := basicAuthHeader("admin", ts.Password)
	for _, target := range []string{
		"/api/serviceaccounts/search?query=a%ffb",
		"/api/serviceaccounts/search?query=a%00b",
		"/api/serviceaccounts/a%00b",
		"/api/serviceaccounts/a%ffb/tokens",
		"/api/teams/a%00b",
		"/api/users/a%ffb",
		"/api/users/lookup?loginOrEmail=a%00b",
		"/api/org/users/lookup?query=a%c3",
		"/api/audit?actor=a%00b",
	} {
		resp, body := rawExchange(t, ts, rawRequest("GET", target, []string{auth}, ""), false, 0)
		if resp.StatusCode != http.StatusBadRequest || jsonMessage(t, body) != "Bad request data" {
			t.Errorf("GET %s: %d %s, want 400 Bad request data", target, resp.StatusCode, body)
		}
	}
	for _, ua := range []string{"agent \xff\xfe", strings.Repeat("é", 150)} { // 300 bytes: cut mid-character at 200
		body := `{"user":"admin","password":"` + ts.Password + `"}`
		resp, got := rawExchange(t, ts, rawRequest("POST", "/login", []string{"Content-Type: application/json",
			"User-Agent: " + ua, "Content-Length: " + strconv.Itoa(len(body))}, body), false, 0)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("sign-in with User-Agent %q: %d %s, want 200", ua, resp.StatusCode, got)
		}
	}
}
