package authz

import (
	"strings"
	"unicode/utf8"
)

// PathError says why CleanPath refused a path. Its text is fixed (never the path itself), so
// it may be shown to clients.
type PathError struct{ reason string }

func (e *PathError) Error() string { return "path not allowed: " + e.reason }

// The reasons CleanPath refuses a path.
var (
	ErrPathNotAbsolute   = &PathError{"it does not start with /"}
	ErrPathBadEscape     = &PathError{"it has an invalid percent-escape"}
	ErrPathEncodedSlash  = &PathError{"it has an encoded /"}
	ErrPathBackslash     = &PathError{`it has a \`}
	ErrPathControl       = &PathError{"it has a NUL or another control character"}
	ErrPathDoubleSlash   = &PathError{"it has an empty segment (//)"}
	ErrPathDotSegment    = &PathError{"it has a . or .. segment"}
	ErrPathDoubleEncoded = &PathError{"it is percent-encoded twice (%2e, %2f, %5c or %00 after decoding)"}
	// Servers behind the proxy read these differently: Tomcat, Jetty and Spring strip ;
	// parameters from segments (/public/..;/admin), a # is no part of a request target but
	// nginx passes it on raw, invalid UTF-8 may be decoded leniently (%c0%ae as .), and IIS and
	// other Windows servers trim dots and spaces at the end of a segment (/admin./).
	ErrPathSemicolon        = &PathError{"it has a ; (a path parameter)"}
	ErrPathHash             = &PathError{"it has a #"}
	ErrPathInvalidUTF8      = &PathError{"it is not valid UTF-8 after decoding"}
	ErrPathTrailingDotSpace = &PathError{"it has a segment ending in . or a space"}
)

// CleanPath turns an original request URI (a path with an optional query) into the path the
// rules are matched against: without its query, percent-decoded exactly once. It refuses,
// rather than repairs, anything a server behind the proxy might read differently: a path not
// starting with /, an invalid or an encoded / (%2F), and after decoding a \, a NUL or other
// control character, a ; or a #, invalid UTF-8, an empty segment (//), a . or .. segment, a
// segment ending in . or a space, or an escape that would decode again to one of . / \ NUL
// (%252e…). It allocates only when the path has escapes.
func CleanPath(uri string) (string, error) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if uri == "" || uri[0] != '/' {
		return "", ErrPathNotAbsolute
	}
	escaped := false
	for i := 0; i < len(uri); i++ {
		if uri[i] != '%' {
			continue
		}
		if i+2 >= len(uri) || !isHex(uri[i+1]) || !isHex(uri[i+2]) {
			return "", ErrPathBadEscape
		}
		if unhex(uri[i+1])<<4|unhex(uri[i+2]) == '/' {
			return "", ErrPathEncodedSlash
		}
		escaped = true
		i += 2
	}
	p := uri
	if escaped {
		p = unescape(uri)
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			return "", ErrPathBackslash
		case c < 0x20 || c == 0x7f:
			return "", ErrPathControl
		case c == ';':
			return "", ErrPathSemicolon
		case c == '#':
			return "", ErrPathHash
		case c == '/' && i+1 < len(p) && p[i+1] == '/':
			return "", ErrPathDoubleSlash
		}
	}
	if !utf8.ValidString(p) {
		return "", ErrPathInvalidUTF8
	}
	for rest := p[1:]; ; {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "." || seg == ".." {
			return "", ErrPathDotSegment
		}
		if seg != "" && (seg[len(seg)-1] == '.' || seg[len(seg)-1] == ' ') {
			return "", ErrPathTrailingDotSpace
		}
		if !more {
			break
		}
		rest = tail
	}
	if escaped && doubleEncoded(p) {
		return "", ErrPathDoubleEncoded
	}
	return p, nil
}

// doubleEncoded reports whether p still holds an escape of '.', '/', '\' or NUL.
func doubleEncoded(p string) bool {
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '%' && isHex(p[i+1]) && isHex(p[i+2]) {
			switch unhex(p[i+1])<<4 | unhex(p[i+2]) {
			case '.', '/', '\\', 0:
				return true
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// unescape decodes the valid escapes of s (checked by the caller).
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
