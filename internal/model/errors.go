package model

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors: the kinds of error. Stores and core wrap them with %w and
// context (IDs, never content); internal/apierr maps each kind to its HTTP
// status, code and French message, for REST and WebSocket alike.
var (
	// ErrNotFound: the object does not exist, or the caller may not know it
	// exists (a private channel answers not found, not forbidden).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint was hit (duplicate e-mail, name…).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller knows the object but may not do this to it.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: no valid session.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrGone: something existed but can no longer be used (a used or
	// expired invitation).
	ErrGone = errors.New("gone")
	// ErrTooMany: a rate limit.
	ErrTooMany = errors.New("too many requests")
	// ErrUpstream: a service the application depends on (the mailer)
	// failed; the request was fine, retrying later may work.
	ErrUpstream = errors.New("upstream service unavailable")
	// ErrNotConfigured: a feature the operator has not configured.
	ErrNotConfigured = errors.New("not configured")
	// ErrTooLarge: an upload over its size limit (413).
	ErrTooLarge = errors.New("too large")
)

// InvalidError is a validation failure that names the offending field and
// carries the French message shown to the user. Its Kind is nil (a bad
// request) or ErrConflict for a well-formed value that clashes with what
// exists (a name or an address already taken); it sets the status only:
// errors.Is does not see it.
type InvalidError struct {
	Kind    error  // nil, ErrConflict or ErrTooLarge (an upload over its limit)
	Field   string // JSON field name, e.g. "email"; empty when global
	Code    string // snake_case, e.g. "invalid_email"; defaults to "invalid_input"
	Message string // French, shown as is
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return "invalid input: " + e.codeOrDefault()
	}
	return fmt.Sprintf("invalid %s: %s", e.Field, e.codeOrDefault())
}

func (e *InvalidError) codeOrDefault() string {
	if e.Code == "" {
		return "invalid_input"
	}
	return e.Code
}

// ErrorCode returns the snake_case code of the error.
func (e *InvalidError) ErrorCode() string { return e.codeOrDefault() }

// Invalid builds an *InvalidError.
func Invalid(field, code, message string) *InvalidError {
	return &InvalidError{Field: field, Code: code, Message: message}
}

// InvalidAs builds an *InvalidError of the given kind, e.g.
// InvalidAs(ErrConflict, "name", "name_taken", …).
func InvalidAs(kind error, field, code, message string) *InvalidError {
	return &InvalidError{Kind: kind, Field: field, Code: code, Message: message}
}

// CodedError is a domain error with its own stable code, HTTP-agnostic
// "kind" (one of the sentinel errors above or nil for a 400) and a French
// message. Core returns them for business outcomes that deserve their own
// code: an expired invitation, a used one, too many login attempts…
type CodedError struct {
	Kind       error // one of the sentinel errors above, or nil for a 400
	Code       string
	Message    string
	RetryAfter time.Duration // for ErrTooMany
}

func (e *CodedError) Error() string { return e.Code }
func (e *CodedError) Unwrap() error { return e.Kind }

// Coded builds a *CodedError.
func Coded(kind error, code, message string) *CodedError {
	return &CodedError{Kind: kind, Code: code, Message: message}
}
