package projections

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"
)

// Table is a CSV document: a header row, then rows.
type Table struct {
	Header []string
	Rows   [][]string
}

// Bytes writes the table as CSV (RFC 4180, CRLF line ends, which every
// spreadsheet opens cleanly).
func (t Table) Bytes() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write(t.Header)
	_ = w.WriteAll(t.Rows) // a bytes.Buffer does not fail
	return b.Bytes()
}

// Figures is a report as one row per figure: "figure,value", starting
// with the header the report echoes.
type Figures struct {
	rows [][]string
}

// NewFigures starts a figure table with the report's header.
func NewFigures(h Header) *Figures {
	f := &Figures{}
	f.Text("report", h.Report)
	f.Text("scope.project", deref(h.Scope.Project))
	f.Text("scope.programme", deref(h.Scope.Programme))
	f.Text("from", TimeCell(h.From))
	f.Text("to", TimeCell(h.To))
	f.Text("as_of", TimeCell(&h.AsOf))
	f.Int("position", int(h.Position))
	return f
}

// Int adds a count.
func (f *Figures) Int(name string, v int) { f.rows = append(f.rows, []string{name, strconv.Itoa(v)}) }

// Ratio adds a ratio or statistic, rounded to four places; empty for null.
func (f *Figures) Ratio(name string, v *float64) {
	f.rows = append(f.rows, []string{name, RatioCell(v)})
}

// Text adds a text value.
func (f *Figures) Text(name, v string) { f.rows = append(f.rows, []string{name, TextCell(v)}) }

// Roles adds one count per role, named prefix.<role>.
func (f *Figures) Roles(prefix string, rc RoleCounts) {
	for _, r := range rolesInOrder() {
		f.Int(prefix+"."+string(r), rc[r])
	}
}

// Table returns the figures as a table.
func (f *Figures) Table() Table {
	return Table{Header: []string{"figure", "value"}, Rows: f.rows}
}

// RatioCell formats a nullable figure with four decimals, empty for null.
func RatioCell(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 4, 64)
}

// TimeCell formats a moment in ISO 8601 (RFC 3339, UTC), empty for nil.
func TimeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// TextCell guards free text against spreadsheet formula injection: a cell
// that would start a formula is prefixed with an apostrophe.
func TextCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
