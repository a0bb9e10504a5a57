package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The duty-to-involve page: the statutory reports (duty, influence,
// representativeness, reach and reciprocity) of everything or of one
// programme, each figure in plain words with a link to its definition
// and each report as a spreadsheet. Like every page, it reads the
// published documents as the caller, so a viewer sees suppressed counts.

// statReports are the reports the page shows, in its order.
var statReports = []string{"duty", "influence", "representativeness", "reach", "reciprocity"}

type dutyDoc struct {
	header
	InScope      Count `json:"in_scope"`
	Assessed     Count `json:"assessed"`
	Applies      Count `json:"applies"`
	DoesNotApply Count `json:"does_not_apply"`
	Unassessed   Count `json:"unassessed"`
	Flagged      Count `json:"flagged"`
	Projects     []struct {
		ProjectID   string     `json:"project_id"`
		Name        string     `json:"name"`
		Programme   string     `json:"programme"`
		Assessed    bool       `json:"assessed"`
		Applies     *bool      `json:"applies"`
		Basis       string     `json:"basis"`
		AssessedBy  string     `json:"assessed_by"`
		Rationale   string     `json:"rationale"`
		AssessedAt  *time.Time `json:"assessed_at"`
		Assessments Count      `json:"assessments"`
		Decisions   Count      `json:"decisions"`
		Engagements Count      `json:"engagements"`
		Flag        string     `json:"flag"`
	} `json:"projects"`
}

// influenceCounts split feedback by the answer in force.
type influenceCounts struct {
	Feedback      Count `json:"feedback"`
	Adopted       Count `json:"adopted"`
	PartlyAdopted Count `json:"partly_adopted"`
	NotAdopted    Count `json:"not_adopted"`
	NoResponse    Count `json:"no_response"`
}

type influenceStatDoc struct {
	header
	influenceCounts
	MedianDaysToResponse Ratio `json:"median_days_to_response"`
	Projects             []struct {
		ProjectID string `json:"project_id"`
		Name      string `json:"name"`
		influenceCounts
		MedianDaysToResponse Ratio `json:"median_days_to_response"`
		Elements             []struct {
			ElementID string `json:"element_id"`
			Name      string `json:"name"`
			Reasons   []struct {
				Influence string `json:"influence"`
				Reason    string `json:"reason"`
				On        string `json:"on"`
				Feedback  Count  `json:"feedback"`
			} `json:"reasons"`
		} `json:"elements"`
	} `json:"projects"`
}

type shareRow struct {
	Value        string `json:"value"`
	Participants Count  `json:"participants"`
	Share        Ratio  `json:"share"`
	ShareOfKnown Ratio  `json:"share_of_known"`
	Baseline     Ratio  `json:"baseline"`
	Gap          Ratio  `json:"gap"`
}

type representativenessDoc struct {
	header
	Area              string     `json:"area"`
	BaselineSource    string     `json:"baseline_source"`
	Participants      Count      `json:"participants"`
	AgeBand           []shareRow `json:"age_band"`
	Ethnicity         []shareRow `json:"ethnicity"`
	Disability        []shareRow `json:"disability"`
	DeprivationDecile []shareRow `json:"deprivation_decile"`
	Core20            struct {
		Participants Count `json:"participants"`
		ShareOfKnown Ratio `json:"share_of_known"`
		Baseline     Ratio `json:"baseline"`
		Gap          Ratio `json:"gap"`
	} `json:"core20"`
}

type reachDoc struct {
	header
	Groups []struct {
		Group        string `json:"group"`
		Invited      Count  `json:"invited"`
		Accepted     Count  `json:"accepted"`
		Attended     Count  `json:"attended"`
		GaveFeedback Count  `json:"gave_feedback"`
		HeardBack    Count  `json:"heard_back"`
	} `json:"groups"`
}

type reciprocityTotals struct {
	Support Count `json:"support"`
	People  Count `json:"people"`
	// TotalPence is a sum of money: "*" when a count it rests on is
	// hidden, which Count reads.
	TotalPence Count `json:"total_pence"`
	ByKind     []struct {
		Kind    string `json:"kind"`
		Support Count  `json:"support"`
		Pence   Count  `json:"pence"`
	} `json:"by_kind"`
	ByRole []struct {
		Role    string `json:"role"`
		People  Count  `json:"people"`
		Support Count  `json:"support"`
		Pence   Count  `json:"pence"`
	} `json:"by_role"`
	AttendeesWithNeeds Count `json:"attendees_with_needs"`
	NeedsNotMet        Count `json:"needs_not_met"`
	NeedsNotMetByNeed  []struct {
		Need   string `json:"need"`
		People Count  `json:"people"`
	} `json:"needs_not_met_by_need"`
}

type reciprocityDoc struct {
	header
	reciprocityTotals
	Projects []struct {
		ProjectID string `json:"project_id"`
		Name      string `json:"name"`
		reciprocityTotals
	} `json:"projects"`
}

// statInputs are the documents the page is built from.
type statInputs struct {
	Duty               dutyDoc
	Influence          influenceStatDoc
	Representativeness representativenessDoc
	Reach              reachDoc
	Reciprocity        reciprocityDoc
}

// DutyPage is the duty-to-involve page: the statutory reports.
type DutyPage struct {
	Filters    Filters
	Programmes []string
	Scope      string
	Window     string
	KnownOn    string
	Suppressed bool
	// PackHref is the annual pack's page, "" when the site has none.
	PackHref string
	Sections []StatSection
}

// ProgrammeSelect returns the programme filter.
func (d DutyPage) ProgrammeSelect() Select {
	return Overview{Filters: d.Filters, Programmes: d.Programmes}.ProgrammeSelect()
}

// StatSection is one report on the page, under an h2.
type StatSection struct {
	ID, Heading, Intro string
	Figures            []Figure
	// Flags say in words what needs doing.
	FlagsHeading string
	Flags        []string
	Chart        *BarChart
	Tables       []Table
	// Note says what a * stands for, where counts are suppressed.
	Note string
	// Definitions links to the definitions of the report's figures.
	Definitions string
	Download    Download
}

// statDefinitions is the page that says how each figure is worked out.
const statDefinitions = "/reports/definitions"

func definitionHref(id string) string { return statDefinitions + "#" + id }

func (s *Site) duty(w http.ResponseWriter, r *http.Request) {
	now := s.opts.now()
	f := parseFilters(r.URL.Query(), s.opts.loc, now)
	var all programmeDoc
	if err := s.get(r, "programme", url.Values{}, &all); err != nil {
		s.problem(w, r, err)
		return
	}
	var in statInputs
	if f.Query != nil {
		var err error
		for _, g := range []struct {
			name string
			v    any
		}{{"duty", &in.Duty}, {"influence", &in.Influence}, {"representativeness", &in.Representativeness},
			{"reach", &in.Reach}, {"reciprocity", &in.Reciprocity}} {
			if err = s.get(r, g.name, f.Query, g.v); err != nil {
				break
			}
		}
		if err != nil && !f.refusedBy(err) {
			s.problem(w, r, err)
			return
		}
	}
	d := dutyPageOf(f, in, all, now)
	if s.opts.packs != nil {
		d.PackHref = annualPackPath
	}
	p := s.page(r, "Duty to involve", d)
	status := http.StatusOK
	if f.Query == nil {
		p.Errors = f.Summary()
		p.Title = "Error: " + p.Title
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "duty", p)
}

// dutyPageOf builds the page from the five reports of the same query.
func dutyPageOf(f Filters, in statInputs, all programmeDoc, now time.Time) DutyPage {
	d := DutyPage{Filters: f, Window: f.Window(), Scope: "All programmes", KnownOn: knownOn(f, in.Duty.AsOf, now),
		Suppressed: in.Duty.Suppressed() || in.Influence.Suppressed() || in.Representativeness.Suppressed() ||
			in.Reach.Suppressed() || in.Reciprocity.Suppressed()}
	d.Programmes = Overview{}.programmesOf(all)
	if in.Duty.Scope.Programme != nil {
		d.Scope = "Programme " + *in.Duty.Scope.Programme
	}
	if f.Query == nil {
		return d
	}
	dl := downloads(f.Query, statReports)
	d.Sections = []StatSection{
		dutySection(in.Duty), influenceSection(in.Influence), representativenessSection(in.Representativeness),
		reachSection(in.Reach), reciprocitySection(in.Reciprocity),
	}
	suppressed := []bool{in.Duty.Suppressed(), in.Influence.Suppressed(), in.Representativeness.Suppressed(),
		in.Reach.Suppressed(), in.Reciprocity.Suppressed()}
	for i := range d.Sections {
		if suppressed[i] {
			d.Sections[i].Note = "A * stands for a count from 1 to 7, or for a count hidden so that a small one cannot be worked out from the others; a share or sum of money resting on it is * too."
		}
		d.Sections[i].Download = dl[i]
		d.Sections[i].Definitions = definitionHref(statReports[i])
	}
	return d
}

// programmesOf names every programme of the programme report, once each.
func (Overview) programmesOf(all programmeDoc) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range all.Projects {
		if k := strings.ToLower(p.Programme); !seen[k] {
			seen[k] = true
			out = append(out, p.Programme)
		}
	}
	return out
}

func figure(id, label, value string) Figure { return Figure{id, label, value, statMeanings[id]} }

func numHead(name string) TableCell {
	return TableCell{Content: Content{Text: name}, Format: "numeric"}
}

func countCell(c Count) TableCell {
	return TableCell{Content: Content{Text: c.String()}, Format: "numeric"}
}

func textCells(ss ...string) []TableCell {
	out := make([]TableCell, len(ss))
	for i, s := range ss {
		out[i] = textCell(s)
	}
	return out
}

func caption(text string) *Caption { return &Caption{Content: Content{Text: text}, Size: "s"} }

func dutySection(doc dutyDoc) StatSection {
	s := StatSection{ID: "duty", Heading: "Duty to involve",
		Intro: "Whether each project has assessed if the legal duty to involve people applies to it, and what it found."}
	s.Figures = []Figure{
		figure("duty_in_scope", "Projects", doc.InScope.String()),
		figure("duty_assessed", "Assessed", doc.Assessed.String()),
		figure("duty_applies", "The duty applies", doc.Applies.String()),
		figure("duty_does_not_apply", "The duty does not apply", doc.DoesNotApply.String()),
		figure("duty_unassessed", "Not assessed", doc.Unassessed.String()),
		figure("duty_flagged", "Need an assessment now", doc.Flagged.String()),
	}
	s.FlagsHeading = "Projects that need an assessment"
	t := Table{Caption: caption("Duty to involve register"), Responsive: true, FirstCellIsHeader: true,
		Head: []TableCell{textCell("Project"), textCell("Finding"), textCell("Basis"), textCell("Assessed by"), textCell("Assessed on"),
			textCell("Why"), numHead("Involvement decisions"), numHead("Engagements")}}
	for _, p := range doc.Projects {
		finding := "Not assessed"
		switch {
		case p.Assessed && p.Applies != nil && *p.Applies:
			finding = "The duty applies"
		case p.Assessed && p.Applies != nil:
			finding = "The duty does not apply"
		}
		on := ""
		if p.AssessedAt != nil && p.Assessed {
			on = longDate(*p.AssessedAt)
		}
		name := p.Name
		if p.Programme != "" {
			name += " (" + p.Programme + ")"
		}
		t.Rows = append(t.Rows, []TableCell{htmlCell(linkHTML("/projects/"+url.PathEscape(p.ProjectID), name)), textCell(finding),
			textCell(p.Basis), textCell(p.AssessedBy), textCell(on), textCell(p.Rationale), countCell(p.Decisions), countCell(p.Engagements)})
		if p.Flag != "" {
			s.Flags = append(s.Flags, p.Name+": "+plural(p.Decisions, "involvement decision", "involvement decisions")+" and "+
				plural(p.Engagements, "engagement", "engagements")+" in the period, but no assessment of whether the duty to involve applies.")
		}
	}
	s.Tables = []Table{t}
	return s
}

// influenceNames in plain words, as the programme office reports them
// (the "You said, we did" speaks to the public instead).
var answerNames = map[string]string{
	"adopted": "Adopted", "partly_adopted": "Partly adopted", "not_adopted": "Not adopted", "no_response": "No response yet",
}

func daysText(r Ratio) string {
	if r.Known() {
		return r.Number() + " days"
	}
	return r.Number()
}

func influenceSection(doc influenceStatDoc) StatSection {
	s := StatSection{ID: "influence", Heading: "Influence of feedback",
		Intro: "What happened to the feedback people gave in the period, by the answer it has now."}
	s.Figures = []Figure{
		figure("influence_feedback", "Feedback", doc.Feedback.String()),
		figure("influence_adopted", "Adopted", doc.Adopted.String()),
		figure("influence_partly_adopted", "Partly adopted", doc.PartlyAdopted.String()),
		figure("influence_not_adopted", "Not adopted", doc.NotAdopted.String()),
		figure("influence_no_response", "No response yet", doc.NoResponse.String()),
		figure("influence_median_days", "Median days to a response", daysText(doc.MedianDaysToResponse)),
	}
	byProject := Table{Caption: caption("Feedback by project and answer"), Responsive: true, FirstCellIsHeader: true,
		Head: []TableCell{textCell("Project"), numHead("Feedback"), numHead("Adopted"), numHead("Partly adopted"),
			numHead("Not adopted"), numHead("No response yet"), numHead("Median days to a response")}}
	reasons := Table{Caption: caption("The answers given and why"), Responsive: true,
		Head: []TableCell{textCell("Project"), textCell("About"), textCell("Answer"), textCell("Why"), textCell("First given"), numHead("Feedback")}}
	for _, p := range doc.Projects {
		byProject.Rows = append(byProject.Rows, []TableCell{textCell(p.Name), countCell(p.Feedback), countCell(p.Adopted),
			countCell(p.PartlyAdopted), countCell(p.NotAdopted), countCell(p.NoResponse),
			{Content: Content{Text: p.MedianDaysToResponse.Number()}, Format: "numeric"}})
		for _, e := range p.Elements {
			about := e.Name
			if e.ElementID == "" {
				about = "The project as a whole"
			}
			for _, rs := range e.Reasons {
				reasons.Rows = append(reasons.Rows, append(textCells(p.Name, about, answerNames[rs.Influence], rs.Reason, dateText(rs.On)), countCell(rs.Feedback)))
			}
		}
	}
	s.Tables = []Table{byProject, reasons}
	return s
}

// answerText writes a representativeness answer in words.
func answerText(category, v string) string {
	switch v {
	case "prefer_not_to_say":
		return "Prefer not to say"
	case "not_recorded":
		return "Not recorded"
	}
	switch category {
	case "age_band":
		switch {
		case v == "under_18":
			return "Under 18"
		case strings.HasSuffix(v, "_plus"):
			return strings.TrimSuffix(v, "_plus") + " and over"
		}
		return strings.ReplaceAll(v, "_", " to ")
	case "deprivation_decile":
		switch v {
		case "1":
			return "1 (most deprived)"
		case "10":
			return "10 (least deprived)"
		}
		return v
	case "disability":
		return capitalise(v)
	}
	return v
}

// gapText writes a gap in percentage points, signed.
func gapText(r Ratio) string {
	if !r.Known() {
		return r.Percent()
	}
	pts := strconv.FormatFloat(r.V*100, 'f', 0, 64)
	switch {
	case pts == "0" || pts == "-0":
		return "0 points"
	case r.V > 0:
		return "+" + pts + " points"
	}
	return "−" + strings.TrimPrefix(pts, "-") + " points"
}

func representativenessSection(doc representativenessDoc) StatSection {
	s := StatSection{ID: "representativeness", Heading: "Representativeness",
		Intro: "Who took part, by what they told us about themselves, against the population of the area."}
	s.Figures = []Figure{
		figure("representativeness_participants", "People taking part", doc.Participants.String()),
		figure("representativeness_core20", "From the most deprived fifth of areas (Core20)", doc.Core20.ShareOfKnown.Percent()),
		figure("representativeness_core20_gap", "Core20 gap against the area", gapText(doc.Core20.Gap)),
	}
	if doc.Area != "" {
		s.Intro += " The area is " + doc.Area
		if doc.BaselineSource != "" {
			s.Intro += " (" + doc.BaselineSource + ")"
		}
		s.Intro += "."
	} else {
		s.Intro += " No population baseline is set, so there are no gaps."
	}
	for _, c := range []struct {
		key, name string
		rows      []shareRow
	}{{"age_band", "Age", doc.AgeBand}, {"ethnicity", "Ethnicity", doc.Ethnicity}, {"disability", "Disability", doc.Disability},
		{"deprivation_decile", "Deprivation decile of where people live", doc.DeprivationDecile}} {
		t := Table{Caption: caption(c.name), Responsive: true, FirstCellIsHeader: true,
			Head: []TableCell{textCell("Answer"), numHead("People"), numHead("Share of those who answered"), numHead("Area"), numHead("Gap")}}
		for _, row := range c.rows {
			t.Rows = append(t.Rows, []TableCell{textCell(answerText(c.key, row.Value)), countCell(row.Participants),
				{Content: Content{Text: orBlank(row.ShareOfKnown)}, Format: "numeric"},
				{Content: Content{Text: orBlank(row.Baseline)}, Format: "numeric"},
				{Content: Content{Text: gapOrBlank(row.Gap)}, Format: "numeric"}})
		}
		s.Tables = append(s.Tables, t)
	}
	return s
}

// orBlank writes a share, or nothing where there is none to give.
func orBlank(r Ratio) string {
	if r.Null {
		return ""
	}
	return r.Percent()
}

func gapOrBlank(r Ratio) string {
	if r.Null {
		return ""
	}
	return gapText(r)
}

var stageNames = []string{"Invited", "Accepted", "Came", "Gave feedback", "Heard back"}

func groupName(g string) string {
	switch g {
	case "everyone":
		return "Everyone"
	case "lived_experience":
		return "With lived experience"
	}
	return roleName(g)
}

func reachSection(doc reachDoc) StatSection {
	s := StatSection{ID: "reach", Heading: "Reach",
		Intro: "Of the people invited to the period's engagements: how many accepted, came, gave feedback and heard back what changed."}
	t := Table{Caption: caption("From invitation to hearing back, by group"), Responsive: true, FirstCellIsHeader: true,
		Head: []TableCell{textCell("Group")}}
	for _, n := range stageNames {
		t.Head = append(t.Head, numHead(n))
	}
	for _, g := range doc.Groups {
		stages := []Count{g.Invited, g.Accepted, g.Attended, g.GaveFeedback, g.HeardBack}
		row := []TableCell{textCell(groupName(g.Group))}
		for _, c := range stages {
			row = append(row, countCell(c))
		}
		t.Rows = append(t.Rows, row)
		if g.Group == "everyone" {
			s.Figures = []Figure{
				figure("reach_invited", "Invited", g.Invited.String()),
				figure("reach_accepted", "Accepted", g.Accepted.String()),
				figure("reach_attended", "Came", g.Attended.String()),
				figure("reach_gave_feedback", "Gave feedback", g.GaveFeedback.String()),
				figure("reach_heard_back", "Heard back", g.HeardBack.String()),
			}
			c := countBars("reach-chart", "From invitation to hearing back",
				"A bar for each stage, for everyone invited: invited, accepted, came, gave feedback, heard back. The table below gives the same figures for each group.",
				stageNames, stages)
			s.Chart = &c
		}
	}
	s.Tables = []Table{t}
	return s
}

// money writes pence as pounds, "*" when hidden.
func money(c Count) string {
	if c.Hidden {
		return "*"
	}
	return "£" + strconv.Itoa(c.N/100) + "." + strconv.Itoa(c.N%100/10) + strconv.Itoa(c.N%10)
}

func moneyCell(c Count) TableCell {
	return TableCell{Content: Content{Text: money(c)}, Format: "numeric"}
}

func reciprocitySection(doc reciprocityDoc) StatSection {
	s := StatSection{ID: "reciprocity", Heading: "Reciprocity",
		Intro: "The support people were given to take part, what it cost, and the needs that were not met."}
	s.Figures = []Figure{
		figure("reciprocity_support", "Support given", doc.Support.String()),
		figure("reciprocity_people", "People supported", doc.People.String()),
		figure("reciprocity_total", "Total paid", money(doc.TotalPence)),
		figure("reciprocity_with_needs", "People with support needs who came", doc.AttendeesWithNeeds.String()),
		figure("reciprocity_needs_not_met", "Needs not met", doc.NeedsNotMet.String()),
	}
	kinds := Table{Caption: caption("Support by kind"), FirstCellIsHeader: true,
		Head: []TableCell{textCell("Kind"), numHead("Support given"), numHead("Paid")}}
	for _, k := range doc.ByKind {
		kinds.Rows = append(kinds.Rows, []TableCell{textCell(words(k.Kind)), countCell(k.Support), moneyCell(k.Pence)})
	}
	roles := Table{Caption: caption("Support by role of the person supported"), FirstCellIsHeader: true,
		Head: []TableCell{textCell("Role"), numHead("People"), numHead("Support given"), numHead("Paid")}}
	for _, r := range doc.ByRole {
		roles.Rows = append(roles.Rows, []TableCell{textCell(roleName(r.Role)), countCell(r.People), countCell(r.Support), moneyCell(r.Pence)})
	}
	needs := Table{Caption: caption("Needs not met, by need"), FirstCellIsHeader: true,
		Head: []TableCell{textCell("Need"), numHead("People")}}
	for _, n := range doc.NeedsNotMetByNeed {
		needs.Rows = append(needs.Rows, []TableCell{textCell(words(n.Need)), countCell(n.People)})
	}
	projects := Table{Caption: caption("Support by project"), Responsive: true, FirstCellIsHeader: true,
		Head: []TableCell{textCell("Project"), numHead("Support given"), numHead("People supported"), numHead("Paid"), numHead("Needs not met")}}
	for _, p := range doc.Projects {
		projects.Rows = append(projects.Rows, []TableCell{textCell(p.Name), countCell(p.Support), countCell(p.People), moneyCell(p.TotalPence), countCell(p.NeedsNotMet)})
	}
	s.FlagsHeading = "Needs not met"
	if doc.NeedsNotMet.Hidden || doc.NeedsNotMet.N > 0 {
		s.Flags = append(s.Flags, doc.NeedsNotMet.String()+" of "+plural(doc.AttendeesWithNeeds, "person", "people")+
			" with a support need came to an engagement and were given no support there.")
	}
	s.Tables = []Table{kinds, roles, needs, projects}
	return s
}
