package actions

import (
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/engagement"
	feedbackev "github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/command/commandtest"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
)

const (
	actionID     = "019a0000-0000-7000-8000-0000000000f1"
	projectID    = "019a0000-0000-7000-8000-0000000000a1"
	otherProject = "019a0000-0000-7000-8000-0000000000a2"
	engagementID = "019a0000-0000-7000-8000-0000000000c1"
	noise        = "019a0000-0000-7000-8000-0000000000d1"
	privacy      = "019a0000-0000-7000-8000-0000000000d2"
)

var (
	// agreedAt is late on 1 April in UTC, already 2 April in Europe/Berlin:
	// the action was agreed on 1 April.
	agreedAt = time.Date(2026, time.April, 2, 0, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	due      = date("2026-04-30")

	rescheduled   = &action.Rescheduled{DueOn: date("2026-05-31"), Reason: "Supplier late"}
	reassigned    = &action.Reassigned{Owner: "Estates"}
	dropped       = &action.Dropped{Reason: "No budget"}
	communicated  = &action.OutcomeCommunicated{Audience: "contributors", Channel: "letter"}
	communicated2 = &action.OutcomeCommunicated{Audience: "wider_public", Channel: "website"}
)

func date(s string) events.Date {
	d, err := events.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func agreedPayload() *action.Agreed {
	return &action.Agreed{
		ProjectID: projectID, FeedbackIDs: []string{noise, privacy}, EngagementID: engagementID,
		Description: "Screens at the reception desk", Owner: "Facilities", DueOn: due,
	}
}

// agreed is the action agreed at agreedAt.
func agreed() events.Payload { return commandtest.At(agreedAt, agreedPayload()) }

func completedOn(day string) *action.Completed {
	return &action.Completed{CompletedOn: date(day), Outcome: "Two screens fitted"}
}

func given(ps ...events.Payload) []events.Payload { return ps }

func TestAgree(t *testing.T) {
	when := func(p *action.Agreed) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return agree(s, *p) }
	}
	fromEngagement := &action.Agreed{ProjectID: projectID, EngagementID: engagementID, Description: "d", Owner: "o", DueOn: due}
	commandtest.Run(t, Aggregate, actionID, []commandtest.Case[State]{
		{Name: "from feedback and an engagement", When: when(agreedPayload()), Then: given(agreedPayload())},
		// No feedback is recorded as an empty list, never null.
		{Name: "from an engagement alone", When: when(fromEngagement),
			Then: given(&action.Agreed{ProjectID: projectID, FeedbackIDs: []string{}, EngagementID: engagementID, Description: "d", Owner: "o", DueOn: due})},
		{Name: "agreed already", Given: given(agreed()), When: when(agreedPayload()), Rejected: command.ErrConflict},
		{Name: "completed", Given: given(agreed(), completedOn("2026-04-20")), When: when(agreedPayload()), Rejected: command.ErrConflict},
		{Name: "dropped", Given: given(agreed(), dropped), When: when(agreedPayload()), Rejected: command.ErrConflict},
	})
}

// TestOpen covers the commands on an action still open: drop, reschedule,
// reassign.
func TestOpen(t *testing.T) {
	for _, p := range []events.Payload{dropped, rescheduled, reassigned} {
		when := func(s State) ([]events.Payload, error) { return open(s, p) }
		t.Run(p.EventType(), func(t *testing.T) {
			commandtest.Run(t, Aggregate, actionID, []commandtest.Case[State]{
				{Name: "agreed", Given: given(agreed()), When: when, Then: given(p)},
				{Name: "rescheduled and reassigned", Given: given(agreed(), rescheduled, reassigned), When: when, Then: given(p)},
				{Name: "unknown", When: when, Rejected: command.ErrNotFound},
				{Name: "completed", Given: given(agreed(), completedOn("2026-04-20")), When: when, Rejected: command.ErrConflict},
				{Name: "dropped", Given: given(agreed(), dropped), When: when, Rejected: command.ErrConflict},
				{Name: "completed and communicated", Given: given(agreed(), completedOn("2026-04-20"), communicated), When: when,
					Rejected: command.ErrConflict},
			})
		})
	}
}

func TestReschedule(t *testing.T) {
	to := func(day string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) {
			return reschedule(s, action.Rescheduled{DueOn: date(day), Reason: "Supplier late"})
		}
	}
	commandtest.Run(t, Aggregate, actionID, []commandtest.Case[State]{
		{Name: "later", Given: given(agreed()), When: to("2026-05-31"), Then: given(rescheduled)},
		{Name: "the day it was agreed", Given: given(agreed()), When: to("2026-04-01"),
			Then: given(&action.Rescheduled{DueOn: date("2026-04-01"), Reason: "Supplier late"})},
		{Name: "before it was agreed", Given: given(agreed()), When: to("2026-03-31"), Rejected: command.ErrInvalid},
		{Name: "completed", Given: given(agreed(), completedOn("2026-04-20")), When: to("2026-05-31"), Rejected: command.ErrConflict},
		{Name: "unknown", When: to("2026-05-31"), Rejected: command.ErrNotFound},
	})
}

func TestComplete(t *testing.T) {
	today := date("2026-05-10")
	on := func(day string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return complete(s, *completedOn(day), today) }
	}
	commandtest.Run(t, Aggregate, actionID, []commandtest.Case[State]{
		{Name: "today", Given: given(agreed()), When: on("2026-05-10"), Then: given(completedOn("2026-05-10"))},
		// agreedAt is 2 April in its own zone but 1 April in UTC, the
		// calendar every date is kept in.
		{Name: "on the day it was agreed", Given: given(agreed()), When: on("2026-04-01"), Then: given(completedOn("2026-04-01"))},
		{Name: "in between, after changes", Given: given(agreed(), rescheduled, reassigned), When: on("2026-04-15"),
			Then: given(completedOn("2026-04-15"))},
		{Name: "the day before it was agreed", Given: given(agreed()), When: on("2026-03-31"), Rejected: command.ErrInvalid},
		{Name: "tomorrow", Given: given(agreed()), When: on("2026-05-11"), Rejected: command.ErrInvalid},
		{Name: "unknown", When: on("2026-05-01"), Rejected: command.ErrNotFound},
		{Name: "completed already", Given: given(agreed(), completedOn("2026-04-20")), When: on("2026-05-01"), Rejected: command.ErrConflict},
		{Name: "dropped", Given: given(agreed(), dropped), When: on("2026-05-01"), Rejected: command.ErrConflict},
		{Name: "dropped, and tomorrow", Given: given(agreed(), dropped), When: on("2026-05-11"), Rejected: command.ErrConflict},
	})
}

func TestCommunicate(t *testing.T) {
	when := func(p *action.OutcomeCommunicated) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return communicate(s, *p) }
	}
	commandtest.Run(t, Aggregate, actionID, []commandtest.Case[State]{
		{Name: "completed", Given: given(agreed(), completedOn("2026-04-20")), When: when(communicated), Then: given(communicated)},
		{Name: "dropped", Given: given(agreed(), dropped), When: when(communicated), Then: given(communicated)},
		{Name: "to another audience too", Given: given(agreed(), completedOn("2026-04-20"), communicated), When: when(communicated2),
			Then: given(communicated2)},
		{Name: "still open", Given: given(agreed()), When: when(communicated), Rejected: command.ErrConflict},
		{Name: "rescheduled, still open", Given: given(agreed(), rescheduled), When: when(communicated), Rejected: command.ErrConflict},
		{Name: "unknown", When: when(communicated), Rejected: command.ErrNotFound},
	})
}

func TestAgreedFrom(t *testing.T) {
	said := func(project string, more ...events.Payload) []events.Payload {
		return append(given(&feedbackev.Given{ProjectID: project, Channel: "online", Sentiment: "negative", Themes: []string{}, Summary: commandtest.Sealed("s")}), more...)
	}
	plannedOn := func(project string) []events.Payload {
		return given(&engagement.Planned{
			ProjectID: project, ElementIDs: []string{}, Title: "Walk-through", Method: "workshop",
			Level: events.LevelConsult, ScheduledFor: time.Date(2026, time.March, 9, 14, 0, 0, 0, time.UTC),
		})
	}
	retracted := &feedbackev.Retracted{Reason: "r"}
	responded := &feedbackev.Responded{Influence: "adopted", Reason: "r"}
	tests := []struct {
		name       string
		feedback   [][]events.Payload // histories of noise, then privacy
		engagement []events.Payload   // nil: the action names no engagement
		want       error
	}{
		{"neither feedback nor an engagement", nil, nil, nil},
		{"feedback on the project", [][]events.Payload{said(projectID), said(projectID, responded)}, nil, nil},
		{"an engagement on the project", nil, plannedOn(projectID), nil},
		{"both", [][]events.Payload{said(projectID)}, plannedOn(projectID), nil},
		{"feedback on another project", [][]events.Payload{said(projectID), said(otherProject)}, nil, command.ErrInvalid},
		{"retracted feedback", [][]events.Payload{said(projectID), said(projectID, retracted)}, nil, command.ErrConflict},
		{"retracted feedback on another project", [][]events.Payload{said(otherProject, retracted)}, nil, command.ErrInvalid},
		{"an engagement on another project", [][]events.Payload{said(projectID)}, plannedOn(otherProject), command.ErrInvalid},
		{"retracted feedback and an engagement on another project", [][]events.Payload{said(projectID, retracted)}, plannedOn(otherProject),
			command.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var from []feedback.State
			for i, h := range tt.feedback {
				from = append(from, commandtest.Fold(t, feedback.Aggregate, []string{noise, privacy}[i], h...))
			}
			var eng *engagements.State
			if tt.engagement != nil {
				e := commandtest.Fold(t, engagements.Aggregate, engagementID, tt.engagement...)
				eng = &e
			}
			commandtest.Check(t, agreedFrom(projectID, from, eng), tt.want)
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name  string
		given []events.Payload
		want  State
	}{
		{"nothing", nil, State{ID: actionID}},
		{"agreed", given(agreed(), rescheduled, reassigned), State{ID: actionID, Exists: true, AgreedOn: date("2026-04-01")}},
		{"completed", given(agreed(), completedOn("2026-04-20"), communicated),
			State{ID: actionID, Exists: true, AgreedOn: date("2026-04-01"), Completed: true}},
		{"dropped", given(agreed(), dropped), State{ID: actionID, Exists: true, AgreedOn: date("2026-04-01"), Dropped: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := commandtest.Diff(tt.want, commandtest.Fold(t, Aggregate, actionID, tt.given...)); diff != "" {
				t.Errorf("Fold() (-want +got):\n%s", diff)
			}
		})
	}
}
