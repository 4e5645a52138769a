package http

import (
	"net/http"
	"strings"

	"github.com/wardenhq/warden"
)

// The UI's error pages: messages worded for a person, and Warden's own 404 page for addresses
// no route serves (the API keeps Grafana's JSON 404).

// errorTitle is the heading of the error page for status.
func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Access denied"
	case http.StatusUnauthorized:
		return "Sign-in needed"
	case http.StatusBadRequest:
		return "Something is not right"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusInternalServerError:
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// pageMessage words err for the error page. The service's messages are Grafana's, written for
// API clients ("service account not found"); the ones a person meets on a page are reworded,
// and the rest are shown as they stand.
func pageMessage(err error) string {
	msg := warden.ErrorMessage(err)
	switch {
	case msg == warden.ErrServiceAccountNotFound.Message || msg == "Not found" && warden.ErrorCode(err) == warden.ENOTFOUND:
		// "Not found" is how an unknown UID in a service account's address is refused.
		return "This service account does not exist. It may have been deleted, or it belongs to another organization."
	case msg == "service account token not found":
		return "This token does not exist. It may have been deleted already."
	case msg == "Team not found":
		return "This team does not exist. It may have been deleted, or it belongs to another organization."
	case strings.EqualFold(msg, "user not found"):
		return "This user does not exist, or is not a member of this organization."
	case msg == "Team member not found" || msg == "Team member not found.":
		return "This user is not a member of the team."
	case strings.HasSuffix(msg, " is invalid") && warden.ErrorCode(err) == warden.EINVALID:
		return "The address of this page is not valid. Check the link, or go back and try again."
	}
	return msg
}

// notFoundData is what the 404 page shows.
type notFoundData struct {
	// Meant is the page the address names but for a trailing slash, if any.
	Meant string
}

// handleNotFound answers an address no route serves with Warden's 404 page, in the layout
// (with the sidebar for a signed-in browser). isPage reports whether a path is one of the UI's
// pages, so that "/org/serviceaccounts/" can point to "/org/serviceaccounts".
func (u *ui) handleNotFound(isPage func(path string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Pattern = "" // no route matched: the metrics and the access log say "unmatched"
		if p, _ := u.currentUser(r); p != nil {
			r = r.WithContext(warden.NewContextWithPrincipal(r.Context(), p))
		}
		var d notFoundData
		if trimmed := strings.TrimRight(r.URL.Path, "/"); trimmed != r.URL.Path && trimmed != "" && isPage(trimmed) {
			d.Meant = trimmed
		}
		if err := u.render(w, r, http.StatusNotFound, "notfound.html", page{Title: "Page not found", Data: d}); err != nil {
			writeError(w, r, u.logger, err)
		}
	})
}
