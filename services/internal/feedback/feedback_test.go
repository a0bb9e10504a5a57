package feedback

import (
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/command/commandtest"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/projects"
)

const (
	feedbackID   = "019a0000-0000-7000-8000-0000000000d1"
	projectID    = "019a0000-0000-7000-8000-0000000000a1"
	otherProject = "019a0000-0000-7000-8000-0000000000a2"
	engagementID = "019a0000-0000-7000-8000-0000000000c1"
	deskID       = "019a0000-0000-7000-8000-0000000000e1"
	signsID      = "019a0000-0000-7000-8000-0000000000e2"
	ann          = "019a0000-0000-7000-8000-0000000000b1"
)

var (
	said = &feedback.Given{
		ProjectID: projectID, EngagementID: engagementID, ElementID: deskID, StakeholderID: ann,
		Channel: "engagement", Sentiment: "negative", Themes: []string{"noise", "privacy"}, Summary: commandtest.Sealed("Everyone hears your name"),
	}
	responded = &feedback.Responded{Influence: "adopted", Reason: "Screens at the desk"}
	retracted = &feedback.Retracted{Reason: "Given by mistake"}
)

func given(ps ...events.Payload) []events.Payload { return ps }

func TestGive(t *testing.T) {
	when := func(p *feedback.Given) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return give(s, *p) }
	}
	anonymous := &feedback.Given{ProjectID: projectID, Channel: "online", Sentiment: "positive", Themes: []string{"signage"}, Summary: commandtest.Sealed("Clear signs")}
	noThemes := &feedback.Given{ProjectID: projectID, Channel: "letter", Sentiment: "mixed", Summary: commandtest.Sealed("Some of it works")}
	commandtest.Run(t, Aggregate, feedbackID, []commandtest.Case[State]{
		{Name: "identified, at an engagement, on an element", When: when(said), Then: given(said)},
		{Name: "anonymous", When: when(anonymous), Then: given(anonymous)},
		// No theme is recorded as an empty list, never null.
		{Name: "without themes", When: when(noThemes),
			Then: given(&feedback.Given{ProjectID: projectID, Channel: "letter", Sentiment: "mixed", Themes: []string{}, Summary: commandtest.Sealed("Some of it works")})},
		{Name: "given already", Given: given(said), When: when(said), Rejected: command.ErrConflict},
		{Name: "retracted", Given: given(said, retracted), When: when(said), Rejected: command.ErrConflict},
	})
}

// TestStanding covers the commands on feedback that still stands: a
// response, a retraction.
func TestStanding(t *testing.T) {
	for _, p := range []events.Payload{responded, retracted} {
		when := func(s State) ([]events.Payload, error) { return standing(s, p) }
		t.Run(p.EventType(), func(t *testing.T) {
			commandtest.Run(t, Aggregate, feedbackID, []commandtest.Case[State]{
				{Name: "given", Given: given(said), When: when, Then: given(p)},
				{Name: "responded already", Given: given(said, responded), When: when, Then: given(p)},
				{Name: "unknown", When: when, Rejected: command.ErrNotFound},
				{Name: "retracted", Given: given(said, retracted), When: when, Rejected: command.ErrConflict},
				{Name: "responded, then retracted", Given: given(said, responded, retracted), When: when, Rejected: command.ErrConflict},
			})
		})
	}
}

func TestGivenOn(t *testing.T) {
	registered := &project.Registered{Programme: "South Tyneside", Name: "Waiting areas", Aim: "A calmer waiting area", Lead: "Sarah"}
	desk := &project.ElementAdded{ElementID: deskID, Name: "Reception desk"}
	closed := &project.Closed{Summary: "Done"}
	plannedOn := func(projectID string) []events.Payload {
		return given(&engagement.Planned{
			ProjectID: projectID, ElementIDs: []string{}, Title: "Walk-through", Method: "workshop",
			Level: events.LevelConsult, ScheduledFor: time.Date(2026, time.May, 9, 14, 0, 0, 0, time.UTC),
		})
	}
	about := func(element, engagement string) feedback.Given {
		p := *said
		p.ElementID, p.EngagementID = element, engagement
		return p
	}
	tests := []struct {
		name       string
		project    []events.Payload
		engagement []events.Payload // nil: the feedback names no engagement
		feedback   feedback.Given
		want       error
	}{
		{"the project alone", given(registered), nil, about("", ""), nil},
		{"an element of the project", given(registered, desk), nil, about(deskID, ""), nil},
		{"an engagement on the project", given(registered), plannedOn(projectID), about("", engagementID), nil},
		{"an element and an engagement", given(registered, desk), plannedOn(projectID), about(deskID, engagementID), nil},
		{"the engagement was cancelled", given(registered), append(plannedOn(projectID), &engagement.Cancelled{Reason: "r"}),
			about("", engagementID), nil},
		// Feedback may still arrive once a project is closed.
		{"a closed project", given(registered, desk, closed), nil, about(deskID, ""), nil},
		{"an element of no project", given(registered, desk), nil, about(signsID, ""), command.ErrNotFound},
		{"an engagement on another project", given(registered), plannedOn(otherProject), about("", engagementID), command.ErrInvalid},
		{"an unknown element and another project's engagement", given(registered), plannedOn(otherProject), about(signsID, engagementID),
			command.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proj := commandtest.Fold(t, projects.Aggregate, projectID, tt.project...)
			var eng *engagements.State
			if tt.engagement != nil {
				e := commandtest.Fold(t, engagements.Aggregate, engagementID, tt.engagement...)
				eng = &e
			}
			commandtest.Check(t, givenOn(proj, eng, tt.feedback), tt.want)
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name  string
		given []events.Payload
		want  State
	}{
		{"nothing", nil, State{ID: feedbackID}},
		{"given", given(said, responded), State{ID: feedbackID, Exists: true, ProjectID: projectID}},
		{"retracted", given(said, responded, retracted), State{ID: feedbackID, Exists: true, ProjectID: projectID, Retracted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := commandtest.Diff(tt.want, commandtest.Fold(t, Aggregate, feedbackID, tt.given...)); diff != "" {
				t.Errorf("Fold() (-want +got):\n%s", diff)
			}
		})
	}
}
