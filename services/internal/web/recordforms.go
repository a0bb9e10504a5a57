package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/browse"
)

// The forms of recording a workshop and what follows from it. Each field
// is named as the command's body names it, so that a broken rule the API
// reports lands beside the field it is about.

var roleSingular = map[string]string{
	"service_user": "Service user", "carer": "Carer", "frontline_staff": "Frontline staff", "manager": "Manager",
	"commissioner": "Commissioner", "partner": "Partner organisation", "public": "Member of the public",
}

var roleHints = map[string]string{
	"service_user": "Uses the service, now or before",
	"carer":        "Cares for someone who uses the service",
}

var audienceNames = map[string]string{
	"contributors": "The people who gave the feedback", "participants": "Everyone who took part",
	"wider_public": "The wider public", "staff": "Staff", "board": "The board",
}

var levelHints = map[string]string{
	"inform":     "People are told what is happening",
	"engage":     "People are asked for their views as things go along",
	"consult":    "People are asked for their views on a proposal",
	"co_design":  "People shape what is done, sharing power over the design",
	"co_produce": "People share power and responsibility from start to finish",
}

func name(m map[string]string) func(string) string {
	return func(v string) string {
		if n, ok := m[v]; ok {
			return n
		}
		return words(v)
	}
}

func levelOptions() []option {
	out := make([]option, 0, len(levelNames))
	for _, l := range levelNames {
		out = append(out, option{l.key, l.name, levelHints[l.key]})
	}
	return out
}

func roleOptions() []option {
	out := make([]option, 0, len(events.Roles))
	for _, r := range events.Roles {
		out = append(out, option{string(r), roleSingular[string(r)], roleHints[string(r)]})
	}
	return out
}

// prefill sets the values of a form shown for the first time from its
// address (the project, engagement or feedback it was opened from).
func prefill(r *http.Request, f *Form, keys ...string) {
	if r.Method != http.MethodGet {
		return
	}
	for _, k := range keys {
		if v := r.URL.Query()[k]; len(v) > 0 {
			f.values[k] = v
		}
	}
}

// ----- Register a person -----

var registerForm = recordForm{
	page: func(s *Site, r *http.Request, f *Form, _ any) FormPage {
		name := f.text("name", "Full name", "")
		name.Input.Autocomplete, name.Input.Spellcheck = "off", ptr(false)
		contact := f.text("contact", "Email address or phone number (optional)", "How to reach them about what they take part in")
		contact.Input.Autocomplete, contact.Input.Spellcheck = "off", ptr(false)
		f.Submit, f.Cancel = "Register", "/stakeholders"
		f.Fields = []Field{
			name, contact,
			f.checks("roles", "What do they bring?", "Select all that apply. Staff can be service users or carers too.", roleOptions()),
			f.radios("current_experience", "Do they use the service now, or care for someone who does?", "", yesNoOptions("Yes", "No")),
			f.radios("recruitment_channel", "How were they found?", "", optionsOf(stakeholder.RecruitmentChannels, words)),
		}
		return FormPage{Title: "Register a person", Back: &Link{"People", "/stakeholders"},
			Lede: "Their name and contact details are kept encrypted with a key of their own, so that they can be erased on request."}
	},
	commands: func(s *Site, r *http.Request, f *Form, _ any) []commandCall {
		current := f.yesNo("current_experience", "Select yes if they use the service now, or care for someone who does")
		roles := f.all("roles")
		if roles == nil {
			roles = []string{}
		}
		return []commandCall{{path: "/api/v1/stakeholders", body: map[string]any{
			"name": f.get("name"), "contact": f.get("contact"), "roles": roles, "current_experience": current,
			"recruitment_channel": f.get("recruitment_channel")}}}
	},
	fields: map[string]apiField{
		"name":                {id: "name", required: "Enter their full name", what: "Their name"},
		"contact":             {id: "contact", what: "Their contact details"},
		"roles":               {id: "roles", required: "Select what they bring", what: "What they bring"},
		"roles[]":             {id: "roles", invalid: "Select what they bring from the list"},
		"recruitment_channel": {id: "recruitment_channel", required: "Select how they were found", invalid: "Select how they were found from the list"},
	},
	done: func(_ *http.Request, _ any, res commandResult) string {
		return recordedAt("/stakeholders/"+url.PathEscape(res.ID), "stakeholder", res.Position)
	},
}

// ----- Plan an engagement -----

type planAbout struct {
	projects []browse.Project
	project  *browse.ProjectDetail
}

var planForm = recordForm{
	load: func(s *Site, r *http.Request) (any, error) {
		ps, err := s.projects(r)
		if err != nil {
			return nil, err
		}
		a := planAbout{projects: ps}
		if id := queryID(r, "project"); id != "" {
			p, err := s.projectDetail(r, id)
			if err != nil {
				return nil, err
			}
			a.project = &p
		}
		return a, nil
	},
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(planAbout)
		prefill(r, f, "project")
		if f.get("project_id") == "" {
			f.values.Set("project_id", f.get("project"))
		}
		f.Submit = "Plan the engagement"
		f.Fields = []Field{f.choose("project_id", "Project", "", "Choose a project", projectOptions(a.projects)),
			f.text("title", "Title", "For example, Waiting room workshop")}
		if a.project != nil && len(a.project.Elements) > 0 {
			var els []option
			for _, el := range a.project.Elements {
				els = append(els, option{value: el.ID, text: el.Name})
			}
			f.Fields = append(f.Fields, f.checks("element_ids", "Which parts of the project is it about?", "Leave empty if it is about the project as a whole", els))
		}
		f.Fields = append(f.Fields,
			f.radios("method", "How will it be run?", "", optionsOf(engagement.Methods, words)),
			f.radios("level", "What level of involvement is it?", "", levelOptions()),
			f.date("scheduled_for", "When is it?", "For example, 27 3 2026"),
			f.text("scheduled_time", "What time does it start?", "For example, 14:30"))
		f.Fields[len(f.Fields)-1].Input.Width = 5
		fp := FormPage{Title: "Plan an engagement"}
		if a.project != nil {
			fp.Caption = a.project.Name
			f.Cancel = "/engagements?project=" + url.QueryEscape(a.project.ID)
		}
		return fp
	},
	commands: func(s *Site, r *http.Request, f *Form, _ any) []commandCall {
		day := f.day("scheduled_for", "The day of the engagement", true, s.opts.loc)
		at := f.clock("scheduled_time", "the time it starts")
		var when string
		if day != "" && at != "" {
			t, err := time.ParseInLocation(time.DateOnly+" 15:04", day+" "+at, s.opts.loc)
			if err != nil {
				f.fail("scheduled_time", "scheduled_time", "Enter the time it starts, like 14:30")
			} else {
				when = t.UTC().Format(time.RFC3339)
			}
		}
		els := f.all("element_ids")
		if els == nil {
			els = []string{}
		}
		body := map[string]any{"project_id": f.get("project_id"), "element_ids": els, "title": f.get("title"),
			"method": f.get("method"), "level": f.get("level")}
		if when != "" {
			body["scheduled_for"] = when
		}
		return []commandCall{{path: "/api/v1/engagements", body: body}}
	},
	fields: map[string]apiField{
		"project_id":    {id: "project_id", required: "Choose the project", invalid: "Choose the project from the list"},
		"title":         {id: "title", required: "Enter a title, such as Waiting room workshop", what: "The title"},
		"element_ids[]": {id: "element_ids", invalid: "Choose parts of this project from the list"},
		"method":        {id: "method", required: "Select how it will be run", invalid: "Select how it will be run from the list"},
		"level":         {id: "level", required: "Select the level of involvement", invalid: "Select the level of involvement from the list"},
		"scheduled_for": {id: "scheduled_for", href: "scheduled_for-day", required: "Enter the day of the engagement"},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`has no element`), id: "element_ids", msg: "Choose parts of the project you chose: those are of another project"},
		{detail: regexp.MustCompile(`^no project|project .* not found`), id: "project_id", msg: "Choose the project from the list"},
	},
	done: func(_ *http.Request, _ any, res commandResult) string {
		return recordedAt("/engagements/"+url.PathEscape(res.ID), "engagement", res.Position)
	},
}

// clock reads a time of day typed as 14:30, 14.30 or 9:05; it returns
// HH:MM, or "" with the error recorded.
func (f *Form) clock(name, what string) string {
	raw := strings.ReplaceAll(f.get(name), ".", ":")
	if raw == "" {
		f.fail(name, name, "Enter "+what+", like 14:30")
		return ""
	}
	h, m, ok := strings.Cut(raw, ":")
	hh, e1 := strconv.Atoi(h)
	mm, e2 := strconv.Atoi(m)
	if !ok || e1 != nil || e2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		f.fail(name, name, upperFirst(what)+" must be a real time, like 14:30")
		return ""
	}
	return fmt.Sprintf("%02d:%02d", hh, mm)
}

// ----- An engagement's invitations, answers and attendance -----

type engagementAbout struct {
	e       browse.EngagementDetail
	project browse.ProjectDetail
	names   map[string]string
	// people are those who may be invited (registered, not erased, not
	// invited yet), with more when the list was cut short.
	people []option
	more   bool
}

// maxInvitable bounds the people an invitation form lists, each of whose
// names is opened to show it.
const maxInvitable = 200

func loadEngagement(withPeople bool) func(s *Site, r *http.Request) (any, error) {
	return func(s *Site, r *http.Request) (any, error) {
		e, err := s.engagement(r, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		p, err := s.projectDetail(r, e.ProjectID)
		if err != nil {
			return nil, err
		}
		a := engagementAbout{e: e, project: p}
		var ids []string
		for _, inv := range e.Invitations {
			ids = append(ids, inv.StakeholderID)
		}
		ids = append(ids, e.AttendeeIDs...)
		invited := map[string]bool{}
		for _, id := range ids {
			invited[id] = true
		}
		var candidates []browse.Stakeholder
		if withPeople {
			var page browse.Page[browse.Stakeholder]
			if err := readJSON(s.opts.reads, r, "/api/v1/stakeholders", url.Values{"limit": {strconv.Itoa(browse.MaxLimit)}}, &page); err != nil {
				return nil, err
			}
			for _, st := range page.Items {
				if st.Erased || invited[st.ID] {
					continue
				}
				if len(candidates) == maxInvitable {
					a.more = true
					break
				}
				candidates = append(candidates, st)
				ids = append(ids, st.ID)
			}
			a.more = a.more || page.Next != nil
		}
		if a.names, err = s.names(r, ids); err != nil {
			return nil, err
		}
		for _, st := range candidates {
			a.people = append(a.people, option{value: st.ID, text: a.names[st.ID], hint: roleList(st.Roles)})
		}
		return a, nil
	}
}

func (a engagementAbout) intro(s *Site) *SummaryList {
	return summary(row("Engagement", a.e.Title), row("When", s.timeText(a.e.ScheduledFor)), row("Project", a.project.Name))
}

func (a engagementAbout) back() *Link {
	return &Link{"Back to the engagement", "/engagements/" + url.PathEscape(a.e.ID)}
}

func engagementDone(kind string) func(*http.Request, any, commandResult) string {
	return func(_ *http.Request, about any, res commandResult) string {
		return recordedAt("/engagements/"+url.PathEscape(about.(engagementAbout).e.ID), kind, res.Position)
	}
}

var inviteForm = recordForm{
	load: loadEngagement(true),
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(engagementAbout)
		f.Intro, f.Submit, f.Cancel = a.intro(s), "Record the invitations", "/engagements/"+url.PathEscape(a.e.ID)
		hintText := "Select everyone you invited."
		if a.more {
			hintText += fmt.Sprintf(" The first %d people registered who are not invited yet are listed.", maxInvitable)
		}
		if len(a.people) == 0 {
			f.Fields = []Field{para("Everyone registered has been invited already. Register a person first to invite someone new.")}
		} else {
			f.Fields = []Field{f.checks("stakeholder_id", "Who did you invite?", hintText, a.people)}
		}
		f.Fields = append(f.Fields, f.radios("channel", "How did you invite them?", "", optionsOf(engagement.InvitationChannels, words)))
		return FormPage{Caption: a.e.Title, Title: "Invite people", Back: a.back()}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		a := about.(engagementAbout)
		ids := f.all("stakeholder_id")
		if len(ids) == 0 {
			f.fail("stakeholder_id", "stakeholder_id", "Select the people you invited")
		}
		if f.get("channel") == "" {
			f.fail("channel", "channel", "Select how you invited them")
		}
		var calls []commandCall
		for _, id := range ids {
			who, ok := a.names[id]
			if !ok {
				f.fail("stakeholder_id", "stakeholder_id", "Select the people you invited from the list")
				continue
			}
			calls = append(calls, commandCall{path: "/api/v1/engagements/" + url.PathEscape(a.e.ID) + "/invitations",
				body: map[string]any{"stakeholder_id": id, "channel": f.get("channel")}, key: id, who: who})
		}
		return calls
	},
	fields: map[string]apiField{
		"stakeholder_id": {id: "stakeholder_id", required: "Select the people you invited", invalid: "Select the people you invited from the list"},
		"channel":        {id: "channel", required: "Select how you invited them", invalid: "Select how you invited them from the list"},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`is already invited`), msg: "Already invited to this engagement"},
		{detail: regexp.MustCompile(`was erased`), msg: "Erased, so cannot be invited"},
		{detail: regexp.MustCompile(`was cancelled`), msg: "The engagement was cancelled, so nobody can be invited"},
	},
	done: engagementDone("invitations"),
}

var answerForm = recordForm{
	load: loadEngagement(false),
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(engagementAbout)
		f.Intro, f.Submit, f.Cancel = a.intro(s), "Record the answer", "/engagements/"+url.PathEscape(a.e.ID)
		var people []option
		for _, inv := range a.e.Invitations {
			answer := "No answer yet"
			if inv.Accepted != nil {
				answer = map[bool]string{true: "Accepted", false: "Declined"}[*inv.Accepted] + " so far"
			}
			people = append(people, option{inv.StakeholderID, a.names[inv.StakeholderID], answer})
		}
		if len(people) == 0 {
			f.Fields = []Field{para("Nobody has been invited yet: invite people first.")}
		} else {
			f.Fields = []Field{f.radios("stakeholder_id", "Whose answer is it?", "", people)}
		}
		f.Fields = append(f.Fields,
			f.radios("accepted", "Did they accept?", "", yesNoOptions("Yes, they will come", "No, they will not come")),
			f.area("reason", "Why, if they said (optional)", "Kept encrypted with their key"))
		return FormPage{Caption: a.e.Title, Title: "Record an answer to an invitation", Back: a.back()}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		a := about.(engagementAbout)
		accepted := f.yesNo("accepted", "Select yes if they accepted")
		return []commandCall{{path: "/api/v1/engagements/" + url.PathEscape(a.e.ID) + "/answers",
			body: map[string]any{"stakeholder_id": f.get("stakeholder_id"), "accepted": accepted, "reason": f.get("reason")}}}
	},
	fields: map[string]apiField{
		"stakeholder_id": {id: "stakeholder_id", required: "Select whose answer it is", invalid: "Select whose answer it is from the list"},
		"reason":         {id: "reason", what: "The reason"},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`was not invited`), id: "stakeholder_id", msg: "Select someone who was invited"},
		{detail: regexp.MustCompile(`was erased`), id: "stakeholder_id", msg: "This person was erased, so their answer cannot be recorded"},
	},
	done: engagementDone("answer"),
}

var attendanceForm = recordForm{
	load: loadEngagement(false),
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(engagementAbout)
		f.Intro, f.Submit, f.Cancel = a.intro(s), "Record who came", "/engagements/"+url.PathEscape(a.e.ID)
		var people []option
		for _, inv := range a.e.Invitations {
			answer := "No answer"
			if inv.Accepted != nil {
				answer = map[bool]string{true: "Accepted", false: "Declined"}[*inv.Accepted]
			}
			people = append(people, option{inv.StakeholderID, a.names[inv.StakeholderID], answer})
		}
		f.Fields = []Field{f.date("held_on", "When was it held?", "For example, 27 3 2026")}
		if len(people) > 0 {
			f.Fields = append(f.Fields, f.checks("attendee_ids", "Who came?", "Select everyone on the register who came. Invite anyone else who came first, and they will be listed here.", people))
		} else {
			f.Fields = append(f.Fields, para("Nobody was invited, so there is no register: count everyone who came below."))
		}
		f.Fields = append(f.Fields, f.number("unnamed_attendees", "How many others came?",
			"People who came but are not on the register, or did not give their name. Enter 0 if none."))
		return FormPage{Caption: a.e.Title, Title: "Record who came", Back: a.back()}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		a := about.(engagementAbout)
		day := f.day("held_on", "The day it was held", true, s.opts.loc)
		n := f.wholeNumber("unnamed_attendees", "The number of others who came")
		ids := f.all("attendee_ids")
		if ids == nil {
			ids = []string{}
		}
		for _, id := range ids {
			if _, ok := a.names[id]; !ok {
				f.fail("attendee_ids", "attendee_ids", "Select the people who came from the register")
			}
		}
		body := map[string]any{"attendee_ids": ids, "unnamed_attendees": n}
		if day != "" {
			body["held_on"] = day
		}
		return []commandCall{{path: "/api/v1/engagements/" + url.PathEscape(a.e.ID) + "/held", body: body}}
	},
	fields: map[string]apiField{
		"held_on":           {id: "held_on", href: "held_on-day", required: "Enter the day it was held"},
		"attendee_ids[]":    {id: "attendee_ids", invalid: "Select the people who came from the register"},
		"unnamed_attendees": {id: "unnamed_attendees", invalid: fmt.Sprintf("The number of others who came must be from 0 to %d", engagement.MaxUnnamedAttendees)},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`held_on .* is in the future`), id: "held_on", href: "held_on-day", msg: "The day it was held must be today or in the past"},
		{detail: regexp.MustCompile(`already held`), msg: "Who came was recorded already for this engagement"},
		{detail: regexp.MustCompile(`was cancelled`), msg: "The engagement was cancelled, so nobody came"},
		{detail: regexp.MustCompile(`was erased`), id: "attendee_ids", msg: "Someone selected was erased: leave them out and count them with the others"},
	},
	done: engagementDone("attendance"),
}

// ----- Feedback -----

type projectAbout struct {
	project     browse.ProjectDetail
	engagements []browse.Engagement
	feedback    []browse.Feedback
	// people who may have said something: those invited to or at the
	// engagement the form was opened from, with their names.
	people []option
	names  map[string]string
}

func loadProject(withFeedback, withPeople bool) func(s *Site, r *http.Request) (any, error) {
	return func(s *Site, r *http.Request) (any, error) {
		id := queryID(r, "project")
		if id == "" {
			id = r.PathValue("id")
		}
		if id == "" {
			return nil, fmt.Errorf("the form was opened without a project: %w", ErrNotFound)
		}
		p, err := s.projectDetail(r, id)
		if err != nil {
			return nil, err
		}
		a := projectAbout{project: p, names: map[string]string{}}
		q := url.Values{"project": {id}, "limit": {strconv.Itoa(browse.MaxLimit)}}
		var es browse.Page[browse.Engagement]
		if err := readJSON(s.opts.reads, r, "/api/v1/engagements", q, &es); err != nil {
			return nil, err
		}
		a.engagements = es.Items
		if withFeedback {
			var fs browse.Page[browse.Feedback]
			if err := readJSON(s.opts.reads, r, "/api/v1/feedback", q, &fs); err != nil {
				return nil, err
			}
			a.feedback = fs.Items
		}
		if eid := queryID(r, "engagement"); withPeople && eid != "" {
			e, err := s.engagement(r, eid)
			if err != nil {
				return nil, err
			}
			var ids []string
			for _, inv := range e.Invitations {
				ids = append(ids, inv.StakeholderID)
			}
			ids = append(ids, e.AttendeeIDs...)
			if a.names, err = s.names(r, ids); err != nil {
				return nil, err
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if !seen[id] {
					seen[id] = true
					a.people = append(a.people, option{value: id, text: a.names[id]})
				}
			}
		}
		return a, nil
	}
}

func (a projectAbout) engagementOptions() []option {
	var out []option
	for _, e := range a.engagements {
		out = append(out, option{value: e.ID, text: e.Title})
	}
	return out
}

func (a projectAbout) elementOptions() []option {
	var out []option
	for _, el := range a.project.Elements {
		out = append(out, option{value: el.ID, text: el.Name})
	}
	return out
}

var feedbackForm = recordForm{
	load: loadProject(false, true),
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(projectAbout)
		prefill(r, f, "engagement")
		if r.Method == http.MethodGet {
			f.values.Set("engagement_id", f.get("engagement"))
			if f.get("engagement") != "" {
				f.values.Set("channel", "engagement")
			}
		}
		f.Submit, f.Cancel = "Record the feedback", "/projects/"+url.PathEscape(a.project.ID)+"/involvement"
		who := "Anyone not listed is recorded as not named. To name someone, open this form from the engagement they were at."
		if len(a.people) > 0 {
			who = "Those invited to the engagement, or who came. Choose not named for anonymous feedback, or the wider audience."
		}
		f.Fields = []Field{
			f.choose("engagement_id", "Where was it given?", "", "Not at an engagement", a.engagementOptions()),
			f.choose("element_id", "Which part of the project is it about?", "", "The project as a whole", a.elementOptions()),
			f.choose("stakeholder_id", "Who said it?", who, "Not named (anonymous, or the wider audience)", a.people),
			f.choose("channel", "How was it given?", "", "Choose how", optionsOf(feedback.Channels, words)),
			f.radios("sentiment", "How did they feel?", "", optionsOf(feedback.Sentiments, words)),
			f.text("themes", "Themes (optional)", "Separate themes with commas, for example: waiting times, signs"),
			f.area("summary", "What did they say?", "In their words if you can. It is kept encrypted."),
		}
		return FormPage{Caption: a.project.Name, Title: "Record feedback",
			Back: &Link{"Back to the project", "/projects/" + url.PathEscape(a.project.ID) + "/involvement"}}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		a := about.(projectAbout)
		themes := []string{}
		for _, t := range strings.Split(f.get("themes"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				themes = append(themes, t)
			}
		}
		return []commandCall{{path: "/api/v1/feedback", body: map[string]any{
			"project_id": a.project.ID, "engagement_id": f.get("engagement_id"), "element_id": f.get("element_id"),
			"stakeholder_id": f.get("stakeholder_id"), "channel": f.get("channel"), "sentiment": f.get("sentiment"),
			"themes": themes, "summary": f.get("summary")}}}
	},
	fields: map[string]apiField{
		"engagement_id":  {id: "engagement_id", invalid: "Choose where it was given from the list"},
		"element_id":     {id: "element_id", invalid: "Choose the part of the project from the list"},
		"stakeholder_id": {id: "stakeholder_id", invalid: "Choose who said it from the list"},
		"channel":        {id: "channel", required: "Choose how it was given", invalid: "Choose how it was given from the list"},
		"sentiment":      {id: "sentiment", required: "Select how they felt", invalid: "Select how they felt from the list"},
		"themes":         {id: "themes", what: "A theme", invalid: "Enter at most 50 themes"},
		"summary":        {id: "summary", required: "Enter what they said", what: "What they said"},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`has no element`), id: "element_id", msg: "Choose the part of the project from the list"},
		{detail: regexp.MustCompile(`engagement .* belongs to project`), id: "engagement_id", msg: "Choose an engagement of this project"},
		{detail: regexp.MustCompile(`was erased`), id: "stakeholder_id", msg: "This person was erased: record what they said as not named"},
	},
	done: func(_ *http.Request, _ any, res commandResult) string {
		return recordedAt("/feedback/"+url.PathEscape(res.ID), "feedback", res.Position)
	},
}

// ----- Actions -----

var agreeForm = recordForm{
	load: loadProject(true, false),
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(projectAbout)
		prefill(r, f, "feedback", "engagement")
		if r.Method == http.MethodGet {
			f.values["feedback_ids"] = f.values["feedback"]
			f.values.Set("engagement_id", f.get("engagement"))
		}
		f.Submit, f.Cancel = "Agree the action", "/actions?project="+url.QueryEscape(a.project.ID)
		var fb []option
		for _, it := range a.feedback {
			if it.RetractedAt != nil {
				continue
			}
			label := words(it.Sentiment) + " feedback by " + strings.ToLower(words(it.Channel)) + ", " + s.dayText(it.GivenAt)
			fb = append(fb, option{value: it.ID, text: label, hint: strings.Join(it.Themes, ", ")})
		}
		f.Fields = []Field{
			f.area("description", "What will be done?", ""),
			f.text("owner", "Who will do it?", "The person or team responsible"),
			f.date("due_on", "When is it due?", "For example, 30 4 2026"),
		}
		if len(fb) > 0 {
			f.Fields = append(f.Fields, f.checks("feedback_ids", "Which feedback does it answer? (optional)", "Select all that apply", fb))
		}
		f.Fields = append(f.Fields, f.choose("engagement_id", "Which engagement was it agreed at? (optional)", "", "None", a.engagementOptions()))
		return FormPage{Caption: a.project.Name, Title: "Agree an action",
			Back: &Link{"Back to the project", "/projects/" + url.PathEscape(a.project.ID) + "/involvement"}}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		a := about.(projectAbout)
		due := f.day("due_on", "The day it is due", true, s.opts.loc)
		fb := f.all("feedback_ids")
		if fb == nil {
			fb = []string{}
		}
		body := map[string]any{"project_id": a.project.ID, "feedback_ids": fb, "engagement_id": f.get("engagement_id"),
			"description": f.get("description"), "owner": f.get("owner")}
		if due != "" {
			body["due_on"] = due
		}
		return []commandCall{{path: "/api/v1/actions", body: body}}
	},
	fields: map[string]apiField{
		"description":    {id: "description", required: "Enter what will be done", what: "What will be done"},
		"owner":          {id: "owner", required: "Enter who will do it", what: "Who will do it"},
		"due_on":         {id: "due_on", href: "due_on-day", required: "Enter the day it is due"},
		"feedback_ids[]": {id: "feedback_ids", invalid: "Select the feedback from the list"},
		"engagement_id":  {id: "engagement_id", invalid: "Choose the engagement from the list"},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`feedback .* (belongs to project|was retracted)`), id: "feedback_ids", msg: "Select feedback on this project that was not withdrawn"},
		{detail: regexp.MustCompile(`engagement .* belongs to project`), id: "engagement_id", msg: "Choose an engagement of this project"},
	},
	done: func(_ *http.Request, _ any, res commandResult) string {
		return recordedAt("/actions/"+url.PathEscape(res.ID), "action", res.Position)
	},
}

type actionAbout struct {
	a       browse.ActionDetail
	project browse.ProjectDetail
}

func loadAction(s *Site, r *http.Request) (any, error) {
	var a browse.ActionDetail
	if err := readJSON(s.opts.reads, r, "/api/v1/actions/"+url.PathEscape(r.PathValue("id")), nil, &a); err != nil {
		return nil, err
	}
	p, err := s.projectDetail(r, a.ProjectID)
	if err != nil {
		return nil, err
	}
	return actionAbout{a: a, project: p}, nil
}

func (a actionAbout) form(s *Site, f *Form, title, submit string) FormPage {
	f.Intro = summary(row("Action", a.a.Description), row("Owner", a.a.Owner), row("Due", longDate(a.a.DueOn.Time())))
	f.Submit, f.Cancel = submit, "/actions/"+url.PathEscape(a.a.ID)
	return FormPage{Caption: a.project.Name, Title: title, Back: &Link{"Back to the action", "/actions/" + url.PathEscape(a.a.ID)}}
}

func actionCall(about any, verb string, body map[string]any) []commandCall {
	return []commandCall{{path: "/api/v1/actions/" + url.PathEscape(about.(actionAbout).a.ID) + "/" + verb, body: body}}
}

func actionDone(kind string) func(*http.Request, any, commandResult) string {
	return func(_ *http.Request, about any, res commandResult) string {
		return recordedAt("/actions/"+url.PathEscape(about.(actionAbout).a.ID), kind, res.Position)
	}
}

// closedRejections are the refusals of a command on an action that is no
// longer open.
var closedRejections = []rejection{
	{detail: regexp.MustCompile(`already completed`), msg: "The action was recorded as done already"},
	{detail: regexp.MustCompile(`was dropped`), msg: "The action was dropped"},
}

var completeForm = recordForm{
	load: loadAction,
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		f.Fields = []Field{
			f.date("completed_on", "When was it done?", "For example, 27 3 2026"),
			f.area("outcome", "What was the outcome?", "What changed. This is what people will be told."),
		}
		return about.(actionAbout).form(s, f, "Record that the action was done", "Record it as done")
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		body := map[string]any{"outcome": f.get("outcome")}
		if d := f.day("completed_on", "The day it was done", true, s.opts.loc); d != "" {
			body["completed_on"] = d
		}
		return actionCall(about, "complete", body)
	},
	fields: map[string]apiField{
		"completed_on": {id: "completed_on", href: "completed_on-day", required: "Enter the day it was done"},
		"outcome":      {id: "outcome", required: "Enter what the outcome was", what: "The outcome"},
	},
	rejections: append([]rejection{
		{detail: regexp.MustCompile(`completed_on .* in the future`), id: "completed_on", href: "completed_on-day", msg: "The day it was done must be today or in the past"},
		{detail: regexp.MustCompile(`completed_on .* before the action was agreed`), id: "completed_on", href: "completed_on-day", msg: "The day it was done must be on or after the day it was agreed"},
	}, closedRejections...),
	done: actionDone("complete"),
}

var rescheduleForm = recordForm{
	load: loadAction,
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		f.Fields = []Field{
			f.date("due_on", "What is the new due date?", "For example, 30 4 2026"),
			f.area("reason", "Why is it changing?", ""),
		}
		return about.(actionAbout).form(s, f, "Change the due date", "Change the due date")
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		body := map[string]any{"reason": f.get("reason")}
		if d := f.day("due_on", "The new due date", true, s.opts.loc); d != "" {
			body["due_on"] = d
		}
		return actionCall(about, "reschedule", body)
	},
	fields: map[string]apiField{
		"due_on": {id: "due_on", href: "due_on-day", required: "Enter the new due date"},
		"reason": {id: "reason", required: "Enter why the due date is changing", what: "The reason"},
	},
	rejections: append([]rejection{
		{detail: regexp.MustCompile(`due_on .* before the action was agreed`), id: "due_on", href: "due_on-day", msg: "The new due date must be on or after the day the action was agreed"},
	}, closedRejections...),
	done: actionDone("reschedule"),
}

var dropForm = recordForm{
	load: loadAction,
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		f.Fields = []Field{f.area("reason", "Why is it being dropped?", "People who gave the feedback may be told this.")}
		return about.(actionAbout).form(s, f, "Drop the action", "Drop the action")
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		return actionCall(about, "drop", map[string]any{"reason": f.get("reason")})
	},
	fields: map[string]apiField{
		"reason": {id: "reason", required: "Enter why it is being dropped", what: "The reason"},
	},
	rejections: closedRejections,
	done:       actionDone("drop"),
}

var communicateForm = recordForm{
	load: loadAction,
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		f.Fields = []Field{
			f.radios("audience", "Who was told?", "", optionsOf(action.Audiences, name(audienceNames))),
			f.radios("channel", "How were they told?", "", optionsOf(action.CommunicationChannels, words)),
		}
		return about.(actionAbout).form(s, f, "Record that people were told the outcome", "Record it")
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		return actionCall(about, "communicate", map[string]any{"audience": f.get("audience"), "channel": f.get("channel")})
	},
	fields: map[string]apiField{
		"audience": {id: "audience", required: "Select who was told", invalid: "Select who was told from the list"},
		"channel":  {id: "channel", required: "Select how they were told", invalid: "Select how they were told from the list"},
	},
	rejections: []rejection{
		{detail: regexp.MustCompile(`still open`), msg: "Record that the action was done, or dropped, before recording that people were told the outcome"},
	},
	done: actionDone("communicate"),
}

// ----- Involvement decisions and the duty to involve -----

// rightRows is how many decision rights a decision form takes at once.
const rightRows = 3

type elementAbout struct {
	project browse.ProjectDetail
	element browse.Element
}

var decideForm = recordForm{
	load: func(s *Site, r *http.Request) (any, error) {
		p, err := s.projectDetail(r, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		for _, el := range p.Elements {
			if el.ID == r.PathValue("element_id") {
				return elementAbout{project: p, element: el}, nil
			}
		}
		return nil, fmt.Errorf("project %s has no element %s: %w", p.ID, r.PathValue("element_id"), ErrNotFound)
	},
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		a := about.(elementAbout)
		now := "None yet"
		if a.element.Level != nil {
			now = levelName(string(*a.element.Level))
		}
		f.Intro = summary(row("Part of the project", a.element.Name), row("Level now", now))
		f.Submit, f.Cancel = "Record the decision", "/projects/"+url.PathEscape(a.project.ID)+"/involvement"
		f.Fields = []Field{
			f.radios("level", "What level of involvement was decided?", "", levelOptions()),
			f.area("rationale", "Why this level?", "The reasons, and what was weighed up"),
			f.text("decided_by", "Who decided?", "A person, a role or a group, such as the project board"),
		}
		var rows []Field
		for i := 1; i <= rightRows; i++ {
			n := strconv.Itoa(i)
			rows = append(rows, group("right_"+n, "Decision right "+n, "",
				f.text("right_"+n+"_holder", "Who holds it", "For example, patients on the panel"),
				f.text("right_"+n+"_right", "What they decide", "For example, choose the layout")))
		}
		f.Fields = append(f.Fields, group("rights", "Who holds which decision rights? (optional)",
			"Fill in a row for each right that was given to someone. Leave the rest empty.", rows...),
			f.area("expectations", "What were people told to expect? (optional)", ""))
		return FormPage{Caption: a.project.Name + ": " + a.element.Name, Title: "Record an involvement decision",
			Back: &Link{"Back to the project", "/projects/" + url.PathEscape(a.project.ID) + "/involvement"}}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		a := about.(elementAbout)
		rights := []map[string]string{}
		var rowOf []int
		for i := 1; i <= rightRows; i++ {
			n := strconv.Itoa(i)
			holder, right := f.get("right_"+n+"_holder"), f.get("right_"+n+"_right")
			switch {
			case holder == "" && right == "":
				continue
			case holder == "":
				f.fail("right_"+n+"_holder", "right_"+n+"_holder", "Enter who holds decision right "+n)
			case right == "":
				f.fail("right_"+n+"_right", "right_"+n+"_right", "Enter what the holder of decision right "+n+" decides")
			}
			rights = append(rights, map[string]string{"holder": holder, "right": right})
			rowOf = append(rowOf, i)
		}
		return []commandCall{{
			path: "/api/v1/projects/" + url.PathEscape(a.project.ID) + "/elements/" + url.PathEscape(a.element.ID) + "/decisions",
			body: map[string]any{"level": f.get("level"), "rationale": f.get("rationale"), "decided_by": f.get("decided_by"),
				"decision_rights": rights, "expectations": f.get("expectations")},
			field: func(field string) string {
				// The rights sent leave out empty rows: name the row typed.
				m := indexPattern.FindStringSubmatchIndex(field)
				if m == nil || !strings.HasPrefix(field, "decision_rights[") {
					return field
				}
				i := atoi(field[m[2]:m[3]])
				if i < len(rowOf) {
					return field[:m[2]] + strconv.Itoa(rowOf[i]-1) + field[m[3]:]
				}
				return field
			},
		}}
	},
	fields: map[string]apiField{
		"level":                    {id: "level", required: "Select the level of involvement decided", invalid: "Select the level of involvement from the list"},
		"rationale":                {id: "rationale", required: "Enter why this level was decided", what: "Why"},
		"decided_by":               {id: "decided_by", required: "Enter who decided", what: "Who decided"},
		"decision_rights[].holder": {id: "right_%d_holder", required: "Enter who holds this decision right", what: "Who holds the right"},
		"decision_rights[].right":  {id: "right_%d_right", required: "Enter what the holder of this right decides", what: "What they decide"},
		"expectations":             {id: "expectations", what: "The expectations"},
	},
	done: func(_ *http.Request, about any, res commandResult) string {
		a := about.(elementAbout)
		return recordedAt("/projects/"+url.PathEscape(a.project.ID)+"/involvement", "decision", res.Position) + "#element-" + url.PathEscape(a.element.ID)
	},
}

var dutyForm = recordForm{
	load: func(s *Site, r *http.Request) (any, error) {
		p, err := s.projectDetail(r, r.PathValue("id"))
		return p, err
	},
	page: func(s *Site, r *http.Request, f *Form, about any) FormPage {
		p := about.(browse.ProjectDetail)
		f.Submit, f.Cancel = "Record the assessment", "/projects/"+url.PathEscape(p.ID)+"/involvement"
		f.Fields = []Field{
			f.radios("applies", "Does the legal duty to involve people apply to this project?",
				"For example, section 14Z45 of the NHS Act 2006 for integrated care boards, or section 242 for NHS trusts", yesNoOptions("Yes", "No")),
			f.text("basis", "On what basis?", "The law or policy, and the part of it"),
			f.text("assessed_by", "Who assessed it?", "A person, a role or a group"),
			f.area("rationale", "Why?", "How the project's changes were weighed against the duty"),
		}
		return FormPage{Caption: p.Name, Title: "Record whether the duty to involve people applies",
			Back: &Link{"Back to the project", "/projects/" + url.PathEscape(p.ID) + "/involvement"}}
	},
	commands: func(s *Site, r *http.Request, f *Form, about any) []commandCall {
		p := about.(browse.ProjectDetail)
		applies := f.yesNo("applies", "Select yes if the duty to involve people applies")
		return []commandCall{{path: "/api/v1/projects/" + url.PathEscape(p.ID) + "/duty", body: map[string]any{
			"applies": applies, "basis": f.get("basis"), "assessed_by": f.get("assessed_by"), "rationale": f.get("rationale")}}}
	},
	fields: map[string]apiField{
		"basis":       {id: "basis", required: "Enter the basis of the assessment", what: "The basis"},
		"assessed_by": {id: "assessed_by", required: "Enter who assessed it", what: "Who assessed it"},
		"rationale":   {id: "rationale", required: "Enter why", what: "Why"},
	},
	done: func(_ *http.Request, about any, res commandResult) string {
		return recordedAt("/projects/"+url.PathEscape(about.(browse.ProjectDetail).ID)+"/involvement", "duty", res.Position) + "#duty"
	},
}
