package keyring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/stakeholder"
)

// The keys service: the process that keeps the key stream (the
// stakeholders service) seals for the engagements and feedback services,
// and destroys the keys of anonymous feedback on redaction. These names
// are API: renaming one breaks every running [Remote].
const (
	// ServiceName is the micro service's name.
	ServiceName = "keys"
	// SubjectSeal is where it answers seal requests.
	SubjectSeal = "together.keys.seal"
	// SubjectDestroy is where it answers destroy requests.
	SubjectDestroy = "together.keys.destroy"
	// keysQueue spreads requests over every worker of every process that
	// serves them.
	keysQueue = "keys"
)

// recordKeyPrefix starts the id of a key of one record rather than of a
// person: anonymous feedback's. Only such keys may be destroyed over NATS.
var recordKeyPrefix = feedback.RecordKeyID("")

// MaxRemotePlaintext bounds what a [Remote] may ask to seal: far above the
// longest free text a command accepts.
const MaxRemotePlaintext = 64 << 10

// Error codes of the keys service, in micro's error header.
const (
	codeMalformed   = "400"
	codeNotAllowed  = "403"
	codeDestroyed   = "410"
	codeUnavailable = "503"
)

// ErrMalformed is returned for a keys request or answer that does not
// decode to one this package would send.
var ErrMalformed = errors.New("malformed keys message")

// sealRequest asks to seal Plaintext under the key KeyID names.
type sealRequest struct {
	KeyID     string `json:"key_id"`
	Plaintext []byte `json:"plaintext"`
}

// destroyRequest asks to destroy the key KeyID names.
type destroyRequest struct {
	KeyID string `json:"key_id"`
}

// destroyAnswer confirms the destruction.
type destroyAnswer struct {
	Destroyed string `json:"destroyed"`
}

// maxRequestSize bounds a request: the plaintext in base64 and a key id.
const maxRequestSize = MaxRemotePlaintext*4/3 + 1<<10

// maxAnswerSize bounds an answer: the ciphertext in base64, its nonce and
// key id.
const maxAnswerSize = (MaxRemotePlaintext+64)*4/3 + 1<<10

// gcmOverhead is what AES-GCM adds to a plaintext: its tag.
const gcmOverhead = 16

// gcmNonceSize is the nonce size Seal uses.
const gcmNonceSize = 12

func decodeSealRequest(data []byte) (sealRequest, error) {
	if len(data) > maxRequestSize {
		return sealRequest{}, fmt.Errorf("%w: seal request of %d bytes", ErrMalformed, len(data))
	}
	var r sealRequest
	if err := decodeStrict(data, &r); err != nil {
		return sealRequest{}, err
	}
	if len(r.Plaintext) > MaxRemotePlaintext {
		return sealRequest{}, fmt.Errorf("%w: plaintext of %d bytes", ErrMalformed, len(r.Plaintext))
	}
	if err := checkID(r.KeyID); err != nil {
		return sealRequest{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return r, nil
}

func decodeDestroyRequest(data []byte) (destroyRequest, error) {
	if len(data) > 1<<10 {
		return destroyRequest{}, fmt.Errorf("%w: destroy request of %d bytes", ErrMalformed, len(data))
	}
	var r destroyRequest
	if err := decodeStrict(data, &r); err != nil {
		return destroyRequest{}, err
	}
	if err := checkID(r.KeyID); err != nil {
		return destroyRequest{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return r, nil
}

// decodeSealed reads the answer to a request to seal n bytes under keyID:
// sealed data of that key and of the size AES-GCM makes.
func decodeSealed(data []byte, keyID string, n int) (stakeholder.Sealed, error) {
	if len(data) > maxAnswerSize {
		return stakeholder.Sealed{}, fmt.Errorf("%w: answer of %d bytes", ErrMalformed, len(data))
	}
	var s stakeholder.Sealed
	if err := decodeStrict(data, &s); err != nil {
		return stakeholder.Sealed{}, err
	}
	if s.KeyID != keyID || len(s.Nonce) != gcmNonceSize || len(s.Ciphertext) != n+gcmOverhead {
		return stakeholder.Sealed{}, fmt.Errorf("%w: sealed data that is not the %d bytes asked for under the key asked for", ErrMalformed, n)
	}
	return s, nil
}

func decodeDestroyAnswer(data []byte, keyID string) error {
	var a destroyAnswer
	if len(data) > 1<<10 {
		return fmt.Errorf("%w: answer of %d bytes", ErrMalformed, len(data))
	}
	if err := decodeStrict(data, &a); err != nil {
		return err
	}
	if a.Destroyed != keyID {
		return fmt.Errorf("%w: the answer confirms another key", ErrMalformed)
	}
	return nil
}

// decodeStrict decodes one JSON object, refusing unknown fields and
// anything after it: both sides are built from the same code.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the object", ErrMalformed)
	}
	return nil
}

// isUUID reports whether s is a UUID in its canonical form, as every id
// of together is.
func isUUID(s string) bool {
	id, err := uuid.Parse(s)
	return err == nil && id.String() == s
}

// IsRecordKey reports whether keyID names the key of one record
// (anonymous feedback, feedback.RecordKeyID) rather than a person's.
func IsRecordKey(keyID string) bool {
	rest, ok := strings.CutPrefix(keyID, recordKeyPrefix)
	return ok && isUUID(rest)
}

// mayRemoteSeal reports whether a [Remote] may seal under keyID: a
// stakeholder's key (a bare id) or a record key.
func mayRemoteSeal(keyID string) bool { return isUUID(keyID) || IsRecordKey(keyID) }

// mayRemoteDestroy reports whether a [Remote] may destroy keyID: a record
// key only. Destroying a person's key erases them, which only the
// stakeholders service decides, along with recording the erasure.
func mayRemoteDestroy(keyID string) bool { return IsRecordKey(keyID) }
