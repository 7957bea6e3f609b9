package intel

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the edge (HTTP status, CLI exit).
type Kind int

// The error kinds. The HTTP layer maps each to one status in one table.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindUnauthenticated
	KindForbidden
	KindQuotaExceeded
	KindLicenseExpired
	KindRateLimited
	KindLegalHold
	KindUnavailable
	KindTooLong
	KindNotAcceptable
)

// Error is an error with a kind, a machine code and a message a person can
// act on. Message is shown to clients; Err (the cause) never is.
type Error struct {
	Kind    Kind
	Code    string // machine code, e.g. "invalid_request"
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of a kind with a formatted client-facing message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by stores for missing keys.
var ErrNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "not found"}

// KindOf returns the kind of err (KindInternal when it carries none).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Invalid is shorthand for a KindInvalid error with code "invalid_request".
func Invalid(format string, args ...any) *Error {
	return Errorf(KindInvalid, "invalid_request", format, args...)
}
