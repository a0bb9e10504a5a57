package hashchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/together-coop/together/events"
)

// canonicalDirect writes the canonical form of e from its fields, with
// the members in the order RFC 8785 sorts them, canonicalizing only the
// payload as JSON: the envelope's own members are strings, numbers, times
// and one small object, whose canonical form is known without parsing
// them back. It reports false where it might not agree with the
// reference (a string that is not UTF-8, a time JSON cannot hold, a
// payload canonicalValue refuses), and [Canonical] then takes the way
// through the envelope's JSON. FuzzCanonicalPaths holds it to the
// reference.
func canonicalDirect(e events.Envelope) ([]byte, bool) {
	for _, s := range []string{e.Actor, e.CausationID, e.CorrelationID, e.PrevHash, e.Stream, e.Type} {
		if !utf8.ValidString(s) {
			return nil, false
		}
	}
	if e.Idempotency != nil && (!utf8.ValidString(e.Idempotency.Key) || !utf8.ValidString(e.Idempotency.Digest)) {
		return nil, false
	}
	occurred, ok := jsonTime(e.OccurredAt)
	if !ok {
		return nil, false
	}
	recorded, ok := jsonTime(e.RecordedAt)
	if !ok {
		return nil, false
	}
	payload := []byte("null") // what encoding/json writes for a nil RawMessage
	if e.Payload != nil {
		var err error
		if payload, err = canonicalValue(e.Payload); err != nil {
			return nil, false
		}
	}
	schemaVersion, err := canonicalNumber(json.Number(strconv.Itoa(e.SchemaVersion)))
	if err != nil {
		return nil, false
	}
	streamVersion, err := canonicalNumber(json.Number(strconv.FormatUint(e.StreamVersion, 10)))
	if err != nil {
		return nil, false
	}

	var b bytes.Buffer
	b.Grow(256 + len(payload))
	member := func(name string, first bool) {
		if !first {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(name) // every name here is plain ASCII
		b.WriteString(`":`)
	}
	b.WriteByte('{')
	member("actor", true)
	writeString(&b, e.Actor)
	if e.CausationID != "" { // omitempty
		member("causation_id", false)
		writeString(&b, e.CausationID)
	}
	member("correlation_id", false)
	writeString(&b, e.CorrelationID)
	member("id", false)
	writeString(&b, e.ID.String())
	if e.Idempotency != nil { // omitempty
		member("idempotency", false)
		b.WriteString(`{"digest":`)
		writeString(&b, e.Idempotency.Digest)
		b.WriteString(`,"key":`)
		writeString(&b, e.Idempotency.Key)
		b.WriteByte('}')
	}
	member("occurred_at", false)
	b.Write(occurred)
	member("payload", false)
	b.Write(payload)
	member("prev_hash", false)
	writeString(&b, e.PrevHash)
	member("recorded_at", false)
	b.Write(recorded)
	member("schema_version", false)
	b.WriteString(schemaVersion)
	member("stream", false)
	writeString(&b, e.Stream)
	member("stream_version", false)
	b.WriteString(streamVersion)
	member("type", false)
	writeString(&b, e.Type)
	b.WriteByte('}')
	return b.Bytes(), true
}

// jsonTime is t as encoding/json writes it, quoted: RFC 3339 with
// nanoseconds, plain ASCII, which is its canonical form as it stands.
func jsonTime(t time.Time) ([]byte, bool) {
	data, err := t.MarshalJSON()
	return data, err == nil
}

// canonicalValue canonicalizes one JSON value, refusing what it cannot
// be sure to canonicalize as the reference does: invalid UTF-8, a name
// given twice, more than one value (jsontext refuses those), and a number
// beyond float64, which jsontext would write as the largest float64 and
// the reference refuses (a value that canonicalizes to
// ±1.7976931348623157e+308 is refused here too, and the reference
// decides it).
func canonicalValue(data []byte) ([]byte, error) {
	c := jsontext.Value(bytes.Clone(data))
	if err := c.Canonicalize(); err != nil {
		return nil, err
	}
	if bytes.Contains(c, []byte("e+308")) {
		return nil, errors.New("a number at or beyond the largest float64")
	}
	return c, nil
}
