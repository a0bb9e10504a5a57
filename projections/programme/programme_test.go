package programme_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/programme"
)

func f(v float64) *float64 { return &v }

// TestStory: programme North is Letters (4 participants, see the
// participation and follow-through tests) and Waiting (Dev alone, twice:
// w3 and f5; f5 has no action).
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	got := programme.Compute(l, projections.Query{Programme: "North", AsOf: historytest.Day(21)}, programme.DefaultThresholds())
	want := []programme.Row{
		{
			ProjectID: historytest.Letters, Name: "Letters", Programme: "North", Participants: 4,
			EffectiveVoices: f(49.0 / 13), LivedExperience: 3, LivedExperienceShare: f(0.75), Overdue: 1,
			Feedback: 3, LoopClosed: 1, LoopClosedRate: f(1.0 / 3),
			TokenismElements: 0, DutyAssessed: true, RAG: programme.Amber,
			Reasons: []string{
				"effective_voices is below 5 (amber)",
				"loop_closed_rate is below 0.5 (amber)",
				"overdue is at least 1 (amber)",
			},
		},
		{
			// Waiting held w3 with no duty-to-involve assessment.
			ProjectID: historytest.Waiting, Name: "Waiting", Programme: "North", Participants: 1,
			EffectiveVoices: f(1), LivedExperienceShare: f(0), Overdue: 0, Feedback: 1, LoopClosedRate: f(0),
			RAG: programme.Red,
			Reasons: []string{
				"involvement decisions or engagements without a duty-to-involve assessment (amber)",
				"lived_experience_share is below 0.2 (red)",
				"effective_voices is below 2 (red)",
				"loop_closed_rate is below 0.25 (red)",
			},
		},
	}
	if diff := cmp.Diff(want, got.Projects); diff != "" {
		t.Errorf("Compute().Projects mismatch (-want +got):\n%s", diff)
	}

	// Programme names match whatever their case.
	if other := programme.Compute(l, projections.Query{Programme: " north", AsOf: historytest.Day(21)}, programme.DefaultThresholds()); len(other.Projects) != 2 {
		t.Errorf("programme %q = %d projects, want North's 2", " north", len(other.Projects))
	}

	// As of the 15th the phone line is tokenism: Letters turns red.
	early := programme.Compute(l, projections.Query{Project: historytest.Letters, AsOf: historytest.Day(15)}, programme.DefaultThresholds())
	if r := early.Projects[0]; r.TokenismElements != 1 || r.RAG != programme.Red {
		t.Errorf("Letters as of the 15th = %d tokenism elements, %s; want 1, red", r.TokenismElements, r.RAG)
	}
}

func TestThresholdsFromConfiguration(t *testing.T) {
	l := historytest.Story().Ledger()
	th, err := programme.ParseThresholds([]byte(`{"effective_voices":{"red_below":0,"amber_below":3},"overdue":{"red_at_least":0,"amber_at_least":0},"loop_closed_rate":{"red_below":0,"amber_below":0.3}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := programme.Compute(l, projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21)}, th)
	if r := got.Projects[0]; r.RAG != programme.Green || len(r.Reasons) != 0 {
		t.Errorf("Letters with relaxed thresholds = %s %v, want green with no reasons", r.RAG, r.Reasons)
	}
	for _, bad := range []string{`{"effective_voices":{"red_below":5,"amber_below":3}}`, `{"colour":"red"}`, `{"overdue":{"red_at_least":-1}}`, `[`} {
		if _, err := programme.ParseThresholds([]byte(bad)); err == nil || !strings.Contains(err.Error(), "thresholds") {
			t.Errorf("ParseThresholds(%s) error = %v, want a thresholds error", bad, err)
		}
	}
}

// A project with activity and no duty-to-involve assessment is amber
// with the reason in words; once assessed, the flag goes.
func TestUnassessedDutyIsAmber(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).Project("p", "P", "p").Element("p", "e", "e").
		Decide("p", "e", events.LevelConsult, "", "Board", "start")
	relaxed := programme.Thresholds{}
	got := programme.Compute(b.Ledger(), projections.Query{AsOf: historytest.Day(2)}, relaxed).Projects[0]
	want := []string{"no participation recorded (amber)", "involvement decisions or engagements without a duty-to-involve assessment (amber)"}
	if got.RAG != programme.Amber || !slices.Equal(got.Reasons, want) || got.DutyAssessed {
		t.Errorf("before assessment = %s %q (assessed %v), want amber %q", got.RAG, got.Reasons, got.DutyAssessed, want)
	}
	b.At(historytest.Day(3)).Duty("p", false, "no change to services")
	got = programme.Compute(b.Ledger(), projections.Query{AsOf: historytest.Day(4)}, relaxed).Projects[0]
	if !got.DutyAssessed || slices.Contains(got.Reasons, want[1]) {
		t.Errorf("after assessment = %q (assessed %v), want no duty reason", got.Reasons, got.DutyAssessed)
	}
}
