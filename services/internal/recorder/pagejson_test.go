package recorder

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/google/uuid"

	"github.com/together-coop/together/events"
)

func samplePage(n int) page {
	var p page
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	for i := range n {
		p.Events = append(p.Events, events.Envelope{ID: uuid.New(), Type: "StakeholderInvited", SchemaVersion: 1,
			Stream: "engagement-" + uuid.NewString(), StreamVersion: uint64(i + 1), Position: uint64(i + 100),
			OccurredAt: at, RecordedAt: at.Add(time.Duration(i) * time.Microsecond), PrevHash: "ab", Hash: "cd",
			Payload: json.RawMessage(fmt.Sprintf(`{"stakeholder_id": "%s", "channel":"<email>","n":%d}`, uuid.NewString(), i))})
	}
	p.More = true
	return p
}

// TestPagesAreEncodingJSONs holds the pages' v2 encoding and decoding to
// encoding/json's: the same bytes out, the same page back.
func TestPagesAreEncodingJSONs(t *testing.T) {
	p := samplePage(3)
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonv2.Marshal(p, jsonv1.DefaultOptionsV1())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("v2 wrote\n%s\nencoding/json\n%s", got, want)
	}
	var v1, v2 page
	if err := json.Unmarshal(want, &v1); err != nil {
		t.Fatal(err)
	}
	if err := jsonv2.Unmarshal(want, &v2, jsonv1.DefaultOptionsV1()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Fatalf("v2 read %+v\nencoding/json %+v", v2, v1)
	}
}

// BenchmarkPageJSON compares encoding/json with the v2 encoder the
// recorder and its client use, on a page of twenty envelopes.
func BenchmarkPageJSON(b *testing.B) {
	p := samplePage(20)
	data, _ := json.Marshal(p)
	b.Run("encode/encoding-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(p)
		}
	})
	b.Run("encode/v2", func(b *testing.B) {
		for b.Loop() {
			_, _ = jsonv2.Marshal(p, jsonv1.DefaultOptionsV1())
		}
	})
	b.Run("decode/encoding-json", func(b *testing.B) {
		for b.Loop() {
			var q page
			_ = json.Unmarshal(data, &q)
		}
	})
	b.Run("decode/v2", func(b *testing.B) {
		for b.Loop() {
			var q page
			_ = jsonv2.Unmarshal(data, &q, jsonv1.DefaultOptionsV1())
		}
	})
}
