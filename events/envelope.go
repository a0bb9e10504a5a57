package events

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Envelope is one stored event: the payload as JSON plus everything an
// auditor needs to place it — which stream and version, where in the global
// order, when it happened and when it was recorded, who did it and why.
//
// Envelopes are values; the store never changes an envelope once it has
// acknowledged it.
type Envelope struct {
	// ID is a UUIDv7 chosen by the writer. Retrying an append with the same
	// IDs is a no-op, which is what makes retries after a timeout safe.
	ID            uuid.UUID `json:"id"`
	Type          string    `json:"type"`
	SchemaVersion int       `json:"schema_version"`
	Stream        string    `json:"stream"`
	// StreamVersion counts from 1 within the stream.
	StreamVersion uint64 `json:"stream_version"`
	// Position is the global order, set by the store. Positions increase
	// strictly but need not be contiguous.
	Position uint64 `json:"position"`
	// OccurredAt is business time and may be back-dated; RecordedAt is set
	// when the event is stored and drives as-of (bitemporal) views.
	OccurredAt    time.Time    `json:"occurred_at"`
	RecordedAt    time.Time    `json:"recorded_at"`
	Actor         string       `json:"actor"`
	CorrelationID string       `json:"correlation_id"`
	CausationID   string       `json:"causation_id,omitempty"`
	Idempotency   *Idempotency `json:"idempotency,omitempty"`
	// PrevHash and Hash chain the events of a stream for tamper evidence.
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
	Payload  json.RawMessage `json:"payload"`
}

// Idempotency records the Idempotency-Key of the command that produced an
// event and a digest of the request, so that a retried command is answered
// with the original result and a reused key with a different request is
// refused. It lives in the stream itself, so it survives restarts.
type Idempotency struct {
	Key    string `json:"key"`
	Digest string `json:"digest"`
}

// NewEventID returns a fresh UUIDv7, the form of every event id.
func NewEventID() (uuid.UUID, error) {
	return uuid.NewV7()
}
