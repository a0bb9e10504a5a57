package audit_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/audit"
)

const line = `{"id":"01a21461-acfb-70a4-938a-6bcf565a55ff","type":"ProjectRegistered","schema_version":1,"stream":"project-1","stream_version":1,"position":1,"occurred_at":"2026-11-25T20:24:35.323034Z","recorded_at":"2026-11-25T20:24:35.323167Z","actor":"sarah","correlation_id":"c","causation_id":"c","prev_hash":"","hash":"h","payload":{"programme":"p"}}`

func TestReadNDJSON(t *testing.T) {
	var got []events.Envelope
	for e, err := range audit.ReadNDJSON(strings.NewReader(line + "\n\n" + line + "\n")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 2 || got[0].Actor != "sarah" || got[1].Position != 1 {
		t.Fatalf("read %+v", got)
	}
	for _, bad := range []string{`{"id":`, strings.Replace(line, `"actor"`, `"author"`, 1), `[]`} {
		var err error
		for _, e := range audit.ReadNDJSON(strings.NewReader(line + "\n" + bad + "\n")) {
			err = e
		}
		if !errors.Is(err, events.ErrInvalidEvent) || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("ReadNDJSON(%q) error = %v, want ErrInvalidEvent on line 2", bad, err)
		}
	}
}

func FuzzReadNDJSON(f *testing.F) {
	f.Add([]byte(line + "\n" + line))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"payload":[1,2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for e, err := range audit.ReadNDJSON(strings.NewReader(string(data))) {
			if err != nil {
				return
			}
			// Whatever is read must be written back as a line that reads
			// the same: exports round-trip.
			out, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("a decoded envelope does not encode: %v", err)
			}
			for again, err := range audit.ReadNDJSON(strings.NewReader(string(out))) {
				if err != nil {
					t.Fatalf("re-reading %s: %v", out, err)
				}
				if out2, _ := json.Marshal(again); string(out2) != string(out) {
					t.Fatalf("round trip changed the envelope:\n%s\n%s", out, out2)
				}
			}
		}
	})
}

func TestLastPosition(t *testing.T) {
	path := t.TempDir() + "/events.ndjson"
	second := strings.Replace(line, `"position":1`, `"position":7`, 1)
	if err := os.WriteFile(path, []byte(line+"\n"+second+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := audit.LastPosition(path); err != nil || got != 7 {
		t.Errorf("LastPosition = %d, %v, want 7", got, err)
	}
}
