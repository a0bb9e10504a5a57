package projections_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
)

// number is a part: a number of one project.
type number struct {
	project string
	n       int
}

func (p *number) Project() string { return p.project }

// total adds numbers up, and notes each move it makes.
type total struct {
	sum   int
	moves []string
}

func (t *total) Move(_ *ledger.Ledger, _ projections.Query, _, gone, came []*number) {
	var move []string
	for _, p := range gone {
		t.sum -= p.n
		move = append(move, fmt.Sprintf("-%s%d", p.project, p.n))
	}
	for _, p := range came {
		t.sum += p.n
		move = append(move, fmt.Sprintf("+%s%d", p.project, p.n))
	}
	slices.Sort(move)
	t.moves = append(t.moves, fmt.Sprint(move))
}

// TestAddUp checks which sum AddUp goes on from: the one kept for the
// same query at the head over several projects, moved by the parts that
// changed, while the revision of people holds; a fresh one otherwise.
func TestAddUp(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).Project("p", "P", "p").Project("q", "P", "q")
	l := b.Ledger()
	b.At(historytest.Day(2)).Stakeholder("s", events.RoleCarer).Roles("s", events.RolePublic)
	people := b.Ledger() // another revision of people
	head := projections.Query{AsOf: historytest.Day(30)}
	past := projections.Query{AsOf: historytest.Day(1).Add(-1)}

	p1, p2, q1 := &number{"p", 1}, &number{"p", 2}, &number{"q", 10}
	var sums projections.Sums[*number, *total]
	for _, tt := range []struct {
		name      string
		sums      *projections.Sums[*number, *total]
		l         *ledger.Ledger
		q         projections.Query
		parts     []*number
		wantSum   int
		wantMoves []string
	}{
		{"first", &sums, l, head, []*number{p1, q1}, 11, []string{"[+p1 +q10]"}},
		{"p changed", &sums, l, head, []*number{p2, q1}, 12, []string{"[+p1 +q10]", "[+p2 -p1]"}},
		{"nothing changed", &sums, l, head, []*number{p2, q1}, 12, []string{"[+p1 +q10]", "[+p2 -p1]", "[]"}},
		{"q gone", &sums, l, head, []*number{p2}, 2, []string{"[+p2]"}},
		{"without sums", nil, l, head, []*number{p1, q1}, 11, []string{"[+p1 +q10]"}},
		{"a moment in the past", &sums, l, past, []*number{p1, q1}, 11, []string{"[+p1 +q10]"}},
		{"back at the head", &sums, l, head, []*number{p1, q1}, 11, []string{"[+p1 +q10]", "[+p2 -p1]", "[]", "[+p1 -p2]"}},
		{"another revision of people", &sums, people, head, []*number{p1, q1}, 11, []string{"[+p1 +q10]"}},
	} {
		got := projections.AddUp(tt.sums, tt.l, tt.q, tt.parts, func() *total { return &total{} }, func(t *total) total { return *t })
		if got.sum != tt.wantSum {
			t.Errorf("%s: sum %d, want %d", tt.name, got.sum, tt.wantSum)
		}
		if diff := cmp.Diff(tt.wantMoves, got.moves); diff != "" {
			t.Errorf("%s: moves (-want +got):\n%s", tt.name, diff)
		}
	}
}
