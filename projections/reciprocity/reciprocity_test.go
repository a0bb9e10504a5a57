package reciprocity_test

import (
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/reciprocity"
)

// TestStory: Letters as of the 21st. At w1 (5th) Ann's travel was paid
// (450p) and Eve's childcare was not; at w2 (10th) Eve's childcare
// (2000p) and Cat's payment (2500p). Ann needs travel and Eve childcare,
// both recorded on the 1st: Eve's need went unmet at w1.
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	got := reciprocity.Compute(l, projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21)})
	tot := got.Totals
	if tot.Support != 3 || tot.People != 3 || tot.TotalPence != 4950 {
		t.Errorf("support, people, pence = %d, %d, %d; want 3, 3, 4950", tot.Support, tot.People, tot.TotalPence)
	}
	kinds := map[string]reciprocity.Kind{}
	for _, k := range tot.ByKind {
		kinds[k.Kind] = k
	}
	if kinds["travel"].Pence != 450 || kinds["childcare"].Pence != 2000 || kinds["payment"].Pence != 2500 || kinds["interpreter"].Support != 0 {
		t.Errorf("by kind = %+v", tot.ByKind)
	}
	// Ann and Cat (a service user from the 20th) are service users.
	if su := tot.ByRole[0]; su.Role != "service_user" || su.People != 2 || su.Support != 2 || su.Pence != 2950 {
		t.Errorf("service users = %+v, want 2 people, 2 support, 2950p", su)
	}
	if tot.AttendeesWithNeeds != 2 || tot.NeedsNotMet != 1 {
		t.Errorf("attendees with needs, needs not met = %d, %d; want 2 (Ann, Eve), 1 (Eve)", tot.AttendeesWithNeeds, tot.NeedsNotMet)
	}
	for _, n := range tot.NeedsNotMetByNeed {
		if want := map[string]int{"childcare": 1}[n.Need]; n.People != want {
			t.Errorf("needs not met for %s = %d, want %d", n.Need, n.People, want)
		}
	}
	if len(got.Projects) != 1 || got.Projects[0].Totals.TotalPence != 4950 {
		t.Errorf("projects = %+v, want Letters with 4950p", got.Projects)
	}
	// The window of the 5th: only w1.
	w := reciprocity.Compute(l, projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21),
		From: ptr(historytest.Day(5).Add(-10 * time.Hour)), To: ptr(historytest.Day(6))}).Totals
	if w.Support != 1 || w.TotalPence != 450 || w.NeedsNotMet != 1 {
		t.Errorf("window of the 5th = %d support, %dp, %d not met; want 1, 450, 1", w.Support, w.TotalPence, w.NeedsNotMet)
	}
}

func ptr[T any](v T) *T { return &v }

// People count once over projects: Xan, who needs travel, was paid travel
// at wa in A and at wb in B; Yas, who needs childcare, came to wb with no
// support. Each project has one person supported, the programme too.
func TestPeopleCountOnceOverProjects(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1))
	b.At(historytest.Day(1)).Project("a", "P", "A").Project("b", "P", "B").
		Stakeholder("xan", events.RoleServiceUser).Stakeholder("yas", events.RoleCarer).
		Need("xan", "travel").Need("yas", "childcare").
		Plan("wa", "a", events.LevelConsult, "workshop").Plan("wb", "b", events.LevelConsult, "workshop")
	b.At(historytest.Day(2)).Hold("wa", 0, "xan").Support("wa", "xan", "travel", 300).
		Hold("wb", 0, "xan", "yas").Support("wb", "xan", "travel", 200)
	got := reciprocity.Compute(b.Ledger(), projections.Query{AsOf: historytest.Day(3)})
	type figures struct{ Support, People, Pence, WithNeeds, NotMet, ServiceUsers int }
	of := func(t reciprocity.Totals) figures {
		return figures{t.Support, t.People, int(t.TotalPence), t.AttendeesWithNeeds, t.NeedsNotMet, t.ByRole[0].People}
	}
	want := map[string]figures{
		"programme": {Support: 2, People: 1, Pence: 500, WithNeeds: 2, NotMet: 1, ServiceUsers: 1},
		"A":         {Support: 1, People: 1, Pence: 300, WithNeeds: 1, NotMet: 0, ServiceUsers: 1},
		"B":         {Support: 1, People: 1, Pence: 200, WithNeeds: 2, NotMet: 1, ServiceUsers: 1},
	}
	gotFigures := map[string]figures{"programme": of(got.Totals)}
	for _, p := range got.Projects {
		gotFigures[p.Name] = of(p.Totals)
	}
	for scope, w := range want {
		if gotFigures[scope] != w {
			t.Errorf("%s: %+v, want %+v", scope, gotFigures[scope], w)
		}
	}
}
