package project

import (
	"fmt"

	"github.com/together-coop/together/events"
)

// Event type names, as stored. Never rename one: history is kept under it.
const (
	TypeRegistered         = "ProjectRegistered"
	TypeElementAdded       = "ProjectElementAdded"
	TypeDutyAssessed       = "InvolvementDutyAssessed"
	TypeInvolvementDecided = "InvolvementDecided"
	TypeClosed             = "ProjectClosed"
)

// StreamPrefix starts the name of every project stream.
const StreamPrefix = "project-"

// Stream returns the stream name of project id.
func Stream(id string) string { return StreamPrefix + id }

// Register adds every project event at its current schema version.
func Register(r *events.Registry) {
	r.RegisterAggregate(events.Aggregate{Name: "project", StreamPrefix: StreamPrefix},
		events.Version(1, func() events.Payload { return &Registered{} }),
		events.Version(1, func() events.Payload { return &ElementAdded{} }),
		events.Version(1, func() events.Payload { return &DutyAssessed{} }),
		events.Version(1, func() events.Payload { return &InvolvementDecided{} }),
		events.Version(1, func() events.Payload { return &Closed{} }),
	)
}

// Registered starts a project within a programme.
type Registered struct {
	Programme string `json:"programme"`
	Name      string `json:"name"`
	Aim       string `json:"aim"`
	Lead      string `json:"lead"`
}

// EventType implements [events.Payload].
func (*Registered) EventType() string { return TypeRegistered }

// Validate implements [events.Payload].
func (p *Registered) Validate() error {
	var c events.Check
	c.Text("programme", p.Programme)
	c.Text("name", p.Name)
	c.Text("aim", p.Aim)
	c.Text("lead", p.Lead)
	return c.Err(TypeRegistered)
}

// ElementAdded names a part of the project that could be co-produced,
// engaged or consulted on.
type ElementAdded struct {
	ElementID string `json:"element_id"`
	Name      string `json:"name"`
}

// EventType implements [events.Payload].
func (*ElementAdded) EventType() string { return TypeElementAdded }

// Validate implements [events.Payload].
func (p *ElementAdded) Validate() error {
	var c events.Check
	c.ID("element_id", p.ElementID)
	c.Text("name", p.Name)
	return c.Err(TypeElementAdded)
}

// DutyAssessed records whether the legal duty to involve people applies
// (for example NHS Act 2006 s14Z45 for ICBs, s242 for trusts) and why.
type DutyAssessed struct {
	Applies    bool   `json:"applies"`
	Basis      string `json:"basis"`
	AssessedBy string `json:"assessed_by"`
	Rationale  string `json:"rationale"`
}

// EventType implements [events.Payload].
func (*DutyAssessed) EventType() string { return TypeDutyAssessed }

// Validate implements [events.Payload].
func (p *DutyAssessed) Validate() error {
	var c events.Check
	c.Text("basis", p.Basis)
	c.Text("assessed_by", p.AssessedBy)
	c.Text("rationale", p.Rationale)
	return c.Err(TypeDutyAssessed)
}

// DecisionRight says who holds which decision right on an element, so the
// balance of power is agreed and visible from the outset.
type DecisionRight struct {
	Holder string `json:"holder"`
	Right  string `json:"right"`
}

// InvolvementDecided sets the involvement level of one element.
type InvolvementDecided struct {
	ElementID string       `json:"element_id"`
	Level     events.Level `json:"level"`
	// PreviousLevel is the element's level before this decision, empty for
	// its first decision.
	PreviousLevel  events.Level    `json:"previous_level,omitempty"`
	Rationale      string          `json:"rationale"`
	DecidedBy      string          `json:"decided_by"`
	DecisionRights []DecisionRight `json:"decision_rights"`
	Expectations   string          `json:"expectations"`
}

// EventType implements [events.Payload].
func (*InvolvementDecided) EventType() string { return TypeInvolvementDecided }

// Validate implements [events.Payload].
func (p *InvolvementDecided) Validate() error {
	var c events.Check
	c.ID("element_id", p.ElementID)
	c.Level("level", p.Level)
	if p.PreviousLevel != "" && !p.PreviousLevel.Valid() {
		c.Fail("previous_level", "%q is not a level (want one of %v)", p.PreviousLevel, events.Levels)
	}
	c.Text("rationale", p.Rationale)
	c.Text("decided_by", p.DecidedBy)
	for i, r := range p.DecisionRights {
		c.Text(fmt.Sprintf("decision_rights[%d].holder", i), r.Holder)
		c.Text(fmt.Sprintf("decision_rights[%d].right", i), r.Right)
	}
	c.OptionalText("expectations", p.Expectations)
	return c.Err(TypeInvolvementDecided)
}

// Closed ends the project; nothing more is recorded on it.
type Closed struct {
	Summary string `json:"summary"`
}

// EventType implements [events.Payload].
func (*Closed) EventType() string { return TypeClosed }

// Validate implements [events.Payload].
func (p *Closed) Validate() error {
	var c events.Check
	c.Text("summary", p.Summary)
	return c.Err(TypeClosed)
}
