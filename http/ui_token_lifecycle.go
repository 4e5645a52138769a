package http

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
)

// The token lifecycle in the web UI (issue 17): rotating a token with a grace period, and
// deleting an account's expired tokens. Both work without JavaScript: rotation is a page of
// its own whose answer shows the new token once, as the no-JavaScript token form does;
// deleting expired tokens is a destructive form with the confirmation of ui_confirm.go.

// graceChoice is one of the grace periods the rotate page offers.
type graceChoice struct {
	Seconds int64
	Label   string
	Chosen  bool
}

// graceChoices are the grace periods a person may choose; the default is a day.
var graceChoices = []graceChoice{
	{0, "None: the old token stops working at once", false},
	{3600, "1 hour", false},
	{86400, "1 day", false},
	{7 * 86400, "7 days", false},
}

// defaultGrace is the grace period the page proposes: [service_accounts]
// rotation_grace_period when it is one of the choices, else a day.
func defaultGrace(cfg time.Duration) int64 {
	for _, g := range graceChoices {
		if time.Duration(g.Seconds)*time.Second == cfg {
			return g.Seconds
		}
	}
	return 86400
}

// parseGrace reads the grace field of the rotate form: one of the choices' seconds.
func parseGrace(v string) (time.Duration, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	for _, g := range graceChoices {
		if g.Seconds == n {
			return time.Duration(n) * time.Second, true
		}
	}
	return 0, false
}

// rotatePageData is what the rotate page shows.
type rotatePageData struct {
	SA      *warden.ServiceAccount
	Token   *warden.Token
	End     time.Time // when the token stops working now; zero: never
	Expired bool
	// Lifetime words the new token's lifetime ("": none); Capped says it is the server's day
	// limit rather than the old token's own.
	Lifetime string
	Capped   bool
	Graces   []graceChoice
	Action   string
	Back     string
	Nonce    string
}

func rotateURL(saID, tokenID int64) string {
	return saURL(saID) + "/tokens/" + strconv.FormatInt(tokenID, 10) + "/rotate"
}

// rotationLifetime returns the lifetime of the token that replaces old, in seconds (0: none):
// the old token's own, or the server's limit ([auth] api_key_max_seconds_to_live, the day
// limit) when one is set and the old token's lifetime exceeds it (a token made before the
// limit existed), so rotating it does not fail.
func (u *ui) rotationLifetime(old *warden.Token) (seconds int64, capped bool) {
	if !old.Expires.IsZero() {
		seconds = int64(old.Expires.Sub(old.Created) / time.Second)
	}
	cfg := u.svc.Config()
	if max := cfg.APIKeyMaxSecondsToLive; max > 0 && (seconds == 0 || seconds > max) {
		seconds, capped = max, true
	}
	if limit := int64(cfg.TokenExpirationDayLimit); limit > 0 && (seconds == 0 || seconds > limit*86400) {
		seconds, capped = limit*86400, true
	}
	return seconds, capped
}

// lifetimeText words a lifetime in seconds ("": none).
func lifetimeText(seconds int64) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case seconds == 0:
		return ""
	case seconds%86400 == 0:
		return unit(seconds/86400, "day")
	case seconds%3600 == 0:
		return unit(seconds/3600, "hour")
	case seconds%60 == 0:
		return unit(seconds/60, "minute")
	}
	return unit(seconds, "second")
}

// handleUITokenRotatePage handles "GET /org/serviceaccounts/{id}/tokens/{tokenId}/rotate": the
// grace period to choose, and the Rotate button.
func (u *ui) handleUITokenRotatePage() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		tokenID, err := pathID(r, "tokenId")
		if err != nil {
			return err
		}
		a, err := u.svc.FindServiceAccount(r.Context(), id)
		if err != nil {
			return err
		}
		tk, err := u.svc.FindToken(r.Context(), id, tokenID)
		if err != nil {
			return err
		}
		if tk.ReplacedBy != 0 {
			return backWith(saURL(id), "This token was already rotated; rotate the token that replaced it.")
		}
		d := rotatePageData{SA: a, Token: tk, End: u.svc.EffectiveExpiry(tk), Action: rotateURL(id, tokenID),
			Back: saURL(id), Nonce: newNonce()}
		d.Expired = !d.End.IsZero() && !d.End.After(u.svc.Now())
		seconds, capped := u.rotationLifetime(tk)
		d.Lifetime, d.Capped = lifetimeText(seconds), capped
		chosen := defaultGrace(u.svc.Config().RotationGracePeriod)
		for _, g := range graceChoices {
			g.Chosen = g.Seconds == chosen
			d.Graces = append(d.Graces, g)
		}
		return u.render(w, r, http.StatusOK, "token_rotate.html", page{Title: "Rotate token " + tk.Name, Active: "serviceaccounts", Data: d})
	})
}

// handleUITokenRotate handles "POST /org/serviceaccounts/{id}/tokens/{tokenId}/rotate". As the
// no-JavaScript token form, its answer shows the new token once and is never cached; a
// one-time form nonce makes Reload land on the account's page instead of rotating again.
func (u *ui) handleUITokenRotate() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		tokenID, err := pathID(r, "tokenId")
		if err != nil {
			return err
		}
		grace, ok := parseGrace(r.PostFormValue("grace"))
		if !ok {
			return backWith(rotateURL(id, tokenID), "Choose how long the old token keeps working.")
		}
		if err := u.svc.ClaimFormNonce(r.Context(), r.PostFormValue("nonce")); err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				return err
			}
			return redirectWith(w, r, saURL(id), "That token was already rotated. The new token is shown only once; rotate it again if you need another.")
		}
		old, err := u.svc.FindToken(r.Context(), id, tokenID)
		if err != nil {
			return err
		}
		rot := warden.Rotation{Grace: &grace}
		if seconds, capped := u.rotationLifetime(old); capped {
			rot.SecondsToLive = &seconds
		}
		tk, secret, old, err := u.svc.RotateToken(r.Context(), id, tokenID, rot)
		if err != nil {
			if warden.ErrorCode(err) == warden.ENOTFOUND {
				return err
			}
			return backTo(saURL(id), err)
		}
		d, err := u.saPage(r, id)
		if err != nil {
			return err
		}
		d.Nonce = newNonce()
		d.Created = &createdToken{Name: tk.Name, Key: secret.Reveal()}
		flash := "Token " + tk.Name + " rotated. The old token no longer works."
		if end := u.svc.EffectiveExpiry(old); end.After(u.svc.Now()) {
			flash = "Token " + tk.Name + " rotated. The old token works until " + end.UTC().Format("2006-01-02 15:04 UTC") + "."
		}
		return u.render(w, r, http.StatusOK, "sa.html", page{Title: d.SA.Name, Active: "serviceaccounts", Flash: flash, Data: d})
	})
}

// DeleteExpiredQuestion is what Delete expired tokens asks before it acts.
func (d *saPageData) DeleteExpiredQuestion() string { return deleteExpiredQuestion(d.ExpiredTokens) }

func deleteExpiredQuestion(n int) string {
	if n == 1 {
		return "Are you sure you want to delete the expired token of this service account? It no longer works."
	}
	return fmt.Sprintf("Are you sure you want to delete the %d expired tokens of this service account? They no longer work.", n)
}

// handleUITokensDeleteExpired handles "POST /org/serviceaccounts/{id}/tokens/delete-expired".
func (u *ui) handleUITokensDeleteExpired() handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		if !confirmed(r) {
			d, err := u.saPage(r, id)
			if err != nil {
				return err
			}
			if d.ExpiredTokens == 0 {
				return redirectWith(w, r, saURL(id), "This service account has no expired tokens.")
			}
			return u.askFirst(w, r, confirmation{Title: "Delete expired tokens", Question: d.DeleteExpiredQuestion(),
				Button: "Delete", Back: saURL(id), Active: "serviceaccounts"})
		}
		n, err := u.svc.DeleteExpiredTokens(r.Context(), id)
		if err != nil {
			return err
		}
		switch n {
		case 0:
			return redirectWith(w, r, saURL(id), "There were no expired tokens to delete.")
		case 1:
			return redirectWith(w, r, saURL(id), "Deleted 1 expired token.")
		}
		return redirectWith(w, r, saURL(id), fmt.Sprintf("Deleted %d expired tokens.", n))
	})
}
