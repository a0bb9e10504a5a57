package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
)

// A StatusError is an error that knows the HTTP status it is answered
// with; its message is written for the user.
type StatusError interface {
	error
	Status() int
}

// WriteError answers err as a problem: broken field rules are 400 with
// their list, a [StatusError] its status, an unavailable or late store
// 503 (retry with the same Idempotency-Key). Anything else is logged and
// answered 500 without internals.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *events.ValidationError
	var fields *FieldsError
	var status StatusError
	switch {
	case errors.As(err, &fields):
		Write(w, r, http.StatusBadRequest, fields.Detail, fields.Fields...)
	case errors.As(err, &invalid):
		Write(w, r, http.StatusBadRequest, "the request breaks "+plural(len(invalid.Fields), "rule")+": "+invalid.Error(), invalid.Fields...)
	case errors.As(err, &status):
		if status.Status() == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		Write(w, r, status.Status(), err.Error())
	case errors.Is(err, events.ErrInvalidEvent):
		Write(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, events.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		// A write may or may not have landed: only a retry with the same
		// Idempotency-Key is safe, so say so.
		zerolog.Ctx(r.Context()).Warn().Err(err).Msg("store unavailable")
		w.Header().Set("Retry-After", "1")
		Write(w, r, http.StatusServiceUnavailable, "the event store is unavailable or did not confirm in time; retry with the same Idempotency-Key to be sure it is recorded once")
	default:
		zerolog.Ctx(r.Context()).Error().Err(err).Msg("request failed")
		Write(w, r, http.StatusInternalServerError, "the request failed unexpectedly; retry with the same Idempotency-Key to be sure it is recorded once")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// FieldsError is a 400 naming the fields at fault, for a request whose
// parameters or body break a rule of their own.
type FieldsError struct {
	Detail string
	Fields []events.FieldError
}

func (e *FieldsError) Error() string { return e.Detail }

// Status implements [StatusError].
func (e *FieldsError) Status() int { return http.StatusBadRequest }

// Invalid returns a [*FieldsError] about one field.
func Invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &FieldsError{Detail: msg, Fields: []events.FieldError{{Field: field, Message: msg}}}
}

// OnlyParams refuses a query that names a parameter not in allowed, or
// gives one more than once: a misspelt filter must not pass silently as
// no filter, nor a repeated one as whichever came first.
func OnlyParams(v url.Values, allowed []string) error {
	for key := range v {
		if !slices.Contains(allowed, key) {
			return Invalid(key, "unknown parameter %q (want one of %s)", key, strings.Join(allowed, ", "))
		}
	}
	for key, vals := range v {
		if len(vals) > 1 {
			return Invalid(key, "%s is given %d times; give it once", key, len(vals))
		}
	}
	return nil
}

type notFound struct{ detail string }

func (e *notFound) Error() string { return e.detail }
func (e *notFound) Status() int   { return http.StatusNotFound }

// NotFound returns a 404 saying what was asked for and not found.
func NotFound(format string, args ...any) error {
	return &notFound{detail: fmt.Sprintf(format, args...)}
}
