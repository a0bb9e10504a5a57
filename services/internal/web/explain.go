package web

// meanings say in plain words what each figure on the pages is; they
// follow docs/reports.md, which defines every figure precisely.
var meanings = map[string]string{
	"participants":           "Different people who took part in the period: named at an engagement that was held, or gave feedback with their name. Each person counts once however often they took part.",
	"new_voices":             "People taking part for the first time ever in this programme or project. A high share means involvement is reaching beyond the usual voices.",
	"lived_experience_share": "The share of people taking part who use the service or care for someone who does.",
	"effective_voices":       "How many equal voices the participation is worth. If 10 people took part but 2 of them did almost everything, this is close to 2.",
	"top_decile_share":       "The share of all participation made by the most active tenth of the people.",
	"overdue":                "Actions agreed in the period that are still open after their due date.",
	"loop_closed_rate":       "The share of feedback where an action was done and the people who gave it were told what changed (\"you said, we did\").",
	"unnamed_attendees":      "People at engagements whose names were not recorded. They are not counted as participants because they cannot be told apart.",
	"anonymous_feedback":     "Feedback given without a name. It is not counted as participation for the same reason.",
	"funnel":                 "Of the invitations to the period's engagements: how many were accepted (the last answer was yes) and how many of the people invited came.",
	"coverage":               "Different named people at engagements held at each level of involvement, by what they bring. People can hold more than one role.",
	"completion_rate":        "Actions completed, out of those agreed that were not dropped.",
	"on_time_rate":           "Actions completed on or before their due date (as it stood when they were completed), out of those completed.",
	"response_rate":          "Feedback that got an answer, including \"not adopted\", out of all feedback.",
	"tokenism":               "This element is at co-design or co-production, which means sharing power, but no engagement linked to it had anyone with lived experience (a service user or carer) there.",
	"suppressed":             "Counts are rounded to the nearest 5 and a count from 1 to 7 is shown as *, so that nobody can be identified. A * can also hide a larger count that would give a small one away. Shares are worked out from the rounded counts.",
}

// roleNames are the roles in plain words, in the order of events.Roles.
var roleNames = []struct{ key, name string }{
	{"service_user", "Service users"},
	{"carer", "Carers"},
	{"frontline_staff", "Frontline staff"},
	{"manager", "Managers"},
	{"commissioner", "Commissioners"},
	{"partner", "Partners"},
	{"public", "Members of the public"},
}

// levelNames are the levels of involvement in plain words, lowest first.
var levelNames = []struct{ key, name string }{
	{"inform", "Inform"},
	{"engage", "Engage"},
	{"consult", "Consult"},
	{"co_design", "Co-design"},
	{"co_produce", "Co-produce"},
}

func roleName(key string) string {
	for _, r := range roleNames {
		if r.key == key {
			return r.name
		}
	}
	return key
}

func levelName(key string) string {
	for _, l := range levelNames {
		if l.key == key {
			return l.name
		}
	}
	if key == "" {
		return "None"
	}
	return key
}
