package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/services/internal/auth"
)

// FormPage is a page with one form.
type FormPage struct {
	Back    *Link
	Caption string
	Title   string
	Lede    string
	Form    *Form
}

// Link is a link with its text.
type Link struct {
	Text, Href string
}

// ListPage is a list with a search form and pages.
type ListPage struct {
	Title          string
	Lede           string
	Next           []Link
	Search         *Search
	ResultsHeading string
	Count          string
	Table          *Table
	Empty          string
	Pagination     *Pagination
}

// Search is a list's search form (GET).
type Search struct {
	Heading, Action, Button string
	Fields                  []Field
}

// RecordPage shows one thing that was recorded and what can be recorded
// about it next.
type RecordPage struct {
	Caption     string
	Title       string
	Lede        string
	Summary     *SummaryList
	NextHeading string
	Next        []Link
	Sections    []Section
}

// Section is a part of a record page under an h2.
type Section struct {
	ID, Heading, Text string
	Summary           *SummaryList
	Table             *Table
	Empty             string
	Links             []Link
}

// linkHTML is a link as trusted markup for a table cell: both the address
// (built by this package from ids) and the text (which may be what a
// person typed) are escaped.
func linkHTML(href, text string) template.HTML {
	return template.HTML(`<a href="` + template.HTMLEscapeString(href) + `">` + template.HTMLEscapeString(text) + `</a>`)
}

// row is a summary list row of plain text.
func row(key, value string) SummaryRow {
	return SummaryRow{Key: SummaryCell{Content: Content{Text: key}}, Value: SummaryCell{Content: Content{Text: value}}}
}

func summary(rows ...SummaryRow) *SummaryList { return &SummaryList{Rows: rows} }

func textCell(s string) TableCell { return TableCell{Content: Content{Text: s}} }

func htmlCell(h template.HTML) TableCell { return TableCell{Content: Content{HTML: h}} }

func numCell(n int) TableCell {
	return TableCell{Content: Content{Text: fmt.Sprint(n)}, Format: "numeric"}
}

func heads(names ...string) []TableCell {
	out := make([]TableCell, len(names))
	for i, n := range names {
		out[i] = textCell(n)
	}
	return out
}

// dayText writes a moment as its day in the programme's zone.
func (s *Site) dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opts.loc).Format("2 January 2006")
}

// timeText writes a moment as its day and time in the programme's zone.
func (s *Site) timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opts.loc).Format("2 January 2006 at 15:04")
}

// words writes a catalogue value (co_design, word_of_mouth) in words.
func words(v string) string {
	w := upperFirst(strings.ReplaceAll(v, "_", " "))
	if strings.HasPrefix(w, "Co ") {
		w = "Co-" + w[3:]
	}
	return w
}

func yesNoText(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// person is a stakeholder as the stakeholder service opens them.
type person struct {
	ID                 string   `json:"id"`
	Erased             bool     `json:"erased"`
	Name               *string  `json:"name"`
	Contact            *string  `json:"contact"`
	Roles              []string `json:"roles"`
	CurrentExperience  bool     `json:"current_experience"`
	RecruitmentChannel string   `json:"recruitment_channel"`
	SupportNeeds       []struct {
		Need string `json:"need"`
		Note string `json:"note"`
	} `json:"support_needs"`
	Consents []string `json:"consents"`
}

// shortRef is the short reference a person is listed by when their name
// is not shown.
func shortRef(id string) string {
	if len(id) > 8 {
		id = id[:8]
	}
	return "Person " + id
}

// names returns what to call each of the people ids: their names, opened
// one by one through the stakeholder service, if the caller may read
// personal data; their references otherwise. Names are shown to those
// who may see them and go nowhere else.
func (s *Site) names(r *http.Request, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	open := s.opts.commands != nil && can(r, auth.ReadPersonalData)
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if !open {
			out[id] = shortRef(id)
			continue
		}
		var p person
		if err := readJSON(s.opts.commands, r, "/api/v1/stakeholders/"+url.PathEscape(id), nil, &p); err != nil {
			return nil, err
		}
		switch {
		case p.Erased:
			out[id] = "Erased person (" + shortRef(id) + ")"
		case p.Name != nil:
			out[id] = *p.Name
		default:
			out[id] = shortRef(id)
		}
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
