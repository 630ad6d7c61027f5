package service

import (
	"errors"
	"fmt"
)

// Code is the machine-readable kind of a service error; the frontend switches on it.
type Code string

const (
	CodeInvalid    Code = "invalid_input" // Fields says which inputs and why
	CodeNotFound   Code = "not_found"
	CodeNotAllowed Code = "not_allowed" // the transition table refused the action
	CodeConflict   Code = "conflict"    // the migration changed meanwhile (compare-and-set lost)
	CodeInternal   Code = "internal"
)

// Error is the one error type the bound methods return; app.go's ErrorFormatter turns it
// into {code, message, fields} for the frontend. Message never contains a secret.
type Error struct {
	Code    Code              `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"` // form field (json path, e.g. "source.host") → message
	Err     error             `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the cause for errors.Is/As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err, CodeInternal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
