package natsjs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/historytest"
)

// sampleMessages returns n stored messages as the store writes them,
// spread over a generated programme so that they hold every kind of event.
func sampleMessages(tb testing.TB, n int) [][]byte {
	tb.Helper()
	all := historytest.Generate(3, 20_000).Events
	var out [][]byte
	for i := 0; i < n; i++ {
		e := all[i*len(all)/n]
		data, err := json.Marshal(e.Envelope)
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

// FuzzDecode requires decode to accept what encoding/json accepts and
// refuse what it refuses, with the same result.
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
		if wantErr != nil {
			if err == nil {
				t.Fatalf("decode accepted %q, which encoding/json refuses: %v", data, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("decode refused %q, which encoding/json accepts: %v", data, err)
		}
		want.Position = 7
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q (-encoding/json +decode):\n%s", data, diff)
		}
	})
}

// BenchmarkDecode decodes stored messages into envelopes, the step every
// read pays per event.
//
//	go test -run '^$' -bench Decode ./services/internal/natsjs/
func BenchmarkDecode(b *testing.B) {
	samples := sampleMessages(b, 5000)
	var bytes int
	for _, s := range samples {
		bytes += len(s)
	}
	b.SetBytes(int64(bytes / len(samples)))
	i := 0
	for b.Loop() {
		if _, err := decode(samples[i%len(samples)], 1); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
