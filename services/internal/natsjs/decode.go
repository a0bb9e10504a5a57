package natsjs

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/together-coop/together/events"
)

// decode reads a stored message into the envelope at position seq, as
// encoding/json would read it. Nearly every message is exactly what
// json.Marshal wrote when it was appended, and is read member by member
// in that order; anything else goes to the general decoder.
func decode(data []byte, seq uint64) (events.Envelope, error) {
	if e, ok := decodeMarshalled(data, false); ok {
		e.Position = seq
		return e, nil
	}
	return decodeAny(data, seq)
}

// decodeContent reads a stored message as decode does, less what says
// who wrote the event and proves it was not changed (actor, correlation,
// causation, idempotency and hashes), which it leaves empty, and with a
// payload that is data's own bytes rather than a copy of them: what a
// projection reads of an event is what happened, to what and when, and
// nothing else at every event of a rebuild is garbage at once. It refuses
// what decode refuses.
func decodeContent(data []byte, seq uint64) (events.Envelope, error) {
	if e, ok := decodeMarshalled(data, true); ok {
		e.Position = seq
		return e, nil
	}
	e, err := decodeAny(data, seq)
	return contentOf(e), err
}

// contentOf is e less what decodeContent leaves out.
func contentOf(e events.Envelope) events.Envelope {
	e.Actor, e.CorrelationID, e.CausationID, e.Idempotency, e.PrevHash, e.Hash = "", "", "", nil, "", ""
	return e
}

// decodeOptions make the v2 decoder read an envelope as encoding/json
// does (field names in any case, a repeated name's last value wins, bad
// UTF-8 replaced rather than refused) at less than half its cost, as it
// reads the input once rather than scanning it first. FuzzDecode holds
// the two to the same answers.
var decodeOptions = jsonv2.JoinOptions(
	jsonv2.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv1.ParseTimeWithLooseRFC3339(true),
	jsonv1.MergeWithLegacySemantics(true),
	jsonv1.CallMethodsWithLegacySemantics(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// decodeAny reads any JSON encoding/json would accept as an envelope.
func decodeAny(data []byte, seq uint64) (events.Envelope, error) {
	var e events.Envelope
	if err := jsonv2.Unmarshal(data, &e, decodeOptions); err != nil {
		return events.Envelope{}, &events.UnreadableError{Position: seq, Err: err}
	}
	e.Position = seq
	return e, nil
}

// payloadOptions accept, in the payload, what encoding/json's scanner
// accepts: it neither checks UTF-8 nor looks for repeated names, and
// copies the payload's bytes as they are.
var payloadOptions = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// decodeMarshalled reads data if it is an envelope as json.Marshal
// writes one: every member in the order of the struct's fields, the
// optional ones present or not, no space, and every string but the
// payload's free of escapes, so its bytes are its value. It reports false
// for anything else, which may still be an envelope: decodeAny decides.
// Each value is read by what encoding/json calls for it, so the two agree
// (FuzzDecodeMarshalled holds them to it). With contentOnly it reads the
// envelope as decodeContent does.
func decodeMarshalled(data []byte, contentOnly bool) (e events.Envelope, ok bool) {
	r := marshalled{data: data, contentOnly: contentOnly}
	var occurred, recorded []byte
	ok = r.member(`{"id":`) && r.text(e.ID.UnmarshalText) &&
		r.member(`,"type":`) && r.string(&e.Type) &&
		r.member(`,"schema_version":`) && r.int(&e.SchemaVersion) &&
		r.member(`,"stream":`) && r.string(&e.Stream) &&
		r.member(`,"stream_version":`) && r.uint(&e.StreamVersion) &&
		r.member(`,"position":`) && r.uint(&e.Position) &&
		r.member(`,"occurred_at":`) && r.raw(&occurred) &&
		r.member(`,"recorded_at":`) && r.raw(&recorded) &&
		r.member(`,"actor":`) && r.provenance(&e.Actor) &&
		r.member(`,"correlation_id":`) && r.provenance(&e.CorrelationID)
	if !ok {
		return events.Envelope{}, false
	}
	if err := e.OccurredAt.UnmarshalText(occurred); err != nil {
		return events.Envelope{}, false
	}
	if err := e.RecordedAt.UnmarshalText(recorded); err != nil {
		return events.Envelope{}, false
	}
	if r.member(`,"causation_id":`) && !r.provenance(&e.CausationID) {
		return events.Envelope{}, false
	}
	if r.member(`,"idempotency":`) {
		var idem events.Idempotency
		if !(r.member(`{"key":`) && r.provenance(&idem.Key) &&
			r.member(`,"digest":`) && r.provenance(&idem.Digest) && r.member(`}`)) {
			return events.Envelope{}, false
		}
		if !contentOnly {
			e.Idempotency = &idem
		}
	}
	ok = r.member(`,"prev_hash":`) && r.provenance(&e.PrevHash) &&
		r.member(`,"hash":`) && r.provenance(&e.Hash) &&
		r.member(`,"payload":`)
	if !ok {
		return events.Envelope{}, false
	}
	// The payload is all that is left but the envelope's closing brace:
	// one object, checked whole.
	payload := data[r.at:]
	if len(payload) < 3 || payload[0] != '{' || payload[len(payload)-2] != '}' || payload[len(payload)-1] != '}' {
		return events.Envelope{}, false
	}
	payload = payload[:len(payload)-1]
	if !jsontext.Value(payload).IsValid(payloadOptions) {
		return events.Envelope{}, false
	}
	if contentOnly {
		e.Payload = payload[:len(payload):len(payload)]
	} else {
		e.Payload = bytes.Clone(payload)
	}
	return e, true
}

// marshalled reads the members of an envelope json.Marshal wrote, in
// order, from data[at:].
type marshalled struct {
	data []byte
	at   int
	// contentOnly reads the envelope's provenance without keeping it.
	contentOnly bool
}

// member reads the literal text s (a member's name and colon, with the
// comma or brace before it), if it comes next.
func (r *marshalled) member(s string) bool {
	if !bytes.HasPrefix(r.data[r.at:], []byte(s)) {
		return false
	}
	r.at += len(s)
	return true
}

// raw reads a string with no escapes, as its bytes: the value of the
// bytes between its quotes. Control characters, which JSON refuses in a
// string, and bytes that are not UTF-8, which encoding/json replaces, are
// not read.
func (r *marshalled) raw(s *[]byte) bool {
	rest := r.data[r.at:]
	if len(rest) == 0 || rest[0] != '"' {
		return false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return false
	}
	value := rest[1 : 1+end]
	for _, c := range value {
		if c < ' ' || c == '\\' {
			return false
		}
	}
	if !utf8.Valid(value) {
		return false
	}
	*s = value
	r.at += end + 2
	return true
}

func (r *marshalled) string(s *string) bool {
	var b []byte
	if !r.raw(&b) {
		return false
	}
	*s = string(b)
	return true
}

// provenance reads a string of the envelope's provenance, into s unless
// r reads content only.
func (r *marshalled) provenance(s *string) bool {
	if r.contentOnly {
		var b []byte
		return r.raw(&b)
	}
	return r.string(s)
}

// text reads a string into a value through its UnmarshalText, as
// encoding/json does for a type that has one.
func (r *marshalled) text(unmarshal func([]byte) error) bool {
	var b []byte
	return r.raw(&b) && unmarshal(b) == nil
}

// digits reads an unsigned integer as JSON writes it: no sign, no
// fraction or exponent, no leading zero.
func (r *marshalled) digits() ([]byte, bool) {
	rest := r.data[r.at:]
	n := 0
	for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
		n++
	}
	if n == 0 || n > 1 && rest[0] == '0' {
		return nil, false
	}
	r.at += n
	return rest[:n], true
}

func (r *marshalled) uint(v *uint64) bool {
	d, ok := r.digits()
	if !ok {
		return false
	}
	n, err := strconv.ParseUint(string(d), 10, 64)
	*v = n
	return err == nil
}

func (r *marshalled) int(v *int) bool {
	d, ok := r.digits()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(d), 10, strconv.IntSize)
	*v = int(n)
	return err == nil
}
