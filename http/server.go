// Package http is Warden's HTTP adapter: the Grafana-compatible JSON API (and, later, the web
// UI). Callers import it as wardenhttp. Handlers decode, call *warden.Service and encode; the
// rules live in the service.
package http

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/authz"
)

// SessionCookie is the name of the session cookie (Grafana's is grafana_session).
const SessionCookie = "warden_session"

// Options configures the HTTP server.
type Options struct {
	Logger  *slog.Logger
	Service *warden.Service

	Version string
	Commit  string

	// RootURL is the public URL of Warden; it decides the Secure cookie flag and the origin
	// accepted for cookie-authenticated writes.
	RootURL *url.URL
	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto.
	TrustedProxies []netip.Prefix
	// CookieSecure forces the Secure flag on the session cookie.
	CookieSecure bool
	// AccessLog writes one line per request.
	AccessLog bool
	// BasicAuth accepts HTTP Basic credentials of users on /api.
	BasicAuth bool
	// SessionLifetime is the session cookie's Max-Age.
	SessionLifetime time.Duration

	// FeatureToggles are reported by /api/frontend/settings.
	FeatureToggles map[string]bool
	// TokenExpirationDayLimit is reported by /api/frontend/settings (-1: none).
	TokenExpirationDayLimit int

	// Registry receives Warden's metrics and is served on /metrics; nil makes a new one.
	Registry *prometheus.Registry

	// AuthzRules holds the rules of /api/authz/forward; nil (or empty) denies every request.
	AuthzRules *authz.Holder
	// ForwardHeaders says which proxy's headers /api/authz/forward reads: "auto" (also ""),
	// "nginx", "traefik" or "envoy" (docs/authz.md).
	ForwardHeaders string
}

// NewServer returns the handler serving every Warden route.
func NewServer(opts Options) http.Handler {
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = 30 * 24 * time.Hour
	}
	m := newMetrics(opts.Registry)
	registerCacheMetrics(opts.Registry, opts.Service)
	mux := http.NewServeMux()
	addRoutes(mux, opts)
	var h http.Handler = mux
	h = keepForwardPath(h) // Envoy's original path reaches the forward route uncleaned
	h = refuseUnstorableText(h)
	h = limitBody(h)
	h = recoverPanic(opts.Logger, h)
	h = logRequests(opts.Logger, opts.AccessLog, opts.TrustedProxies, m, newRequestIDs(), h)
	return h
}

// limitBody refuses bodies over maxBodyBytes with 413: at once when Content-Length says so,
// and while reading otherwise (decode turns the read error into the same 413).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			encode(w, http.StatusRequestEntityTooLarge, message{"Request body too large"})
			return
		}
		if r.Body != http.NoBody { // the server's empty body needs no limit
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// refuseUnstorableText answers 400 to a request whose path or query holds invalid UTF-8 or a
// NUL: no name, login, UID or search term contains them, and PostgreSQL cannot even compare
// them, so on SQLite and PostgreSQL alike such a request is refused here. The forward-auth
// route judges its original path itself (403, docs/authz.md).
func refuseUnstorableText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isForwardPath(r.URL.Path) &&
			(unstorable(r.URL.Path) || r.URL.RawQuery != "" && unstorableQuery(r.URL.RawQuery)) {
			encode(w, http.StatusBadRequest, message{"Bad request data"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func unstorable(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

// unstorableQuery reports whether the decoded query holds unstorable text. A malformed escape
// is left to the handlers, which ignore that parameter as Grafana does.
func unstorableQuery(raw string) bool {
	s, err := url.QueryUnescape(raw)
	if err != nil {
		return unstorable(raw)
	}
	return unstorable(s)
}

// isForwardPath reports whether path is the forward-auth route or below it.
func isForwardPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/authz/forward")
	return ok && (rest == "" || rest[0] == '/')
}
