package influence_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/influence"
)

func f(v float64) *float64 { return &v }

func date(s string) events.Date {
	d, err := events.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestStory: Letters' standing feedback is f1 (Ann, template; wording,
// tone), f2 (anonymous, no element; print size) and f3 (Ben, template;
// wording), all given on the 6th. f1 was adopted and f3 not adopted on the
// 10th, f2 partly adopted on the 14th: 4, 4 and 8 days. a1 (from f1) was
// done on the 15th and fed back on the 16th; a2 (from f3) done on the
// 24th, nobody told.
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	adopted := influence.Reason{Influence: "adopted", Reason: "Plain words fit the template", On: date("2026-03-10"), Feedback: 1}
	notAdopted := influence.Reason{Influence: "not_adopted", Reason: "Budget not approved", On: date("2026-03-10"), Feedback: 1}
	partly := influence.Reason{Influence: "partly_adopted", Reason: "Large print on request", On: date("2026-03-14"), Feedback: 1}
	want := influence.Project{
		ProjectID: historytest.Letters, Name: "Letters",
		Counts:               influence.Counts{Feedback: 3, Adopted: 1, PartlyAdopted: 1, NotAdopted: 1},
		MedianDaysToResponse: f(4),
		Elements: []influence.Element{
			{ElementID: historytest.Template, Name: "Letter template", Counts: influence.Counts{Feedback: 2, Adopted: 1, NotAdopted: 1},
				Reasons: []influence.Reason{adopted, notAdopted}},
			{ElementID: historytest.Phone, Name: "Phone line", Reasons: []influence.Reason{}},
			{Counts: influence.Counts{Feedback: 1, PartlyAdopted: 1}, Reasons: []influence.Reason{partly}},
		},
		YouSaidWeDid: influence.YouSaidWeDid{
			Themes:    []influence.Theme{{Theme: "wording", Feedback: 2}, {Theme: "print size", Feedback: 1}, {Theme: "tone", Feedback: 1}},
			WeDecided: []influence.Reason{adopted, partly, notAdopted},
			WeDid: []influence.Done{
				{Action: "action a1", Outcome: "done: a1", CompletedOn: date("2026-03-15"), ToldOn: date("2026-03-16")},
				{Action: "action a2", Outcome: "done: a2", CompletedOn: date("2026-03-24")},
			},
		},
	}
	got := influence.Compute(l, projections.Query{Project: historytest.Letters, AsOf: historytest.Day(31)})
	if diff := cmp.Diff([]influence.Project{want}, got.Projects, cmp.Comparer(func(a, b events.Date) bool { return a == b })); diff != "" {
		t.Errorf("Compute().Projects mismatch (-want +got):\n%s", diff)
	}
	if got.Counts != want.Counts || *got.MedianDaysToResponse != 4 {
		t.Errorf("totals = %+v, median %v; want %+v, 4", got.Counts, *got.MedianDaysToResponse, want.Counts)
	}

	// As of the 12th f2 has no answer yet and a1 is not done.
	early := influence.Compute(l, projections.Query{Project: historytest.Letters, AsOf: historytest.Day(12)})
	if c := early.Counts; c != (influence.Counts{Feedback: 3, Adopted: 1, NotAdopted: 1, NoResponse: 1}) || len(early.Projects[0].YouSaidWeDid.WeDid) != 0 {
		t.Errorf("as of the 12th = %+v, %d done; want 1 adopted, 1 not, 1 unanswered, none done", c, len(early.Projects[0].YouSaidWeDid.WeDid))
	}
}

// No stakeholder id or feedback summary reaches the report.
func TestNoPersonalData(t *testing.T) {
	l := historytest.Story().Ledger()
	doc := influence.Compute(l, projections.Query{AsOf: historytest.Day(31)})
	for _, text := range []string{string(doc.CSV())} {
		for _, secret := range []string{historytest.Ann, historytest.Ben, historytest.Dev, "feedback f1"} {
			if containsWord(text, secret) {
				t.Errorf("the report shows %q", secret)
			}
		}
	}
}

func containsWord(text, w string) bool {
	for i := 0; i+len(w) <= len(text); i++ {
		if text[i:i+len(w)] == w && (i == 0 || !letter(text[i-1])) && (i+len(w) == len(text) || !letter(text[i+len(w)])) {
			return true
		}
	}
	return false
}

func letter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
