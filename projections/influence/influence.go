// Package influence computes the feedback influence report: for each
// project and element, what became of the feedback — adopted, partly
// adopted, not adopted, or not yet answered — with the reasons given and
// how long an answer took; and, per project, what a "You said, we did"
// page needs: the themes people raised, what was decided and why, what
// was done, and when people were told.
//
// Nothing here names or identifies a person: no stakeholder ids and no
// feedback summaries, which are free text in people's own words and may
// identify them or others. Themes (short tags), the reasons given in
// answer and the actions' descriptions and outcomes are written by the
// project team about the service, and are shown.
package influence

import (
	"slices"
	"strconv"
	"strings"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "influence"

// Influences lists the answers to feedback in the order reports show
// them, with [NoResponse] last.
var Influences = append(slices.Clone(feedback.Influences), NoResponse)

// NoResponse stands for feedback that has no recorded answer yet.
const NoResponse = "no_response"

// Report is the feedback influence report.
type Report struct {
	projections.Header
	Counts
	MedianDaysToResponse *float64  `json:"median_days_to_response"`
	Projects             []Project `json:"projects"`
}

// Counts splits feedback by its answer: Feedback = Adopted +
// PartlyAdopted + NotAdopted + NoResponse.
type Counts struct {
	Feedback      int `json:"feedback"`
	Adopted       int `json:"adopted"`
	PartlyAdopted int `json:"partly_adopted"`
	NotAdopted    int `json:"not_adopted"`
	NoResponse    int `json:"no_response"`
}

func (c *Counts) add(influence string) {
	c.Feedback++
	switch influence {
	case "adopted":
		c.Adopted++
	case "partly_adopted":
		c.PartlyAdopted++
	case "not_adopted":
		c.NotAdopted++
	default:
		c.NoResponse++
	}
}

func (c Counts) of(influence string) int {
	return map[string]int{"adopted": c.Adopted, "partly_adopted": c.PartlyAdopted, "not_adopted": c.NotAdopted, NoResponse: c.NoResponse}[influence]
}

// Project is one project's feedback and its "You said, we did".
type Project struct {
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	Counts
	MedianDaysToResponse *float64 `json:"median_days_to_response"`
	// Elements lists the project's elements in order, then, with
	// element_id "", feedback on the project as a whole if there is any.
	Elements     []Element    `json:"elements"`
	YouSaidWeDid YouSaidWeDid `json:"you_said_we_did"`
}

// Element is the feedback on one element.
type Element struct {
	ElementID string `json:"element_id"`
	Name      string `json:"name"`
	Counts
	Reasons []Reason `json:"reasons"`
}

// Reason is one answer given to feedback, with how many items got it.
type Reason struct {
	Influence string `json:"influence"`
	Reason    string `json:"reason"`
	// On is the date the answer was first given (the programme's time
	// zone); Feedback counts the items answered so.
	On       events.Date `json:"on"`
	Feedback int         `json:"feedback"`
}

// YouSaidWeDid is what a project can tell the people it involved.
type YouSaidWeDid struct {
	// Themes raised, most raised first.
	Themes []Theme `json:"themes"`
	// WeDecided lists the answers given, as in [Element.Reasons].
	WeDecided []Reason `json:"we_decided"`
	// WeDid lists the actions agreed from the feedback that were done.
	WeDid []Done `json:"we_did"`
}

// Theme is a theme and how many feedback items raised it.
type Theme struct {
	Theme    string `json:"theme"`
	Feedback int    `json:"feedback"`
}

// Done is an action completed, and when its outcome was fed back.
type Done struct {
	Action      string      `json:"action"`
	Outcome     string      `json:"outcome"`
	CompletedOn events.Date `json:"completed_on"`
	// ToldOn is the date the outcome was first communicated after
	// completion, null if it has not been.
	ToldOn events.Date `json:"told_on"`
}

// Compute returns the report for q. The feedback counted is that given in
// the window, not retracted; its answer is the last one known at AsOf,
// whenever it was given.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Parts)(nil).Compute(l, q)
}

// Parts keeps each project's row between computations, for as long as
// the revision of its project holds, and for a scope of several projects
// the rows added up, days to a response tallied by value (see
// [projections.SummedParts]): a change in one project costs what that
// project comes to, not a sort of every answer's days in scope. It is
// safe for concurrent use; the zero Parts is ready.
type Parts projections.SummedParts[*part, *sum]

// part is one project's row and the days to a response its median was
// taken over. Nothing changes a part once made.
type part struct {
	row  Project
	days []int
}

func (p *part) Project() string { return p.row.ProjectID }

// Compute returns the report for q as [Compute] does, taking the row of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes; it goes on from the sum of the
// rows it kept for the same query. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := projections.AddUpParts((*projections.SummedParts[*part, *sum])(ps), l, q, partOf, newSum, (*sum).report)
	r.Header = projections.HeaderOf(Name, q, l)
	return r
}

// sum is the rows of a scope added up.
type sum struct {
	Counts
	days projections.Tally
	// rows are the scope's rows in order, as the last move left them.
	rows []*part
}

func newSum() *sum { return &sum{} }

// Move implements [projections.Sum].
func (s *sum) Move(_ *ledger.Ledger, _ projections.Query, parts, gone, came []*part) {
	projections.MoveCounts(gone, came, s.add)
	s.rows = parts
}

func (s *sum) add(p *part, by int) {
	c := p.row.Counts
	s.Feedback += by * c.Feedback
	s.Adopted += by * c.Adopted
	s.PartlyAdopted += by * c.PartlyAdopted
	s.NotAdopted += by * c.NotAdopted
	s.NoResponse += by * c.NoResponse
	s.days.Add(p.days, by)
}

// report returns the report the sum comes to, without its header.
func (s *sum) report() Report {
	r := Report{Counts: s.Counts, MedianDaysToResponse: s.days.Median(), Projects: make([]Project, 0, len(s.rows))}
	for _, p := range s.rows {
		r.Projects = append(r.Projects, p.row)
	}
	return r
}

// partOf returns project p's row for q.
func partOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) *part {
	row, days := project(l, q, p)
	return &part{row: row, days: days}
}

func project(l *ledger.Ledger, q projections.Query, p *ledger.Project) (Project, []int) {
	pr := Project{ProjectID: p.ID, Name: p.Name, Elements: []Element{},
		YouSaidWeDid: YouSaidWeDid{Themes: []Theme{}, WeDecided: []Reason{}, WeDid: []Done{}}}
	byElement := map[string]*Element{}
	var order []string
	for _, el := range p.Elements {
		if q.Known(el.Fact) {
			byElement[el.ID] = &Element{ElementID: el.ID, Name: el.Name, Reasons: []Reason{}}
			order = append(order, el.ID)
		}
	}
	themes := map[string]int{}
	var days []int
	actions := map[string]bool{}
	var actionOrder []string
	for _, fb := range l.FeedbackOf([]*ledger.Project{p}) {
		if !q.Counts(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		el := byElement[fb.ElementID]
		if el == nil {
			if byElement[""] == nil {
				byElement[""] = &Element{Reasons: []Reason{}}
			}
			el = byElement[""]
		}
		influence := NoResponse
		if resp := fb.ResponseAt(q.AsOf); resp != nil {
			influence = resp.Influence
			first := fb.FirstResponseAt(q.AsOf)
			days = append(days, q.Days(fb.Fact.OccurredAt(), first.OccurredAt()))
			el.Reasons = addReason(el.Reasons, Reason{Influence: resp.Influence, Reason: resp.Reason, On: q.Date(resp.OccurredAt())})
			pr.YouSaidWeDid.WeDecided = addReason(pr.YouSaidWeDid.WeDecided, Reason{Influence: resp.Influence, Reason: resp.Reason, On: q.Date(resp.OccurredAt())})
		}
		el.add(influence)
		pr.add(influence)
		seen := map[string]bool{}
		for _, th := range fb.Themes {
			th = strings.TrimSpace(th)
			if th != "" && !seen[th] {
				seen[th] = true
				themes[th]++
			}
		}
		for _, id := range fb.ActionIDs {
			if !actions[id] {
				actions[id] = true
				actionOrder = append(actionOrder, id)
			}
		}
	}
	for _, id := range order {
		pr.Elements = append(pr.Elements, *byElement[id])
	}
	if el := byElement[""]; el != nil {
		pr.Elements = append(pr.Elements, *el)
	}
	for th, n := range themes {
		pr.YouSaidWeDid.Themes = append(pr.YouSaidWeDid.Themes, Theme{Theme: th, Feedback: n})
	}
	slices.SortFunc(pr.YouSaidWeDid.Themes, func(a, b Theme) int {
		if a.Feedback != b.Feedback {
			return b.Feedback - a.Feedback
		}
		return strings.Compare(a.Theme, b.Theme)
	})
	for _, id := range actionOrder {
		a := l.Actions.Get(id)
		c := a.CompletedAt(q.AsOf)
		if !q.Known(a.Fact) || c == nil {
			continue
		}
		d := Done{Action: a.Description, Outcome: c.Outcome, CompletedOn: c.CompletedOn}
		if told := a.FirstCommunicationAfterCompletion(q.AsOf); told != nil {
			d.ToldOn = q.Date(told.OccurredAt())
		}
		pr.YouSaidWeDid.WeDid = append(pr.YouSaidWeDid.WeDid, d)
	}
	slices.SortStableFunc(pr.YouSaidWeDid.WeDid, func(a, b Done) int { return a.CompletedOn.Time().Compare(b.CompletedOn.Time()) })
	pr.MedianDaysToResponse = projections.Median(days)
	return pr, days
}

// addReason counts one more item answered with r: the same influence and
// reason are one entry, dated by its earliest answer.
func addReason(rs []Reason, r Reason) []Reason {
	for i := range rs {
		if rs[i].Influence == r.Influence && rs[i].Reason == r.Reason {
			rs[i].Feedback++
			if r.On.Before(rs[i].On) {
				rs[i].On = r.On
			}
			return rs
		}
	}
	r.Feedback = 1
	return append(rs, r)
}

// CSV returns one row per project and element, then one per answer
// given, theme raised and action done, each with a "kind" saying which.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns the report as [Report.CSV] writes it.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: []string{
		"kind", "project_id", "project_name", "element_id", "element_name",
		"feedback", "adopted", "partly_adopted", "not_adopted", "no_response", "median_days_to_response",
		"influence", "text", "outcome", "on", "told_on",
	}}
	blank := func(row []string) []string { return append(row, make([]string, len(t.Header)-len(row))...) }
	counts := func(at string, c Counts) ([]string, []string) {
		row := []string{strconv.Itoa(c.Feedback)}
		paths := []string{at + "feedback"}
		for _, in := range Influences {
			row = append(row, strconv.Itoa(c.of(in)))
			paths = append(paths, at+in)
		}
		return row, paths
	}
	row, paths := counts("", r.Counts)
	t.Add(blank(append(append([]string{"all", "", "", "", ""}, row...), projections.RatioCell(r.MedianDaysToResponse))),
		blank(append(append(make([]string, 5), paths...), "median_days_to_response")))
	for i, p := range r.Projects {
		at := "projects." + strconv.Itoa(i) + "."
		lead := []string{"project", p.ProjectID, projections.TextCell(p.Name), "", ""}
		row, paths := counts(at, p.Counts)
		t.Add(blank(append(append(lead, row...), projections.RatioCell(p.MedianDaysToResponse))),
			blank(append(append(make([]string, 5), paths...), at+"median_days_to_response")))
		for j, el := range p.Elements {
			eat := at + "elements." + strconv.Itoa(j) + "."
			lead := []string{"element", p.ProjectID, projections.TextCell(p.Name), el.ElementID, elementName(el)}
			row, paths := counts(eat, el.Counts)
			t.Add(blank(append(lead, row...)), blank(append(make([]string, 5), paths...)))
			for k, re := range el.Reasons {
				t.Add(reasonRow("reason", p, el, re, len(t.Header)), reasonPaths(eat+"reasons."+strconv.Itoa(k)+".", len(t.Header)))
			}
		}
		for k, th := range p.YouSaidWeDid.Themes {
			row := blank([]string{"theme", p.ProjectID, projections.TextCell(p.Name), "", "", strconv.Itoa(th.Feedback)})
			row[12] = projections.TextCell(th.Theme)
			paths := make([]string, len(row))
			paths[5] = at + "you_said_we_did.themes." + strconv.Itoa(k) + ".feedback"
			t.Add(row, paths)
		}
		for k, re := range p.YouSaidWeDid.WeDecided {
			t.Add(reasonRow("we_decided", p, Element{ElementID: "-"}, re, len(t.Header)),
				reasonPaths(at+"you_said_we_did.we_decided."+strconv.Itoa(k)+".", len(t.Header)))
		}
		for _, d := range p.YouSaidWeDid.WeDid {
			row := blank([]string{"we_did", p.ProjectID, projections.TextCell(p.Name)})
			row[12], row[13], row[14], row[15] = projections.TextCell(d.Action), projections.TextCell(d.Outcome), d.CompletedOn.String(), d.ToldOn.String()
			t.Add(row, nil)
		}
	}
	return t
}

func elementName(el Element) string {
	if el.ElementID == "" {
		return "(the project as a whole)"
	}
	return projections.TextCell(el.Name)
}

func reasonRow(kind string, p Project, el Element, re Reason, width int) []string {
	row := make([]string, width)
	copy(row, []string{kind, p.ProjectID, projections.TextCell(p.Name), el.ElementID, elementName(el), strconv.Itoa(re.Feedback)})
	if el.ElementID == "-" { // the whole project's answers, not an element's
		row[3], row[4] = "", ""
	}
	row[11], row[12], row[14] = re.Influence, projections.TextCell(re.Reason), re.On.String()
	return row
}

func reasonPaths(at string, width int) []string {
	paths := make([]string, width)
	paths[5] = at + "feedback"
	return paths
}

// Disclosure declares the counts for small-number suppression: in every
// row the answers add up to the feedback; the elements' feedback adds up
// to the project's, and the projects' to the whole.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	counts := func(at string, c Counts) {
		p.Count(at+"feedback", c.Feedback)
		parts := []string{}
		for _, in := range Influences {
			p.Count(at+in, c.of(in))
			parts = append(parts, at+in)
		}
		p.Sum(at+"feedback", parts...)
		p.Internal(at+"responded", c.Adopted+c.PartlyAdopted+c.NotAdopted)
		p.Sum(at+"feedback", at+"responded", at+NoResponse)
	}
	counts("", r.Counts)
	p.Derive("median_days_to_response", "responded")
	var projects []string
	for i, pr := range r.Projects {
		at := "projects." + strconv.Itoa(i) + "."
		counts(at, pr.Counts)
		p.Derive(at+"median_days_to_response", at+"responded")
		projects = append(projects, at+"feedback")
		var elements []string
		for j, el := range pr.Elements {
			eat := at + "elements." + strconv.Itoa(j) + "."
			counts(eat, el.Counts)
			elements = append(elements, eat+"feedback")
			for k, re := range el.Reasons {
				p.Count(eat+"reasons."+strconv.Itoa(k)+".feedback", re.Feedback)
			}
		}
		p.Sum(at+"feedback", elements...)
		for k, re := range pr.YouSaidWeDid.WeDecided {
			p.Count(at+"you_said_we_did.we_decided."+strconv.Itoa(k)+".feedback", re.Feedback)
		}
		for k, th := range pr.YouSaidWeDid.Themes {
			p.Count(at+"you_said_we_did.themes."+strconv.Itoa(k)+".feedback", th.Feedback)
		}
	}
	p.Sum("feedback", projects...)
	return p
}
