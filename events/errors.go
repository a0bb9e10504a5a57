package events

import (
	"errors"
	"fmt"
	"strings"
)

// ErrWrongExpectedVersion is returned by [Store.Append] when the stream's
// current version is not the one the writer expected: somebody else wrote
// first. Reload and decide again.
var ErrWrongExpectedVersion = errors.New("wrong expected version")

// ErrStreamNotFound is returned when reading a stream that has no events.
var ErrStreamNotFound = errors.New("stream not found")

// ErrInvalidEvent is returned when an envelope or payload breaks the
// catalogue's rules: an unknown type, malformed JSON, a missing or
// out-of-range field. Errors that wrap it are safe to show to the user.
var ErrInvalidEvent = errors.New("invalid event")

// ErrInvalidOption is returned by constructors given a bad option.
var ErrInvalidOption = errors.New("invalid option")

// ConflictError details an [ErrWrongExpectedVersion].
type ConflictError struct {
	Stream   string
	Expected uint64
	Actual   uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("append to %s: expected version %d, stream is at %d", e.Stream, e.Expected, e.Actual)
}

// Unwrap makes errors.Is(err, ErrWrongExpectedVersion) hold.
func (e *ConflictError) Unwrap() error { return ErrWrongExpectedVersion }

// FieldError is one broken rule on one field of a payload or request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every broken field rule of one payload, so a user
// fixes them all at once rather than one per round trip.
type ValidationError struct {
	Type   string
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	if e.Type == "" {
		return strings.Join(parts, "; ")
	}
	return e.Type + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalidEvent) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalidEvent }

// ErrUnavailable is returned when the event store, or the recorder in front
// of it, did not answer or did not confirm in time. An append that fails
// this way may or may not have landed: retry it with the same event ids
// (the same Idempotency-Key) to be sure it is recorded once.
var ErrUnavailable = errors.New("event store unavailable")

// UnreadableError is a message in the store that is not an event at all
// (not an envelope: written behind the recorder's back, or damaged). It
// wraps [ErrInvalidEvent]; Position says where it lies, so a reader can
// report it and carry on past it.
type UnreadableError struct {
	Position uint64
	Err      error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("%v: the message at position %d is not an event: %v", ErrInvalidEvent, e.Position, e.Err)
}

// Unwrap makes errors.Is(err, ErrInvalidEvent) hold.
func (e *UnreadableError) Unwrap() []error { return []error{ErrInvalidEvent, e.Err} }
