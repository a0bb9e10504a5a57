package keyring

import (
	"errors"
	"net/http"

	"github.com/together-coop/together/events"
)

// ErrKeyDestroyed is returned when sealing or opening data of a person
// (or record) whose key was destroyed: erased or shredded.
var ErrKeyDestroyed = errors.New("key destroyed: the person was erased")

// ErrWrongKEK is returned by [New] when the key stream was made under
// another key-encryption key: the key file does not belong to this data.
var ErrWrongKEK = errors.New("the key file does not match this data directory's keys")

// ErrInvalidKEK is returned for a key-encryption key of the wrong size or
// a key file that does not hold one.
var ErrInvalidKEK = errors.New("invalid key-encryption key")

// ErrKeyFileExposed is returned by [LoadOrCreateKeyFile] for a key file
// that other users could read, or in a directory they could change.
var ErrKeyFileExposed = errors.New("key file is exposed to other users")

// ErrKeyFileInDataDir is returned by [CheckKeyFileOutside] for a key file
// inside the data directory, where every copy of the data would carry it.
var ErrKeyFileInDataDir = errors.New("key file is inside the data directory")

// ErrInvalidID is returned for a key id that cannot name a key.
var ErrInvalidID = errors.New("invalid key id")

// ErrNotAllowed is returned by a [Remote] when the keys service refuses
// what it asked: destroying a key other than a record key (erasing a
// person is the stakeholders service's alone), or sealing under a key id
// that names neither a stakeholder nor a record.
var ErrNotAllowed = errors.New("not allowed to use this key over NATS")

// ErrUnavailable is returned (inside an [UnavailableError]) by a [Remote]
// when no keys service answered in time: none is running, it is stopping,
// or its key stream failed.
var ErrUnavailable = errors.New("the keys service is unavailable")

// UnavailableError is what a [Remote] returns when the keys service did
// not answer. Its message is written for the person whose command it
// stopped, and it is answered 503 (Status): nothing was sealed or
// recorded, so a retry is safe. It matches [ErrUnavailable], and
// events.ErrUnavailable so that it is counted as an unavailable
// dependency, not as a failure.
type UnavailableError struct {
	// Reason says what happened, in words without internals.
	Reason string
	// Err is the cause, if any (context.DeadlineExceeded, say).
	Err error
}

func (e *UnavailableError) Error() string {
	return "the keys that protect personal data (kept by the stakeholders service) cannot be used just now: " + e.Reason + "; retry with the same Idempotency-Key"
}

// Status is the HTTP status the error is answered with.
func (e *UnavailableError) Status() int { return http.StatusServiceUnavailable }

func (e *UnavailableError) Unwrap() []error {
	errs := []error{ErrUnavailable, events.ErrUnavailable}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
