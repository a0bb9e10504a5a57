package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/browse"
)

// auditRoutes adds the auditor's pages.
func (s *Site) auditRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /audit", s.auditHome)
	mux.HandleFunc("GET /audit/projects/{id}", s.timeline)
}

// AuditPage is the auditor's start: the chain's state, the timelines and
// how to export.
type AuditPage struct {
	// Chain is the result of a check, when one was asked for.
	Chain    *ChainStatus
	CanCheck bool
	Projects *Table
	More     string
	Today    string
}

// ChainStatus is what a check of the hash chains found.
type ChainStatus struct {
	OK      bool
	Broken  string
	Summary *SummaryList
}

func (s *Site) auditHome(w http.ResponseWriter, r *http.Request) {
	ap := AuditPage{CanCheck: s.opts.audit != nil, Today: s.opts.now().In(s.opts.loc).Format(time.DateOnly)}
	// The check walks the whole history, so it runs when asked for, not
	// on every visit.
	if r.URL.Query().Get("check") != "" && s.opts.audit != nil {
		var v audit.Verification
		if err := readJSON(s.opts.audit, r, "/api/v1/audit/verify", nil, &v); err != nil {
			s.problem(w, r, err)
			return
		}
		c := &ChainStatus{OK: v.OK}
		if b := v.Break; b != nil {
			c.Broken = fmt.Sprintf("The first break is at position %d: version %d of %s (event %s). %s.",
				b.Position, b.StreamVersion, b.Stream, b.EventID, upperFirst(b.Reason))
		}
		c.Summary = summary(row("Events checked", strconv.FormatUint(v.Result.Events, 10)),
			row("Last position", strconv.FormatUint(v.Result.LastPosition, 10)),
			row("Seals of the order checked", strconv.Itoa(v.Result.Seals)),
			row("Sealed up to position", strconv.FormatUint(v.Result.LastSealedPosition, 10)),
			row("Final chain hash", v.Result.ChainHash),
			row("Checked at", s.timeText(s.opts.now())))
		if !v.OK {
			// What was counted before the break says nothing about after it.
			c.Summary = summary(row("Checked at", s.timeText(s.opts.now())))
		}
		ap.Chain = c
	}
	var page browse.Page[browse.Project]
	if err := readJSON(s.opts.reads, r, "/api/v1/projects", url.Values{"limit": {strconv.Itoa(listPage)}}, &page); err != nil {
		s.problem(w, r, err)
		return
	}
	if len(page.Items) > 0 {
		t := &Table{Caption: &Caption{Content: Content{Text: "Projects and their decision timelines"}, Size: "s"}, FirstCellIsHeader: true,
			Head: heads("Project", "Programme", "Parts")}
		t.Head[2].Format = "numeric"
		for _, p := range page.Items {
			t.Rows = append(t.Rows, []TableCell{htmlCell(linkHTML("/audit/projects/"+url.PathEscape(p.ID), p.Name)), textCell(p.Programme), numCell(p.Counts.Elements)})
		}
		ap.Projects = t
	}
	if page.Next != nil && can(r, auth.ReadReports) {
		ap.More = "/projects"
	}
	s.render(w, r, http.StatusOK, "audit", s.page(r, "Audit", ap))
}

// TimelinePage is a project's decisions, element by element.
type TimelinePage struct {
	Programme, Name, KnownOn string
	Fields                   []Field
	Duty                     *SummaryList
	Elements                 []TimelineElement
}

// TimelineElement is one element's decisions in order.
type TimelineElement struct {
	ID, Name, Now string
	Decisions     []TimelineDecision
}

// TimelineDecision is one decision.
type TimelineDecision struct {
	Heading string
	Warning string
	Summary *SummaryList
}

func (s *Site) timeline(w http.ResponseWriter, r *http.Request) {
	now := s.opts.now()
	id := r.PathValue("id")
	f := parseFilters(url.Values{"as_of[day]": r.URL.Query()["as_of[day]"], "as_of[month]": r.URL.Query()["as_of[month]"],
		"as_of[year]": r.URL.Query()["as_of[year]"]}, s.opts.loc, now)
	q := url.Values{}
	if f.Query != nil {
		q = f.Query
	}
	var p browse.ProjectDetail
	if err := readJSON(s.opts.reads, r, "/api/v1/projects/"+url.PathEscape(id), q, &p); err != nil {
		s.problem(w, r, err)
		return
	}
	var asOf DateInput
	for _, d := range f.DateInputs() {
		if d.ID == "as_of" {
			asOf = d
		}
	}
	tp := TimelinePage{Programme: p.Programme, Name: p.Name, KnownOn: knownOn(f, now, now), Fields: []Field{{Date: &asOf}}}
	if d := p.Duty; d != nil {
		tp.Duty = summary(row("Does the duty apply?", yesNoText(d.Applies)), row("On what basis", d.Basis),
			row("Assessed by", d.AssessedBy), row("Why", d.Rationale), row("Assessed on", s.dayText(d.OccurredAt)))
	}
	for _, el := range p.Elements {
		te := TimelineElement{ID: "element-" + el.ID, Name: el.Name, Now: "No decision had been made on how far people are involved in this."}
		if el.Level != nil {
			te.Now = "At " + levelName(string(*el.Level)) + ", after " + countOf(len(el.Decisions), "decision") + "."
		}
		for _, d := range el.Decisions {
			te.Decisions = append(te.Decisions, s.decisionOf(d))
		}
		tp.Elements = append(tp.Elements, te)
	}
	pg := s.page(r, "Decision timeline: "+p.Name, tp)
	pg.Breadcrumb = &Breadcrumb{Items: []BreadcrumbItem{crumb("Audit", "/audit")}}
	status := http.StatusOK
	if f.Query == nil {
		pg.Errors, pg.Title, status = f.Summary(), "Error: "+pg.Title, http.StatusBadRequest
	}
	s.render(w, r, status, "timeline", pg)
}

func (s *Site) decisionOf(d browse.Decision) TimelineDecision {
	heading := s.dayText(d.OccurredAt) + ": " + levelName(string(d.Level))
	prev := "None: this was the first decision"
	if d.PreviousLevel != nil {
		prev = levelName(string(*d.PreviousLevel))
		heading += " (was " + prev + ")"
	}
	var rights []string
	for _, r := range d.DecisionRights {
		rights = append(rights, r.Holder+": "+r.Right)
	}
	if len(rights) == 0 {
		rights = []string{"None recorded"}
	}
	expectations := d.Expectations
	if expectations == "" {
		expectations = "None recorded"
	}
	td := TimelineDecision{Heading: heading, Summary: summary(
		row("Level", levelName(string(d.Level))), row("Level before", prev), row("Decided by", d.DecidedBy),
		row("Why", d.Rationale), row("Who holds which decision rights", strings.Join(rights, "; ")),
		row("Expectations set", expectations), row("Decided on", s.timeText(d.OccurredAt)),
		row("Recorded on", s.timeText(d.RecordedAt)))}
	if days := int(d.RecordedAt.Sub(d.OccurredAt).Hours() / 24); days >= 1 {
		td.Warning = "Recorded " + countOf(days, "day") + " after it was made."
	}
	return td
}
