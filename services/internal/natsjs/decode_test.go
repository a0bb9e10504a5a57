package natsjs

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/historytest"
)

// sampleMessages returns n stored messages as the store writes them,
// spread over a generated programme so that they hold every kind of event,
// each with its provenance as the recorder stamps it: who, which request,
// and the hashes that chain it.
func sampleMessages(tb testing.TB, n int) [][]byte {
	tb.Helper()
	all := historytest.Generate(3, 20_000).Events
	var out [][]byte
	for i := 0; i < n; i++ {
		e := all[i*len(all)/n].Envelope
		e.Actor, e.CorrelationID = "user-"+e.ID.String()[:8], e.ID.String()
		e.PrevHash, e.Hash = fmt.Sprintf("%064x", i), fmt.Sprintf("%064x", i+1)
		data, err := json.Marshal(e)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestDecodeMatchesEncodingJSON requires decode to read back every field
// exactly as the standard library does.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	samples := sampleMessages(t, 2000)
	full := events.Envelope{
		Stream: "project-x", StreamVersion: 3, Position: 9, Type: "ProjectClosed", SchemaVersion: 2,
		OccurredAt: time.Date(2026, 3, 1, 9, 30, 0, 123, time.FixedZone("x", 3600)), RecordedAt: time.Now(),
		Actor: "a\u00e9\"b", CorrelationID: "c", CausationID: "d", Idempotency: &events.Idempotency{Key: "k", Digest: "g"},
		PrevHash: "p", Hash: "h", Payload: json.RawMessage(`{"a":[1,2,{"b":"\u00e9"}],"c":null}`),
	}
	data, _ := json.Marshal(full)
	samples = append(samples, data)
	for i, data := range samples {
		var want events.Envelope
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		want.Position = uint64(i + 1)
		got, err := decode(data, uint64(i+1))
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("sample %d (-encoding/json +decode):\n%s", i, diff)
		}
	}
}

// FuzzDecode requires decode and decodeContent to accept what
// encoding/json accepts and refuse what it refuses, with the same result
// (decodeContent's less the provenance it leaves out).
func FuzzDecode(f *testing.F) {
	for _, s := range sampleMessages(f, 50) {
		f.Add(s)
	}
	f.Add([]byte(`{"id":"not-a-uuid"}`))
	f.Add([]byte(`{"payload":`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want events.Envelope
		wantErr := json.Unmarshal(data, &want)
		got, err := decode(data, 7)
		content, contentErr := decodeContent(data, 7)
		if wantErr != nil {
			if err == nil || contentErr == nil {
				t.Fatalf("decode (%v) or decodeContent (%v) accepted %q, which encoding/json refuses: %v", err, contentErr, data, wantErr)
			}
			return
		}
		if err != nil || contentErr != nil {
			t.Fatalf("decode (%v) or decodeContent (%v) refused %q, which encoding/json accepts", err, contentErr, data)
		}
		want.Position = 7
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q (-encoding/json +decode):\n%s", data, diff)
		}
		if diff := cmp.Diff(contentOf(want), content); diff != "" {
			t.Fatalf("%q (-encoding/json, its content +decodeContent):\n%s", data, diff)
		}
	})
}

// BenchmarkDecode decodes stored messages into envelopes, the step every
// read pays per event: whole, as the store reads them, and their content
// only, as the reports' reader does.
//
//	go test -run '^$' -bench Decode ./services/internal/natsjs/
func BenchmarkDecode(b *testing.B) {
	samples := sampleMessages(b, 5000)
	var bytes int
	for _, s := range samples {
		bytes += len(s)
	}
	for _, d := range []struct {
		name   string
		decode func([]byte, uint64) (events.Envelope, error)
	}{{"whole", decode}, {"content", decodeContent}} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(bytes / len(samples)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := d.decode(samples[i%len(samples)], 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestDecodeMarshalledReadsWhatMarshalWrites requires the direct reader
// to read, by itself, every envelope json.Marshal writes whose strings
// need no escapes, with the optional members present or not: what the
// store appends.
func TestDecodeMarshalledReadsWhatMarshalWrites(t *testing.T) {
	full := events.Envelope{
		Stream: "project-x", StreamVersion: 3, Type: "ProjectClosed", SchemaVersion: 2,
		OccurredAt: time.Date(2026, 3, 1, 9, 30, 0, 123, time.FixedZone("x", 3600)), RecordedAt: time.Now(),
		Actor: "Zoë", CorrelationID: "c", CausationID: "d", Idempotency: &events.Idempotency{Key: "k", Digest: "g"},
		PrevHash: "p", Hash: "h", Payload: json.RawMessage(`{"a":[1,2,{"b":"\u00e9 \"q\""}],"c":null}`),
	}
	withoutIdempotency := full
	withoutIdempotency.Idempotency = nil
	withoutCausation := full
	withoutCausation.CausationID = ""
	var samples [][]byte
	for _, e := range []events.Envelope{full, withoutIdempotency, withoutCausation} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, data)
	}
	samples = append(samples, sampleMessages(t, 2000)...)
	for i, data := range samples {
		got, ok := decodeMarshalled(data, false)
		if !ok {
			t.Fatalf("sample %d not read directly: %s", i, data)
		}
		var want events.Envelope
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("sample %d (-encoding/json +direct):\n%s", i, diff)
		}
	}
}

// FuzzDecodeMarshalled requires whatever the direct reader reads to be
// read the same by the general decoder, and its content alone to be read
// as the same less its provenance; FuzzDecode holds the general one to
// encoding/json.
func FuzzDecodeMarshalled(f *testing.F) {
	for _, s := range sampleMessages(f, 50) {
		f.Add(s)
	}
	f.Add([]byte(`{"id":"0190c1a2-3b4c-7d5e-8f60-718293a4b5c6","type":"T","schema_version":1,"stream":"s","stream_version":1,"position":0,"occurred_at":"2026-01-02T03:04:05.5+01:00","recorded_at":"2026-01-02T03:04:05Z","actor":"a","correlation_id":"c","causation_id":"d","idempotency":{"key":"k","digest":"g"},"prev_hash":"","hash":"h","payload":{"x":"\ud800","x":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeMarshalled(data, false)
		content, contentOK := decodeMarshalled(data, true)
		if ok != contentOK {
			t.Fatalf("%q read directly: %v, its content: %v", data, ok, contentOK)
		}
		if !ok {
			return
		}
		var want events.Envelope
		if err := jsonv2.Unmarshal(data, &want, decodeOptions); err != nil {
			t.Fatalf("read directly %q, which the decoder refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q (-decoder +direct):\n%s", data, diff)
		}
		if diff := cmp.Diff(contentOf(want), content); diff != "" {
			t.Fatalf("%q (-decoder, its content +direct, content only):\n%s", data, diff)
		}
	})
}
