package projections_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/followthrough"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/projections/programme"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// rendered is one report rendered both ways.
type rendered struct {
	json []byte
	csv  []byte
}

func render(l *ledger.Ledger, report string, q projections.Query) rendered {
	var v interface{ CSV() []byte }
	switch report {
	case participation.Name:
		v = participation.Compute(l, q)
	case followthrough.Name:
		v = followthrough.Compute(l, q)
	case decisions.Name:
		v = decisions.Compute(l, q)
	case programme.Name:
		v = programme.Compute(l, q, programme.DefaultThresholds())
	}
	j, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return rendered{json: append(j, '\n'), csv: v.CSV()}
}

// TestGolden renders every report of the story in JSON and CSV and
// compares them with testdata/<report>.golden.json and .csv (rewrite with
// -update after checking the change by eye).
func TestGolden(t *testing.T) {
	l := historytest.Story().Ledger()
	q := projections.Query{Programme: "North", AsOf: historytest.Day(21)}
	for _, report := range []string{participation.Name, followthrough.Name, decisions.Name, programme.Name} {
		t.Run(report, func(t *testing.T) {
			got := render(l, report, q)
			for ext, data := range map[string][]byte{"json": got.json, "csv": got.csv} {
				path := filepath.Join("testdata", report+".golden."+ext)
				if *update {
					if err := os.WriteFile(path, data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if string(want) != string(data) {
					t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, data, want)
				}
			}
		})
	}
}

// TestDeterministic checks that the same events give byte-identical
// reports however often they are computed (map iteration order varies
// from run to run in Go, so a few runs would catch an unsorted map).
func TestDeterministic(t *testing.T) {
	q := projections.Query{AsOf: historytest.Day(31)}
	for _, report := range []string{participation.Name, followthrough.Name, decisions.Name, programme.Name} {
		first := render(historytest.Story().Ledger(), report, q)
		for range 20 {
			again := render(historytest.Story().Ledger(), report, q)
			if string(again.json) != string(first.json) || string(again.csv) != string(first.csv) {
				t.Fatalf("%s rendered differently on the same events", report)
			}
		}
	}
}
