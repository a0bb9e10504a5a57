package browse

import (
	"net/http"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/ledger"
)

// Project is a project as listed.
type Project struct {
	ID           string        `json:"id"`
	Programme    string        `json:"programme"`
	Name         string        `json:"name"`
	Aim          string        `json:"aim"`
	Lead         string        `json:"lead"`
	RegisteredAt time.Time     `json:"registered_at"`
	ClosedAt     *time.Time    `json:"closed_at"`
	Counts       ProjectCounts `json:"counts"`
}

// ProjectCounts counts what a project holds.
type ProjectCounts struct {
	Elements    int `json:"elements"`
	Engagements int `json:"engagements"`
	Feedback    int `json:"feedback"`
	Actions     int `json:"actions"`
}

// ProjectDetail is one project with its elements, the involvement
// decided on each and the duty-to-involve assessment in force.
type ProjectDetail struct {
	Project
	Elements []Element `json:"elements"`
	Duty     *Duty     `json:"duty"`
	// Position is the store position the answer reflects.
	Position uint64 `json:"position"`
}

// Element is a part of a project with its current level (null before
// the first decision) and every decision on it, in order.
type Element struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	AddedAt   time.Time     `json:"added_at"`
	Level     *events.Level `json:"level"`
	Decisions []Decision    `json:"decisions"`
}

// Decision is one involvement decision.
type Decision struct {
	OccurredAt     time.Time               `json:"occurred_at"`
	RecordedAt     time.Time               `json:"recorded_at"`
	Level          events.Level            `json:"level"`
	PreviousLevel  *events.Level           `json:"previous_level"`
	Rationale      string                  `json:"rationale"`
	DecidedBy      string                  `json:"decided_by"`
	DecisionRights []project.DecisionRight `json:"decision_rights"`
	Expectations   string                  `json:"expectations"`
}

// Duty is the assessment in force of whether the legal duty to involve
// people applies.
type Duty struct {
	Applies    bool      `json:"applies"`
	Basis      string    `json:"basis"`
	AssessedBy string    `json:"assessed_by"`
	Rationale  string    `json:"rationale"`
	OccurredAt time.Time `json:"occurred_at"`
}

func (s *Service) listProjects(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, append([]string{"programme"}, listParams...), func(l *ledger.Ledger, q *query) (any, error) {
		programme := q.param("programme")
		keep := func(p *ledger.Project) bool {
			return programme == "" || projections.SameProgramme(p.Programme, programme)
		}
		fact := func(p *ledger.Project) ledger.Fact { return p.Fact }
		return paged(q, inOrder(q, l.ProjectOrder, l.Projects, fact, keep), func(p *ledger.Project) Project {
			return q.project(l, p)
		}), nil
	})
}

func (s *Service) showProject(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, readParams, func(l *ledger.Ledger, q *query) (any, error) {
		id := r.PathValue("id")
		p := l.Projects.Get(id)
		if p == nil || !q.known(p.Fact) {
			return nil, q.notFound("project", id)
		}
		d := ProjectDetail{Project: q.project(l, p), Elements: []Element{}, Position: q.position}
		for _, el := range p.Elements {
			if q.known(el.Fact) {
				d.Elements = append(d.Elements, q.element(el))
			}
		}
		if duty := p.DutyAt(q.asOf, nil); duty != nil {
			d.Duty = &Duty{Applies: duty.Applies, Basis: duty.Basis, AssessedBy: duty.AssessedBy, Rationale: duty.Rationale,
				OccurredAt: duty.OccurredAt()}
		}
		return d, nil
	})
}

func (q *query) project(l *ledger.Ledger, p *ledger.Project) Project {
	out := Project{ID: p.ID, Programme: p.Programme, Name: p.Name, Aim: p.Aim, Lead: p.Lead, RegisteredAt: p.Fact.OccurredAt()}
	if q.knownPtr(p.Closed) {
		at := p.Closed.OccurredAt()
		out.ClosedAt = &at
	}
	for _, el := range p.Elements {
		if q.known(el.Fact) {
			out.Counts.Elements++
		}
	}
	out.Counts.Engagements = countKnown(q, p.EngagementIDs, l.Engagements, func(e *ledger.Engagement) ledger.Fact { return e.Fact })
	out.Counts.Feedback = countKnown(q, p.FeedbackIDs, l.Feedback, func(f *ledger.Feedback) ledger.Fact { return f.Fact })
	out.Counts.Actions = countKnown(q, p.ActionIDs, l.Actions, func(a *ledger.Action) ledger.Fact { return a.Fact })
	return out
}

func countKnown[E any](q *query, ids []string, byID ledger.Index[*E], fact func(*E) ledger.Fact) int {
	n := 0
	for range inOrder(q, ids, byID, fact, nil) {
		n++
	}
	return n
}

func (q *query) element(el *ledger.Element) Element {
	out := Element{ID: el.ID, Name: el.Name, AddedAt: el.Fact.OccurredAt(), Decisions: []Decision{}}
	if level := el.CurrentLevel(q.asOf); level != "" {
		out.Level = &level
	}
	for _, d := range el.Decisions {
		if !q.known(d.Fact) {
			continue
		}
		dec := Decision{
			OccurredAt: d.OccurredAt(), RecordedAt: d.RecordedAt(), Level: d.Level, Rationale: d.Rationale,
			DecidedBy: d.DecidedBy, DecisionRights: d.DecisionRights, Expectations: d.Expectations,
		}
		if dec.DecisionRights == nil {
			dec.DecisionRights = []project.DecisionRight{}
		}
		if d.PreviousLevel != "" {
			prev := d.PreviousLevel
			dec.PreviousLevel = &prev
		}
		out.Decisions = append(out.Decisions, dec)
	}
	return out
}
