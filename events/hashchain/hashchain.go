// Package hashchain makes the history tamper-evident, in a way a third
// party can check with nothing but SHA-256 and a JSON canonicalizer
// (docs/audit.md specifies it byte by byte):
//
//   - every event's hash is SHA-256 over the RFC 8785 canonical JSON of its
//     envelope without "position" and "hash", so it covers the payload, the
//     times, the actor and prev_hash;
//   - prev_hash is the hash of the previous event of the same stream (""
//     for the first), chaining each stream;
//   - the chain hash runs over the global order: chain₀ = "" and
//     chainₙ = SHA-256(chainₙ₋₁ ‖ hashₙ) over the hex strings;
//   - every so often the recorder appends a [seal.LedgerSealed] event with
//     the chain hash through a position, so that removing, reordering or
//     inserting an event anywhere before a seal is detected.
package hashchain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/together-coop/together/events"
)

// Canonical returns the bytes an event's hash is taken over.
func Canonical(e events.Envelope) ([]byte, error) {
	// The recorder hashes every event in the one goroutine that orders
	// appends, so this is on the path of every command: written from the
	// fields, only the payload is parsed.
	if c, ok := canonicalDirect(e); ok {
		return c, nil
	}
	// The envelope's JSON, as exported, is the reference: marshal it the
	// same way, then canonicalize. Only what the direct writer cannot be
	// sure of comes here (a string that is not UTF-8, a payload with a
	// name given twice or a number at the edge of float64), which the
	// reference decides as it always has.
	full, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: %v", events.ErrInvalidEvent, e.ID, err)
	}
	return canonicalReference(full)
}

// canonicalReference is the canonical form as first written: the
// envelope's members without "position" and "hash", through
// canonicalJSON.
func canonicalReference(full []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(full, &m); err != nil {
		return nil, err
	}
	delete(m, "position")
	delete(m, "hash")
	stripped, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(stripped)
}

// Hash returns the event's hash: lowercase hex SHA-256 of [Canonical].
func Hash(e events.Envelope) (string, error) {
	c, err := Canonical(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// Seal sets prev_hash and hash on events about to be appended to one
// stream whose last event has hash prev ("" for a new stream). Each
// event's Stream and StreamVersion must already be the ones it will be
// stored with.
func Seal(prev string, evs []events.Envelope) error {
	for i := range evs {
		evs[i].PrevHash = prev
		h, err := Hash(evs[i])
		if err != nil {
			return err
		}
		evs[i].Hash = h
		prev = h
	}
	return nil
}

// Chain extends the global chain hash by one event hash.
func Chain(prev, eventHash string) string {
	sum := sha256.Sum256([]byte(prev + eventHash))
	return hex.EncodeToString(sum[:])
}
