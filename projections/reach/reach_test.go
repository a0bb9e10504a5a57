package reach_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/reach"
)

// TestStory: programme North as of the 21st. Invited: to w1 Ann, Ben, Cat
// and Dev, to w2 Eve. Ann and Ben said yes (Dev changed to no, Cat said
// no). Ann and Ben came to w1 and Eve to w2 (Cat came to w2 uninvited:
// not in the funnel). Ann (f1) and Ben (f3) gave feedback; f1's action
// was done and fed back, f3's not yet. Cat is a service user from the
// 20th.
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	got := reach.Compute(l, projections.Query{Programme: "North", AsOf: historytest.Day(21)})
	want := []reach.Funnel{
		{Group: reach.Everyone, Invited: 5, Accepted: 2, Attended: 3, GaveFeedback: 2, HeardBack: 1},
		{Group: reach.LivedExperience, Invited: 3, Accepted: 2, Attended: 2, GaveFeedback: 2, HeardBack: 1},
		{Group: "service_user", Invited: 2, Accepted: 1, Attended: 1, GaveFeedback: 1, HeardBack: 1},
		{Group: "carer", Invited: 1, Accepted: 1, Attended: 1, GaveFeedback: 1},
		{Group: "frontline_staff", Invited: 2, Accepted: 1, Attended: 1, GaveFeedback: 1},
		{Group: "manager", Invited: 1},
		{Group: "commissioner"},
		{Group: "partner"},
		{Group: "public", Invited: 1, Attended: 1},
	}
	if diff := cmp.Diff(want, got.Groups); diff != "" {
		t.Errorf("Compute().Groups mismatch (-want +got):\n%s", diff)
	}
	// As of the 15th a1's outcome (fed back on the 16th) is not known.
	if g := reach.Compute(l, projections.Query{Programme: "North", AsOf: historytest.Day(15)}).Groups[0]; g.HeardBack != 0 {
		t.Errorf("heard back as of the 15th = %d, want 0", g.HeardBack)
	}
}
