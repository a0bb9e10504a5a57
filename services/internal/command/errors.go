package command

import (
	"fmt"
	"net/http"
)

// Kinds of rejection a decision can return; each is answered with one HTTP
// status (see [problem.WriteError]).
var (
	// ErrInvalid is returned for input that breaks a rule of its own (400).
	ErrInvalid error = &kind{"invalid input", http.StatusBadRequest}
	// ErrNotFound is returned when an id names nothing recorded (404).
	ErrNotFound error = &kind{"not found", http.StatusNotFound}
	// ErrConflict is returned for a command the current state does not
	// allow: an invalid transition or a duplicate (409).
	ErrConflict error = &kind{"conflict", http.StatusConflict}
	// ErrKeyReused is returned when an Idempotency-Key comes back with a
	// different request (422).
	ErrKeyReused error = &kind{"idempotency key reused", http.StatusUnprocessableEntity}
	// ErrBusy is returned when the aggregate kept changing under the
	// command through every retry (503, try again).
	ErrBusy error = &kind{"too many concurrent changes", http.StatusServiceUnavailable}
)

type kind struct {
	msg    string
	status int
}

func (k *kind) Error() string { return k.msg }

// Status implements [problem.StatusError].
func (k *kind) Status() int { return k.status }

// Rejectf returns an error of the given kind with a message for the user.
func Rejectf(k error, format string, args ...any) error {
	return &rejection{kind: k, msg: fmt.Sprintf(format, args...)}
}

type rejection struct {
	kind error
	msg  string
}

func (r *rejection) Error() string { return r.msg }
func (r *rejection) Unwrap() error { return r.kind }
