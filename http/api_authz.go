package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/authz"
)

// This file serves /api/authz/forward, the sub-request a reverse proxy (nginx auth_request,
// Traefik ForwardAuth, Envoy ext_authz in HTTP mode) makes before passing a request on, and
// /api/authz/introspect. See docs/authz.md.

// The forward_headers modes: which proxy's description of the original request is read.
const (
	ForwardAuto    = "auto"
	ForwardNginx   = "nginx"
	ForwardTraefik = "traefik"
	ForwardEnvoy   = "envoy"
)

const (
	forwardRoute = "/api/authz/forward"
	// forwardPrefix starts the Envoy shape: the original path is appended to forwardRoute.
	forwardPrefix = forwardRoute + "/"
)

// The headers of each shape, in canonical form so that lookups do not allocate.
const (
	hOriginalMethod  = "X-Original-Method"  // nginx
	hOriginalURI     = "X-Original-Uri"     // nginx (X-Original-URI)
	hForwardedMethod = "X-Forwarded-Method" // Traefik
	hForwardedURI    = "X-Forwarded-Uri"    // Traefik
	hForwardedHost   = "X-Forwarded-Host"   // nginx and Traefik
)

// The decisions counted in warden_authz_forward_decisions_total.
const (
	decisionAllow           = "allow"
	decisionDeny            = "deny"
	decisionUnauthenticated = "unauthenticated"
	decisionBadRequest      = "bad_request"
	decisionBadPath         = "bad_path"
	decisionLimited         = "limited"
	decisionAddress         = "address_not_allowed"
	decisionError           = "error"
)

// forwardLog describes a forward-auth request for the access log: the original request as the
// proxy described it (its URI without the query string) and the decision. Never a header that
// could hold a credential.
type forwardLog struct {
	method, host, uri string
	decision          string
	rule              int // the deciding rule's index; -1: none
}

// maxLoggedURI bounds the original URI in a log line.
const maxLoggedURI = 1024

// attr returns the log attribute of a forward-auth request; the zero Attr, which handlers
// leave out, for any other request.
func (l *forwardLog) attr() slog.Attr {
	if l.decision == "" {
		return slog.Attr{}
	}
	uri := l.uri
	if len(uri) > maxLoggedURI {
		uri = uri[:maxLoggedURI] + "…"
	}
	attrs := []slog.Attr{
		slog.String("method", l.method),
		slog.String("host", l.host),
		slog.String("uri", uri),
		slog.String("decision", l.decision),
	}
	if l.rule >= 0 {
		attrs = append(attrs, slog.Int("rule", l.rule))
	}
	return slog.Attr{Key: "forward", Value: slog.GroupValue(attrs...)}
}

// forwardPathKey carries the escaped original path of an Envoy-shape request past the mux.
type forwardPathKey struct{}

// keepForwardPath lets an Envoy-shape request (/api/authz/forward/<original path>) reach its
// route with the original path intact. ServeMux would otherwise answer a path with a . or ..
// segment or // with a redirect to the cleaned path, and the proxy would pass that redirect
// on; the forward handler refuses such paths itself, with 403. The path is kept in the
// context and the mux sees /api/authz/forward/.
func keepForwardPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, forwardPrefix) {
			if p := rawPath(r); strings.HasPrefix(p, forwardPrefix) {
				r2 := r.WithContext(context.WithValue(r.Context(), forwardPathKey{}, p[len(forwardRoute):]))
				u := *r.URL
				u.Path, u.RawPath = forwardPrefix, ""
				r2.URL = &u
				next.ServeHTTP(w, r2)
				r.Pattern = r2.Pattern // for the access log and metrics
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// envoyPath returns the original path appended to /api/authz/forward/, and whether there is
// one.
func envoyPath(r *http.Request) (string, bool) {
	if p, ok := r.Context().Value(forwardPathKey{}).(string); ok {
		return p, true
	}
	if p := rawPath(r); strings.HasPrefix(p, forwardPrefix) {
		return p[len(forwardRoute):], true
	}
	return "", false
}

// rawPath returns the path of the request target exactly as the client sent it. Not
// URL.EscapedPath: when the target holds a byte Go would escape differently ({ } | ^ ` " < > \
// or raw non-ASCII), that rebuilds the path from its decoded form, and an encoded / (%2F),
// which the forward handler must refuse, would come back as a plain /. For the absolute form
// (GET http://host/path) it is the path after the authority; "" when there is none.
func rawPath(r *http.Request) string {
	t := r.RequestURI
	if t == "" { // a request not read by a server (RequestURI is set by every server read)
		if r.URL.RawPath != "" {
			return r.URL.RawPath
		}
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	if t != "" && t[0] == '/' {
		return t
	}
	if _, rest, ok := strings.Cut(t, "://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return ""
}

// forwardHandler answers /api/authz/forward.
type forwardHandler struct {
	logger *slog.Logger
	svc    *warden.Service
	rules  *authz.Holder
	mode   string
	m      *forwardMetrics
	ids    identityHeaders
}

func handleForward(opts Options) http.Handler {
	mode := opts.ForwardHeaders
	switch mode {
	case "":
		mode = ForwardAuto
	case ForwardAuto, ForwardNginx, ForwardTraefik, ForwardEnvoy:
	default:
		panic(fmt.Sprintf("http: unknown ForwardHeaders %q", mode))
	}
	return &forwardHandler{logger: opts.Logger, svc: opts.Service, rules: opts.AuthzRules, mode: mode,
		m: newForwardMetrics(opts.Registry, opts.AuthzRules)}
}

// original is the request a proxy asks about.
type original struct {
	method, uri, host string
}

// The fixed answers, encoded once.
var (
	forwardOKBody     = mustJSON(message{"OK"})
	forwardDeniedBody = mustJSON(message{"No authorization rule allows this request"})
	noStore           = []string{"no-store"}
	bearerChallenge   = []string{"Bearer"}
	// retryAfter is the Retry-After of a 429, the API's (writeAuthError).
	retryAfter = []string{"60"}
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// errTokenRequired answers credentials other than a service-account token.
var errTokenRequired = warden.Errorf(warden.EUNAUTHORIZED, "Unauthorized: a service-account token is required")

func (f *forwardHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var local forwardLog
	fl := &local
	ri := infoFrom(r)
	if ri != nil {
		fl = &ri.forward
	}
	fl.rule = -1
	o, problem := f.original(r)
	fl.method, fl.host = o.method, o.host
	fl.uri, _, _ = strings.Cut(o.uri, "?")
	if problem != "" {
		fl.decision = decisionBadRequest
		f.m.badRequest.Inc()
		writeForward(w, http.StatusBadRequest, mustJSON(message{problem}))
		return
	}
	path, err := authz.CleanPath(o.uri)
	if err != nil {
		fl.decision = decisionBadPath
		f.m.badPath.Inc()
		writeForward(w, http.StatusForbidden, mustJSON(message{err.Error()}))
		return
	}
	p, err := f.authenticate(r)
	if err != nil {
		if warden.ErrorCode(err) == warden.ETOOMANY {
			// The client spent its budget of failed token lookups and this instance does not
			// know the token: it was not checked, so it is not called invalid. 429, which
			// the proxy passes on (Traefik, Envoy) or turns into an error (nginx), never a
			// 401 that reads as a revoked token.
			fl.decision = decisionLimited
			f.m.limited.Inc()
			w.Header()["Retry-After"] = retryAfter
			writeForward(w, http.StatusTooManyRequests, mustJSON(message{warden.ErrorMessage(err)}))
			return
		}
		if warden.ErrorCode(err) == warden.EFORBIDDEN {
			// A token used from outside its allowed address ranges.
			fl.decision = decisionAddress
			f.m.address.Inc()
			writeForward(w, http.StatusForbidden, mustJSON(message{warden.ErrorMessage(err)}))
			return
		}
		if warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			fl.decision = decisionError
			f.m.errors.Inc()
			writeError(w, r, f.logger, err)
			return
		}
		fl.decision = decisionUnauthenticated
		f.m.unauthenticated.Inc()
		w.Header()["Www-Authenticate"] = bearerChallenge
		writeForward(w, http.StatusUnauthorized, mustJSON(message{warden.ErrorMessage(err)}))
		return
	}
	id := f.ids.get(p)
	if ri != nil {
		ri.callerID = id.caller
	}
	req := authz.Request{Method: o.method, Host: o.host, Path: path, OrgID: p.OrgID, Role: p.OrgRole, Login: p.Login,
		Scopes: p.Scopes}
	index, allowed := f.rules.Rules().Decide(&req)
	fl.rule = index
	if !allowed {
		fl.decision = decisionDeny
		if index < 0 {
			f.m.denyNone.Inc()
		} else {
			f.m.rule(index).deny.Inc()
		}
		writeForward(w, http.StatusForbidden, forwardDeniedBody)
		return
	}
	fl.decision = decisionAllow
	f.m.rule(index).allow.Inc()
	h := w.Header()
	h["X-Warden-Login"] = id.login
	h["X-Warden-Id"] = id.id
	h["X-Warden-Org-Id"] = id.org
	h["X-Warden-Role"] = id.role
	h["X-Warden-Token-Id"] = id.token
	// Always sent, empty for a token without scopes: a proxy that copies the header replaces
	// one a client sent, rather than passing the client's on.
	h["X-Warden-Scopes"] = id.scopes
	writeForward(w, http.StatusOK, forwardOKBody)
}

func writeForward(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// authenticate accepts only a service-account token, as Bearer or as Basic with the user
// api_key, and checks it exactly as the token API does. Cookies, users' passwords and
// X-Grafana-Org-Id are ignored.
func (f *forwardHandler) authenticate(r *http.Request) (*warden.Principal, error) {
	v := r.Header["Authorization"]
	if len(v) != 1 {
		return nil, errTokenRequired
	}
	scheme, rest, _ := strings.Cut(v[0], " ")
	var token string
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		token = strings.TrimSpace(rest)
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := parseBasic(rest)
		if !ok || user != "api_key" {
			return nil, errTokenRequired
		}
		token = pass
	default:
		return nil, errTokenRequired
	}
	return f.svc.AuthenticateToken(r.Context(), token, 0)
}

// single returns the one value of a header: ok is false when it is given more than once, and
// the value is "" when it is absent or empty.
func single(vs []string) (v string, ok bool) {
	switch len(vs) {
	case 0:
		return "", true
	case 1:
		return strings.TrimSpace(vs[0]), true
	}
	return "", false
}

// original reads the request the proxy asks about, in the shape forward_headers names; in
// auto mode, in the one shape the request carries. problem, when not empty, is why the
// request is refused with 400.
func (f *forwardHandler) original(r *http.Request) (o original, problem string) {
	h := r.Header
	ePath, viaPath := envoyPath(r)
	mode := f.mode
	if mode == ForwardAuto {
		for _, k := range [...]string{hOriginalMethod, hOriginalURI, hForwardedMethod, hForwardedURI} {
			if len(h[k]) > 1 {
				return o, k + " is given more than once"
			}
		}
		nginx := len(h[hOriginalMethod])+len(h[hOriginalURI]) > 0
		traefik := len(h[hForwardedMethod])+len(h[hForwardedURI]) > 0
		shapes := 0
		for _, b := range [...]bool{nginx, traefik, viaPath} {
			if b {
				shapes++
			}
		}
		switch {
		case shapes > 1:
			return o, "Ambiguous request: it carries the original method or URI of more than one proxy " +
				"(X-Original-Method/X-Original-URI, X-Forwarded-Method/X-Forwarded-Uri, a path after /api/authz/forward/)"
		case nginx:
			mode = ForwardNginx
		case traefik:
			mode = ForwardTraefik
		case viaPath:
			mode = ForwardEnvoy
		default:
			return o, "No original request: send X-Original-Method and X-Original-URI (nginx), " +
				"X-Forwarded-Method and X-Forwarded-Uri (Traefik), or append the original path to /api/authz/forward (Envoy)"
		}
	}
	var methodKey, uriKey string
	switch mode {
	case ForwardEnvoy:
		if !viaPath {
			return o, "No original path: append it to /api/authz/forward (forward_headers = envoy)"
		}
		return original{method: r.Method, uri: ePath, host: r.Host}, ""
	case ForwardNginx:
		methodKey, uriKey = hOriginalMethod, hOriginalURI
	case ForwardTraefik:
		methodKey, uriKey = hForwardedMethod, hForwardedURI
	}
	method, ok1 := single(h[methodKey])
	uri, ok2 := single(h[uriKey])
	host, ok3 := single(h[hForwardedHost])
	switch {
	case !ok1:
		return o, methodKey + " is given more than once"
	case !ok2:
		return o, uriKey + " is given more than once"
	case !ok3 || strings.IndexByte(host, ',') >= 0:
		return o, hForwardedHost + " must name one host"
	case method == "":
		return o, methodKey + " is required"
	case uri == "":
		return o, uriKey + " is required"
	case !validMethod(method):
		return o, methodKey + " is not a method"
	}
	if host == "" {
		host = r.Host
	}
	return original{method: method, uri: uri, host: host}, ""
}

// validMethod reports whether m is an HTTP token (RFC 9110 §5.6.2).
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return m != ""
}

// identity is the answer headers of one principal, built once: a cached token's principal is
// shared and read-only, so its headers can be too.
type identity struct {
	p                                   *warden.Principal
	login, id, org, role, token, scopes []string
	caller                              string
}

// identityHeaders is a small direct-mapped cache from a principal to its headers, so that an
// allowed request with a cached token allocates nothing for them. A slot holds at most one
// principal (keeping it alive), so the memory is bounded.
type identityHeaders struct {
	slots [256]atomic.Pointer[identity]
}

func (c *identityHeaders) get(p *warden.Principal) *identity {
	slot := &c.slots[uint64(p.TokenID)%uint64(len(c.slots))]
	if e := slot.Load(); e != nil && e.p == p {
		return e
	}
	e := &identity{
		p:      p,
		login:  []string{p.Login},
		id:     []string{strconv.FormatInt(p.UserID, 10)},
		org:    []string{strconv.FormatInt(p.OrgID, 10)},
		role:   []string{string(p.OrgRole)},
		token:  []string{strconv.FormatInt(p.TokenID, 10)},
		scopes: []string{strings.Join(p.Scopes, " ")},
		caller: string(p.Kind) + ":" + strconv.FormatInt(p.UserID, 10),
	}
	slot.Store(e)
	return e
}

// forwardMetrics counts forward decisions by decision and rule index. Every series a request
// can touch exists before it is counted (per-rule ones from the first use of the index), so
// counting allocates nothing.
type forwardMetrics struct {
	vec                                                                      *prometheus.CounterVec
	denyNone, unauthenticated, badRequest, badPath, limited, address, errors prometheus.Counter

	mu     sync.Mutex // serialises growing byRule
	byRule atomic.Pointer[[]ruleCounters]
}

type ruleCounters struct{ allow, deny prometheus.Counter }

func newForwardMetrics(reg *prometheus.Registry, rules *authz.Holder) *forwardMetrics {
	vec := registerOrReuse(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_authz_forward_decisions_total",
		Help: "Forward-auth decisions by decision (allow, deny, unauthenticated, address_not_allowed, bad_request, bad_path, limited, error) and deciding rule index (none: no rule).",
	}, []string{"decision", "rule"}))
	registerOrReuse(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "warden_authz_rules_loaded",
		Help: "Authorization rules in effect.",
	}, func() float64 { return float64(rules.Rules().Len()) }))
	registerOrReuse(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "warden_authz_rules_reload_failures_total",
		Help: "Reloads of the authorization rules file that found it invalid or unreadable; the last good rules stayed in effect.",
	}, func() float64 { return float64(rules.Failures()) }))
	registerOrReuse(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "warden_authz_rules_loads_total",
		Help: "Authorization rules files put in effect.",
	}, func() float64 { return float64(rules.Loads()) }))
	m := &forwardMetrics{
		vec:             vec,
		denyNone:        vec.WithLabelValues(decisionDeny, "none"),
		unauthenticated: vec.WithLabelValues(decisionUnauthenticated, "none"),
		badRequest:      vec.WithLabelValues(decisionBadRequest, "none"),
		badPath:         vec.WithLabelValues(decisionBadPath, "none"),
		limited:         vec.WithLabelValues(decisionLimited, "none"),
		address:         vec.WithLabelValues(decisionAddress, "none"),
		errors:          vec.WithLabelValues(decisionError, "none"),
	}
	if n := rules.Rules().Len(); n > 0 {
		m.rule(n - 1)
	}
	return m
}

// rule returns the counters of rule i, creating those up to i the first time.
func (m *forwardMetrics) rule(i int) *ruleCounters {
	if p := m.byRule.Load(); p != nil && i < len(*p) {
		return &(*p)[i]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var cur []ruleCounters
	if p := m.byRule.Load(); p != nil {
		cur = *p
	}
	if i < len(cur) {
		return &cur[i]
	}
	next := make([]ruleCounters, i+1)
	copy(next, cur)
	for j := len(cur); j <= i; j++ {
		idx := strconv.Itoa(j)
		next[j] = ruleCounters{allow: m.vec.WithLabelValues(decisionAllow, idx), deny: m.vec.WithLabelValues(decisionDeny, idx)}
	}
	m.byRule.Store(&next)
	return &next[i]
}

// registerOrReuse registers c, or returns the collector already registered under its name
// (the route table may be built more than once over one registry). A nil registry keeps c
// unregistered.
func registerOrReuse[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// introspection is the RFC 7662 answer: {"active": false} for anything not active.
type introspection struct {
	Active  bool   `json:"active"`
	Sub     string `json:"sub,omitempty"`
	OrgID   int64  `json:"org_id,omitempty"`
	Role    string `json:"role,omitempty"`
	TokenID int64  `json:"token_id,omitempty"`
	Exp     int64  `json:"exp,omitempty"`
	// Scope is RFC 7662's: the token's scopes, separated by spaces.
	Scope string `json:"scope,omitempty"`
	// AllowedCIDRs are the token's address ranges, for a caller that did not send client_ip
	// and applies them itself.
	AllowedCIDRs []string `json:"allowed_cidrs,omitempty"`
}

// handleIntrospect answers POST /api/authz/introspect: the form field token, checked for a
// server admin or an org Admin (the service decides which tokens the caller may see).
func handleIntrospect(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// The permission is checked before the input is (SPEC §9): a caller who may not
		// introspect learns nothing from the validation.
		if _, _, err := svc.AdministeredOrgs(r.Context(), warden.PrincipalFromContext(r.Context())); err != nil {
			return err
		}
		// Only the body is read: a token in the query string would end up in logs.
		if err := r.ParseForm(); err != nil {
			return warden.Errorf(warden.EINVALID, "The body must be a form (application/x-www-form-urlencoded)")
		}
		if len(r.PostForm["token"]) != 1 || r.PostForm.Get("token") == "" {
			return warden.Errorf(warden.EINVALID, "The form field token is required, once")
		}
		clientIP := ""
		if vs, ok := r.PostForm["client_ip"]; ok {
			a, err := netip.ParseAddr(strings.TrimSpace(vs[0]))
			if len(vs) != 1 || err != nil || a.Zone() != "" {
				return warden.Errorf(warden.EINVALID, "The form field client_ip must be one IP address (the token's client's)")
			}
			clientIP = a.Unmap().String()
		}
		info, err := svc.IntrospectToken(r.Context(), r.PostForm.Get("token"), clientIP)
		if err != nil {
			return err
		}
		w.Header()["Cache-Control"] = noStore
		if info == nil {
			return encode(w, http.StatusOK, introspection{})
		}
		resp := introspection{Active: true, Sub: info.Login, OrgID: info.OrgID, Role: string(info.Role), TokenID: info.TokenID,
			Scope: strings.Join(info.Scopes, " "), AllowedCIDRs: info.AllowedCIDRs}
		if !info.Expires.IsZero() {
			resp.Exp = info.Expires.Unix()
		}
		return encode(w, http.StatusOK, resp)
	}
}
