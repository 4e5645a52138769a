package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// maxBodyBytes bounds every request body; a larger one is refused with 413.
const maxBodyBytes = 1 << 20

// errBodyTooLarge is returned by decode when the body exceeds maxBodyBytes.
var errBodyTooLarge = warden.Errorf(warden.EINVALID, "Request body too large")

// decode reads a JSON body into v the way Grafana binds it: unknown fields are ignored, names
// match case-insensitively, an empty body decodes to the zero value. A missing Content-Type is
// accepted; any other than JSON is refused. Unlike Grafana, a body that is not valid UTF-8 is
// refused rather than stored with U+FFFD in place of the bad bytes, and so is a string holding
// NUL, which PostgreSQL cannot store. Every failure is a *warden.Error carrying badMessage,
// except an oversized body (413) and a value of the wrong JSON type in one of the named fields
// (Warden's own, which Grafana's clients never send), whose message names the field.
func decode[T any](w http.ResponseWriter, r *http.Request, badMessage string, named ...string) (T, error) {
	var v T
	bad := warden.Errorf(warden.EINVALID, "%s", badMessage)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return v, bad
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v, errBodyTooLarge
		}
		return v, bad
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return v, nil
	}
	if !utf8.Valid(body) || hasNULEscape(body) {
		return v, bad
	}
	if err := json.Unmarshal(body, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && slices.Contains(named, te.Field) {
			return v, typeError(te.Field, fieldType(reflect.TypeFor[T](), te.Field), te)
		}
		return v, bad
	}
	return v, nil
}

// typeError says that the JSON value of field, declared as want (nil when unknown), had the
// wrong type: the field's own, or that of an entry of a list.
func typeError(field string, want reflect.Type, te *json.UnmarshalTypeError) error {
	if want != nil && want.Kind() == reflect.Slice && te.Type == want.Elem() {
		return warden.Errorf(warden.EINVALID, "%s: each entry must be %s, not a JSON %s", field, jsonKind(te.Type), te.Value)
	}
	return warden.Errorf(warden.EINVALID, "%s: must be %s, not a JSON %s", field, jsonKind(te.Type), te.Value)
}

// fieldType returns the type of the field of struct type t that JSON names name, or nil.
func fieldType(t reflect.Type, name string) reflect.Type {
	if t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return f.Type
		}
	}
	return nil
}

// jsonKind names what a Go type is in JSON, for a client.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(jsonKind(t.Elem()), "a ") + "s"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// hasNULEscape reports whether body holds the JSON escape \u0000: the only way a NUL reaches a
// decoded string, since a raw one is not valid JSON. An escaped backslash followed by "u0000"
// is text, not a NUL.
func hasNULEscape(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\u0000`))
		if j < 0 {
			return false
		}
		j += i
		n := 0 // backslashes before the one that starts the match
		for k := j - 1; k >= 0 && body[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		i = j + 1
	}
}

// encode writes v as JSON with the given status. It returns nil, so that a handler can end
// with it: a failed write means the client is gone, and nobody is left to answer.
func encode(w http.ResponseWriter, status int, v any) error {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

// jsonContentType is shared by every JSON response, sparing an allocation per request; headers
// are only ever replaced, never appended to in place.
var jsonContentType = []string{"application/json"}

// message is Grafana's plain success/error body.
type message struct {
	Message string `json:"message"`
}

// reply ends a handler whose answer is Grafana's plain {"message": msg}: it returns err, or
// writes msg when err is nil.
func reply(w http.ResponseWriter, err error, msg string) error {
	if err != nil {
		return err
	}
	return encode(w, http.StatusOK, message{msg})
}

// pathID parses a numeric path value; a bad one is 400 "<name> is invalid", as in Grafana.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		return 0, warden.Errorf(warden.EINVALID, "%s is invalid", name)
	}
	return id, nil
}

// queryInt parses an integer query parameter, returning def when it is absent or unparsable.
func queryInt(r *http.Request, name string, def int) int {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		return def
	}
	return v
}

// queryBool parses a boolean query parameter with strconv.ParseBool semantics.
func queryBool(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

// paging returns Grafana's 1-based page and a per-page size clamped to 1…1000 (default 1000),
// and the offset, computed without overflow.
func paging(r *http.Request) (page, perPage, offset int) {
	perPage = queryInt(r, "perpage", 1000)
	if perPage <= 0 || perPage > 1000 {
		perPage = 1000
	}
	page = queryInt(r, "page", 1)
	if page < 1 {
		page = 1
	}
	const maxPage = 1 << 30 / 1000 // keeps offset within int32 on any platform
	if page > maxPage {
		page = maxPage
	}
	return page, perPage, (page - 1) * perPage
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
