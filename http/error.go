package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/wardenhq/warden"
)

// codes maps application error codes to HTTP statuses: the one table that does.
var codes = map[string]int{
	warden.EINVALID:      http.StatusBadRequest,
	warden.EUNAUTHORIZED: http.StatusUnauthorized,
	warden.EFORBIDDEN:    http.StatusForbidden,
	warden.ENOTFOUND:     http.StatusNotFound,
	warden.ECONFLICT:     http.StatusConflict,
	warden.EPRECONDITION: http.StatusPreconditionFailed,
	warden.ETOOMANY:      http.StatusTooManyRequests,
	warden.ENOTMODIFIED:  http.StatusNotModified,
	warden.EUNAVAILABLE:  http.StatusServiceUnavailable,
	warden.EINTERNAL:     http.StatusInternalServerError,
}

// errorStatus returns the HTTP status for err.
func errorStatus(err error) int {
	if errors.Is(err, errBodyTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	if s, ok := codes[warden.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is Grafana's error shape: a message, plus messageId and statusCode for structured
// errors. TraceID and Extra appear on errors written by the authentication middleware.
type errorBody struct {
	Message    string  `json:"message"`
	MessageID  string  `json:"messageId,omitempty"`
	StatusCode int     `json:"statusCode,omitempty"`
	TraceID    *string `json:"traceID,omitempty"`
}

// authErrorBody is the error shape of Grafana's authentication middleware.
type authErrorBody struct {
	Extra      any    `json:"extra"`
	Message    string `json:"message"`
	MessageID  string `json:"messageId,omitempty"`
	StatusCode int    `json:"statusCode,omitempty"`
	TraceID    string `json:"traceID"`
}

// writeError writes err as Grafana would. Internal errors are logged here, once, with the
// request id, and the caller sees only a generic message and that id.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away and the work was cancelled: nothing failed, and nobody reads
		// the answer. The access log shows nginx's 499; the line below (info, not error: a
		// flood of them still means something upstream gave up, such as a proxy's timeout)
		// names the error. (Only a cancellation error counts: the
		// context also ends when a body read times out, and that client still reads the 400.)
		logger.InfoContext(r.Context(), "request abandoned", "request_id", requestID(r), "method", r.Method,
			"route", r.Pattern, "err", err)
		w.WriteHeader(499)
		return
	}
	status := errorStatus(err)
	var e *warden.Error
	if !errors.As(err, &e) || (status == http.StatusInternalServerError && e.Message == "") {
		id := requestID(r)
		logger.ErrorContext(r.Context(), "request failed", "request_id", id, "method", r.Method,
			"route", r.Pattern, "err", err)
		encode(w, status, errorBody{Message: "Internal Server Error", TraceID: &id})
		return
	}
	if e.Err != nil && status == http.StatusInternalServerError {
		logger.ErrorContext(r.Context(), "request failed", "request_id", requestID(r), "method", r.Method,
			"route", r.Pattern, "err", err)
	}
	if status == http.StatusNotModified {
		w.WriteHeader(status) // a 304 carries no body
		return
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	body := errorBody{Message: e.Message}
	if e.MessageID != "" {
		body.MessageID, body.StatusCode = e.MessageID, status
	}
	encode(w, status, body)
}

// writeAuthError writes an authentication failure the way Grafana's auth middleware does,
// with traceID and extra.
func writeAuthError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	var e *warden.Error
	if !errors.As(err, &e) || e.Code == warden.EINTERNAL || e.Code == warden.EUNAVAILABLE {
		writeError(w, r, logger, err)
		return
	}
	status := errorStatus(err)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	body := authErrorBody{Message: e.Message}
	if e.MessageID != "" {
		body.MessageID, body.StatusCode = e.MessageID, status
	}
	encode(w, status, body)
}

// accessDenied is the RBAC 403 body, naming the permission that was missing.
type accessDenied struct {
	Title         string `json:"title"`
	Message       string `json:"message"`
	AccessErrorID string `json:"accessErrorId"`
}

func writeAccessDenied(w http.ResponseWriter, r *http.Request, action string) {
	encode(w, http.StatusForbidden, accessDenied{
		Title:         "Access denied",
		Message:       "You'll need additional permissions to perform this action. Permissions needed: " + action,
		AccessErrorID: accessErrorID(r),
	})
}
