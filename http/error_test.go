package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
)

// logBuffer collects JSON log records; it is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the log records written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// recordsFor returns the records carrying request_id id.
func (b *logBuffer) recordsFor(t *testing.T, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range b.records(t) {
		if rec["request_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

// newTestLogger returns a JSON logger at debug level writing to a buffer.
func newTestLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// withRequestID returns r carrying the request id logRequests would have given it.
func withRequestID(r *http.Request, id string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, &requestInfo{id: id}))
}

// body returns the response body without the encoder's trailing newline.
func body(w *httptest.ResponseRecorder) string {
	return strings.TrimSuffix(w.Body.String(), "\n")
}

func TestErrorStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "EINVALID", err: warden.Errorf(warden.EINVALID, "x"), want: http.StatusBadRequest},
		{name: "EUNAUTHORIZED", err: warden.Errorf(warden.EUNAUTHORIZED, "x"), want: http.StatusUnauthorized},
		{name: "EFORBIDDEN", err: warden.Errorf(warden.EFORBIDDEN, "x"), want: http.StatusForbidden},
		{name: "ENOTFOUND", err: warden.Errorf(warden.ENOTFOUND, "x"), want: http.StatusNotFound},
		{name: "ECONFLICT", err: warden.Errorf(warden.ECONFLICT, "x"), want: http.StatusConflict},
		{name: "EPRECONDITION", err: warden.Errorf(warden.EPRECONDITION, "x"), want: http.StatusPreconditionFailed},
		{name: "ETOOMANY", err: warden.Errorf(warden.ETOOMANY, "x"), want: http.StatusTooManyRequests},
		{name: "ENOTMODIFIED", err: warden.Errorf(warden.ENOTMODIFIED, "x"), want: http.StatusNotModified},
		{name: "EUNAVAILABLE", err: warden.Errorf(warden.EUNAVAILABLE, "x"), want: http.StatusServiceUnavailable},
		{name: "EINTERNAL", err: warden.Errorf(warden.EINTERNAL, "x"), want: http.StatusInternalServerError},
		{name: "unknown code", err: warden.Errorf("nonsense", "x"), want: http.StatusInternalServerError},
		{name: "wrapped code", err: fmt.Errorf("op: %w", warden.Errorf(warden.ENOTFOUND, "x")), want: http.StatusNotFound},
		{name: "body too large", err: errBodyTooLarge, want: http.StatusRequestEntityTooLarge},
		{name: "wrapped body too large", err: fmt.Errorf("read: %w", errBodyTooLarge), want: http.StatusRequestEntityTooLarge},
		{name: "same text, not the sentinel", err: warden.Errorf(warden.EINVALID, "Request body too large"), want: http.StatusBadRequest},
		{name: "plain error", err: errors.New("boom"), want: http.StatusInternalServerError},
		{name: "context canceled", err: context.Canceled, want: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorStatus(tt.err); got != tt.want {
				t.Errorf("errorStatus(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// TestErrorStatus_EveryCode guards the codes table: every code maps to the status its comment
// in the warden package names.
func TestErrorStatus_EveryCode(t *testing.T) {
	t.Parallel()
	want := map[string]int{
		warden.EINVALID: 400, warden.EUNAUTHORIZED: 401, warden.EFORBIDDEN: 403, warden.ENOTFOUND: 404,
		warden.ECONFLICT: 409, warden.EPRECONDITION: 412, warden.ETOOMANY: 429, warden.ENOTMODIFIED: 304,
		warden.EUNAVAILABLE: 503, warden.EINTERNAL: 500,
	}
	if got, want := len(codes), len(want); got != want {
		t.Errorf("len(codes) = %d, want %d", got, want)
	}
	for code, status := range want {
		if got := codes[code]; got != status {
			t.Errorf("codes[%q] = %d, want %d", code, got, status)
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string // without the trailing newline
		wantLogs   int    // records for the request
	}{
		{name: "plain message", err: warden.Errorf(warden.EINVALID, "Bad request data"),
			wantStatus: 400, wantBody: `{"message":"Bad request data"}`},
		{name: "structured message", err: warden.ErrorID(warden.ENOTFOUND, "serviceaccounts.ErrNotFound", "service account not found"),
			wantStatus: 404, wantBody: `{"message":"service account not found","messageId":"serviceaccounts.ErrNotFound","statusCode":404}`},
		{name: "structured conflict", err: warden.ErrorID(warden.ECONFLICT, "serviceaccounts.ErrAlreadyExists", "already exists"),
			wantStatus: 409, wantBody: `{"message":"already exists","messageId":"serviceaccounts.ErrAlreadyExists","statusCode":409}`},
		{name: "wrapped", err: fmt.Errorf("find: %w", warden.Errorf(warden.ENOTFOUND, "user not found")),
			wantStatus: 404, wantBody: `{"message":"user not found"}`},
		{name: "cause is not shown", err: &warden.Error{Code: warden.ECONFLICT, Message: "name taken", Err: errors.New("UNIQUE constraint failed: users.login")},
			wantStatus: 409, wantBody: `{"message":"name taken"}`},
		{name: "forbidden", err: warden.Errorf(warden.EFORBIDDEN, "Permission denied"),
			wantStatus: 403, wantBody: `{"message":"Permission denied"}`},
		{name: "precondition", err: warden.Errorf(warden.EPRECONDITION, "exists"),
			wantStatus: 412, wantBody: `{"message":"exists"}`},
		{name: "unavailable", err: warden.Errorf(warden.EUNAVAILABLE, "database unavailable"),
			wantStatus: 503, wantBody: `{"message":"database unavailable"}`},
		{name: "body too large", err: errBodyTooLarge,
			wantStatus: 413, wantBody: `{"message":"Request body too large"}`},
		{name: "internal with public message", err: warden.Errorf(warden.EINTERNAL, "Failed to update organization"),
			wantStatus: 500, wantBody: `{"message":"Failed to update organization"}`},
		{name: "internal with public message and cause", err: &warden.Error{Code: warden.EINTERNAL, Message: "Failed to add Member to Team", Err: errors.New("disk I/O error")},
			wantStatus: 500, wantBody: `{"message":"Failed to add Member to Team"}`, wantLogs: 1},
		{name: "internal without message", err: &warden.Error{Code: warden.EINTERNAL, Op: "x", Err: errors.New("driver: password=hunter2")},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error","traceID":"req-42"}`, wantLogs: 1},
		{name: "non-warden error", err: errors.New("sqlite: password=hunter2 at /var/lib/warden"),
			wantStatus: 500, wantBody: `{"message":"Internal Server Error","traceID":"req-42"}`, wantLogs: 1},
		{name: "wrapped non-warden error", err: fmt.Errorf("create token: %w", io.ErrUnexpectedEOF),
			wantStatus: 500, wantBody: `{"message":"Internal Server Error","traceID":"req-42"}`, wantLogs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			r := withRequestID(httptest.NewRequest("GET", "/api/x", nil), "req-42")
			w := httptest.NewRecorder()
			writeError(w, r, logger, tt.err)
			if got, want := w.Code, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := body(w), tt.wantBody; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "UNIQUE") {
				t.Errorf("body %s leaks the cause", w.Body.String())
			}
			if got, want := w.Header().Get("Retry-After"), ""; got != want {
				t.Errorf("Retry-After = %q, want %q", got, want)
			}
			recs := logs.records(t)
			if got, want := len(recs), tt.wantLogs; got != want {
				t.Fatalf("%d log records, want %d:\n%s", got, want, logs)
			}
			for _, rec := range recs {
				if got, want := rec["level"], "ERROR"; got != want {
					t.Errorf("level = %v, want %v", got, want)
				}
				if got, want := rec["request_id"], "req-42"; got != want {
					t.Errorf("request_id = %v, want %v", got, want)
				}
				if got, want := fmt.Sprint(rec["err"]), tt.err.Error(); got != want {
					t.Errorf("err = %q, want %q", got, want)
				}
			}
		})
	}
}

// A request whose client went away gets no error log line (the soak counted them as server
// errors): the cancelled work is logged at debug level and answered 499 for the access log.
func TestWriteError_ClientGone(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := withRequestID(httptest.NewRequest("GET", "/api/x", nil), "req-7").WithContext(ctx)
	w := httptest.NewRecorder()
	writeError(w, r, logger, fmt.Errorf("find service accounts: %w", context.Canceled))
	if w.Code != 499 || w.Body.Len() != 0 {
		t.Errorf("answer = %d %q, want 499 without a body", w.Code, w.Body)
	}
	for _, rec := range logs.records(t) {
		if rec["level"] == "ERROR" {
			t.Errorf("a cancelled request logged an error: %v", rec)
		}
	}
	// The context also ends when a body read times out; that client still reads its 400.
	w = httptest.NewRecorder()
	writeError(w, r, logger, warden.Errorf(warden.EINVALID, "Bad request data"))
	if w.Code != 400 || body(w) != `{"message":"Bad request data"}` {
		t.Errorf("a bad request on an ended context = %d %s, want 400 Bad request data", w.Code, w.Body)
	}
}

// TestWriteError_TraceIDIsRequestID runs writeError behind logRequests, so the trace id in the
// body is the real request id, and checks the log line carries the same id, once.
func TestWriteError_TraceIDIsRequestID(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	h := logRequests(logger, false, nil, newMetrics(prometheus.NewRegistry()), newRequestIDs(),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, logger, errors.New("secret detail"))
		}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", nil))

	if got, want := w.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	var resp struct {
		Message string  `json:"message"`
		TraceID *string `json:"traceID"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if got, want := resp.Message, "Internal Server Error"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if resp.TraceID == nil || *resp.TraceID == "" {
		t.Fatalf("traceID missing in %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "secret detail") {
		t.Errorf("body %s shows the error text", w.Body)
	}
	recs := logs.recordsFor(t, *resp.TraceID)
	if got, want := len(recs), 1; got != want {
		t.Fatalf("%d log records with request_id %q, want %d:\n%s", got, *resp.TraceID, want, logs)
	}
	if got, want := recs[0]["err"], "secret detail"; got != want {
		t.Errorf("logged err = %v, want %v", got, want)
	}
	if got, want := len(logs.records(t)), 1; got != want {
		t.Errorf("%d log records in all, want %d", got, want)
	}
}

func TestWriteError_NotModified(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	w := httptest.NewRecorder()
	writeError(w, withRequestID(httptest.NewRequest("GET", "/api/user", nil), "r"), logger,
		warden.Errorf(warden.ENOTMODIFIED, "not a user"))
	if got, want := w.Code, http.StatusNotModified; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got := w.Body.Len(); got != 0 {
		t.Errorf("body = %q, want none", w.Body)
	}
	if got := w.Header().Get("Content-Type"); got != "" {
		t.Errorf("Content-Type = %q, want none", got)
	}
	if got := logs.String(); got != "" {
		t.Errorf("logged %s, want nothing", got)
	}
}

func TestWriteError_TooManyRequests(t *testing.T) {
	t.Parallel()
	for _, write := range []struct {
		name string
		fn   func(http.ResponseWriter, *http.Request, *slog.Logger, error)
	}{
		{"writeError", writeError},
		{"writeAuthError", writeAuthError},
	} {
		t.Run(write.name, func(t *testing.T) {
			logger, _ := newTestLogger()
			w := httptest.NewRecorder()
			write.fn(w, httptest.NewRequest("POST", "/login", nil), logger,
				warden.ErrorID(warden.ETOOMANY, "login.attempts", "too many consecutive incorrect login attempts"))
			if got, want := w.Code, http.StatusTooManyRequests; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := w.Header().Get("Retry-After"), "60"; got != want {
				t.Errorf("Retry-After = %q, want %q", got, want)
			}
		})
	}
}

func TestWriteAuthError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantLogs   int
	}{
		{name: "unauthorized", err: warden.ErrUnauthorized, wantStatus: 401,
			wantBody: `{"extra":null,"message":"Unauthorized","messageId":"auth.unauthorized","statusCode":401,"traceID":""}`},
		{name: "plain", err: warden.Errorf(warden.EUNAUTHORIZED, "Invalid API key"), wantStatus: 401,
			wantBody: `{"extra":null,"message":"Invalid API key","traceID":""}`},
		{name: "forbidden", err: warden.ErrorID(warden.EFORBIDDEN, "auth.org", "no org"), wantStatus: 403,
			wantBody: `{"extra":null,"message":"no org","messageId":"auth.org","statusCode":403,"traceID":""}`},
		{name: "wrapped", err: fmt.Errorf("authenticate: %w", warden.ErrUnauthorized), wantStatus: 401,
			wantBody: `{"extra":null,"message":"Unauthorized","messageId":"auth.unauthorized","statusCode":401,"traceID":""}`},
		{name: "internal goes to writeError", err: errors.New("db down"), wantStatus: 500,
			wantBody: `{"message":"Internal Server Error","traceID":"req-7"}`, wantLogs: 1},
		{name: "unavailable goes to writeError", err: warden.Errorf(warden.EUNAVAILABLE, "database unavailable"), wantStatus: 503,
			wantBody: `{"message":"database unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			w := httptest.NewRecorder()
			writeAuthError(w, withRequestID(httptest.NewRequest("GET", "/api/x", nil), "req-7"), logger, tt.err)
			if got, want := w.Code, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := body(w), tt.wantBody; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if got, want := len(logs.records(t)), tt.wantLogs; got != want {
				t.Errorf("%d log records, want %d:\n%s", got, want, logs)
			}
		})
	}
}

func TestWriteAccessDenied(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	writeAccessDenied(w, withRequestID(httptest.NewRequest("POST", "/api/serviceaccounts", nil), "abcd1234-1"), "serviceaccounts:create")
	if got, want := w.Code, http.StatusForbidden; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	var resp map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if got, want := len(resp), 3; got != want {
		t.Errorf("%d keys in %s, want %d", got, w.Body, want)
	}
	if got, want := resp["title"], "Access denied"; got != want {
		t.Errorf("title = %v, want %v", got, want)
	}
	if got, want := resp["message"], "You'll need additional permissions to perform this action. Permissions needed: serviceaccounts:create"; got != want {
		t.Errorf("message = %v, want %v", got, want)
	}
	id, _ := resp["accessErrorId"].(string)
	if !regexp.MustCompile(`^ACE[0-9]{10}$`).MatchString(id) {
		t.Errorf("accessErrorId = %q, want ACE + 10 digits", id)
	}
}

func TestAccessErrorID(t *testing.T) {
	t.Parallel()
	ace := regexp.MustCompile(`^ACE[0-9]{10}$`)
	seen := map[string]bool{}
	for _, rid := range []string{"", "a", "deadbeef-1", "deadbeef-2", "deadbeef-zz", strings.Repeat("f", 200)} {
		r := withRequestID(httptest.NewRequest("GET", "/", nil), rid)
		got := accessErrorID(r)
		if !ace.MatchString(got) {
			t.Errorf("accessErrorID(%q) = %q, want ACE + 10 digits", rid, got)
		}
		if again := accessErrorID(r); again != got {
			t.Errorf("accessErrorID(%q) = %q then %q, want the same", rid, got, again)
		}
		seen[got] = true
	}
	if got, want := len(seen), 6; got != want {
		t.Errorf("%d distinct ids for 6 request ids, want %d", got, want)
	}
	// Without logRequests there is no request id; the id is still well formed.
	if got := accessErrorID(httptest.NewRequest("GET", "/", nil)); !ace.MatchString(got) {
		t.Errorf("accessErrorID without request id = %q", got)
	}
}
