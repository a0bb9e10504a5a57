package reciprocity_test

import (
	"testing"
	"time"

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
