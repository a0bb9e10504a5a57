package events

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// MaxAppendEvents bounds one atomic append; JetStream's atomic batches
// allow 1000 messages and no command of the catalogue comes near that.
const MaxAppendEvents = 100

// CheckStreamName reports whether name is a stream name the stores accept:
// "<aggregate>-<id>", lowercase letters, digits, '-' and '_' only, so that
// it is also a safe NATS subject token and KurrentDB stream name.
func CheckStreamName(name string) error {
	if name == "" || len(name) > 200 {
		return fmt.Errorf("%w: stream name %q must be 1 to 200 characters", ErrInvalidEvent, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%w: stream name %q may hold only a-z, 0-9, '-' and '_'", ErrInvalidEvent, name)
		}
	}
	return nil
}

// PrepareAppend checks an append's arguments and returns copies of evs
// stamped with the stream, their stream versions and, where unset, the
// recorded time now. Every store calls it first, so all of them refuse the
// same bad input in the same words.
func PrepareAppend(stream string, expected uint64, evs []Envelope, now time.Time) ([]Envelope, error) {
	if err := CheckStreamName(stream); err != nil {
		return nil, err
	}
	if len(evs) == 0 || len(evs) > MaxAppendEvents {
		return nil, fmt.Errorf("%w: append to %s: %d events (want 1 to %d)", ErrInvalidEvent, stream, len(evs), MaxAppendEvents)
	}
	out := make([]Envelope, len(evs))
	seen := make(map[uuid.UUID]bool, len(evs))
	for i, e := range evs {
		if e.ID == uuid.Nil {
			return nil, fmt.Errorf("%w: append to %s: event %d has no id", ErrInvalidEvent, stream, i)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("%w: append to %s: event id %s appears twice", ErrInvalidEvent, stream, e.ID)
		}
		seen[e.ID] = true
		if e.Type == "" {
			return nil, fmt.Errorf("%w: append to %s: event %s has no type", ErrInvalidEvent, stream, e.ID)
		}
		if e.Stream != "" && e.Stream != stream {
			return nil, fmt.Errorf("%w: event %s names stream %s but is appended to %s", ErrInvalidEvent, e.ID, e.Stream, stream)
		}
		e.Stream = stream
		e.StreamVersion = expected + uint64(i) + 1
		e.Position = 0
		if e.RecordedAt.IsZero() {
			e.RecordedAt = now
		}
		e.RecordedAt = e.RecordedAt.UTC()
		e.OccurredAt = e.OccurredAt.UTC()
		out[i] = e
	}
	return out, nil
}

// SameEvents reports whether stored holds exactly the ids of attempt, in
// order: the test every store uses to recognise a retried append.
func SameEvents(stored, attempt []Envelope) bool {
	if len(stored) != len(attempt) {
		return false
	}
	for i := range stored {
		if stored[i].ID != attempt[i].ID {
			return false
		}
	}
	return true
}
