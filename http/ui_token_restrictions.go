package http

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/wardenhq/warden"
)

// Token restrictions in the web UI (issue 18): the token form's Advanced part (role cap,
// scopes, allowed address ranges), the restrictions under each token's name in the token
// table, the account page's count of restricted tokens, and a page of its own to change a
// token's restrictions. Everything works without JavaScript; the token dialog sends the same
// fields to the JSON API.

// restrictionsInput is the restriction fields of a form as the person typed them. The form
// names are the JSON API's: role, scopes, allowedCidrs.
type restrictionsInput struct {
	Role   string // "" : no cap
	Scopes string // separated by spaces, commas or new lines
	CIDRs  string // likewise
}

// readRestrictions reads the restriction fields of a posted form.
func readRestrictions(r *http.Request) restrictionsInput {
	return restrictionsInput{Role: strings.TrimSpace(r.PostFormValue("role")),
		Scopes: r.PostFormValue("scopes"), CIDRs: r.PostFormValue("allowedCidrs")}
}

// lists returns the fields as warden.ParseTokenRestrictions reads them.
func (in restrictionsInput) lists() (role string, scopes, cidrs []string) {
	return in.Role, splitList(in.Scopes), splitList(in.CIDRs)
}

// parse checks the fields; an error names the field (see restrictionWords).
func (in restrictionsInput) parse() (warden.TokenRestrictions, error) {
	return warden.ParseTokenRestrictions(in.lists())
}

// splitList splits a list typed into a field: items separated by spaces, commas or new
// lines, empty items dropped. Neither scopes nor address ranges can hold a space or a comma.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// inputOf returns a token's restrictions as the fields show them: scopes on one line, one
// range per line.
func inputOf(t warden.TokenRestrictions) restrictionsInput {
	return restrictionsInput{Role: string(t.Role), Scopes: strings.Join(t.Scopes, " "), CIDRs: strings.Join(t.CIDRStrings(), "\n")}
}

// The field names of warden.ParseTokenRestrictions's errors, and the words the UI uses for
// them (the fields' labels).
var restrictionFieldWords = []struct{ api, words, field string }{
	{"role: ", "Role: ", "role"},
	{"scopes: ", "Scopes: ", "scopes"},
	{"allowedCidrs: ", "Allowed address ranges: ", "cidrs"},
}

// restrictionWords words an error message about a restriction with the field's label
// ("allowedCidrs: …" → "Allowed address ranges: …"); other messages are returned as they are.
func restrictionWords(msg string) string {
	for _, f := range restrictionFieldWords {
		if rest, ok := strings.CutPrefix(msg, f.api); ok {
			return f.words + rest
		}
	}
	return msg
}

// invalidRestriction returns which restriction field a worded message is about ("role",
// "scopes", "cidrs"), or "".
func invalidRestriction(msg string) string {
	for _, f := range restrictionFieldWords {
		if strings.HasPrefix(msg, f.words) {
			return f.field
		}
	}
	return ""
}

// roleChoice is one option of the role cap picker.
type roleChoice struct {
	Value, Label string
	Chosen       bool
}

// limitFields is what the three restriction fields show (the partial
// _token_restrictions.html): on the token form and on the restrictions page.
type limitFields struct {
	restrictionsInput
	Roles       []roleChoice
	AccountRole warden.OrgRole
	// Invalid is the field the error is about ("role", "scopes", "cidrs"); the field is then
	// marked invalid and described by the error (id token-error).
	Invalid string
}

// Open reports whether the token form's Advanced part starts open: when it holds something
// or is what the error is about.
func (f limitFields) Open() bool {
	return f.Invalid != "" || f.Role != "" || strings.TrimSpace(f.Scopes) != "" || strings.TrimSpace(f.CIDRs) != ""
}

// newLimitFields prepares the fields for an account of role account, showing in, for an
// error message msg ("" when none). The role cap offers no cap and the roles up to the
// account's; a cap above it (chosen before the account's role was lowered, or sent by hand)
// is kept and said to be above.
func newLimitFields(account warden.OrgRole, in restrictionsInput, msg string) limitFields {
	f := limitFields{restrictionsInput: in, AccountRole: account, Invalid: invalidRestriction(msg)}
	chosen := in.Role
	if r, ok := warden.ParseOrgRole(in.Role); ok && in.Role != "" {
		chosen = string(r)
	}
	f.Roles = append(f.Roles, roleChoice{Value: "", Label: "Same as the service account", Chosen: chosen == ""})
	for _, r := range warden.OrgRoles() {
		above := !account.Includes(r)
		if above && string(r) != chosen {
			continue
		}
		c := roleChoice{Value: string(r), Label: string(r), Chosen: string(r) == chosen}
		if above {
			c.Label += " (above the service account's role)"
		}
		f.Roles = append(f.Roles, c)
	}
	return f
}

// RestrictionsText words a token's restrictions for the token table: "Role: Viewer · Scopes:
// orders:read, orders:write · From: 10.0.0.0/8"; "" when it has none.
func (r tokenRow) RestrictionsText() string {
	return restrictionsText(r.Restrictions)
}

func restrictionsText(t warden.TokenRestrictions) string {
	var parts []string
	if t.Role != "" {
		parts = append(parts, "Role: "+string(t.Role))
	}
	if len(t.Scopes) > 0 {
		parts = append(parts, "Scopes: "+strings.Join(t.Scopes, ", "))
	}
	if len(t.AllowedCIDRs) > 0 {
		parts = append(parts, "From: "+strings.Join(t.CIDRStrings(), ", "))
	}
	return strings.Join(parts, " · ")
}

// maxSummaryNames bounds the names the summary of restricted tokens lists.
const maxSummaryNames = 10

// RestrictedSummary says which of the account's tokens are restricted: "2 of 5 tokens are
// restricted: deploy, ci"; "" when none is.
func (d *saPageData) RestrictedSummary() string {
	var names []string
	for _, t := range d.Tokens {
		if !t.Restrictions.IsZero() {
			names = append(names, t.Name)
		}
	}
	return restrictedSummary(names, len(d.Tokens))
}

func restrictedSummary(names []string, total int) string {
	if len(names) == 0 {
		return ""
	}
	s := strconv.Itoa(len(names)) + " of " + strconv.Itoa(total)
	if total == 1 {
		s += " token"
	} else {
		s += " tokens"
	}
	if len(names) == 1 {
		s += " is restricted: "
	} else {
		s += " are restricted: "
	}
	if len(names) > maxSummaryNames {
		return s + strings.Join(names[:maxSummaryNames], ", ") + " and " + strconv.Itoa(len(names)-maxSummaryNames) + " more"
	}
	return s + strings.Join(names, ", ")
}

// restrictPageData is what the restrictions page shows.
type restrictPageData struct {
	SA     *warden.ServiceAccount
	Token  *warden.Token
	Limits limitFields
	Error  string
	Action string
	Back   string
}

func restrictURL(saID, tokenID int64) string {
	return saURL(saID) + "/tokens/" + strconv.FormatInt(tokenID, 10) + "/restrictions"
}

// restrictPage renders the restrictions page of a token: its fields showing in, with msg
// ("" when none) and status.
func (u *ui) restrictPage(w http.ResponseWriter, r *http.Request, status int, a *warden.ServiceAccount, tk *warden.Token,
	in restrictionsInput, msg string) error {
	d := restrictPageData{SA: a, Token: tk, Limits: newLimitFields(a.Role, in, msg), Error: msg,
		Action: restrictURL(a.ID, tk.ID), Back: saURL(a.ID)}
	return u.render(w, r, status, "token_restrictions.html", page{Title: "Restrictions of token " + tk.Name, Active: "serviceaccounts", Data: d})
}

// findToken returns the account and its token named by the path.
func (u *ui) findToken(r *http.Request, id int64) (*warden.ServiceAccount, *warden.Token, error) {
	tokenID, err := pathID(r, "tokenId")
	if err != nil {
		return nil, nil, err
	}
	a, err := u.svc.FindServiceAccount(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	tk, err := u.svc.FindToken(r.Context(), id, tokenID)
	if err != nil {
		return nil, nil, err
	}
	return a, tk, nil
}

// handleUITokenRestrictionsPage handles "GET /org/serviceaccounts/{id}/tokens/{tokenId}/restrictions":
// the token's restrictions, to change.
func (u *ui) handleUITokenRestrictionsPage() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		a, tk, err := u.findToken(r, id)
		if err != nil {
			return err
		}
		return u.restrictPage(w, r, http.StatusOK, a, tk, inputOf(tk.Restrictions), "")
	})
}

// handleUITokenRestrictions handles "POST /org/serviceaccounts/{id}/tokens/{tokenId}/restrictions":
// it replaces the token's scopes and ranges with the form's, and its role cap when it was
// changed (a cap the account's role has since fallen below can be kept). A mistake shows the
// page again with the form as it was sent; saved, the account's page says so.
func (u *ui) handleUITokenRestrictions() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		a, tk, err := u.findToken(r, id)
		if err != nil {
			return err
		}
		in := readRestrictions(r)
		parsed, err := in.parse()
		if err != nil {
			return u.restrictPage(w, r, http.StatusBadRequest, a, tk, in, plainError(err))
		}
		role, scopes, cidrs := string(parsed.Role), parsed.Scopes, parsed.CIDRStrings()
		upd := warden.TokenRestrictionsUpdate{Scopes: &scopes, AllowedCIDRs: &cidrs}
		if parsed.Role != tk.Restrictions.Role {
			upd.Role = &role
		}
		saved, err := u.svc.UpdateTokenRestrictions(r.Context(), id, tk.ID, upd)
		switch {
		case err == nil:
		case warden.ErrorCode(err) == warden.ENOTFOUND:
			return err
		case errorStatus(err) < 500:
			return u.restrictPage(w, r, http.StatusBadRequest, a, tk, in, plainError(err))
		default:
			return err
		}
		if saved.Restrictions.IsZero() {
			return redirectWith(w, r, saURL(id), "Token "+saved.Name+" has no restrictions now.")
		}
		return redirectWith(w, r, saURL(id), "Restrictions of token "+saved.Name+" saved.")
	})
}
