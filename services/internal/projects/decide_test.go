package projects

import (
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/command/commandtest"
)

const (
	projectID = "019a0000-0000-7000-8000-0000000000a1"
	deskID    = "019a0000-0000-7000-8000-0000000000e1"
	signsID   = "019a0000-0000-7000-8000-0000000000e2"
)

var (
	registered = &project.Registered{Programme: "South Tyneside", Name: "Waiting areas", Aim: "A calmer waiting area", Lead: "Sarah"}
	desk       = &project.ElementAdded{ElementID: deskID, Name: "Reception desk"}
	signs      = &project.ElementAdded{ElementID: signsID, Name: "Signage"}
	closed     = &project.Closed{Summary: "Done"}
	duty       = &project.DutyAssessed{Applies: true, Basis: "s242", AssessedBy: "Board", Rationale: "Changes a service"}
)

func decided(element string, level events.Level) *project.InvolvementDecided {
	return &project.InvolvementDecided{
		ElementID: element, Level: level, Rationale: "Patients use it every day", DecidedBy: "Project board",
		DecisionRights: []project.DecisionRight{{Holder: "patients", Right: "choose the layout"}}, Expectations: "Two workshops",
	}
}

// with returns d recording previous as the level before it.
func with(d *project.InvolvementDecided, previous events.Level) *project.InvolvementDecided {
	c := *d
	c.PreviousLevel = previous
	return &c
}

func given(ps ...events.Payload) []events.Payload { return ps }

func TestRegister(t *testing.T) {
	when := func(s State) ([]events.Payload, error) { return register(s, *registered) }
	commandtest.Run(t, Aggregate, projectID, []commandtest.Case[State]{
		{Name: "a new project", When: when, Then: given(registered)},
		{Name: "registered already", Given: given(registered), When: when, Rejected: command.ErrConflict},
		{Name: "registered and closed", Given: given(registered, closed), When: when, Rejected: command.ErrConflict},
	})
}

func TestAddElement(t *testing.T) {
	add := func(id, name string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) {
			return addElement(s, project.ElementAdded{ElementID: id, Name: name})
		}
	}
	commandtest.Run(t, Aggregate, projectID, []commandtest.Case[State]{
		{Name: "the first element", Given: given(registered), When: add(deskID, "Reception desk"), Then: given(desk)},
		{Name: "a second element", Given: given(registered, desk), When: add(signsID, "Signage"), Then: given(signs)},
		{Name: "a name that only starts like another", Given: given(registered, desk), When: add(signsID, "Reception"),
			Then: given(&project.ElementAdded{ElementID: signsID, Name: "Reception"})},
		{Name: "after involvement was decided", Given: given(registered, desk, decided(deskID, events.LevelConsult)),
			When: add(signsID, "Signage"), Then: given(signs)},
		{Name: "an unknown project", When: add(deskID, "Reception desk"), Rejected: command.ErrNotFound},
		{Name: "a closed project", Given: given(registered, closed), When: add(deskID, "Reception desk"), Rejected: command.ErrConflict},
		{Name: "the same id", Given: given(registered, desk), When: add(deskID, "Signage"), Rejected: command.ErrConflict},
		{Name: "the same name", Given: given(registered, desk), When: add(signsID, "Reception desk"), Rejected: command.ErrConflict},
		{Name: "the same name in other case and spaces", Given: given(registered, signs, desk), When: add("019a0000-0000-7000-8000-0000000000e3", "  reception DESK "),
			Rejected: command.ErrConflict},
	})
}

func TestAssessDuty(t *testing.T) {
	when := func(s State) ([]events.Payload, error) { return assessDuty(s, *duty) }
	commandtest.Run(t, Aggregate, projectID, []commandtest.Case[State]{
		{Name: "an open project", Given: given(registered), When: when, Then: given(duty)},
		{Name: "assessed again", Given: given(registered, duty), When: when, Then: given(duty)},
		{Name: "an unknown project", When: when, Rejected: command.ErrNotFound},
		{Name: "a closed project", Given: given(registered, duty, closed), When: when, Rejected: command.ErrConflict},
	})
}

func TestDecide(t *testing.T) {
	on := func(element string, level events.Level) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) {
			// A client cannot set the previous level: it comes from the
			// history.
			return decide(s, *with(decided(element, level), events.LevelInform))
		}
	}
	commandtest.Run(t, Aggregate, projectID, []commandtest.Case[State]{
		{Name: "the first decision", Given: given(registered, desk), When: on(deskID, events.LevelConsult),
			Then: given(decided(deskID, events.LevelConsult))},
		{Name: "raised", Given: given(registered, desk, decided(deskID, events.LevelConsult)), When: on(deskID, events.LevelCoProduce),
			Then: given(with(decided(deskID, events.LevelCoProduce), events.LevelConsult))},
		{Name: "lowered", Given: given(registered, desk, decided(deskID, events.LevelCoDesign)), When: on(deskID, events.LevelInform),
			Then: given(with(decided(deskID, events.LevelInform), events.LevelCoDesign))},
		{Name: "confirmed at the same level", Given: given(registered, desk, decided(deskID, events.LevelEngage)), When: on(deskID, events.LevelEngage),
			Then: given(with(decided(deskID, events.LevelEngage), events.LevelEngage))},
		{Name: "the latest decision is the previous one",
			Given: given(registered, desk, decided(deskID, events.LevelInform), decided(deskID, events.LevelCoDesign), decided(deskID, events.LevelConsult)),
			When:  on(deskID, events.LevelCoProduce), Then: given(with(decided(deskID, events.LevelCoProduce), events.LevelConsult))},
		{Name: "another element's decision is not this one's", Given: given(registered, desk, signs, decided(signsID, events.LevelCoProduce)),
			When: on(deskID, events.LevelConsult), Then: given(decided(deskID, events.LevelConsult))},
		{Name: "an unknown element", Given: given(registered, desk), When: on(signsID, events.LevelConsult), Rejected: command.ErrNotFound},
		{Name: "a closed project", Given: given(registered, desk, closed), When: on(deskID, events.LevelConsult), Rejected: command.ErrConflict},
		{Name: "a closed project and an unknown element", Given: given(registered, closed), When: on(deskID, events.LevelConsult),
			Rejected: command.ErrConflict},
		{Name: "an unknown project", When: on(deskID, events.LevelConsult), Rejected: command.ErrNotFound},
	})
}

func TestCloseProject(t *testing.T) {
	when := func(s State) ([]events.Payload, error) { return closeProject(s, *closed) }
	commandtest.Run(t, Aggregate, projectID, []commandtest.Case[State]{
		{Name: "an open project", Given: given(registered, desk, decided(deskID, events.LevelConsult)), When: when, Then: given(closed)},
		{Name: "closed already", Given: given(registered, closed), When: when, Rejected: command.ErrConflict},
		{Name: "an unknown project", When: when, Rejected: command.ErrNotFound},
	})
}

func TestCheckOpen(t *testing.T) {
	tests := []struct {
		name  string
		given []events.Payload
		want  error
	}{
		{"open", given(registered, desk), nil},
		{"closed", given(registered, closed), command.ErrConflict},
		{"unknown", nil, command.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commandtest.Check(t, commandtest.Fold(t, Aggregate, projectID, tt.given...).CheckOpen(), tt.want)
		})
	}
}

func TestFold(t *testing.T) {
	got := commandtest.Fold(t, Aggregate, projectID, registered, desk, signs, decided(deskID, events.LevelConsult),
		decided(deskID, events.LevelCoDesign), duty, closed)
	want := State{
		ID: projectID, Exists: true, Closed: true, Programme: "South Tyneside", Name: "Waiting areas",
		Elements: map[string]*Element{
			deskID:  {ID: deskID, Name: "Reception desk", Level: events.LevelCoDesign},
			signsID: {ID: signsID, Name: "Signage"},
		},
	}
	if diff := commandtest.Diff(want, got); diff != "" {
		t.Errorf("Fold() (-want +got):\n%s", diff)
	}
}
