package disclosure_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
)

// shown renders every count of a published plan as a table shows it.
func shown(p disclosure.Published) map[string]string {
	out := map[string]string{}
	for path, c := range p.Counts {
		out[path] = c.Text()
	}
	return out
}

func TestApply(t *testing.T) {
	tests := []struct {
		name   string
		counts map[string]int
		sums   [][]string // total first, then parts
		want   map[string]string
	}{
		{
			name:   "zero is shown, 1 to 7 hidden, the rest rounded to 5, halves up",
			counts: map[string]int{"a": 0, "b": 1, "c": 7, "d": 8, "e": 12, "f": 13, "g": 1002},
			want:   map[string]string{"a": "0", "b": "*", "c": "*", "d": "10", "e": "10", "f": "15", "g": "1000"},
		},
		{
			// Without the second "*", 35 − 12 − 20 gives A back.
			name:   "one hidden part: the smallest shown part is hidden too",
			counts: map[string]int{"T": 35, "A": 3, "B": 12, "C": 20},
			sums:   [][]string{{"T", "A", "B", "C"}},
			want:   map[string]string{"T": "35", "A": "*", "B": "*", "C": "20"},
		},
		{
			name:   "two hidden parts already protect each other",
			counts: map[string]int{"T": 29, "A": 3, "B": 6, "C": 20},
			sums:   [][]string{{"T", "A", "B", "C"}},
			want:   map[string]string{"T": "30", "A": "*", "B": "*", "C": "20"},
		},
		{
			// A small total hides with its part: two hidden cells, and
			// the shown zero gives neither away.
			name:   "a small total and its part",
			counts: map[string]int{"T": 6, "A": 0, "B": 6},
			sums:   [][]string{{"T", "A", "B"}},
			want:   map[string]string{"T": "*", "A": "0", "B": "*"},
		},
		{
			// r1: 5 10 | 15; r2: 9 20 | 29; columns 14 30 | 44. Hiding
			// 5 forces its row partner (10), its column partner (9), and
			// then 20 for the second column; the margins stay, rounded.
			name: "a two-way table: secondary suppression runs along rows and columns until none is alone",
			counts: map[string]int{"r1c1": 5, "r1c2": 10, "r2c1": 9, "r2c2": 20,
				"R1": 15, "R2": 29, "C1": 14, "C2": 30, "G": 44},
			sums: [][]string{
				{"R1", "r1c1", "r1c2"}, {"R2", "r2c1", "r2c2"},
				{"C1", "r1c1", "r2c1"}, {"C2", "r1c2", "r2c2"},
				{"G", "R1", "R2"}, {"G", "C1", "C2"},
			},
			want: map[string]string{"r1c1": "*", "r1c2": "*", "r2c1": "*", "r2c2": "*",
				"R1": "15", "R2": "30", "C1": "15", "C2": "30", "G": "45"},
		},
		{
			name:   "a sum whose total is not published still protects its parts",
			counts: map[string]int{"A": 2, "B": 40, "C": 50},
			sums:   [][]string{{"", "A", "B", "C"}},
			want:   map[string]string{"A": "*", "B": "*", "C": "50"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plan disclosure.Plan
			for path, v := range tt.counts {
				plan.Count(path, v)
			}
			for _, s := range tt.sums {
				plan.Sum(s[0], s[1:]...)
			}
			got := shown(disclosure.NHSEngland().Apply(plan))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Apply() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExactRuleChangesNothing(t *testing.T) {
	var plan disclosure.Plan
	plan.Count("a", 3)
	plan.Sum("", "a")
	exact := disclosure.Rule{}
	if got := exact.Apply(plan).Counts["a"]; got != (disclosure.Cell{Value: 3}) || !exact.Exact() {
		t.Errorf("zero rule published %+v, want 3 shown", got)
	}
}

func TestRatiosAndDerivedFigures(t *testing.T) {
	var plan disclosure.Plan
	plan.Count("participants", 42)
	plan.Internal("lived", 12)
	plan.Count("few", 3)
	plan.Count("none", 0)
	plan.Ratio("share", "lived", "participants")   // 10 / 40
	plan.Ratio("few_share", "few", "participants") // hidden
	plan.Ratio("of_none", "lived", "none")         // null
	plan.Derive("median", "participants")
	plan.Derive("few_median", "few")
	p := disclosure.NHSEngland().Apply(plan)
	if _, ok := p.Counts["lived"]; ok {
		t.Error("an internal count is published")
	}
	f := func(v float64) *float64 { return &v }
	want := map[string]disclosure.Figure{
		"share": {Value: f(0.25)}, "few_share": {Hidden: true}, "of_none": {},
		"median": {Keep: true}, "few_median": {Hidden: true},
	}
	if diff := cmp.Diff(want, p.Figures); diff != "" {
		t.Errorf("figures mismatch (-want +got):\n%s", diff)
	}
}

// The JSON and CSV renderings show the same published cells, and the
// JSON keeps its field order.
func TestRenderings(t *testing.T) {
	var plan disclosure.Plan
	plan.Count("b.x", 3)
	plan.Count("b.y", 52)
	plan.Count("rows.1.n", 9)
	plan.Ratio("r", "b.y", "rows.1.n")
	plan.Derive("m", "b.x")
	p := disclosure.NHSEngland().Apply(plan)
	doc := `{"report":"t","counts":"exact","z":1,"b":{"y":52,"x":3},"rows":[{"n":1},{"n":9,"s":"<a>"}],"r":5.7777,"m":2.5,"u":null}`
	got, err := p.JSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"report":"t","counts":"suppressed: 1 to 7 shown as *, others rounded to the nearest 5","z":1,"b":{"y":50,"x":"*"},"rows":[{"n":1},{"n":10,"s":"\u003ca\u003e"}],"r":5,"m":"*","u":null}`
	if string(got) != want {
		t.Errorf("JSON() =\n%s\nwant\n%s", got, want)
	}
	var tb projections.Table
	tb.Header = []string{"figure", "value"}
	tb.Add([]string{"counts", "exact"}, []string{"", "counts"})
	tb.Add([]string{"b.x", "3"}, []string{"", "b.x"})
	tb.Add([]string{"note", "3"}, nil)
	tb.Add([]string{"r", "5.7778"}, []string{"", "r"})
	pt := p.Table(tb)
	wantRows := [][]string{{"counts", p.Rule.String()}, {"b.x", "*"}, {"note", "3"}, {"r", "5.0000"}}
	if diff := cmp.Diff(wantRows, pt.Rows); diff != "" {
		t.Errorf("Table() mismatch (-want +got):\n%s", diff)
	}
}
