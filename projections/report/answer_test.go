package report

import (
	"testing"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
)

// TestKeptJSONFollowsTheHeader: every report the memo keeps keeps its JSON
// apart from its header, exact and published. An answer falls back to
// encoding the whole report when it cannot (and stays right), so that a
// report, or a rule, that defeats the keeping shows only here.
func TestKeptJSONFollowsTheHeader(t *testing.T) {
	l := historytest.Story().Ledger()
	config := DefaultConfig()
	config.Demographics = historytest.Open
	config.KeysRevision = func() (uint64, bool) { return 1, true }
	memo := NewMemo(config)
	for _, scope := range []projections.Query{{}, {Programme: "North"}, {Project: l.ProjectOrder[0]}} {
		scope.AsOf = historytest.Day(40)
		for _, name := range Names() {
			a, _, _ := memo.Compute(name, l, scope)
			if a.kept == nil {
				t.Fatalf("%s over %+v: the memo keeps no such report", name, scope)
			}
			for _, rule := range []disclosure.Rule{{}, disclosure.NHSEngland()} {
				rest, err := a.kept.rest(rule)
				if err != nil {
					t.Fatal(err)
				}
				if rest == nil {
					t.Errorf("%s over %+v, %s: its JSON does not follow its header", name, scope, rule)
				}
			}
		}
	}
}

// Every report request looks its report up: a lookup allocates nothing,
// and finds every report All lists.
func TestLookupAllocatesNothing(t *testing.T) {
	for _, r := range All() {
		if got, ok := Lookup(r.Name); !ok || got.Name != r.Name {
			t.Errorf("Lookup(%q) = %q, %t", r.Name, got.Name, ok)
		}
	}
	if _, ok := Lookup("nothing"); ok {
		t.Error("Lookup found a report called nothing")
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Lookup("reciprocity") }); n != 0 {
		t.Errorf("Lookup allocates %v times, want 0", n)
	}
}
