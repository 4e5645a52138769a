package http

import (
	"errors"
	"net/http"

	"github.com/wardenhq/warden"
)

// The profile: the signed-in user's own details and password. Service accounts have none.

var errNoProfile = warden.Errorf(warden.ENOTFOUND, "Service accounts have no profile: this page is for people who sign in with a password.")

type profileData struct {
	User   *warden.User
	Orgs   []*warden.UserOrg
	Policy bool   // the strong password policy is on
	Field  string // the field a refusal is about: "current", "new" or "confirm"
}

// profilePage renders the profile with status, msg (a refusal, or "") and the field it is
// about. Passwords are never sent back.
func (u *ui) profilePage(w http.ResponseWriter, r *http.Request, status int, field, msg string) error {
	p := warden.PrincipalFromContext(r.Context())
	if !p.IsUser() {
		return errNoProfile
	}
	usr, err := u.svc.FindUserByID(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	orgs, err := u.svc.UserOrgs(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	return u.render(w, r, status, "profile.html", page{Title: "Profile", Active: "profile", Error: msg,
		Data: profileData{User: usr, Orgs: orgs, Policy: u.svc.Config().PasswordPolicy, Field: field}})
}

// handleUIProfile handles "GET /profile".
func (u *ui) handleUIProfile() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return u.profilePage(w, r, http.StatusOK, "", "")
	}
}

// handleUIPasswordChange handles "POST /profile": the user changes their own password with the
// same service call as PUT /api/user/password (the same rules, the same brute-force limits on
// the current password). The change ends every session of the user; this browser is signed in
// again with the new password, so the person stays where they are.
func (u *ui) handleUIPasswordChange() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		if !p.IsUser() {
			return errNoProfile
		}
		current, next := r.PostFormValue("currentPassword"), r.PostFormValue("newPassword")
		switch {
		case current == "":
			return u.profilePage(w, r, http.StatusBadRequest, "current", "Enter your current password.")
		case next == "":
			return u.profilePage(w, r, http.StatusBadRequest, "new", "Enter a new password.")
		case next != r.PostFormValue("confirmPassword"):
			return u.profilePage(w, r, http.StatusBadRequest, "confirm", "The new passwords do not match. Type the same new password twice.")
		}
		err := u.svc.ChangePassword(r.Context(), p.UserID, current, next)
		if err != nil {
			var e *warden.Error
			id := ""
			if errors.As(err, &e) {
				id = e.MessageID
			}
			switch {
			case id == "user.password-missmatch":
				// Also the answer once the wrong tries reached the limit, whatever the password.
				return u.profilePage(w, r, http.StatusBadRequest, "current",
					"Your current password is not correct. After several wrong tries, wait a few minutes before trying again.")
			case id == "password.password-policy-too-short":
				return u.profilePage(w, r, http.StatusBadRequest, "new", "The new password is too short. Use at least 4 characters.")
			case id == "password.password-policy-infringe":
				return u.profilePage(w, r, http.StatusBadRequest, "new",
					"The new password does not follow this server's rules: at least 12 characters, with upper- and lowercase letters, a digit and a symbol.")
			case warden.ErrorCode(err) == warden.ETOOMANY:
				return u.profilePage(w, r, http.StatusTooManyRequests, "current",
					"Too many failed password checks from your address. Wait a few minutes and try again.")
			case errorStatus(err) < 500:
				return u.profilePage(w, r, errorStatus(err), "", plainError(err))
			}
			return err
		}
		if p.AuthMethod == "session" {
			if _, token, err := u.svc.Login(r.Context(), p.Login, next, r.UserAgent()); err == nil {
				setSessionCookie(w, r, u.opts, token)
				return redirectWith(w, r, "/profile", "Your password was changed. You stay signed in here; every other session of yours was signed out.")
			}
		}
		clearSessionCookie(w, false)
		return redirectWith(w, r, "/login", "Your password was changed and every session of yours was signed out. Sign in with your new password.")
	}
}
