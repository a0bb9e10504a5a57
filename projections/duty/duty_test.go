package duty_test

import (
	"time"

	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/duty"
	"github.com/together-coop/together/projections/historytest"
)

// TestStory: Letters was assessed on the 2nd (applies, s14Z45), Parking on
// the 13th (does not apply), Waiting never, though it held w3 on the 11th.
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	tests := []struct {
		name string
		q    projections.Query
		want duty.Report
	}{
		{
			name: "as of the 21st",
			q:    projections.Query{AsOf: historytest.Day(21)},
			want: duty.Report{InScope: 3, Assessed: 2, Applies: 1, DoesNotApply: 1, Unassessed: 1, Flagged: 1},
		},
		{
			// Parking's w4 on the 12th came before its assessment.
			name: "as of the 12th",
			q:    projections.Query{AsOf: historytest.Day(12)},
			want: duty.Report{InScope: 3, Assessed: 1, Applies: 1, Unassessed: 2, Flagged: 2},
		},
		{
			// In the window of the 1st nothing had happened yet anywhere.
			name: "window of the 1st",
			q:    projections.Query{AsOf: historytest.Day(21), From: ptr(historytest.Day(1).Add(-10 * time.Hour)), To: ptr(historytest.Day(2))},
			want: duty.Report{InScope: 3, Unassessed: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := duty.Compute(l, tt.q)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(duty.Report{}, "Header", "Projects")); diff != "" {
				t.Errorf("Compute() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	got := duty.Compute(l, projections.Query{AsOf: historytest.Day(21)}).Projects
	letters, waiting := got[0], got[1]
	if !letters.Assessed || !*letters.Applies || letters.Basis != "s14Z45" || letters.AssessedBy != "Programme office" ||
		!letters.AssessedAt.Equal(historytest.Day(2)) || letters.Decisions != 3 || letters.Engagements != 2 || letters.Flag != "" {
		t.Errorf("Letters = %+v, want assessed on the 2nd, applies, 3 decisions, 2 engagements, no flag", letters)
	}
	if waiting.Assessed || waiting.Applies != nil || waiting.Engagements != 1 || waiting.Flag != duty.Unassessed {
		t.Errorf("Waiting = %+v, want unassessed with w3, flagged", waiting)
	}
}

func ptr[T any](v T) *T { return &v }
