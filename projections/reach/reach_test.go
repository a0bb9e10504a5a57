package reach_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
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

// Feedback counts for a person who attended anywhere in the scope, though
// given in another project than the one they attended in: Xan came to
// wa in A and gave feedback in B, which B's action answered; Yas was
// invited to both, came to neither, and gave feedback in A.
func TestFeedbackCountsForAttendingAnywhereInScope(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1))
	b.At(historytest.Day(1)).Project("a", "P", "A").Project("b", "P", "B").
		Stakeholder("xan", events.RoleServiceUser).Stakeholder("yas", events.RoleCarer).
		Plan("wa", "a", events.LevelConsult, "workshop").Invite("wa", "xan").Invite("wa", "yas").
		Plan("wb", "b", events.LevelConsult, "workshop").Invite("wb", "yas")
	b.At(historytest.Day(2)).Answer("wa", "xan", true)
	b.At(historytest.Day(3)).Hold("wa", 0, "xan").Hold("wb", 0)
	b.At(historytest.Day(4)).Feedback("fx", "b", "", "", "xan").Feedback("fy", "a", "", "", "yas").
		Agree("ab", "b", historytest.Day(9), "fx")
	b.At(historytest.Day(5)).Complete("ab")
	b.At(historytest.Day(6)).Communicate("ab")
	l := b.Ledger()
	tests := []struct {
		name string
		q    projections.Query
		want reach.Funnel
	}{
		{"both projects", projections.Query{}, reach.Funnel{Group: reach.Everyone, Invited: 2, Accepted: 1, Attended: 1, GaveFeedback: 1, HeardBack: 1}},
		{"A: Xan's feedback is in B", projections.Query{Project: "a"}, reach.Funnel{Group: reach.Everyone, Invited: 2, Accepted: 1, Attended: 1}},
		{"B: Xan was not invited there", projections.Query{Project: "b"}, reach.Funnel{Group: reach.Everyone, Invited: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.AsOf = historytest.Day(7)
			if diff := cmp.Diff(tt.want, reach.Compute(l, tt.q).Groups[0]); diff != "" {
				t.Errorf("everyone's funnel (-want +got):\n%s", diff)
			}
		})
	}
}

// Parts keeps a scope's parts added up and goes on from that sum: the
// part of a project that changed is taken away and its new one added.
// Xan, invited in A, gives feedback in B; it counts once Xan attends in
// A, and no longer when going back to before.
func TestPartsGoOnFromTheirSum(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1))
	b.At(historytest.Day(1)).Project("a", "P", "A").Project("b", "P", "B").
		Stakeholder("xan", events.RoleServiceUser).
		Plan("wa", "a", events.LevelConsult, "workshop").Invite("wa", "xan")
	b.At(historytest.Day(2)).Feedback("fx", "b", "", "", "xan")
	before := b.Ledger()
	b.At(historytest.Day(3)).Hold("wa", 0, "xan")
	after := b.Ledger()
	q := projections.Query{AsOf: historytest.Day(30)}

	var ps reach.Parts
	for i, step := range []struct {
		name string
		l    *ledger.Ledger
		want reach.Funnel
	}{
		{"before Xan came", before, reach.Funnel{Group: reach.Everyone, Invited: 1}},
		{"after", after, reach.Funnel{Group: reach.Everyone, Invited: 1, Attended: 1, GaveFeedback: 1}},
		{"before again", before, reach.Funnel{Group: reach.Everyone, Invited: 1}},
	} {
		got := ps.Compute(step.l, q)
		if diff := cmp.Diff(step.want, got.Groups[0]); diff != "" {
			t.Errorf("%d. %s: everyone's funnel (-want +got):\n%s", i+1, step.name, diff)
		}
		if diff := cmp.Diff(reach.Compute(step.l, q).Groups, got.Groups); diff != "" {
			t.Errorf("%d. %s: Parts.Compute differs from Compute (-want +got):\n%s", i+1, step.name, diff)
		}
	}
}
