package e2e

import (
	"sync"
	"testing"
	"time"
)

// story is a programme with two projects, recorded through the API once
// per run: what the overview and the project pages are checked against.
type story struct {
	Programme string
	// Waiting has elements, decisions, a workshop, feedback with a
	// response, an overdue action and a completed one.
	Waiting project
	// Letters has an element and nothing else yet: no participation.
	Letters project
	// Reception is an element of Waiting, decided co-design.
	Reception string
}

type project struct{ ID, Name string }

var (
	storyOnce sync.Once
	theStory  *story
)

// seeded records the story the first time a test needs it.
func seeded(t *testing.T, h *harness) *story {
	t.Helper()
	storyOnce.Do(func() { theStory = recordStory(t, h.sys) })
	if theStory == nil {
		t.Fatal("recording the story through the API failed in an earlier test")
	}
	return theStory
}

func recordStory(t *testing.T, sys *system) *story {
	t.Helper()
	a := newAPI(t, sys)
	now := time.Now().UTC()
	daysAgo := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	date := func(n int) string { return daysAgo(n).Format(time.DateOnly) }
	at := func(n int) string { return daysAgo(n).Format(time.RFC3339) }

	s := &story{Programme: "Riverside Health Partnership"}
	s.Waiting = project{Name: "Waiting areas"}
	s.Waiting.ID = a.post("/api/v1/projects", map[string]any{
		"programme": s.Programme, "name": s.Waiting.Name, "aim": "A calmer waiting area", "lead": "Sam Patel",
		"occurred_at": at(40),
	})
	s.Reception = a.post("/api/v1/projects/"+s.Waiting.ID+"/elements", map[string]any{"name": "Reception desk", "occurred_at": at(40)})
	seating := a.post("/api/v1/projects/"+s.Waiting.ID+"/elements", map[string]any{"name": "Seating", "occurred_at": at(40)})
	a.post("/api/v1/projects/"+s.Waiting.ID+"/duty", map[string]any{
		"applies": true, "basis": "NHS Act 2006 s242", "assessed_by": "Governance lead",
		"rationale": "Changes how patients are received", "occurred_at": at(39),
	})
	a.post("/api/v1/projects/"+s.Waiting.ID+"/elements/"+s.Reception+"/decisions", map[string]any{
		"level": "co_design", "rationale": "Patients see the desk every day", "decided_by": "Project board",
		"decision_rights": []map[string]string{{"holder": "patients", "right": "choose the layout"}},
		"expectations":    "Two workshops", "occurred_at": at(38),
	})
	a.post("/api/v1/projects/"+s.Waiting.ID+"/elements/"+seating+"/decisions", map[string]any{
		"level": "consult", "rationale": "Fixed by the fire regulations", "decided_by": "Estates",
		"decision_rights": []map[string]string{}, "expectations": "A survey", "occurred_at": at(38),
	})

	// Six people; four come to the workshop.
	people := []struct {
		roles   []string
		lived   bool
		channel string
	}{
		{[]string{"service_user"}, true, "community_organisation"},
		{[]string{"carer"}, true, "word_of_mouth"},
		{[]string{"service_user", "carer"}, true, "service_contact"},
		{[]string{"frontline_staff"}, false, "staff_referral"},
		{[]string{"public"}, false, "advert"},
		{[]string{"service_user"}, true, "social_media"},
	}
	names := []string{"Alex", "Bea", "Chidi", "Dana", "Eli", "Fran"}
	var ids []string
	for i, p := range people {
		ids = append(ids, a.post("/api/v1/stakeholders", map[string]any{
			"name": names[i], "contact": "", "roles": p.roles, "current_experience": p.lived,
			"recruitment_channel": p.channel, "occurred_at": at(35),
		}))
	}
	workshop := a.post("/api/v1/engagements", map[string]any{
		"project_id": s.Waiting.ID, "element_ids": []string{s.Reception}, "title": "Reception workshop",
		"method": "workshop", "level": "co_design", "scheduled_for": at(20), "occurred_at": at(34),
	})
	for _, id := range ids {
		a.post("/api/v1/engagements/"+workshop+"/invitations", map[string]any{"stakeholder_id": id, "channel": "email", "occurred_at": at(33)})
	}
	for _, id := range ids[:5] {
		a.post("/api/v1/engagements/"+workshop+"/answers", map[string]any{"stakeholder_id": id, "accepted": true, "reason": "", "occurred_at": at(30)})
	}
	a.post("/api/v1/engagements/"+workshop+"/held", map[string]any{
		"held_on": date(20), "attendee_ids": ids[:4], "unnamed_attendees": 2,
	})
	noise := a.post("/api/v1/feedback", map[string]any{
		"project_id": s.Waiting.ID, "engagement_id": workshop, "element_id": s.Reception, "stakeholder_id": ids[0],
		"channel": "engagement", "sentiment": "negative", "themes": []string{"noise"},
		"summary": "Too loud to hear your name called", "occurred_at": at(20),
	})
	privacy := a.post("/api/v1/feedback", map[string]any{
		"project_id": s.Waiting.ID, "engagement_id": workshop, "element_id": s.Reception, "stakeholder_id": ids[1],
		"channel": "engagement", "sentiment": "mixed", "themes": []string{"privacy"},
		"summary": "Everyone hears why you came", "occurred_at": at(20),
	})
	a.post("/api/v1/feedback/"+noise+"/response", map[string]any{"influence": "adopted", "reason": "Screens will show names", "occurred_at": at(18)})
	screens := a.post("/api/v1/actions", map[string]any{
		"project_id": s.Waiting.ID, "feedback_ids": []string{noise}, "description": "Add a screen that shows names",
		"owner": "Estates", "due_on": date(5), "occurred_at": at(18),
	})
	_ = screens // left open past its due date: overdue
	desk := a.post("/api/v1/actions", map[string]any{
		"project_id": s.Waiting.ID, "feedback_ids": []string{privacy}, "description": "Move the desk away from the queue",
		"owner": "Facilities", "due_on": date(2), "occurred_at": at(18),
	})
	a.post("/api/v1/actions/"+desk+"/complete", map[string]any{"completed_on": date(10), "outcome": "Desk moved"})
	a.post("/api/v1/actions/"+desk+"/communicate", map[string]any{"audience": "contributors", "channel": "newsletter", "occurred_at": at(8)})

	s.Letters = project{Name: "Discharge letters"}
	s.Letters.ID = a.post("/api/v1/projects", map[string]any{
		"programme": s.Programme, "name": s.Letters.Name, "aim": "Letters people can read", "lead": "Jo Obi",
		"occurred_at": at(15),
	})
	a.post("/api/v1/projects/"+s.Letters.ID+"/elements", map[string]any{"name": "Letter template", "occurred_at": at(15)})
	a.sync()
	return s
}
