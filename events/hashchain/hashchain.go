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
	"bytes"
	"errors"

	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

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
	// same way, then canonicalize.
	full, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: %v", events.ErrInvalidEvent, e.ID, err)
	}
	// The streaming canonicalizer does in one pass what the reference
	// does in four. It refuses what it cannot take exactly (invalid
	// UTF-8, a key given twice, a number out of range); the reference,
	// which decides those as it always has, then answers.
	// FuzzCanonicalPaths holds the three to the same bytes.
	if c, err := canonicalStreaming(full); err == nil {
		return c, nil
	}
	return canonicalReference(full)
}

// canonicalStreaming drops "position" and "hash" from the envelope's JSON
// and canonicalizes the rest with jsontext (RFC 8785).
func canonicalStreaming(full []byte) ([]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(full))
	var out bytes.Buffer
	out.Grow(len(full))
	enc := jsontext.NewEncoder(&out)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("envelope is not a JSON object")
	} else if err := enc.WriteToken(tok); err != nil {
		return nil, err
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		keep := name != "position" && name != "hash"
		if keep {
			if err := enc.WriteToken(jsontext.String(name)); err != nil {
				return nil, err
			}
		}
		if err := copyValue(dec, enc, keep); err != nil {
			return nil, err
		}
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, errors.New("envelope is not one JSON object")
	} else if err := enc.WriteToken(tok); err != nil {
		return nil, err
	}
	c := jsontext.Value(bytes.TrimRight(out.Bytes(), "\n"))
	if err := c.Canonicalize(); err != nil {
		return nil, err
	}
	return c, nil
}

// copyValue copies the next value from dec to enc (or only reads it past
// when keep is false), refusing a number beyond float64 as the reference
// does: RFC 8785 has no form for it, and jsontext would write one.
func copyValue(dec *jsontext.Decoder, enc *jsontext.Encoder, keep bool) error {
	depth := dec.StackDepth()
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if tok.Kind() == '0' {
			if _, err := strconv.ParseFloat(tok.String(), 64); err != nil {
				return err
			}
		}
		if keep {
			if err := enc.WriteToken(tok); err != nil {
				return err
			}
		}
		if dec.StackDepth() == depth {
			return nil
		}
	}
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
