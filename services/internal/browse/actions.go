package browse

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/services/internal/problem"
)

// Action states. An open action whose due date in force has passed is
// also overdue.
const (
	StateOpen      = "open"
	StateOverdue   = "overdue"
	StateCompleted = "completed"
	StateDropped   = "dropped"
)

// States are what the state= filter of the action list takes.
var States = []string{StateOpen, StateOverdue, StateCompleted, StateDropped}

// Action is an action as listed: its owner and due date in force, its
// state, and whether its outcome was fed back.
type Action struct {
	ID           string      `json:"id"`
	ProjectID    string      `json:"project_id"`
	FeedbackIDs  []string    `json:"feedback_ids"`
	EngagementID *string     `json:"engagement_id"`
	Description  string      `json:"description"`
	Owner        string      `json:"owner"`
	AgreedAt     time.Time   `json:"agreed_at"`
	DueOn        events.Date `json:"due_on"`
	// State is open, completed or dropped; Overdue marks an open action
	// past its due date.
	State       string       `json:"state"`
	Overdue     bool         `json:"overdue"`
	CompletedOn *events.Date `json:"completed_on"`
	Outcome     *string      `json:"outcome"`
	DroppedAt   *time.Time   `json:"dropped_at"`
	// OutcomeCommunicatedAt is when the outcome was first fed back after
	// the completion: the moment the loop closed.
	OutcomeCommunicatedAt *time.Time `json:"outcome_communicated_at"`
}

// ActionDetail adds the history of due dates, owners and communications.
type ActionDetail struct {
	Action
	Reschedules    []Reschedule    `json:"reschedules"`
	Reassignments  []Reassignment  `json:"reassignments"`
	Communications []Communication `json:"communications"`
	// Position is the store position the answer reflects.
	Position uint64 `json:"position"`
}

// Reschedule moved the due date.
type Reschedule struct {
	DueOn      events.Date `json:"due_on"`
	OccurredAt time.Time   `json:"occurred_at"`
}

// Reassignment handed the action on.
type Reassignment struct {
	Owner      string    `json:"owner"`
	OccurredAt time.Time `json:"occurred_at"`
}

// Communication is one time the outcome was fed back.
type Communication struct {
	OccurredAt time.Time `json:"occurred_at"`
}

func actionFact(a *ledger.Action) ledger.Fact { return a.Fact }

func (s *Service) listActions(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, append([]string{"project", "state"}, listParams...), func(l *ledger.Ledger, q *query) (any, error) {
		state := q.param("state")
		if state != "" && !slices.Contains(States, state) {
			return nil, problem.Invalid("state", "state must be one of %s, not %q", strings.Join(States, ", "), state)
		}
		ids, err := q.projectFilter(l, l.ActionOrder, func(p *ledger.Project) []string { return p.ActionIDs })
		if err != nil {
			return nil, err
		}
		keep := func(a *ledger.Action) bool {
			if state == "" {
				return true
			}
			st, overdue := q.state(a)
			return st == state || (state == StateOverdue && overdue)
		}
		return paged(q, inOrder(q, ids, l.Actions, actionFact, keep), q.action), nil
	})
}

func (s *Service) showAction(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, readParams, func(l *ledger.Ledger, q *query) (any, error) {
		id := r.PathValue("id")
		a := l.Actions.Get(id)
		if a == nil || !q.known(a.Fact) {
			return nil, q.notFound("action", id)
		}
		d := ActionDetail{Action: q.action(a), Reschedules: []Reschedule{}, Reassignments: []Reassignment{}, Communications: []Communication{},
			Position: q.position}
		for _, rs := range a.Reschedules {
			if q.known(rs.Fact) {
				d.Reschedules = append(d.Reschedules, Reschedule{DueOn: rs.DueOn, OccurredAt: rs.OccurredAt()})
			}
		}
		for _, ra := range a.Reassignments {
			if q.known(ra.Fact) {
				d.Reassignments = append(d.Reassignments, Reassignment{Owner: ra.Owner, OccurredAt: ra.OccurredAt()})
			}
		}
		for _, c := range a.Communications {
			if q.known(c) {
				d.Communications = append(d.Communications, Communication{OccurredAt: c.OccurredAt()})
			}
		}
		return d, nil
	})
}

// state returns the action's state at the moment read, and whether an
// open action is overdue (its due date in force before today, as the
// follow-through report judges it).
func (q *query) state(a *ledger.Action) (string, bool) {
	switch {
	case a.CompletedAt(q.asOf) != nil:
		return StateCompleted, false
	case a.DroppedAt(q.asOf):
		return StateDropped, false
	default:
		return StateOpen, a.DueOnAt(q.asOf).Before(q.today())
	}
}

func (q *query) action(a *ledger.Action) Action {
	out := Action{
		ID: a.ID, ProjectID: a.ProjectID, FeedbackIDs: a.FeedbackIDs, EngagementID: optional(a.EngagementID),
		Description: a.Description, Owner: a.OwnerAt(q.asOf), AgreedAt: a.Fact.OccurredAt(), DueOn: a.DueOnAt(q.asOf),
	}
	if out.FeedbackIDs == nil {
		out.FeedbackIDs = []string{}
	}
	out.State, out.Overdue = q.state(a)
	if c := a.CompletedAt(q.asOf); c != nil {
		day, outcome := c.CompletedOn, c.Outcome
		out.CompletedOn, out.Outcome = &day, &outcome
	}
	if a.DroppedAt(q.asOf) {
		at := a.Dropped.OccurredAt()
		out.DroppedAt = &at
	}
	if f := a.FirstCommunicationAfterCompletion(q.asOf); f != nil {
		at := f.OccurredAt()
		out.OutcomeCommunicatedAt = &at
	}
	return out
}
