package app_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReportsEndToEnd posts a small programme through the API, as a
// programme office would, and reads every report back, checking figures
// counted by hand:
//
// Ann (service user), Ben (carer, frontline staff) and Eve (public) are
// registered. Ann and Ben are invited to a co-design workshop on the
// element "Reception desk"; Ann accepts. It is held on 5 March 2026 with
// Ann, Eve and two people who gave no name. On 6 March Ann gives feedback
// on the desk (f1) and somebody gives feedback anonymously (f2); two
// actions are agreed: a1 from f1 due 20 March, a2 from f2 due 10 March.
// On 7 March the board decides the desk is co-design. a1 is completed on
// 15 March and its outcome fed back on 16 March; a2 is still open.
func TestReportsEndToEnd(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	back := func(day int) string { return time.Date(2026, 3, day, 12, 0, 0, 0, time.UTC).Format(time.RFC3339) }
	project := a.post("/api/v1/projects", map[string]any{"programme": "North", "name": "Reception", "aim": "Welcome", "lead": "Sam", "occurred_at": back(1)}).id(t)
	element := a.post("/api/v1/projects/"+project+"/elements", map[string]any{"name": "Reception desk", "occurred_at": back(1)}).id(t)
	person := func(name string, roles ...string) string {
		return a.post("/api/v1/stakeholders", map[string]any{"name": name, "roles": roles, "recruitment_channel": "advert", "occurred_at": back(1)}).id(t)
	}
	ann, ben, eve := person("Ann", "service_user"), person("Ben", "carer", "frontline_staff"), person("Eve", "public")
	w := a.post("/api/v1/engagements", map[string]any{"project_id": project, "element_ids": []string{element}, "title": "Desk workshop",
		"method": "workshop", "level": "co_design", "scheduled_for": back(5), "occurred_at": back(2)}).id(t)
	a.post("/api/v1/engagements/"+w+"/invitations", map[string]any{"stakeholder_id": ann, "channel": "email", "occurred_at": back(2)}).id(t)
	a.post("/api/v1/engagements/"+w+"/invitations", map[string]any{"stakeholder_id": ben, "channel": "letter", "occurred_at": back(2)}).id(t)
	a.post("/api/v1/engagements/"+w+"/answers", map[string]any{"stakeholder_id": ann, "accepted": true, "reason": "", "occurred_at": back(3)}).id(t)
	a.post("/api/v1/engagements/"+w+"/held", map[string]any{"held_on": "2026-03-05", "attendee_ids": []string{ann, eve}, "unnamed_attendees": 2}).id(t)
	f1 := a.post("/api/v1/feedback", map[string]any{"project_id": project, "engagement_id": w, "element_id": element, "stakeholder_id": ann,
		"channel": "engagement", "sentiment": "negative", "themes": []string{"noise"}, "summary": "Too loud", "occurred_at": back(6)}).id(t)
	f2 := a.post("/api/v1/feedback", map[string]any{"project_id": project, "channel": "online", "sentiment": "neutral", "themes": []string{},
		"summary": "Signs unclear", "occurred_at": back(6)}).id(t)
	a1 := a.post("/api/v1/actions", map[string]any{"project_id": project, "feedback_ids": []string{f1}, "description": "Quiet zone", "owner": "Estates", "due_on": "2026-03-20", "occurred_at": back(6)}).id(t)
	a.post("/api/v1/actions", map[string]any{"project_id": project, "feedback_ids": []string{f2}, "description": "New signs", "owner": "Estates", "due_on": "2026-03-10", "occurred_at": back(6)}).id(t)
	a.post("/api/v1/projects/"+project+"/elements/"+element+"/decisions", map[string]any{"level": "co_design", "rationale": "Patients see it daily",
		"decided_by": "Board", "decision_rights": []map[string]string{{"holder": "patients", "right": "layout"}}, "occurred_at": back(7)}).id(t)
	asOfDecision := time.Now().UTC().Format(time.RFC3339Nano)
	a.post("/api/v1/actions/"+a1+"/complete", map[string]any{"completed_on": "2026-03-15", "outcome": "Zone set up"}).id(t)
	last := a.post("/api/v1/actions/"+a1+"/communicate", map[string]any{"audience": "contributors", "channel": "newsletter", "occurred_at": back(16)})
	position := strconv.FormatFloat(last.json(t)["position"].(float64), 'f', 0, 64)

	get := func(report string, params ...string) map[string]any {
		t.Helper()
		v := url.Values{"project": {project}, "min_position": {position}}
		for i := 0; i+1 < len(params); i += 2 {
			v.Set(params[i], params[i+1])
		}
		r := a.get("/api/v1/reports/" + report + "?" + v.Encode())
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d: %s", report, r.status, r.body)
		}
		return r.json(t)
	}
	check := func(report string, got map[string]any, want map[string]any) {
		t.Helper()
		for k, w := range want {
			if g := got[k]; !equalJSON(g, w) {
				t.Errorf("%s.%s = %v, want %v", report, k, g, w)
			}
		}
	}

	p := get("participation")
	check("participation", p, map[string]any{
		"participants": 2.0, "invited": 2.0, "accepted": 1.0, "attended_of_invited": 1.0, "unnamed_attendees": 2.0,
		"anonymous_feedback": 1.0, "new_voices": 2.0, "new_voice_share": 1.0,
		"effective_voices": 9.0 / 5, "top_decile_share": 2.0 / 3, "lived_experience_share": 0.5,
		"missing_roles":                  []any{"carer", "frontline_staff", "manager", "commissioner", "partner"},
		"missing_lived_experience_roles": []any{"carer"}, "position": mustFloat(position),
	})
	check("participation.by_role", p["by_role"].(map[string]any), map[string]any{"service_user": 1.0, "public": 1.0, "carer": 0.0})
	check("participation.coverage.co_design", p["coverage"].(map[string]any)["co_design"].(map[string]any), map[string]any{"service_user": 1.0, "public": 1.0})

	ft := get("follow-through", "as_of", time.Now().UTC().Format(time.RFC3339Nano))
	check("follow-through", ft, map[string]any{
		"agreed": 2.0, "completed": 1.0, "completed_on_time": 1.0, "rescheduled": 0.0, "dropped": 0.0, "open": 1.0, "overdue": 1.0,
		"completion_rate": 0.5, "on_time_rate": 1.0, "median_days_to_complete": 9.0, "p90_days_to_complete": 9.0,
		"feedback": 2.0, "feedback_with_action": 2.0, "loop_closed": 1.0, "loop_closed_rate": 0.5,
		"action_rate": 1.0, "responded": 0.0, "response_rate": 0.0, // neither was answered with a recorded response
		"median_days_feedback_to_outcome": 10.0,
	})

	d := get("decisions")
	el := d["elements"].([]any)[0].(map[string]any)
	check("decisions.element", el, map[string]any{"element_id": element, "name": "Reception desk", "level": "co_design", "tokenism": false})
	dec := el["decisions"].([]any)[0].(map[string]any)
	check("decisions.decision", dec, map[string]any{"level": "co_design", "decided_by": "Board", "occurred_at": back(7)})
	ev := dec["evidence"].(map[string]any)
	check("decisions.evidence", ev, map[string]any{"participants": 2.0, "feedback": 1.0})

	pr := get("programme", "project", "", "programme", "North")
	row := pr["projects"].([]any)[0].(map[string]any)
	check("programme.row", row, map[string]any{"project_id": project, "participants": 2.0, "overdue": 1.0, "loop_closed_rate": 0.5, "tokenism_elements": 0.0})

	// CSV: a header, then one row per figure, dates in ISO 8601.
	r := a.get("/api/v1/reports/follow-through?format=csv&as_of=" + url.QueryEscape(asOfDecision) + "&project=" + project)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV = %d %s", r.status, r.header.Get("Content-Type"))
	}
	// It starts with a byte-order mark, so that Excel reads it as UTF-8.
	body, ok := bytes.CutPrefix(r.body, []byte("\ufeff"))
	if !ok {
		t.Errorf("CSV does not start with a UTF-8 byte-order mark: %q", r.body[:min(len(r.body), 8)])
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	figures := map[string]string{}
	for _, row := range rows[1:] {
		figures[row[0]] = row[1]
	}
	if rows[0][0] != "figure" || figures["agreed"] != "2" || figures["completed"] != "0" || figures["completion_rate"] != "0.0000" || figures["on_time_rate"] != "" {
		t.Errorf("CSV as of the decision = %v, want 2 agreed, none completed, on_time_rate empty (null)", figures)
	}
	if _, err := time.Parse(time.RFC3339Nano, figures["as_of"]); err != nil {
		t.Errorf("CSV as_of %q is not ISO 8601: %v", figures["as_of"], err)
	}
}

// An as-of report is the report as it was: the same bytes before and after
// later events.
func TestAsOfReportDoesNotChangeLater(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	head := a.post("/api/v1/projects/"+w.project+"/duty", `{"applies":true,"basis":"s242","assessed_by":"a","rationale":"r"}`).json(t)["position"]
	moment := time.Now().UTC().Format(time.RFC3339Nano)
	path := "/api/v1/reports/participation?as_of=" + url.QueryEscape(moment) + "&min_position=" + strconv.FormatFloat(head.(float64), 'f', 0, 64)
	before := a.get(path)
	a.post("/api/v1/engagements/"+w.engagement+"/held", map[string]any{"held_on": "2026-03-01", "attendee_ids": []string{w.alice, w.bob}, "unnamed_attendees": 0}).id(t)
	after := a.get(path)
	if before.status != 200 || string(before.body) != string(after.body) {
		t.Errorf("as-of report changed after later events:\n%s\n%s", before.body, after.body)
	}
	now := a.get("/api/v1/reports/participation?min_position=" + strconv.FormatFloat(head.(float64)+1, 'f', 0, 64)).json(t)
	if now["participants"] != 2.0 {
		t.Errorf("live report participants = %v, want 2 after the engagement was held", now["participants"])
	}
}

func TestReportErrors(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	for _, tt := range []struct {
		query  string
		status int
		detail string
	}{
		{"/api/v1/reports/breadth", 404, "no report"},
		{"/api/v1/reports/participation?project=01a20000-0000-7000-8000-000000000000", 404, "no project"},
		{"/api/v1/reports/participation?project=" + w.project + "&programme=North", 400, "not both"},
		{"/api/v1/reports/participation?from=2026-04-01&to=2026-03-01", 400, "must be before"},
		{"/api/v1/reports/participation?as_of=2999-01-01", 400, "in the future"},
		{"/api/v1/reports/participation?as_of=yesterday", 400, "as_of"},
		{"/api/v1/reports/participation?format=xlsx", 400, "format"},
		{"/api/v1/reports/participation?colour=red", 400, "unknown parameter"},
		{"/api/v1/reports/participation?min_position=abc", 400, "min_position"},
		{"/api/v1/reports/participation?from=2026-12-01T00:00", 400, "from must be a date like 2026-03-31 or an RFC 3339 time"},
		{"/api/v1/reports/participation?programme=Nowhere", 404, "no programme"},
	} {
		r := a.get(tt.query)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.detail) || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s = %d %s, want %d problem mentioning %q", tt.query, r.status, r.body, tt.status, tt.detail)
		}
		if tt.status == 400 && !strings.Contains(string(r.body), `"errors":[{"field":`) {
			t.Errorf("GET %s = %s, want an errors list", tt.query, r.body)
		}
	}
}

func equalJSON(got, want any) bool {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equalJSON(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return got == want
}

func mustFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return f
}

// TestRepresentativenessOpensDeclaredAnswers: in one process the
// representativeness report reads what people declared (sealed under
// their keys), and an erasure shuts their answers for good.
func TestRepresentativenessOpensDeclaredAnswers(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a) // Alice gave named feedback: she took part
	a.post("/api/v1/stakeholders/"+w.alice+"/demographics", map[string]any{"deprivation_decile": "1", "age_band": "25_34"}).id(t)
	decile := func(pos float64) int {
		t.Helper()
		r := a.get(fmt.Sprintf("/api/v1/reports/representativeness?min_position=%.0f", pos))
		if r.status != http.StatusOK {
			t.Fatalf("representativeness = %d: %s", r.status, r.body)
		}
		var doc struct {
			Core20 struct {
				Participants int `json:"participants"`
			} `json:"core20"`
		}
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Core20.Participants
	}
	pos := a.post("/api/v1/stakeholders/"+w.bob+"/roles", map[string]any{"roles": []string{"carer"}}).json(t)["position"].(float64)
	if n := decile(pos); n != 1 {
		t.Errorf("participants from the most deprived fifth = %d, want 1 (Alice declared decile 1)", n)
	}
	pos = a.post("/api/v1/stakeholders/"+w.alice+"/erase", map[string]any{"reason": "Asked to be forgotten"}).json(t)["position"].(float64)
	if n := decile(pos); n != 0 {
		t.Errorf("after Alice's erasure = %d, want 0: her answers can no longer be read", n)
	}
}
