package authz

import (
	"errors"
	"testing"
)

func TestCleanPath(t *testing.T) {
	tests := []struct {
		name, uri, want string
		err             error
	}{
		{name: "plain", uri: "/orders/1", want: "/orders/1"},
		{name: "root", uri: "/", want: "/"},
		{name: "query removed", uri: "/orders/1?x=1&token=secret", want: "/orders/1"},
		{name: "empty query", uri: "/a?", want: "/a"},
		{name: "decoded once", uri: "/a%20b/%41", want: "/a b/A"},
		{name: "encoded percent stays literal", uri: "/100%25", want: "/100%"},
		{name: "trailing slash kept", uri: "/orders/", want: "/orders/"},
		{name: "dots inside a segment", uri: "/a/..b/c.d/.x", want: "/a/..b/c.d/.x"},
		{name: "utf-8", uri: "/caf%C3%A9", want: "/café"},
		{name: "raw utf-8", uri: "/café/x", want: "/café/x"},
		{name: "spaces inside a segment", uri: "/a%20b/c", want: "/a b/c"},
		{name: "hash in the query", uri: "/a?b#c", want: "/a"},
		{name: "semicolon in the query", uri: "/a?b;c", want: "/a"},

		{name: "empty", uri: "", err: ErrPathNotAbsolute},
		{name: "only a query", uri: "?a=1", err: ErrPathNotAbsolute},
		{name: "relative", uri: "orders/1", err: ErrPathNotAbsolute},
		{name: "absolute URL", uri: "http://example.com/orders", err: ErrPathNotAbsolute},
		{name: "asterisk", uri: "*", err: ErrPathNotAbsolute},
		{name: "dot segment", uri: "/orders/./1", err: ErrPathDotSegment},
		{name: "dot-dot segment", uri: "/public/../admin", err: ErrPathDotSegment},
		{name: "trailing dot-dot", uri: "/public/..", err: ErrPathDotSegment},
		{name: "trailing dot", uri: "/public/.", err: ErrPathDotSegment},
		{name: "leading dot-dot", uri: "/../etc", err: ErrPathDotSegment},
		{name: "encoded dot-dot", uri: "/public/%2e%2e/admin", err: ErrPathDotSegment},
		{name: "mixed encoded dot-dot", uri: "/public/.%2E/admin", err: ErrPathDotSegment},
		{name: "double slash", uri: "/public//admin", err: ErrPathDoubleSlash},
		{name: "leading double slash", uri: "//admin", err: ErrPathDoubleSlash},
		{name: "trailing double slash", uri: "/admin//", err: ErrPathDoubleSlash},
		{name: "backslash", uri: `/public\..\admin`, err: ErrPathBackslash},
		{name: "encoded backslash", uri: "/public%5c..%5cadmin", err: ErrPathBackslash},
		{name: "NUL", uri: "/a\x00b", err: ErrPathControl},
		{name: "encoded NUL", uri: "/a%00b", err: ErrPathControl},
		{name: "newline", uri: "/a%0Ab", err: ErrPathControl},
		{name: "DEL", uri: "/a%7fb", err: ErrPathControl},
		{name: "encoded slash", uri: "/public%2F..%2Fadmin", err: ErrPathEncodedSlash},
		{name: "encoded slash lower case", uri: "/a%2fb", err: ErrPathEncodedSlash},
		{name: "bad escape", uri: "/a%zz", err: ErrPathBadEscape},
		{name: "truncated escape", uri: "/a%4", err: ErrPathBadEscape},
		{name: "lone percent", uri: "/a%", err: ErrPathBadEscape},
		{name: "double-encoded dot-dot", uri: "/public/%252e%252e/admin", err: ErrPathDoubleEncoded},
		{name: "double-encoded slash", uri: "/a%252Fb", err: ErrPathDoubleEncoded},
		{name: "double-encoded backslash", uri: "/a%255cb", err: ErrPathDoubleEncoded},
		{name: "double-encoded NUL", uri: "/a%2500", err: ErrPathDoubleEncoded},

		// What common backends read differently (docs/authz.md).
		{name: "path parameter", uri: "/admin;jsessionid=1/users", err: ErrPathSemicolon},
		{name: "dot-dot with parameter", uri: "/public/..;/admin/users", err: ErrPathSemicolon},
		{name: "trailing semicolon", uri: "/admin;", err: ErrPathSemicolon},
		{name: "encoded semicolon", uri: "/admin%3B/users", err: ErrPathSemicolon},
		{name: "fragment", uri: "/orders/1#top", err: ErrPathHash},
		{name: "fragment hiding dot-dot", uri: "/public#/../admin", err: ErrPathHash},
		{name: "encoded hash", uri: "/public%23/admin", err: ErrPathHash},
		{name: "overlong dot-dot", uri: "/public/%c0%ae%c0%ae/admin", err: ErrPathInvalidUTF8},
		{name: "invalid utf-8", uri: "/a%ff", err: ErrPathInvalidUTF8},
		{name: "raw invalid utf-8", uri: "/a\xffb", err: ErrPathInvalidUTF8},
		{name: "truncated utf-8", uri: "/caf%C3", err: ErrPathInvalidUTF8},
		{name: "encoded surrogate", uri: "/%ED%A0%80", err: ErrPathInvalidUTF8},
		{name: "segment ending in dot", uri: "/admin./users", err: ErrPathTrailingDotSpace},
		{name: "last segment ending in dot", uri: "/admin.", err: ErrPathTrailingDotSpace},
		{name: "segment of three dots", uri: "/a/...", err: ErrPathTrailingDotSpace},
		{name: "encoded trailing dot", uri: "/admin%2E/users", err: ErrPathTrailingDotSpace},
		{name: "segment ending in space", uri: "/admin%20/users", err: ErrPathTrailingDotSpace},
		{name: "segment ending in dots and spaces", uri: "/admin.%20./users", err: ErrPathTrailingDotSpace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanPath(tt.uri)
			if !errors.Is(err, tt.err) {
				t.Fatalf("CleanPath(%q) error = %v, want %v", tt.uri, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("CleanPath(%q) = %q, want %q", tt.uri, got, tt.want)
			}
		})
	}
}

func TestCleanPath_NoAllocations(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		if _, err := CleanPath("/orders/1/items?page=2"); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("CleanPath of an unescaped path allocates %v times, want 0", n)
	}
}

func TestHostOnly(t *testing.T) {
	for in, want := range map[string]string{
		"api.example.com":         "api.example.com",
		"API.Example.com:8443":    "API.Example.com",
		"[::1]:443":               "::1",
		"[::1]":                   "::1",
		"::1":                     "::1",
		"10.0.0.1:80":             "10.0.0.1",
		"":                        "",
		"admin.example.com.":      "admin.example.com",
		"admin.example.com.:8443": "admin.example.com",
		"[::1].":                  "::1",
		"a..":                     "a.",
		".":                       "",
	} {
		if got := HostOnly(in); got != want {
			t.Errorf("HostOnly(%q) = %q, want %q", in, got, want)
		}
	}
}
