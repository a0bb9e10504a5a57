package decisions_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/historytest"
)

func roles(su, carer, fs, public int) projections.RoleCounts {
	rc := projections.NewRoleCounts()
	rc[events.RoleServiceUser], rc[events.RoleCarer], rc[events.RoleFrontlineStaff], rc[events.RolePublic] = su, carer, fs, public
	return rc
}

func rights(element string) []project.DecisionRight {
	return []project.DecisionRight{{Holder: "service users", Right: "shape the " + element}}
}

// TestStory follows the story's two elements of Letters: the template,
// decided co-design on the 7th (after w1 on the 5th: Ann, Ben, Eve; f1 and
// f3 on the 6th) and consult on the 12th (after w2 too: Cat and Eve), and
// the phone line, decided co-production on the 7th before anything was
// held on it; w2 on the 10th covered it with Cat and Eve, and Cat is a
// service user from the 20th.
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	template7 := decisions.Decision{
		OccurredAt: historytest.Day(7), Level: events.LevelCoDesign, PreviousLevel: "", DecidedBy: "Board",
		Rationale: "People who write to us know what works", DecisionRights: rights(historytest.Template),
		Evidence: decisions.Evidence{Participants: 3, ByRole: roles(1, 1, 1, 1), Feedback: 2},
	}
	template12 := decisions.Decision{
		OccurredAt: historytest.Day(12), Level: events.LevelConsult, PreviousLevel: events.LevelCoDesign, DecidedBy: "Board",
		Rationale: "Legal wording limits the room to move", DecisionRights: rights(historytest.Template),
		// Ann, Ben, Eve, Cat; roles as known on the 21st make Cat a service user too.
		Evidence: decisions.Evidence{Participants: 4, ByRole: roles(2, 1, 2, 1), Feedback: 2},
	}
	phone7 := decisions.Decision{
		OccurredAt: historytest.Day(7), Level: events.LevelCoProduce, DecidedBy: "Board",
		Rationale: "Callers will run the script with us", DecisionRights: rights(historytest.Phone),
		Evidence: decisions.Evidence{ByRole: roles(0, 0, 0, 0)},
	}
	element := func(id, name string, level events.Level, tokenism bool, ds ...decisions.Decision) decisions.Element {
		if ds == nil {
			ds = []decisions.Decision{}
		}
		return decisions.Element{ProjectID: historytest.Letters, ProjectName: "Letters", ElementID: id, Name: name, Level: level, Tokenism: tokenism, Decisions: ds}
	}
	template7AsOf8 := template7
	template7AsOf8.Evidence.ByRole = roles(1, 1, 1, 1)
	tests := []struct {
		name string
		q    projections.Query
		want []decisions.Element
	}{
		{
			name: "as of the 21st: Cat's new role clears the phone line",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21)},
			want: []decisions.Element{
				element(historytest.Template, "Letter template", events.LevelConsult, false, template7, template12),
				element(historytest.Phone, "Phone line", events.LevelCoProduce, false, phone7),
			},
		},
		{
			name: "as of the 15th: co-production on the phone line with no lived experience in the room",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(15)},
			want: []decisions.Element{
				element(historytest.Template, "Letter template", events.LevelConsult, false, template7,
					func() decisions.Decision { d := template12; d.Evidence.ByRole = roles(1, 1, 2, 1); return d }()),
				element(historytest.Phone, "Phone line", events.LevelCoProduce, true, phone7),
			},
		},
		{
			name: "as of the 8th: the template at co-design, with Ann at w1",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(8)},
			want: []decisions.Element{
				element(historytest.Template, "Letter template", events.LevelCoDesign, false, template7AsOf8),
				element(historytest.Phone, "Phone line", events.LevelCoProduce, true, phone7),
			},
		},
		{
			name: "window: only the decisions of the 12th",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21), From: ptr(historytest.Day(12))},
			want: []decisions.Element{
				element(historytest.Template, "Letter template", events.LevelConsult, false, template12),
				element(historytest.Phone, "Phone line", events.LevelCoProduce, false),
			},
		},
		{
			name: "a project with no elements",
			q:    projections.Query{Project: historytest.Waiting, AsOf: historytest.Day(21)},
			want: []decisions.Element{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decisions.Compute(l, tt.q)
			if diff := cmp.Diff(tt.want, got.Elements, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Compute().Elements mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The tokenism flag is raised when power is claimed shared with nobody of
// lived experience in the room, and cleared when one comes.
func TestTokenismRaisedAndCleared(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project("p", "P", "p").Element("p", "e", "e").
		Stakeholder("staff", events.RoleFrontlineStaff).Stakeholder("carer", events.RoleCarer).
		Decide("p", "e", events.LevelConsult, "", "Board", "start")
	steps := []struct {
		name string
		step func()
		want bool
	}{
		{"consult: never tokenism", func() {}, false},
		{"co-design, nothing held yet", func() {
			b.At(historytest.Day(2)).Decide("p", "e", events.LevelCoDesign, events.LevelConsult, "Board", "more")
		}, true},
		{"held with staff only", func() {
			b.At(historytest.Day(3)).Plan("w", "p", events.LevelCoDesign, "workshop", "e").Hold("w", 5, "staff")
		}, true},
		{"held with a carer", func() {
			b.At(historytest.Day(4)).Plan("w2", "p", events.LevelCoDesign, "workshop", "e").Hold("w2", 0, "carer")
		}, false},
		{"moved down to engage", func() {
			b.At(historytest.Day(5)).Decide("p", "e", events.LevelEngage, events.LevelCoDesign, "Board", "less")
		}, false},
	}
	for _, s := range steps {
		s.step()
		got := decisions.Compute(b.Ledger(), projections.Query{AsOf: historytest.Day(30)})
		if got.Elements[0].Tokenism != s.want {
			t.Errorf("%s: tokenism = %v, want %v", s.name, got.Elements[0].Tokenism, s.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
