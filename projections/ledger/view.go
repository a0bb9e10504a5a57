package ledger

import (
	"time"

	"github.com/together-coop/together/events"
)

// RolesKnownAt returns the stakeholder's roles as known at asOf, or nil if the
// stakeholder was not yet known.
func (s *Stakeholder) RolesKnownAt(asOf time.Time) []events.Role {
	var roles []events.Role
	for _, r := range s.Roles {
		if r.KnownAt(asOf) {
			roles = r.Roles
		}
	}
	return roles
}

// AcceptedAt reports whether the invitation's latest answer known at asOf
// is yes.
func (inv *Invitation) AcceptedAt(asOf time.Time) bool {
	accepted := false
	for _, a := range inv.Answers {
		if a.KnownAt(asOf) {
			accepted = a.Accepted
		}
	}
	return accepted
}

// HeldAt returns the engagement's attendance if it was known at asOf.
func (en *Engagement) HeldAt(asOf time.Time) *Held {
	if en.Held != nil && en.Held.KnownAt(asOf) {
		return en.Held
	}
	return nil
}

// Attended reports whether the stakeholder is a named attendee.
func (h *Held) Attended(stakeholderID string) bool {
	for _, a := range h.AttendeeIDs {
		if a == stakeholderID {
			return true
		}
	}
	return false
}

// RetractedAt reports whether the feedback's retraction was known at asOf.
func (fb *Feedback) RetractedAt(asOf time.Time) bool {
	return fb.Retracted != nil && fb.Retracted.KnownAt(asOf)
}

// DueOnAt returns the due date in force at asOf (recorded time).
func (a *Action) DueOnAt(asOf time.Time) events.Date {
	due := a.DueOn
	for _, r := range a.Reschedules {
		if r.KnownAt(asOf) {
			due = r.DueOn
		}
	}
	return due
}

// DueOnBefore returns the due date in force just before the event at
// position: the due date a completion is judged against.
func (a *Action) DueOnBefore(position uint64) events.Date {
	due := a.DueOn
	for _, r := range a.Reschedules {
		if r.Position < position {
			due = r.DueOn
		}
	}
	return due
}

// CompletedAt returns the completion if known at asOf.
func (a *Action) CompletedAt(asOf time.Time) *Completion {
	if a.Completed != nil && a.Completed.KnownAt(asOf) {
		return a.Completed
	}
	return nil
}

// DroppedAt reports whether the drop was known at asOf.
func (a *Action) DroppedAt(asOf time.Time) bool {
	return a.Dropped != nil && a.Dropped.KnownAt(asOf)
}

// RescheduledAt reports whether any reschedule was known at asOf.
func (a *Action) RescheduledAt(asOf time.Time) bool {
	return len(a.Reschedules) > 0 && a.Reschedules[0].KnownAt(asOf)
}

// FirstCommunicationAfterCompletion returns the earliest (by business
// time) communication known at asOf that was recorded after the completion
// known at asOf: the moment the loop closed, or nil.
func (a *Action) FirstCommunicationAfterCompletion(asOf time.Time) *Fact {
	c := a.CompletedAt(asOf)
	if c == nil {
		return nil
	}
	var first *Fact
	for i := range a.Communications {
		f := &a.Communications[i]
		if f.KnownAt(asOf) && f.Position > c.Position && (first == nil || f.OccurredAt().Before(first.OccurredAt())) {
			first = f
		}
	}
	return first
}

// CurrentLevel returns the element's level after the last decision known
// at asOf, or "" if none.
func (el *Element) CurrentLevel(asOf time.Time) events.Level {
	var level events.Level
	for _, d := range el.Decisions {
		if d.KnownAt(asOf) {
			level = d.Level
		}
	}
	return level
}

// EngagementsOf returns the engagements of the projects, project by
// project, each in the order planned.
func (l *Ledger) EngagementsOf(projects []*Project) []*Engagement {
	return of(projects, func(p *Project) []string { return p.EngagementIDs }, l.Engagements)
}

// FeedbackOf returns the feedback on the projects, in the order given.
func (l *Ledger) FeedbackOf(projects []*Project) []*Feedback {
	return of(projects, func(p *Project) []string { return p.FeedbackIDs }, l.Feedback)
}

// ActionsOf returns the actions of the projects, in the order agreed.
func (l *Ledger) ActionsOf(projects []*Project) []*Action {
	return of(projects, func(p *Project) []string { return p.ActionIDs }, l.Actions)
}

// of looks up, project by project, the entities whose ids ids lists.
func of[T any](projects []*Project, ids func(*Project) []string, byID Index[*T]) []*T {
	var out []*T
	for _, p := range projects {
		for _, id := range ids(p) {
			out = append(out, byID.Get(id))
		}
	}
	return out
}

// DutyAt returns the duty-to-involve assessment in force: the last one
// known at asOf that occurred before end (nil: no end), or nil.
func (p *Project) DutyAt(asOf time.Time, end *time.Time) *DutyAssessment {
	var in *DutyAssessment
	for i := range p.Duty {
		d := &p.Duty[i]
		if d.KnownAt(asOf) && (end == nil || d.OccurredAt().Before(*end)) {
			in = d
		}
	}
	return in
}

// ResponseAt returns the response in force at asOf (the last one known),
// or nil if none was recorded.
func (fb *Feedback) ResponseAt(asOf time.Time) *Response {
	var in *Response
	for i := range fb.Responses {
		if fb.Responses[i].KnownAt(asOf) {
			in = &fb.Responses[i]
		}
	}
	return in
}

// FirstResponseAt returns the earliest response known at asOf, the
// moment the feedback was first answered, or nil.
func (fb *Feedback) FirstResponseAt(asOf time.Time) *Response {
	for i := range fb.Responses {
		if fb.Responses[i].KnownAt(asOf) {
			return &fb.Responses[i]
		}
	}
	return nil
}

// DemographicsAt returns the sealed declaration in force at asOf, or nil.
func (s *Stakeholder) DemographicsAt(asOf time.Time) *SealedAt {
	var in *SealedAt
	for i := range s.Demographics {
		if s.Demographics[i].KnownAt(asOf) {
			in = &s.Demographics[i]
		}
	}
	return in
}

// ConsentAt reports whether consent for scope was in force at asOf: the
// last change known for that scope gave it.
func (s *Stakeholder) ConsentAt(asOf time.Time, scope string) bool {
	given := false
	for _, c := range s.Consent {
		if c.Scope == scope && c.KnownAt(asOf) {
			given = c.Given
		}
	}
	return given
}

// ErasedAt reports whether the person's erasure was known at asOf.
func (s *Stakeholder) ErasedAt(asOf time.Time) bool {
	return s.Erased != nil && s.Erased.KnownAt(asOf)
}

// CancelledAt reports whether the cancellation was known at asOf.
func (en *Engagement) CancelledAt(asOf time.Time) bool {
	return en.Cancelled != nil && en.Cancelled.KnownAt(asOf)
}

// Moment is when the engagement belongs in a report's window: the
// business time of its holding if known at asOf, else when it was
// scheduled for.
func (en *Engagement) Moment(asOf time.Time) time.Time {
	if h := en.HeldAt(asOf); h != nil {
		return h.OccurredAt()
	}
	return en.ScheduledFor
}

// OwnerAt returns the action's owner as known at asOf: the owner it was
// agreed with, or the last reassignment known.
func (a *Action) OwnerAt(asOf time.Time) string {
	owner := a.Owner
	for _, r := range a.Reassignments {
		if r.KnownAt(asOf) {
			owner = r.Owner
		}
	}
	return owner
}
