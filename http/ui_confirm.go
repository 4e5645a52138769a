package http

import (
	"net/http"
	"sort"

	"github.com/wardenhq/warden"
)

// Destructive forms (deleting a token, an account's expired tokens, a service account or a
// team; removing a user from the org, a member from a team, a permission from an account) act
// only when they carry confirm=yes. The page's script asks in a dialog and adds the field;
// without the script the form arrives without it, and the answer is a confirmation page whose
// form carries it.

// confirmation is what the confirmation page asks.
type confirmation struct {
	Title    string // the page's heading, as the dialog's
	Question string
	Button   string // the destructive button's text
	Back     string // where Cancel goes: the page the form was on
	Active   string // the sidebar entry to highlight
	// Fields are the form's other fields, sent again with the confirmation.
	Fields []confirmField
}

type confirmField struct{ Name, Value string }

// confirmed reports whether a destructive form carries the confirmation.
func confirmed(r *http.Request) bool { return r.PostFormValue("confirm") == "yes" }

// askFirst answers a destructive form that came without confirmation with a page asking for
// it; the page's form posts to the same address, with the same fields and confirm=yes. keep
// names the form fields to send again (csrf and confirm are always added).
func (u *ui) askFirst(w http.ResponseWriter, r *http.Request, c confirmation, keep ...string) error {
	for _, k := range keep {
		if v := r.PostFormValue(k); v != "" || r.PostForm.Has(k) {
			c.Fields = append(c.Fields, confirmField{k, v})
		}
	}
	sort.Slice(c.Fields, func(i, j int) bool { return c.Fields[i].Name < c.Fields[j].Name })
	return u.render(w, r, http.StatusOK, "confirm.html", page{Title: c.Title, Active: c.Active,
		Data: map[string]any{"Action": r.URL.Path, "C": c}})
}

// tokenName returns the name of a token of a service account, for the confirmation.
func (u *ui) tokenName(r *http.Request, saID, tokenID int64) (string, error) {
	tokens, err := u.svc.ListTokens(r.Context(), saID)
	if err != nil {
		return "", err
	}
	for _, t := range tokens {
		if t.ID == tokenID {
			return t.Name, nil
		}
	}
	return "", warden.Errorf(warden.ENOTFOUND, "service account token not found")
}
