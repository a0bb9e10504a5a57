package projections_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/projections/representativeness"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// rendered is one report rendered both ways.
type rendered struct {
	json []byte
	csv  []byte
}

// config is the reports' configuration in the tests: the default
// thresholds, testdata/baseline.json, and historytest's opener.
func config(t testing.TB) report.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := representativeness.ParseBaseline(data)
	if err != nil {
		t.Fatal(err)
	}
	c := report.DefaultConfig()
	c.Baseline, c.Demographics = b, historytest.Open
	return c
}

func render(t testing.TB, l *ledger.Ledger, name string, q projections.Query, rule disclosure.Rule) rendered {
	t.Helper()
	doc, ok := report.Compute(name, l, q, config(t))
	if !ok {
		t.Fatalf("no report %q", name)
	}
	j, err := report.JSON(doc, rule)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, j, "", "  "); err != nil {
		t.Fatal(err)
	}
	return rendered{json: indented.Bytes(), csv: report.CSV(doc, rule)}
}

// TestGolden renders every report of the story in JSON and CSV, exact
// (testdata/<report>.golden.json and .csv) and as published under NHS
// England's suppression (<report>.published.golden.*). Rewrite them with
// -update after checking the change by eye.
func TestGolden(t *testing.T) {
	l := historytest.Story().Ledger()
	q := projections.Query{Programme: "North", AsOf: historytest.Day(21)}
	for _, name := range report.Names() {
		for variant, rule := range map[string]disclosure.Rule{"golden": {}, "published.golden": disclosure.NHSEngland()} {
			t.Run(name+"/"+variant, func(t *testing.T) {
				got := render(t, l, name, q, rule)
				for ext, data := range map[string][]byte{"json": got.json, "csv": got.csv} {
					golden(t, filepath.Join("testdata", name+"."+variant+"."+ext), data)
				}
			})
		}
	}
}

func golden(t *testing.T, path string, data []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(data) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, data, want)
	}
}

// TestDeterministic checks that the same events give byte-identical
// reports however often they are computed (map iteration order varies
// from run to run in Go, so a few runs would catch an unsorted map).
func TestDeterministic(t *testing.T) {
	q := projections.Query{AsOf: historytest.Day(31)}
	for _, name := range report.Names() {
		for _, rule := range []disclosure.Rule{{}, disclosure.NHSEngland()} {
			first := render(t, historytest.Story().Ledger(), name, q, rule)
			for range 20 {
				again := render(t, historytest.Story().Ledger(), name, q, rule)
				if string(again.json) != string(first.json) || string(again.csv) != string(first.csv) {
					t.Fatalf("%s rendered differently on the same events", name)
				}
			}
		}
	}
}

// Every count a report declares is a cell of its JSON and of its CSV, so
// suppression can reach it in both: a published rendering shows no
// declared count unrounded.
func TestDeclaredCountsAreCells(t *testing.T) {
	l := historytest.Story().Ledger()
	q := projections.Query{AsOf: historytest.Day(31)}
	for _, r := range report.All() {
		doc := r.Compute(l, q, config(t))
		plan := doc.Disclosure()
		var tree any
		j, _ := report.JSON(doc, disclosure.Rule{})
		if err := json.Unmarshal(j, &tree); err != nil {
			t.Fatal(err)
		}
		inCSV := map[string]bool{}
		tb := doc.Table()
		for i := range tb.Rows {
			for j := range tb.Rows[i] {
				inCSV[tb.PathOf(i, j)] = true
			}
		}
		for _, c := range plan.Counts {
			if c.Internal {
				continue
			}
			if _, ok := lookup(tree, c.Path); !ok {
				t.Errorf("%s declares %s, which is not in its JSON", r.Name, c.Path)
			}
			if !inCSV[c.Path] {
				t.Errorf("%s declares %s, which is not in its CSV", r.Name, c.Path)
			}
		}
	}
}
