package authz

import (
	"errors"
	"testing"
)

// A %25 escape decodes to %: a server behind the proxy that decodes the path a second time (many
// frameworks do, and some proxies too) reads the next two characters as another escape. Any
// escape whose second decoding gives a character CleanPath refuses somewhere — a ;, a #, a
// space, a control character, a . or a /, a \ — is refused, whatever its place in the path; so
// is a second decoding into invalid UTF-8 (an overlong . read leniently), and a third.
func TestCleanPath_EscapesThatDecodeAgainAreRefused(t *testing.T) {
	refused := map[string]string{
		"dot-dot then a double-encoded ;":  "/x/..%253B/admin/x",
		"double-encoded ; lower case":      "/x/..%253b/admin/x",
		"double-encoded ; inside":          "/admin%253Bjsessionid=1/x",
		"double-encoded trailing space":    "/admin%2520/x",
		"double-encoded space inside":      "/a%2520b",
		"double-encoded #":                 "/public%2523/admin",
		"double-encoded tab":               "/a%2509b",
		"double-encoded newline":           "/a%250Ab",
		"double-encoded DEL":               "/a%257Fb",
		"double-encoded dot":               "/admin%252E/x",
		"double-encoded overlong dot-dot":  "/public/%25c0%25ae%25c0%25ae/admin",
		"double-encoded invalid UTF-8":     "/a%25ff",
		"triple-encoded dot-dot":           "/public/%25252e%25252e/admin",
		"triple-encoded ;":                 "/x/..%25253B/admin",
		"double-encoded slash (as before)": "/a%252Fb",
		"double-encoded NUL (as before)":   "/a%2500",
	}
	for name, uri := range refused {
		t.Run(name, func(t *testing.T) {
			got, err := CleanPath(uri)
			if !errors.Is(err, ErrPathDoubleEncoded) {
				t.Fatalf("CleanPath(%q) = %q, %v; want %v", uri, got, err, ErrPathDoubleEncoded)
			}
			if msg := err.Error(); len(msg) < 18 || msg[:18] != "path not allowed: " {
				t.Errorf("error %q does not start with \"path not allowed: \"", msg)
			}
		})
	}

	// Escapes whose second decoding is harmless stay allowed, decoded once.
	allowed := map[string]string{
		"/100%25":         "/100%",
		"/a%2541":         "/a%41",
		"/caf%25C3%25A9":  "/caf%C3%A9",
		"/report%2525-q3": "/report%25-q3",
		"/a%25zz":         "/a%zz",
		"/a%25":           "/a%",
		"/files/%252":     "/files/%2",
		"/orders/%2531/x": "/orders/%31/x",
	}
	for uri, want := range allowed {
		got, err := CleanPath(uri)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", uri, got, err, want)
		}
	}
}
