// Package programme computes the programme view: one row per project with
// the headline figures of the other reports and a red, amber or green flag
// with its reasons.
package programme

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/duty"
	"github.com/together-coop/together/projections/followthrough"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
)

// Name is the report's name in URLs and headers.
const Name = "programme"

// RAG colours.
const (
	Green = "green"
	Amber = "amber"
	Red   = "red"
)

// Report is the programme view. Field names are binding
// (docs/reports.md, "Programme").
type Report struct {
	projections.Header
	Projects []Row `json:"projects"`
}

// Row is one project.
type Row struct {
	ProjectID            string   `json:"project_id"`
	Name                 string   `json:"name"`
	Programme            string   `json:"programme"`
	Participants         int      `json:"participants"`
	EffectiveVoices      *float64 `json:"effective_voices"`
	LivedExperience      int      `json:"lived_experience"`
	LivedExperienceShare *float64 `json:"lived_experience_share"`
	Overdue              int      `json:"overdue"`
	Feedback             int      `json:"feedback"`
	LoopClosed           int      `json:"loop_closed"`
	LoopClosedRate       *float64 `json:"loop_closed_rate"`
	TokenismElements     int      `json:"tokenism_elements"`
	// DutyAssessed is whether a duty-to-involve assessment is in force
	// (see the duty report); a project with activity and none is amber.
	DutyAssessed bool     `json:"duty_assessed"`
	RAG          string   `json:"rag"`
	Reasons      []string `json:"reasons"`
}

// Compute returns the report for q: each project in scope is computed
// with the same window and as-of.
func Compute(l *ledger.Ledger, q projections.Query, t Thresholds) Report {
	return (*Rows)(nil).Compute(l, q, t)
}

// Compute returns the report for q as [Compute] does, taking each row
// that rows keeps for its project's revision instead of computing it
// again, and keeping the rows it computes. Nil rows keep none.
func (rows *Rows) Compute(l *ledger.Ledger, q projections.Query, t Thresholds) Report {
	parts := (*projections.Parts[Thresholds, Row])(rows)
	r := Report{Header: projections.HeaderOf(Name, q, l), Projects: []Row{}}
	r.Projects = append(r.Projects, projections.EachProject(l, q, parts, t, func(pq projections.Query, p *ledger.Project) Row {
		return rowOf(l, pq, p, t)
	})...)
	return r
}

// rowOf computes the row of project p, which q scopes to.
func rowOf(l *ledger.Ledger, q projections.Query, p *ledger.Project, t Thresholds) Row {
	part := participation.Compute(l, q)
	ft := followthrough.Compute(l, q)
	dec := decisions.Compute(l, q)
	dr := duty.RowOf(l, q, p)
	row := Row{
		ProjectID: p.ID, Name: p.Name, Programme: p.Programme,
		Participants: part.Participants, EffectiveVoices: part.EffectiveVoices,
		LivedExperience: part.LivedExperience, LivedExperienceShare: part.LivedExperienceShare, Overdue: ft.Overdue,
		Feedback: ft.Feedback, LoopClosed: ft.LoopClosed, LoopClosedRate: ft.LoopClosedRate,
		DutyAssessed: dr.Assessed,
	}
	for _, el := range dec.Elements {
		if el.Tokenism {
			row.TokenismElements++
		}
	}
	row.RAG, row.Reasons = rate(row, dr.Flag != "", t)
	return row
}

// Rows keeps rows of the programme view between computations, each for
// as long as the revision of its project holds (see
// [projections.Parts]). It is safe for concurrent use; the zero Rows is
// ready.
type Rows projections.Parts[Thresholds, Row]

// rate applies the thresholds: the worst colour wins, and every flag
// raised is a reason. A reason names the threshold crossed, not the
// figure, so that it says no more than the row's own published cells.
func rate(row Row, unassessed bool, t Thresholds) (string, []string) {
	rag, reasons := Green, []string{}
	raise := func(colour, reason string) {
		if colour == Red || rag == Green {
			rag = colour
		}
		reasons = append(reasons, reason+" ("+colour+")")
	}
	if row.Participants == 0 {
		raise(Amber, "no participation recorded")
	}
	if unassessed {
		raise(Amber, duty.Unassessed)
	}
	below := func(name string, v *float64, b Below) {
		switch {
		case v == nil:
		case *v < b.Red:
			raise(Red, fmt.Sprintf("%s is below %s", name, num(b.Red)))
		case *v < b.Amber:
			raise(Amber, fmt.Sprintf("%s is below %s", name, num(b.Amber)))
		}
	}
	atLeast := func(name string, v int, a AtLeast) {
		switch {
		case a.Red > 0 && v >= a.Red:
			raise(Red, fmt.Sprintf("%s is at least %d", name, a.Red))
		case a.Amber > 0 && v >= a.Amber:
			raise(Amber, fmt.Sprintf("%s is at least %d", name, a.Amber))
		}
	}
	below("lived_experience_share", row.LivedExperienceShare, t.LivedExperienceShare)
	below("effective_voices", row.EffectiveVoices, t.EffectiveVoices)
	below("loop_closed_rate", row.LoopClosedRate, t.LoopClosedRate)
	atLeast("overdue", row.Overdue, t.Overdue)
	atLeast("tokenism_elements", row.TokenismElements, t.TokenismElements)
	return rag, reasons
}

// num writes a figure with up to four decimals, without trailing zeros.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// CSV returns one row per project.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns one row per project, as [Report.CSV] writes it.
func (r Report) Table() projections.Table {
	t := projections.Table{Header: []string{
		"project_id", "name", "programme", "participants", "effective_voices", "lived_experience", "lived_experience_share",
		"overdue", "feedback", "loop_closed", "loop_closed_rate", "tokenism_elements", "duty_assessed", "rag", "reasons",
	}}
	for i, p := range r.Projects {
		t.Add([]string{
			p.ProjectID, projections.TextCell(p.Name), projections.TextCell(p.Programme), strconv.Itoa(p.Participants),
			projections.RatioCell(p.EffectiveVoices), strconv.Itoa(p.LivedExperience), projections.RatioCell(p.LivedExperienceShare),
			strconv.Itoa(p.Overdue), strconv.Itoa(p.Feedback), strconv.Itoa(p.LoopClosed), projections.RatioCell(p.LoopClosedRate),
			strconv.Itoa(p.TokenismElements), strconv.FormatBool(p.DutyAssessed), p.RAG, strings.Join(p.Reasons, "; "),
		}, rowPaths(i, t.Header))
	}
	return t
}

// rowPaths names the report cells of row i: each column is the field of
// the same name.
func rowPaths(i int, header []string) []string {
	paths := make([]string, len(header))
	for j, h := range header {
		paths[j] = "projects." + strconv.Itoa(i) + "." + h
	}
	return paths
}

// Disclosure declares each row's counts for small-number suppression;
// its shares are recomputed from them. Elements and projects are not
// people and are not suppressed.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	for i, row := range r.Projects {
		at := "projects." + strconv.Itoa(i) + "."
		p.Count(at+"participants", row.Participants)
		p.Count(at+"lived_experience", row.LivedExperience)
		p.Count(at+"overdue", row.Overdue)
		p.Count(at+"feedback", row.Feedback)
		p.Count(at+"loop_closed", row.LoopClosed)
		p.Ratio(at+"lived_experience_share", at+"lived_experience", at+"participants")
		p.Ratio(at+"loop_closed_rate", at+"loop_closed", at+"feedback")
		p.Derive(at+"effective_voices", at+"participants")
	}
	return p
}
