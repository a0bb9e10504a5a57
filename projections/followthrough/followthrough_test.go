package followthrough_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/followthrough"
	"github.com/together-coop/together/projections/historytest"
)

func f(v float64) *float64 { return &v }

// TestStory checks every figure against historytest.Story, by hand:
// Letters agreed a1 (f1, due 20th, done 15th, fed back 16th), a2 (f3, due
// 10th, moved to 25th, done 24th), a3 (f2, dropped), a4 (no feedback, due
// 14th) and a5 (f1, due 30th). Feedback f1, f2, f3 stands; f4 was
// retracted. f1 and f3 were answered on the 10th (f3: not adopted, which
// is an answer all the same), f2 on the 14th.
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	tests := []struct {
		name string
		q    projections.Query
		want followthrough.Report
	}{
		{
			// On the 21st a2's completion is not yet known: it is open and
			// not overdue (due the 25th); a4 is overdue.
			name: "Letters as of the 21st",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21)},
			want: followthrough.Report{
				Agreed: 5, Completed: 1, CompletedOnTime: 1, Rescheduled: 1, Dropped: 1, Open: 3, Overdue: 1,
				CompletionRate: f(1.0 / 4), OnTimeRate: f(1), MedianDaysToComplete: f(9), P90DaysToComplete: f(9), // a1: 6th → 15th
				Feedback: 3, FeedbackWithAction: 2, LoopClosed: 1, // f1 and f3 have live actions; f2's was dropped; f1's loop closed
				Responded: 3, ActionRate: f(2.0 / 3), ResponseRate: f(1),
				LoopClosedRate: f(1.0 / 3), MedianDaysFeedbackToOutcome: f(10), // 6th → 16th
			},
		},
		{
			// By the 31st a2 was done on the 24th, on time against its
			// new due date; a4 and a5 (due the 30th) are overdue. Days to
			// complete: 9 and 18; the median of two is their mean, p90 is
			// the ⌈1.8⌉ = 2nd smallest.
			name: "Letters as of the 31st",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(31)},
			want: followthrough.Report{
				Agreed: 5, Completed: 2, CompletedOnTime: 2, Rescheduled: 1, Dropped: 1, Open: 2, Overdue: 2,
				CompletionRate: f(2.0 / 4), OnTimeRate: f(1), MedianDaysToComplete: f(13.5), P90DaysToComplete: f(18),
				Feedback: 3, FeedbackWithAction: 2, LoopClosed: 1, Responded: 3,
				ActionRate: f(2.0 / 3), ResponseRate: f(1), LoopClosedRate: f(1.0 / 3), MedianDaysFeedbackToOutcome: f(10),
			},
		},
		{
			// Actions agreed on the 6th and 7th: a1, a2, a3. Feedback
			// given then: f1, f2, f3 (f4 retracted on the 8th, known).
			name: "Letters, agreed on the 6th and 7th, as of the 12th",
			q: projections.Query{Project: historytest.Letters, AsOf: historytest.Day(12),
				From: ptr(historytest.Day(6).Add(-10 * time.Hour)), To: ptr(historytest.Day(8).Add(-10 * time.Hour))},
			want: followthrough.Report{
				Agreed: 3, Rescheduled: 1, Open: 3, Overdue: 0, // a3 is due the 12th: not before the 12th
				CompletionRate: f(0),
				Feedback:       3, FeedbackWithAction: 3, // a3 is not yet dropped on the 12th
				Responded:  2, // f2's answer came on the 14th
				ActionRate: f(1), ResponseRate: f(2.0 / 3), LoopClosedRate: f(0),
			},
		},
		{
			// Waiting has feedback but no actions: nothing to divide by.
			name: "Waiting",
			q:    projections.Query{Project: historytest.Waiting, AsOf: historytest.Day(31)},
			want: followthrough.Report{Feedback: 1, ActionRate: f(0), ResponseRate: f(0), LoopClosedRate: f(0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := followthrough.Compute(l, tt.q)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(followthrough.Report{}, "Header")); diff != "" {
				t.Errorf("Compute() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Overdue is judged on the date of as_of in the programme's time zone:
// at 23:30 UTC on 20 July it is already the 21st in London, and an
// action due on the 20th is overdue there but not in UTC.
func TestOverdueInTheProgrammesTimeZone(t *testing.T) {
	agreed := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	l := historytest.NewBuilder(agreed).Project("p", "P", "p").Agree("a", "p", time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC)).Ledger()
	asOf := time.Date(2026, 7, 20, 23, 30, 0, 0, time.UTC)
	if got := followthrough.Compute(l, projections.Query{AsOf: asOf}).Overdue; got != 1 {
		t.Errorf("London: overdue = %d, want 1", got)
	}
	if got := followthrough.Compute(l, projections.Query{AsOf: asOf, Location: time.UTC}).Overdue; got != 0 {
		t.Errorf("UTC: overdue = %d, want 0", got)
	}
}
