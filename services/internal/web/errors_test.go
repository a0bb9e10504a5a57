package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/together-coop/together/events"
)

// TestFormErrors sends every form with what is missing or wrong, and
// checks the NHS pattern: the page again with the status, an error
// summary at the top whose links go to the fields, and each message
// beside its field, in plain words, with nothing recorded.
func TestFormErrors(t *testing.T) {
	w := recordWorkshop(t)
	s, b := w.s, w.rec
	// A second engagement, still planned, and an action still open.
	_, planned, _ := b.record("/engagements/new?project="+w.project, merge(url.Values{
		"project_id": {w.project}, "title": {"Seating focus group"}, "method": {"focus_group"}, "level": {"consult"},
		"scheduled_time": {"10:00"}}, dateValues("scheduled_for", -7)))
	_, open, _ := b.record("/actions/new?project="+w.project, merge(url.Values{"description": {"Ask about chairs"}, "owner": {"Sam"}}, dateValues("due_on", -5)))
	eng, act, openAct := "/engagements/"+planned, "/actions/"+w.action, "/actions/"+open
	decide := "/projects/" + w.project + "/elements/" + w.elements[1] + "/decide"
	long := strings.Repeat("a", events.MaxTextLength+1)

	tests := []struct {
		name, path string
		values     url.Values
		status     int
		want       []string // messages, each in the summary and beside its field
		hrefs      []string // where the summary's links go, in order
	}{
		{"register without yes or no", "/stakeholders/new", url.Values{}, 400,
			[]string{"Select yes if they use the service now, or care for someone who does"}, []string{"#current_experience"}},
		// The service checks what it records in the clear before it makes
		// a key to seal the name with, so the name comes after.
		{"register with nothing else", "/stakeholders/new", url.Values{"current_experience": {"no"}}, 400,
			[]string{"Select what they bring", "Select how they were found"}, []string{"#roles", "#recruitment_channel"}},
		{"register without a name", "/stakeholders/new", url.Values{"current_experience": {"no"}, "roles": {"carer"}, "recruitment_channel": {"advert"}}, 400,
			[]string{"Enter their full name"}, []string{"#name"}},
		{"register with a name too long", "/stakeholders/new", url.Values{"current_experience": {"no"}, "name": {long}, "roles": {"carer"}, "recruitment_channel": {"advert"}}, 400,
			[]string{"Their name must be at most 10000 bytes long"}, []string{"#name"}},
		{"register with a role not on the list", "/stakeholders/new", url.Values{"current_experience": {"no"}, "name": {"Eve"}, "roles": {"wizard"}, "recruitment_channel": {"advert"}}, 400,
			[]string{"Select what they bring from the list"}, []string{"#roles"}},
		{"plan with a date and time that do not exist", "/engagements/new?project=" + w.project, url.Values{"project_id": {w.project},
			"scheduled_for[day]": {"31"}, "scheduled_for[month]": {"2"}, "scheduled_for[year]": {"2026"}, "scheduled_time": {"25:00"}}, 400,
			[]string{"The day of the engagement must be a real date, like 31 3 2026", "The time it starts must be a real time, like 14:30"},
			[]string{"#scheduled_for-day", "#scheduled_time"}},
		{"plan with a date missing its year", "/engagements/new?project=" + w.project, url.Values{"project_id": {w.project},
			"scheduled_for[day]": {"3"}, "scheduled_for[month]": {"4"}, "scheduled_time": {"9:30"}}, 400,
			[]string{"The day of the engagement must include a year"}, []string{"#scheduled_for-year"}},
		{"plan with nothing chosen", "/engagements/new?project=" + w.project, merge(url.Values{"scheduled_time": {"10:00"}}, dateValues("scheduled_for", -1)), 400,
			[]string{"Choose the project", "Enter a title, such as Waiting room workshop", "Select how it will be run", "Select the level of involvement"},
			[]string{"#project_id", "#title", "#method", "#level"}},
		{"invite nobody", eng + "/invite", url.Values{}, 400,
			[]string{"Select the people you invited", "Select how you invited them"}, []string{"#stakeholder_id", "#channel"}},
		{"answer without yes or no", "/engagements/" + w.engagement + "/answer", url.Values{"stakeholder_id": {w.cat}}, 400,
			[]string{"Select yes if they accepted"}, []string{"#accepted"}},
		{"answer for nobody", "/engagements/" + w.engagement + "/answer", url.Values{"accepted": {"yes"}}, 400,
			[]string{"Select whose answer it is"}, []string{"#stakeholder_id"}},
		{"who came, without the day", eng + "/attendance", url.Values{"unnamed_attendees": {"2"}}, 400,
			[]string{"Enter the day it was held"}, []string{"#held_on-day"}},
		{"who came, tomorrow", eng + "/attendance", merge(url.Values{"unnamed_attendees": {"2"}}, dateValues("held_on", -2)), 400,
			[]string{"The day it was held must be today or in the past"}, []string{"#held_on-day"}},
		{"who came, counted twice", "/engagements/" + w.engagement + "/attendance", merge(url.Values{"unnamed_attendees": {"1"}}, dateValues("held_on", 1)), 409,
			[]string{"Who came was recorded already for this engagement"}, []string{""}},
		{"who came, too many others", eng + "/attendance", merge(url.Values{"unnamed_attendees": {"100001"}}, dateValues("held_on", 0)), 400,
			[]string{"The number of others who came must be from 0 to 100000"}, []string{"#unnamed_attendees"}},
		{"feedback with nothing", "/feedback/new?project=" + w.project, url.Values{}, 400,
			[]string{"Choose how it was given", "Select how they felt", "Enter what they said"}, []string{"#channel", "#sentiment", "#summary"}},
		{"feedback from an engagement of another project", "/feedback/new?project=" + w.project, url.Values{"engagement_id": {w.elements[0]},
			"channel": {"email"}, "sentiment": {"mixed"}, "summary": {"Hmm"}}, 404,
			[]string{"This has not been recorded"}, []string{""}},
		{"agree without a due date", "/actions/new?project=" + w.project, url.Values{"description": {"x"}}, 400,
			[]string{"Enter the day it is due"}, []string{"#due_on-day"}},
		{"agree with nothing else", "/actions/new?project=" + w.project, dateValues("due_on", -3), 400,
			[]string{"Enter what will be done", "Enter who will do it"}, []string{"#description", "#owner"}},
		{"complete with nothing", openAct + "/complete", url.Values{}, 400,
			[]string{"Enter the day it was done"}, []string{"#completed_on-day"}},
		{"complete tomorrow", openAct + "/complete", merge(url.Values{"outcome": {"Done"}}, dateValues("completed_on", -1)), 400,
			[]string{"The day it was done must be today or in the past"}, []string{"#completed_on-day"}},
		{"complete twice", act + "/complete", merge(url.Values{"outcome": {"Again"}}, dateValues("completed_on", 0)), 409,
			[]string{"The action was recorded as done already"}, []string{""}},
		{"reschedule with nothing", openAct + "/reschedule", url.Values{}, 400,
			[]string{"Enter the new due date"}, []string{"#due_on-day"}},
		{"reschedule to before it was agreed", openAct + "/reschedule", merge(url.Values{"reason": {"Oops"}}, dateValues("due_on", 30)), 400,
			[]string{"The new due date must be on or after the day the action was agreed"}, []string{"#due_on-day"}},
		{"reschedule without a reason", openAct + "/reschedule", dateValues("due_on", -30), 400,
			[]string{"Enter why the due date is changing"}, []string{"#reason"}},
		{"drop without a reason", openAct + "/drop", url.Values{}, 400,
			[]string{"Enter why it is being dropped"}, []string{"#reason"}},
		{"tell people about an open action", openAct + "/communicate", url.Values{"audience": {"staff"}, "channel": {"email"}}, 409,
			[]string{"Record that the action was done, or dropped, before recording that people were told the outcome"}, []string{""}},
		{"tell nobody", act + "/communicate", url.Values{}, 400,
			[]string{"Select who was told", "Select how they were told"}, []string{"#audience", "#channel"}},
		{"decide nothing", decide, url.Values{}, 400,
			[]string{"Select the level of involvement decided", "Enter why this level was decided", "Enter who decided"},
			[]string{"#level", "#rationale", "#decided_by"}},
		{"decide with half a right", decide, url.Values{"right_1_holder": {"Patients"}}, 400,
			[]string{"Enter what the holder of decision right 1 decides"}, []string{"#right_1_right"}},
		{"decide with a right too long, in the third row", decide, url.Values{"level": {"consult"}, "rationale": {"r"}, "decided_by": {"Board"},
			"right_3_holder": {long}, "right_3_right": {"Choose"}}, 400,
			[]string{"Who holds the right must be at most 10000 bytes long"}, []string{"#right_3_holder"}},
		{"duty without yes or no", "/projects/" + w.project + "/duty", url.Values{}, 400,
			[]string{"Select yes if the duty to involve people applies"}, []string{"#applies"}},
		{"duty with nothing else", "/projects/" + w.project + "/duty", url.Values{"applies": {"yes"}}, 400,
			[]string{"Enter the basis of the assessment", "Enter who assessed it", "Enter why"}, []string{"#basis", "#assessed_by", "#rationale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.count("")
			shown := b.open(tt.path)
			a := b.do(http.MethodPost, tt.path, merge(shown, tt.values), nil)
			if a.status != tt.status {
				t.Fatalf("POST %s: status %d, want %d\n%s", tt.path, a.status, tt.status, text(a.body))
			}
			checkAccessible(t, tt.path, a.body)
			says(t, tt.path, a.body, append([]string{"There is a problem"}, tt.want...)...)
			if !strings.Contains(a.body, "<title>Error: ") {
				t.Errorf("the title does not start with Error:")
			}
			summary, _, _ := strings.Cut(a.body[strings.Index(a.body, `nhsuk-error-summary__list`):], "</ul>")
			for i, h := range tt.hrefs {
				if h == "" {
					continue
				}
				link := `<a href="` + h + `">` + tt.want[i]
				if !strings.Contains(strings.ReplaceAll(summary, "&#39;", "'"), link) {
					t.Errorf("the summary has no link %s…; it has:\n%s", link, summary)
				}
				// Beside the field: its error message, with the field's id.
				id := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(h, "#"), "-day"), "-month"), "-year")
				if !strings.Contains(a.body, `id="`+id+`-error"><span class="nhsuk-u-visually-hidden">Error: </span>`+tt.want[i]) &&
					!strings.Contains(strings.ReplaceAll(a.body, "&#39;", "'"), `id="`+id+`-error"><span class="nhsuk-u-visually-hidden">Error: </span>`+tt.want[i]) {
					t.Errorf("no message %q beside the field %s", tt.want[i], id)
				}
				if !strings.Contains(a.body, `id="`+strings.TrimPrefix(h, "#")+`"`) {
					t.Errorf("the summary links to %s, which is not on the page", h)
				}
			}
			// The form keeps its key, so that sending it again once
			// corrected records once.
			if got := hiddenValue(a.body, "idempotency_key"); got != shown.Get("idempotency_key") {
				t.Errorf("the form came back with the key %q, want %q", got, shown.Get("idempotency_key"))
			}
			if after := s.count(""); after != before {
				t.Errorf("%d events recorded on an error", after-before)
			}
		})
	}
}

func hiddenValue(page, name string) string {
	for _, m := range hiddenPattern.FindAllStringSubmatch(page, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}

// TestInviteSomeoneAlreadyInvited invites two people, one of them
// already invited: the other is recorded, the page names who could not
// be, and sending the same form again records nothing twice.
func TestInviteSomeoneAlreadyInvited(t *testing.T) {
	w := recordWorkshop(t)
	s, b := w.s, w.rec
	_, planned, _ := b.record("/engagements/new?project="+w.project, merge(url.Values{
		"project_id": {w.project}, "title": {"Second workshop"}, "method": {"workshop"}, "level": {"consult"},
		"scheduled_time": {"10:00"}}, dateValues("scheduled_for", -7)))
	path := "/engagements/" + planned + "/invite"
	b.record(path, url.Values{"stakeholder_id": {w.alice}, "channel": {"letter"}})
	// Alice is sent as well, as a form shown before she was invited
	// would send her.
	v := merge(b.open(path), url.Values{"channel": {"phone"}})
	v["stakeholder_id"] = []string{w.bob, w.alice}
	a := b.do(http.MethodPost, path, v, nil)
	if a.status != http.StatusConflict {
		t.Fatalf("status %d, want 409\n%s", a.status, text(a.body))
	}
	says(t, "invite twice", a.body, "There is a problem", "Alice: already invited to this engagement")
	saysNot(t, "invite twice", a.body, "Bob:")
	invited := s.count("StakeholderInvited")
	again := b.do(http.MethodPost, path, merge(v, url.Values{"idempotency_key": {hiddenValue(a.body, "idempotency_key")}}), nil)
	if again.status != http.StatusConflict || s.count("StakeholderInvited") != invited {
		t.Errorf("sent again: status %d, %d invitations, want 409 and %d", again.status, s.count("StakeholderInvited"), invited)
	}
	page := b.get("/engagements/" + planned)
	says(t, "the invitations", page.body, "Alice Letter No answer yet", "Bob Phone No answer yet")
}
