package audit

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/report"
)

// packPage is what the pack's HTML document shows for one programme.
type packPage struct {
	// CSS is the print stylesheet, embedded so the file stands alone.
	CSS                                       template.CSS
	Programme, From, To, AsOf, TimeZone, Rule string
	Year                                      int
	Exact                                     bool
	Projects                                  []string
	Sections                                  []packSection
}

// packSection is one report in the document.
type packSection struct {
	ID, Title, Question, About string
	Head                       []string // column headings; the first heads the row headings
	Rows                       []packRow
}

// packRow is one row: its heading cell, then its cells.
type packRow struct {
	Head  string
	Cells []packCell
}

// packCell is one cell; numbers (and hidden counts) are set right.
type packCell struct {
	Text   string
	Number bool
}

func cell(s string) packCell {
	_, err := strconv.ParseFloat(s, 64)
	switch {
	case s == "true":
		s = "Yes"
	case s == "false":
		s = "No"
	case levelTexts[s] != "":
		s = capitalise(levelTexts[s])
	}
	return packCell{Text: s, Number: err == nil || s == disclosure.Hidden}
}

// reportTexts are each report's title and what it shows, in plain words
// that follow docs/reports.md.
var reportTexts = map[string]struct{ title, about string }{
	"participation":      {"Who took part", "Different people who took part in the year: named at an engagement that was held, or gave feedback with their name. Each person counts once however often they took part. People who came without a name, and feedback given without a name, are counted apart: they cannot be told apart, so they are never counted as participants."},
	"follow-through":     {"Did we do what we said?", "The actions agreed in the year and what became of them, and the feedback given in the year: whether it led to an action, got an answer, and whether the loop was closed — the action was done and the people who gave the feedback were told."},
	"decisions":          {"How far people were involved, and why", "Every part of every project, the level of involvement decided on it (inform, engage, consult, co-design or co-produce), who decided, why, and on what evidence: how many people had taken part, and how much feedback had been given, before the decision. An element at co-design or co-production with no one with lived experience at its engagements is flagged as tokenism."},
	"programme":          {"Projects that need attention", "One row per project with its main figures and a red, amber or green rating. The worst colour wins, and every threshold crossed is given as a reason."},
	"duty":               {"The duty to involve", "Public bodies have a legal duty to involve people in planning and changing services. Whether the duty applies to a project is itself a decision; this shows, for each project, whether it was assessed, what was found, and whether a project was active without an assessment."},
	"influence":          {"What feedback changed (you said, we did)", "The feedback given in the year and the answer in force: adopted, partly adopted, not adopted, or no answer yet, with the reasons given, the themes people raised and the actions done as a result. It never shows who gave feedback or what they wrote in their own words."},
	"representativeness": {"Do the people who took part reflect the people served?", "The people who took part, by age band, ethnicity, disability and deprivation decile, against the population the programme serves where a baseline is set. Demographics are sealed per person; people who never declared them, or whose declaration is not opened here, count as not recorded."},
	"reach":              {"From invitation to hearing back", "For the engagements of the year: how many different people were invited, accepted, came, gave feedback and heard back about what changed, for everyone, for people with lived experience and for each role. People who came without an invitation are not in this funnel."},
	"reciprocity":        {"Support given to the people who took part", "Support provided in the year so that people could take part (travel, childcare, interpreters, payment), to how many people, at what cost, and the people who came with a support need recorded but got no support."},
}

// figureTexts name the figures of the one-row-per-figure reports.
var figureTexts = map[string]string{
	"participants":                    "Participants",
	"invited":                         "Invitations to the year's engagements",
	"accepted":                        "Invitations accepted",
	"attended_of_invited":             "Invitees who came",
	"unnamed_attendees":               "Attendees recorded without a name",
	"anonymous_feedback":              "Feedback given without a name",
	"new_voices":                      "New voices: people taking part for the first time",
	"new_voice_share":                 "Share of participants who were new voices",
	"effective_voices":                "Effective voices: how many equal voices the participation is worth",
	"top_decile_share":                "Share of participation by the most active tenth of people",
	"lived_experience":                "Participants with lived experience (service users and carers)",
	"lived_experience_share":          "Share of participants with lived experience",
	"missing_roles":                   "Roles with no participant",
	"missing_lived_experience_roles":  "Lived-experience roles with no participant",
	"agreed":                          "Actions agreed",
	"completed":                       "Actions completed",
	"completed_on_time":               "Actions completed on time",
	"rescheduled":                     "Actions rescheduled at least once",
	"dropped":                         "Actions dropped",
	"open":                            "Actions still open",
	"overdue":                         "Open actions past their due date",
	"completion_rate":                 "Completion rate (completed out of those not dropped)",
	"on_time_rate":                    "On-time rate (on time out of completed)",
	"median_days_to_complete":         "Median days to complete an action",
	"p90_days_to_complete":            "Days within which 9 in 10 actions were completed",
	"feedback":                        "Feedback items",
	"feedback_with_action":            "Feedback that led to an action",
	"responded":                       "Feedback that got an answer",
	"loop_closed":                     "Feedback where the loop was closed",
	"action_rate":                     "Share of feedback that led to an action",
	"response_rate":                   "Share of feedback that got an answer",
	"loop_closed_rate":                "Share of feedback where the loop was closed",
	"median_days_feedback_to_outcome": "Median days from feedback to telling people the outcome",
	"support":                         "Support given",
	"people":                          "People supported",
	"total_pence":                     "Total spent on support (pence)",
	"attendees_with_needs":            "Attendees with a support need recorded",
	"needs_not_met":                   "Attendees whose need went unmet at least once",
}

// headerFigures are the header rows every figure table starts with: the
// document says them once, above the tables.
var headerFigures = map[string]bool{"report": true, "scope.project": true, "scope.programme": true, "from": true, "to": true,
	"as_of": true, "time_zone": true, "counts": true, "position": true}

var roleTexts = map[string]string{"service_user": "service users", "carer": "carers", "frontline_staff": "frontline staff",
	"manager": "managers", "commissioner": "commissioners", "partner": "partners", "public": "members of the public"}

var levelTexts = map[string]string{"inform": "inform", "engage": "engage", "consult": "consult", "co_design": "co-design", "co_produce": "co-produce"}

// figureLabel names a figure, by its path, in plain words.
func figureLabel(name string) string {
	if s, ok := figureTexts[name]; ok {
		return s
	}
	parts := strings.Split(name, ".")
	word := func(m map[string]string, k string) string {
		if s, ok := m[k]; ok {
			return s
		}
		return strings.ReplaceAll(k, "_", " ")
	}
	switch {
	case len(parts) == 2 && parts[0] == "by_role":
		return "Participants who are " + word(roleTexts, parts[1])
	case len(parts) == 3 && parts[0] == "coverage":
		return capitalise(word(roleTexts, parts[2])) + " at " + word(levelTexts, parts[1]) + " engagements"
	case len(parts) == 3 && parts[0] == "by_kind" && parts[2] == "support":
		return "Support given: " + word(nil, parts[1])
	case len(parts) == 3 && parts[0] == "by_kind" && parts[2] == "pence":
		return "Spent on " + word(nil, parts[1]) + " (pence)"
	case len(parts) == 3 && parts[0] == "by_role" && parts[2] == "people":
		return "People supported who are " + word(roleTexts, parts[1])
	case len(parts) == 3 && parts[0] == "by_role" && parts[2] == "support":
		return "Support given to " + word(roleTexts, parts[1])
	case len(parts) == 3 && parts[0] == "by_role" && parts[2] == "pence":
		return "Spent on support for " + word(roleTexts, parts[1]) + " (pence)"
	case len(parts) == 2 && parts[0] == "needs_not_met_by_need":
		return "People whose need for " + word(nil, parts[1]) + " went unmet"
	}
	return capitalise(strings.ReplaceAll(strings.ReplaceAll(name, ".", ": "), "_", " "))
}

// columnTexts name the columns of the other reports.
var columnTexts = map[string]string{"project_name": "Project", "element_name": "Element", "name": "Name", "figure": "Figure",
	"value": "Value", "group": "Who", "category": "Category", "kind": "Kind", "rag": "Rating"}

func columnLabel(c string) string {
	if s, ok := columnTexts[c]; ok {
		return s
	}
	return capitalise(strings.ReplaceAll(c, "_", " "))
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// section turns a report's published table into the document's table:
// ids and the programme (the same on every row) are left out, figures
// named in plain words, and the header figures left to the document's
// opening.
func section(r report.Report, t projections.Table) packSection {
	text := reportTexts[r.Name]
	s := packSection{ID: r.Name, Title: text.title, Question: r.Question, About: text.about}
	if s.Title == "" {
		s.Title = capitalise(r.Name)
	}
	var keep []int
	for i, h := range t.Header {
		if strings.HasSuffix(h, "_id") || h == "programme" {
			continue
		}
		keep = append(keep, i)
		s.Head = append(s.Head, columnLabel(h))
	}
	figure := -1
	for i, h := range t.Header {
		if h == "figure" {
			figure = i
		}
	}
	for _, row := range t.Rows {
		if figure >= 0 && figure < len(row) && headerFigures[row[figure]] {
			continue
		}
		var cells []string
		for _, i := range keep {
			c := ""
			if i < len(row) {
				c = row[i]
			}
			switch {
			case i == figure:
				c = figureLabel(c)
			case t.Header[i] == "project_name" && c == "":
				c = "All projects"
			}
			cells = append(cells, c)
		}
		if len(cells) == 0 {
			continue
		}
		r := packRow{Head: cells[0]}
		for _, c := range cells[1:] {
			r.Cells = append(r.Cells, cell(c))
		}
		s.Rows = append(s.Rows, r)
	}
	return s
}
