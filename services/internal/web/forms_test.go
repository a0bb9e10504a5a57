package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
)

// says fails the test unless the page's text holds every one of want.
func says(t *testing.T, what string, page string, want ...string) {
	t.Helper()
	body := text(page)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: the page does not say %q; it says:\n%s", what, w, body)
		}
	}
}

func saysNot(t *testing.T, what string, page string, not ...string) {
	t.Helper()
	body := text(page)
	for _, n := range not {
		if strings.Contains(body, n) {
			t.Errorf("%s: the page says %q", what, n)
		}
	}
}

func hasMarkup(t *testing.T, what string, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s: the markup has no %s", what, w)
		}
	}
}

// workshop is what TestRecordingAWorkshop recorded, for the tests that
// go on from it.
type workshop struct {
	s                    *stack
	rec                  *browser
	project              string
	elements             []string
	alice, bob, cat      string
	engagement, feedback string
	action               string
}

// recordWorkshop records a workshop from start to finish through the
// forms, as a recorder at a browser, checking each page it leads to.
func recordWorkshop(t *testing.T) workshop {
	s := newStack(t)
	w := workshop{s: s, rec: s.signIn("recorder")}
	w.project, w.elements = s.seedProject("South Tyneside", "Waiting areas", "Reception desk", "Seating")
	b := w.rec

	register := func(name string, roles []string, current, channel string) string {
		t.Helper()
		_, id, page := b.record("/stakeholders/new", url.Values{"name": {name}, "contact": {strings.ToLower(name) + "@example.org"},
			"roles": roles, "current_experience": {current}, "recruitment_channel": {channel}})
		says(t, "the person registered", page.body, "The person was registered", name, strings.ToLower(name)+"@example.org")
		return id
	}
	w.alice = register("Alice", []string{"service_user"}, "yes", "community_organisation")
	w.bob = register("Bob", []string{"frontline_staff", "carer"}, "no", "staff_referral")
	w.cat = register("Cat", []string{"public"}, "no", "word_of_mouth")

	_, w.engagement, _ = b.record("/engagements/new?project="+w.project, merge(url.Values{
		"project_id": {w.project}, "title": {"Waiting room workshop"}, "element_ids": {w.elements[0]},
		"method": {"workshop"}, "level": {"co_design"}, "scheduled_time": {"14:30"}}, dateValues("scheduled_for", 3)))
	eng := "/engagements/" + w.engagement
	page := b.get(eng)
	says(t, "the engagement planned", page.body, "Waiting room workshop", "Co-design", "Workshop", "Reception desk", "Planned", "Nobody has been invited yet.")

	_, _, page = b.record(eng+"/invite", url.Values{"stakeholder_id": {w.alice, w.bob, w.cat}, "channel": {"email"}})
	says(t, "the invitations", page.body, "The invitations were recorded", "Alice Email No answer yet", "Bob Email No answer yet", "Cat Email No answer yet")

	_, _, page = b.record(eng+"/answer", url.Values{"stakeholder_id": {w.alice}, "accepted": {"yes"}, "reason": {"I use it every week"}})
	says(t, "an answer", page.body, "The answer was recorded", "Alice Email Accepted")
	_, _, page = b.record(eng+"/answer", url.Values{"stakeholder_id": {w.bob}, "accepted": {"no"}})
	says(t, "an answer", page.body, "Bob Email Declined")

	_, _, page = b.record(eng+"/attendance", merge(url.Values{"attendee_ids": {w.alice, w.cat}, "unnamed_attendees": {"4"}}, dateValues("held_on", 1)))
	says(t, "who came", page.body, "Who came was recorded", "People who came 2 named, 4 not named", "Alice Email Accepted Yes", "Bob Email Declined No", "Cat Email No answer yet Yes")

	_, w.feedback, page = b.record("/feedback/new?project="+w.project+"&engagement="+w.engagement, url.Values{
		"engagement_id": {w.engagement}, "element_id": {w.elements[0]}, "stakeholder_id": {w.alice}, "channel": {"engagement"},
		"sentiment": {"negative"}, "themes": {"waiting times, signs"}, "summary": {"The wait is too long and the signs confuse me"}})
	says(t, "the feedback", page.body, "The feedback was recorded", "Who said it Alice", "Waiting room workshop", "Reception desk",
		"Sentiment Negative", "Themes waiting times, signs", "No response has been recorded yet.")
	saysNot(t, "the feedback", page.body, "The wait is too long")
	_, _, page = b.record("/feedback/new?project="+w.project, url.Values{"channel": {"online"}, "sentiment": {"positive"}, "summary": {"Lovely new chairs"}})
	says(t, "anonymous feedback", page.body, "Who said it Not named (anonymous, or the wider audience)", "How it was given Online")

	_, w.action, page = b.record("/actions/new?project="+w.project+"&feedback="+w.feedback, merge(url.Values{
		"description": {"Put up clearer signs"}, "owner": {"Estates team"}, "feedback_ids": {w.feedback}}, dateValues("due_on", -10)))
	says(t, "the action", page.body, "The action was agreed", "Put up clearer signs", "Owner Estates team", "Open", "Feedback it answers")
	act := "/actions/" + w.action
	_, _, page = b.record(act+"/reschedule", merge(url.Values{"reason": {"The printer is late"}}, dateValues("due_on", -20)))
	says(t, "rescheduled", page.body, "The new due date was recorded", "Changes to the due date")
	_, _, page = b.record(act+"/complete", merge(url.Values{"outcome": {"New signs at the entrance"}}, dateValues("completed_on", 0)))
	says(t, "done", page.body, "The action was recorded as done", "Outcome New signs at the entrance", "Done")
	_, _, page = b.record(act+"/communicate", url.Values{"audience": {"contributors"}, "channel": {"email"}})
	says(t, "communicated", page.body, "Telling people the outcome was recorded", "Done, outcome shared", "People told the outcome on")

	_, other, _ := b.record("/actions/new?project="+w.project, merge(url.Values{"description": {"Move the seating"}, "owner": {"Sam"}}, dateValues("due_on", -5)))
	_, _, page = b.record("/actions/"+other+"/drop", url.Values{"reason": {"The room is being rebuilt"}})
	says(t, "dropped", page.body, "The action was recorded as dropped", "Dropped")

	_, _, page = b.record("/projects/"+w.project+"/elements/"+w.elements[0]+"/decide", url.Values{
		"level": {"co_design"}, "rationale": {"Patients use the desk every day"}, "decided_by": {"Project board"},
		"right_2_holder": {"Patients on the panel"}, "right_2_right": {"Choose the layout"}, "expectations": {"Two workshops"}})
	says(t, "the decision", page.body, "The involvement decision was recorded", "Reception desk Level of involvement Co-design",
		"Decided by Project board", "Decisions so far 1 decision")
	_, _, page = b.record("/projects/"+w.project+"/duty", url.Values{"applies": {"yes"}, "basis": {"NHS Act 2006 s242"},
		"assessed_by": {"Governance lead"}, "rationale": {"The change affects how patients are seen"}})
	says(t, "the duty", page.body, "The assessment of the duty to involve was recorded", "Does the duty apply? Yes", "On what basis NHS Act 2006 s242")
	return w
}

func TestRecordingAWorkshop(t *testing.T) {
	w := recordWorkshop(t)
	s := w.s
	for typ, want := range map[string]int{
		stakeholder.TypeRegistered: 3, engagement.TypePlanned: 1, engagement.TypeStakeholderInvited: 3,
		engagement.TypeInvitationAnswered: 2, engagement.TypeHeld: 1, feedback.TypeGiven: 2, action.TypeAgreed: 2,
		action.TypeRescheduled: 1, action.TypeCompleted: 1, action.TypeOutcomeCommunicated: 1, action.TypeDropped: 1,
		project.TypeInvolvementDecided: 1, project.TypeDutyAssessed: 1,
	} {
		if got := s.count(typ); got != want {
			t.Errorf("%d %s events recorded, want %d", got, typ, want)
		}
	}
	// Who acted is who signed in.
	for e, err := range s.store.ReadAll(t.Context(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != project.TypeRegistered && e.Type != project.TypeElementAdded && !strings.HasPrefix(e.Actor, "user:") {
			t.Errorf("%s recorded by %q, want the signed-in user", e.Type, e.Actor)
		}
	}
}

// TestDoubleSubmitRecordsOnce sends each form twice with the same
// Idempotency-Key, one after the other and at the same time: both are
// sent on to what was recorded, and it is recorded once.
func TestDoubleSubmitRecordsOnce(t *testing.T) {
	s := newStack(t)
	b := s.signIn("recorder")
	proj, _ := s.seedProject("North", "Letters")
	tests := []struct {
		name, path string
		values     url.Values
		typ        string
	}{
		{"register", "/stakeholders/new", url.Values{"name": {"Dee"}, "roles": {"carer"}, "current_experience": {"yes"}, "recruitment_channel": {"advert"}}, stakeholder.TypeRegistered},
		{"agree", "/actions/new?project=" + proj, merge(url.Values{"description": {"Plain words"}, "owner": {"Comms"}}, dateValues("due_on", -3)), action.TypeAgreed},
		{"duty", "/projects/" + proj + "/duty", url.Values{"applies": {"no"}, "basis": {"No change to services"}, "assessed_by": {"Lead"}, "rationale": {"Wording only"}}, project.TypeDutyAssessed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := merge(b.open(tt.path), tt.values)
			first := b.do(http.MethodPost, tt.path, v, nil)
			second := b.do(http.MethodPost, tt.path, v, nil)
			var wg sync.WaitGroup
			var third, fourth answer
			wg.Add(2)
			go func() { defer wg.Done(); third = b.do(http.MethodPost, tt.path, v, nil) }()
			go func() { defer wg.Done(); fourth = b.do(http.MethodPost, tt.path, v, nil) }()
			wg.Wait()
			for i, a := range []answer{first, second, third, fourth} {
				if a.status != http.StatusSeeOther || a.location() != first.location() {
					t.Errorf("submission %d: status %d to %q, want 303 to %q\n%s", i+1, a.status, a.location(), first.location(), text(a.body))
				}
			}
			if got := s.count(tt.typ); got != 1 {
				t.Errorf("%d %s events, want 1", got, tt.typ)
			}
		})
	}
	// A form shown again is a new form: sent, it records again.
	path := "/projects/" + proj + "/duty"
	a := b.do(http.MethodPost, path, merge(b.open(path), tests[2].values), nil)
	if a.status != http.StatusSeeOther || s.count(project.TypeDutyAssessed) != 2 {
		t.Errorf("a new form: status %d, %d assessments, want 303 and 2", a.status, s.count(project.TypeDutyAssessed))
	}
}
