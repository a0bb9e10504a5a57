package web

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/services/internal/audit"
)

// Packs computes the annual involvement pack, which needs the whole
// ledger rather than one report, so the process that has it provides it.
type Packs interface {
	// AnnualPack returns the files of programme's pack for the calendar
	// year, as known now, with small numbers suppressed whoever r's
	// caller is: the pack is for publishing. For a programme nobody knows
	// it returns an error wrapping [ErrNotFound].
	AnnualPack(r *http.Request, programme string, year int) ([]audit.PackFile, error)
}

// WithPacks serves the annual pack's page, where a programme and a year
// are chosen and the pack downloaded. Default: no such page.
func WithPacks(p Packs) Option {
	return func(o *options) error {
		if p == nil {
			return fmt.Errorf("%w: packs is nil", ErrInvalidOption)
		}
		o.packs = p
		return nil
	}
}

const (
	dutyPath        = "/reports"
	definitionsPath = statDefinitions
	annualPackPath  = "/reports/annual-pack"
	packDocPath     = annualPackPath + "/document"
	packCSVPath     = annualPackPath + "/spreadsheets"
)

// PackPage is the annual pack's page: the choice of programme and year,
// then the downloads.
type PackPage struct {
	Programmes []string
	Programme  string
	Year       string
	Errors     map[string]string
	// Document and Spreadsheets link the downloads once a programme and
	// a year are chosen.
	Document, Spreadsheets string
}

// ProgrammeSelect is the choice of programme.
func (p PackPage) ProgrammeSelect() Select {
	s := Select{Value: p.Programme, Items: []SelectItem{{Value: ptr(""), Text: "Choose a programme"}}}
	s.ID, s.Name = "programme", "programme"
	s.Label = Label{Content: Content{Text: "Programme"}, Size: "s"}
	if msg := p.Errors["programme"]; msg != "" {
		s.ErrorMessage = &ErrorMessage{Content: Content{Text: msg}}
	}
	for _, name := range p.Programmes {
		s.Items = append(s.Items, SelectItem{Value: ptr(name), Text: name})
	}
	return s
}

// YearInput is the choice of year.
func (p PackPage) YearInput() Input {
	in := Input{Value: p.Year, Width: 4, Inputmode: "numeric"}
	in.ID, in.Name = "year", "year"
	in.Label = Label{Content: Content{Text: "Year"}, Size: "s"}
	in.Hint = &Hint{Content: Content{Text: "The calendar year, for example 2025"}}
	if msg := p.Errors["year"]; msg != "" {
		in.ErrorMessage = &ErrorMessage{Content: Content{Text: msg}}
	}
	return in
}

// packChoice reads the programme and year chosen; errors are keyed by
// field.
func packChoice(v url.Values, programmes []string, now time.Time) (string, int, map[string]string) {
	errs := map[string]string{}
	programme := strings.TrimSpace(v.Get("programme"))
	known := false
	for _, p := range programmes {
		if strings.EqualFold(p, programme) {
			programme, known = p, true
		}
	}
	switch {
	case programme == "":
		errs["programme"] = "Choose a programme"
	case !known:
		errs["programme"] = "There is no programme called " + programme
	}
	raw := strings.TrimSpace(v.Get("year"))
	year, err := strconv.Atoi(raw)
	switch {
	case raw == "":
		errs["year"] = "Enter a year"
	case err != nil || len(raw) != 4:
		errs["year"] = "The year must be 4 digits, like " + strconv.Itoa(now.Year()-1)
	case year > now.Year():
		errs["year"] = "The year must be this year or in the past"
	}
	return programme, year, errs
}

// packSummary lists the choice's errors for the error summary.
func packSummary(errs map[string]string) *ErrorSummary {
	var list []ErrorLink
	for _, k := range []string{"programme", "year"} {
		if msg := errs[k]; msg != "" {
			list = append(list, ErrorLink{Content: Content{Text: msg}, Href: "#" + k})
		}
	}
	return &ErrorSummary{Heading: &Content{Text: "There is a problem"}, ErrorList: list}
}

func (s *Site) annualPack(w http.ResponseWriter, r *http.Request) {
	var all programmeDoc
	if err := s.get(r, "programme", url.Values{}, &all); err != nil {
		s.problem(w, r, err)
		return
	}
	now := s.opts.now().In(s.opts.loc)
	q := r.URL.Query()
	p := PackPage{Programmes: Overview{}.programmesOf(all), Programme: strings.TrimSpace(q.Get("programme")),
		Year: strings.TrimSpace(q.Get("year"))}
	if p.Year == "" && p.Programme == "" {
		p.Year = strconv.Itoa(now.Year() - 1)
		s.render(w, r, http.StatusOK, "annual-pack", s.page(r, "Annual involvement pack", p))
		return
	}
	programme, year, errs := packChoice(q, p.Programmes, now)
	if len(errs) > 0 {
		p.Errors = errs
		page := s.page(r, "Error: Annual involvement pack", p)
		page.Errors = packSummary(errs)
		s.render(w, r, http.StatusBadRequest, "annual-pack", page)
		return
	}
	p.Programme = programme
	choice := "?" + url.Values{"programme": {programme}, "year": {strconv.Itoa(year)}}.Encode()
	p.Document, p.Spreadsheets = packDocPath+choice, packCSVPath+choice
	s.render(w, r, http.StatusOK, "annual-pack", s.page(r, "Annual involvement pack", p))
}

// packFiles computes the pack chosen in the query, or answers the
// problem and returns nil.
func (s *Site) packFiles(w http.ResponseWriter, r *http.Request) ([]audit.PackFile, int) {
	var all programmeDoc
	if err := s.get(r, "programme", url.Values{}, &all); err != nil {
		s.problem(w, r, err)
		return nil, 0
	}
	now := s.opts.now().In(s.opts.loc)
	programme, year, errs := packChoice(r.URL.Query(), Overview{}.programmesOf(all), now)
	if len(errs) > 0 {
		// A download link that no longer works (a programme renamed, a
		// year typed by hand): show the choice with what is wrong.
		p := PackPage{Programmes: Overview{}.programmesOf(all), Programme: r.URL.Query().Get("programme"), Year: r.URL.Query().Get("year"), Errors: errs}
		page := s.page(r, "Error: Annual involvement pack", p)
		page.Errors = packSummary(errs)
		s.render(w, r, http.StatusBadRequest, "annual-pack", page)
		return nil, 0
	}
	files, err := s.opts.packs.AnnualPack(r, programme, year)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("the pack of %s has no files: %w", programme, ErrNotFound)
	}
	if err != nil {
		s.problem(w, r, err)
		return nil, 0
	}
	return files, year
}

// attachment sends a file to be saved, never shown by the site: the
// printable document carries its own styles, so it is sandboxed.
func attachment(w http.ResponseWriter, name, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

func (s *Site) packDocument(w http.ResponseWriter, r *http.Request) {
	files, year := s.packFiles(w, r)
	if files == nil {
		return
	}
	want := fmt.Sprintf("involvement-%d.html", year)
	for _, f := range files {
		if path.Base(f.Path) == want {
			attachment(w, path.Dir(f.Path)+"-"+want, "text/html; charset=utf-8", f.Data)
			return
		}
	}
	s.problem(w, r, fmt.Errorf("the pack has no %s", want))
}

func (s *Site) packSpreadsheets(w http.ResponseWriter, r *http.Request) {
	files, year := s.packFiles(w, r)
	if files == nil {
		return
	}
	b, dir, err := zipCSVs(files, s.opts.now())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	attachment(w, fmt.Sprintf("%s-involvement-%d.zip", dir, year), "application/zip", b)
}

// zipCSVs puts the pack's CSV files in a zip, under the pack's folder,
// each dated modified; it returns the folder's name too.
func zipCSVs(files []audit.PackFile, modified time.Time) ([]byte, string, error) {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	dir := ""
	for _, f := range files {
		if path.Ext(f.Path) != ".csv" {
			continue
		}
		dir = path.Dir(f.Path)
		fw, err := z.CreateHeader(&zip.FileHeader{Name: f.Path, Method: zip.Deflate, Modified: modified.UTC()})
		if err != nil {
			return nil, "", err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return nil, "", err
		}
	}
	if err := z.Close(); err != nil {
		return nil, "", err
	}
	if dir == "" {
		return nil, "", errors.New("the pack has no spreadsheets")
	}
	return b.Bytes(), dir, nil
}
