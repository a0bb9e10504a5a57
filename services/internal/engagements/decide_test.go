package engagements

import (
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/command/commandtest"
	"github.com/together-coop/together/services/internal/projects"
)

const (
	engagementID = "019a0000-0000-7000-8000-0000000000c1"
	projectID    = "019a0000-0000-7000-8000-0000000000a1"
	deskID       = "019a0000-0000-7000-8000-0000000000e1"
	signsID      = "019a0000-0000-7000-8000-0000000000e2"
	ann          = "019a0000-0000-7000-8000-0000000000b1"
	ben          = "019a0000-0000-7000-8000-0000000000b2"
	cat          = "019a0000-0000-7000-8000-0000000000b3"
)

var (
	planned = &engagement.Planned{
		ProjectID: projectID, ElementIDs: []string{deskID}, Title: "Waiting room walk-through", Method: "workshop",
		Level: events.LevelCoDesign, ScheduledFor: time.Date(2026, time.May, 9, 14, 0, 0, 0, time.UTC),
	}
	cancelled = &engagement.Cancelled{Reason: "Venue flooded"}
)

func invited(who string) *engagement.StakeholderInvited {
	return &engagement.StakeholderInvited{StakeholderID: who, Channel: "letter"}
}

func answered(who string, accepted bool) *engagement.InvitationAnswered {
	return &engagement.InvitationAnswered{StakeholderID: who, Accepted: accepted}
}

func heldOn(t *testing.T, day string, attendees ...string) *engagement.Held {
	return &engagement.Held{HeldOn: commandtest.Day(t, day), AttendeeIDs: attendees, UnnamedAttendees: 3}
}

func support(who string) *engagement.SupportProvided {
	return &engagement.SupportProvided{StakeholderID: who, Kind: "travel", AmountPence: 1250}
}

func given(ps ...events.Payload) []events.Payload { return ps }

func TestPlan(t *testing.T) {
	when := func(p *engagement.Planned) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return plan(s, *p) }
	}
	wholeProject := *planned
	wholeProject.ElementIDs = []string{}
	commandtest.Run(t, Aggregate, engagementID, []commandtest.Case[State]{
		{Name: "on some elements", When: when(planned), Then: given(planned)},
		{Name: "on the whole project", When: when(&wholeProject), Then: given(&wholeProject)},
		{Name: "planned already", Given: given(planned), When: when(planned), Rejected: command.ErrConflict},
		{Name: "held already", Given: given(planned, heldOn(t, "2026-05-09", ann)), When: when(planned), Rejected: command.ErrConflict},
		{Name: "cancelled", Given: given(planned, cancelled), When: when(planned), Rejected: command.ErrConflict},
	})
}

func TestInvite(t *testing.T) {
	to := func(who string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return invite(s, *invited(who)) }
	}
	commandtest.Run(t, Aggregate, engagementID, []commandtest.Case[State]{
		{Name: "the first invitee", Given: given(planned), When: to(ann), Then: given(invited(ann))},
		{Name: "another invitee", Given: given(planned, invited(ann), answered(ann, true)), When: to(cat), Then: given(invited(cat))},
		{Name: "invited already", Given: given(planned, invited(ann)), When: to(ann), Rejected: command.ErrConflict},
		{Name: "invited and declined", Given: given(planned, invited(ann), answered(ann, false)), When: to(ann), Rejected: command.ErrConflict},
		{Name: "held already", Given: given(planned, heldOn(t, "2026-05-09")), When: to(cat), Rejected: command.ErrConflict},
		{Name: "cancelled", Given: given(planned, cancelled), When: to(cat), Rejected: command.ErrConflict},
		{Name: "an unknown engagement", When: to(cat), Rejected: command.ErrNotFound},
	})
}

func TestAnswer(t *testing.T) {
	by := func(who string, accepted bool) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return answer(s, *answered(who, accepted)) }
	}
	declinedWithReason := &engagement.InvitationAnswered{StakeholderID: ann, Reason: commandtest.Sealed("Working that day")}
	commandtest.Run(t, Aggregate, engagementID, []commandtest.Case[State]{
		{Name: "accepted", Given: given(planned, invited(ann)), When: by(ann, true), Then: given(answered(ann, true))},
		{Name: "declined with a reason", Given: given(planned, invited(ann)),
			When: func(s State) ([]events.Payload, error) { return answer(s, *declinedWithReason) }, Then: given(declinedWithReason)},
		{Name: "changed", Given: given(planned, invited(ann), invited(ben), answered(ben, true)), When: by(ben, false),
			Then: given(answered(ben, false))},
		{Name: "not invited", Given: given(planned, invited(ann)), When: by(cat, true), Rejected: command.ErrConflict},
		{Name: "held already", Given: given(planned, invited(ann), heldOn(t, "2026-05-09", ann)), When: by(ann, true),
			Rejected: command.ErrConflict},
		{Name: "cancelled", Given: given(planned, invited(ann), cancelled), When: by(ann, false), Rejected: command.ErrConflict},
		{Name: "an unknown engagement", When: by(ann, true), Rejected: command.ErrNotFound},
	})
}

func TestHold(t *testing.T) {
	today := commandtest.Day(t, "2026-05-10")
	on := func(h *engagement.Held) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return hold(s, *h, today) }
	}
	nobodyNamed := &engagement.Held{HeldOn: today, UnnamedAttendees: 12}
	commandtest.Run(t, Aggregate, engagementID, []commandtest.Case[State]{
		{Name: "today", Given: given(planned, invited(ann), answered(ann, true)), When: on(heldOn(t, "2026-05-10", ann)),
			Then: given(heldOn(t, "2026-05-10", ann))},
		{Name: "recorded late", Given: given(planned), When: on(heldOn(t, "2026-04-30", ann, ben)), Then: given(heldOn(t, "2026-04-30", ann, ben))},
		{Name: "with attendees who were not invited", Given: given(planned, invited(ann)), When: on(heldOn(t, "2026-05-10", ann, cat)),
			Then: given(heldOn(t, "2026-05-10", ann, cat))},
		// No named attendee is recorded as an empty list, never null.
		{Name: "without named attendees", Given: given(planned), When: on(nobodyNamed),
			Then: given(&engagement.Held{HeldOn: today, AttendeeIDs: []string{}, UnnamedAttendees: 12})},
		{Name: "tomorrow", Given: given(planned), When: on(heldOn(t, "2026-05-11", ann)), Rejected: command.ErrInvalid},
		{Name: "held already", Given: given(planned, heldOn(t, "2026-05-09", ann)), When: on(heldOn(t, "2026-05-10", ann)),
			Rejected: command.ErrConflict},
		{Name: "cancelled", Given: given(planned, cancelled), When: on(heldOn(t, "2026-05-10", ann)), Rejected: command.ErrConflict},
		{Name: "cancelled, and tomorrow", Given: given(planned, cancelled), When: on(heldOn(t, "2026-05-11", ann)), Rejected: command.ErrConflict},
		{Name: "an unknown engagement", When: on(heldOn(t, "2026-05-10", ann)), Rejected: command.ErrNotFound},
	})
}

func TestProvideSupport(t *testing.T) {
	to := func(who string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return provideSupport(s, *support(who)) }
	}
	commandtest.Run(t, Aggregate, engagementID, []commandtest.Case[State]{
		{Name: "before it is held", Given: given(planned, invited(ann)), When: to(ann), Then: given(support(ann))},
		{Name: "after it was held", Given: given(planned, heldOn(t, "2026-05-09", ann)), When: to(ann), Then: given(support(ann))},
		{Name: "again", Given: given(planned, heldOn(t, "2026-05-09", ann), support(ann)), When: to(ann), Then: given(support(ann))},
		{Name: "to someone not invited", Given: given(planned), When: to(cat), Then: given(support(cat))},
		{Name: "cancelled", Given: given(planned, invited(ann), support(ann), cancelled), When: to(ann), Rejected: command.ErrConflict},
		{Name: "an unknown engagement", When: to(ann), Rejected: command.ErrNotFound},
	})
}

func TestCancel(t *testing.T) {
	when := func(s State) ([]events.Payload, error) { return cancel(s, *cancelled) }
	commandtest.Run(t, Aggregate, engagementID, []commandtest.Case[State]{
		{Name: "planned", Given: given(planned), When: when, Then: given(cancelled)},
		{Name: "with invitations answered", Given: given(planned, invited(ann), answered(ann, true)), When: when, Then: given(cancelled)},
		{Name: "held already", Given: given(planned, heldOn(t, "2026-05-09")), When: when, Rejected: command.ErrConflict},
		{Name: "cancelled already", Given: given(planned, cancelled), When: when, Rejected: command.ErrConflict},
		{Name: "an unknown engagement", When: when, Rejected: command.ErrNotFound},
	})
}

func TestPlannedOn(t *testing.T) {
	registered := &project.Registered{Programme: "South Tyneside", Name: "Waiting areas", Aim: "A calmer waiting area", Lead: "Sarah"}
	desk := &project.ElementAdded{ElementID: deskID, Name: "Reception desk"}
	signs := &project.ElementAdded{ElementID: signsID, Name: "Signage"}
	closed := &project.Closed{Summary: "Done"}
	on := func(elements ...string) engagement.Planned {
		p := *planned
		p.ElementIDs = elements
		return p
	}
	tests := []struct {
		name    string
		project []events.Payload
		planned engagement.Planned
		want    error
	}{
		{"the whole project", given(registered), on(), nil},
		{"one element", given(registered, desk, signs), on(deskID), nil},
		{"every element", given(registered, desk, signs), on(signsID, deskID), nil},
		{"an element of no project", given(registered, desk), on(deskID, signsID), command.ErrNotFound},
		{"a closed project", given(registered, desk, closed), on(deskID), command.ErrConflict},
		{"a closed project and an unknown element", given(registered, closed), on(signsID), command.ErrConflict},
		{"an unknown project", nil, on(), command.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proj := commandtest.Fold(t, projects.Aggregate, projectID, tt.project...)
			commandtest.Check(t, plannedOn(proj, tt.planned), tt.want)
		})
	}
}

func TestFold(t *testing.T) {
	got := commandtest.Fold(t, Aggregate, engagementID, planned, invited(ann), invited(ben), invited(cat),
		answered(ann, true), answered(ben, true), answered(ben, false), support(ann), heldOn(t, "2026-05-09", ann))
	yes, no := true, false
	want := State{
		ID: engagementID, Exists: true, ProjectID: projectID, ElementIDs: []string{deskID}, Held: true,
		Invited: map[string]*bool{ann: &yes, ben: &no, cat: nil},
	}
	if diff := commandtest.Diff(want, got); diff != "" {
		t.Errorf("Fold() (-want +got):\n%s", diff)
	}
}
