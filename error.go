package warden

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the http package; keep the list short.
const (
	EINVALID      = "invalid"      // 400: the request is malformed or breaks a rule
	EUNAUTHORIZED = "unauthorized" // 401: no or bad credentials
	EFORBIDDEN    = "forbidden"    // 403: authenticated, but not allowed
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // 409: a unique value is taken
	EPRECONDITION = "precondition" // 412: Grafana's answer to a user-create conflict
	ETOOMANY      = "too_many"     // 429: a rate limit was hit
	ENOTMODIFIED  = "not_modified" // 304: Grafana's answer to non-users on /api/user/*
	EUNAVAILABLE  = "unavailable"  // 503: a dependency (the database) is down
	EINTERNAL     = "internal"     // 500: a bug or an unexpected failure; details only in logs
)

// Error is Warden's application error. Message is safe to show to the caller; Err carries the
// cause for the operator's log and is never sent over the wire.
type Error struct {
	Code      string // one of the E* constants
	Message   string // public, human-readable text (Grafana's wording where Warden mimics it)
	MessageID string // optional Grafana-style message id, e.g. "serviceaccounts.ErrNotFound"
	Op        string // the operation that failed, for logs
	Err       error  // the underlying cause, for logs
}

// Error returns the message for the log, including the cause when there is one.
func (e *Error) Error() string {
	s := e.Message
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted public message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorID returns an *Error that carries a Grafana message id as well.
func ErrorID(code, messageID, message string) *Error {
	return &Error{Code: code, MessageID: messageID, Message: message}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL for any other
// non-nil error. It returns "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the public message of the first *Error in err's chain. Any other error
// becomes "Internal error." so that driver text never reaches a caller.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsNotFound reports whether err is an ENOTFOUND error.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// IsConflict reports whether err is an ECONFLICT error.
func IsConflict(err error) bool { return ErrorCode(err) == ECONFLICT }
