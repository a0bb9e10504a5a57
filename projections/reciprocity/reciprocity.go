// Package reciprocity computes what was given back to the people who took
// part: support provided (travel, childcare, interpreters, payment,
// other) per project, kind and role, the money paid, and the attendees
// whose recorded support needs met no support at an engagement they came
// to.
package reciprocity

import (
	"slices"
	"strconv"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "reciprocity"

// Report is the reciprocity report: the programme's totals, then each
// project.
type Report struct {
	projections.Header
	Totals
	Projects []Project `json:"projects"`
}

// Totals are the figures of the whole scope or of one project.
type Totals struct {
	// Support counts the support provided in the window (one per
	// SupportProvided); People the distinct people it went to;
	// TotalPence adds up its amounts.
	Support    int    `json:"support"`
	People     int    `json:"people"`
	TotalPence int64  `json:"total_pence"`
	ByKind     []Kind `json:"by_kind"`
	ByRole     []Role `json:"by_role"`
	// AttendeesWithNeeds counts the people who attended an engagement
	// held in the window with a support need recorded on or before that
	// day; NeedsNotMet those of them who, at one such engagement at
	// least, were given no support of any kind; NeedsNotMetByNeed splits
	// the latter by need (a person with two needs is under both).
	AttendeesWithNeeds int    `json:"attendees_with_needs"`
	NeedsNotMet        int    `json:"needs_not_met"`
	NeedsNotMetByNeed  []Need `json:"needs_not_met_by_need"`
}

// Kind is the support of one kind.
type Kind struct {
	Kind    string `json:"kind"`
	Support int    `json:"support"`
	Pence   int64  `json:"pence"`
}

// Role is the support that went to people holding one role (roles as
// known at as_of; a person with two roles counts under both).
type Role struct {
	Role    events.Role `json:"role"`
	People  int         `json:"people"`
	Support int         `json:"support"`
	Pence   int64       `json:"pence"`
}

// Need is the people with a need that was not met.
type Need struct {
	Need   string `json:"need"`
	People int    `json:"people"`
}

// Project is one project's totals.
type Project struct {
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	Totals
}

// Compute returns the report for q.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Parts)(nil).Compute(l, q)
}

// Parts keeps what each project adds to the report between computations,
// each for as long as the revision of its project holds (see
// [projections.Parts]). It is safe for concurrent use; the zero Parts is
// ready.
type Parts projections.Parts[struct{}, part]

// part is one project's row and the tally it was made of, which the
// totals over all projects add up.
type part struct {
	row   Project
	tally *tally
}

// Compute returns the report for q as [Compute] does, taking the part of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := Report{Header: projections.HeaderOf(Name, q, l), Projects: []Project{}}
	all := newTally()
	for _, p := range projections.EachProject(l, q, (*projections.Parts[struct{}, part])(ps), struct{}{}, func(pq projections.Query, p *ledger.Project) part {
		t := tallyOf(l, pq, p)
		return part{row: Project{ProjectID: p.ID, Name: p.Name, Totals: t.totals(l, pq)}, tally: t}
	}) {
		all.add(p.tally)
		r.Projects = append(r.Projects, p.row)
	}
	r.Totals = all.totals(l, q)
	return r
}

// tally is what the engagements of some projects add up to: the sums,
// and the people the distinct counts are taken over. Nothing changes a
// tally kept in a part.
type tally struct {
	support     int
	pence       int64
	kinds       map[string]Kind
	roleSupport map[events.Role]int
	rolePence   map[events.Role]int64
	// people received support in the window; withNeeds attended with a
	// need; notMet holds, of those, the needs of each who was not
	// supported at an engagement they attended.
	people, withNeeds map[string]bool
	notMet            map[string]map[string]bool
}

func newTally() *tally {
	return &tally{
		kinds: map[string]Kind{}, roleSupport: map[events.Role]int{}, rolePence: map[events.Role]int64{},
		people: map[string]bool{}, withNeeds: map[string]bool{}, notMet: map[string]map[string]bool{},
	}
}

// tallyOf returns the tally of project p's engagements for q.
func tallyOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) *tally {
	t := newTally()
	for _, en := range l.EngagementsOf([]*ledger.Project{p}) {
		if !q.Known(en.Fact) {
			continue
		}
		supported := map[string]bool{}
		for _, s := range en.Support {
			if !q.Known(s.Fact) {
				continue
			}
			supported[s.StakeholderID] = true
			if !q.InWindow(s.OccurredAt()) {
				continue
			}
			t.support++
			t.pence += s.AmountPence
			t.people[s.StakeholderID] = true
			if slices.Contains(engagement.SupportKinds, s.Kind) {
				k := t.kinds[s.Kind]
				k.Support++
				k.Pence += s.AmountPence
				t.kinds[s.Kind] = k
			}
			for _, role := range q.RolesOf(l, s.StakeholderID) {
				t.roleSupport[role]++
				t.rolePence[role] += s.AmountPence
			}
		}
		h := en.HeldAt(q.AsOf)
		if h == nil || !q.InWindow(h.OccurredAt()) {
			continue
		}
		for _, a := range h.AttendeeIDs {
			needs := needsBy(l.Stakeholders.Get(a), q, h.HeldOn)
			if len(needs) == 0 {
				continue
			}
			t.withNeeds[a] = true
			if supported[a] {
				continue
			}
			if t.notMet[a] == nil {
				t.notMet[a] = map[string]bool{}
			}
			for _, n := range needs {
				t.notMet[a][n] = true
			}
		}
	}
	return t
}

// add adds o to t.
func (t *tally) add(o *tally) {
	t.support += o.support
	t.pence += o.pence
	for kind, k := range o.kinds {
		sum := t.kinds[kind]
		sum.Support += k.Support
		sum.Pence += k.Pence
		t.kinds[kind] = sum
	}
	for role, n := range o.roleSupport {
		t.roleSupport[role] += n
	}
	for role, pence := range o.rolePence {
		t.rolePence[role] += pence
	}
	for id := range o.people {
		t.people[id] = true
	}
	for id := range o.withNeeds {
		t.withNeeds[id] = true
	}
	for id, needs := range o.notMet {
		if t.notMet[id] == nil {
			t.notMet[id] = map[string]bool{}
		}
		for n := range needs {
			t.notMet[id][n] = true
		}
	}
}

// totals returns the report's figures of the tally.
func (t *tally) totals(l *ledger.Ledger, q projections.Query) Totals {
	out := Totals{Support: t.support, TotalPence: t.pence, People: len(t.people)}
	for _, k := range engagement.SupportKinds {
		out.ByKind = append(out.ByKind, Kind{Kind: k, Support: t.kinds[k].Support, Pence: t.kinds[k].Pence})
	}
	people := map[events.Role]int{}
	for id := range t.people {
		for _, role := range q.RolesOf(l, id) {
			people[role]++
		}
	}
	for _, role := range events.Roles {
		out.ByRole = append(out.ByRole, Role{Role: role, People: people[role], Support: t.roleSupport[role], Pence: t.rolePence[role]})
	}
	out.AttendeesWithNeeds, out.NeedsNotMet = len(t.withNeeds), len(t.notMet)
	for _, need := range stakeholder.SupportNeeds {
		n := 0
		for _, needs := range t.notMet {
			if needs[need] {
				n++
			}
		}
		out.NeedsNotMetByNeed = append(out.NeedsNotMetByNeed, Need{Need: need, People: n})
	}
	return out
}

// needsBy returns the support needs of s known at AsOf and recorded as
// occurring on or before day (the programme's time zone).
func needsBy(s *ledger.Stakeholder, q projections.Query, day events.Date) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, n := range s.SupportNeeds {
		if q.Known(n.Fact) && !q.Date(n.OccurredAt()).After(day) {
			out = append(out, n.Need)
		}
	}
	return out
}

// CSV returns one row per scope (all, then each project) and figure.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns the report as [Report.CSV] writes it: columns project_id,
// project_name, figure, value.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: []string{"project_id", "project_name", "figure", "value"}}
	add := func(id, name, at string, tot Totals) {
		row := func(figure, value string, counted bool) {
			path := ""
			if counted {
				path = at + figure
			}
			t.Add([]string{id, projections.TextCell(name), figure, value}, []string{"", "", "", path})
		}
		row("support", strconv.Itoa(tot.Support), true)
		row("people", strconv.Itoa(tot.People), true)
		row("total_pence", strconv.FormatInt(tot.TotalPence, 10), true)
		for i, k := range tot.ByKind {
			row("by_kind."+strconv.Itoa(i)+".support", strconv.Itoa(k.Support), true)
			row("by_kind."+strconv.Itoa(i)+".pence", strconv.FormatInt(k.Pence, 10), true)
			t.Rows[len(t.Rows)-2][2] = "by_kind." + k.Kind + ".support"
			t.Rows[len(t.Rows)-1][2] = "by_kind." + k.Kind + ".pence"
		}
		for i, ro := range tot.ByRole {
			for _, f := range []struct {
				name string
				v    int64
			}{{"people", int64(ro.People)}, {"support", int64(ro.Support)}, {"pence", ro.Pence}} {
				row("by_role."+strconv.Itoa(i)+"."+f.name, strconv.FormatInt(f.v, 10), true)
				t.Rows[len(t.Rows)-1][2] = "by_role." + string(ro.Role) + "." + f.name
			}
		}
		row("attendees_with_needs", strconv.Itoa(tot.AttendeesWithNeeds), true)
		row("needs_not_met", strconv.Itoa(tot.NeedsNotMet), true)
		for i, n := range tot.NeedsNotMetByNeed {
			row("needs_not_met_by_need."+strconv.Itoa(i)+".people", strconv.Itoa(n.People), true)
			t.Rows[len(t.Rows)-1][2] = "needs_not_met_by_need." + n.Need
		}
	}
	add("", "", "", r.Totals)
	for i, p := range r.Projects {
		add(p.ProjectID, p.Name, "projects."+strconv.Itoa(i)+".", p.Totals)
	}
	return t
}

// Disclosure declares the counts for small-number suppression: the kinds
// add up to the support given, and a sum of money is hidden with the
// count of support it adds up (one payment would otherwise show what one
// person was paid). Amounts in pence are not rounded.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	declare := func(at string, t Totals) {
		p.Count(at+"support", t.Support)
		p.Count(at+"people", t.People)
		p.Derive(at+"total_pence", at+"support")
		var kinds []string
		for i := range t.ByKind {
			k := at + "by_kind." + strconv.Itoa(i) + "."
			p.Count(k+"support", t.ByKind[i].Support)
			p.Derive(k+"pence", k+"support")
			kinds = append(kinds, k+"support")
		}
		p.Sum(at+"support", kinds...)
		for i, ro := range t.ByRole {
			k := at + "by_role." + strconv.Itoa(i) + "."
			p.Count(k+"people", ro.People)
			p.Count(k+"support", ro.Support)
			p.Derive(k+"pence", k+"support", k+"people")
		}
		p.Count(at+"attendees_with_needs", t.AttendeesWithNeeds)
		p.Count(at+"needs_not_met", t.NeedsNotMet)
		for i, n := range t.NeedsNotMetByNeed {
			p.Count(at+"needs_not_met_by_need."+strconv.Itoa(i)+".people", n.People)
		}
	}
	declare("", r.Totals)
	var projects []string
	for i, pr := range r.Projects {
		at := "projects." + strconv.Itoa(i) + "."
		declare(at, pr.Totals)
		projects = append(projects, at+"support")
	}
	p.Sum("support", projects...)
	return p
}
