package http

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// handleHealth handles "GET /api/health": 200 when the database answers, 503 otherwise. No
// authentication; load balancers poll it.
func handleHealth(svc *warden.Service, version, commit string) handlerFunc {
	type response struct {
		Database string `json:"database"`
		Version  string `json:"version"`
		Commit   string `json:"commit"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		resp, status := response{Database: "ok", Version: version, Commit: commit}, http.StatusOK
		if err := svc.Ping(r.Context()); err != nil {
			resp.Database, status = "failing", http.StatusServiceUnavailable
		}
		b, _ := json.MarshalIndent(resp, "", "  ")
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(b)
		}
		return nil
	}
}

// handleHealthz handles "GET /healthz": the process is up; nothing else is checked.
func handleHealthz() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Ok"))
		return nil
	}
}

// setSessionCookie gives the browser the session cookie of token.
func setSessionCookie(w http.ResponseWriter, r *http.Request, opts Options, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: int(opts.SessionLifetime / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureCookie(r, opts)})
}

// clearSessionCookie tells the browser to drop the session cookie.
func clearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
}

func secureCookie(r *http.Request, opts Options) bool {
	if opts.CookieSecure {
		return true
	}
	if opts.RootURL != nil && opts.RootURL.Scheme == "https" {
		return true
	}
	return isHTTPS(r, opts.TrustedProxies)
}

// safeRedirect reports whether target is a local path Warden may redirect to: one leading "/",
// never "//" or "/\", which browsers treat as another host, and no control characters.
func safeRedirect(target string) bool {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.HasPrefix(target, "/\\") {
		return false
	}
	// Browsers drop tabs and newlines anywhere in a URL, so "/\t/evil.com" would become
	// "//evil.com": refuse every control character (and spaces) outright.
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// handleLogin handles "POST /login": it checks the credentials and sets the session cookie.
// A form-encoded post comes from the sign-in page and is answered with pages and redirects.
func handleLogin(svc *warden.Service, opts Options, u *ui) handlerFunc {
	type request struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	type response struct {
		Message     string `json:"message"`
		RedirectURL string `json:"redirectUrl"`
	}
	badLogin := warden.ErrorID(warden.EINVALID, "form-auth.invalid", "bad login data")
	return func(w http.ResponseWriter, r *http.Request) error {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			return pageError(u.handleUILoginForm(w, r))
		}
		req, err := decode[request](w, r, "bad login data")
		if err != nil {
			if err == errBodyTooLarge {
				return err
			}
			return badLogin
		}
		if req.User == "" || req.Password == "" {
			return badLogin
		}
		_, token, err := svc.Login(r.Context(), req.User, req.Password, r.UserAgent())
		if err != nil {
			return &authError{err}
		}
		setSessionCookie(w, r, opts, token)
		redirect := "/"
		if c, err := r.Cookie("redirect_to"); err == nil {
			if safeRedirect(c.Value) {
				redirect = c.Value
			}
			http.SetCookie(w, &http.Cookie{Name: "redirect_to", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		return encode(w, http.StatusOK, response{Message: "Logged in", RedirectURL: redirect})
	}
}

// handleLogout handles "GET /logout": it ends the session, clears the cookie and sends the
// browser to the sign-in page.
func handleLogout(logger *slog.Logger, svc *warden.Service, opts Options) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if c, err := r.Cookie(SessionCookie); err == nil {
			if err := svc.Logout(r.Context(), c.Value); err != nil {
				logger.ErrorContext(r.Context(), "logout failed", "request_id", requestID(r), "err", err)
			}
		}
		clearSessionCookie(w, secureCookie(r, opts))
		http.Redirect(w, r, "/login", http.StatusFound)
		return nil
	}
}

// handleLoginPing handles "GET /api/login/ping".
func handleLoginPing() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return encode(w, http.StatusOK, message{"Logged in"})
	}
}

// handleFrontendSettings handles "GET /api/frontend/settings": the subset of Grafana's boot
// data that API clients and Warden's UI read.
func handleFrontendSettings(opts Options) handlerFunc {
	type buildInfo struct {
		HideVersion   bool   `json:"hideVersion"`
		Version       string `json:"version"`
		VersionString string `json:"versionString"`
		Commit        string `json:"commit"`
		CommitShort   string `json:"commitShort"`
		Edition       string `json:"edition"`
		Env           string `json:"env"`
	}
	type response struct {
		AppURL                  string          `json:"appUrl"`
		AppSubURL               string          `json:"appSubUrl"`
		BuildInfo               buildInfo       `json:"buildInfo"`
		FeatureToggles          map[string]bool `json:"featureToggles"`
		TokenExpirationDayLimit int             `json:"tokenExpirationDayLimit"`
		RBACEnabled             bool            `json:"rbacEnabled"`
		AnonymousEnabled        bool            `json:"anonymousEnabled"`
		DisableLoginForm        bool            `json:"disableLoginForm"`
		AllowOrgCreate          bool            `json:"allowOrgCreate"`
		AutoAssignOrg           bool            `json:"autoAssignOrg"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		toggles := map[string]bool{}
		for k, v := range opts.FeatureToggles {
			if v {
				toggles[k] = true
			}
		}
		appURL := ""
		if opts.RootURL != nil {
			appURL = opts.RootURL.String()
		}
		short := opts.Commit
		if len(short) > 10 {
			short = short[:10]
		}
		return encode(w, http.StatusOK, response{
			AppURL: appURL,
			BuildInfo: buildInfo{Version: opts.Version, VersionString: "Warden v" + opts.Version,
				Commit: opts.Commit, CommitShort: short, Edition: "Open Source", Env: "production"},
			FeatureToggles:          toggles,
			TokenExpirationDayLimit: opts.TokenExpirationDayLimit,
			RBACEnabled:             true,
			AutoAssignOrg:           opts.Service.Config().AutoAssignOrg,
		})
	}
}
