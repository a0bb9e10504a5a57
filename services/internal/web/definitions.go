package web

import "net/http"

// statMeanings say in plain words what each figure of the statutory
// reports is; they follow docs/reports.md, which defines every figure
// precisely.
var statMeanings = map[string]string{
	"duty_in_scope":       "Projects in the programme (or in every programme) that were known at the time.",
	"duty_assessed":       "Projects with a decision in force, at the end of the period, on whether the legal duty to involve people applies to them.",
	"duty_applies":        "Of the projects assessed, those where the duty to involve applies.",
	"duty_does_not_apply": "Of the projects assessed, those where it was decided that the duty does not apply, with the reason recorded.",
	"duty_unassessed":     "Projects with no such decision yet.",
	"duty_flagged":        "Projects with no decision on the duty that nonetheless held engagements or made involvement decisions in the period. Each needs an assessment.",

	"influence_feedback":       "Pieces of feedback given in the period and not withdrawn. Adopted, partly adopted, not adopted and no response yet add up to it.",
	"influence_adopted":        "Feedback whose latest answer is that the project did what was asked.",
	"influence_partly_adopted": "Feedback whose latest answer is that the project did some of what was asked.",
	"influence_not_adopted":    "Feedback whose latest answer is that the project could not do what was asked, with the reason given.",
	"influence_no_response":    "Feedback that has had no answer yet.",
	"influence_median_days":    "Half of the feedback that got an answer got its first answer within this many days, and half took longer.",

	"representativeness_participants": "Different people who took part in the period, as on the participation figures. Each table of answers adds up to this.",
	"representativeness_core20":       "Of the people who told us where they live, the share living in the most deprived fifth of areas in England (deciles 1 and 2 of the Index of Multiple Deprivation), the Core20 of Core20PLUS5.",
	"representativeness_core20_gap":   "The Core20 share of the people taking part minus the share of the area's population living in those places, in percentage points. Below zero means under-represented.",
	"representativeness_share":        "Share of those who answered: people giving this answer out of those who gave any answer to the question (people who preferred not to say, or whose answer is not recorded, are left out).",
	"representativeness_gap":          "Gap: the share of those who answered minus the area's share, in percentage points. Below zero means fewer people like this took part than live in the area.",

	"reach_invited":       "Different people invited to at least one of the period's engagements. People who came without an invitation are not in this funnel.",
	"reach_accepted":      "Of those invited, people whose last answer to at least one invitation was yes.",
	"reach_attended":      "Of those invited, people who came to an engagement they were invited to, whether they had answered or not.",
	"reach_gave_feedback": "Of those who came, people who gave feedback with their name in the period.",
	"reach_heard_back":    "Of those who gave feedback, people told what changed because of at least one piece of it (the loop closed).",

	"reciprocity_support":       "Pieces of support given in the period: travel, childcare, an interpreter, a payment or other help.",
	"reciprocity_people":        "Different people who were given support.",
	"reciprocity_total":         "The total amount paid for that support.",
	"reciprocity_with_needs":    "People who came to an engagement in the period having told us beforehand that they need support to take part.",
	"reciprocity_needs_not_met": "Of them, people who were given no support at all at one such engagement at least.",
}

// DefinitionsPage says how every figure of the statutory reports is worked
// out, one section per report, each figure under its own anchor.
type DefinitionsPage struct {
	Back     string
	Sections []DefinitionSection
}

// DefinitionSection is one report's figures.
type DefinitionSection struct {
	ID, Heading string
	Items       []Figure // ID and Label and Meaning
}

func definitionsPage() DefinitionsPage {
	d := DefinitionsPage{Back: dutyPath}
	group := func(id, heading string, ids ...[2]string) DefinitionSection {
		s := DefinitionSection{ID: id, Heading: heading}
		for _, f := range ids {
			s.Items = append(s.Items, Figure{ID: f[0], Label: f[1], Meaning: statMeanings[f[0]]})
		}
		return s
	}
	d.Sections = []DefinitionSection{
		group("duty", "Duty to involve", [2]string{"duty_in_scope", "Projects"}, [2]string{"duty_assessed", "Assessed"},
			[2]string{"duty_applies", "The duty applies"}, [2]string{"duty_does_not_apply", "The duty does not apply"},
			[2]string{"duty_unassessed", "Not assessed"}, [2]string{"duty_flagged", "Need an assessment now"}),
		group("influence", "Influence of feedback", [2]string{"influence_feedback", "Feedback"}, [2]string{"influence_adopted", "Adopted"},
			[2]string{"influence_partly_adopted", "Partly adopted"}, [2]string{"influence_not_adopted", "Not adopted"},
			[2]string{"influence_no_response", "No response yet"}, [2]string{"influence_median_days", "Median days to a response"}),
		group("representativeness", "Representativeness", [2]string{"representativeness_participants", "People taking part"},
			[2]string{"representativeness_share", "Share of those who answered"}, [2]string{"representativeness_gap", "Gap"},
			[2]string{"representativeness_core20", "From the most deprived fifth of areas (Core20)"},
			[2]string{"representativeness_core20_gap", "Core20 gap against the area"}),
		group("reach", "Reach", [2]string{"reach_invited", "Invited"}, [2]string{"reach_accepted", "Accepted"},
			[2]string{"reach_attended", "Came"}, [2]string{"reach_gave_feedback", "Gave feedback"}, [2]string{"reach_heard_back", "Heard back"}),
		group("reciprocity", "Reciprocity", [2]string{"reciprocity_support", "Support given"}, [2]string{"reciprocity_people", "People supported"},
			[2]string{"reciprocity_total", "Total paid"}, [2]string{"reciprocity_with_needs", "People with support needs who came"},
			[2]string{"reciprocity_needs_not_met", "Needs not met"}),
		{ID: "suppressed", Heading: "Small numbers", Items: []Figure{{ID: "suppressed-counts", Label: "*", Meaning: meanings["suppressed"]}}},
	}
	return d
}

func (s *Site) definitions(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "definitions", s.page(r, "What the figures mean", definitionsPage()))
}
