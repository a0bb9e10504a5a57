package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/browse"
)

// The pages of what was recorded: each reads the read API as the caller,
// waiting (when a form led to it) until the store position the form
// recorded at is reflected.

// recorder reports whether the caller may record here.
func (s *Site) recorder(r *http.Request) bool {
	return s.opts.commands != nil && can(r, auth.RecordCommands)
}

func (s *Site) renderRecord(w http.ResponseWriter, r *http.Request, title string, rp RecordPage, crumbs ...BreadcrumbItem) {
	p := s.page(r, title, rp)
	if len(crumbs) > 0 {
		p.Breadcrumb = &Breadcrumb{Items: crumbs}
	}
	s.render(w, r, http.StatusOK, "record", p)
}

func crumb(text, href string) BreadcrumbItem {
	return BreadcrumbItem{Content: Content{Text: text}, Href: href}
}

// projectDetail reads one project with its elements and decisions.
func (s *Site) projectDetail(r *http.Request, id string) (browse.ProjectDetail, error) {
	var p browse.ProjectDetail
	err := readJSON(s.opts.reads, r, "/api/v1/projects/"+url.PathEscape(id), atPosition(r), &p)
	return p, err
}

func (s *Site) showInvolvement(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := s.projectDetail(r, id)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	pid := url.PathEscape(id)
	status := "Open"
	if p.ClosedAt != nil {
		status = "Closed on " + s.dayText(*p.ClosedAt)
	}
	rp := RecordPage{
		Caption: p.Programme, Title: p.Name,
		Lede:    "The parts of this project, how far each is co-produced, engaged or consulted on, and the assessment of the duty to involve people.",
		Summary: summary(row("Aim", p.Aim), row("Lead", p.Lead), row("Status", status)),
	}
	if s.recorder(r) {
		rp.NextHeading = "Record"
		rp.Next = []Link{
			{"Record whether the duty to involve people applies", "/projects/" + pid + "/duty"},
			{"Plan an engagement", "/engagements/new?project=" + url.QueryEscape(id)},
			{"Record feedback", "/feedback/new?project=" + url.QueryEscape(id)},
			{"Agree an action", "/actions/new?project=" + url.QueryEscape(id)},
		}
	}
	duty := Section{ID: "duty", Heading: "The duty to involve", Empty: "Nobody has assessed yet whether the legal duty to involve people applies."}
	if d := p.Duty; d != nil {
		duty.Summary = summary(row("Does the duty apply?", yesNoText(d.Applies)), row("On what basis", d.Basis),
			row("Assessed by", d.AssessedBy), row("Why", d.Rationale), row("Assessed on", s.dayText(d.OccurredAt)))
	}
	rp.Sections = append(rp.Sections, duty)
	for _, el := range p.Elements {
		sec := Section{ID: "element-" + el.ID, Heading: el.Name, Empty: "No decision yet on how far people are involved in this."}
		if n := len(el.Decisions); n > 0 {
			d := el.Decisions[n-1]
			sec.Summary = summary(row("Level of involvement", levelName(string(d.Level))), row("Decided by", d.DecidedBy),
				row("Why", d.Rationale), row("Decided on", s.dayText(d.OccurredAt)), row("Decisions so far", countOf(n, "decision")))
		}
		if s.recorder(r) {
			sec.Links = []Link{{"Record a decision on " + el.Name, "/projects/" + pid + "/elements/" + url.PathEscape(el.ID) + "/decide"}}
		}
		rp.Sections = append(rp.Sections, sec)
	}
	if len(p.Elements) == 0 {
		rp.Sections = append(rp.Sections, Section{Heading: "Parts of the project", Empty: "No parts of this project have been recorded yet."})
	}
	rp.Sections = append(rp.Sections, Section{Heading: "More about this project", Links: []Link{
		{"Who took part and whether the loop was closed", "/projects/" + pid},
		{"Engagements", "/engagements?project=" + url.QueryEscape(id)},
		{"Actions", "/actions?project=" + url.QueryEscape(id)},
	}})
	s.renderRecord(w, r, p.Name, rp, crumb("Projects", "/projects"))
}

func countOf(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}

// engagement reads one engagement with its invitations.
func (s *Site) engagement(r *http.Request, id string) (browse.EngagementDetail, error) {
	var e browse.EngagementDetail
	err := readJSON(s.opts.reads, r, "/api/v1/engagements/"+url.PathEscape(id), atPosition(r), &e)
	return e, err
}

// elementNames names a project's elements by id.
func elementNames(p browse.ProjectDetail) map[string]string {
	out := map[string]string{}
	for _, el := range p.Elements {
		out[el.ID] = el.Name
	}
	return out
}

func (s *Site) showEngagement(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := s.engagement(r, id)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	p, err := s.projectDetail(r, e.ProjectID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	var ids []string
	for _, inv := range e.Invitations {
		ids = append(ids, inv.StakeholderID)
	}
	ids = append(ids, e.AttendeeIDs...)
	names, err := s.names(r, ids)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	els := elementNames(p)
	var parts []string
	for _, el := range e.ElementIDs {
		parts = append(parts, els[el])
	}
	partsText := strings.Join(parts, ", ")
	if partsText == "" {
		partsText = "The project as a whole"
	}
	eid := url.PathEscape(id)
	rp := RecordPage{
		Caption: p.Name, Title: e.Title,
		Summary: summary(row("Project", p.Name), row("About", partsText), row("How", words(e.Method)),
			row("Level of involvement", levelName(string(e.Level))), row("When", s.timeText(e.ScheduledFor)),
			row("Status", s.engagementStatus(e.Engagement))),
	}
	if e.Status == browse.StatusHeld {
		rp.Summary.Rows = append(rp.Summary.Rows, row("People who came", itoa(e.Counts.NamedAttendees)+" named, "+itoa(e.Counts.UnnamedAttendees)+" not named"))
	}
	if s.recorder(r) && e.Status != browse.StatusCancelled {
		rp.NextHeading = "Record"
		if e.Status == browse.StatusPlanned {
			rp.Next = append(rp.Next, Link{"Invite people", "/engagements/" + eid + "/invite"})
		}
		if len(e.Invitations) > 0 {
			rp.Next = append(rp.Next, Link{"Record an answer to an invitation", "/engagements/" + eid + "/answer"})
		}
		if e.Status == browse.StatusPlanned {
			rp.Next = append(rp.Next, Link{"Record who came", "/engagements/" + eid + "/attendance"})
		}
		rp.Next = append(rp.Next,
			Link{"Record feedback from this engagement", "/feedback/new?project=" + url.QueryEscape(e.ProjectID) + "&engagement=" + url.QueryEscape(id)},
			Link{"Agree an action from this engagement", "/actions/new?project=" + url.QueryEscape(e.ProjectID) + "&engagement=" + url.QueryEscape(id)})
	}
	inv := Section{ID: "invitations", Heading: "Invitations", Empty: "Nobody has been invited yet."}
	if len(e.Invitations) > 0 {
		came := map[string]bool{}
		for _, a := range e.AttendeeIDs {
			came[a] = true
		}
		t := &Table{Caption: &Caption{Content: Content{Text: "Who was invited, their answer and whether they came"}, Size: "s"},
			FirstCellIsHeader: true, Head: heads("Person", "Invited by", "Answer", "Came")}
		for _, i := range e.Invitations {
			answer := "No answer yet"
			if i.Accepted != nil {
				answer = map[bool]string{true: "Accepted", false: "Declined"}[*i.Accepted]
			}
			attended := "Not recorded yet"
			if e.Status == browse.StatusHeld {
				attended = yesNoText(came[i.StakeholderID])
			}
			t.Rows = append(t.Rows, []TableCell{s.personCell(r, i.StakeholderID, names), textCell(words(i.Channel)), textCell(answer), textCell(attended)})
		}
		inv.Table = t
	}
	rp.Sections = append(rp.Sections, inv)
	invited := map[string]bool{}
	for _, i := range e.Invitations {
		invited[i.StakeholderID] = true
	}
	var walkIns []Link
	for _, a := range e.AttendeeIDs {
		if !invited[a] {
			walkIns = append(walkIns, Link{names[a], s.personHref(r, a)})
		}
	}
	if len(walkIns) > 0 {
		rp.Sections = append(rp.Sections, Section{ID: "uninvited", Heading: "People who came without an invitation", Links: walkIns})
	}
	s.renderRecord(w, r, e.Title, rp, crumb("Engagements", "/engagements?project="+url.QueryEscape(e.ProjectID)))
}

// personHref links a person's page for those who may open it, and the
// people list otherwise (which names nobody).
func (s *Site) personHref(r *http.Request, id string) string {
	if s.opts.commands != nil && can(r, auth.ReadPersonalData) {
		return "/stakeholders/" + url.PathEscape(id)
	}
	return "#" + url.PathEscape(id)
}

func (s *Site) personCell(r *http.Request, id string, names map[string]string) TableCell {
	if s.opts.commands != nil && can(r, auth.ReadPersonalData) {
		return htmlCell(linkHTML("/stakeholders/"+url.PathEscape(id), names[id]))
	}
	return textCell(names[id])
}

func (s *Site) showFeedback(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var fb browse.FeedbackDetail
	if err := readJSON(s.opts.reads, r, "/api/v1/feedback/"+url.PathEscape(id), atPosition(r), &fb); err != nil {
		s.problem(w, r, err)
		return
	}
	p, err := s.projectDetail(r, fb.ProjectID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	who := "Not named (anonymous, or the wider audience)"
	var whoHTML TableCell
	if fb.StakeholderID != nil {
		names, err := s.names(r, []string{*fb.StakeholderID})
		if err != nil {
			s.problem(w, r, err)
			return
		}
		who = names[*fb.StakeholderID]
		whoHTML = s.personCell(r, *fb.StakeholderID, names)
	}
	rows := []SummaryRow{row("Project", p.Name)}
	if fb.EngagementID != nil {
		var e browse.EngagementDetail
		if err := readJSON(s.opts.reads, r, "/api/v1/engagements/"+url.PathEscape(*fb.EngagementID), nil, &e); err != nil {
			s.problem(w, r, err)
			return
		}
		rows = append(rows, SummaryRow{Key: SummaryCell{Content: Content{Text: "Engagement"}},
			Value: SummaryCell{Content: Content{HTML: linkHTML("/engagements/"+url.PathEscape(e.ID), e.Title)}}})
	}
	if fb.ElementID != nil {
		rows = append(rows, row("About", elementNames(p)[*fb.ElementID]))
	}
	whoRow := row("Who said it", who)
	if whoHTML.HTML != "" {
		whoRow.Value.Content = whoHTML.Content
	}
	themes := strings.Join(fb.Themes, ", ")
	if themes == "" {
		themes = "None"
	}
	rows = append(rows, whoRow, row("How it was given", words(fb.Channel)), row("Sentiment", words(fb.Sentiment)),
		row("Themes", themes), row("Given on", s.dayText(fb.GivenAt)))
	if fb.RetractedAt != nil {
		rows = append(rows, row("Withdrawn on", s.dayText(*fb.RetractedAt)))
	}
	rp := RecordPage{Caption: p.Name, Title: "Feedback given on " + s.dayText(fb.GivenAt), Summary: summary(rows...),
		Lede: "What was said is kept encrypted with the key of the person who said it, and is not shown in lists or pages."}
	if s.recorder(r) && fb.RetractedAt == nil {
		rp.NextHeading = "Record"
		rp.Next = []Link{{"Agree an action in response", "/actions/new?project=" + url.QueryEscape(fb.ProjectID) + "&feedback=" + url.QueryEscape(id)}}
	}
	resp := Section{Heading: "The response", Empty: "No response has been recorded yet."}
	if fb.Response != nil {
		resp.Summary = summary(row("What was done with it", influenceName(fb.Response.Influence)), row("Why", fb.Response.Reason),
			row("Responded on", s.dayText(fb.Response.OccurredAt)))
	}
	acts := Section{Heading: "Actions agreed from it", Empty: "No actions have been agreed from this feedback yet."}
	for _, a := range fb.ActionIDs {
		var ad browse.ActionDetail
		if err := readJSON(s.opts.reads, r, "/api/v1/actions/"+url.PathEscape(a), nil, &ad); err != nil {
			s.problem(w, r, err)
			return
		}
		acts.Links = append(acts.Links, Link{ad.Description, "/actions/" + url.PathEscape(a)})
	}
	rp.Sections = []Section{resp, acts}
	s.renderRecord(w, r, rp.Title, rp, crumb(p.Name, "/projects/"+url.PathEscape(p.ID)+"/involvement"))
}

func influenceName(v string) string {
	switch v {
	case "adopted":
		return "We did what was asked"
	case "partly_adopted":
		return "We did some of what was asked"
	case "not_adopted":
		return "We could not do what was asked"
	}
	return words(v)
}

func (s *Site) showAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var a browse.ActionDetail
	if err := readJSON(s.opts.reads, r, "/api/v1/actions/"+url.PathEscape(id), atPosition(r), &a); err != nil {
		s.problem(w, r, err)
		return
	}
	p, err := s.projectDetail(r, a.ProjectID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	state := SummaryRow{Key: SummaryCell{Content: Content{Text: "State"}}, Value: SummaryCell{Content: Content{HTML: s.tagHTML(actionState(a.Action))}}}
	rows := []SummaryRow{row("Project", p.Name), row("Owner", a.Owner), row("Agreed on", s.dayText(a.AgreedAt)),
		row("Due", longDate(a.DueOn.Time())), state}
	if a.CompletedOn != nil {
		rows = append(rows, row("Done on", longDate(a.CompletedOn.Time())))
	}
	if a.Outcome != nil {
		rows = append(rows, row("Outcome", *a.Outcome))
	}
	if a.DroppedAt != nil {
		rows = append(rows, row("Dropped on", s.dayText(*a.DroppedAt)))
	}
	if a.OutcomeCommunicatedAt != nil {
		rows = append(rows, row("People told the outcome on", s.dayText(*a.OutcomeCommunicatedAt)))
	}
	rp := RecordPage{Caption: p.Name, Title: a.Description, Summary: summary(rows...)}
	aid := url.PathEscape(id)
	if s.recorder(r) {
		rp.NextHeading = "Record"
		switch a.State {
		case browse.StateOpen:
			rp.Next = []Link{{"Record that it was done", "/actions/" + aid + "/complete"},
				{"Change the due date", "/actions/" + aid + "/reschedule"}, {"Drop it", "/actions/" + aid + "/drop"}}
		case browse.StateCompleted:
			rp.Next = []Link{{"Record that people were told the outcome", "/actions/" + aid + "/communicate"}}
		}
	}
	due := Section{Heading: "Changes to the due date", Empty: "The due date has not changed."}
	if len(a.Reschedules) > 0 {
		t := &Table{Caption: &Caption{Content: Content{Text: "Due dates set after the first"}, Size: "s"}, Head: heads("Recorded on", "New due date")}
		for _, rs := range a.Reschedules {
			t.Rows = append(t.Rows, []TableCell{textCell(s.dayText(rs.OccurredAt)), textCell(longDate(rs.DueOn.Time()))})
		}
		due.Table = t
	}
	told := Section{Heading: "Telling people the outcome", Empty: "Nobody has been told the outcome yet."}
	if len(a.Communications) > 0 {
		t := &Table{Caption: &Caption{Content: Content{Text: "When the outcome was shared"}, Size: "s"}, Head: heads("Shared on")}
		for _, c := range a.Communications {
			t.Rows = append(t.Rows, []TableCell{textCell(s.timeText(c.OccurredAt))})
		}
		told.Table = t
	}
	from := Section{Heading: "Feedback it answers", Empty: "It answers no particular feedback."}
	for _, f := range a.FeedbackIDs {
		from.Links = append(from.Links, Link{"Feedback " + shortID(f), "/feedback/" + url.PathEscape(f)})
	}
	if a.EngagementID != nil {
		from.Links = append(from.Links, Link{"The engagement it was agreed at", "/engagements/" + url.PathEscape(*a.EngagementID)})
	}
	rp.Sections = []Section{due, told, from}
	s.renderRecord(w, r, a.Description, rp, crumb("Actions", "/actions?project="+url.QueryEscape(a.ProjectID)))
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (s *Site) showStakeholder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var p person
	if err := readJSON(s.opts.commands, r, "/api/v1/stakeholders/"+url.PathEscape(id), nil, &p); err != nil {
		s.problem(w, r, err)
		return
	}
	if p.Erased {
		rp := RecordPage{Title: "Erased person", Lede: "This person asked to be forgotten: their name, contact details and everything else about them was erased. What they took part in is still counted, without saying who they were.",
			Summary: summary(row("Reference", shortRef(id)), row("Roles", roleList(p.Roles)))}
		s.renderRecord(w, r, rp.Title, rp, crumb("People", "/stakeholders"))
		return
	}
	name := shortRef(id)
	if p.Name != nil {
		name = *p.Name
	}
	contact := "Not given"
	if p.Contact != nil && *p.Contact != "" {
		contact = *p.Contact
	}
	var needs []string
	for _, n := range p.SupportNeeds {
		needs = append(needs, words(n.Need))
	}
	if len(needs) == 0 {
		needs = []string{"None recorded"}
	}
	consents := make([]string, 0, len(p.Consents))
	for _, c := range p.Consents {
		consents = append(consents, words(c))
	}
	if len(consents) == 0 {
		consents = []string{"None recorded"}
	}
	rp := RecordPage{Caption: shortRef(id), Title: name,
		Summary: summary(row("Contact", contact), row("Roles", roleList(p.Roles)), row("Uses the service now", yesNoText(p.CurrentExperience)),
			row("Found through", words(p.RecruitmentChannel)), row("Support needs", strings.Join(needs, ", ")),
			row("Agreed to", strings.Join(consents, ", ")))}
	s.renderRecord(w, r, name, rp, crumb("People", "/stakeholders"))
}
