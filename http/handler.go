package http

import (
	"errors"
	"log/slog"
	"net/http"
)

// handlerFunc is the shape of every Warden handler: it writes the answer, or returns the error
// that stops the request. A handler never writes an error itself; the route table pairs it
// with the error writer of its kind (JSON in Grafana's shape for the API, an HTML page for the
// UI), so a handler reads as what it does.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorWriter answers a request with the error its handler returned.
type errorWriter func(w http.ResponseWriter, r *http.Request, err error)

// plain adapts a handler that answers every request itself, such as a file server.
func plain(h http.Handler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}
}

// authError is an authentication failure: Grafana's authentication middleware answers it
// with its own error shape (traceID and extra), not the handlers' one.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// accessDeniedError refuses a caller who lacks the permission a route needs; the answer names
// the missing action.
type accessDeniedError struct{ action string }

func (e *accessDeniedError) Error() string { return "access denied: requires " + e.action }

// uiError carries an error of a browser form that reached an API route (the sign-in form
// posts to /login, as Grafana's does): the API's error writer hands it to the UI's.
type uiError struct{ err error }

func (e *uiError) Error() string { return e.err.Error() }
func (e *uiError) Unwrap() error { return e.err }

// pageError returns err as a uiError. A nil err stays nil.
func pageError(err error) error {
	if err == nil {
		return nil
	}
	return &uiError{err}
}

// errSignInRequired answers a browser page asked for without a session: the UI sends it to
// the sign-in page and back. (The API answers ErrUnauthorized instead.)
var errSignInRequired = errors.New("sign-in required")

// formError sends a browser back to page after a form post: a mistake of the user's (any
// error below 500) becomes the page's one-time message; a server error shows the error page.
type formError struct {
	page string
	msg  string // shown as it stands; when empty, err is worded for a person
	err  error
}

func (e *formError) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.err.Error()
}

func (e *formError) Unwrap() error { return e.err }

// backTo returns err as a formError that sends the browser back to page. A nil err stays nil.
func backTo(page string, err error) error {
	if err == nil {
		return nil
	}
	return &formError{page: page, err: err}
}

// backWith sends the browser back to page with msg, a mistake of the user's, as it stands.
func backWith(page, msg string) error {
	return &formError{page: page, msg: msg}
}

// apiErrors returns the error writer of the JSON API: Grafana's shapes, with internal errors
// logged once, here.
func apiErrors(logger *slog.Logger, u *ui) errorWriter {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var denied *accessDeniedError
		var auth *authError
		var page *uiError
		switch {
		case errors.As(err, &page):
			u.fail(w, r, page.err)
		case errors.As(err, &denied):
			writeAccessDenied(w, r, denied.action)
		case errors.As(err, &auth):
			writeAuthError(w, r, logger, auth.err)
		default:
			writeError(w, r, logger, err)
		}
	}
}

// idHandlerFunc is a handlerFunc of a route with a numeric path value, such as {id}.
type idHandlerFunc func(w http.ResponseWriter, r *http.Request, id int64) error

// byID adapts h to the path value param, answering 400 "<param> is invalid" when it is not a
// number, as Grafana does.
func byID(param string, h idHandlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, param)
		if err != nil {
			return err
		}
		return h(w, r, id)
	}
}

// byTeamID adapts h to a team's {id}, answering Grafana's 400 "teamId is invalid".
func byTeamID(h idHandlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := teamPathID(r)
		if err != nil {
			return err
		}
		return h(w, r, id)
	}
}
