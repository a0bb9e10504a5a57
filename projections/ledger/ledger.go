// Package ledger folds the event history into the entities the reports are
// computed from — projects and their elements and decisions, stakeholders
// and their roles over time, engagements, feedback and actions — keeping
// for every fact when it occurred and when it was recorded, so that any
// report can be computed as of any past moment and over any window.
//
// The ledger is pure and deterministic: the same events applied in the
// same order give the same ledger. A ledger is one version of the
// history: [Ledger.Next] freezes it and returns the version to apply the
// following events to, which shares all that did not change. A frozen
// ledger never changes again, so any number of goroutines may read it —
// compute reports, encode a snapshot — while the next one is applied.
package ledger

import (
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
)

// Fact stamps something that happened: its place in the global order, its
// business time and the time the system learned of it. There is one for
// nearly every event, so it keeps the times as numbers in UTC rather than
// as time.Time: 32 bytes rather than 56, and nothing for the garbage
// collector to follow. Make one with [NewFact]; read the times with
// [Fact.OccurredAt] and [Fact.RecordedAt].
type Fact struct {
	Position uint64
	// Recorded is in Unix nanoseconds, as the ledger's [Stamp]s are: the
	// store sets it, now, so it lies in their range (1677 to 2262).
	Recorded int64
	// Occurred and OccurredNanos are Unix seconds and nanoseconds: the
	// writer chose the business time, which may lie in any year.
	Occurred      int64
	OccurredNanos int32
}

// NewFact returns the fact of an event at position that occurred and was
// recorded at the times given.
func NewFact(position uint64, occurred, recorded time.Time) Fact {
	return Fact{Position: position, Recorded: recorded.UnixNano(), Occurred: occurred.Unix(), OccurredNanos: int32(occurred.Nanosecond())}
}

// OccurredAt returns the business time of the fact, in UTC.
func (f Fact) OccurredAt() time.Time { return time.Unix(f.Occurred, int64(f.OccurredNanos)).UTC() }

// RecordedAt returns when the fact was recorded, in UTC.
func (f Fact) RecordedAt() time.Time { return time.Unix(0, f.Recorded).UTC() }

// KnownAt reports whether the fact was recorded at or before asOf.
func (f Fact) KnownAt(asOf time.Time) bool { return !f.RecordedAt().After(asOf) }

// Ledger is every entity of the history, as of one position.
type Ledger struct {
	Projects     Index[*Project]
	Stakeholders Index[*Stakeholder]
	Engagements  Index[*Engagement]
	Feedback     Index[*Feedback]
	Actions      Index[*Action]

	// In the order they were registered, so reports list them stably.
	ProjectOrder     []string
	StakeholderOrder []string
	EngagementOrder  []string
	FeedbackOrder    []string
	ActionOrder      []string

	// Position is the last position applied, LastEvent its event's id:
	// kept as the UUID, as every event sets it, and printed only when
	// asked.
	Position  uint64
	LastEvent uuid.UUID
	// Recorded lists (recorded time, position) of every applied event, so
	// the position a report reflects as of a moment is a search.
	Recorded Stamps
	// PeopleRevised is the last event that may change what a report says
	// through the people it refers to: any stakeholder event the ledger
	// folds but the registration of someone nothing refers to yet. With
	// each project's Revised it tells a report computed before whether it
	// still holds.
	PeopleRevised Stamp

	// unknownPeople holds the stakeholders something referred to before
	// the ledger knew them: their registration may change a report. The
	// write side checks that a person exists, but writers append to
	// different streams at once, so the log may name someone a moment
	// before their registration.
	unknownPeople Index[bool]
	// readers holds, by the id of an engagement, a piece of feedback or an
	// action, the other projects whose reports read it: those that named
	// it as it belonged to another project, or before it was known. The
	// write side refuses such names; a ledger must still answer truly, so
	// an event on the entity revises them too.
	readers Index[[]string]

	// gen is this version's generation: entities and index nodes of the
	// same gen were made for it and change in place as it is applied;
	// older ones are shared with frozen versions and are copied first.
	gen uint64
	// frozen is set by Next: the ledger is published and must not change.
	frozen bool

	// What the ledger makes one of for many events is made in slabs.
	// People are not: they are few beside what they take part in, and an
	// erasure changes a person, whose place before would keep what was
	// sealed for them for as long as the slab lives.
	engagements slab[Engagement]
	invitations slab[Invitation]
	answers     slab[Answer]
	feedback    slab[Feedback]
	actions     slab[Action]
}

// edition is the generation an entity was made or copied for, which
// decides whether applying an event may change it in place. gob leaves
// it out of snapshots: a restored ledger is generation zero throughout.
type edition struct{ gen uint64 }

func (e *edition) editionOf() *edition { return e }

// Stamp is when one event was recorded and where it landed. There is one
// for every event, so At is Unix nanoseconds: a third of a time.Time, and
// nothing for the garbage collector to follow.
type Stamp struct {
	At       int64
	Position uint64
}

// Project is a project with its elements.
type Project struct {
	edition
	ID        string
	Fact      Fact
	Programme string
	Name      string
	Aim       string
	Lead      string
	Elements  []*Element
	// elementsGen is the generation Elements was last copied for: within
	// it, an item may be replaced in place.
	elementsGen uint64
	Closed      *Fact
	// Duty lists the duty-to-involve assessments, in order; the last one
	// known is in force.
	Duty []DutyAssessment
	// The project's engagements, feedback and actions, in order, so that
	// a report on one project reads only what is its own.
	EngagementIDs []string
	FeedbackIDs   []string
	ActionIDs     []string
	// Revised is the last event that changed the project or anything of
	// its own (an element, engagement, piece of feedback or action): a
	// report on the project computed at or after it still holds while
	// Revised and the ledger's PeopleRevised stay the same.
	Revised Stamp
}

// DutyAssessment is one assessment of whether the legal duty to involve
// applies to a project.
type DutyAssessment struct {
	Fact
	project.DutyAssessed
}

// Element is a part of a project and the involvement decided on it.
type Element struct {
	edition
	ID        string
	ProjectID string
	Name      string
	Fact      Fact
	Decisions []Decision
	// EngagementIDs and FeedbackIDs link the engagements planned on the
	// element and the feedback given on it.
	EngagementIDs []string
	FeedbackIDs   []string
}

// Decision is one involvement decision on an element.
type Decision struct {
	Fact
	project.InvolvementDecided
}

// Stakeholder is a person and their roles over time, with what the
// reports may know about them: their sealed demographics (which only the
// services can open), support needs, consent and erasure.
type Stakeholder struct {
	edition
	ID    string
	Fact  Fact
	Roles []RolesAt
	// CurrentExperience and RecruitmentChannel are as registered: no
	// event changes them.
	CurrentExperience  bool
	RecruitmentChannel string
	// Demographics lists the sealed declarations, in order; the last one
	// known is in force.
	Demographics []SealedAt
	SupportNeeds []SupportNeed
	Consent      []ConsentChange
	Erased       *Fact
}

// SealedAt is one sealed declaration of demographics.
type SealedAt struct {
	Fact
	Sealed stakeholder.Sealed
}

// SupportNeed is an adjustment a person said they need to take part.
type SupportNeed struct {
	Fact
	Need string
}

// ConsentChange gives (Given) or withdraws consent for one scope.
type ConsentChange struct {
	Fact
	Scope string
	Given bool
}

// RolesAt is the set of roles a stakeholder held from a fact on.
type RolesAt struct {
	Fact
	Roles []events.Role
}

// Engagement is an activity with its invitations and, once held, attendance.
type Engagement struct {
	edition
	ID         string
	ProjectID  string
	ElementIDs []string
	Title      string
	Method     string
	Level      events.Level
	// ScheduledFor is when it was planned to take place: the moment a
	// report's window places it by until it is held.
	ScheduledFor time.Time
	Fact         Fact
	Invitations  []*Invitation
	// invitationsGen is the generation Invitations was last copied for.
	invitationsGen uint64
	Held           *Held
	Support        []Support
	Cancelled      *Fact
}

// Support is support provided to one person so they could take part.
type Support struct {
	Fact
	StakeholderID string
	Kind          string
	AmountPence   int64
}

// Invitation is one stakeholder invited to one engagement, with answers.
type Invitation struct {
	edition
	Fact
	StakeholderID string
	Channel       string
	Answers       []Answer
}

// Answer is a yes or no to an invitation.
type Answer struct {
	Fact
	Accepted bool
}

// Held is the day an engagement took place and who came.
type Held struct {
	Fact
	HeldOn           events.Date
	AttendeeIDs      []string
	UnnamedAttendees int
}

// Feedback is one piece of feedback.
type Feedback struct {
	edition
	ID            string
	ProjectID     string
	EngagementID  string
	ElementID     string
	StakeholderID string
	Channel       string
	Sentiment     string
	Themes        []string
	Fact          Fact
	Retracted     *Fact
	// Responses lists the recorded responses (what the feedback
	// influenced and why), in order; the last one known is in force.
	Responses []Response
	// ActionIDs lists the actions agreed from it, in order.
	ActionIDs []string
}

// Response is a recorded answer to feedback: how far it was adopted, and
// why.
type Response struct {
	Fact
	Influence string
	Reason    string
}

// Action is an action with its due dates, completion and communications.
type Action struct {
	edition
	ID           string
	ProjectID    string
	FeedbackIDs  []string
	EngagementID string
	Description  string
	// Owner is the owner the action was agreed with; Reassignments
	// hand it on.
	Owner          string
	Reassignments  []Reassignment
	Fact           Fact
	DueOn          events.Date
	Reschedules    []Reschedule
	Completed      *Completion
	Dropped        *Fact
	Communications []Fact
}

// Reassignment handed an action to a new owner.
type Reassignment struct {
	Fact
	Owner string
}

// Reschedule moved an action's due date.
type Reschedule struct {
	Fact
	DueOn events.Date
}

// Completion is when an action was done.
type Completion struct {
	Fact
	CompletedOn events.Date
	Outcome     string
}

// New returns an empty ledger.
func New() *Ledger { return &Ledger{} }

// Next freezes l and returns the ledger to apply the events after it to.
// l stays exactly as it is, for readers; it must not be applied to again,
// and it has one next only: two would share what each appends.
func (l *Ledger) Next() *Ledger {
	if l.frozen {
		panic("ledger: Next of a frozen ledger")
	}
	next := *l
	next.gen = l.gen + 1
	l.frozen = true
	return &next
}

var (
	earliestStamp = time.Unix(0, math.MinInt64)
	latestStamp   = time.Unix(0, math.MaxInt64)
)

// PositionAt returns the last position recorded at or before asOf, the
// position a report as of that moment reflects.
func (l *Ledger) PositionAt(asOf time.Time) uint64 {
	// Unix nanoseconds reach from 1677 to 2262: beyond them, every event
	// or none.
	var at int64
	switch {
	case asOf.Before(earliestStamp):
		return 0
	case asOf.After(latestStamp):
		at = math.MaxInt64
	default:
		at = asOf.UnixNano()
	}
	return l.Recorded.PositionAt(at)
}

// Apply folds one event into the ledger. Events must come in global order;
// an event naming an entity the ledger has not seen is ignored, as the
// write side never stores one. Apply never changes what a frozen ledger
// holds: what it changes of an older generation it copies first.
func (l *Ledger) Apply(e events.Envelope, p events.Payload) {
	if l.frozen {
		panic("ledger: Apply to a frozen ledger")
	}
	f := NewFact(e.Position, e.OccurredAt, e.RecordedAt)
	l.Position = e.Position
	l.LastEvent = e.ID
	stamp := Stamp{At: e.RecordedAt.UnixNano(), Position: e.Position}
	l.Recorded.Append(stamp)
	id := streamID(e.Stream)
	switch p := p.(type) {
	case *project.Registered:
		l.Projects = l.Projects.set(l.gen, id, &Project{edition: edition{l.gen}, ID: id, Fact: f,
			Programme: p.Programme, Name: p.Name, Aim: p.Aim, Lead: p.Lead})
		l.ProjectOrder = append(l.ProjectOrder, id)
	case *project.ElementAdded:
		if pr := edit(&l.Projects, l.gen, id); pr != nil {
			pr.Elements = append(pr.Elements, &Element{edition: edition{l.gen}, ID: p.ElementID, ProjectID: pr.ID, Name: p.Name, Fact: f})
		}
	case *project.InvolvementDecided:
		if el := l.editElement(id, p.ElementID); el != nil {
			el.Decisions = append(el.Decisions, Decision{Fact: f, InvolvementDecided: *p})
		}
	case *project.DutyAssessed:
		if pr := edit(&l.Projects, l.gen, id); pr != nil {
			pr.Duty = append(pr.Duty, DutyAssessment{Fact: f, DutyAssessed: *p})
		}
	case *project.Closed:
		if pr := edit(&l.Projects, l.gen, id); pr != nil {
			pr.Closed = &f
		}
	case *stakeholder.Registered:
		l.Stakeholders = l.Stakeholders.set(l.gen, id, &Stakeholder{edition: edition{l.gen}, ID: id, Fact: f,
			Roles: []RolesAt{{Fact: f, Roles: p.Roles}}, CurrentExperience: p.CurrentExperience, RecruitmentChannel: p.RecruitmentChannel})
		l.StakeholderOrder = append(l.StakeholderOrder, id)
	case *stakeholder.RolesChanged:
		if s := edit(&l.Stakeholders, l.gen, id); s != nil {
			s.Roles = append(s.Roles, RolesAt{Fact: f, Roles: p.Roles})
		}
	case *stakeholder.DemographicsDeclared:
		if s := edit(&l.Stakeholders, l.gen, id); s != nil {
			s.Demographics = append(s.Demographics, SealedAt{Fact: f, Sealed: p.Demographics})
		}
	case *stakeholder.SupportNeedRecorded:
		if s := edit(&l.Stakeholders, l.gen, id); s != nil {
			s.SupportNeeds = append(s.SupportNeeds, SupportNeed{Fact: f, Need: p.Need})
		}
	case *stakeholder.ConsentRecorded:
		if s := edit(&l.Stakeholders, l.gen, id); s != nil {
			s.Consent = append(s.Consent, ConsentChange{Fact: f, Scope: p.Scope, Given: true})
		}
	case *stakeholder.ConsentWithdrawn:
		if s := edit(&l.Stakeholders, l.gen, id); s != nil {
			s.Consent = append(s.Consent, ConsentChange{Fact: f, Scope: p.Scope})
		}
	case *stakeholder.Erased:
		if s := l.Stakeholders.Get(id); s != nil && s.Erased == nil {
			s = edit(&l.Stakeholders, l.gen, id)
			s.Erased = &f
			// Their key is destroyed: what was sealed under it can never be
			// opened again, so it is not kept, nor snapshotted from this
			// version on. Frozen versions keep it until their readers let go
			// of them, and a snapshot of one written meanwhile keeps it
			// (still sealed) until the next snapshot.
			s.Demographics = nil
		}
	case *engagement.Planned:
		for i, eid := range p.ElementIDs {
			p.ElementIDs[i] = l.elementID(p.ProjectID, eid)
		}
		l.Engagements = l.Engagements.set(l.gen, id, l.engagements.keep(Engagement{edition: edition{l.gen}, ID: id, ProjectID: l.projectID(p.ProjectID),
			ElementIDs: p.ElementIDs, Title: p.Title, Method: p.Method, Level: p.Level, ScheduledFor: p.ScheduledFor, Fact: f}))
		l.EngagementOrder = append(l.EngagementOrder, id)
		if pr := edit(&l.Projects, l.gen, p.ProjectID); pr != nil {
			pr.EngagementIDs = append(pr.EngagementIDs, id)
		}
		for _, eid := range p.ElementIDs {
			if el := l.editElement(p.ProjectID, eid); el != nil {
				el.EngagementIDs = append(el.EngagementIDs, id)
			}
		}
	case *engagement.StakeholderInvited:
		if en := edit(&l.Engagements, l.gen, id); en != nil {
			en.Invitations = append(en.Invitations, l.invitations.keep(Invitation{edition: edition{l.gen}, Fact: f,
				StakeholderID: l.stakeholderID(p.StakeholderID), Channel: p.Channel}))
		}
	case *engagement.InvitationAnswered:
		if inv := l.editInvitation(id, p.StakeholderID); inv != nil {
			if answer := (Answer{Fact: f, Accepted: p.Accepted}); inv.Answers == nil {
				inv.Answers = l.answers.one(answer) // most are answered once
			} else {
				inv.Answers = append(inv.Answers, answer)
			}
		}
	case *engagement.Held:
		if en := edit(&l.Engagements, l.gen, id); en != nil {
			for i, sid := range p.AttendeeIDs {
				p.AttendeeIDs[i] = l.stakeholderID(sid)
			}
			en.Held = &Held{Fact: f, HeldOn: p.HeldOn, AttendeeIDs: p.AttendeeIDs, UnnamedAttendees: p.UnnamedAttendees}
		}
	case *engagement.SupportProvided:
		if en := edit(&l.Engagements, l.gen, id); en != nil {
			en.Support = append(en.Support, Support{Fact: f, StakeholderID: l.stakeholderID(p.StakeholderID), Kind: p.Kind, AmountPence: p.AmountPence})
		}
	case *engagement.Cancelled:
		if en := edit(&l.Engagements, l.gen, id); en != nil {
			en.Cancelled = &f
		}
	case *feedback.Given:
		fb := l.feedback.keep(Feedback{edition: edition{l.gen}, ID: id, ProjectID: l.projectID(p.ProjectID),
			EngagementID: l.engagementID(p.EngagementID), ElementID: l.elementID(p.ProjectID, p.ElementID),
			StakeholderID: l.stakeholderID(p.StakeholderID), Channel: p.Channel, Sentiment: p.Sentiment, Themes: p.Themes, Fact: f})
		l.Feedback = l.Feedback.set(l.gen, id, fb)
		l.FeedbackOrder = append(l.FeedbackOrder, id)
		if pr := edit(&l.Projects, l.gen, p.ProjectID); pr != nil {
			pr.FeedbackIDs = append(pr.FeedbackIDs, id)
		}
		if el := l.editElement(p.ProjectID, p.ElementID); el != nil {
			el.FeedbackIDs = append(el.FeedbackIDs, id)
		}
		l.noteFeedbackReads(fb)
	case *feedback.Responded:
		if fb := edit(&l.Feedback, l.gen, id); fb != nil {
			fb.Responses = append(fb.Responses, Response{Fact: f, Influence: p.Influence, Reason: p.Reason})
		}
	case *feedback.Retracted:
		if fb := edit(&l.Feedback, l.gen, id); fb != nil {
			fb.Retracted = &f
		}
	case *action.Agreed:
		for i, fid := range p.FeedbackIDs {
			p.FeedbackIDs[i] = l.feedbackID(fid)
		}
		a := l.actions.keep(Action{edition: edition{l.gen}, ID: id, ProjectID: l.projectID(p.ProjectID),
			FeedbackIDs: p.FeedbackIDs, EngagementID: l.engagementID(p.EngagementID), Description: p.Description,
			Owner: p.Owner, Fact: f, DueOn: p.DueOn})
		l.Actions = l.Actions.set(l.gen, id, a)
		l.ActionOrder = append(l.ActionOrder, id)
		if pr := edit(&l.Projects, l.gen, p.ProjectID); pr != nil {
			pr.ActionIDs = append(pr.ActionIDs, id)
		}
		for _, fid := range p.FeedbackIDs {
			if fb := edit(&l.Feedback, l.gen, fid); fb != nil {
				fb.ActionIDs = append(fb.ActionIDs, id)
			}
		}
		l.noteActionReads(a)
	case *action.Reassigned:
		if a := edit(&l.Actions, l.gen, id); a != nil {
			a.Reassignments = append(a.Reassignments, Reassignment{Fact: f, Owner: p.Owner})
		}
	case *action.Rescheduled:
		if a := edit(&l.Actions, l.gen, id); a != nil {
			a.Reschedules = append(a.Reschedules, Reschedule{Fact: f, DueOn: p.DueOn})
		}
	case *action.Completed:
		if a := edit(&l.Actions, l.gen, id); a != nil {
			a.Completed = &Completion{Fact: f, CompletedOn: p.CompletedOn, Outcome: p.Outcome}
		}
	case *action.Dropped:
		if a := edit(&l.Actions, l.gen, id); a != nil {
			a.Dropped = &f
		}
	case *action.OutcomeCommunicated:
		if a := edit(&l.Actions, l.gen, id); a != nil {
			a.Communications = append(a.Communications, f)
		}
	}
	l.revise(id, p, stamp)
}

// noteFeedbackReads notes that the project of fb reads its engagement,
// if that is another project's or unknown.
func (l *Ledger) noteFeedbackReads(fb *Feedback) {
	if fb != nil {
		l.noteRead(fb.ProjectID, fb.EngagementID, l.engagementProject(fb.EngagementID))
	}
}

// noteActionReads notes what the project of a reads beyond its own (its
// engagement, its feedback), and that a project whose feedback it answers
// reads a.
func (l *Ledger) noteActionReads(a *Action) {
	if a == nil {
		return
	}
	l.noteRead(a.ProjectID, a.EngagementID, l.engagementProject(a.EngagementID))
	for _, fid := range a.FeedbackIDs {
		owner := ""
		if fb := l.Feedback.Get(fid); fb != nil {
			owner = fb.ProjectID
			l.noteRead(owner, a.ID, a.ProjectID)
		}
		l.noteRead(a.ProjectID, fid, owner)
	}
}

// noteRead notes that project reads the entity id, which belongs to owner
// ("" while unknown).
func (l *Ledger) noteRead(project, id, owner string) {
	if id == "" || owner == project {
		return
	}
	readers := l.readers.Get(id)
	if !slices.Contains(readers, project) {
		l.readers = l.readers.set(l.gen, id, append(slices.Clip(readers), project))
	}
}

func (l *Ledger) engagementProject(id string) string {
	if en := l.Engagements.Get(id); en != nil {
		return en.ProjectID
	}
	return ""
}

// revise stamps what the event may change the reports of: its project
// and the other projects that read its entity, or the people the reports
// refer to, or nothing (a seal, or an event the ledger does not fold).
func (l *Ledger) revise(id string, p events.Payload, stamp Stamp) {
	switch p.(type) {
	case *stakeholder.Registered:
		if l.unknownPeople.Get(id) {
			l.PeopleRevised = stamp
		}
	case *stakeholder.RolesChanged, *stakeholder.DemographicsDeclared, *stakeholder.SupportNeedRecorded,
		*stakeholder.ConsentRecorded, *stakeholder.ConsentWithdrawn, *stakeholder.Erased:
		l.PeopleRevised = stamp
	default:
		l.reviseProject(l.projectOf(id, p), stamp)
		for _, reader := range l.readers.Get(id) {
			l.reviseProject(reader, stamp)
		}
	}
}

func (l *Ledger) reviseProject(id string, stamp Stamp) {
	if id == "" {
		return
	}
	if pr := edit(&l.Projects, l.gen, id); pr != nil {
		pr.Revised = stamp
	}
}

// projectOf returns the project whose reports an event on the stream of
// id may change, or "" for an event of no project.
func (l *Ledger) projectOf(id string, p events.Payload) string {
	switch p := p.(type) {
	case *engagement.Planned:
		return p.ProjectID
	case *feedback.Given:
		return p.ProjectID
	case *action.Agreed:
		return p.ProjectID
	}
	switch p.(type) {
	case *project.Registered, *project.ElementAdded, *project.InvolvementDecided, *project.DutyAssessed, *project.Closed:
		return id
	case *engagement.StakeholderInvited, *engagement.InvitationAnswered, *engagement.Held, *engagement.SupportProvided,
		*engagement.Cancelled:
		if en := l.Engagements.Get(id); en != nil {
			return en.ProjectID
		}
	case *feedback.Responded, *feedback.Retracted:
		if fb := l.Feedback.Get(id); fb != nil {
			return fb.ProjectID
		}
	case *action.Reassigned, *action.Rescheduled, *action.Completed, *action.Dropped, *action.OutcomeCommunicated:
		if a := l.Actions.Get(id); a != nil {
			return a.ProjectID
		}
	}
	return ""
}

// editable is an entity that carries its edition.
type editable[E any] interface {
	*E
	editionOf() *edition
}

// owned returns e itself if it was made for generation gen, else a copy
// made for gen, and whether it copied. A copy shares the original's
// lists, which is safe for appending: what is appended lies beyond the
// lengths the original's readers see.
func owned[E any, P editable[E]](e P, gen uint64) (P, bool) {
	if e.editionOf().gen == gen {
		return e, false
	}
	c := P(new(E))
	*c = *e
	c.editionOf().gen = gen
	return c, true
}

// edit returns the entity with the id ready to be changed, set in the
// index in place of the original if it is a copy, or nil if the index
// has none.
func edit[E any, P editable[E]](x *Index[P], gen uint64, id string) P {
	e, ok := x.lookup(id)
	if !ok {
		return nil
	}
	e, copied := owned(e, gen)
	if copied {
		*x = x.set(gen, id, e)
	}
	return e
}

// editItem returns the item at i of *list ready to be changed. A copy
// goes into the list, which is copied first unless listGen says it was
// already copied for this generation: frozen versions still read the
// original through the original list, and a batch that changes many
// items of one list copies it once.
func editItem[E any, P editable[E]](list *[]P, listGen *uint64, i int, gen uint64) P {
	it, copied := owned((*list)[i], gen)
	if copied {
		if *listGen != gen {
			*list, *listGen = slices.Clone(*list), gen
		}
		(*list)[i] = it
	}
	return it
}

// editElement returns an element of a project ready to be changed, with
// the project.
func (l *Ledger) editElement(projectID, elementID string) *Element {
	pr := l.Projects.Get(projectID)
	if pr == nil {
		return nil
	}
	i := slices.IndexFunc(pr.Elements, func(el *Element) bool { return el.ID == elementID })
	if i < 0 {
		return nil
	}
	pr = edit(&l.Projects, l.gen, projectID)
	return editItem(&pr.Elements, &pr.elementsGen, i, l.gen)
}

// editInvitation returns the latest invitation of the stakeholder to the
// engagement ready to be changed, with the engagement.
func (l *Ledger) editInvitation(engagementID, stakeholderID string) *Invitation {
	en := l.Engagements.Get(engagementID)
	if en == nil {
		return nil
	}
	i := len(en.Invitations) - 1
	for i >= 0 && en.Invitations[i].StakeholderID != stakeholderID {
		i--
	}
	if i < 0 {
		return nil
	}
	en = edit(&l.Engagements, l.gen, engagementID)
	return editItem(&en.Invitations, &en.invitationsGen, i, l.gen)
}

// projectID, stakeholderID, engagementID, feedbackID and elementID return
// the ledger's own copy of an id a payload refers to, when it knows the
// entity: the decoded payload's copy would otherwise be kept once for every
// reference (an invitation, an attendee, a piece of feedback), a third of
// what the ledger holds.
func (l *Ledger) projectID(id string) string {
	if pr := l.Projects.Get(id); pr != nil {
		return pr.ID
	}
	return id
}

func (l *Ledger) stakeholderID(id string) string {
	if s := l.Stakeholders.Get(id); s != nil {
		return s.ID
	}
	if id != "" && !l.unknownPeople.Get(id) {
		l.unknownPeople = l.unknownPeople.set(l.gen, id, true)
	}
	return id
}

func (l *Ledger) engagementID(id string) string {
	if en := l.Engagements.Get(id); en != nil {
		return en.ID
	}
	return id
}

func (l *Ledger) feedbackID(id string) string {
	if fb := l.Feedback.Get(id); fb != nil {
		return fb.ID
	}
	return id
}

func (l *Ledger) elementID(projectID, id string) string {
	if el := l.element(projectID, id); el != nil {
		return el.ID
	}
	return id
}

func (l *Ledger) element(projectID, elementID string) *Element {
	pr := l.Projects.Get(projectID)
	if pr == nil {
		return nil
	}
	for _, el := range pr.Elements {
		if el.ID == elementID {
			return el
		}
	}
	return nil
}

// aggregates are the catalogue's, read once: a table, never written.
var aggregates = catalogue.Aggregates()

// streamID returns the id part of "<aggregate prefix><id>", as the
// catalogue declares the prefixes.
func streamID(stream string) string {
	for _, a := range aggregates {
		if id := a.ID(stream); id != "" {
			return id
		}
	}
	return stream
}
