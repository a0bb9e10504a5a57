package hashchain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/events/seal"
)

// history builds a valid, sealed history the way the recorder does: two
// streams written in turn, a seal after the sixth event, and two more
// events after it.
func history(t *testing.T) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	last := map[string]events.Envelope{}
	chain, count := "", uint64(0)
	add := func(stream, typ, payload string) {
		e := events.Envelope{
			ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1, Stream: stream,
			StreamVersion: last[stream].StreamVersion + 1, Position: uint64(len(out) + 1),
			OccurredAt: time.Date(2026, 3, 1, 9, 0, len(out), 0, time.UTC), RecordedAt: time.Date(2026, 3, 2, 9, 0, len(out), 0, time.UTC),
			Actor: "sarah", CorrelationID: "c", Payload: json.RawMessage(payload),
		}
		evs := []events.Envelope{e}
		if err := hashchain.Seal(last[stream].Hash, evs); err != nil {
			t.Fatal(err)
		}
		out = append(out, evs[0])
		last[stream] = evs[0]
		chain, count = hashchain.Chain(chain, evs[0].Hash), count+1
	}
	for i := range 6 {
		stream := []string{"project-a", "feedback-b"}[i%2]
		add(stream, "Thing", fmt.Sprintf(`{"n":%d,"text":"caf\u00e9 <b> & \"q\""}`, i))
	}
	add(seal.Stream, seal.TypeLedgerSealed, fmt.Sprintf(`{"through_position":6,"events":%d,"chain_hash":%q}`, count, chain))
	add("project-a", "Thing", `{"n":7}`)
	add("feedback-b", "Thing", `{"n":8}`)
	return out
}

func verify(evs []events.Envelope) (hashchain.Result, error) {
	v := hashchain.NewVerifier()
	for _, e := range evs {
		if err := v.Add(e); err != nil {
			return v.Result(), err
		}
	}
	return v.Result(), nil
}

func TestCleanHistoryVerifies(t *testing.T) {
	res, err := verify(history(t))
	if err != nil {
		t.Fatalf("clean history: %v", err)
	}
	if res.Events != 9 || res.Seals != 1 || res.LastSealedPosition != 6 || res.Unsealed != 2 || len(res.ChainHash) != 64 {
		t.Errorf("result = %+v, want 9 events, 1 seal through 6, 2 unsealed and a chain hash", res)
	}
}

// chainBuilder writes a history as the recorder does; seal appends a
// seal through a position already written.
type chainBuilder struct {
	t      *testing.T
	out    []events.Envelope
	last   map[string]events.Envelope
	points map[uint64][2]string // position: chain hash, event count
}

func (b *chainBuilder) add(stream, typ, payload string) {
	e := events.Envelope{
		ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1, Stream: stream,
		StreamVersion: b.last[stream].StreamVersion + 1, Position: uint64(len(b.out) + 1),
		OccurredAt: time.Date(2026, 3, 1, 9, 0, len(b.out), 0, time.UTC), RecordedAt: time.Date(2026, 3, 2, 9, 0, len(b.out), 0, time.UTC),
		Actor: "sarah", CorrelationID: "c", Payload: json.RawMessage(payload),
	}
	evs := []events.Envelope{e}
	if err := hashchain.Seal(b.last[stream].Hash, evs); err != nil {
		b.t.Fatal(err)
	}
	prev := ""
	if len(b.out) > 0 {
		prev = b.points[uint64(len(b.out))][0]
	}
	b.out = append(b.out, evs[0])
	b.last[stream] = evs[0]
	b.points[evs[0].Position] = [2]string{hashchain.Chain(prev, evs[0].Hash), fmt.Sprint(len(b.out))}
}

func (b *chainBuilder) event() { b.add("project-a", "Thing", `{}`) }

func (b *chainBuilder) seal(through uint64) {
	p := b.points[through]
	b.add(seal.Stream, seal.TypeLedgerSealed, fmt.Sprintf(`{"through_position":%d,"events":%s,"chain_hash":%q}`, through, p[1], p[0]))
}

// TestUnsealed pins the rule for what no seal covers: the events after
// the last sealed position, seals excepted.
func TestUnsealed(t *testing.T) {
	tests := []struct {
		name         string
		write        func(b *chainBuilder)
		unsealed     uint64
		lastSealedAt uint64
	}{
		{"no seal", func(b *chainBuilder) { b.event(); b.event() }, 2, 0},
		{"sealed on stop: the seal is last", func(b *chainBuilder) { b.event(); b.event(); b.seal(2) }, 0, 2},
		{"an event appended between reading the head and sealing", func(b *chainBuilder) { b.event(); b.event(); b.event(); b.seal(2) }, 1, 2},
		{"events after the seal", func(b *chainBuilder) { b.event(); b.seal(1); b.event(); b.event() }, 2, 1},
		{"a restart seals the previous seal", func(b *chainBuilder) { b.event(); b.seal(1); b.seal(2) }, 0, 2},
		{"two seals in a row over the same stretch", func(b *chainBuilder) { b.event(); b.event(); b.seal(2); b.seal(2) }, 0, 2},
		{"a seal over less than an earlier one", func(b *chainBuilder) { b.event(); b.event(); b.seal(2); b.seal(1); b.event() }, 1, 2},
		{"events before, between and after seals", func(b *chainBuilder) {
			b.event()
			b.event()
			b.seal(2)
			b.event()
			b.event()
			b.seal(4)
			b.event()
			b.seal(6)
			b.event()
		}, 2, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &chainBuilder{t: t, last: map[string]events.Envelope{}, points: map[uint64][2]string{}}
			tt.write(b)
			res, err := verify(b.out)
			if err != nil {
				t.Fatal(err)
			}
			if res.Unsealed != tt.unsealed || res.LastSealedPosition != tt.lastSealedAt {
				t.Errorf("unsealed %d, last sealed position %d; want %d and %d", res.Unsealed, res.LastSealedPosition, tt.unsealed, tt.lastSealedAt)
			}
		})
	}
}

// TestTamperingIsDetected edits, deletes, swaps and inserts events and
// requires each to be caught at the right event.
func TestTamperingIsDetected(t *testing.T) {
	tests := []struct {
		name       string
		tamper     func(evs []events.Envelope) []events.Envelope
		atPosition uint64
		reason     string
	}{
		{"edit a payload", func(evs []events.Envelope) []events.Envelope {
			evs[2].Payload = json.RawMessage(`{"n":99,"text":"caf\u00e9 <b> & \"q\""}`)
			return evs
		}, 3, "was altered"},
		{"edit the actor", func(evs []events.Envelope) []events.Envelope { evs[3].Actor = "mallory"; return evs }, 4, "was altered"},
		{"back-date the recorded time", func(evs []events.Envelope) []events.Envelope {
			evs[4].RecordedAt = evs[4].RecordedAt.Add(-time.Hour)
			return evs
		}, 5, "was altered"},
		{"delete an event in the middle of a stream", func(evs []events.Envelope) []events.Envelope {
			return append(evs[:2:2], evs[3:]...)
		}, 5, "stream version 3 follows version 1"},
		{"delete the last event of a stream before a seal", func(evs []events.Envelope) []events.Envelope {
			return append(evs[:5:5], evs[6:]...) // feedback-b version 3, the stream's last before the seal
		}, 7, "seal through position 6"},
		{"swap two events of different streams", func(evs []events.Envelope) []events.Envelope {
			evs[1], evs[2] = evs[2], evs[1]
			return evs
		}, 2, "out of order"},
		{"swap two events and their positions", func(evs []events.Envelope) []events.Envelope {
			evs[1], evs[2] = evs[2], evs[1]
			evs[1].Position, evs[2].Position = 2, 3
			return evs
		}, 7, "seal through position 6"},
		{"insert a forged event with a valid hash", func(evs []events.Envelope) []events.Envelope {
			forged := evs[4]
			forged.ID = uuid.Must(uuid.NewV7())
			forged.StreamVersion = 4
			forged.Position = 6
			forged.PrevHash = evs[4].Hash
			forged.Payload = json.RawMessage(`{"n":"forged"}`)
			h, _ := hashchain.Hash(forged)
			forged.Hash = h
			// Renumber what follows, as a careful forger would.
			out := append(append(evs[:5:5], forged), evs[5:]...)
			for i := 6; i < len(out); i++ {
				out[i].Position++
			}
			return out
		}, 8, "seal through position 6"},
		{"change a seal", func(evs []events.Envelope) []events.Envelope {
			evs[6].Payload = json.RawMessage(strings.Replace(string(evs[6].Payload), `"events":6`, `"events":5`, 1))
			return evs
		}, 7, "was altered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(tt.tamper(history(t)))
			var b *hashchain.Break
			if !errors.As(err, &b) {
				t.Fatalf("tampered history verified (err %v)", err)
			}
			if b.Position != tt.atPosition || !strings.Contains(b.Reason, tt.reason) {
				t.Errorf("break = %v, want at position %d mentioning %q", b, tt.atPosition, tt.reason)
			}
		})
	}
}

// TestCanonicalForm pins the canonical bytes, so that the specification in
// docs/audit.md and the code cannot drift apart.
func TestCanonicalForm(t *testing.T) {
	e := events.Envelope{
		ID: uuid.MustParse("01a21461-acfb-70a4-938a-6bcf565a55ff"), Type: "ProjectClosed", SchemaVersion: 1,
		Stream: "project-01a21461-acfa-7c2e-8687-67d4cba9b76f", StreamVersion: 2, Position: 17,
		OccurredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), RecordedAt: time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC),
		Actor: "sarah", CorrelationID: "c-1", PrevHash: "ab", Hash: "ignored",
		Payload: json.RawMessage(`{ "summary" : "Done <b>", "z": 1.50, "a": [true, null, 1e2] }`),
	}
	got, err := hashchain.Canonical(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"actor":"sarah","correlation_id":"c-1","id":"01a21461-acfb-70a4-938a-6bcf565a55ff","occurred_at":"2026-03-01T09:00:00Z",` +
		`"payload":{"a":[true,null,100],"summary":"Done <b>","z":1.5},"prev_hash":"ab","recorded_at":"2026-03-01T09:00:00.123456Z",` +
		`"schema_version":1,"stream":"project-01a21461-acfa-7c2e-8687-67d4cba9b76f","stream_version":2,"type":"ProjectClosed"}`
	if string(got) != want {
		t.Errorf("Canonical =\n%s\nwant\n%s", got, want)
	}
	// sha256sum of the canonical bytes above, computed apart from this code.
	if h, _ := hashchain.Hash(e); h != "4c894f235836f3bee2683eef6bd1021467b2c73bcb6f717dabe6ac43da5fc49e" {
		t.Errorf("Hash = %q, want 4c894f235836f3bee2683eef6bd1021467b2c73bcb6f717dabe6ac43da5fc49e", h)
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"b":[1,2,{"c":"d"}],"a":"\u00e9\n"}`, `"x"`, `1e400`, `{"a":1e-7}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		e := events.Envelope{ID: uuid.Nil, Type: "T", Payload: json.RawMessage(payload)}
		c1, err := hashchain.Canonical(e)
		if err != nil {
			return
		}
		// Canonical form is a fixed point: canonicalizing its payload
		// again changes nothing.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(c1, &m); err != nil {
			t.Fatalf("canonical form is not JSON: %s", c1)
		}
		e.Payload = m["payload"]
		c2, err := hashchain.Canonical(e)
		if err != nil || string(c1) != string(c2) {
			t.Fatalf("not a fixed point:\n%s\n%s (%v)", c1, c2, err)
		}
	})
}
