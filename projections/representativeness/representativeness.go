// Package representativeness computes who took part against who lives in
// the programme's area: participants by age band, ethnicity, disability
// and deprivation decile, each against a baseline population, with the
// gap; and the share from the most deprived fifth of areas (deciles 1 and
// 2, NHS England's Core20).
//
// Demographics are personal data, sealed per person in the events, so
// this package cannot read them: [Compute] takes an [Opener] that the
// services supply, which opens the participants' sealed declarations
// together. A person whose declaration cannot be opened (erased, or the
// key is gone) counts as "not recorded", as does anyone who never
// declared.
package representativeness

import (
	"maps"
	"slices"
	"strconv"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "representativeness"

// NotRecorded is the row of people with no answer: never asked, never
// declared, or erased.
const NotRecorded = "not_recorded"

// Opener opens the sealed demographics of many stakeholders at once (all
// those a report counts: where the keys are kept, reading them together
// costs a fraction of reading them one by one), keyed by stakeholder id,
// and returns those it could open. It must be pure in effect: the same
// arguments give the same answer, it must not log what it opens, and it
// must neither change sealed nor keep it.
type Opener func(sealed map[string]stakeholder.Sealed) map[string]stakeholder.Demographics

// Categories are the report's categories in order.
var Categories = []string{"age_band", "ethnicity", "disability", "deprivation_decile"}

// The categories by their place in Categories, where answers are counted.
const (
	ageBand = iota
	ethnicity
	disability
	deprivationDecile
	categories
)

// Report is the representativeness report.
type Report struct {
	projections.Header
	Area           string `json:"area"`
	BaselineSource string `json:"baseline_source"`
	// Participants as in the participation report.
	Participants      int    `json:"participants"`
	AgeBand           []Row  `json:"age_band"`
	Ethnicity         []Row  `json:"ethnicity"`
	Disability        []Row  `json:"disability"`
	DeprivationDecile []Row  `json:"deprivation_decile"`
	Core20            Core20 `json:"core20"`
	// Consent counts the participants with consent in force at as_of,
	// per scope.
	Consent []Consent `json:"consent"`
}

// Row is one answer of a category.
type Row struct {
	Value        string `json:"value"`
	Participants int    `json:"participants"`
	// Share is of all participants; ShareOfKnown of those who gave an
	// answer of this category (null on the "prefer not to say" and "not
	// recorded" rows); Gap = ShareOfKnown − Baseline.
	Share        *float64 `json:"share"`
	ShareOfKnown *float64 `json:"share_of_known"`
	Baseline     *float64 `json:"baseline"`
	Gap          *float64 `json:"gap"`
}

// Core20 is the participants living in deciles 1 and 2.
type Core20 struct {
	Participants int      `json:"participants"`
	ShareOfKnown *float64 `json:"share_of_known"`
	Baseline     *float64 `json:"baseline"`
	Gap          *float64 `json:"gap"`
}

// Consent is one consent scope.
type Consent struct {
	Scope        string `json:"scope"`
	Participants int    `json:"participants"`
}

// Compute returns the report for q against baseline, opening
// demographics with open (nil: nobody's can be opened).
func Compute(l *ledger.Ledger, q projections.Query, baseline Baseline, open Opener) Report {
	return (*Parts)(nil).Compute(l, q, baseline, open)
}

// Parts keeps the participants of each project between computations, and
// those of a scope of several projects added up (see
// [projections.SummedParts]): after a change in one project a report over
// everything counts that project's participants again, not everyone's.
// What the participants declared is opened at every computation, since
// the keys live outside the ledger. It is safe for concurrent use; the
// zero Parts is ready.
type Parts projections.SummedParts[*part, *sum]

// part is the participants of one project: the people with
// participations in the window, sorted. Who they are is looked up as they
// are added to a sum, so nothing changes a part once made: it may be
// kept.
type part struct {
	project string
	people  []string
}

func (p *part) Project() string { return p.project }

// partOf returns the participants of project p for q.
func partOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) *part {
	counts := q.Participants(l, []*ledger.Project{p})
	return &part{project: p.ID, people: slices.Sorted(maps.Keys(counts))}
}

// sum is the participants of the parts added up, with what the ledger
// says of each as they come: a sum is started again for another revision
// of people, so that holds while it lives.
type sum struct {
	parts map[string]int // how many parts name each participant
	// declared holds the declarations in force of the participants not
	// erased, for the opener; consent counts the participants with
	// consent in force, by scope.
	declared map[string]stakeholder.Sealed
	consent  map[string]int
}

func newSum() *sum {
	return &sum{parts: map[string]int{}, declared: map[string]stakeholder.Sealed{}, consent: map[string]int{}}
}

// Move implements [projections.Sum]. A project's part made again mostly
// names the people it named before: only those it gained or lost move
// the sum.
func (sm *sum) Move(l *ledger.Ledger, q projections.Query, _, gone, came []*part) {
	before := make(map[string]*part, len(gone))
	for _, p := range gone {
		before[p.project] = p
	}
	for _, p := range came {
		sm.change(l, q, before[p.project], p)
		delete(before, p.project)
	}
	for _, p := range before {
		sm.change(l, q, p, nil)
	}
}

// change moves the sum from part was to part is (either may be nil):
// what was names and is does not is taken away, what is names and was
// does not is added.
func (sm *sum) change(l *ledger.Ledger, q projections.Query, was, is *part) {
	var old, now []string
	if was != nil {
		old = was.people
	}
	if is != nil {
		now = is.people
	}
	for len(old) > 0 || len(now) > 0 {
		switch {
		case len(now) == 0 || len(old) > 0 && old[0] < now[0]:
			if id := old[0]; sm.parts[id] == 1 {
				delete(sm.parts, id)
				sm.count(l, q, id, -1)
			} else {
				sm.parts[id]--
			}
			old = old[1:]
		case len(old) == 0 || now[0] < old[0]:
			if id := now[0]; sm.parts[id] == 0 {
				sm.parts[id] = 1
				sm.count(l, q, id, +1)
			} else {
				sm.parts[id]++
			}
			now = now[1:]
		default:
			old, now = old[1:], now[1:]
		}
	}
}

// count adds (by +1) or takes away (by -1) what participant id comes to.
func (sm *sum) count(l *ledger.Ledger, q projections.Query, id string, by int) {
	s := l.Stakeholders.Get(id)
	if s == nil {
		return
	}
	if by < 0 {
		delete(sm.declared, id)
	} else if sealed := s.DemographicsAt(q.AsOf); sealed != nil && !s.ErasedAt(q.AsOf) {
		sm.declared[id] = sealed.Sealed
	}
	for _, scope := range stakeholder.ConsentScopes {
		if s.ConsentAt(q.AsOf, scope) {
			sm.consent[scope] += by
		}
	}
}

// Compute returns the report for q as [Compute] does, taking the
// participants of each project that ps keeps for its revision instead of
// finding them again, and going on from those it added up for the same
// query. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query, baseline Baseline, open Opener) Report {
	r := projections.AddUpParts((*projections.SummedParts[*part, *sum])(ps), l, q, partOf, newSum,
		func(sm *sum) Report { return sm.report(baseline, open) })
	r.Header = projections.HeaderOf(Name, q, l)
	return r
}

// report returns what the sum comes to against baseline, opening the
// participants' declarations with open.
func (sm *sum) report(baseline Baseline, open Opener) Report {
	r := Report{Area: baseline.Area, BaselineSource: baseline.Source, Consent: []Consent{}, Participants: len(sm.parts)}
	var opened map[string]stakeholder.Demographics
	if open != nil && len(sm.declared) > 0 {
		opened = open(sm.declared)
	}
	var answers [categories]map[string]int
	for c := range answers {
		answers[c] = map[string]int{NotRecorded: r.Participants - len(opened)}
	}
	for _, d := range opened {
		for c, v := range [categories]string{ageBand: d.AgeBand, ethnicity: d.Ethnicity, disability: d.Disability, deprivationDecile: d.DeprivationDecile} {
			if v == "" {
				v = NotRecorded
			}
			answers[c][v]++
		}
	}
	r.AgeBand = rows(answers[ageBand], without(stakeholder.AgeBands), baseline.AgeBand, r.Participants)
	r.Ethnicity = rows(answers[ethnicity], nil, baseline.Ethnicity, r.Participants)
	r.Disability = rows(answers[disability], without(stakeholder.DisabilityAnswers), baseline.Disability, r.Participants)
	r.DeprivationDecile = rows(answers[deprivationDecile], without(stakeholder.DeprivationDeciles), baseline.DeprivationDecile, r.Participants)
	known := known(r.DeprivationDecile)
	r.Core20.Participants = answers[deprivationDecile]["1"] + answers[deprivationDecile]["2"]
	r.Core20.ShareOfKnown = projections.Ratio(r.Core20.Participants, known)
	if b, ok := core20Baseline(baseline); ok {
		r.Core20.Baseline = &b
		r.Core20.Gap = gap(r.Core20.Participants, known, b)
	}
	for _, scope := range stakeholder.ConsentScopes {
		r.Consent = append(r.Consent, Consent{Scope: scope, Participants: sm.consent[scope]})
	}
	return r
}

func core20Baseline(b Baseline) (float64, bool) {
	one, ok1 := b.DeprivationDecile["1"]
	two, ok2 := b.DeprivationDecile["2"]
	return one + two, ok1 || ok2
}

// without drops "prefer not to say" from a list of answers.
func without(answers []string) []string {
	return slices.DeleteFunc(slices.Clone(answers), func(a string) bool { return a == stakeholder.PreferNotToSay })
}

// rows lays out one category: the fixed answers in order (or, for free
// text, the baseline's answers then any other given, sorted), then
// "prefer not to say" and "not recorded".
func rows(got map[string]int, fixed []string, base map[string]float64, participants int) []Row {
	values := fixed
	if values == nil {
		for v := range base {
			values = append(values, v)
		}
		for v := range got {
			if _, ok := base[v]; !ok && v != stakeholder.PreferNotToSay && v != NotRecorded {
				values = append(values, v)
			}
		}
		slices.Sort(values)
	}
	values = append(slices.Clone(values), stakeholder.PreferNotToSay, NotRecorded)
	known := participants - got[stakeholder.PreferNotToSay] - got[NotRecorded]
	out := make([]Row, 0, len(values))
	for _, v := range values {
		row := Row{Value: v, Participants: got[v], Share: projections.Ratio(got[v], participants)}
		if v != stakeholder.PreferNotToSay && v != NotRecorded {
			row.ShareOfKnown = projections.Ratio(got[v], known)
			if b, ok := base[v]; ok {
				row.Baseline = &b
				row.Gap = gap(got[v], known, b)
			}
		}
		out = append(out, row)
	}
	return out
}

func gap(n, of int, baseline float64) *float64 {
	if of == 0 {
		return nil
	}
	g := float64(n)/float64(of) - baseline
	return &g
}

func known(rows []Row) int {
	n := 0
	for _, r := range rows {
		if r.Value != stakeholder.PreferNotToSay && r.Value != NotRecorded {
			n += r.Participants
		}
	}
	return n
}

func (r Report) category(name string) []Row {
	return map[string][]Row{"age_band": r.AgeBand, "ethnicity": r.Ethnicity, "disability": r.Disability, "deprivation_decile": r.DeprivationDecile}[name]
}

// CSV returns one row per category and answer, then Core20 and consent.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns the report as [Report.CSV] writes it.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: []string{"category", "value", "participants", "share", "share_of_known", "baseline", "gap"}}
	t.Add([]string{"all", "", strconv.Itoa(r.Participants), "", "", "", ""}, []string{"", "", "participants", "", "", "", ""})
	for _, c := range Categories {
		for i, row := range r.category(c) {
			at := c + "." + strconv.Itoa(i) + "."
			t.Add([]string{c, projections.TextCell(row.Value), strconv.Itoa(row.Participants), projections.RatioCell(row.Share),
				projections.RatioCell(row.ShareOfKnown), projections.RatioCell(row.Baseline), projections.RatioCell(row.Gap)},
				[]string{"", "", at + "participants", at + "share", at + "share_of_known", "", at + "gap"})
		}
	}
	t.Add([]string{"core20", "deciles 1-2", strconv.Itoa(r.Core20.Participants), "", projections.RatioCell(r.Core20.ShareOfKnown),
		projections.RatioCell(r.Core20.Baseline), projections.RatioCell(r.Core20.Gap)},
		[]string{"", "", "core20.participants", "", "core20.share_of_known", "", "core20.gap"})
	for i, c := range r.Consent {
		t.Add([]string{"consent", c.Scope, strconv.Itoa(c.Participants), "", "", "", ""},
			[]string{"", "", "consent." + strconv.Itoa(i) + ".participants", "", "", "", ""})
	}
	return t
}

// Disclosure declares the counts for small-number suppression: each
// category's rows add up to the participants, and Core20 is deciles 1
// and 2; every share and gap is recomputed from published counts.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	p.Count("participants", r.Participants)
	for _, c := range Categories {
		var parts []string
		knownAt := c + ".known"
		var knownParts []string
		rows := r.category(c)
		for i, row := range rows {
			at := c + "." + strconv.Itoa(i) + "."
			p.Count(at+"participants", row.Participants)
			parts = append(parts, at+"participants")
			p.Ratio(at+"share", at+"participants", "participants")
			if row.Value != stakeholder.PreferNotToSay && row.Value != NotRecorded {
				knownParts = append(knownParts, at+"participants")
				p.Ratio(at+"share_of_known", at+"participants", knownAt)
				if row.Baseline != nil {
					p.Gap(at+"gap", at+"participants", knownAt, *row.Baseline)
				}
			}
		}
		p.Internal(knownAt, known(rows))
		p.Sum("participants", parts...)
		p.Sum(knownAt, knownParts...)
	}
	p.Count("core20.participants", r.Core20.Participants)
	decile := func(v string) string {
		for i, row := range r.DeprivationDecile {
			if row.Value == v {
				return "deprivation_decile." + strconv.Itoa(i) + ".participants"
			}
		}
		return ""
	}
	p.Sum("core20.participants", decile("1"), decile("2"))
	p.Ratio("core20.share_of_known", "core20.participants", "deprivation_decile.known")
	if r.Core20.Baseline != nil {
		p.Gap("core20.gap", "core20.participants", "deprivation_decile.known", *r.Core20.Baseline)
	}
	for i, c := range r.Consent {
		p.Count("consent."+strconv.Itoa(i)+".participants", c.Participants)
	}
	return p
}
