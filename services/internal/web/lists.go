package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/browse"
)

// Lists show a page at a time, in the order things were registered, with
// a link to the next page (the read API's cursor).
const (
	listPage = 20
	// scanPages bounds the pages of the read API one page of a search by
	// name reads, so that a search of a large programme answers in time;
	// the next link then carries on where it stopped.
	scanPages = 10
	scanLimit = 500
)

// readRoutes adds the lists and the pages of what was recorded.
func (s *Site) readRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /projects", s.listProjects)
	mux.HandleFunc("GET /projects/{id}/involvement", s.showInvolvement)
	mux.HandleFunc("GET /engagements", s.listEngagements)
	mux.HandleFunc("GET /engagements/{id}", s.showEngagement)
	mux.HandleFunc("GET /feedback/{id}", s.showFeedback)
	mux.HandleFunc("GET /actions", s.listActions)
	mux.HandleFunc("GET /actions/{id}", s.showAction)
	if s.opts.commands != nil {
		// People are listed where their details can be opened.
		mux.HandleFunc("GET /stakeholders", s.listStakeholders)
		mux.HandleFunc("GET /stakeholders/{id}", s.showStakeholder)
	}
}

// cursor reads the after parameter: a store position, or nothing.
func cursor(f *Form) string {
	after := f.get("after")
	if after == "" {
		return ""
	}
	if _, err := strconv.ParseUint(after, 10, 64); err != nil {
		f.failForm("The page asked for does not exist: go back to the first page")
		return ""
	}
	return after
}

// nextAfter returns the cursor of a read API page's next link, or "".
func nextAfter(next *string) string {
	if next == nil {
		return ""
	}
	u, err := url.Parse(*next)
	if err != nil {
		return ""
	}
	return u.Query().Get("after")
}

// pagination links the first and the next page of a list whose query is
// q (without after).
func pagination(path string, q url.Values, after, next string) *Pagination {
	if after == "" && next == "" {
		return nil
	}
	p := &Pagination{}
	page := func(a string) string {
		c := url.Values{}
		for k, v := range q {
			if k != "after" {
				c[k] = v
			}
		}
		if a != "" {
			c.Set("after", a)
		}
		if len(c) == 0 {
			return path
		}
		return path + "?" + c.Encode()
	}
	if after != "" {
		p.Previous = &PageLink{Content: Content{Text: "First page"}, Href: page("")}
	}
	if next != "" {
		p.Next = &PageLink{Content: Content{Text: "Next page"}, Href: page(next)}
	}
	return p
}

// listPageOf renders a list page, with the error summary of its search.
func (s *Site) renderList(w http.ResponseWriter, r *http.Request, f *Form, lp ListPage) {
	p := s.page(r, lp.Title, lp)
	status := http.StatusOK
	if f.HasErrors() {
		p.Errors, p.Title, status = f.Summary(), "Error: "+p.Title, http.StatusBadRequest
	}
	s.render(w, r, status, "list", p)
}

// projectNames returns the names of every project (up to the read API's
// largest page), for the filters and for naming a project in a list.
func (s *Site) projects(r *http.Request) ([]browse.Project, error) {
	var page browse.Page[browse.Project]
	if err := readJSON(s.opts.reads, r, "/api/v1/projects", url.Values{"limit": {strconv.Itoa(scanLimit)}}, &page); err != nil {
		return nil, err
	}
	return page.Items, nil
}

func projectOptions(ps []browse.Project) []option {
	out := make([]option, 0, len(ps))
	for _, p := range ps {
		out = append(out, option{value: p.ID, text: p.Name + " (" + p.Programme + ")"})
	}
	return out
}

func (s *Site) listProjects(w http.ResponseWriter, r *http.Request) {
	f := newForm("", r.URL.Query())
	after := cursor(f)
	programme, name := f.get("programme"), f.get("name")
	q := url.Values{"limit": {strconv.Itoa(listPage)}}
	if programme != "" {
		q.Set("programme", programme)
	}
	if name != "" {
		q.Set("limit", strconv.Itoa(scanLimit))
	}
	var items []browse.Project
	next := after
	for i := 0; i < scanPages && (i == 0 || next != ""); i++ {
		if next != "" {
			q.Set("after", next)
		}
		var page browse.Page[browse.Project]
		if err := readJSON(s.opts.reads, r, "/api/v1/projects", q, &page); err != nil {
			s.problem(w, r, err)
			return
		}
		for _, p := range page.Items {
			if name == "" || strings.Contains(strings.ToLower(p.Name), strings.ToLower(name)) {
				items = append(items, p)
			}
		}
		next = nextAfter(page.Next)
		if name == "" || len(items) >= listPage {
			break
		}
	}
	lp := ListPage{
		Title: "Projects", Lede: "Find a project by its programme or its name.",
		ResultsHeading: "Projects found",
		Search: &Search{Heading: "Search", Action: "/projects", Button: "Search", Fields: []Field{
			f.text("programme", "Programme", "The whole name of the programme, in any case"),
			f.text("name", "Name of the project", "Part of the name is enough"),
		}},
		Empty:      "No projects match.",
		Pagination: pagination("/projects", r.URL.Query(), after, next),
	}
	if len(items) > 0 {
		t := &Table{Responsive: true, Caption: &Caption{Content: Content{Text: "Projects"}, Size: "s"}, FirstCellIsHeader: true,
			Head: heads("Project", "Programme", "Lead", "Engagements", "Actions", "Status", "Records")}
		for i := 3; i <= 4; i++ {
			t.Head[i].Format = "numeric"
		}
		for _, p := range items {
			status := "Open"
			if p.ClosedAt != nil {
				status = "Closed " + s.dayText(*p.ClosedAt)
			}
			id := url.PathEscape(p.ID)
			records := linkHTML("/projects/"+id+"/involvement", "Elements and decisions") + "<br>" +
				linkHTML("/engagements?project="+url.QueryEscape(p.ID), "Engagements") + "<br>" +
				linkHTML("/actions?project="+url.QueryEscape(p.ID), "Actions")
			if can(r, auth.ReadAudit) {
				records += "<br>" + linkHTML("/audit/projects/"+id, "Decision timeline")
			}
			t.Rows = append(t.Rows, []TableCell{htmlCell(linkHTML("/projects/"+id, p.Name)), textCell(p.Programme), textCell(p.Lead),
				numCell(p.Counts.Engagements), numCell(p.Counts.Actions), textCell(status), htmlCell(records)})
		}
		lp.Table = t
	}
	s.renderList(w, r, f, lp)
}

func (s *Site) listEngagements(w http.ResponseWriter, r *http.Request) {
	f := newForm("", r.URL.Query())
	after := cursor(f)
	projects, err := s.projects(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	projectID := f.get("project")
	q := url.Values{"limit": {strconv.Itoa(listPage)}}
	if projectID != "" {
		q.Set("project", projectID)
	}
	if after != "" {
		q.Set("after", after)
	}
	var page browse.Page[browse.Engagement]
	err = readJSON(s.opts.reads, r, "/api/v1/engagements", q, &page)
	switch {
	case isNotFound(err) && projectID != "":
		f.fail("project", "project", "There is no such project: choose one from the list")
	case err != nil:
		s.problem(w, r, err)
		return
	}
	names := map[string]string{}
	for _, p := range projects {
		names[p.ID] = p.Name
	}
	lp := ListPage{
		Title: "Engagements", Lede: "Workshops, events, focus groups, surveys, interviews, boards and meetings, with who was invited and who came.",
		ResultsHeading: "Engagements found",
		Search: &Search{Heading: "Search", Action: "/engagements", Button: "Show engagements", Fields: []Field{
			f.choose("project", "Project", "", "All projects", projectOptions(projects)),
		}},
		Empty:      "No engagements have been planned here yet.",
		Pagination: pagination("/engagements", r.URL.Query(), after, nextAfter(page.Next)),
	}
	if projectID != "" && s.opts.commands != nil && can(r, auth.RecordCommands) && !f.HasErrors() {
		lp.Next = []Link{{Text: "Plan an engagement for this project", Href: "/engagements/new?project=" + url.QueryEscape(projectID)}}
	}
	if len(page.Items) > 0 {
		t := &Table{Responsive: true, Caption: &Caption{Content: Content{Text: "Engagements"}, Size: "s"}, FirstCellIsHeader: true,
			Head: heads("Engagement", "Project", "How", "Level", "When", "Status", "Invited", "Came")}
		t.Head[6].Format, t.Head[7].Format = "numeric", "numeric"
		for _, e := range page.Items {
			t.Rows = append(t.Rows, []TableCell{htmlCell(linkHTML("/engagements/"+url.PathEscape(e.ID), e.Title)), textCell(names[e.ProjectID]),
				textCell(words(e.Method)), textCell(levelName(string(e.Level))), textCell(s.timeText(e.ScheduledFor)),
				textCell(s.engagementStatus(e)), numCell(e.Counts.Invited), numCell(e.Counts.NamedAttendees + e.Counts.UnnamedAttendees)})
		}
		lp.Table = t
	}
	s.renderList(w, r, f, lp)
}

func (s *Site) engagementStatus(e browse.Engagement) string {
	switch e.Status {
	case browse.StatusHeld:
		if e.HeldOn != nil {
			return "Held on " + longDate(e.HeldOn.Time())
		}
		return "Held"
	case browse.StatusCancelled:
		return "Cancelled"
	}
	return "Planned"
}

var stateNames = []option{
	{browse.StateOpen, "Open", ""}, {browse.StateOverdue, "Overdue", ""},
	{browse.StateCompleted, "Done", ""}, {browse.StateDropped, "Dropped", ""},
}

// actionState says where an action stands, as a tag.
func actionState(a browse.Action) Tag {
	switch {
	case a.State == browse.StateCompleted && a.OutcomeCommunicatedAt != nil:
		return Tag{Content: Content{Text: "Done, outcome shared"}, Colour: "green"}
	case a.State == browse.StateCompleted:
		return Tag{Content: Content{Text: "Done"}, Colour: "blue"}
	case a.State == browse.StateDropped:
		return Tag{Content: Content{Text: "Dropped"}, Colour: "grey"}
	case a.Overdue:
		return Tag{Content: Content{Text: "Overdue"}, Colour: "red"}
	}
	return Tag{Content: Content{Text: "Open"}, Colour: "white"}
}

func (s *Site) tagHTML(t Tag) template.HTML {
	b, err := execute(s.comps, "tag", t)
	if err != nil {
		return template.HTML(template.HTMLEscapeString(t.Text))
	}
	return template.HTML(b)
}

func (s *Site) listActions(w http.ResponseWriter, r *http.Request) {
	f := newForm("", r.URL.Query())
	after := cursor(f)
	projects, err := s.projects(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	projectID, state := f.get("project"), f.get("state")
	q := url.Values{"limit": {strconv.Itoa(listPage)}}
	if projectID != "" {
		q.Set("project", projectID)
	}
	if state != "" {
		q.Set("state", state)
	}
	if after != "" {
		q.Set("after", after)
	}
	var page browse.Page[browse.Action]
	var qe *QueryError
	err = readJSON(s.opts.reads, r, "/api/v1/actions", q, &page)
	switch {
	case isNotFound(err) && projectID != "":
		f.fail("project", "project", "There is no such project: choose one from the list")
	case asQueryError(err, &qe) && state != "":
		f.fail("state", "state", "Choose whether the actions are open, overdue, done or dropped")
	case err != nil:
		s.problem(w, r, err)
		return
	}
	names := map[string]string{}
	for _, p := range projects {
		names[p.ID] = p.Name
	}
	lp := ListPage{
		Title: "Actions", Lede: "What was agreed in response to what people said, who owns it, and whether it was done and people were told.",
		ResultsHeading: "Actions found",
		Search: &Search{Heading: "Search", Action: "/actions", Button: "Show actions", Fields: []Field{
			f.choose("project", "Project", "", "All projects", projectOptions(projects)),
			f.choose("state", "State", "", "Any state", stateNames),
		}},
		Empty:      "No actions match.",
		Pagination: pagination("/actions", r.URL.Query(), after, nextAfter(page.Next)),
	}
	if projectID != "" && s.opts.commands != nil && can(r, auth.RecordCommands) && !f.HasErrors() {
		lp.Next = []Link{{Text: "Agree an action for this project", Href: "/actions/new?project=" + url.QueryEscape(projectID)}}
	}
	if len(page.Items) > 0 {
		t := &Table{Responsive: true, Caption: &Caption{Content: Content{Text: "Actions"}, Size: "s"}, FirstCellIsHeader: true,
			Head: heads("Action", "Project", "Owner", "Due", "State")}
		for _, a := range page.Items {
			t.Rows = append(t.Rows, []TableCell{htmlCell(linkHTML("/actions/"+url.PathEscape(a.ID), a.Description)), textCell(names[a.ProjectID]),
				textCell(a.Owner), textCell(longDate(a.DueOn.Time())), htmlCell(s.tagHTML(actionState(a)))})
		}
		lp.Table = t
	}
	s.renderList(w, r, f, lp)
}

func (s *Site) listStakeholders(w http.ResponseWriter, r *http.Request) {
	f := newForm("", r.URL.Query())
	after := cursor(f)
	q := url.Values{"limit": {strconv.Itoa(listPage)}}
	if after != "" {
		q.Set("after", after)
	}
	var page browse.Page[browse.Stakeholder]
	if err := readJSON(s.opts.reads, r, "/api/v1/stakeholders", q, &page); err != nil {
		s.problem(w, r, err)
		return
	}
	lp := ListPage{
		Title: "People",
		Lede: "Everyone registered, by reference, with what they bring and how they were found. Names and contact details are kept " +
			"encrypted, one key per person: open a person to see theirs.",
		ResultsHeading: "People registered",
		Empty:          "Nobody has been registered yet.",
		Pagination:     pagination("/stakeholders", r.URL.Query(), after, nextAfter(page.Next)),
	}
	if can(r, auth.RecordCommands) {
		lp.Next = []Link{{Text: "Register a person", Href: "/stakeholders/new"}}
	}
	if len(page.Items) > 0 {
		t := &Table{Responsive: true, Caption: &Caption{Content: Content{Text: "People"}, Size: "s"}, FirstCellIsHeader: true,
			Head: heads("Person", "Roles", "Uses the service now", "Found through", "Registered")}
		for _, p := range page.Items {
			ref := shortRef(p.ID)
			if p.Erased {
				ref += " (erased)"
			}
			t.Rows = append(t.Rows, []TableCell{htmlCell(linkHTML("/stakeholders/"+url.PathEscape(p.ID), ref)), textCell(roleList(p.Roles)),
				textCell(yesNoText(p.CurrentExperience)), textCell(words(p.RecruitmentChannel)), textCell(s.dayText(p.RegisteredAt))})
		}
		lp.Table = t
	}
	s.renderList(w, r, f, lp)
}

func roleList[R ~string](roles []R) string {
	var out []string
	for _, r := range roles {
		out = append(out, roleName(string(r)))
	}
	if len(out) == 0 {
		return "None"
	}
	return strings.Join(out, ", ")
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, ErrNotFound) }

func asQueryError(err error, qe **QueryError) bool { return err != nil && errors.As(err, qe) }
