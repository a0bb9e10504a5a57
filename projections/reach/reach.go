// Package reach computes the involvement funnel: of the people invited to
// the engagements of a window, how many accepted, came, gave feedback and
// heard back what became of it — for everyone, for people with lived
// experience, and for each role.
package reach

import (
	"iter"
	"maps"
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
// and those parts added up (see [projections.SummedParts]). It is safe for
// concurrent use; the zero Parts is ready.
type Parts projections.SummedParts[*part, *sum]

// part is what one project adds to the report, by person. Nothing changes
// a part once made: it may be kept.
type part struct {
	project string
	people  map[string]person
}

func (p *part) Project() string { return p.project }

func (p *part) People() iter.Seq[string] { return maps.Keys(p.people) }

// Compute returns the report for q as [Compute] does, taking the part of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes; it goes on from the sum of the
// parts it kept for the same query. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := projections.AddUpParts((*projections.SummedParts[*part, *sum])(ps), l, q, partOf, newSum, (*sum).report)
	r.Header = projections.HeaderOf(Name, q, l)
	return r
}

// sum is the parts of a scope added up: for each person, how many parts
// see them at each stage (a person's feedback counts if they attended
// anywhere in scope, so the parts are added up before feedback is
// judged), then the funnels those people come to.
type sum struct {
	people map[string]*stages
	roles  projections.Roles
	groups map[string]*Funnel
}

// stages counts the parts that see one person at each stage.
type stages struct {
	parts, invited, accepted, attended, gaveFeedback, heardBack int
}

func (st *stages) add(p person, by int) {
	one := func(b bool) int {
		if b {
			return by
		}
		return 0
	}
	st.parts += by
	st.invited += one(p.invited)
	st.accepted += one(p.accepted)
	st.attended += one(p.attended)
	st.gaveFeedback += one(p.gaveFeedback)
	st.heardBack += one(p.heardBack)
}

// person returns what the parts summed know of the person.
func (st *stages) person() person {
	return person{invited: st.invited > 0, accepted: st.accepted > 0, attended: st.attended > 0,
		gaveFeedback: st.gaveFeedback > 0, heardBack: st.heardBack > 0}
}

func newSum() *sum {
	sm := &sum{people: map[string]*stages{}, roles: projections.Roles{}, groups: map[string]*Funnel{}}
	for _, g := range groupOrder() {
		sm.groups[g] = &Funnel{Group: g}
	}
	return sm
}

// Move implements [projections.Sum].
func (sm *sum) Move(l *ledger.Ledger, q projections.Query, _, gone, came []*part) {
	// What the people of the parts that change come to is taken away
	// first, and counted again once their stages are summed anew.
	touched := projections.PeopleOf(gone, came)
	for id := range touched {
		if st, ok := sm.people[id]; ok {
			sm.count(st.person(), sm.roles[id], -1)
		}
	}
	for _, p := range gone {
		for id, pp := range p.people {
			st := sm.people[id]
			if st.add(pp, -1); st.parts == 0 {
				delete(sm.people, id)
			}
		}
	}
	for _, p := range came {
		for id, pp := range p.people {
			st, ok := sm.people[id]
			if !ok {
				st = &stages{}
				sm.people[id] = st
			}
			st.add(pp, +1)
		}
	}
	for id := range touched {
		if st, ok := sm.people[id]; ok && st.invited > 0 {
			sm.count(st.person(), sm.roles.Of(l, q, id), +1)
		}
	}
}

// count adds (by +1) or takes away (by -1) what a person with roles comes
// to in the funnels of their groups. Only people invited are counted.
func (sm *sum) count(p person, roles []events.Role, by int) {
	if !p.invited {
		return
	}
	in := []string{Everyone}
	if projections.LivedExperience(roles) {
		in = append(in, LivedExperience)
	}
	for _, role := range roles {
		in = append(in, string(role))
	}
	for _, g := range in {
		f := sm.groups[g]
		f.Invited += by
		if p.accepted {
			f.Accepted += by
		}
		if p.attended {
			f.Attended += by
		}
		if p.attended && p.gaveFeedback {
			f.GaveFeedback += by
		}
		if p.attended && p.heardBack {
			f.HeardBack += by
		}
	}
}

// report returns the funnels the sum comes to, in the order of the groups.
func (sm *sum) report() Report {
	var r Report
	for _, g := range groupOrder() {
		r.Groups = append(r.Groups, *sm.groups[g])
	}
	return r
}

// partOf returns what project p adds to the report for q, by person: the
// invitations to its engagements, and its feedback whether or not its
// giver attended (which the whole scope decides).
func partOf(l *ledger.Ledger, q projections.Query, project *ledger.Project) *part {
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
	return &part{project: project.ID, people: people}
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
