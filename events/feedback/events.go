package feedback

import (
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
)

// Event type names, as stored. Never rename one: history is kept under it.
const (
	TypeGiven     = "FeedbackGiven"
	TypeResponded = "FeedbackResponded"
	TypeRetracted = "FeedbackRetracted"
	TypeRedacted  = "FeedbackRedacted"
)

// StreamPrefix starts the name of every feedback stream.
const StreamPrefix = "feedback-"

// Stream returns the stream name of feedback id.
func Stream(id string) string { return StreamPrefix + id }

// Register adds every feedback event at its current schema version.
func Register(r *events.Registry) {
	r.RegisterAggregate(events.Aggregate{Name: "feedback", StreamPrefix: StreamPrefix},
		events.Version(2, func() events.Payload { return &Given{} }),
		events.Version(1, func() events.Payload { return &Responded{} }),
		events.Version(1, func() events.Payload { return &Retracted{} }),
		events.Version(1, func() events.Payload { return &Redacted{} }),
	)
	// Schema 1 kept the summary in the clear; schema 2 seals it.
	r.RegisterUpcaster(TypeGiven, 1, stakeholder.RenameField("summary", "legacy_summary"))
}

// RecordKeyID names the key that seals the summary of anonymous feedback
// id: a key of its own, which [Redacted] destroys.
func RecordKeyID(id string) string { return "feedback-" + id }

// Channels are the ways feedback arrives.
var Channels = []string{"engagement", "survey", "email", "letter", "phone", "online", "social_media", "in_person", "other"}

// Sentiments are the overall tone of a piece of feedback.
var Sentiments = []string{"positive", "neutral", "negative", "mixed"}

// Influences say how far feedback changed what was done.
var Influences = []string{"adopted", "partly_adopted", "not_adopted"}

// Given records feedback. StakeholderID is empty for anonymous feedback
// from the wider audience; EngagementID and ElementID are optional. The
// summary is free text that can name or identify people, so it is sealed
// (schema 2): under the author's key when they are named, so that it is
// erased with them, otherwise under a key of the feedback's own
// ([RecordKeyID]) that [Redacted] destroys.
type Given struct {
	ProjectID     string   `json:"project_id"`
	EngagementID  string   `json:"engagement_id,omitempty"`
	ElementID     string   `json:"element_id,omitempty"`
	StakeholderID string   `json:"stakeholder_id,omitempty"`
	Channel       string   `json:"channel"`
	Sentiment     string   `json:"sentiment"`
	Themes        []string `json:"themes"`
	// Summary is the sealed summary.
	Summary *stakeholder.Sealed `json:"summary,omitempty"`
	// LegacySummary is a summary recorded in the clear under schema 1.
	// Never written now.
	LegacySummary string `json:"legacy_summary,omitempty"`
}

// EventType implements [events.Payload].
func (*Given) EventType() string { return TypeGiven }

// Validate implements [events.Payload].
func (p *Given) Validate() error {
	var c events.Check
	p.checkDetails(&c)
	if p.Summary != nil {
		p.Summary.Check(&c, "summary")
	} else {
		c.Text("legacy_summary", p.LegacySummary)
	}
	return c.Err(TypeGiven)
}

// ValidatePlain checks everything but the sealed summary, and the plain
// summary before it is sealed.
func (p *Given) ValidatePlain(summary string) error {
	var c events.Check
	p.checkDetails(&c)
	c.Text("summary", summary)
	return c.Err(TypeGiven)
}

func (p *Given) checkDetails(c *events.Check) {
	c.ID("project_id", p.ProjectID)
	c.OptionalID("engagement_id", p.EngagementID)
	c.OptionalID("element_id", p.ElementID)
	c.OptionalID("stakeholder_id", p.StakeholderID)
	c.OneOf("channel", p.Channel, Channels)
	c.OneOf("sentiment", p.Sentiment, Sentiments)
	if len(p.Themes) > 50 {
		c.Fail("themes", "at most 50 themes")
	}
	for _, t := range p.Themes {
		c.Text("themes", t)
	}
}

// Anonymous reports whether nobody is named as the author.
func (p *Given) Anonymous() bool { return p.StakeholderID == "" }

// Responded records how the feedback influenced what was done, and why.
type Responded struct {
	Influence string `json:"influence"`
	Reason    string `json:"reason"`
}

// EventType implements [events.Payload].
func (*Responded) EventType() string { return TypeResponded }

// Validate implements [events.Payload].
func (p *Responded) Validate() error {
	var c events.Check
	c.OneOf("influence", p.Influence, Influences)
	c.Text("reason", p.Reason)
	return c.Err(TypeResponded)
}

// Retracted withdraws the feedback; it no longer counts anywhere.
type Retracted struct {
	Reason string `json:"reason"`
}

// EventType implements [events.Payload].
func (*Retracted) EventType() string { return TypeRetracted }

// Validate implements [events.Payload].
func (p *Retracted) Validate() error {
	var c events.Check
	c.Text("reason", p.Reason)
	return c.Err(TypeRetracted)
}

// Redacted records that the summary of anonymous feedback was shredded:
// its key destroyed, so that it can never be read again. Who did it is
// the envelope's actor; the reason says why, and must not itself name
// anybody.
type Redacted struct {
	Reason string `json:"reason"`
}

// EventType implements [events.Payload].
func (*Redacted) EventType() string { return TypeRedacted }

// Validate implements [events.Payload].
func (p *Redacted) Validate() error {
	var c events.Check
	c.Text("reason", p.Reason)
	return c.Err(TypeRedacted)
}
