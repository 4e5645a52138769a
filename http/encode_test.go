package http

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// decodeTarget is what the decode tests decode into.
type decodeTarget struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

const badData = "bad request data"

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string // "" sends no Content-Type
		body        string
		want        decodeTarget
		wantErr     bool // the error must then be the bad-request message
	}{
		{name: "no content type", body: `{"name":"a","count":2}`, want: decodeTarget{Name: "a", Count: 2}},
		{name: "json", contentType: "application/json", body: `{"name":"a"}`, want: decodeTarget{Name: "a"}},
		{name: "json with charset", contentType: "application/json; charset=utf-8", body: `{"name":"a"}`, want: decodeTarget{Name: "a"}},
		{name: "json upper case", contentType: "Application/JSON", body: `{"name":"a"}`, want: decodeTarget{Name: "a"}},
		{name: "vendor json", contentType: "application/vnd.x+json", body: `{"count":7}`, want: decodeTarget{Count: 7}},
		{name: "names match case-insensitively", body: `{"NAME":"a","Count":1}`, want: decodeTarget{Name: "a", Count: 1}},
		{name: "unknown fields ignored", body: `{"name":"a","other":[1,2]}`, want: decodeTarget{Name: "a"}},
		{name: "empty body", contentType: "application/json", body: ``},
		{name: "whitespace body", contentType: "application/json", body: " \n\t\r "},
		{name: "null body", body: `null`},
		{name: "text/plain", contentType: "text/plain", body: `{"name":"a"}`, wantErr: true},
		{name: "form encoded", contentType: "application/x-www-form-urlencoded", body: `name=a`, wantErr: true},
		{name: "multipart", contentType: "multipart/form-data; boundary=x", body: `--x--`, wantErr: true},
		{name: "malformed media type", contentType: "application/", body: `{"name":"a"}`, wantErr: true},
		{name: "malformed parameter", contentType: "application/json; charset", body: `{"name":"a"}`, wantErr: true},
		{name: "json suffix only in parameter", contentType: "text/plain; x=+json", body: `{}`, wantErr: true},
		{name: "string for int", body: `{"count":"7"}`, wantErr: true},
		{name: "number for string", body: `{"name":5}`, wantErr: true},
		{name: "array for object", body: `[1,2]`, wantErr: true},
		{name: "truncated", body: `{"name":`, wantErr: true},
		{name: "trailing garbage", body: `{"name":"a"} x`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, err := decode[decodeTarget](httptest.NewRecorder(), r, badData)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decode = %+v, nil; want error %q", got, badData)
				}
				if got, want := warden.ErrorCode(err), warden.EINVALID; got != want {
					t.Errorf("code = %q, want %q", got, want)
				}
				if got, want := warden.ErrorMessage(err), badData; got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
				if got, want := errorStatus(err), http.StatusBadRequest; got != want {
					t.Errorf("status = %d, want %d", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got != tt.want {
				t.Errorf("decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// oneByteReader hides its type and length from httptest.NewRequest, so the request has no
// Content-Length, like a chunked upload.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestDecode_BodySize(t *testing.T) {
	t.Parallel()
	// A JSON string padded with spaces to exactly n bytes.
	body := func(n int) string {
		const v = `{"name":"a"}`
		return v + strings.Repeat(" ", n-len(v))
	}
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr error
	}{
		{name: "exactly 1 MiB", size: maxBodyBytes},
		{name: "1 MiB + 1", size: maxBodyBytes + 1, wantErr: errBodyTooLarge},
		{name: "2 MiB", size: 2 * maxBodyBytes, wantErr: errBodyTooLarge},
		{name: "chunked 1 MiB", size: maxBodyBytes, chunked: true},
		{name: "chunked 1 MiB + 1", size: maxBodyBytes + 1, chunked: true, wantErr: errBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader = strings.NewReader(body(tt.size))
			if tt.chunked {
				rd = oneByteReader{rd}
			}
			r := httptest.NewRequest("POST", "/x", rd)
			if tt.chunked && r.ContentLength != -1 && r.ContentLength != 0 {
				t.Fatalf("ContentLength = %d, want unknown", r.ContentLength)
			}
			r.Header.Set("Content-Type", "application/json")
			got, err := decode[decodeTarget](httptest.NewRecorder(), r, badData)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if got.Name != "a" {
					t.Errorf("Name = %q, want %q", got.Name, "a")
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got, want := errorStatus(err), http.StatusRequestEntityTooLarge; got != want {
				t.Errorf("errorStatus = %d, want %d", got, want)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	encode(w, http.StatusCreated, message{"ok"})
	if got, want := w.Code, http.StatusCreated; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := w.Body.String(), `{"message":"ok"}`+"\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestPathID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    int64
		wantErr bool
	}{
		{name: "number", value: "42", want: 42},
		{name: "max int64", value: "9223372036854775807", want: 1<<63 - 1},
		{name: "empty", value: "", wantErr: true},
		{name: "letters", value: "abc", wantErr: true},
		{name: "uid-like", value: "a1b2c3", wantErr: true},
		{name: "overflow", value: "9223372036854775808", wantErr: true},
		{name: "decimal", value: "1.5", wantErr: true},
		{name: "space", value: " 1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.SetPathValue("serviceAccountId", tt.value)
			got, err := pathID(r, "serviceAccountId")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("pathID = %d, nil; want error", got)
				}
				if got, want := warden.ErrorMessage(err), "serviceAccountId is invalid"; got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
				if got, want := errorStatus(err), http.StatusBadRequest; got != want {
					t.Errorf("status = %d, want %d", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("pathID: %v", err)
			}
			if got != tt.want {
				t.Errorf("pathID = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestQueryInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{name: "absent", query: "", want: 7},
		{name: "empty", query: "n=", want: 7},
		{name: "number", query: "n=12", want: 12},
		{name: "negative", query: "n=-3", want: -3},
		{name: "letters", query: "n=abc", want: 7},
		{name: "decimal", query: "n=1.5", want: 7},
		{name: "overflow", query: "n=99999999999999999999", want: 7},
		{name: "first of several", query: "n=3&n=4", want: 3},
		{name: "other name", query: "m=3", want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x?"+tt.query, nil)
			if got := queryInt(r, "n", 7); got != tt.want {
				t.Errorf("queryInt(%q) = %d, want %d", tt.query, got, tt.want)
			}
		})
	}
}

func TestQueryBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		want  bool
	}{
		{"", false},
		{"b=", false},
		{"b=true", true},
		{"b=TRUE", true},
		{"b=True", true},
		{"b=t", true},
		{"b=T", true},
		{"b=1", true},
		{"b=false", false},
		{"b=0", false},
		{"b=f", false},
		{"b=yes", false},
		{"b=on", false},
		{"b=2", false},
		{"b=tRuE", false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x?"+tt.query, nil)
			if got := queryBool(r, "b"); got != tt.want {
				t.Errorf("queryBool(%q) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		query       string
		wantPage    int
		wantPerPage int
		wantOffset  int
	}{
		{name: "defaults", query: "", wantPage: 1, wantPerPage: 1000, wantOffset: 0},
		{name: "page 2 of 10", query: "page=2&perpage=10", wantPage: 2, wantPerPage: 10, wantOffset: 10},
		{name: "page 3 default size", query: "page=3", wantPage: 3, wantPerPage: 1000, wantOffset: 2000},
		{name: "perpage 1", query: "perpage=1&page=5", wantPage: 5, wantPerPage: 1, wantOffset: 4},
		{name: "perpage 1000", query: "perpage=1000", wantPage: 1, wantPerPage: 1000, wantOffset: 0},
		{name: "perpage 0", query: "perpage=0", wantPage: 1, wantPerPage: 1000, wantOffset: 0},
		{name: "perpage -5", query: "perpage=-5", wantPage: 1, wantPerPage: 1000, wantOffset: 0},
		{name: "perpage 5000", query: "perpage=5000", wantPage: 1, wantPerPage: 1000, wantOffset: 0},
		{name: "perpage abc", query: "perpage=abc&page=2", wantPage: 2, wantPerPage: 1000, wantOffset: 1000},
		{name: "page 0", query: "page=0&perpage=10", wantPage: 1, wantPerPage: 10, wantOffset: 0},
		{name: "page -3", query: "page=-3&perpage=10", wantPage: 1, wantPerPage: 10, wantOffset: 0},
		{name: "page abc", query: "page=abc&perpage=10", wantPage: 1, wantPerPage: 10, wantOffset: 0},
		// "perPage" is not Grafana's spelling; only "perpage" counts.
		{name: "camel case perPage ignored", query: "perPage=10", wantPage: 1, wantPerPage: 1000, wantOffset: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x?"+tt.query, nil)
			page, perPage, offset := paging(r)
			if page != tt.wantPage || perPage != tt.wantPerPage || offset != tt.wantOffset {
				t.Errorf("paging(%q) = %d, %d, %d; want %d, %d, %d", tt.query,
					page, perPage, offset, tt.wantPage, tt.wantPerPage, tt.wantOffset)
			}
		})
	}
}

// TestPaging_NoOverflow checks that no page number, however large, makes the offset negative
// or larger than 2^30 (so it fits an int32 and a SQL OFFSET on any platform).
func TestPaging_NoOverflow(t *testing.T) {
	t.Parallel()
	pages := []string{
		"1073741", "1073742", "1073743", "2000000", "1000000000",
		strconv.Itoa(1<<31 - 1), strconv.Itoa(1 << 31), strconv.FormatInt(1<<62, 10),
		"9223372036854775807", "9223372036854775808", "99999999999999999999999",
	}
	for _, pg := range pages {
		for _, pp := range []string{"", "1", "7", "999", "1000", "1001"} {
			t.Run(pg+"/"+pp, func(t *testing.T) {
				r := httptest.NewRequest("GET", "/x?page="+pg+"&perpage="+pp, nil)
				page, perPage, offset := paging(r)
				if offset < 0 || offset > 1<<30 {
					t.Errorf("offset = %d, want 0…2^30", offset)
				}
				if page < 1 {
					t.Errorf("page = %d, want >= 1", page)
				}
				if perPage < 1 || perPage > 1000 {
					t.Errorf("perPage = %d, want 1…1000", perPage)
				}
				if got, want := offset, (page-1)*perPage; got != want {
					t.Errorf("offset = %d, want (page-1)*perPage = %d", got, want)
				}
			})
		}
	}
}

// TestPaging_Monotonic checks that clamping never sends a later page before an earlier one.
func TestPaging_Monotonic(t *testing.T) {
	t.Parallel()
	prev := -1
	for _, pg := range []int{1, 2, 10, 1000, 1073740, 1073741, 1073742, 1 << 40} {
		r := httptest.NewRequest("GET", "/x?perpage=1000&page="+strconv.Itoa(pg), nil)
		_, _, offset := paging(r)
		if offset < prev {
			t.Errorf("page %d: offset %d < previous %d", pg, offset, prev)
		}
		prev = offset
	}
}
