package collab

import (
	"errors"
	"fmt"
)

// Code classifies a domain error. The HTTP layer maps each code to one status
// in a single table; nothing else decides a status.
type Code string

// The error codes of the domain.
const (
	CodeInvalid         Code = "invalid"          // bad input, names the fields
	CodeUnauthenticated Code = "unauthenticated"  // no verified identity
	CodeForbidden       Code = "forbidden"        // identity known, right missing
	CodeNotFound        Code = "not_found"        // absent, or invisible to the caller
	CodeConflict        Code = "conflict"         // state or version conflict
	CodeGone            Code = "gone"             // existed, no longer usable
	CodeUnprocessable   Code = "unprocessable"    // well-formed but needs a choice
	CodeInternal        Code = "internal"         // anything else; never shown in detail
	CodeTooLarge        Code = "too_large"        // body over the limit
	CodeUnsupported     Code = "unsupported_type" // wrong content type
)

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the domain's error type: a code, a message fit for the caller, and
// optional field errors or extra members for the problem document.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Extra   map[string]any
	Err     error // wrapped cause, never shown to callers
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause to a domain error.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// Validation collects field errors; Err returns nil when there are none.
type Validation struct{ fields []FieldError }

// Add records a field error.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an invalid-input error listing every field, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := "invalid " + v.fields[0].Field + ": " + v.fields[0].Message
	if len(v.fields) > 1 {
		msg = fmt.Sprintf("%d fields are invalid", len(v.fields))
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: v.fields}
}

// CodeRateLimited: too many requests of one kind; retry later.
const CodeRateLimited Code = "rate_limited"

// CodeUnavailable: a dependency failed after the change was saved; the
// message says how to complete it.
const CodeUnavailable Code = "unavailable"
