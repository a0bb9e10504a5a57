package engagement

import (
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
)

// Event type names, as stored. Never rename one: history is kept under it.
const (
	TypePlanned            = "EngagementPlanned"
	TypeStakeholderInvited = "StakeholderInvited"
	TypeInvitationAnswered = "InvitationAnswered"
	TypeHeld               = "EngagementHeld"
	TypeSupportProvided    = "SupportProvided"
	TypeCancelled          = "EngagementCancelled"
)

// StreamPrefix starts the name of every engagement stream.
const StreamPrefix = "engagement-"

// Stream returns the stream name of engagement id.
func Stream(id string) string { return StreamPrefix + id }

// Register adds every engagement event at its current schema version.
func Register(r *events.Registry) {
	r.RegisterAggregate(events.Aggregate{Name: "engagement", StreamPrefix: StreamPrefix},
		events.Version(1, func() events.Payload { return &Planned{} }),
		events.Version(1, func() events.Payload { return &StakeholderInvited{} }),
		events.Version(2, func() events.Payload { return &InvitationAnswered{} }),
		events.Version(1, func() events.Payload { return &Held{} }),
		events.Version(1, func() events.Payload { return &SupportProvided{} }),
		events.Version(1, func() events.Payload { return &Cancelled{} }),
	)
	// Schema 1 kept the answer's reason in the clear; schema 2 seals it.
	r.RegisterUpcaster(TypeInvitationAnswered, 1, stakeholder.RenameField("reason", "legacy_reason"))
}

// Methods are the kinds of engagement activity.
var Methods = []string{"workshop", "co_production_event", "focus_group", "survey", "interview", "online_board", "meeting"}

// InvitationChannels are the ways an invitation is sent.
var InvitationChannels = []string{"email", "letter", "phone", "in_person", "text", "community_organisation", "other"}

// SupportKinds are the kinds of reciprocity and adjustment provided.
var SupportKinds = []string{"travel", "childcare", "interpreter", "payment", "other"}

// MaxUnnamedAttendees bounds the count of attendees not recorded by name.
const MaxUnnamedAttendees = 100_000

// Planned records a planned activity on some elements of a project.
type Planned struct {
	ProjectID    string       `json:"project_id"`
	ElementIDs   []string     `json:"element_ids"`
	Title        string       `json:"title"`
	Method       string       `json:"method"`
	Level        events.Level `json:"level"`
	ScheduledFor time.Time    `json:"scheduled_for"`
}

// EventType implements [events.Payload].
func (*Planned) EventType() string { return TypePlanned }

// Validate implements [events.Payload].
func (p *Planned) Validate() error {
	var c events.Check
	c.ID("project_id", p.ProjectID)
	c.OptionalIDs("element_ids", p.ElementIDs)
	c.Text("title", p.Title)
	c.OneOf("method", p.Method, Methods)
	c.Level("level", p.Level)
	c.Time("scheduled_for", p.ScheduledFor)
	return c.Err(TypePlanned)
}

// StakeholderInvited records an invitation.
type StakeholderInvited struct {
	StakeholderID string `json:"stakeholder_id"`
	Channel       string `json:"channel"`
}

// EventType implements [events.Payload].
func (*StakeholderInvited) EventType() string { return TypeStakeholderInvited }

// Validate implements [events.Payload].
func (p *StakeholderInvited) Validate() error {
	var c events.Check
	c.ID("stakeholder_id", p.StakeholderID)
	c.OneOf("channel", p.Channel, InvitationChannels)
	return c.Err(TypeStakeholderInvited)
}

// InvitationAnswered records an invitee's yes or no; a later answer
// replaces an earlier one. The reason often says something about the
// person (illness, caring, work), so it is sealed under their key and
// erased with them (schema 2).
type InvitationAnswered struct {
	StakeholderID string `json:"stakeholder_id"`
	Accepted      bool   `json:"accepted"`
	// Reason, if given, is sealed under the invitee's key.
	Reason *stakeholder.Sealed `json:"reason,omitempty"`
	// LegacyReason is a reason recorded in the clear under schema 1.
	// Never written now.
	LegacyReason string `json:"legacy_reason,omitempty"`
}

// EventType implements [events.Payload].
func (*InvitationAnswered) EventType() string { return TypeInvitationAnswered }

// Validate implements [events.Payload].
func (p *InvitationAnswered) Validate() error {
	var c events.Check
	c.ID("stakeholder_id", p.StakeholderID)
	if p.Reason != nil {
		p.Reason.Check(&c, "reason")
	}
	c.OptionalText("legacy_reason", p.LegacyReason)
	return c.Err(TypeInvitationAnswered)
}

// ValidateAnswer checks an answer and its plain reason before the reason
// is sealed.
func ValidateAnswer(stakeholderID, reason string) error {
	var c events.Check
	c.ID("stakeholder_id", stakeholderID)
	c.OptionalText("reason", reason)
	return c.Err(TypeInvitationAnswered)
}

// Held records that the activity took place and who came: named attendees
// are registered stakeholders, unnamed ones are only counted.
type Held struct {
	HeldOn           events.Date `json:"held_on"`
	AttendeeIDs      []string    `json:"attendee_ids"`
	UnnamedAttendees int         `json:"unnamed_attendees"`
}

// EventType implements [events.Payload].
func (*Held) EventType() string { return TypeHeld }

// Validate implements [events.Payload].
func (p *Held) Validate() error {
	var c events.Check
	c.Date("held_on", p.HeldOn)
	c.OptionalIDs("attendee_ids", p.AttendeeIDs)
	if p.UnnamedAttendees < 0 || p.UnnamedAttendees > MaxUnnamedAttendees {
		c.Fail("unnamed_attendees", "must be between 0 and %d", MaxUnnamedAttendees)
	}
	return c.Err(TypeHeld)
}

// SupportProvided records support given so a person could take part.
type SupportProvided struct {
	StakeholderID string `json:"stakeholder_id"`
	Kind          string `json:"kind"`
	AmountPence   int64  `json:"amount_pence"`
}

// EventType implements [events.Payload].
func (*SupportProvided) EventType() string { return TypeSupportProvided }

// Validate implements [events.Payload].
func (p *SupportProvided) Validate() error {
	var c events.Check
	c.ID("stakeholder_id", p.StakeholderID)
	c.OneOf("kind", p.Kind, SupportKinds)
	if p.AmountPence < 0 || p.AmountPence > 100_000_000 {
		c.Fail("amount_pence", "must be between 0 and 100000000")
	}
	return c.Err(TypeSupportProvided)
}

// Cancelled records that the activity will not take place.
type Cancelled struct {
	Reason string `json:"reason"`
}

// EventType implements [events.Payload].
func (*Cancelled) EventType() string { return TypeCancelled }

// Validate implements [events.Payload].
func (p *Cancelled) Validate() error {
	var c events.Check
	c.Text("reason", p.Reason)
	return c.Err(TypeCancelled)
}
