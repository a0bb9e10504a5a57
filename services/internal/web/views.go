package web

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/events"
)

// dateOf returns the calendar day starting at t (a midnight in the
// programme's zone) as a date, or the zero time for zero.
func dateOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// The view models: what each page shows, worked out from the published
// report documents by pure functions, so that the templates only lay
// them out.

// Figure is a headline figure with what it means.
type Figure struct {
	ID, Label, Value, Meaning string
}

// Download is a link to a report as a spreadsheet.
type Download struct {
	Text, Href string
}

// RAG is a project's red, amber or green rating with its reasons in
// plain words.
type RAG struct {
	Tag     Tag
	Reasons []string
}

// ProjectRow is one project on the overview.
type ProjectRow struct {
	Name, Programme, Href                                                string
	RAG                                                                  RAG
	Participants, LivedExperienceShare, EffectiveVoices, Overdue, Closed string
}

// Overview is the programme overview.
type Overview struct {
	Filters    Filters
	Programmes []string
	Scope      string
	Window     string
	KnownOn    string
	Suppressed bool
	Figures    []Figure
	Projects   []ProjectRow
	Downloads  []Download
}

// ProgrammeSelect returns the programme filter.
func (o Overview) ProgrammeSelect() Select {
	s := Select{Value: o.Filters.Programme, Items: []SelectItem{{Value: ptr(""), Text: "All programmes"}}}
	s.ID, s.Name = "programme", "programme"
	s.Label = Label{Content: Content{Text: "Programme"}, Size: "s"}
	for _, p := range o.Programmes {
		s.Items = append(s.Items, SelectItem{Value: ptr(p), Text: p})
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// overviewOf builds the overview from the programme, participation and
// follow-through reports of the same query. all is the programme report
// of everything, which names every programme for the filter.
func overviewOf(f Filters, prog programmeDoc, part participationDoc, ft followThroughDoc, all programmeDoc, now time.Time) Overview {
	o := Overview{
		Filters: f, Window: f.Window(), Scope: "All programmes",
		KnownOn:    knownOn(f, prog.AsOf, now),
		Suppressed: prog.Suppressed() || part.Suppressed() || ft.Suppressed(),
	}
	if prog.Scope.Programme != nil {
		o.Scope = "Programme " + *prog.Scope.Programme
	}
	seen := map[string]bool{}
	for _, p := range all.Projects {
		if !seen[strings.ToLower(p.Programme)] {
			seen[strings.ToLower(p.Programme)] = true
			o.Programmes = append(o.Programmes, p.Programme)
		}
	}
	o.Figures = []Figure{
		{"participants", "People taking part", part.Participants.String(), meanings["participants"]},
		{"new_voices", "New voices", newVoices(part), meanings["new_voices"]},
		{"lived_experience_share", "With lived experience", part.LivedExperienceShare.Percent(), meanings["lived_experience_share"]},
		{"effective_voices", "Effective voices", part.EffectiveVoices.Number(), meanings["effective_voices"]},
		{"overdue", "Actions overdue", ft.Overdue.String(), meanings["overdue"]},
		{"loop_closed_rate", "Loop closed", ft.LoopClosedRate.Percent(), meanings["loop_closed_rate"]},
	}
	for _, p := range prog.Projects {
		o.Projects = append(o.Projects, ProjectRow{
			Name: p.Name, Programme: p.Programme, Href: "/projects/" + url.PathEscape(p.ProjectID) + queryString(f.Query, "programme"),
			RAG:          ragOf(p),
			Participants: p.Participants.String(), LivedExperienceShare: p.LivedExperienceShare.Percent(),
			EffectiveVoices: p.EffectiveVoices.Number(), Overdue: p.Overdue.String(), Closed: p.LoopClosedRate.Percent(),
		})
	}
	o.Downloads = downloads(f.Query, []string{"programme", "participation", "follow-through"})
	return o
}

func newVoices(part participationDoc) string {
	if part.NewVoiceShare.Known() {
		return part.NewVoices.String() + " (" + part.NewVoiceShare.Percent() + ")"
	}
	return part.NewVoices.String()
}

func knownOn(f Filters, asOf time.Time, now time.Time) string {
	if asOf.IsZero() {
		asOf = now // no report was read: the filters were refused
	}
	if f.asOf.IsZero() {
		return "now (" + asOf.Format("2 January 2006, 15:04") + ")"
	}
	return "the end of " + longDate(f.asOf.AddDate(0, 0, -1))
}

// queryString returns "?" and q without the keys dropped, or "".
func queryString(q url.Values, drop ...string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	for _, k := range drop {
		c.Del(k)
	}
	if len(c) == 0 {
		return ""
	}
	return "?" + c.Encode()
}

// downloads links each report as CSV for the query.
func downloads(q url.Values, names []string) []Download {
	var out []Download
	for _, n := range names {
		c := url.Values{}
		for k, v := range q {
			c[k] = v
		}
		c.Set("format", "csv")
		out = append(out, Download{Text: "Download the " + n + " report (CSV)", Href: "/api/v1/reports/" + n + "?" + c.Encode()})
	}
	return out
}

var ragColour = map[string]string{"red": "red", "amber": "orange", "green": "green"}

// ragOf rates a project in words: the tag carries the colour's name, and
// each reason says which figure crossed which threshold.
func ragOf(p programmeRow) RAG {
	r := RAG{Tag: Tag{Content: Content{Text: capitalise(p.RAG)}, Colour: ragColour[p.RAG]}}
	for _, reason := range p.Reasons {
		r.Reasons = append(r.Reasons, reasonText(p, reason))
	}
	if len(r.Reasons) == 0 && p.RAG == "green" {
		r.Reasons = []string{"No thresholds crossed"}
	}
	return r
}

var reasonPattern = regexp.MustCompile(`^([a-z_]+) is (below|at least) ([0-9.]+) \((red|amber)\)$`)

// reasonText writes a reason of the programme report in plain words,
// with the row's own figure: "5 actions overdue (red from 3)".
func reasonText(p programmeRow, reason string) string {
	m := reasonPattern.FindStringSubmatch(reason)
	if m == nil {
		colour := ""
		if i := strings.LastIndex(reason, " ("); i > 0 {
			reason, colour = reason[:i], reason[i:]
		}
		switch reason {
		case "no participation recorded":
			return "No participation recorded" + colour
		case "involvement decisions or engagements without a duty-to-involve assessment":
			return "Involvement decisions or engagements, but no assessment of the duty to involve" + colour
		}
		return capitalise(reason[:1]) + reason[1:] + colour
	}
	figure, op, threshold, colour := m[1], m[2], m[3], m[4]
	limit := colour + " below " + threshold
	if op == "at least" {
		limit = colour + " from " + threshold
	}
	pct := func(s string) string {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
	}
	switch figure {
	case "overdue":
		return plural(p.Overdue, "action", "actions") + " overdue (" + limit + ")"
	case "tokenism_elements":
		return plural(Count{N: p.TokenismElements}, "element", "elements") + " sharing power without lived-experience voices (" + limit + ")"
	case "lived_experience_share":
		return "With lived experience: " + p.LivedExperienceShare.Percent() + " of participants (" + colour + " below " + pct(threshold) + ")"
	case "loop_closed_rate":
		return "Loop closed for " + p.LoopClosedRate.Percent() + " of feedback (" + colour + " below " + pct(threshold) + ")"
	case "effective_voices":
		return "Effective voices: " + p.EffectiveVoices.Number() + " (" + limit + ")"
	}
	return strings.ReplaceAll(figure, "_", " ") + " is " + op + " " + threshold + " (" + colour + ")"
}

func plural(c Count, one, many string) string {
	if !c.Hidden && c.N == 1 {
		return "1 " + one
	}
	return c.String() + " " + many
}

// ProjectPage is a project's page.
type ProjectPage struct {
	ID, Name, Programme string
	Filters             Filters
	Window, KnownOn     string
	Suppressed          bool
	RAG                 *RAG
	Figures             []Figure
	// Apart are the people who took part but are not counted as
	// participants: unnamed attendees and anonymous feedback.
	Apart []Figure

	Roles        Table
	RolesChart   BarChart
	MissingRoles []string
	MissingLived []string

	Funnel      Table
	FunnelChart BarChart

	Voices      Table
	VoicesChart BarChart

	Coverage Table

	FollowThrough      []Figure
	ActionsTable       Table
	ActionsChart       BarChart
	Overdue            *Table // nil when the actions are not available
	OverdueUnavailable bool

	YouSaid  YouSaidWeDid
	Elements []ElementView

	Downloads []Download
}

// Month is one month's participants, split into new and returning.
type Month struct {
	Label string
	Doc   participationDoc
}

// ElementView is one element's decisions, as a timeline.
type ElementView struct {
	Name, Level string
	Tokenism    bool
	Decisions   []DecisionView
}

// DecisionView is one decision.
type DecisionView struct {
	Date, Change, DecidedBy, Rationale, Evidence string
	Rights                                       []string
}

// YouSaidWeDid is what a project can tell the people it involved.
type YouSaidWeDid struct {
	Project, Programme, Window, KnownOn string
	Themes                              Table
	Decided                             Table
	Did                                 Table
	Empty                               bool
	Suppressed                          bool
	Back                                string
}

// projectInputs are the reports a project page is built from.
type projectInputs struct {
	Programme     programmeDoc
	Participation participationDoc
	FollowThrough followThroughDoc
	Decisions     decisionsDoc
	Influence     influenceDoc
	Months        []Month
	Actions       []ActionItem
	ActionsKnown  bool
}

// projectOf builds a project's page.
func projectOf(id string, f Filters, in projectInputs, today events.Date, now time.Time) ProjectPage {
	part, ft := in.Participation, in.FollowThrough
	p := ProjectPage{
		ID: id, Filters: f, Window: f.Window(), KnownOn: knownOn(f, part.AsOf, now),
		Suppressed: part.Suppressed() || ft.Suppressed() || in.Programme.Suppressed() || in.Influence.Suppressed(),
	}
	if len(in.Programme.Projects) > 0 {
		row := in.Programme.Projects[0]
		p.Name, p.Programme = row.Name, row.Programme
		rag := ragOf(row)
		p.RAG = &rag
	}
	p.Figures = []Figure{
		{"participants", "People taking part", part.Participants.String(), meanings["participants"]},
		{"new_voices", "New voices", newVoices(part), meanings["new_voices"]},
		{"lived_experience_share", "With lived experience", part.LivedExperienceShare.Percent(), meanings["lived_experience_share"]},
		{"effective_voices", "Effective voices", part.EffectiveVoices.Number(), meanings["effective_voices"]},
		{"top_decile_share", "Share of participation by the most active tenth", part.TopDecileShare.Percent(), meanings["top_decile_share"]},
	}

	p.Apart = []Figure{
		{"unnamed_attendees", "Attendees not named", part.UnnamedAttendees.String(), meanings["unnamed_attendees"]},
		{"anonymous_feedback", "Anonymous feedback", part.AnonymousFeedback.String(), meanings["anonymous_feedback"]},
	}

	// Roles, with the missing ones called out.
	var labels []string
	var counts []Count
	p.Roles = Table{Caption: &Caption{Content: Content{Text: "People taking part, by what they bring"}, Size: "s"},
		FirstCellIsHeader: true, Head: []TableCell{{Content: Content{Text: "Role"}}, {Content: Content{Text: "People"}, Format: "numeric"}}}
	for _, r := range roleNames {
		c := part.ByRole[r.key]
		labels, counts = append(labels, r.name), append(counts, c)
		p.Roles.Rows = append(p.Roles.Rows, []TableCell{{Content: Content{Text: r.name}}, {Content: Content{Text: c.String()}, Format: "numeric"}})
	}
	p.RolesChart = countBars("roles-chart", "People taking part, by role",
		"A bar for each role showing how many people holding it took part; the table below gives the same figures.", labels, counts)
	for _, r := range part.MissingRoles {
		p.MissingRoles = append(p.MissingRoles, roleName(r))
	}
	for _, r := range part.MissingLivedExperienceRoles {
		p.MissingLived = append(p.MissingLived, roleName(r))
	}

	// Invited → accepted → attended.
	funnel := []struct {
		label string
		c     Count
	}{{"Invited", part.Invited}, {"Accepted", part.Accepted}, {"Came", part.AttendedOfInvited}}
	p.Funnel = Table{Caption: &Caption{Content: Content{Text: "From invitation to attendance"}, Size: "s"}, FirstCellIsHeader: true,
		Head: []TableCell{{Content: Content{Text: "Stage"}}, {Content: Content{Text: "Invitations"}, Format: "numeric"}}}
	labels, counts = nil, nil
	for _, s := range funnel {
		labels, counts = append(labels, s.label), append(counts, s.c)
		p.Funnel.Rows = append(p.Funnel.Rows, []TableCell{{Content: Content{Text: s.label}}, {Content: Content{Text: s.c.String()}, Format: "numeric"}})
	}
	p.FunnelChart = countBars("funnel-chart", "Invited, accepted and came",
		"Three bars: invitations to the period's engagements, those accepted, and the invited people who came.", labels, counts)

	// New and returning voices by month.
	p.Voices = Table{Caption: &Caption{Content: Content{Text: "New and returning voices by month"}, Size: "s"}, FirstCellIsHeader: true,
		Head: []TableCell{{Content: Content{Text: "Month"}}, {Content: Content{Text: "New"}, Format: "numeric"}, {Content: Content{Text: "Returning"}, Format: "numeric"}, {Content: Content{Text: "All"}, Format: "numeric"}}}
	var values []string
	var parts [][]barPart
	labels = nil
	for _, m := range in.Months {
		returning := Count{Hidden: true}
		if !m.Doc.Participants.Hidden && !m.Doc.NewVoices.Hidden {
			returning = Count{N: m.Doc.Participants.N - m.Doc.NewVoices.N}
		}
		p.Voices.Rows = append(p.Voices.Rows, []TableCell{{Content: Content{Text: m.Label}},
			{Content: Content{Text: m.Doc.NewVoices.String()}, Format: "numeric"}, {Content: Content{Text: returning.String()}, Format: "numeric"},
			{Content: Content{Text: m.Doc.Participants.String()}, Format: "numeric"}})
		labels = append(labels, m.Label)
		values = append(values, m.Doc.NewVoices.String()+" new, "+returning.String()+" returning")
		parts = append(parts, []barPart{{float64(m.Doc.NewVoices.N), m.Doc.NewVoices.Hidden}, {float64(returning.N), returning.Hidden}})
	}
	p.VoicesChart = newBarChart("voices-chart", "New and returning voices by month",
		"For each month, a bar split into people taking part for the first time and people who had taken part before.",
		labels, values, parts, []string{colourBlue, colourPurple}, []string{"New", "Returning"})

	// Level × role coverage.
	p.Coverage = Table{Caption: &Caption{Content: Content{Text: "Who was there at each level of involvement"}, Size: "s"},
		FirstCellIsHeader: true, Responsive: true, Head: []TableCell{{Content: Content{Text: "Level"}}}}
	for _, r := range roleNames {
		p.Coverage.Head = append(p.Coverage.Head, TableCell{Content: Content{Text: r.name}, Format: "numeric"})
	}
	for _, l := range levelNames {
		row := []TableCell{{Content: Content{Text: l.name}}}
		for _, r := range roleNames {
			row = append(row, TableCell{Content: Content{Text: part.Coverage[l.key][r.key].String()}, Format: "numeric"})
		}
		p.Coverage.Rows = append(p.Coverage.Rows, row)
	}

	// Follow-through.
	p.FollowThrough = []Figure{
		{"completion_rate", "Completed", ft.CompletionRate.Percent(), meanings["completion_rate"]},
		{"on_time_rate", "On time", ft.OnTimeRate.Percent(), meanings["on_time_rate"]},
		{"response_rate", "Feedback answered", ft.ResponseRate.Percent(), meanings["response_rate"]},
		{"loop_closed_rate", "Loop closed", ft.LoopClosedRate.Percent(), meanings["loop_closed_rate"]},
	}
	states := []struct {
		label string
		c     Count
	}{{"Completed", ft.Completed}, {"Open, not yet due", minus(ft.Open, ft.Overdue)}, {"Overdue", ft.Overdue}, {"Dropped", ft.Dropped}}
	p.ActionsTable = Table{Caption: &Caption{Content: Content{Text: "Actions agreed in the period, by state"}, Size: "s"}, FirstCellIsHeader: true,
		Head: []TableCell{{Content: Content{Text: "State"}}, {Content: Content{Text: "Actions"}, Format: "numeric"}}}
	labels, counts = nil, nil
	for _, s := range states {
		labels, counts = append(labels, s.label), append(counts, s.c)
		p.ActionsTable.Rows = append(p.ActionsTable.Rows, []TableCell{{Content: Content{Text: s.label}}, {Content: Content{Text: s.c.String()}, Format: "numeric"}})
	}
	p.ActionsTable.Rows = append(p.ActionsTable.Rows, []TableCell{{Content: Content{Text: "All agreed"}}, {Content: Content{Text: ft.Agreed.String()}, Format: "numeric"}})
	p.ActionsChart = countBars("actions-chart", "Actions by state",
		"A bar for each state of the actions agreed in the period: completed, open and not yet due, overdue, and dropped.", labels, counts)
	if in.ActionsKnown {
		t := overdueTable(in.Actions, today, dateOf(f.from), dateOf(f.to))
		p.Overdue = &t
	} else {
		p.OverdueUnavailable = true
	}

	p.YouSaid = youSaidOf(id, f, in.Influence, p.Name, p.Programme, p.KnownOn)
	p.Elements = elementsOf(in.Decisions)
	p.Downloads = downloads(withProject(f.Query, id), []string{"participation", "follow-through", "decisions", "influence"})
	return p
}

func withProject(q url.Values, id string) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Del("programme")
	c.Set("project", id)
	return c
}

// minus returns a − b, hidden if either is.
func minus(a, b Count) Count {
	if a.Hidden || b.Hidden {
		return Count{Hidden: true}
	}
	return Count{N: a.N - b.N}
}

// overdueTable lists the open actions agreed in the window [from, to)
// and due before today, most overdue first.
func overdueTable(actions []ActionItem, today events.Date, from, to time.Time) Table {
	t := Table{Caption: &Caption{Content: Content{Text: "Overdue actions"}, Size: "s"}, Responsive: true,
		Head: []TableCell{{Content: Content{Text: "Action"}}, {Content: Content{Text: "Owner"}}, {Content: Content{Text: "Due"}}, {Content: Content{Text: "Days overdue"}, Format: "numeric"}}}
	var rows []ActionItem
	for _, a := range actions {
		agreed := a.AgreedOn.Time()
		inWindow := (from.IsZero() || !agreed.Before(from)) && (to.IsZero() || agreed.Before(to))
		if a.State == "open" && !a.DueOn.IsZero() && a.DueOn.Before(today) && inWindow {
			rows = append(rows, a)
		}
	}
	sortByDue(rows)
	for _, a := range rows {
		days := a.DueOn.DaysUntil(today)
		t.Rows = append(t.Rows, []TableCell{{Content: Content{Text: a.Description}}, {Content: Content{Text: a.Owner}},
			{Content: Content{Text: longDate(a.DueOn.Time())}}, {Content: Content{Text: strconv.Itoa(days)}, Format: "numeric"}})
	}
	return t
}

func sortByDue(as []ActionItem) {
	for i := 1; i < len(as); i++ {
		for j := i; j > 0 && as[j].DueOn.Time().Before(as[j-1].DueOn.Time()); j-- {
			as[j], as[j-1] = as[j-1], as[j]
		}
	}
}

var influenceNames = map[string]string{
	"adopted": "We did what you asked", "partly_adopted": "We did some of what you asked",
	"not_adopted": "We could not do what you asked", "no_response": "Not answered yet",
}

// youSaidOf builds the "You said, we did" of project id.
func youSaidOf(id string, f Filters, inf influenceDoc, name, programme, knownOn string) YouSaidWeDid {
	y := YouSaidWeDid{Project: name, Programme: programme, Window: f.Window(), KnownOn: knownOn, Suppressed: inf.Suppressed(),
		Back: "/projects/" + url.PathEscape(id) + queryString(f.Query, "programme")}
	y.Themes = Table{Caption: &Caption{Content: Content{Text: "You said"}, Size: "m"}, FirstCellIsHeader: true,
		Head: []TableCell{{Content: Content{Text: "What people raised"}}, {Content: Content{Text: "Pieces of feedback"}, Format: "numeric"}}}
	y.Decided = Table{Caption: &Caption{Content: Content{Text: "We decided"}, Size: "m"}, Responsive: true,
		Head: []TableCell{{Content: Content{Text: "Our answer"}}, {Content: Content{Text: "Why"}}, {Content: Content{Text: "When"}}, {Content: Content{Text: "Pieces of feedback"}, Format: "numeric"}}}
	y.Did = Table{Caption: &Caption{Content: Content{Text: "We did"}, Size: "m"}, Responsive: true,
		Head: []TableCell{{Content: Content{Text: "What we did"}}, {Content: Content{Text: "What changed"}}, {Content: Content{Text: "Done"}}, {Content: Content{Text: "We told people"}}}}
	for _, p := range inf.Projects {
		if p.ProjectID != id {
			continue
		}
		for _, th := range p.YouSaidWeDid.Themes {
			y.Themes.Rows = append(y.Themes.Rows, []TableCell{{Content: Content{Text: th.Theme}}, {Content: Content{Text: th.Feedback.String()}, Format: "numeric"}})
		}
		for _, d := range p.YouSaidWeDid.WeDecided {
			y.Decided.Rows = append(y.Decided.Rows, []TableCell{{Content: Content{Text: influenceNames[d.Influence]}}, {Content: Content{Text: d.Reason}},
				{Content: Content{Text: dateText(d.On)}}, {Content: Content{Text: d.Feedback.String()}, Format: "numeric"}})
		}
		for _, d := range p.YouSaidWeDid.WeDid {
			told := "Not yet"
			if d.ToldOn != nil {
				told = dateText(*d.ToldOn)
			}
			y.Did.Rows = append(y.Did.Rows, []TableCell{{Content: Content{Text: d.Action}}, {Content: Content{Text: d.Outcome}},
				{Content: Content{Text: dateText(d.CompletedOn)}}, {Content: Content{Text: told}}})
		}
	}
	y.Empty = len(y.Themes.Rows)+len(y.Decided.Rows)+len(y.Did.Rows) == 0
	return y
}

// dateText writes "2026-03-10" as "10 March 2026".
func dateText(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return longDate(t)
}

// elementsOf builds each element's decision timeline.
func elementsOf(d decisionsDoc) []ElementView {
	var out []ElementView
	for _, el := range d.Elements {
		ev := ElementView{Name: el.Name, Level: levelName(el.Level), Tokenism: el.Tokenism}
		for _, dec := range el.Decisions {
			change := "Set to " + levelName(dec.Level)
			if dec.PreviousLevel != "" {
				change = "From " + levelName(dec.PreviousLevel) + " to " + levelName(dec.Level)
			}
			dv := DecisionView{
				Date: dec.OccurredAt.Format("2 January 2006"), Change: change, DecidedBy: dec.DecidedBy, Rationale: dec.Rationale,
				Evidence: fmt.Sprintf("%s people had taken part in linked engagements, with %s pieces of feedback on it",
					dec.Evidence.Participants, dec.Evidence.Feedback),
			}
			for _, r := range dec.DecisionRights {
				dv.Rights = append(dv.Rights, r.Holder+": "+r.Right)
			}
			ev.Decisions = append(ev.Decisions, dv)
		}
		out = append(out, ev)
	}
	return out
}

// Summary returns the decision as a summary list.
func (d DecisionView) Summary() SummaryList {
	rows := []SummaryRow{
		{Key: SummaryCell{Content: Content{Text: "Decision"}}, Value: SummaryCell{Content: Content{Text: d.Change}}},
		{Key: SummaryCell{Content: Content{Text: "Decided by"}}, Value: SummaryCell{Content: Content{Text: d.DecidedBy}}},
		{Key: SummaryCell{Content: Content{Text: "Why"}}, Value: SummaryCell{Content: Content{Text: d.Rationale}}},
	}
	if len(d.Rights) > 0 {
		rows = append(rows, SummaryRow{Key: SummaryCell{Content: Content{Text: "Who decides what"}}, Value: SummaryCell{Content: Content{Text: strings.Join(d.Rights, "; ")}}})
	}
	rows = append(rows, SummaryRow{Key: SummaryCell{Content: Content{Text: "Evidence before it"}}, Value: SummaryCell{Content: Content{Text: d.Evidence}}})
	return SummaryList{Rows: rows}
}

// LevelTag returns the element's level as a tag.
func (e ElementView) LevelTag() Tag {
	if e.Tokenism {
		return Tag{Content: Content{Text: e.Level + ": tokenism"}, Colour: "red"}
	}
	return Tag{Content: Content{Text: e.Level}, Colour: "blue"}
}
