package http

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// The web UI: server-rendered html/template pages with a little plain JavaScript, all
// embedded in the binary. UI handlers call the same *warden.Service methods as the JSON API;
// permissions are checked by the same route table.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// csrfCookie holds the double-submit token for forms shown before sign-in (the login form).
const csrfCookie = "warden_csrf"

// page is what every template receives.
type page struct {
	Title     string
	Active    string // nav entry to highlight
	Principal *warden.Principal
	Nav       nav
	CSRF      string
	Flash     string
	Error     string
	Data      any
}

// nav says which menu entries the viewer may use; entries it may not use are not shown.
type nav struct {
	ServiceAccounts bool
	Users           bool
	Teams           bool
}

func navFor(p *warden.Principal, saEnabled bool) nav {
	if p == nil {
		return nav{}
	}
	perms := p.Permissions
	return nav{
		ServiceAccounts: saEnabled && (perms.Evaluate(warden.ActionSARead, "") || perms.Evaluate(warden.ActionSACreate, "")),
		Users:           perms.Evaluate(warden.ActionOrgUsersRead, warden.ScopeUsersAll),
		Teams:           perms.Evaluate(warden.ActionTeamsRead, "") || perms.Evaluate(warden.ActionTeamsCreate, ""),
	}
}

// ui renders pages. It is built once per server.
type ui struct {
	logger *slog.Logger
	svc    *warden.Service
	opts   Options
	pages  map[string]*template.Template
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"avatar": func(name string) string { return warden.NameAvatarURL(name) },
	"userAvatar": func(email string) string {
		if email == "" {
			return "/avatar/0"
		}
		return warden.AvatarURL(email)
	},
	"roles": func() []warden.OrgRole {
		all := warden.OrgRoles()
		return all[:]
	},
	"add": func(a, b int) int { return a + b },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

func newUI(opts Options) *ui {
	u := &ui{logger: opts.Logger, svc: opts.Service, opts: opts, pages: map[string]*template.Template{}}
	// Files named _*.html hold partials that any page may use.
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		u.pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return u
}

// securityHeaders sets the headers every HTML response carries: a CSP that allows no inline
// script or style, no framing, no MIME sniffing, no referrer to other sites.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// render writes a page. Pages are rendered to a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) error {
	t, ok := u.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	p := warden.PrincipalFromContext(r.Context())
	pg.Principal = p
	pg.Nav = navFor(p, u.svc.ServiceAccountsEnabled())
	if pg.CSRF == "" {
		pg.CSRF = csrfToken(r)
	}
	if pg.Flash == "" {
		pg.Flash = takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", pg); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// renderError shows an error page for a failed UI request.
func (u *ui) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	msg := pageMessage(err)
	if status == http.StatusInternalServerError {
		u.logger.ErrorContext(r.Context(), "ui request failed", "request_id", requestID(r), "route", r.Pattern, "err", err)
		msg = "Something went wrong on our side. Try again; if it keeps happening, tell your administrator (request " + requestID(r) + ")."
	}
	if err := u.render(w, r, status, "error.html", page{Title: errorTitle(status), Error: msg}); err != nil {
		writeError(w, r, u.logger, err) // the error page itself failed: Grafana's JSON 500
	}
}

// fail is the error writer of the web UI. A page asked for without a session goes to the
// sign-in page and comes back; a form's mistake goes back to the form's page as a one-time
// message; anything else is an error page.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, err error) {
	var denied *accessDeniedError
	var form *formError
	switch {
	case errors.Is(err, errSignInRequired):
		if r.Method != http.MethodGet {
			redirect(w, r, "/login")
			return
		}
		http.Redirect(w, r, "/login?redirectTo="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
	case errors.As(err, &denied):
		u.renderError(w, r, warden.Errorf(warden.EFORBIDDEN, "You need additional permissions to open this page (%s).", denied.action))
	case errors.As(err, &form) && (form.err == nil || forThePerson(form.err)):
		msg := form.msg
		if msg == "" {
			msg = plainError(form.err)
		}
		setFlash(w, msg)
		redirect(w, r, form.page)
	default:
		u.renderError(w, r, err)
	}
}

// forThePerson reports whether a form's error is one the person can act on: a refusal (below
// 500), or one of the server errors Grafana words for its user, such as "Failed to remove user
// from organization". An unexpected failure shows the error page instead.
func forThePerson(err error) bool {
	if errorStatus(err) < 500 {
		return true
	}
	var e *warden.Error
	return errors.As(err, &e) && e.Code == warden.EINTERNAL && e.Message != "" && e.Err == nil
}

// csrfToken returns the token forms must carry. With a session it is derived from the session
// cookie (which scripts cannot read), so it needs no storage and dies with the session; before
// sign-in it is the double-submit cookie's value.
func csrfToken(r *http.Request) string {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		m := hmac.New(sha256.New, []byte(c.Value))
		m.Write([]byte("warden csrf"))
		return hex.EncodeToString(m.Sum(nil))
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	return ""
}

// ensureCSRFCookie sets the pre-sign-in CSRF cookie when the request has none and returns
// the token to put in the form.
func ensureCSRFCookie(w http.ResponseWriter, r *http.Request, secure bool) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	return v
}

// validCSRF reports whether a form carries the right CSRF token.
func validCSRF(r *http.Request) bool {
	want := csrfToken(r)
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// validLoginCSRF checks the sign-in form against the pre-sign-in cookie only: a stale session
// cookie left in the browser must not make the form's token look wrong.
func validLoginCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) == 1
}

// setFlash stores a one-time message shown on the next page.
func setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: "warden_flash", Value: url.QueryEscape(msg), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie("warden_flash")
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: "warden_flash", Value: "", Path: "/", MaxAge: -1})
	msg, _ := url.QueryUnescape(c.Value)
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// redirect answers a form post with 303 See Other, so Reload never repeats the post. It
// returns nil, so that a handler can end with it.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// redirectWith redirects with a one-time message for the next page.
func redirectWith(w http.ResponseWriter, r *http.Request, to, flash string) error {
	setFlash(w, flash)
	return redirect(w, r, to)
}

// handleStatic serves the embedded CSS and JavaScript.
func handleStatic() handlerFunc {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/public/", http.FileServerFS(sub))
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
		return nil
	}
}

// handleAvatar serves a small generated avatar for /avatar/<hash>: a coloured disc derived from
// the hash. Warden never loads images from other sites.
func handleAvatar() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h := r.PathValue("hash")
		sum := sha256.Sum256([]byte(h))
		hue := int(sum[0])*360/256 + 0
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">`+
			`<circle cx="16" cy="16" r="16" fill="hsl(%d,45%%,55%%)"/><circle cx="16" cy="13" r="5.5" fill="rgba(255,255,255,.85)"/>`+
			`<path d="M6 27c2-5.5 6-8 10-8s8 2.5 10 8" fill="rgba(255,255,255,.85)"/></svg>`, hue)
		return nil
	}
}
