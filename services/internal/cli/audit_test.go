package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/projections/historytest"
)

// writeHistory writes the events.ndjson of a small programme as a
// recorder that seals on stop leaves it: fifty-odd events, each hashed
// and chained, then the seal over all of them.
func writeHistory(t *testing.T) (path string, first time.Time) {
	t.Helper()
	id := func() string { return uuid.Must(uuid.NewV7()).String() }
	p, el, w := id(), id(), id()
	b := historytest.NewBuilder(historytest.Day(1)).
		Project(p, "North", "Letters").Element(p, el, "Letter template").
		Plan(w, p, events.LevelCoDesign, "workshop", el)
	var people []string
	for range 25 {
		s := id()
		people = append(people, s)
		b.Stakeholder(s, events.RoleCarer).Invite(w, s)
	}
	b.At(historytest.Day(5)).Hold(w, 0, people[:10]...)
	last := map[string]string{}
	chain := ""
	var out []events.Envelope
	for _, e := range b.Events {
		evs := []events.Envelope{e.Envelope}
		if err := hashchain.Seal(last[e.Envelope.Stream], evs); err != nil {
			t.Fatal(err)
		}
		last[e.Envelope.Stream] = evs[0].Hash
		chain = hashchain.Chain(chain, evs[0].Hash)
		out = append(out, evs[0])
	}
	n := len(out)
	typ, version, data, err := catalogue.New().Encode(&seal.LedgerSealed{ThroughPosition: uint64(n), Events: uint64(n), ChainHash: chain})
	if err != nil {
		t.Fatal(err)
	}
	s := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: version, Stream: seal.Stream, StreamVersion: 1,
		Position: uint64(n + 1), OccurredAt: historytest.Day(6), RecordedAt: historytest.Day(6), Actor: "recorder", CorrelationID: "c", Payload: data}
	evs := []events.Envelope{s}
	if err := hashchain.Seal("", evs); err != nil {
		t.Fatal(err)
	}
	out = append(out, evs[0])
	var lines strings.Builder
	for _, e := range out {
		b, _ := json.Marshal(e)
		lines.Write(append(b, '\n'))
	}
	path = filepath.Join(t.TempDir(), "history", "events.ndjson")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, out[0].RecordedAt
}

// TestAuditTraps walks the auditor's path with the moments and files that
// used to pass silently: each must now fail loudly, or pass without a
// false alarm.
func TestAuditTraps(t *testing.T) {
	history, first := writeHistory(t)
	before := first.Add(-time.Hour).Format(time.RFC3339)

	t.Run("export of nothing", func(t *testing.T) {
		exp := filepath.Join(t.TempDir(), "export")
		code, out, errOut := together(t, "export", "--file", history, "--out", exp, "--as-of", before)
		if code != 1 || !strings.Contains(errOut, "nothing selected: no event was recorded at or before") || !strings.Contains(errOut, "the first was recorded at "+first.Format(time.RFC3339)) {
			t.Errorf("export as of a moment before the history = %d %q %q", code, out, errOut)
		}
		if _, err := os.Stat(exp); err == nil {
			t.Error("a refused export wrote its folder")
		}
		if code, _, errOut := together(t, "export", "--file", history, "--out", exp, "--as-of", before, "--allow-empty"); code != 0 {
			t.Errorf("export --allow-empty = %d %q", code, errOut)
		}
	})

	t.Run("replay of nothing", func(t *testing.T) {
		code, out, errOut := together(t, "replay", "--file", history, "--report", "participation", "--as-of", before)
		if code != 1 || out != "" || !strings.Contains(errOut, "nothing selected") {
			t.Errorf("replay as of a moment before the history = %d %q %q", code, out, errOut)
		}
		code, _, errOut = together(t, "replay", "--file", history, "--report", "participation", "--occurred-before", "2026-02-01")
		if code != 1 || !strings.Contains(errOut, "none occurred before") {
			t.Errorf("replay of what occurred before the history = %d %q", code, errOut)
		}
		if code, out, _ := together(t, "replay", "--file", history, "--report", "participation", "--format", "csv"); code != 0 || !strings.Contains(out, "participants,10") {
			t.Errorf("replay = %d %q", code, out)
		}
	})

	t.Run("annual pack", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "pack")
		code, out, errOut := together(t, "export", "--pack", "annual", "--year", "2026", "--file", history, "--out", dir)
		if code != 0 || !strings.Contains(out, "north/") {
			t.Fatalf("export --pack annual = %d %q %q", code, out, errOut)
		}
		csv := mustRead(t, filepath.Join(dir, "north", "participation.csv"))
		if !strings.HasPrefix(csv, "\ufeff") || !strings.Contains(csv, "participants,10") {
			t.Errorf("north/participation.csv:\n%s", csv)
		}
		if page := mustRead(t, filepath.Join(dir, "north", "involvement-2026.html")); !strings.Contains(page, "Involvement in North, 2026") {
			t.Errorf("north's document:\n%s", page)
		}
		if code, _, errOut := together(t, "export", "--pack", "annual", "--file", history, "--out", filepath.Join(t.TempDir(), "p")); code != 2 || !strings.Contains(errOut, "--year") {
			t.Errorf("a pack without a year = %d %q", code, errOut)
		}
		if code, _, errOut := together(t, "export", "--pack", "annual", "--year", "2026", "--as-of", before, "--file", history, "--out", filepath.Join(t.TempDir(), "p")); code != 1 || !strings.Contains(errOut, "nothing selected") {
			t.Errorf("a pack as of before the history = %d %q", code, errOut)
		}
	})

	exp := filepath.Join(t.TempDir(), "export")
	if code, out, errOut := together(t, "export", "--file", history, "--out", exp); code != 0 {
		t.Fatalf("export = %d %q %q", code, out, errOut)
	}
	events := filepath.Join(exp, "events.ndjson")
	lines := strings.SplitAfter(mustRead(t, events), "\n")

	t.Run("clean export", func(t *testing.T) {
		for _, arg := range []string{events, exp} {
			code, out, errOut := together(t, "verify", "--file", arg)
			if code != 0 || !strings.Contains(out, "OK: ") || !strings.Contains(out, "matches manifest.json") {
				t.Errorf("verify --file %s = %d %q %q", arg, code, out, errOut)
			}
			// The history ends with the seal a stop appends: nothing is
			// left unsealed.
			if strings.Contains(out, "not yet sealed") {
				t.Errorf("a history sealed on stop is reported unsealed:\n%s", out)
			}
		}
	})

	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"cut to 40 lines", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "events.ndjson"), strings.Join(lines[:40], ""))
		}, "MISMATCH: events.ndjson holds 40 events, manifest.json says"},
		{"cut inside a line", func(t *testing.T, dir string) {
			whole := strings.Join(lines, "")
			write(t, filepath.Join(dir, "events.ndjson"), whole[:len(whole)-20])
		}, "MISMATCH: events.ndjson is cut short"},
		{"a report changed", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "reports", "participation.csv"), "figure,value\r\nparticipants,100\r\n")
		}, "MISMATCH: reports/participation.csv was changed"},
		{"a report removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "reports", "duty.csv")); err != nil {
				t.Fatal(err)
			}
		}, "MISMATCH: reports/duty.csv is missing"},
		{"a file added", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "reports", "more.csv"), "x\r\n")
		}, "MISMATCH: reports/more.csv is not in manifest.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "export")
			if err := os.CopyFS(bad, os.DirFS(exp)); err != nil {
				t.Fatal(err)
			}
			tt.tamper(t, bad)
			code, out, errOut := together(t, "verify", "--file", filepath.Join(bad, "events.ndjson"))
			if code != 1 || !strings.Contains(out, tt.want) || strings.Contains(out, "OK: ") {
				t.Errorf("verify = %d:\n%s%s\nwant exit 1 with %q", code, out, errOut, tt.want)
			}
		})
	}

	t.Run("events without their manifest", func(t *testing.T) {
		alone := filepath.Join(t.TempDir(), "events.ndjson")
		write(t, alone, strings.Join(lines, ""))
		if code, _, errOut := together(t, "verify", "--file", alone); code != 1 || !strings.Contains(errOut, "--no-manifest") {
			t.Errorf("verify without a manifest = %d %q, want exit 1 pointing at --no-manifest", code, errOut)
		}
		if code, out, _ := together(t, "verify", "--file", alone, "--no-manifest"); code != 0 || !strings.Contains(out, "OK: ") {
			t.Errorf("verify --no-manifest = %d %q", code, out)
		}
		write(t, alone, "")
		if code, _, errOut := together(t, "verify", "--file", alone, "--no-manifest"); code != 1 || !strings.Contains(errOut, "nothing to verify") {
			t.Errorf("verify of no events = %d %q, want exit 1", code, errOut)
		}
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
