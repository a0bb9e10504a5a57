package audit_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/services/internal/audit"
)

// storyHistory is a small programme's history (with real ids, which the
// catalogue requires): a workshop of twenty people, feedback, an action
// done and fed back; every event hashed and chained as the recorder does
// it.
func storyHistory(t *testing.T) []events.Envelope {
	t.Helper()
	id := func() string { return uuid.Must(uuid.NewV7()).String() }
	p, el, w, f, a := id(), id(), id(), id(), id()
	b := historytest.NewBuilder(historytest.Day(1)).
		Project(p, "North", "Letters").Element(p, el, "Letter template").
		Plan(w, p, events.LevelCoDesign, "workshop", el)
	var people []string
	for range 20 {
		s := id()
		people = append(people, s)
		b.Stakeholder(s, events.RoleServiceUser).Invite(w, s)
	}
	b.At(historytest.Day(5)).Hold(w, 2, people[:12]...).
		Feedback(f, p, w, el, people[0], "wording").Agree(a, p, historytest.Day(20), f)
	b.At(historytest.Day(15)).Complete(a)
	b.At(historytest.Day(16)).Communicate(a)
	last := map[string]string{}
	out := make([]events.Envelope, len(b.Events))
	for i, e := range b.Events {
		evs := []events.Envelope{e.Envelope}
		if err := hashchain.Seal(last[e.Envelope.Stream], evs); err != nil {
			t.Fatal(err)
		}
		last[e.Envelope.Stream] = evs[0].Hash
		out[i] = evs[0]
	}
	return out
}

func seq(evs []events.Envelope) func(func(events.Envelope, error) bool) {
	return func(yield func(events.Envelope, error) bool) {
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// lastRecorded is the latest recorded time of a history: the story's
// are not in order of position.
func lastRecorded(evs []events.Envelope) time.Time {
	var last time.Time
	for _, e := range evs {
		if e.RecordedAt.After(last) {
			last = e.RecordedAt
		}
	}
	return last
}

func exportStory(t *testing.T) (string, audit.Manifest) {
	t.Helper()
	h := storyHistory(t)
	dir := filepath.Join(t.TempDir(), "export")
	m, err := audit.Export(seq(h), catalogue.New(), lastRecorded(h), programme.DefaultThresholds(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// copyDir copies an export to a new folder to tamper with.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

func edit(t *testing.T, path string, f func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(f(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyExport(t *testing.T) {
	dir, m := exportStory(t)
	if m.Events == 0 || len(m.Files) != 10 {
		t.Fatalf("manifest %+v: want the events and 9 reports", m)
	}
	for _, f := range m.Files {
		if len(f.SHA256) != 64 {
			t.Errorf("%s has checksum %q", f.Path, f.SHA256)
		}
	}
	clean, err := audit.VerifyExport(dir, nil)
	if err != nil || !clean.OK || len(clean.Problems) > 0 || clean.Result.Events != m.Events || clean.Manifest == nil {
		t.Fatalf("clean export: %+v, %v", clean, err)
	}

	firstLines := func(n int) func(string) string {
		return func(s string) string { return strings.Join(strings.SplitAfter(s, "\n")[:n], "") }
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string // in a problem
	}{
		{"events cut to 40 whole lines", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "events.ndjson"), firstLines(40))
		}, "events.ndjson holds 40 events, manifest.json says"},
		{"events cut in the middle of a line", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "events.ndjson"), func(s string) string { return s[:len(s)/2] })
		}, "events.ndjson is cut short or damaged after"},
		{"events cut before the last line break", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "events.ndjson"), func(s string) string { return strings.TrimSuffix(s, "\n") })
		}, "does not end with a line break"},
		{"a report edited", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "reports", "participation.csv"), func(s string) string { return s + "x\r\n" })
		}, "reports/participation.csv was changed"},
		{"a report removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "reports", "reach.csv")); err != nil {
				t.Fatal(err)
			}
		}, "reports/reach.csv is missing"},
		{"a file added", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "reports", "extra.csv"), []byte("a,b\r\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "reports/extra.csv is not in manifest.json"},
		{"the manifest's chain hash changed", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "manifest.json"), func(s string) string { return strings.Replace(s, m.ChainHash, strings.Repeat("0", 64), 1) })
		}, "the chain hash is " + m.ChainHash},
		{"the manifest lists a file outside the export", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "manifest.json"), func(s string) string {
				return strings.Replace(s, `"path": "reports/reach.csv"`, `"path": "../reach.csv"`, 1)
			})
		}, `manifest.json lists "../reach.csv"`},
		{"a manifest without checksums", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "manifest.json"), func(string) string {
				return `{"as_of":"2026-03-31T00:00:00Z","events":1,"last_position":1,"chain_hash":"x","files":["events.ndjson"]}`
			})
		}, "manifest.json cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := copyDir(t, dir)
			tt.tamper(t, bad)
			res, err := audit.VerifyExport(bad, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || !slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("verify = ok %v, problems %q; want a problem with %q", res.OK, res.Problems, tt.want)
			}
		})
	}

	t.Run("no manifest", func(t *testing.T) {
		bad := copyDir(t, dir)
		if err := os.Remove(filepath.Join(bad, "manifest.json")); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.VerifyExport(bad, nil); !errors.Is(err, audit.ErrNoManifest) {
			t.Errorf("err = %v, want ErrNoManifest", err)
		}
		// The events alone still verify; only the manifest could tell more.
		res, err := audit.VerifyFile(filepath.Join(bad, "events.ndjson"), nil)
		if err != nil || !res.OK {
			t.Errorf("VerifyFile = %+v, %v", res, err)
		}
	})
}

func TestExportOfNothingIsRefused(t *testing.T) {
	h := storyHistory(t)
	before := h[0].RecordedAt.Add(-time.Second)
	dir := filepath.Join(t.TempDir(), "export")
	_, err := audit.Export(seq(h), catalogue.New(), before, programme.DefaultThresholds(), dir)
	if !errors.Is(err, audit.ErrNothingSelected) || !strings.Contains(err.Error(), "the first was recorded at "+h[0].RecordedAt.UTC().Format(time.RFC3339)) {
		t.Fatalf("export before the first event: %v, want ErrNothingSelected naming the first recorded time", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused export left %s behind (%v)", dir, err)
	}
	m, err := audit.Export(seq(h), catalogue.New(), before, programme.DefaultThresholds(), dir, audit.AllowEmpty())
	if err != nil || m.Events != 0 {
		t.Fatalf("export with AllowEmpty = %+v, %v", m, err)
	}
	res, err := audit.VerifyExport(dir, nil)
	if err != nil || !res.OK || res.Result.Events != 0 {
		t.Errorf("verify of an empty export = %+v, %v", res, err)
	}
}
