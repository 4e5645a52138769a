package http

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// handleUILoginPage handles "GET /login": the sign-in form.
func (u *ui) handleUILoginPage() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if p, _ := u.currentUser(r); p != nil {
			return redirect(w, r, safeTarget(r.URL.Query().Get("redirectTo")))
		}
		token := ensureCSRFCookie(w, r, secureCookie(r, u.opts))
		return u.render(w, r, http.StatusOK, "login.html", page{Title: "Sign in", CSRF: token,
			Data: map[string]string{"RedirectTo": safeTarget(r.URL.Query().Get("redirectTo"))}})
	}
}

// currentUser returns the signed-in user of a request, if any (for pages that also work
// signed out).
func (u *ui) currentUser(r *http.Request) (*warden.Principal, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	usr, _, err := u.svc.AuthenticateSession(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return u.svc.UserPrincipal(r.Context(), usr, 0)
}

// safeTarget returns target when it is a local path, else "/".
func safeTarget(target string) string {
	if target == "" || !safeRedirect(target) {
		return "/"
	}
	return target
}

// handleUILoginForm handles a form-encoded "POST /login" from the sign-in page. Its answer is
// always a page: the form again with what went wrong, or the page the user was going to.
func (u *ui) handleUILoginForm(w http.ResponseWriter, r *http.Request) error {
	target := safeTarget(r.PostFormValue("redirectTo"))
	again := func(status int, msg string) error {
		token := ensureCSRFCookie(w, r, secureCookie(r, u.opts))
		return u.render(w, r, status, "login.html", page{Title: "Sign in", CSRF: token, Error: msg,
			Data: map[string]string{"RedirectTo": target, "User": r.PostFormValue("user")}})
	}
	if !validLoginCSRF(r) {
		return again(http.StatusForbidden, "Your sign-in form expired. Please try again.")
	}
	user, pass := r.PostFormValue("user"), r.PostFormValue("password")
	if user == "" || pass == "" {
		return again(http.StatusBadRequest, "Enter your email or username and your password.")
	}
	_, token, err := u.svc.Login(r.Context(), user, pass, r.UserAgent())
	switch warden.ErrorCode(err) {
	case "":
	case warden.EUNAUTHORIZED:
		msg := "Invalid username or password."
		var e *warden.Error
		if errors.As(err, &e) && e.MessageID == "identity.disabled" {
			msg = "This account is disabled. Ask an administrator to enable it."
		}
		return again(http.StatusUnauthorized, msg)
	case warden.ETOOMANY:
		return again(http.StatusTooManyRequests, "Too many failed sign-ins from your address. Wait a few minutes and try again.")
	default:
		return err
	}
	setSessionCookie(w, r, u.opts, token)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1})
	return redirect(w, r, target)
}

// handleUIHome handles "GET /{$}".
func (u *ui) handleUIHome() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		if navFor(p, u.svc.ServiceAccountsEnabled()).ServiceAccounts {
			return redirect(w, r, "/org/serviceaccounts")
		}
		orgs, err := u.svc.UserOrgs(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		return u.render(w, r, http.StatusOK, "home.html", page{Title: "Home", Data: orgs})
	}
}

// ---- service accounts ----

type saRow struct {
	*warden.ServiceAccount
	CanWrite, CanDelete bool
}

type saListData struct {
	Query, Filter string
	Rows          []saRow
	Total         int
	Page, Pages   int
	CanCreate     bool
	PrevURL       string
	NextURL       string
}

const uiPerPage = 30

// handleUISAList handles "GET /org/serviceaccounts".
func (u *ui) handleUISAList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		q := r.URL.Query()
		d := saListData{Query: strings.TrimSpace(q.Get("query")), Filter: q.Get("filter"),
			CanCreate: p.Permissions.Evaluate(warden.ActionSACreate, "")}
		pg := queryInt(r, "page", 1)
		if pg < 1 || pg > 1<<20 {
			pg = 1
		}
		f := warden.ServiceAccountFilter{Query: d.Query, Offset: (pg - 1) * uiPerPage, Limit: uiPerPage}
		switch d.Filter {
		case "expired":
			f.ExpiredTokensAt = u.svc.Now()
		case "disabled":
			f.Disabled = true
		default:
			d.Filter = "all"
		}
		list, total, err := u.svc.SearchServiceAccounts(r.Context(), f)
		if err != nil {
			return err
		}
		d.Total, d.Page = total, pg
		d.Pages = max(1, (total+uiPerPage-1)/uiPerPage)
		link := func(n int) string {
			v := url.Values{"page": {strconv.Itoa(n)}, "filter": {d.Filter}}
			if d.Query != "" {
				v.Set("query", d.Query)
			}
			return "/org/serviceaccounts?" + v.Encode()
		}
		if pg > 1 {
			d.PrevURL = link(pg - 1)
		}
		if pg < d.Pages {
			d.NextURL = link(pg + 1)
		}
		for _, a := range list {
			scope := warden.ScopeServiceAccount(a.ID)
			d.Rows = append(d.Rows, saRow{ServiceAccount: a, CanWrite: p.Permissions.Evaluate(warden.ActionSAWrite, scope),
				CanDelete: p.Permissions.Evaluate(warden.ActionSADelete, scope)})
		}
		return u.render(w, r, http.StatusOK, "sa_list.html", page{Title: "Service accounts", Active: "serviceaccounts", Data: d})
	}
}

// handleUISACreatePage handles "GET /org/serviceaccounts/create".
func (u *ui) handleUISACreatePage() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return u.render(w, r, http.StatusOK, "sa_create.html", page{Title: "Create service account", Active: "serviceaccounts",
			Data: map[string]any{"Role": warden.RoleViewer}})
	}
}

// handleUISACreate handles "POST /org/serviceaccounts/create".
func (u *ui) handleUISACreate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := strings.TrimSpace(r.PostFormValue("name"))
		role, ok := warden.ParseOrgRole(r.PostFormValue("role"))
		again := func(status int, nameErr, topErr string) error {
			return u.render(w, r, status, "sa_create.html", page{Title: "Create service account", Active: "serviceaccounts", Error: topErr,
				Data: map[string]any{"Name": r.PostFormValue("name"), "Role": role, "NameError": nameErr}})
		}
		if !ok {
			role = warden.RoleViewer
			return again(http.StatusBadRequest, "", "Choose one of the listed roles.")
		}
		if name == "" {
			return again(http.StatusBadRequest, "Display name is required", "")
		}
		a, err := u.svc.CreateServiceAccount(r.Context(), name, &role, false)
		switch {
		case err == nil:
		case warden.ErrorMessage(err) == "service account already exists":
			return again(http.StatusBadRequest, "A service account with this name already exists. Choose another name.", "")
		case errorStatus(err) < 500:
			return again(errorStatus(err), "", plainError(err))
		default:
			return err
		}
		return redirectWith(w, r, "/org/serviceaccounts/"+strconv.FormatInt(a.ID, 10), "Service account "+a.Name+" created.")
	}
}

// plainError words an error for a person.
func plainError(err error) string {
	msg := restrictionWords(warden.ErrorMessage(err))
	switch msg {
	case "can not assign a role higher than user's role", "Cannot assign a role higher than user's role":
		return "You cannot give a role higher than your own."
	case warden.ErrTokenExpiryLimit.Message:
		return "The expiration date is later than this server allows for tokens. Choose an earlier date."
	case "service account token with given name already exists in the organization":
		return "A token with this name already exists in this organization. Choose another name."
	case "invalid SecondsToLive value":
		return "The expiration date must be in the future."
	}
	if msg == "" {
		return "Something went wrong."
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + strings.Repeat(".", boolInt(!strings.HasSuffix(msg, ".")))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type tokenRow struct {
	*warden.Token
	End     time.Time // when it stops working (svc.EffectiveExpiry); zero: never
	Expires string    // "Never", "Expires in N days", "Expired" or a date
	Expired bool
	// SaysExpiry marks Expires texts that say what they are about on their own ("Expires in
	// 3 days", "Expired"): a phone shows them without the column's name.
	SaysExpiry bool
	Creator    string // who created it: a login, "system", or "—" when not recorded
	// ReplacedByName is, for a rotated token, the name of the token that replaced it ("" when
	// that one is no longer listed); ReplacesName, for a replacing token, the name of the
	// token it replaced, while that one is listed.
	ReplacedByName string
	ReplacesName   string
}

type permRow struct {
	*warden.ResourcePermission
	Kind  string // "user" or "team"
	Label string
}

type saPageData struct {
	SA                  *warden.ServiceAccount
	Tokens              []tokenRow
	Perms               []permRow
	CanWrite, CanDelete bool
	CanReadPerms        bool
	CanWritePerms       bool
	Users               []*warden.OrgUser
	Teams               []*warden.Team
	MinDate, MaxDate    string
	DayLimit            int
	Nonce               string
	EditName            bool
	Created             *createdToken
	TokenName           string
	TokenError          string
	Expiration          string
	ExpirationDate      string
	ExpiryClock         string // the time of day (UTC) a token made now expires at, on the date chosen
	// CanRotate shows each token's Rotate action (as Add token, not on a disabled account).
	CanRotate bool
	// ExpiredTokens counts the tokens past their end: Delete expired tokens is shown when
	// there are some.
	ExpiredTokens int
	// Limits are the token form's restriction fields (its Advanced part).
	Limits limitFields
}

type createdToken struct {
	Name string
	Key  string
}

// expiresText words when a token stops working (end; zero: never) for the token table.
func expiresText(end, now time.Time) (string, bool) {
	if end.IsZero() {
		return "Never", false
	}
	if !end.After(now) {
		return "Expired", true
	}
	left := end.Sub(now)
	in := func(n int, unit string) string {
		if n == 1 {
			return "Expires in 1 " + unit
		}
		return "Expires in " + strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case left < 55*time.Minute: // a rotated token's short grace period
		return in(int(math.Ceil(left.Minutes())), "minute"), false
	case left < 23*time.Hour+30*time.Minute:
		return in(max(1, int(math.Round(left.Hours()))), "hour"), false
	case left < 7*24*time.Hour:
		return in(int(math.Ceil(left.Hours()/24)), "day"), false
	}
	return end.UTC().Format("2006-01-02"), false
}

// creatorText names who created a token, for the token table.
func creatorText(c warden.TokenCreator) string {
	switch {
	case c.Login != "":
		return c.Login
	case c.Kind == "system":
		return "system"
	}
	return "—"
}

// saPage gathers what the service-account page shows.
func (u *ui) saPage(r *http.Request, id int64) (*saPageData, error) {
	ctx := r.Context()
	p := warden.PrincipalFromContext(ctx)
	a, err := u.svc.FindServiceAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	scope := warden.ScopeServiceAccount(a.ID)
	d := &saPageData{SA: a, CanWrite: p.Permissions.Evaluate(warden.ActionSAWrite, scope),
		CanDelete:     p.Permissions.Evaluate(warden.ActionSADelete, scope),
		CanReadPerms:  p.Permissions.Evaluate(warden.ActionSAPermissionsRead, scope),
		CanWritePerms: p.Permissions.Evaluate(warden.ActionSAPermissionsWrite, scope),
		DayLimit:      u.svc.Config().TokenExpirationDayLimit, Expiration: "never"}
	d.Limits = newLimitFields(a.Role, restrictionsInput{}, "")
	tokens, err := u.svc.ListTokens(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	now := u.svc.Now().UTC()
	names := make(map[int64]string, len(tokens))
	for _, t := range tokens {
		names[t.ID] = t.Name
	}
	for _, t := range tokens {
		row := tokenRow{Token: t, End: u.svc.EffectiveExpiry(t), Creator: creatorText(t.CreatedBy),
			ReplacedByName: names[t.ReplacedBy], ReplacesName: names[t.Replaces]}
		row.Expires, row.Expired = expiresText(row.End, now)
		row.SaysExpiry = row.Expired || strings.HasPrefix(row.Expires, "Expires")
		if row.Expired {
			d.ExpiredTokens++
		}
		d.Tokens = append(d.Tokens, row)
	}
	d.CanRotate = d.CanWrite && !a.IsDisabled
	slices.SortStableFunc(d.Tokens, func(a, b tokenRow) int { return naturalCompare(a.Name, b.Name) })
	d.ExpiryClock = now.Format("15:04")
	d.MinDate = now.AddDate(0, 0, 1).Format("2006-01-02")
	if d.DayLimit > 0 {
		// The last UTC day SPEC §2.8 step 5 accepts.
		d.MaxDate = now.AddDate(0, 0, d.DayLimit).Format("2006-01-02")
		d.Expiration = "date"
	}
	if d.CanReadPerms {
		perms, err := u.svc.ServiceAccountPermissions(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		var teams []*warden.Team
		if d.CanWritePerms {
			teams, _, err = u.svc.SearchTeams(warden.NewContextWithPrincipal(ctx, teamReader(p)), warden.TeamFilter{Limit: 1000})
			if err != nil {
				return nil, err
			}
		}
		for _, rp := range perms {
			row := permRow{ResourcePermission: rp, Kind: "user", Label: rp.UserLogin}
			if rp.TeamID != 0 {
				row.Kind, row.Label = "team", rp.TeamName
			}
			d.Perms = append(d.Perms, row)
		}
		if d.CanWritePerms {
			d.Teams = teams
			d.Users, _, err = u.svc.OrgUsers(ctx, warden.OrgUserFilter{OrgID: p.OrgID, Limit: 1000})
			if err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// teamReader returns p able to list every team of its org: choosing a team for a permission
// needs the names, and whoever may grant permissions on the account may see them.
func teamReader(p *warden.Principal) *warden.Principal {
	cp := *p
	cp.Permissions = warden.NewPermissions([]warden.Permission{{Action: warden.ActionTeamsRead, Scope: warden.ScopeTeamsAll}})
	return &cp
}

// handleUISAPage handles "GET /org/serviceaccounts/{id}".
func (u *ui) handleUISAPage() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		d, err := u.saPage(r, id)
		if err != nil {
			return err
		}
		d.EditName = r.URL.Query().Get("edit") == "name" && d.CanWrite
		d.Nonce = newNonce()
		return u.render(w, r, http.StatusOK, "sa.html", page{Title: d.SA.Name, Active: "serviceaccounts", Data: d})
	})
}

// newNonce returns a one-time form value for the token form.
func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func saURL(id int64) string { return "/org/serviceaccounts/" + strconv.FormatInt(id, 10) }

// handleUISAUpdate handles "POST /org/serviceaccounts/{id}/{action}" for name, role,
// disable, enable and delete.
func (u *ui) handleUISAUpdate(action string) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		var upd warden.ServiceAccountUpdate
		flash := ""
		switch action {
		case "name":
			n := strings.TrimSpace(r.PostFormValue("name"))
			if n == "" {
				return redirectWith(w, r, saURL(id)+"?edit=name", "Display name is required")
			}
			upd.Name, flash = &n, "Name saved."
		case "role":
			role, ok := warden.ParseOrgRole(r.PostFormValue("role"))
			if !ok {
				return warden.Errorf(warden.EINVALID, "Choose one of the listed roles.")
			}
			upd.Role, flash = &role, "Role changed to "+string(role)+"."
		case "disable", "enable":
			v := action == "disable"
			upd.IsDisabled = &v
			flash = "Service account " + action + "d."
		case "delete":
			if !confirmed(r) {
				a, err := u.svc.FindServiceAccount(r.Context(), id)
				if err != nil {
					return err
				}
				q := "Are you sure you want to delete '" + a.Name + "'?"
				if a.Tokens > 0 {
					q = fmt.Sprintf("Are you sure you want to delete '%s' and %d accompanying %s?", a.Name, a.Tokens, map[bool]string{true: "token", false: "tokens"}[a.Tokens == 1])
				}
				return u.askFirst(w, r, confirmation{Title: "Delete service account", Question: q, Button: "Delete service account",
					Back: back(r, saURL(id)), Active: "serviceaccounts"}, "back")
			}
			if err := u.svc.DeleteServiceAccount(r.Context(), id); err != nil {
				return err
			}
			return redirectWith(w, r, "/org/serviceaccounts", "Service account deleted.")
		}
		if _, err := u.svc.UpdateServiceAccount(r.Context(), id, upd); err != nil {
			return backTo(back(r, saURL(id)), err)
		}
		return redirectWith(w, r, back(r, saURL(id)), flash)
	})
}

// back returns the form's "back" field when it is a local path, else def: list rows post
// from the list and return there.
func back(r *http.Request, def string) string {
	if b := r.PostFormValue("back"); b != "" && safeRedirect(b) {
		return b
	}
	return def
}

// handleUITokenCreate handles "POST /org/serviceaccounts/{id}/tokens", the no-JavaScript way
// of adding a token (the dialog uses the JSON API). Its response shows the token once and is
// never cached; a one-time form nonce makes Reload or a resubmitted form land on the account
// page instead of creating or showing another token.
func (u *ui) handleUITokenCreate() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		if err := u.svc.ClaimFormNonce(r.Context(), r.PostFormValue("nonce")); err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				return err
			}
			return redirectWith(w, r, saURL(id), "That token was already generated. It is shown only once; add a new token if you need one.")
		}
		name := strings.TrimSpace(r.PostFormValue("name"))
		expiration := r.PostFormValue("expiration")
		date := r.PostFormValue("expirationDate")
		limits := readRestrictions(r)
		// A mistake in the form shows the page again with the form as it was sent.
		again := func(msg string) error {
			d, err := u.saPage(r, id)
			if err != nil {
				return err
			}
			d.Nonce, d.TokenName, d.TokenError, d.Expiration, d.ExpirationDate = newNonce(), r.PostFormValue("name"), msg, expiration, date
			d.Limits = newLimitFields(d.SA.Role, limits, msg)
			return u.render(w, r, http.StatusBadRequest, "sa.html", page{Title: d.SA.Name, Active: "serviceaccounts", Data: d})
		}
		if name == "" {
			return again("Display name is required")
		}
		var seconds int64
		if expiration == "date" {
			day, err := time.Parse("2006-01-02", date)
			if err != nil {
				return again("Choose an expiration date.")
			}
			// Without JavaScript the browser's time zone is unknown: the token expires on that
			// day (UTC) at the time of day it is now, so "tomorrow" is 24 hours from now.
			now := u.svc.Now().UTC()
			days := int64(day.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
			if days <= 0 {
				return again("The expiration date must be in the future.")
			}
			seconds = days * 24 * 60 * 60
		}
		restrictions, err := limits.parse()
		if err != nil {
			return again(plainError(err))
		}
		tk, secret, err := u.svc.IssueToken(r.Context(), id, name, seconds, restrictions)
		if err != nil {
			if errorStatus(err) < 500 {
				return again(plainError(err))
			}
			return err
		}
		d, err := u.saPage(r, id)
		if err != nil {
			return err
		}
		d.Nonce = newNonce()
		d.Created = &createdToken{Name: tk.Name, Key: secret.Reveal()}
		return u.render(w, r, http.StatusOK, "sa.html", page{Title: d.SA.Name, Active: "serviceaccounts", Data: d})
	})
}

// handleUITokenDelete handles "POST /org/serviceaccounts/{id}/tokens/{tokenId}/delete".
func (u *ui) handleUITokenDelete() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		tokenID, err := pathID(r, "tokenId")
		if err != nil {
			return err
		}
		if !confirmed(r) {
			name, err := u.tokenName(r, id, tokenID)
			if err != nil {
				return err
			}
			return u.askFirst(w, r, confirmation{Title: "Delete service account token", Button: "Delete", Back: saURL(id), Active: "serviceaccounts",
				Question: "Are you sure you want to delete the token '" + name + "'? Anything using it stops working."})
		}
		if err := u.svc.DeleteToken(r.Context(), id, tokenID); err != nil {
			return err
		}
		return redirectWith(w, r, saURL(id), "Token deleted.")
	})
}

// handleUISAPermission handles "POST /org/serviceaccounts/{id}/permissions": grant a user or a
// team Edit or Admin, or remove it (level "").
func (u *ui) handleUISAPermission() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		level := warden.ManagedLevel(r.PostFormValue("permission"))
		principal := r.PostFormValue("principal") // "user:<id>" or "team:<id>"
		kind, rawID, _ := strings.Cut(principal, ":")
		pid, perr := strconv.ParseInt(rawID, 10, 64)
		if perr != nil || (kind != "user" && kind != "team") {
			return redirectWith(w, r, saURL(id), "Choose a user or a team.")
		}
		if level == "" && !confirmed(r) {
			perms, err := u.svc.ServiceAccountPermissions(r.Context(), id)
			if err != nil {
				return backTo(saURL(id), err)
			}
			for _, rp := range perms {
				if kind == "user" && rp.TeamID == 0 && rp.UserID == pid || kind == "team" && rp.TeamID == pid {
					label := rp.UserLogin
					if kind == "team" {
						label = rp.TeamName
					}
					return u.askFirst(w, r, confirmation{Title: "Remove permission", Question: "Remove " + string(rp.Level) + " from " + label + "?",
						Button: "Remove", Back: saURL(id), Active: "serviceaccounts"}, "principal", "permission")
				}
			}
			return redirectWith(w, r, saURL(id), "There is no such permission to remove.")
		}
		set := u.svc.SetServiceAccountUserPermission
		if kind == "team" {
			set = u.svc.SetServiceAccountTeamPermission
		}
		if _, err := set(r.Context(), id, pid, level); err != nil {
			return backTo(saURL(id), err)
		}
		if level == "" {
			return redirectWith(w, r, saURL(id), "Permission removed.")
		}
		return redirectWith(w, r, saURL(id), "Permission saved.")
	})
}

// naturalCompare orders names as a person reads them: runs of digits by their value (t2
// before t10), other text regardless of case; names equal that way are ordered as written.
func naturalCompare(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		cx, cy := leadingRun(x), leadingRun(y)
		x, y = x[len(cx):], y[len(cy):]
		if isDigit(cx[0]) && isDigit(cy[0]) {
			nx, ny := strings.TrimLeft(cx, "0"), strings.TrimLeft(cy, "0")
			if c := cmp.Or(cmp.Compare(len(nx), len(ny)), strings.Compare(nx, ny)); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(strings.ToLower(cx), strings.ToLower(cy)); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(utf8.RuneCountInString(x), utf8.RuneCountInString(y)), strings.Compare(a, b))
}

// leadingRun returns the run of digits, or of other characters, that s starts with.
func leadingRun(s string) string {
	digits := isDigit(s[0])
	for i := 1; i < len(s); i++ {
		if isDigit(s[i]) != digits {
			return s[:i]
		}
	}
	return s
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
