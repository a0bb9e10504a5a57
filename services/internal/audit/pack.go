package audit

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
)

// PackAnnual is the name of the annual involvement pack.
const PackAnnual = "annual"

// PackFile is one file of a pack: its path under the pack's folder, with
// forward slashes, and its bytes.
type PackFile struct {
	Path string
	Data []byte
}

//go:embed pack
var packFS embed.FS

var (
	packTemplate = template.Must(template.New("involvement.html.tmpl").ParseFS(packFS, "pack/involvement.html.tmpl"))
	packCSS      = template.CSS(must(packFS.ReadFile("pack/print.css")))
)

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// Pack computes the annual involvement pack for year: for each programme
// known at asOf, every report of [report.All] over the calendar year (1
// January to 1 January in loc, the programme's time zone; nil is
// Europe/London) as of asOf, published under rule as CSV starting with a
// UTF-8 byte-order mark, and one printable HTML document for the body's
// annual report on how it discharged the duty to involve. Files are named
// <programme>/<report>.csv and <programme>/involvement-<year>.html, the
// programme's name made safe for a path. A ledger with no programme at
// asOf gives [ErrNothingSelected].
func Pack(l *ledger.Ledger, year int, asOf time.Time, loc *time.Location, rule disclosure.Rule, c report.Config) ([]PackFile, error) {
	if year < 1000 || year > 9998 {
		return nil, fmt.Errorf("year %d: want four digits", year)
	}
	if loc == nil {
		loc = projections.DefaultLocation()
	}
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	to := time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc)
	programmes := programmesOf(l, asOf)
	if len(programmes) == 0 {
		return nil, fmt.Errorf("%w: no programme was known at %s", ErrNothingSelected, asOf.UTC().Format(time.RFC3339))
	}
	var out []PackFile
	used := map[string]bool{}
	for _, name := range programmes {
		dir := slug(name)
		for i := 2; used[dir]; i++ {
			dir = fmt.Sprintf("%s-%d", slug(name), i)
		}
		used[dir] = true
		files, err := programmePack(l, name, dir, year, from, to, asOf, loc, rule, c)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

// ProgrammePack is the annual involvement pack of one programme, as
// [Pack] computes it, its files under the programme's folder. A programme
// not known at asOf gives [ErrNothingSelected].
func ProgrammePack(l *ledger.Ledger, programme string, year int, asOf time.Time, loc *time.Location, rule disclosure.Rule, c report.Config) ([]PackFile, error) {
	if year < 1000 || year > 9998 {
		return nil, fmt.Errorf("year %d: want four digits", year)
	}
	if loc == nil {
		loc = projections.DefaultLocation()
	}
	for _, name := range programmesOf(l, asOf) {
		if projections.SameProgramme(name, programme) {
			from := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
			to := time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc)
			return programmePack(l, name, slug(name), year, from, to, asOf, loc, rule, c)
		}
	}
	return nil, fmt.Errorf("%w: no programme %q was known at %s", ErrNothingSelected, programme, asOf.UTC().Format(time.RFC3339))
}

// programmePack computes one programme's files under dir.
func programmePack(l *ledger.Ledger, name, dir string, year int, from, to, asOf time.Time, loc *time.Location, rule disclosure.Rule, c report.Config) ([]PackFile, error) {
	var out []PackFile
	q := projections.Query{Programme: name, From: &from, To: &to, AsOf: asOf, Location: loc}
	page := packPage{
		CSS: packCSS, Programme: name, Year: year, From: longDate(from), To: longDate(to.AddDate(0, 0, -1)),
		AsOf: asOf.In(loc).Format("2 January 2006 at 15:04 MST"), TimeZone: loc.String(), Rule: rule.String(),
		Exact: rule.Exact(),
	}
	for _, p := range q.Projects(l) {
		page.Projects = append(page.Projects, p.Name)
	}
	for _, r := range report.All() {
		doc := r.Compute(l, q, c)
		out = append(out, PackFile{Path: dir + "/" + r.Name + ".csv", Data: report.CSV(doc, rule)})
		t := doc.Table()
		if !rule.Exact() {
			t = rule.Apply(doc.Disclosure()).Table(t)
		}
		page.Sections = append(page.Sections, section(r, t))
	}
	var b bytes.Buffer
	if err := packTemplate.Execute(&b, page); err != nil {
		return nil, fmt.Errorf("render the pack of %s: %w", name, err)
	}
	return append(out, PackFile{Path: fmt.Sprintf("%s/involvement-%d.html", dir, year), Data: b.Bytes()}), nil
}

// WritePack writes a pack's files under dir, which must be new or empty.
// Only its owner may read them, as an export: a suppressed report can
// still name the staff who decided, and is for publishing deliberately.
func WritePack(dir string, files []PackFile) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: write the pack into a new folder", dir)
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		for _, d := range []string{dir, filepath.Dir(path)} {
			if err := os.MkdirAll(d, privateDir); err != nil {
				return err
			}
			if err := os.Chmod(d, privateDir); err != nil {
				return err
			}
		}
		if err := writePrivate(path, f.Data); err != nil {
			return err
		}
	}
	return nil
}

// programmesOf lists the programmes of the projects known at asOf, each
// under the name it was first registered with, in that order.
func programmesOf(l *ledger.Ledger, asOf time.Time) []string {
	var out []string
	for _, p := range (projections.Query{AsOf: asOf}).Projects(l) {
		known := false
		for _, name := range out {
			if projections.SameProgramme(name, p.Programme) {
				known = true
				break
			}
		}
		if !known {
			out = append(out, strings.TrimSpace(p.Programme))
		}
	}
	return out
}

// slug makes a programme's name a folder name: lowercase letters and
// digits, other runs of characters a single "-".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		return "programme"
	}
	return s
}

func longDate(t time.Time) string { return t.Format("2 January 2006") }

// ErrUnknownPack is returned for a pack that is not [PackAnnual].
var ErrUnknownPack = errors.New("unknown pack")
