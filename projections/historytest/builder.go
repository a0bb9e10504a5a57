// Package historytest builds event histories for tests and benchmarks of
// the reports: a [Builder] to write a scenario step by step, [Story], the
// small programme whose every figure the report tests compute by hand,
// and [Generate], a large realistic programme for benchmarks.
package historytest

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/ledger"
)

// Event is one event of a built history, with its decoded payload.
type Event struct {
	Envelope events.Envelope
	Payload  events.Payload
}

// Builder appends events in global order. Each event occurs and is
// recorded at the builder's clock unless [Builder.BackDated] says
// otherwise.
type Builder struct {
	Events   []Event
	now      time.Time
	occurred time.Time // zero: occurred == recorded
	versions map[string]uint64
	registry *events.Registry
}

// NewBuilder starts a history whose clock reads start.
func NewBuilder(start time.Time) *Builder {
	return &Builder{now: start, versions: map[string]uint64{}, registry: catalogue.New()}
}

// At sets the clock: the next events occur and are recorded at t.
func (b *Builder) At(t time.Time) *Builder {
	b.now, b.occurred = t, time.Time{}
	return b
}

// BackDated makes the next events occur at t while still being recorded
// at the clock's time, as a back-dated command is.
func (b *Builder) BackDated(t time.Time) *Builder {
	b.occurred = t
	return b
}

func (b *Builder) add(stream string, p events.Payload) {
	b.versions[stream]++
	occurred := b.now
	if !b.occurred.IsZero() {
		occurred = b.occurred
	}
	data, err := json.Marshal(p)
	if err != nil {
		panic(err) // payload types always marshal
	}
	b.Events = append(b.Events, Event{
		Envelope: events.Envelope{
			ID:            uuid.Must(uuid.NewV7()),
			Type:          p.EventType(),
			SchemaVersion: b.registry.SchemaVersion(p.EventType()),
			Stream:        stream,
			StreamVersion: b.versions[stream],
			Position:      uint64(len(b.Events) + 1),
			OccurredAt:    occurred,
			RecordedAt:    b.now,
			Actor:         "historytest",
			Payload:       data,
		},
		Payload: p,
	})
}

// Ledger applies every event to a new ledger.
func (b *Builder) Ledger() *ledger.Ledger { return LedgerOf(b.Events) }

// LedgerOf applies evs to a new ledger, in order.
func LedgerOf(evs []Event) *ledger.Ledger {
	l := ledger.New()
	for _, e := range evs {
		l.Apply(e.Envelope, e.Payload)
	}
	return l
}

// Project registers a project.
func (b *Builder) Project(id, programme, name string) *Builder {
	b.add(project.Stream(id), &project.Registered{Programme: programme, Name: name, Aim: "aim of " + name, Lead: "lead"})
	return b
}

// Element adds an element to a project.
func (b *Builder) Element(projectID, id, name string) *Builder {
	b.add(project.Stream(projectID), &project.ElementAdded{ElementID: id, Name: name})
	return b
}

// Decide records an involvement decision.
func (b *Builder) Decide(projectID, elementID string, level, previous events.Level, by, rationale string) *Builder {
	b.add(project.Stream(projectID), &project.InvolvementDecided{
		ElementID: elementID, Level: level, PreviousLevel: previous, DecidedBy: by, Rationale: rationale,
		DecisionRights: []project.DecisionRight{{Holder: "service users", Right: "shape the " + elementID}},
	})
	return b
}

// Stakeholder registers a person with roles.
func (b *Builder) Stakeholder(id string, roles ...events.Role) *Builder {
	b.add(stakeholder.Stream(id), &stakeholder.Registered{Roles: roles, RecruitmentChannel: "advert",
		PII: stakeholder.Sealed{KeyID: id, Nonce: []byte{1}, Ciphertext: []byte{2}}})
	return b
}

// Roles changes a person's roles.
func (b *Builder) Roles(id string, roles ...events.Role) *Builder {
	b.add(stakeholder.Stream(id), &stakeholder.RolesChanged{Roles: roles})
	return b
}

// Plan plans an engagement scheduled for the clock's time.
func (b *Builder) Plan(id, projectID string, level events.Level, method string, elementIDs ...string) *Builder {
	return b.PlanFor(b.now, id, projectID, level, method, elementIDs...)
}

// PlanFor plans an engagement scheduled for when.
func (b *Builder) PlanFor(when time.Time, id, projectID string, level events.Level, method string, elementIDs ...string) *Builder {
	if elementIDs == nil {
		elementIDs = []string{}
	}
	b.add(engagement.Stream(id), &engagement.Planned{ProjectID: projectID, ElementIDs: elementIDs, Title: id,
		Method: method, Level: level, ScheduledFor: when})
	return b
}

// Invite invites a person to an engagement.
func (b *Builder) Invite(id, stakeholderID string) *Builder {
	b.add(engagement.Stream(id), &engagement.StakeholderInvited{StakeholderID: stakeholderID, Channel: "email"})
	return b
}

// Answer records a yes or no.
func (b *Builder) Answer(id, stakeholderID string, accepted bool) *Builder {
	b.add(engagement.Stream(id), &engagement.InvitationAnswered{StakeholderID: stakeholderID, Accepted: accepted})
	return b
}

// Hold records an engagement held on the clock's day.
func (b *Builder) Hold(id string, unnamed int, attendees ...string) *Builder {
	if attendees == nil {
		attendees = []string{}
	}
	day := b.now
	if !b.occurred.IsZero() {
		day = b.occurred
	}
	b.add(engagement.Stream(id), &engagement.Held{HeldOn: events.DateOf(day), AttendeeIDs: attendees, UnnamedAttendees: unnamed})
	return b
}

// Cancel cancels an engagement.
func (b *Builder) Cancel(id string) *Builder {
	b.add(engagement.Stream(id), &engagement.Cancelled{Reason: "cancelled"})
	return b
}

// Feedback records feedback; stakeholderID "" is anonymous.
func (b *Builder) Feedback(id, projectID, engagementID, elementID, stakeholderID string, themes ...string) *Builder {
	if themes == nil {
		themes = []string{}
	}
	b.add(feedback.Stream(id), &feedback.Given{ProjectID: projectID, EngagementID: engagementID, ElementID: elementID,
		StakeholderID: stakeholderID, Channel: "engagement", Sentiment: "mixed", Themes: themes,
		Summary: &stakeholder.Sealed{KeyID: feedback.RecordKeyID(id), Nonce: []byte{1}, Ciphertext: []byte("feedback " + id)}})
	return b
}

// Respond records the answer to feedback.
func (b *Builder) Respond(id, influence, reason string) *Builder {
	b.add(feedback.Stream(id), &feedback.Responded{Influence: influence, Reason: reason})
	return b
}

// Duty records a duty-to-involve assessment.
func (b *Builder) Duty(projectID string, applies bool, basis string) *Builder {
	b.add(project.Stream(projectID), &project.DutyAssessed{Applies: applies, Basis: basis, AssessedBy: "Programme office",
		Rationale: "assessed for " + projectID})
	return b
}

// Declare records a person's demographics. historytest seals nothing:
// the "ciphertext" is the JSON of d, which [Open] reads back, so tests
// can supply demographics the way the services do without keys.
func (b *Builder) Declare(id string, d stakeholder.Demographics) *Builder {
	data, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	b.add(stakeholder.Stream(id), &stakeholder.DemographicsDeclared{Demographics: stakeholder.Sealed{KeyID: id, Nonce: []byte{1}, Ciphertext: data}})
	return b
}

// Open opens what [Builder.Declare] sealed; it is a
// representativeness.Opener.
func Open(sealed map[string]stakeholder.Sealed) map[string]stakeholder.Demographics {
	opened := make(map[string]stakeholder.Demographics, len(sealed))
	for id, s := range sealed {
		var d stakeholder.Demographics
		if s.KeyID == id && json.Unmarshal(s.Ciphertext, &d) == nil {
			opened[id] = d
		}
	}
	return opened
}

// Need records a support need.
func (b *Builder) Need(id, need string) *Builder {
	b.add(stakeholder.Stream(id), &stakeholder.SupportNeedRecorded{Need: need})
	return b
}

// Consent gives (or, with given false, withdraws) consent for scope.
func (b *Builder) Consent(id, scope string, given bool) *Builder {
	if given {
		b.add(stakeholder.Stream(id), &stakeholder.ConsentRecorded{Scope: scope})
	} else {
		b.add(stakeholder.Stream(id), &stakeholder.ConsentWithdrawn{Scope: scope})
	}
	return b
}

// Erase erases a person.
func (b *Builder) Erase(id string) *Builder {
	b.add(stakeholder.Stream(id), &stakeholder.Erased{Reason: &stakeholder.Sealed{KeyID: id, Nonce: []byte{1}, Ciphertext: []byte("asked to be forgotten")}})
	return b
}

// Support records support given to a person for an engagement.
func (b *Builder) Support(id, stakeholderID, kind string, pence int64) *Builder {
	b.add(engagement.Stream(id), &engagement.SupportProvided{StakeholderID: stakeholderID, Kind: kind, AmountPence: pence})
	return b
}

// Retract retracts feedback.
func (b *Builder) Retract(id string) *Builder {
	b.add(feedback.Stream(id), &feedback.Retracted{Reason: "retracted"})
	return b
}

// Agree agrees an action due on due.
func (b *Builder) Agree(id, projectID string, due time.Time, feedbackIDs ...string) *Builder {
	if feedbackIDs == nil {
		feedbackIDs = []string{}
	}
	b.add(action.Stream(id), &action.Agreed{ProjectID: projectID, FeedbackIDs: feedbackIDs, Description: "action " + id,
		Owner: "owner", DueOn: events.DateOf(due)})
	return b
}

// Reassign hands an action to a new owner.
func (b *Builder) Reassign(id, owner string) *Builder {
	b.add(action.Stream(id), &action.Reassigned{Owner: owner})
	return b
}

// Reschedule moves an action's due date.
func (b *Builder) Reschedule(id string, due time.Time) *Builder {
	b.add(action.Stream(id), &action.Rescheduled{DueOn: events.DateOf(due), Reason: "later"})
	return b
}

// Complete completes an action on the clock's day.
func (b *Builder) Complete(id string) *Builder {
	b.add(action.Stream(id), &action.Completed{CompletedOn: events.DateOf(b.now), Outcome: "done: " + id})
	return b
}

// Drop drops an action.
func (b *Builder) Drop(id string) *Builder {
	b.add(action.Stream(id), &action.Dropped{Reason: "dropped"})
	return b
}

// Communicate records that an action's outcome was fed back.
func (b *Builder) Communicate(id string) *Builder {
	b.add(action.Stream(id), &action.OutcomeCommunicated{Audience: "contributors", Channel: "email"})
	return b
}

func streamOfEngagement(id string) string { return engagement.Stream(id) }

func supportPayload(stakeholderID string) events.Payload {
	return &engagement.SupportProvided{StakeholderID: stakeholderID, Kind: "travel", AmountPence: 450}
}
