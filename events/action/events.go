package action

import "github.com/together-coop/together/events"

// Event type names, as stored. Never rename one: history is kept under it.
const (
	TypeAgreed              = "ActionAgreed"
	TypeReassigned          = "ActionReassigned"
	TypeRescheduled         = "ActionRescheduled"
	TypeCompleted           = "ActionCompleted"
	TypeDropped             = "ActionDropped"
	TypeOutcomeCommunicated = "OutcomeCommunicated"
)

// StreamPrefix starts the name of every action stream.
const StreamPrefix = "action-"

// Stream returns the stream name of action id.
func Stream(id string) string { return StreamPrefix + id }

// Register adds every action event at its current schema version.
func Register(r *events.Registry) {
	r.RegisterAggregate(events.Aggregate{Name: "action", StreamPrefix: StreamPrefix},
		events.Version(1, func() events.Payload { return &Agreed{} }),
		events.Version(1, func() events.Payload { return &Reassigned{} }),
		events.Version(1, func() events.Payload { return &Rescheduled{} }),
		events.Version(1, func() events.Payload { return &Completed{} }),
		events.Version(1, func() events.Payload { return &Dropped{} }),
		events.Version(1, func() events.Payload { return &OutcomeCommunicated{} }),
	)
}

// Audiences are who an outcome is communicated to.
var Audiences = []string{"contributors", "participants", "wider_public", "staff", "board"}

// CommunicationChannels are the ways an outcome is communicated.
var CommunicationChannels = []string{"email", "letter", "meeting", "newsletter", "website", "social_media", "phone", "other"}

// Agreed records a new action.
type Agreed struct {
	ProjectID    string      `json:"project_id"`
	FeedbackIDs  []string    `json:"feedback_ids"`
	EngagementID string      `json:"engagement_id,omitempty"`
	Description  string      `json:"description"`
	Owner        string      `json:"owner"`
	DueOn        events.Date `json:"due_on"`
}

// EventType implements [events.Payload].
func (*Agreed) EventType() string { return TypeAgreed }

// Validate implements [events.Payload].
func (p *Agreed) Validate() error {
	var c events.Check
	c.ID("project_id", p.ProjectID)
	c.OptionalIDs("feedback_ids", p.FeedbackIDs)
	c.OptionalID("engagement_id", p.EngagementID)
	c.Text("description", p.Description)
	c.Text("owner", p.Owner)
	c.Date("due_on", p.DueOn)
	return c.Err(TypeAgreed)
}

// Reassigned hands the action to a new owner.
type Reassigned struct {
	Owner string `json:"owner"`
}

// EventType implements [events.Payload].
func (*Reassigned) EventType() string { return TypeReassigned }

// Validate implements [events.Payload].
func (p *Reassigned) Validate() error {
	var c events.Check
	c.Text("owner", p.Owner)
	return c.Err(TypeReassigned)
}

// Rescheduled moves the due date.
type Rescheduled struct {
	DueOn  events.Date `json:"due_on"`
	Reason string      `json:"reason"`
}

// EventType implements [events.Payload].
func (*Rescheduled) EventType() string { return TypeRescheduled }

// Validate implements [events.Payload].
func (p *Rescheduled) Validate() error {
	var c events.Check
	c.Date("due_on", p.DueOn)
	c.Text("reason", p.Reason)
	return c.Err(TypeRescheduled)
}

// Completed records that the action was done.
type Completed struct {
	CompletedOn events.Date `json:"completed_on"`
	Outcome     string      `json:"outcome"`
}

// EventType implements [events.Payload].
func (*Completed) EventType() string { return TypeCompleted }

// Validate implements [events.Payload].
func (p *Completed) Validate() error {
	var c events.Check
	c.Date("completed_on", p.CompletedOn)
	c.Text("outcome", p.Outcome)
	return c.Err(TypeCompleted)
}

// Dropped records that the action will not be done.
type Dropped struct {
	Reason string `json:"reason"`
}

// EventType implements [events.Payload].
func (*Dropped) EventType() string { return TypeDropped }

// Validate implements [events.Payload].
func (p *Dropped) Validate() error {
	var c events.Check
	c.Text("reason", p.Reason)
	return c.Err(TypeDropped)
}

// OutcomeCommunicated records that the outcome was fed back.
type OutcomeCommunicated struct {
	Audience string `json:"audience"`
	Channel  string `json:"channel"`
}

// EventType implements [events.Payload].
func (*OutcomeCommunicated) EventType() string { return TypeOutcomeCommunicated }

// Validate implements [events.Payload].
func (p *OutcomeCommunicated) Validate() error {
	var c events.Check
	c.OneOf("audience", p.Audience, Audiences)
	c.OneOf("channel", p.Channel, CommunicationChannels)
	return c.Err(TypeOutcomeCommunicated)
}
