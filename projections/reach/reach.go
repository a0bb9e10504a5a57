// Package reach computes the involvement funnel: of the people invited to
// the engagements of a window, how many accepted, came, gave feedback and
// heard back what became of it — for everyone, for people with lived
// experience, and for each role.
package reach

import (
	"strconv"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "reach"

// Groups other than the roles.
const (
	Everyone        = "everyone"
	LivedExperience = "lived_experience"
)

// Stages are the funnel's counts in order.
var Stages = []string{"invited", "accepted", "attended", "gave_feedback", "heard_back"}

// Report is the reach report.
type Report struct {
	projections.Header
	// Groups: everyone, lived experience, then each role (a person with
	// two roles is in both).
	Groups []Funnel `json:"groups"`
}

// Funnel counts distinct people at each stage. Everyone counted at a
// stage was counted at "invited"; gave_feedback counts people who
// attended, and heard_back people who gave feedback.
type Funnel struct {
	Group string `json:"group"`
	// Invited to an engagement of the window; Accepted at least one such
	// invitation (the last answer known was yes); Attended at least one
	// engagement they were invited to, whether or not they had answered.
	Invited  int `json:"invited"`
	Accepted int `json:"accepted"`
	Attended int `json:"attended"`
	// GaveFeedback: of those who attended, gave identified feedback in
	// scope in the window; HeardBack: of those, at least one item's loop
	// closed (an action from it done and the outcome fed back).
	GaveFeedback int `json:"gave_feedback"`
	HeardBack    int `json:"heard_back"`
}

func (f Funnel) at(stage string) int {
	return map[string]int{"invited": f.Invited, "accepted": f.Accepted, "attended": f.Attended, "gave_feedback": f.GaveFeedback, "heard_back": f.HeardBack}[stage]
}

// person is what is known of one person in a scope or one project of it.
// Feedback and hearing back count only for people who attended somewhere
// in the scope.
type person struct {
	invited, accepted, attended, gaveFeedback, heardBack bool
}

// Compute returns the report for q. The engagements are those held in the
// window (or, not yet held and not cancelled, scheduled in it), as in
// the participation report's funnel.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Parts)(nil).Compute(l, q)
}

// Parts keeps what each project adds to the report between computations,
// each for as long as the revision of its project holds (see
// [projections.Parts]). It is safe for concurrent use; the zero Parts is
// ready.
type Parts projections.Parts[struct{}, map[string]person]

// Compute returns the report for q as [Compute] does, taking the part of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := Report{Header: projections.HeaderOf(Name, q, l)}
	// A person's feedback counts if they attended anywhere in scope, so
	// the parts are added up before feedback is judged.
	people := map[string]person{}
	for _, part := range projections.EachProject(l, q, (*projections.Parts[struct{}, map[string]person])(ps), struct{}{}, func(pq projections.Query, p *ledger.Project) map[string]person {
		return partOf(l, pq, p)
	}) {
		for id, p := range part {
			sum := people[id]
			sum.invited = sum.invited || p.invited
			sum.accepted = sum.accepted || p.accepted
			sum.attended = sum.attended || p.attended
			sum.gaveFeedback = sum.gaveFeedback || p.gaveFeedback
			sum.heardBack = sum.heardBack || p.heardBack
			people[id] = sum
		}
	}
	groups := map[string]*Funnel{Everyone: {Group: Everyone}, LivedExperience: {Group: LivedExperience}}
	for _, role := range events.Roles {
		groups[string(role)] = &Funnel{Group: string(role)}
	}
	for id, p := range people {
		if !p.invited {
			continue
		}
		roles := q.RolesOf(l, id)
		in := []string{Everyone}
		if projections.LivedExperience(roles) {
			in = append(in, LivedExperience)
		}
		for _, role := range roles {
			in = append(in, string(role))
		}
		for _, g := range in {
			f := groups[g]
			f.Invited++
			if p.accepted {
				f.Accepted++
			}
			if p.attended {
				f.Attended++
			}
			if p.attended && p.gaveFeedback {
				f.GaveFeedback++
			}
			if p.attended && p.heardBack {
				f.HeardBack++
			}
		}
	}
	for _, g := range groupOrder() {
		r.Groups = append(r.Groups, *groups[g])
	}
	return r
}

// partOf returns what project p adds to the report for q, by person: the
// invitations to its engagements, and its feedback whether or not its
// giver attended (which the whole scope decides).
func partOf(l *ledger.Ledger, q projections.Query, project *ledger.Project) map[string]person {
	projects := []*ledger.Project{project}
	people := map[string]person{}
	for en, h := range q.EngagementsInWindow(l, projects) {
		for _, inv := range en.Invitations {
			if !q.Known(inv.Fact) {
				continue
			}
			p := people[inv.StakeholderID]
			p.invited = true
			p.accepted = p.accepted || inv.AcceptedAt(q.AsOf)
			p.attended = p.attended || h != nil && h.Attended(inv.StakeholderID)
			people[inv.StakeholderID] = p
		}
	}
	for _, fb := range l.FeedbackOf(projects) {
		if fb.StakeholderID == "" || !q.Counts(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		p := people[fb.StakeholderID]
		p.gaveFeedback = true
		for _, id := range fb.ActionIDs {
			if a := l.Actions.Get(id); q.Known(a.Fact) && a.FirstCommunicationAfterCompletion(q.AsOf) != nil {
				p.heardBack = true
			}
		}
		people[fb.StakeholderID] = p
	}
	return people
}

func groupOrder() []string {
	out := []string{Everyone, LivedExperience}
	for _, role := range events.Roles {
		out = append(out, string(role))
	}
	return out
}

// CSV returns one row per group.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns one row per group, as [Report.CSV] writes it.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: append([]string{"group"}, Stages...)}
	for i, f := range r.Groups {
		row, paths := []string{f.Group}, []string{""}
		for _, s := range Stages {
			row = append(row, strconv.Itoa(f.at(s)))
			paths = append(paths, "groups."+strconv.Itoa(i)+"."+s)
		}
		t.Add(row, paths)
	}
	return t
}

// Disclosure declares every stage of every group a count. Groups overlap
// and stages nest, so none adds up to another.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	for i, f := range r.Groups {
		for _, s := range Stages {
			p.Count("groups."+strconv.Itoa(i)+"."+s, f.at(s))
		}
	}
	return p
}
