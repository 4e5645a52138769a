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
	ErrPathDoubleEncoded = &PathError{"it is percent-encoded twice (an escape that decodes again to a character refused here)"}
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
// segment ending in . or a space, or an escape that would decode again — once or more — to a
// character refused anywhere above (%252e, %253B, %2520, %2523, …) or to invalid UTF-8. It
// allocates only when the path has escapes.
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

// doubleEncoded reports whether decoding p again would give something CleanPath refuses: a
// server behind the proxy that decodes the path twice (or three times: %25252e) must not read
// a path the rules never saw. A decoded escape is refused when it is a character refused in
// some place of a path — the rules then need not reason about where it lands: a / (an encoded
// slash), a . (a dot segment, a trailing dot), a space (a trailing space), a \, a ; or a #, a
// control character — and each further decoding must be valid UTF-8 (%25c0%25ae, an overlong
// ., is read as . by lenient decoders). A literal % that begins no escape is left alone.
func doubleEncoded(p string) bool {
	for {
		found := false
		for i := 0; i+2 < len(p); i++ {
			if p[i] == '%' && isHex(p[i+1]) && isHex(p[i+2]) {
				found = true
				if refusedAnywhere(unhex(p[i+1])<<4 | unhex(p[i+2])) {
					return true
				}
				i += 2
			}
		}
		if !found {
			return false
		}
		p = unescapeLenient(p)
		if !utf8.ValidString(p) {
			return true
		}
	}
}

// refusedAnywhere reports whether CleanPath refuses c in at least one place of a path.
func refusedAnywhere(c byte) bool {
	switch c {
	case '/', '.', ' ', '\\', ';', '#':
		return true
	}
	return c < 0x20 || c == 0x7f
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

// unescape decodes the escapes of s, all valid (checked by the caller).
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

// unescapeLenient decodes the valid escapes of s and keeps any other % as it is.
func unescapeLenient(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
