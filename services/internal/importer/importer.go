package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/together-coop/together/events"
)

// Kind is what a file lists.
type Kind string

// The kinds of file an import reads.
const (
	// Stakeholders lists people to register, one a row.
	Stakeholders Kind = "stakeholders"
	// Attendance lists who came to engagements that were held: a row per
	// named attendee and rows counting those not named.
	Attendance Kind = "attendance"
)

// Kinds lists every kind, in the order they are offered.
func Kinds() []Kind { return []Kind{Stakeholders, Attendance} }

// Bounds of a file. An import records one command a row through the API;
// these keep an approval within a minute or so and the file that waits
// for review small.
const (
	MaxFileBytes = 2 << 20
	MaxRows      = 5000
)

// Errors about a file as a whole; nothing of it can be imported. Their
// messages are meant for the person who chose the file.
var (
	ErrUnknownKind = errors.New("unknown kind of import")
	ErrTooLarge    = errors.New("the file is too large")
	ErrEmpty       = errors.New("the file is empty")
	ErrNotUTF8     = errors.New("the file is not UTF-8")
	ErrNotCSV      = errors.New("the file is not CSV")
	ErrColumns     = errors.New("the header row does not have the columns needed")
	ErrTooManyRows = errors.New("the file has too many rows")
)

// ParseKind checks the name of a kind.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Kinds(), k) {
		return "", fmt.Errorf("%w %q: want one of %v", ErrUnknownKind, s, Kinds())
	}
	return k, nil
}

// Problem is something wrong with one row, under its row number as the
// spreadsheet shows it (the header is row 1).
type Problem struct {
	Row int `json:"row"`
	// Column is the column's header as the file writes it; empty for the
	// row as a whole.
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("row %d: %s", p.Row, p.Message)
	}
	return fmt.Sprintf("row %d, %s: %s", p.Row, p.Column, p.Message)
}

// File is a file read and checked: what it would record, and its
// problems. Rows with problems record nothing.
type File struct {
	Kind Kind
	// Hash is the hex SHA-256 of the content, without a byte-order mark
	// and with LF line ends, so that the same table saved again is the
	// same file.
	Hash string
	// Delimiter is the separator the header row uses.
	Delimiter rune
	// Rows counts the data rows, blank rows aside.
	Rows int
	// Header maps each column the import reads to its header as the file
	// writes it, for problems found later.
	Header map[string]string
	// Ignored lists the columns the import does not read, as the file
	// names them.
	Ignored []string
	// Stakeholders are the people of a stakeholders file whose rows are
	// fine.
	Stakeholders []Stakeholder
	// Attendance are the engagements of an attendance file whose rows
	// are all fine.
	Attendance []Held
	// Problems are sorted by row.
	Problems []Problem
}

// HeaderOf returns the file's header of a column it reads, or the
// column's name.
func (f *File) HeaderOf(name string) string {
	if h, ok := f.Header[name]; ok {
		return h
	}
	return name
}

// ProblemRows counts the rows with at least one problem.
func (f *File) ProblemRows() int {
	n, last := 0, 0
	for _, p := range f.Problems {
		if p.Row != last {
			n, last = n+1, p.Row
		}
	}
	return n
}

// Column is one column an import reads.
type Column struct {
	Name     string
	Required bool
	// Description says what a cell holds, for the page that asks for the
	// file.
	Description string
	aliases     []string
}

// Columns lists the columns of a kind, in the order a template would
// have them.
func Columns(k Kind) []Column {
	switch k {
	case Stakeholders:
		return stakeholderColumns
	case Attendance:
		return attendanceColumns
	}
	return nil
}

// Parse reads a file of kind k. It returns an error, wrapping one of the
// Err values, only when the file cannot be read at all; problems with
// rows are in [File.Problems].
func Parse(k Kind, data []byte) (*File, error) {
	if !slices.Contains(Kinds(), k) {
		return nil, fmt.Errorf("%w %q: want one of %v", ErrUnknownKind, k, Kinds())
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: %s, at most %s; split it into several files", ErrTooLarge, size(len(data)), size(MaxFileBytes))
	}
	text, err := normalise(data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(text)
	f := &File{Kind: k, Hash: hex.EncodeToString(sum[:]), Delimiter: delimiter(text)}
	recs, err := records(text, f.Delimiter)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: it has no header row", ErrEmpty)
	}
	cols, err := f.header(recs[0].cells, Columns(k))
	if err != nil {
		return nil, err
	}
	f.Header = map[string]string{}
	for name, c := range cols {
		f.Header[name] = c.header
	}
	if k == Attendance && !hasAny(cols, "stakeholder_id", "unnamed_attendees") {
		return nil, fmt.Errorf("%w: there is neither a stakeholder_id column (who came) nor an unnamed_attendees column (how many more came, not named); give one or both", ErrColumns)
	}
	var rows []row
	for _, rec := range recs[1:] {
		if slices.ContainsFunc(rec.cells, func(c string) bool { return c != "" }) {
			rows = append(rows, row{n: rec.row, cells: rec.cells, cols: cols, width: len(recs[0].cells)})
		}
	}
	if len(rows) > MaxRows {
		return nil, fmt.Errorf("%w: %d, at most %d; split it into several files", ErrTooManyRows, len(rows), MaxRows)
	}
	f.Rows = len(rows)
	switch k {
	case Stakeholders:
		f.stakeholders(rows)
	case Attendance:
		f.attendance(rows)
	}
	slices.SortStableFunc(f.Problems, func(a, b Problem) int { return a.Row - b.Row })
	return f, nil
}

// utf8BOM is the byte-order mark spreadsheets put before UTF-8 text.
const utf8BOM = "\ufeff"

// normalise checks the encoding, drops a byte-order mark and makes every
// line end LF.
func normalise(data []byte) ([]byte, error) {
	advice := "save it from Excel as “CSV UTF-8 (Comma delimited)”, or choose UTF-8 where your spreadsheet asks for the character set"
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, fmt.Errorf("%w but UTF-16 (Excel's “Unicode text”): %s", ErrNotUTF8, advice)
	}
	text := bytes.TrimPrefix(data, []byte(utf8BOM))
	if !utf8.Valid(text) {
		line := 1 + bytes.Count(text[:firstInvalid(text)], []byte("\n"))
		return nil, fmt.Errorf("%w (line %d has characters in another encoding): %s", ErrNotUTF8, line, advice)
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, ErrEmpty
	}
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	if !bytes.Contains(text, []byte("\n")) {
		// Old Mac spreadsheets end lines with CR alone.
		text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
	}
	return text, nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// delimiter picks the separator the header row uses most, outside quotes:
// a semicolon where the spreadsheet's locale writes decimal commas,
// otherwise a comma.
func delimiter(text []byte) rune {
	header, _, _ := bytes.Cut(text, []byte("\n"))
	commas, semicolons, quoted := 0, 0, false
	for _, c := range header {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			commas++
		case c == ';':
			semicolons++
		}
	}
	if semicolons > commas {
		return ';'
	}
	return ','
}

type record struct {
	row   int
	cells []string
}

// records reads every record with its spreadsheet row number, which
// counts the blank lines the CSV reader skips and not the line breaks
// inside a cell.
func records(text []byte, comma rune) ([]record, error) {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var out []record
	row, lastLine := 0, 0
	for {
		cells, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: the row starting on line %d: %v; check the quotes in that row, or save the file from the spreadsheet again", ErrNotCSV, pe.StartLine, pe.Err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotCSV, err)
		}
		start, _ := r.FieldPos(0)
		row += start - lastLine
		end, _ := r.FieldPos(len(cells) - 1)
		lastLine = end + strings.Count(cells[len(cells)-1], "\n")
		for i, c := range cells {
			cells[i] = strings.TrimFunc(c, unicode.IsSpace)
		}
		out = append(out, record{row: row, cells: cells})
	}
}

// canonical is a header or a listed value as compared: lower case, with
// spaces and hyphens as underscores.
func canonical(s string) string {
	s = strings.ToLower(strings.TrimFunc(s, unicode.IsSpace))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '_' }), "_")
}

// header maps each column the kind reads to its index in the file.
func (f *File) header(cells []string, want []Column) (map[string]column, error) {
	cols := map[string]column{}
	seen := map[string]string{}
	for i, h := range cells {
		name := canonical(h)
		if name == "" {
			continue
		}
		if first, dup := seen[name]; dup {
			return nil, fmt.Errorf("%w: the columns %q and %q are the same column; keep one", ErrColumns, first, h)
		}
		seen[name] = h
		found := false
		for _, c := range want {
			if name == c.Name || slices.Contains(c.aliases, name) {
				if prev, dup := cols[c.Name]; dup {
					return nil, fmt.Errorf("%w: the columns %q and %q are the same column; keep one", ErrColumns, prev.header, h)
				}
				cols[c.Name] = column{index: i, header: h}
				found = true
			}
		}
		if !found {
			f.Ignored = append(f.Ignored, h)
		}
	}
	var missing []string
	for _, c := range want {
		if _, ok := cols[c.Name]; c.Required && !ok {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		var names []string
		for _, c := range want {
			if c.Required {
				names = append(names, c.Name)
			} else {
				names = append(names, c.Name+" (optional)")
			}
		}
		return nil, fmt.Errorf("%w: there is no column %s. The first row should name the columns %s, in any order",
			ErrColumns, strings.Join(missing, ", "), strings.Join(names, ", "))
	}
	return cols, nil
}

func hasAny(cols map[string]column, names ...string) bool {
	for _, n := range names {
		if _, ok := cols[n]; ok {
			return true
		}
	}
	return false
}

type column struct {
	index  int
	header string
}

// row is one data row of a file, with the columns the kind reads.
type row struct {
	n     int
	cells []string
	cols  map[string]column
	// width is the number of cells of the header row.
	width int
}

// has reports whether the file has the column.
func (r row) has(name string) bool { _, ok := r.cols[name]; return ok }

// get returns the row's cell in the named column, empty if the file or
// the row has none.
func (r row) get(name string) string {
	c, ok := r.cols[name]
	if !ok || c.index >= len(r.cells) {
		return ""
	}
	return r.cells[c.index]
}

// header returns the file's header of the named column, or the name.
func (r row) header(name string) string {
	if c, ok := r.cols[name]; ok {
		return c.header
	}
	return name
}

// problems collects the problems of one row.
type problems struct {
	r   row
	out []Problem
}

func (p *problems) add(col, format string, args ...any) {
	h := ""
	if col != "" {
		h = p.r.header(col)
	}
	p.out = append(p.out, Problem{Row: p.r.n, Column: h, Message: fmt.Sprintf(format, args...)})
}

// fields adds the broken rules of a catalogue check, each under the
// column of its field ("roles[1]" is a roles problem).
func (p *problems) fields(err error, columnOf func(field string) string) {
	if err == nil {
		return
	}
	var v *events.ValidationError
	if !errors.As(err, &v) {
		p.add("", "%s", err.Error())
		return
	}
	for _, fe := range v.Fields {
		field, _, _ := strings.Cut(fe.Field, "[")
		p.add(columnOf(field), "%s", fe.Message)
	}
}

// controls adds a problem for each cell with control characters, which
// no spreadsheet cell shows and no name holds.
func (p *problems) controls() {
	names := slices.SortedFunc(maps.Keys(p.r.cols), func(a, b string) int { return p.r.cols[a].index - p.r.cols[b].index })
	for _, name := range names {
		if strings.ContainsFunc(p.r.get(name), func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
			p.add(name, "has control characters; retype the cell")
		}
	}
	for i := p.r.width; i < len(p.r.cells); i++ {
		if p.r.cells[i] != "" {
			p.add("", "has more cells than the header row has columns (cell %d is beyond them); is a separator missing from the header, or one too many in this row?", i+1)
			return
		}
	}
}

func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)/1024)
}
