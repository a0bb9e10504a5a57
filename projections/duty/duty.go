// Package duty computes the duty-to-involve report: for each project,
// whether the legal duty to involve people was assessed, whether it
// applies, on what basis, by whom and when; and which projects went ahead
// with decisions or engagements without any assessment.
package duty

import (
	"strconv"
	"time"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "duty"

// Unassessed is the reason a project with activity and no assessment is
// flagged, in words a programme office can act on.
const Unassessed = "involvement decisions or engagements without a duty-to-involve assessment"

// Report is the duty-to-involve report.
type Report struct {
	projections.Header
	// InScope counts the projects in scope; Assessed of them have an assessment in force,
	// Applies of those found the duty applies, DoesNotApply found it does
	// not; Unassessed have none, Flagged of them had activity.
	InScope      int   `json:"in_scope"`
	Assessed     int   `json:"assessed"`
	Applies      int   `json:"applies"`
	DoesNotApply int   `json:"does_not_apply"`
	Unassessed   int   `json:"unassessed"`
	Flagged      int   `json:"flagged"`
	Projects     []Row `json:"projects"`
}

// Row is one project.
type Row struct {
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	Programme string `json:"programme"`
	// Assessed is whether an assessment is in force at the end of the
	// window; the other assessment fields are then those of the latest.
	Assessed   bool       `json:"assessed"`
	Applies    *bool      `json:"applies"`
	Basis      string     `json:"basis"`
	AssessedBy string     `json:"assessed_by"`
	Rationale  string     `json:"rationale"`
	AssessedAt *time.Time `json:"assessed_at"`
	// Assessments counts every assessment up to the end of the window
	// (a reassessment replaces the one before).
	Assessments int `json:"assessments"`
	// Decisions and Engagements count the project's activity in the
	// window: involvement decisions, and engagements held (or scheduled
	// and not cancelled).
	Decisions   int `json:"decisions"`
	Engagements int `json:"engagements"`
	// Flag is [Unassessed] for a project with activity and no
	// assessment, else "".
	Flag string `json:"flag"`
}

// Compute returns the report for q.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Rows)(nil).Compute(l, q)
}

// Rows keeps the register's rows between computations, each for its
// project's revision (see [projections.Parts]): after a change in one
// project the register makes that row again and takes the others as they
// were. It is safe for concurrent use; the zero Rows is ready.
type Rows projections.Parts[struct{}, Row]

// Compute returns the register for q as [Compute] does, taking each row
// that rows keeps for its project's revision instead of making it again,
// and keeping those it makes. Nil rows keeps none.
func (rows *Rows) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := Report{Header: projections.HeaderOf(Name, q, l), Projects: []Row{}}
	kept := (*projections.Parts[struct{}, Row])(rows)
	for _, row := range projections.EachProject(l, q, kept, struct{}{}, func(pq projections.Query, p *ledger.Project) Row { return RowOf(l, pq, p) }) {
		r.InScope++
		switch {
		case !row.Assessed:
			r.Unassessed++
		case *row.Applies:
			r.Assessed++
			r.Applies++
		default:
			r.Assessed++
			r.DoesNotApply++
		}
		if row.Flag != "" {
			r.Flagged++
		}
		r.Projects = append(r.Projects, row)
	}
	return r
}

// RowOf returns the duty row of one project for q: the assessment in
// force at the end of the window (To, or AsOf) as known at AsOf, and the
// activity in the window.
func RowOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) Row {
	row := Row{ProjectID: p.ID, Name: p.Name, Programme: p.Programme}
	for _, d := range p.Duty {
		if q.Known(d.Fact) && (q.To == nil || d.OccurredAt().Before(*q.To)) {
			row.Assessments++
		}
	}
	if d := p.DutyAt(q.AsOf, q.To); d != nil {
		applies := d.Applies
		at := d.OccurredAt().In(q.Loc())
		row.Assessed, row.Applies, row.Basis, row.AssessedBy, row.Rationale, row.AssessedAt = true, &applies, d.Basis, d.AssessedBy, d.Rationale, &at
	}
	for _, el := range p.Elements {
		for _, d := range el.Decisions {
			if q.Counts(d.Fact) {
				row.Decisions++
			}
		}
	}
	for range q.EngagementsInWindow(l, []*ledger.Project{p}) {
		row.Engagements++
	}
	if !row.Assessed && row.Decisions+row.Engagements > 0 {
		row.Flag = Unassessed
	}
	return row
}

// CSV returns one row per project.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns one row per project, as [Report.CSV] writes it.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: []string{
		"project_id", "name", "programme", "assessed", "applies", "basis", "assessed_by", "rationale", "assessed_at",
		"assessments", "decisions", "engagements", "flag",
	}}
	for _, row := range r.Projects {
		applies := ""
		if row.Applies != nil {
			applies = strconv.FormatBool(*row.Applies)
		}
		t.Add([]string{
			row.ProjectID, projections.TextCell(row.Name), projections.TextCell(row.Programme), strconv.FormatBool(row.Assessed),
			applies, projections.TextCell(row.Basis), projections.TextCell(row.AssessedBy), projections.TextCell(row.Rationale),
			projections.TimeCell(row.AssessedAt), strconv.Itoa(row.Assessments), strconv.Itoa(row.Decisions),
			strconv.Itoa(row.Engagements), row.Flag,
		}, nil)
	}
	return t
}

// Disclosure declares nothing: the report counts projects, decisions and
// engagements, none of which is a person.
func (r Report) Disclosure() disclosure.Plan { return disclosure.Plan{} }
