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

// Report is the programme view. Field names are binding (DESIGN.md,
// "Programme").
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
	LivedExperienceShare *float64 `json:"lived_experience_share"`
	Overdue              int      `json:"overdue"`
	LoopClosedRate       *float64 `json:"loop_closed_rate"`
	TokenismElements     int      `json:"tokenism_elements"`
	RAG                  string   `json:"rag"`
	Reasons              []string `json:"reasons"`
}

// Compute returns the report for q: each project in scope is computed
// with the same window and as-of.
func Compute(l *ledger.Ledger, q projections.Query, t Thresholds) Report {
	r := Report{Header: projections.HeaderOf(Name, q, l), Projects: []Row{}}
	for _, p := range q.Projects(l) {
		pq := q
		pq.Project, pq.Programme = p.ID, ""
		part := participation.Compute(l, pq)
		ft := followthrough.Compute(l, pq)
		dec := decisions.Compute(l, pq)
		row := Row{
			ProjectID: p.ID, Name: p.Name, Programme: p.Programme,
			Participants: part.Participants, EffectiveVoices: part.EffectiveVoices,
			LivedExperienceShare: part.LivedExperienceShare, Overdue: ft.Overdue,
			LoopClosedRate: ft.LoopClosedRate,
		}
		for _, el := range dec.Elements {
			if el.Tokenism {
				row.TokenismElements++
			}
		}
		row.RAG, row.Reasons = rate(row, t)
		r.Projects = append(r.Projects, row)
	}
	return r
}

// rate applies the thresholds: the worst colour wins, and every flag
// raised is a reason.
func rate(row Row, t Thresholds) (string, []string) {
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
	below := func(name string, v *float64, b Below) {
		switch {
		case v == nil:
		case *v < b.Red:
			raise(Red, fmt.Sprintf("%s %s is below %s", name, num(*v), num(b.Red)))
		case *v < b.Amber:
			raise(Amber, fmt.Sprintf("%s %s is below %s", name, num(*v), num(b.Amber)))
		}
	}
	atLeast := func(name string, v int, a AtLeast) {
		switch {
		case a.Red > 0 && v >= a.Red:
			raise(Red, fmt.Sprintf("%s %d is at least %d", name, v, a.Red))
		case a.Amber > 0 && v >= a.Amber:
			raise(Amber, fmt.Sprintf("%s %d is at least %d", name, v, a.Amber))
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
func (r Report) CSV() []byte {
	t := projections.Table{Header: []string{
		"project_id", "name", "programme", "participants", "effective_voices", "lived_experience_share",
		"overdue", "loop_closed_rate", "tokenism_elements", "rag", "reasons",
	}}
	for _, p := range r.Projects {
		t.Rows = append(t.Rows, []string{
			p.ProjectID, projections.TextCell(p.Name), projections.TextCell(p.Programme), strconv.Itoa(p.Participants),
			projections.RatioCell(p.EffectiveVoices), projections.RatioCell(p.LivedExperienceShare), strconv.Itoa(p.Overdue),
			projections.RatioCell(p.LoopClosedRate), strconv.Itoa(p.TokenismElements), p.RAG, strings.Join(p.Reasons, "; "),
		})
	}
	return t.Bytes()
}
