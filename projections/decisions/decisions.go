// Package decisions computes the involvement decisions report: for each
// element of a project, the level decided, every decision with who made it
// and on what evidence, and whether power is claimed to be shared without
// lived-experience voices in the room (tokenism).
package decisions

import (
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "decisions"

// Report is the involvement decisions report. Field names are binding
// (docs/reports.md, "Involvement decisions").
type Report struct {
	projections.Header
	Elements []Element `json:"elements"`
}

// Element is one element with its decisions.
type Element struct {
	ProjectID   string       `json:"project_id"`
	ProjectName string       `json:"project_name"`
	ElementID   string       `json:"element_id"`
	Name        string       `json:"name"`
	Level       events.Level `json:"level"`
	Tokenism    bool         `json:"tokenism"`
	Decisions   []Decision   `json:"decisions"`
}

// Decision is one involvement decision with the evidence before it.
type Decision struct {
	OccurredAt     time.Time               `json:"occurred_at"`
	Level          events.Level            `json:"level"`
	PreviousLevel  events.Level            `json:"previous_level"`
	DecidedBy      string                  `json:"decided_by"`
	Rationale      string                  `json:"rationale"`
	DecisionRights []project.DecisionRight `json:"decision_rights"`
	Evidence       Evidence                `json:"evidence"`
}

// Evidence is what had happened on the element before a decision.
type Evidence struct {
	Participants int                    `json:"participants"`
	ByRole       projections.RoleCounts `json:"by_role"`
	Feedback     int                    `json:"feedback"`
}

// Compute returns the report for q. Elements are those of the projects in
// scope known at AsOf; their decisions are those in the window; the
// current level and the tokenism flag look at everything known at AsOf.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Elements)(nil).Compute(l, q)
}

// Elements keeps the report's elements by project between computations,
// each for as long as the revision of its project holds (see
// [projections.Parts]). It is safe for concurrent use; the zero Elements
// is ready.
type Elements projections.Parts[struct{}, []Element]

// Compute returns the report for q as [Compute] does, taking the elements
// of each project that e keeps for its revision instead of computing them
// again, and keeping those it computes. Nil e keeps none.
func (e *Elements) Compute(l *ledger.Ledger, q projections.Query) Report {
	parts := (*projections.Parts[struct{}, []Element])(e)
	r := Report{Header: projections.HeaderOf(Name, q, l), Elements: []Element{}}
	for _, els := range projections.EachProject(l, q, parts, struct{}{}, func(pq projections.Query, p *ledger.Project) []Element {
		var out []Element
		for _, el := range p.Elements {
			if pq.Known(el.Fact) {
				out = append(out, element(l, pq, p, el))
			}
		}
		return out
	}) {
		r.Elements = append(r.Elements, els...)
	}
	return r
}

func element(l *ledger.Ledger, q projections.Query, p *ledger.Project, el *ledger.Element) Element {
	out := Element{
		ProjectID: el.ProjectID, ProjectName: p.Name, ElementID: el.ID, Name: el.Name,
		Level: el.CurrentLevel(q.AsOf), Decisions: []Decision{},
	}
	linked := linkedEngagements(l, q, el)
	if out.Level.SharesPower() {
		out.Tokenism = true
		for _, h := range linked {
			for _, a := range h.AttendeeIDs {
				if projections.LivedExperience(q.RolesOf(l, a)) {
					out.Tokenism = false
				}
			}
		}
	}
	for _, d := range el.Decisions {
		if !q.Counts(d.Fact) {
			continue
		}
		rights := d.DecisionRights
		if rights == nil {
			rights = []project.DecisionRight{}
		}
		out.Decisions = append(out.Decisions, Decision{
			OccurredAt: d.OccurredAt().In(q.Loc()),
			Level:      d.Level, PreviousLevel: d.PreviousLevel, DecidedBy: d.DecidedBy,
			Rationale: d.Rationale, DecisionRights: rights,
			Evidence: evidence(l, q, el, linked, d.Fact),
		})
	}
	return out
}

// linkedEngagements returns the attendance of the held engagements linked
// to the element, known at AsOf.
func linkedEngagements(l *ledger.Ledger, q projections.Query, el *ledger.Element) []*ledger.Held {
	var out []*ledger.Held
	for _, id := range el.EngagementIDs {
		if h := l.Engagements.Get(id).HeldAt(q.AsOf); h != nil {
			out = append(out, h)
		}
	}
	return out
}

// evidence counts the distinct attendees of linked engagements held before
// the decision occurred, and the feedback on the element given before it.
func evidence(l *ledger.Ledger, q projections.Query, el *ledger.Element, linked []*ledger.Held, decision ledger.Fact) Evidence {
	ev := Evidence{ByRole: projections.NewRoleCounts()}
	seen := map[string]bool{}
	for _, h := range linked {
		if !h.OccurredAt().Before(decision.OccurredAt()) {
			continue
		}
		for _, a := range h.AttendeeIDs {
			if seen[a] {
				continue
			}
			seen[a] = true
			for _, role := range q.RolesOf(l, a) {
				ev.ByRole[role]++
			}
		}
	}
	ev.Participants = len(seen)
	for _, id := range el.FeedbackIDs {
		fb := l.Feedback.Get(id)
		if q.Known(fb.Fact) && !fb.RetractedAt(q.AsOf) && fb.Fact.OccurredAt().Before(decision.OccurredAt()) {
			ev.Feedback++
		}
	}
	return ev
}

// CSV returns one row per decision; an element without decisions in the
// window has one row with the decision columns empty.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns one row per decision, as [Report.CSV] writes it.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: []string{
		"project_id", "project_name", "element_id", "element_name", "current_level", "tokenism",
		"occurred_at", "level", "previous_level", "decided_by", "rationale", "decision_rights",
		"evidence_participants",
	}}
	for _, role := range events.Roles {
		t.Header = append(t.Header, "evidence_"+string(role))
	}
	t.Header = append(t.Header, "evidence_feedback")
	for i, el := range r.Elements {
		lead := []string{el.ProjectID, projections.TextCell(el.ProjectName), el.ElementID, projections.TextCell(el.Name),
			string(el.Level), strconv.FormatBool(el.Tokenism)}
		if len(el.Decisions) == 0 {
			t.Add(append(lead, make([]string, len(t.Header)-len(lead))...), nil)
			continue
		}
		for j, d := range el.Decisions {
			rights := make([]string, len(d.DecisionRights))
			for k, dr := range d.DecisionRights {
				rights[k] = dr.Holder + ": " + dr.Right
			}
			row := append(append([]string{}, lead...),
				projections.TimeCell(&d.OccurredAt), string(d.Level), string(d.PreviousLevel),
				projections.TextCell(d.DecidedBy), projections.TextCell(d.Rationale), projections.TextCell(strings.Join(rights, "; ")),
				strconv.Itoa(d.Evidence.Participants))
			paths := make([]string, len(row))
			ev := evidencePath(i, j)
			paths[len(row)-1] = ev + "participants"
			for _, role := range events.Roles {
				row = append(row, strconv.Itoa(d.Evidence.ByRole[role]))
				paths = append(paths, ev+"by_role."+string(role))
			}
			t.Add(append(row, strconv.Itoa(d.Evidence.Feedback)), append(paths, ev+"feedback"))
		}
	}
	return t
}

func evidencePath(element, decision int) string {
	return "elements." + strconv.Itoa(element) + ".decisions." + strconv.Itoa(decision) + ".evidence."
}

// Disclosure declares the evidence counts for small-number suppression.
// Roles overlap, so none adds up to another.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	for i, el := range r.Elements {
		for j, d := range el.Decisions {
			ev := evidencePath(i, j)
			p.Count(ev+"participants", d.Evidence.Participants)
			for _, role := range events.Roles {
				p.Count(ev+"by_role."+string(role), d.Evidence.ByRole[role])
			}
			p.Count(ev+"feedback", d.Evidence.Feedback)
		}
	}
	return p
}
