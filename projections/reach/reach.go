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

type person struct {
	accepted, attended, gaveFeedback, heardBack bool
}

// Compute returns the report for q. The engagements are those held in the
// window (or, not yet held and not cancelled, scheduled in it), as in
// the participation report's funnel.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	r := Report{Header: projections.HeaderOf(Name, q, l)}
	projects := q.Projects(l)
	people := map[string]*person{}
	for _, en := range l.EngagementsOf(projects) {
		if !q.Known(en.Fact) || !q.InWindow(en.Moment(q.AsOf)) {
			continue
		}
		h := en.HeldAt(q.AsOf)
		if h == nil && en.CancelledAt(q.AsOf) {
			continue
		}
		for _, inv := range en.Invitations {
			if !q.Known(inv.Fact) {
				continue
			}
			p := people[inv.StakeholderID]
			if p == nil {
				p = &person{}
				people[inv.StakeholderID] = p
			}
			p.accepted = p.accepted || inv.AcceptedAt(q.AsOf)
			p.attended = p.attended || h != nil && h.Attended(inv.StakeholderID)
		}
	}
	for _, fb := range l.FeedbackOf(projects) {
		p := people[fb.StakeholderID]
		if p == nil || !p.attended || !q.Counts(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		p.gaveFeedback = true
		for _, id := range fb.ActionIDs {
			if a := l.Actions.Get(id); q.Known(a.Fact) && a.FirstCommunicationAfterCompletion(q.AsOf) != nil {
				p.heardBack = true
			}
		}
	}
	groups := map[string]*Funnel{Everyone: {Group: Everyone}, LivedExperience: {Group: LivedExperience}}
	for _, role := range events.Roles {
		groups[string(role)] = &Funnel{Group: string(role)}
	}
	for id, p := range people {
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
			if p.gaveFeedback {
				f.GaveFeedback++
			}
			if p.heardBack {
				f.HeardBack++
			}
		}
	}
	for _, g := range groupOrder() {
		r.Groups = append(r.Groups, *groups[g])
	}
	return r
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
