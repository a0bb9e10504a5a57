package command

import (
	"errors"
	"fmt"
)

// Kinds of rejection a decision can return; each maps to one HTTP status.
var (
	// ErrInvalid is returned for input that breaks a rule of its own (400).
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound is returned when an id names nothing recorded (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned for a command the current state does not
	// allow: an invalid transition or a duplicate (409).
	ErrConflict = errors.New("conflict")
	// ErrKeyReused is returned when an Idempotency-Key comes back with a
	// different request (422).
	ErrKeyReused = errors.New("idempotency key reused")
	// ErrBusy is returned when the aggregate kept changing under the
	// command through every retry (503, try again).
	ErrBusy = errors.New("too many concurrent changes")
)

// Rejectf returns an error of the given kind with a message for the user.
func Rejectf(kind error, format string, args ...any) error {
	return &rejection{kind: kind, msg: fmt.Sprintf(format, args...)}
}

type rejection struct {
	kind error
	msg  string
}

func (r *rejection) Error() string { return r.msg }
func (r *rejection) Unwrap() error { return r.kind }
