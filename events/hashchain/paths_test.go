package hashchain

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
)

// FuzzCanonicalPaths holds the direct canonicalizer to the reference:
// whatever it canonicalizes, the reference canonicalizes to the same
// bytes (where it refuses, Canonical asks the reference).
func FuzzCanonicalPaths(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"b":[1,2,{"c":"d"}],"a":"\u00e9\n"}`, `"x"`, `1e400`, `{"a":1e-7}`, `[]`, `{"a":1,"a":2}`,
		`{"z":1.50,"a":[true,null,1e2],"s":"Done <b> & \u2028 \u001f \ud83d\ude00"}`, `{"big":12345678901234567890,"neg":-0.0}`,
		`{"é":1,"e":2,"\ud800\udc00":3,"\uffff":4}`, "\"\xff\"", `{"position":1,"hash":"x"}`, `{"n":5e-324,"m":1.7976931348623157e308}`,
		` {"a" : 1 } `, `{"a":1} {"b":2}`, ``, `null`,
	} {
		f.Add([]byte(s), "actor <a>", "", "", uint64(3), -1)
	}
	f.Add([]byte(`{"a":"b"}`), "Zoë \u2028 \x01", "cause\"d", "key\xff", uint64(1)<<60, 2)
	f.Add([]byte(`{}`), "a", "c", "k", uint64(9007199254740993), 0)
	f.Fuzz(func(t *testing.T, payload []byte, actor, causation, key string, version uint64, schema int) {
		e := events.Envelope{ID: uuid.Nil, Type: "T", SchemaVersion: schema, Stream: "project-a", StreamVersion: version, Position: 9, Actor: actor,
			CausationID: causation, CorrelationID: actor + causation,
			OccurredAt: time.Date(2026, 3, 1, 9, 0, 0, 1, time.UTC), RecordedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("x", 3600)),
			PrevHash: "ab", Hash: "cd", Payload: json.RawMessage(payload)}
		if payload == nil {
			e.Payload = nil
		}
		if key != "" {
			e.Idempotency = &events.Idempotency{Key: key, Digest: causation}
		}
		full, err := json.Marshal(e)
		if err != nil {
			if c, ok := canonicalDirect(e); ok {
				t.Fatalf("the envelope does not marshal (%v), yet the direct canonicalizer gave %s", err, c)
			}
			return
		}
		got, ok := canonicalDirect(e)
		if !ok {
			return
		}
		ref, err := canonicalReference(full)
		if err != nil {
			t.Fatalf("direct canonicalized %s, the reference refused it: %v", full, err)
		}
		if string(got) != string(ref) {
			t.Fatalf("%s:\ndirect    %s\nreference %s", full, got, ref)
		}
	})
}

func BenchmarkCanonical(b *testing.B) {
	e := events.Envelope{ID: uuid.New(), Type: "StakeholderInvited", SchemaVersion: 2, Stream: "engagement-" + uuid.NewString(),
		StreamVersion: 4, Position: 1234, OccurredAt: time.Now(), RecordedAt: time.Now(), Actor: "sarah", CorrelationID: "c-1",
		PrevHash: "4c894f235836f3bee2683eef6bd1021467b2c73bcb6f717dabe6ac43da5fc49e",
		Payload:  json.RawMessage(`{"stakeholder_id":"` + uuid.NewString() + `","channel":"email"}`)}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, ok := canonicalDirect(e); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("marshal-and-reference", func(b *testing.B) {
		for b.Loop() {
			full, _ := json.Marshal(e)
			if _, err := canonicalReference(full); err != nil {
				b.Fatal(err)
			}
		}
	})
}
