package projections

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/events"
)

// Table is a CSV document: a header row, then rows. Paths, when set, has
// the shape of Rows and names the report cell each CSV cell shows (its
// JSON path; "" for none), so that small-number suppression reaches the
// CSV exactly as it reaches the JSON.
type Table struct {
	Header []string
	Rows   [][]string
	Paths  [][]string
}

// Add appends a row whose cells show the report cells named by paths
// (nil: none).
func (t *Table) Add(row []string, paths []string) {
	if paths != nil && len(paths) != len(row) {
		panic("projections: a row's paths must match its cells")
	}
	if paths == nil {
		paths = make([]string, len(row))
	}
	for len(t.Paths) < len(t.Rows) {
		t.Paths = append(t.Paths, make([]string, len(t.Rows[len(t.Paths)])))
	}
	t.Rows = append(t.Rows, row)
	t.Paths = append(t.Paths, paths)
}

// PathOf returns the report cell shown at row i, column j, or "".
func (t Table) PathOf(i, j int) string {
	if i < len(t.Paths) && j < len(t.Paths[i]) {
		return t.Paths[i][j]
	}
	return ""
}

// ByteOrderMark starts every CSV together writes: without it Excel reads
// the file in the machine's legacy code page and garbles every name
// outside ASCII.
const ByteOrderMark = "\ufeff"

// Bytes writes the table as CSV (RFC 4180, CRLF line ends, which every
// spreadsheet opens cleanly), starting with [ByteOrderMark].
func (t Table) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(ByteOrderMark)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write(t.Header)
	_ = w.WriteAll(t.Rows) // a bytes.Buffer does not fail
	return b.Bytes()
}

// Figures is a report as one row per figure: "figure,value", starting
// with the header the report echoes. A figure's name is its JSON path.
type Figures struct {
	t Table
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
	f.Text("time_zone", h.TimeZone)
	f.Text("counts", h.Counts)
	f.Int("position", int(h.Position))
	return f
}

// Int adds a count.
func (f *Figures) Int(name string, v int) { f.add(name, strconv.Itoa(v)) }

// Ratio adds a ratio or statistic, rounded to four places; empty for null.
func (f *Figures) Ratio(name string, v *float64) { f.add(name, RatioCell(v)) }

// Text adds a text value.
func (f *Figures) Text(name, v string) { f.add(name, TextCell(v)) }

func (f *Figures) add(name, v string) { f.t.Add([]string{name, v}, []string{"", name}) }

// Roles adds one count per role, named prefix.<role>.
func (f *Figures) Roles(prefix string, rc RoleCounts) {
	for _, r := range rolesInOrder() {
		f.Int(prefix+"."+string(r), rc[r])
	}
}

// Table returns the figures as a table.
func (f *Figures) Table() Table {
	t := f.t
	t.Header = []string{"figure", "value"}
	return t
}

// RatioCell formats a nullable figure with four decimals, empty for null.
func RatioCell(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 4, 64)
}

// TimeCell formats a moment in ISO 8601 (RFC 3339, with the offset it
// carries), empty for nil.
func TimeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// DateCell formats a calendar date, empty for the zero date.
func DateCell(d events.Date) string { return d.String() }

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
