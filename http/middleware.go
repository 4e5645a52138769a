package http

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// requestInfo is created per request by logRequests and filled in by inner middleware, so the
// access log line can name the caller.
type requestInfo struct {
	id       string
	clientIP string
	callerID string
	status   int
	forward  forwardLog // set by the forward-auth handler: the original request, not ours
}

type requestInfoKey struct{}

func infoFrom(r *http.Request) *requestInfo {
	ri, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return ri
}

func requestID(r *http.Request) string {
	if ri := infoFrom(r); ri != nil {
		return ri.id
	}
	return ""
}

// requestIDs makes cheap, unique request ids: a random per-process prefix and a counter.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &requestIDs{prefix: hex.EncodeToString(b)}
}

func (g *requestIDs) next() string {
	return g.prefix + "-" + strconv.FormatUint(g.n.Add(1), 36)
}

// accessErrorID returns Grafana's "ACE" + 10 digits id for a 403, derived from the request id
// so that the log line and the response can be matched.
func accessErrorID(r *http.Request) string {
	var n uint64
	for _, c := range requestID(r) {
		n = n*31 + uint64(c)
	}
	return fmt.Sprintf("ACE%010d", n%10_000_000_000)
}

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests resolves the client IP, records metrics and writes one access-log line per
// request. It never logs headers, cookies, bodies or query strings: those can hold secrets. (A
// forward-auth check adds the original method, host and URI without its query: forwardLog.)
func logRequests(logger *slog.Logger, accessLog bool, proxies []netip.Prefix, m *metrics, ids *requestIDs, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: ids.next(), clientIP: clientIP(r, proxies)}
		ctx := context.WithValue(r.Context(), requestInfoKey{}, ri)
		ctx = warden.NewContextWithClientIP(ctx, ri.clientIP)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route, unmatched := r.Pattern, slog.Attr{}
		if route == "" || route == fallbackAPI || route == fallbackPage {
			// The metrics keep one label for every unknown address; the log names it.
			route, unmatched = "unmatched", slog.String("path", truncate(r.URL.Path, 200))
		}
		m.observe(r.Method, route, rec.status, elapsed)
		if accessLog {
			logger.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", rec.status),
				slog.Duration("duration", elapsed),
				slog.String("caller", ri.callerID),
				slog.String("client_ip", ri.clientIP),
				slog.String("request_id", ri.id),
				slog.Int("bytes", rec.bytes),
				unmatched,         // empty, and so left out, for matched routes
				ri.forward.attr()) // empty, and so left out, for other requests
		}
	})
}

// clientIP returns the socket peer, or — when the peer is a trusted proxy — the rightmost
// X-Forwarded-For hop that is not itself a trusted proxy. Untrusted peers cannot spoof it.
func clientIP(r *http.Request, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !trusted(peer, proxies) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		// The first untrusted hop is the client; when every hop is trusted (a client inside
		// the proxies' own network) the leftmost one is.
		if !trusted(a, proxies) || i == 0 {
			return a.String()
		}
	}
	return peer.String()
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isHTTPS reports whether the client used TLS: directly, or per X-Forwarded-Proto from a
// trusted proxy.
func isHTTPS(r *http.Request, proxies []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if a, err := netip.ParseAddr(host); err == nil && trusted(a.Unmap(), proxies) {
		return strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	}
	return false
}

// recoverPanic turns a panic in a handler into a logged 500, so one bad request cannot take
// the server down.
func recoverPanic(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				id := requestID(r)
				logger.Error("panic", "request_id", id, "route", r.Pattern, "panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				encode(w, http.StatusInternalServerError, errorBody{Message: "Internal Server Error", TraceID: &id})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// requestedOrg returns the org a request names: ?targetOrgId, else X-Grafana-Org-Id, else 0
// (the identity's current org). Values that are not positive integers are ignored.
func requestedOrg(r *http.Request) int64 {
	// Most requests name no org: look before parsing, which would allocate.
	if strings.Contains(r.URL.RawQuery, "targetOrgId") {
		if v, err := strconv.ParseInt(r.URL.Query().Get("targetOrgId"), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	if h := r.Header.Get("X-Grafana-Org-Id"); h != "" {
		if v, err := strconv.ParseInt(h, 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// authenticator resolves the caller of a request.
type authenticator struct {
	logger     *slog.Logger
	svc        *warden.Service
	basicAuth  bool
	rootURL    *url.URL
	cookieName string
}

// principal authenticates r: a service-account token (Bearer, or Basic with user "api_key"),
// a user's Basic credentials, or the session cookie, in that order. It returns (nil, nil)
// when the request carries no credentials at all. Tokens are read only from the
// Authorization header, never from the query string, where they would end up in logs.
func (a *authenticator) principal(r *http.Request) (*warden.Principal, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return a.svc.AuthenticateToken(ctx, strings.TrimSpace(rest), requestedOrg(r))
		}
		if strings.EqualFold(scheme, "Basic") {
			user, pass, ok := parseBasic(rest)
			if !ok {
				return nil, warden.ErrUnauthorized
			}
			if user == "api_key" {
				return a.svc.AuthenticateToken(ctx, pass, requestedOrg(r))
			}
			if !a.basicAuth {
				return nil, warden.ErrUnauthorized
			}
			u, err := a.svc.CheckPassword(ctx, user, pass)
			if err != nil {
				return nil, err
			}
			p, err := a.svc.UserPrincipal(ctx, u, requestedOrg(r))
			if err != nil {
				return nil, err
			}
			p.AuthMethod = "basic"
			return p, nil
		}
		// Any other Authorization scheme is not a credential Warden accepts.
		return nil, warden.ErrUnauthorized
	}
	c, err := r.Cookie(a.cookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	u, sess, err := a.svc.AuthenticateSession(ctx, c.Value)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.UserPrincipal(ctx, u, requestedOrg(r))
	if err != nil {
		return nil, err
	}
	p.AuthMethod, p.SessionID = "session", sess.ID
	return p, nil
}

// parseBasic decodes Basic credentials. A user-id holding a control character or invalid
// UTF-8 is malformed (RFC 7617 §2) and never reaches a database, which may not store it.
func parseBasic(s string) (user, pass string, ok bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	if !utf8.ValidString(user) || strings.ContainsFunc(user, unicode.IsControl) {
		return "", "", false
	}
	return user, pass, ok
}

// sameOrigin reports whether a cookie-authenticated state change comes from Warden's own
// pages: its Origin (or, lacking one, Referer) must match root_url or the request's host. This
// is Grafana's fix for CVE-2022-21703 (cross-origin request forgery through SameSite=Lax).
func (a *authenticator) sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" || src == "null" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	if a.rootURL != nil && strings.EqualFold(u.Host, a.rootURL.Host) {
		return true
	}
	return strings.EqualFold(u.Host, r.Host)
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
