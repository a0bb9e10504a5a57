package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// london is the service's time zone: the days typed into the forms are
// its days.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// TestRecordWorkshop is a facilitator recording a whole workshop through
// the forms, on a project of a programme of its own (so that the story's
// figures stay as the other tests expect them): three people registered,
// the workshop planned, invitations, answers, who came (the register and
// a count of others), what people said (named and anonymous), an action
// agreed, done and told, a decision on the level of involvement and the
// assessment of the duty to involve. The project page and the programme's
// overview show different figures afterwards.
func TestRecordWorkshop(t *testing.T) {
	b, _ := signedIn(t)
	h := b.h
	a := newAPI(t, h.sys)

	// Projects and their elements have no form: the API records them.
	const programme = "Northfield Community Services"
	signs := project{Name: "Clinic signposting"}
	signs.ID = a.post("/api/v1/projects", map[string]any{
		"programme": programme, "name": signs.Name, "aim": "Signs people can follow", "lead": "Kim Lee",
	})
	entrance := a.post("/api/v1/projects/"+signs.ID+"/elements", map[string]any{"name": "Entrance signs"})
	a.sync()

	overview := "/?programme=" + url.QueryEscape(programme)
	b.visit("/projects/"+signs.ID, 200)
	projectBefore := b.figures()
	b.visit(overview, 200)
	overviewBefore := b.figures()

	// Three people, registered one after another.
	people := []struct {
		name, contact, role, current, found string
	}{
		{"Ada Okafor", "ada@example.org", "Service user", "Yes", "Community organisation"},
		{"Ben Hughes", "", "Carer", "Yes", "Word of mouth"},
		{"Cleo Martin", "07700 900123", "Frontline staff", "No", "Staff referral"},
	}
	for _, p := range people {
		b.visit("/stakeholders", 200)
		b.open("/stakeholders/new")
		b.fill("name", p.name, "contact", p.contact)
		b.tick("roles", p.role)
		b.tick("current_experience", p.current)
		b.tick("recruitment_channel", p.found)
		b.send()
		b.recorded("The person was registered")
		if got := b.text("main"); !strings.Contains(got, p.name) {
			t.Errorf("the person's page does not show their name %q: %q", p.name, got)
		}
	}

	// The workshop, planned from the project's page of records.
	today := time.Now().In(london)
	held := today.AddDate(0, 0, -7)
	b.visit("/projects/"+signs.ID+"/involvement", 200)
	b.open("/engagements/new?project=" + signs.ID)
	b.fill("title", "Signs walk-through")
	b.tick("element_ids", "Entrance signs")
	b.tick("method", "Workshop")
	b.tick("level", "Co-design")
	b.fillDate("scheduled_for", held)
	b.fill("scheduled_time", "10:30")
	b.send()
	b.recorded("The engagement was planned")
	workshop := strings.TrimPrefix(pathOf(t, b.location()), "/engagements/")
	b.screenshot("engagement-planned")

	b.open("/engagements/" + workshop + "/invite")
	b.tick("stakeholder_id", "Ada Okafor", "Ben Hughes", "Cleo Martin")
	b.tick("channel", "Email")
	b.send()
	b.recorded("The invitations were recorded")

	for _, ans := range []struct{ who, accepted string }{
		{"Ada Okafor", "Yes, they will come"}, {"Ben Hughes", "Yes, they will come"}, {"Cleo Martin", "No, they will not come"},
	} {
		b.open("/engagements/" + workshop + "/answer")
		b.tick("stakeholder_id", ans.who)
		b.tick("accepted", ans.accepted)
		b.send()
		b.recorded("The answer was recorded")
	}

	// Ada and Ben came, and two people who did not give their names.
	b.open("/engagements/" + workshop + "/attendance")
	b.fillDate("held_on", held)
	b.tick("attendee_ids", "Ada Okafor", "Ben Hughes")
	b.fill("unnamed_attendees", "2")
	b.screenshot("attendance-form")
	b.send()
	b.recorded("Who came was recorded")
	b.screenshot("engagement-held")

	// What Ada said, and what someone who gave no name said.
	b.open("/feedback/new?project=" + signs.ID + "&engagement=" + workshop)
	b.chooseText("element_id", "Entrance signs")
	b.chooseText("stakeholder_id", "Ada Okafor")
	b.tick("sentiment", "Negative")
	b.fill("themes", "wayfinding, lighting", "summary", "The signs to the clinic are too small to read")
	b.send()
	b.recorded("The feedback was recorded")
	named := strings.TrimPrefix(pathOf(t, b.location()), "/feedback/")

	b.visit("/engagements/"+workshop, 200)
	b.open("/feedback/new?project=" + signs.ID + "&engagement=" + workshop)
	b.tick("sentiment", "Positive")
	b.fill("summary", "The new colours help")
	b.send()
	b.recorded("The feedback was recorded")

	// The action that answers Ada, done and told.
	b.visit("/engagements/"+workshop, 200)
	b.open("/actions/new?project=" + signs.ID + "&engagement=" + workshop)
	b.fill("description", "Print larger signs for the entrance", "owner", "Estates team")
	b.fillDate("due_on", today.AddDate(0, 0, 14))
	b.tickValue("feedback_ids", named) // Ada's, labelled by its sentiment and day
	b.send()
	b.recorded("The action was agreed")
	action := strings.TrimPrefix(pathOf(t, b.location()), "/actions/")

	b.open("/actions/" + action + "/complete")
	b.fillDate("completed_on", today)
	b.fill("outcome", "Larger signs are up at the entrance")
	b.send()
	b.recorded("The action was recorded as done")

	b.open("/actions/" + action + "/communicate")
	b.tick("audience", "The people who gave the feedback")
	b.tick("channel", "Email")
	b.send()
	b.recorded("Telling people the outcome was recorded")

	// How far people are involved in the entrance signs, and the duty.
	b.visit("/projects/"+signs.ID+"/involvement", 200)
	b.open("/projects/" + signs.ID + "/elements/" + entrance + "/decide")
	b.tick("level", "Co-design")
	b.fill("rationale", "People who use the clinic know where they get lost", "decided_by", "Signage group",
		"right_1_holder", "Patients on the panel", "right_1_right", "choose the wording",
		"expectations", "Two walk-throughs")
	b.send()
	b.recorded("The involvement decision was recorded")

	b.open("/projects/" + signs.ID + "/duty")
	b.tick("applies", "Yes")
	b.fill("basis", "NHS Act 2006 s242", "assessed_by", "Governance lead", "rationale", "Changes how patients find the clinic")
	b.send()
	a.position = max(a.position, b.recorded("The assessment of the duty to involve was recorded"))
	if got := b.text("main"); !strings.Contains(got, "Signage group") || !strings.Contains(got, "Governance lead") {
		t.Errorf("the project's involvement page does not show the decision and the duty: %q", got)
	}
	b.screenshot("involvement")

	// The reports reflect all of it; the figures changed.
	a.sync()
	b.visit("/projects/"+signs.ID, 200)
	projectAfter := b.figures()
	b.screenshot("workshop-project")
	b.visit(overview, 200)
	overviewAfter := b.figures()
	b.screenshot("workshop-overview")

	for _, c := range []struct {
		page          string
		before, after map[string]string
		want          map[string][2]string
	}{
		{"the project page", projectBefore, projectAfter, map[string][2]string{
			"participants": {"0", "2"}, "unnamed_attendees": {"0", "2"}, "anonymous_feedback": {"0", "1"},
			"new_voices": {"0", "2 (100%)"}, "lived_experience_share": {"none", "100%"},
			"completion_rate": {"none", "100%"}, "on_time_rate": {"none", "100%"},
			// Ada was told what came of what she said; the anonymous
			// feedback has nobody to tell.
			"loop_closed_rate": {"none", "50%"},
		}},
		{"the programme's overview", overviewBefore, overviewAfter, map[string][2]string{
			"participants": {"0", "2"}, "new_voices": {"0", "2 (100%)"}, "loop_closed_rate": {"none", "50%"},
		}},
	} {
		for id, w := range c.want {
			if c.before[id] != w[0] || c.after[id] != w[1] {
				t.Errorf("%s: %s went from %q to %q, want %q to %q", c.page, id, c.before[id], c.after[id], w[0], w[1])
			}
		}
		t.Logf("%s: before %v, after %v", c.page, c.before, c.after)
	}
}

// pathOf is the path of an address, without its query.
func pathOf(t *testing.T, addr string) string {
	t.Helper()
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}
