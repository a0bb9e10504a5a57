// Package reciprocity computes what was given back to the people who took
// part: support provided (travel, childcare, interpreters, payment,
// other) per project, kind and role, the money paid, and the attendees
// whose recorded support needs met no support at an engagement they came
// to.
package reciprocity

import (
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
	projects := q.Projects(l)
	r := Report{Header: projections.HeaderOf(Name, q, l), Totals: totals(l, q, projects), Projects: []Project{}}
	for _, p := range projects {
		r.Projects = append(r.Projects, Project{ProjectID: p.ID, Name: p.Name, Totals: totals(l, q, []*ledger.Project{p})})
	}
	return r
}

func totals(l *ledger.Ledger, q projections.Query, projects []*ledger.Project) Totals {
	t := Totals{}
	kinds := map[string]*Kind{}
	for _, k := range engagement.SupportKinds {
		kinds[k] = &Kind{Kind: k}
	}
	type roleTotals struct {
		people  map[string]bool
		support int
		pence   int64
	}
	roles := map[events.Role]*roleTotals{}
	for _, role := range events.Roles {
		roles[role] = &roleTotals{people: map[string]bool{}}
	}
	people := map[string]bool{}
	withNeeds, notMet := map[string]bool{}, map[string]map[string]bool{}
	for _, en := range l.EngagementsOf(projects) {
		if !q.Known(en.Fact) {
			continue
		}
		supported := map[string]bool{}
		for _, s := range en.Support {
			if !q.Known(s.Fact) {
				continue
			}
			supported[s.StakeholderID] = true
			if !q.InWindow(s.OccurredAt) {
				continue
			}
			t.Support++
			t.TotalPence += s.AmountPence
			people[s.StakeholderID] = true
			if k := kinds[s.Kind]; k != nil {
				k.Support++
				k.Pence += s.AmountPence
			}
			for _, role := range q.RolesOf(l, s.StakeholderID) {
				rt := roles[role]
				rt.people[s.StakeholderID] = true
				rt.support++
				rt.pence += s.AmountPence
			}
		}
		h := en.HeldAt(q.AsOf)
		if h == nil || !q.InWindow(h.OccurredAt) {
			continue
		}
		for _, a := range h.AttendeeIDs {
			needs := needsBy(l.Stakeholders.Get(a), q, h.HeldOn)
			if len(needs) == 0 {
				continue
			}
			withNeeds[a] = true
			if supported[a] {
				continue
			}
			if notMet[a] == nil {
				notMet[a] = map[string]bool{}
			}
			for _, n := range needs {
				notMet[a][n] = true
			}
		}
	}
	t.People = len(people)
	for _, k := range engagement.SupportKinds {
		t.ByKind = append(t.ByKind, *kinds[k])
	}
	for _, role := range events.Roles {
		rt := roles[role]
		t.ByRole = append(t.ByRole, Role{Role: role, People: len(rt.people), Support: rt.support, Pence: rt.pence})
	}
	t.AttendeesWithNeeds, t.NeedsNotMet = len(withNeeds), len(notMet)
	for _, need := range stakeholder.SupportNeeds {
		n := 0
		for _, needs := range notMet {
			if needs[need] {
				n++
			}
		}
		t.NeedsNotMetByNeed = append(t.NeedsNotMetByNeed, Need{Need: need, People: n})
	}
	return t
}

// needsBy returns the support needs of s known at AsOf and recorded as
// occurring on or before day (the programme's time zone).
func needsBy(s *ledger.Stakeholder, q projections.Query, day events.Date) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, n := range s.SupportNeeds {
		if q.Known(n.Fact) && !q.Date(n.OccurredAt).After(day) {
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
