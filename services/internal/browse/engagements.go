package browse

import (
	"net/http"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// Engagement statuses.
const (
	StatusPlanned   = "planned"
	StatusHeld      = "held"
	StatusCancelled = "cancelled"
)

// Engagement is an engagement as listed: what it was, whether it took
// place, and its attendance counted.
type Engagement struct {
	ID           string           `json:"id"`
	ProjectID    string           `json:"project_id"`
	ElementIDs   []string         `json:"element_ids"`
	Title        string           `json:"title"`
	Method       string           `json:"method"`
	Level        events.Level     `json:"level"`
	ScheduledFor time.Time        `json:"scheduled_for"`
	PlannedAt    time.Time        `json:"planned_at"`
	Status       string           `json:"status"`
	HeldOn       *events.Date     `json:"held_on"`
	CancelledAt  *time.Time       `json:"cancelled_at"`
	Counts       EngagementCounts `json:"counts"`
}

// EngagementCounts counts invitations, answers and attendance. Answers
// count each invitee's latest answer.
type EngagementCounts struct {
	Invited          int `json:"invited"`
	Accepted         int `json:"accepted"`
	Declined         int `json:"declined"`
	AttendedInvited  int `json:"attended_of_invited"`
	NamedAttendees   int `json:"named_attendees"`
	UnnamedAttendees int `json:"unnamed_attendees"`
}

// EngagementDetail adds who was invited and came, by stakeholder id only,
// and the support provided.
type EngagementDetail struct {
	Engagement
	Invitations []Invitation `json:"invitations"`
	AttendeeIDs []string     `json:"attendee_ids"`
	Support     []Support    `json:"support"`
	// Position is the store position the answer reflects.
	Position uint64 `json:"position"`
}

// Invitation is one stakeholder invited, with their latest answer
// (accepted null while unanswered).
type Invitation struct {
	StakeholderID string     `json:"stakeholder_id"`
	Channel       string     `json:"channel"`
	InvitedAt     time.Time  `json:"invited_at"`
	Accepted      *bool      `json:"accepted"`
	AnsweredAt    *time.Time `json:"answered_at"`
}

// Support is support provided to one person so they could take part.
type Support struct {
	StakeholderID string    `json:"stakeholder_id"`
	Kind          string    `json:"kind"`
	AmountPence   int64     `json:"amount_pence"`
	OccurredAt    time.Time `json:"occurred_at"`
}

func engagementFact(e *ledger.Engagement) ledger.Fact { return e.Fact }

func (s *Service) listEngagements(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, append([]string{"project"}, listParams...), func(l *ledger.Ledger, q *query) (any, error) {
		ids, err := q.projectFilter(l, l.EngagementOrder, func(p *ledger.Project) []string { return p.EngagementIDs })
		if err != nil {
			return nil, err
		}
		return paged(q, inOrder(q, ids, l.Engagements, engagementFact, nil), q.engagement), nil
	})
}

func (s *Service) showEngagement(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, readParams, func(l *ledger.Ledger, q *query) (any, error) {
		id := r.PathValue("id")
		en := l.Engagements.Get(id)
		if en == nil || !q.known(en.Fact) {
			return nil, q.notFound("engagement", id)
		}
		d := EngagementDetail{Engagement: q.engagement(en), Invitations: []Invitation{}, AttendeeIDs: []string{}, Support: []Support{},
			Position: q.position}
		for _, inv := range en.Invitations {
			if !q.known(inv.Fact) {
				continue
			}
			out := Invitation{StakeholderID: inv.StakeholderID, Channel: inv.Channel, InvitedAt: inv.OccurredAt()}
			if a := latestAnswer(q, inv); a != nil {
				accepted, at := a.Accepted, a.OccurredAt()
				out.Accepted, out.AnsweredAt = &accepted, &at
			}
			d.Invitations = append(d.Invitations, out)
		}
		if h := en.HeldAt(q.asOf); h != nil {
			d.AttendeeIDs = append(d.AttendeeIDs, h.AttendeeIDs...)
		}
		for _, sp := range en.Support {
			if q.known(sp.Fact) {
				d.Support = append(d.Support, Support{StakeholderID: sp.StakeholderID, Kind: sp.Kind, AmountPence: sp.AmountPence,
					OccurredAt: sp.OccurredAt()})
			}
		}
		return d, nil
	})
}

func latestAnswer(q *query, inv *ledger.Invitation) *ledger.Answer {
	var last *ledger.Answer
	for i := range inv.Answers {
		if q.known(inv.Answers[i].Fact) {
			last = &inv.Answers[i]
		}
	}
	return last
}

func (q *query) engagement(en *ledger.Engagement) Engagement {
	out := Engagement{
		ID: en.ID, ProjectID: en.ProjectID, ElementIDs: en.ElementIDs, Title: en.Title, Method: en.Method, Level: en.Level,
		ScheduledFor: en.ScheduledFor.UTC(), PlannedAt: en.Fact.OccurredAt(), Status: StatusPlanned,
	}
	if out.ElementIDs == nil {
		out.ElementIDs = []string{}
	}
	held := en.HeldAt(q.asOf)
	switch {
	case held != nil:
		out.Status = StatusHeld
		day := held.HeldOn
		out.HeldOn = &day
		out.Counts.NamedAttendees, out.Counts.UnnamedAttendees = len(held.AttendeeIDs), held.UnnamedAttendees
	case q.knownPtr(en.Cancelled):
		out.Status = StatusCancelled
		at := en.Cancelled.OccurredAt()
		out.CancelledAt = &at
	}
	for _, inv := range en.Invitations {
		if !q.known(inv.Fact) {
			continue
		}
		out.Counts.Invited++
		if a := latestAnswer(q, inv); a != nil {
			if a.Accepted {
				out.Counts.Accepted++
			} else {
				out.Counts.Declined++
			}
		}
		if held != nil && held.Attended(inv.StakeholderID) {
			out.Counts.AttendedInvited++
		}
	}
	return out
}
