package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/gateway"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/openapi/openapitest"
)

// api drives a running stack through its HTTP API, as a client would.
type api struct {
	t    *testing.T
	base string
	// authorization is sent with every request: a token's.
	authorization string
	// client checks every exchange against the OpenAPI document.
	client *http.Client
}

// as returns the same client acting with the token secret.
func (a *api) as(secret string) *api {
	c := *a
	c.authorization = "Bearer " + secret
	return &c
}

// token issues a token of role on st and returns its identity and a
// client acting with it.
func (a *api) token(st *app.App, role auth.Role, name string) (string, *api) {
	a.t.Helper()
	id, secret, err := st.IssueToken(context.Background(), role, name)
	if err != nil {
		a.t.Fatal(err)
	}
	return id, a.as(secret)
}

func startStack(t *testing.T, dir string) (*app.App, *api) {
	t.Helper()
	st, err := app.Start(context.Background(), app.Config{Parts: app.AllParts(),
		DataDir:  dir,
		HTTPAddr: "127.0.0.1:0",
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		KEK:      testKEK(t),
		// The tests read the audit log after nearly every step.
		HeavyReads: gateway.HeavyReads{Every: time.Millisecond, Burst: 1000},
	})
	if err != nil {
		t.Fatalf("app.Start: %v", err)
	}
	t.Cleanup(func() { shutdown(t, st) })
	// The tests act as an administrator, who may do everything.
	_, a := (&api{t: t, base: st.URL(), client: openapitest.Client(t)}).token(st, auth.Admin, "tests")
	return st, a
}

func shutdown(t *testing.T, st *app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

type response struct {
	status  int
	header  http.Header
	trailer http.Header
	body    []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %s", r.status, r.body)
	}
	return m
}

// id returns the "id" of a successful command's answer.
func (r response) id(t *testing.T) string {
	t.Helper()
	if r.status != http.StatusOK && r.status != http.StatusCreated {
		t.Fatalf("command answered %d: %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	if id == "" {
		t.Fatalf("command answer has no id: %s", r.body)
	}
	return id
}

func (a *api) do(method, path string, body []byte, headers ...string) response {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.authorization != "" {
		req.Header.Set("Authorization", a.authorization)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, trailer: res.Trailer, body: b}
}

// post sends body (a string of JSON, or a value to encode).
func (a *api) post(path string, body any, headers ...string) response {
	a.t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			a.t.Fatal(err)
		}
	}
	return a.do(http.MethodPost, path, b, headers...)
}

func (a *api) get(path string) response {
	a.t.Helper()
	return a.do(http.MethodGet, path, nil)
}

// events reads the whole audit log.
func (a *api) events() []events.Envelope {
	a.t.Helper()
	var out []events.Envelope
	after := "0"
	for {
		r := a.get("/api/v1/events?limit=1000&after=" + after)
		if r.status != http.StatusOK {
			a.t.Fatalf("GET /api/v1/events = %d: %s", r.status, r.body)
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e events.Envelope
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				a.t.Fatalf("audit log line %q: %v", sc.Text(), err)
			}
			out = append(out, e)
			n++
		}
		if n == 0 {
			return out
		}
		if after = r.trailer.Get("Next-After"); after == "" {
			a.t.Fatalf("audit log page after %s has no Next-After trailer: cut short", after)
		}
	}
}

// world is a small programme recorded through the API, for tests to act on.
type world struct {
	project, element, alice, bob, engagement, feedback, action string
}

func seed(t *testing.T, a *api) world {
	t.Helper()
	var w world
	w.project = a.post("/api/v1/projects", map[string]any{
		"programme": "South Tyneside", "name": "Waiting areas", "aim": "A calmer waiting area", "lead": "Sarah Keetley",
	}).id(t)
	w.element = a.post("/api/v1/projects/"+w.project+"/elements", map[string]any{"name": "Reception desk"}).id(t)
	w.alice = a.post("/api/v1/stakeholders", map[string]any{
		"name": "Alice", "contact": "alice@example.org", "roles": []string{"service_user"},
		"current_experience": true, "recruitment_channel": "community_organisation",
	}).id(t)
	w.bob = a.post("/api/v1/stakeholders", map[string]any{
		"name": "Bob", "contact": "", "roles": []string{"frontline_staff", "carer"},
		"current_experience": false, "recruitment_channel": "staff_referral",
	}).id(t)
	w.engagement = a.post("/api/v1/engagements", map[string]any{
		"project_id": w.project, "element_ids": []string{w.element}, "title": "Reception workshop",
		"method": "workshop", "level": "co_design", "scheduled_for": "2026-03-01T10:00:00Z",
	}).id(t)
	a.post("/api/v1/engagements/"+w.engagement+"/invitations", map[string]any{"stakeholder_id": w.alice, "channel": "email"}).id(t)
	w.feedback = a.post("/api/v1/feedback", map[string]any{
		"project_id": w.project, "engagement_id": w.engagement, "element_id": w.element, "stakeholder_id": w.alice,
		"channel": "engagement", "sentiment": "negative", "themes": []string{"noise"}, "summary": "Too loud to hear your name called",
	}).id(t)
	w.action = a.post("/api/v1/actions", map[string]any{
		"project_id": w.project, "feedback_ids": []string{w.feedback}, "description": "Add a screen that shows names",
		"owner": "Estates", "due_on": "2026-06-30",
	}).id(t)
	return w
}

func TestEveryEventTypeThroughTheAPI(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	steps := []struct{ path, body string }{
		{"/api/v1/projects/" + w.project + "/duty", `{"applies":true,"basis":"NHS Act 2006 s242","assessed_by":"Governance lead","rationale":"Changes how patients are received"}`},
		{"/api/v1/projects/" + w.project + "/elements/" + w.element + "/decisions", `{"level":"co_design","rationale":"Patients see the desk every day","decided_by":"Project board","decision_rights":[{"holder":"patients","right":"choose the layout"}],"expectations":"Two workshops"}`},
		{"/api/v1/stakeholders/" + w.alice + "/roles", `{"roles":["service_user","carer"]}`},
		{"/api/v1/stakeholders/" + w.alice + "/demographics", `{"age_band":"35_44","ethnicity":"prefer_not_to_say","disability":"no","deprivation_decile":"2"}`},
		{"/api/v1/stakeholders/" + w.alice + "/support-needs", `{"need":"travel","note":"bus fare"}`},
		{"/api/v1/stakeholders/" + w.alice + "/consent", `{"scope":"quotes"}`},
		{"/api/v1/stakeholders/" + w.alice + "/consent-withdrawals", `{"scope":"quotes"}`},
		{"/api/v1/engagements/" + w.engagement + "/answers", `{"stakeholder_id":"` + w.alice + `","accepted":true,"reason":""}`},
		{"/api/v1/engagements/" + w.engagement + "/held", `{"held_on":"2026-03-01","attendee_ids":["` + w.alice + `","` + w.bob + `"],"unnamed_attendees":3}`},
		{"/api/v1/engagements/" + w.engagement + "/support", `{"stakeholder_id":"` + w.alice + `","kind":"travel","amount_pence":450}`},
		{"/api/v1/feedback/" + w.feedback + "/response", `{"influence":"adopted","reason":"Screens are being fitted"}`},
		{"/api/v1/actions/" + w.action + "/reassign", `{"owner":"Facilities"}`},
		{"/api/v1/actions/" + w.action + "/reschedule", `{"due_on":"` + time.Now().UTC().AddDate(0, 2, 0).Format(time.DateOnly) + `","reason":"Supplier delay"}`},
		{"/api/v1/actions/" + w.action + "/complete", `{"completed_on":"` + time.Now().UTC().Format(time.DateOnly) + `","outcome":"Screens fitted"}`},
		{"/api/v1/actions/" + w.action + "/communicate", `{"audience":"contributors","channel":"newsletter"}`},
		{"/api/v1/projects/" + w.project + "/close", `{"summary":"Done"}`},
	}
	for _, s := range steps {
		if r := a.post(s.path, s.body); r.status != http.StatusOK && r.status != http.StatusCreated {
			t.Fatalf("POST %s = %d: %s", s.path, r.status, r.body)
		}
	}
	// The engagement and feedback that end the other lifecycles.
	e2 := a.post("/api/v1/engagements", `{"project_id":"`+w.project+`","element_ids":[],"title":"x","method":"survey","level":"consult","scheduled_for":"2026-04-01T10:00:00Z"}`)
	if e2.status != http.StatusConflict {
		t.Errorf("planning on a closed project = %d, want 409: %s", e2.status, e2.body)
	}
	f2 := a.post("/api/v1/feedback", map[string]any{"project_id": w.project, "channel": "online", "sentiment": "positive", "themes": []string{}, "summary": "Anonymous thanks"}).id(t)
	a.post("/api/v1/feedback/"+f2+"/retract", `{"reason":"Posted twice"}`).id(t)
	a2 := a.post("/api/v1/actions", map[string]any{"project_id": w.project, "feedback_ids": []string{}, "description": "Repaint", "owner": "Estates", "due_on": "2026-05-01"}).id(t)
	a.post("/api/v1/actions/"+a2+"/drop", `{"reason":"No budget"}`).id(t)
	a.post("/api/v1/stakeholders/"+w.bob+"/erase", `{"reason":"Asked to be forgotten"}`).id(t)

	seen := map[string]bool{}
	for _, e := range a.events() {
		seen[e.Type] = true
	}
	// EngagementCancelled is exercised in TestRules.
	want := []string{
		"ProjectRegistered", "ProjectElementAdded", "InvolvementDutyAssessed", "InvolvementDecided", "ProjectClosed",
		"StakeholderRegistered", "StakeholderRolesChanged", "DemographicsDeclared", "SupportNeedRecorded", "ConsentRecorded", "ConsentWithdrawn", "StakeholderErased",
		"EngagementPlanned", "StakeholderInvited", "InvitationAnswered", "EngagementHeld", "SupportProvided",
		"FeedbackGiven", "FeedbackResponded", "FeedbackRetracted",
		"ActionAgreed", "ActionReassigned", "ActionRescheduled", "ActionCompleted", "ActionDropped", "OutcomeCommunicated",
	}
	for _, typ := range want {
		if !seen[typ] {
			t.Errorf("no %s in the audit log", typ)
		}
	}
}

// TestRules checks each rule users expect, through the API: the status and
// that nothing was appended on any error.
func TestRules(t *testing.T) {
	st, a := startStack(t, t.TempDir())
	w := seed(t, a)
	unknown := "01a20000-0000-7000-8000-000000000000"
	future := time.Now().UTC().Add(72 * time.Hour)
	cancelled := a.post("/api/v1/engagements", map[string]any{
		"project_id": w.project, "element_ids": []string{}, "title": "Evening session", "method": "focus_group",
		"level": "consult", "scheduled_for": "2026-03-05T18:00:00Z",
	}).id(t)
	a.post("/api/v1/engagements/"+cancelled+"/cancel", `{"reason":"Room unavailable"}`).id(t)
	held := a.post("/api/v1/engagements", map[string]any{
		"project_id": w.project, "element_ids": []string{w.element}, "title": "Drop-in", "method": "meeting",
		"level": "engage", "scheduled_for": "2026-02-01T10:00:00Z",
	}).id(t)
	a.post("/api/v1/engagements/"+held+"/held", map[string]any{"held_on": "2026-02-01", "attendee_ids": []string{w.alice}, "unnamed_attendees": 0}).id(t)
	dropped := a.post("/api/v1/actions", map[string]any{"project_id": w.project, "feedback_ids": []string{}, "description": "Paint", "owner": "Estates", "due_on": "2026-05-01"}).id(t)
	a.post("/api/v1/actions/"+dropped+"/drop", `{"reason":"No budget"}`).id(t)
	done := a.post("/api/v1/actions", map[string]any{"project_id": w.project, "feedback_ids": []string{w.feedback}, "description": "Quiet corner", "owner": "Estates", "due_on": "2026-05-01"}).id(t)
	a.post("/api/v1/actions/"+done+"/complete", map[string]any{"completed_on": time.Now().UTC().Format(time.DateOnly), "outcome": "Corner set up"}).id(t)
	erased := a.post("/api/v1/stakeholders", map[string]any{"name": "Cara", "roles": []string{"public"}, "recruitment_channel": "advert"}).id(t)
	a.post("/api/v1/stakeholders/"+erased+"/erase", `{"reason":"Asked"}`).id(t)

	tests := []struct {
		name       string
		path       string
		body       string
		headers    []string
		wantStatus int
		wantDetail string
	}{
		{"unknown project", "/api/v1/projects/" + unknown + "/elements", `{"name":"Signage"}`, nil, 404, "no project"},
		{"malformed id", "/api/v1/projects/not-an-id/elements", `{"name":"Signage"}`, nil, 404, "ids are lowercase UUIDs"},
		{"unknown field", "/api/v1/projects", `{"programme":"p","name":"n","aim":"a","lead":"l","budget":1}`, nil, 400, `unknown field "budget"`},
		{"malformed JSON", "/api/v1/projects", `{"programme":`, nil, 400, "not a valid command"},
		{"missing fields", "/api/v1/projects", `{"programme":"p"}`, nil, 400, "name: is required"},
		{"wrong content type", "/api/v1/projects", `{}`, []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"body too large", "/api/v1/projects", `{"programme":"` + strings.Repeat("x", 70_000) + `"}`, nil, 413, "larger than"},
		{"decision on unknown element", "/api/v1/projects/" + w.project + "/elements/" + unknown + "/decisions", `{"level":"consult","rationale":"r","decided_by":"b"}`, nil, 404, "has no element"},
		{"decision with unknown level", "/api/v1/projects/" + w.project + "/elements/" + w.element + "/decisions", `{"level":"partnership","rationale":"r","decided_by":"b"}`, nil, 400, "is not a level"},
		{"element named twice", "/api/v1/projects/" + w.project + "/elements", `{"name":"reception desk"}`, nil, 409, "already has an element"},
		{"unknown role", "/api/v1/stakeholders", `{"name":"D","roles":["patient"],"recruitment_channel":"advert"}`, nil, 400, "is not a role"},
		{"invite unregistered stakeholder", "/api/v1/engagements/" + w.engagement + "/invitations", `{"stakeholder_id":"` + unknown + `","channel":"email"}`, nil, 404, "no stakeholder"},
		{"invite erased stakeholder", "/api/v1/engagements/" + w.engagement + "/invitations", `{"stakeholder_id":"` + erased + `","channel":"email"}`, nil, 409, "was erased"},
		{"invite twice", "/api/v1/engagements/" + w.engagement + "/invitations", `{"stakeholder_id":"` + w.alice + `","channel":"phone"}`, nil, 409, "already invited"},
		{"answer without invitation", "/api/v1/engagements/" + w.engagement + "/answers", `{"stakeholder_id":"` + w.bob + `","accepted":true,"reason":""}`, nil, 409, "was not invited"},
		{"unregistered attendee", "/api/v1/engagements/" + w.engagement + "/held", `{"held_on":"2026-03-01","attendee_ids":["` + unknown + `"],"unnamed_attendees":0}`, nil, 404, "no stakeholder"},
		{"held twice", "/api/v1/engagements/" + held + "/held", `{"held_on":"2026-02-02","attendee_ids":[],"unnamed_attendees":0}`, nil, 409, "already held"},
		{"held after cancellation", "/api/v1/engagements/" + cancelled + "/held", `{"held_on":"2026-03-05","attendee_ids":[],"unnamed_attendees":0}`, nil, 409, "was cancelled"},
		{"held in the future", "/api/v1/engagements/" + w.engagement + "/held", `{"held_on":"` + future.Format(time.DateOnly) + `","attendee_ids":[],"unnamed_attendees":0}`, nil, 400, "in the future"},
		{"negative unnamed attendees", "/api/v1/engagements/" + w.engagement + "/held", `{"held_on":"2026-03-01","attendee_ids":[],"unnamed_attendees":-1}`, nil, 400, "unnamed_attendees"},
		{"unknown engagement", "/api/v1/engagements/" + unknown + "/cancel", `{"reason":"x"}`, nil, 404, "no engagement"},
		{"cancel twice", "/api/v1/engagements/" + cancelled + "/cancel", `{"reason":"x"}`, nil, 409, "was cancelled"},
		{"feedback by unknown author", "/api/v1/feedback", `{"project_id":"` + w.project + `","stakeholder_id":"` + unknown + `","channel":"email","sentiment":"mixed","themes":[],"summary":"s"}`, nil, 404, "no stakeholder"},
		{"feedback by erased author", "/api/v1/feedback", `{"project_id":"` + w.project + `","stakeholder_id":"` + erased + `","channel":"email","sentiment":"mixed","themes":[],"summary":"s"}`, nil, 409, "was erased"},
		{"feedback on unknown project", "/api/v1/feedback", `{"project_id":"` + unknown + `","channel":"email","sentiment":"mixed","themes":[],"summary":"s"}`, nil, 404, "no project"},
		{"feedback with bad sentiment", "/api/v1/feedback", `{"project_id":"` + w.project + `","channel":"email","sentiment":"angry","themes":[],"summary":"s"}`, nil, 400, "sentiment"},
		{"action on unknown feedback", "/api/v1/actions", `{"project_id":"` + w.project + `","feedback_ids":["` + unknown + `"],"description":"d","owner":"o","due_on":"2026-05-01"}`, nil, 404, "no feedback"},
		{"action with bad due date", "/api/v1/actions", `{"project_id":"` + w.project + `","feedback_ids":[],"description":"d","owner":"o","due_on":"31/05/2026"}`, nil, 400, "not a date"},
		{"complete after drop", "/api/v1/actions/" + dropped + "/complete", `{"completed_on":"2026-03-01","outcome":"o"}`, nil, 409, "was dropped"},
		{"complete twice", "/api/v1/actions/" + done + "/complete", `{"completed_on":"2026-03-01","outcome":"o"}`, nil, 409, "already completed"},
		{"complete in the future", "/api/v1/actions/" + w.action + "/complete", `{"completed_on":"` + future.Format(time.DateOnly) + `","outcome":"o"}`, nil, 400, "in the future"},
		{"communicate while open", "/api/v1/actions/" + w.action + "/communicate", `{"audience":"contributors","channel":"email"}`, nil, 409, "still open"},
		{"reschedule dropped", "/api/v1/actions/" + dropped + "/reschedule", `{"due_on":"2026-09-01","reason":"r"}`, nil, 409, "was dropped"},
		{"withdraw consent never given", "/api/v1/stakeholders/" + w.alice + "/consent-withdrawals", `{"scope":"photography"}`, nil, 409, "no consent"},
		{"erase twice", "/api/v1/stakeholders/" + erased + "/erase", `{"reason":"again"}`, nil, 409, "was erased"},
		{"occurred_at in the future", "/api/v1/projects/" + w.project + "/duty", `{"applies":true,"basis":"b","assessed_by":"a","rationale":"r","occurred_at":"` + future.Format(time.RFC3339) + `"}`, nil, 400, "in the future"},
		{"occurred_at not a time", "/api/v1/projects/" + w.project + "/duty", `{"applies":true,"basis":"b","assessed_by":"a","rationale":"r","occurred_at":"yesterday"}`, nil, 400, "not a valid command"},
		{"unknown endpoint", "/api/v1/projects/" + w.project + "/archive", `{}`, nil, 404, "no such endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Reads of the whole history are limited per identity: each
			// case reads it with a token of its own.
			_, auditor := a.token(st, auth.Auditor, "rules: "+tt.name)
			before := len(auditor.events())
			r := a.post(tt.path, tt.body, tt.headers...)
			if r.status != tt.wantStatus {
				t.Fatalf("POST %s = %d, want %d: %s", tt.path, r.status, tt.wantStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			p := r.json(t)
			if detail, _ := p["detail"].(string); !strings.Contains(detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to mention %q", detail, tt.wantDetail)
			}
			if p["status"] != float64(tt.wantStatus) || p["title"] == "" {
				t.Errorf("problem = %v, want status %d and a title", p, tt.wantStatus)
			}
			if after := len(auditor.events()); after != before {
				t.Errorf("%d events appended by a refused command", after-before)
			}
		})
	}
}

func TestDecisionRecordsPreviousLevelAndBackDating(t *testing.T) {
	st, a := startStack(t, t.TempDir())
	w := seed(t, a)
	path := "/api/v1/projects/" + w.project + "/elements/" + w.element + "/decisions"
	a.post(path, `{"level":"consult","rationale":"Start by asking","decided_by":"Board","occurred_at":"2025-01-10T09:00:00Z"}`).id(t)
	sarah, asSarah := a.token(st, auth.Recorder, "Sarah")
	// A header claiming to be somebody else changes nothing.
	asSarah.post(path, `{"level":"co_produce","rationale":"Patients will run it","decided_by":"Board","decision_rights":[{"holder":"patients","right":"veto"}]}`, "X-Actor", "Caldicott Guardian").id(t)
	var decisions []events.Envelope
	for _, e := range a.events() {
		if e.Type == "InvolvementDecided" {
			decisions = append(decisions, e)
		}
	}
	if len(decisions) != 2 {
		t.Fatalf("%d decisions in the log, want 2", len(decisions))
	}
	var first, second struct {
		Level         string `json:"level"`
		PreviousLevel string `json:"previous_level"`
	}
	_ = json.Unmarshal(decisions[0].Payload, &first)
	_ = json.Unmarshal(decisions[1].Payload, &second)
	if first.Level != "consult" || first.PreviousLevel != "" || second.Level != "co_produce" || second.PreviousLevel != "consult" {
		t.Errorf("decisions = %+v then %+v, want consult (no previous) then co_produce (previous consult)", first, second)
	}
	if want := time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC); !decisions[0].OccurredAt.Equal(want) {
		t.Errorf("back-dated decision occurred at %v, want %v", decisions[0].OccurredAt, want)
	}
	if decisions[0].RecordedAt.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("recorded_at %v was back-dated too; only occurred_at may be", decisions[0].RecordedAt)
	}
	if decisions[1].Actor != sarah {
		t.Errorf("actor = %q, want the signed-in identity %s", decisions[1].Actor, sarah)
	}
}

func TestIdempotencyKey(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	body := `{"programme":"South Tyneside","name":"Letters","aim":"Readable letters","lead":"Sam"}`
	first := a.post("/api/v1/projects", body, "Idempotency-Key", "create-letters-1")
	again := a.post("/api/v1/projects", body, "Idempotency-Key", "create-letters-1")
	if first.status != 201 || again.status != 200 {
		t.Fatalf("statuses = %d then %d, want 201 then 200 (replayed)", first.status, again.status)
	}
	f, g := first.json(t), again.json(t)
	if f["id"] != g["id"] || f["position"] != g["position"] || g["replayed"] != true {
		t.Errorf("retried creation = %v, want the original %v marked replayed", g, f)
	}
	if r := a.post("/api/v1/projects", strings.Replace(body, "Sam", "Kim", 1), "Idempotency-Key", "create-letters-1"); r.status != 422 {
		t.Errorf("reused key with another body = %d, want 422: %s", r.status, r.body)
	}
	// On an existing stream too.
	drop := `{"reason":"Superseded"}`
	a1 := a.post("/api/v1/actions/"+w.action+"/drop", drop, "Idempotency-Key", "drop-1")
	a2 := a.post("/api/v1/actions/"+w.action+"/drop", drop, "Idempotency-Key", "drop-1")
	if a1.status != 200 || a2.status != 200 || a1.json(t)["position"] != a2.json(t)["position"] {
		t.Errorf("retried drop = %d %s then %d %s, want the same answer", a1.status, a1.body, a2.status, a2.body)
	}
	if a3 := a.post("/api/v1/actions/"+w.action+"/drop", drop); a3.status != 409 {
		t.Errorf("drop without the key after the drop = %d, want 409", a3.status)
	}
	count := map[string]int{}
	for _, e := range a.events() {
		count[e.Type]++
	}
	if count["ProjectRegistered"] != 2 || count["ActionDropped"] != 1 {
		t.Errorf("events = %v, want 2 projects (seed + one idempotent creation) and 1 drop", count)
	}
}

func TestConcurrentCommandsOnOneAggregate(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	const n = 12
	var people []string
	for i := range n {
		people = append(people, a.post("/api/v1/stakeholders", map[string]any{
			"name": "Person " + string(rune('A'+i)), "roles": []string{"public"}, "recruitment_channel": "advert",
		}).id(t))
	}
	errs := make(chan string, n)
	for _, p := range people {
		go func() {
			r := a.post("/api/v1/engagements/"+w.engagement+"/invitations", map[string]any{"stakeholder_id": p, "channel": "letter"})
			if r.status != 200 {
				errs <- string(r.body)
				return
			}
			errs <- ""
		}()
	}
	for range people {
		if e := <-errs; e != "" {
			t.Errorf("concurrent invitation failed: %s", e)
		}
	}
	invited := 0
	for _, e := range a.events() {
		if e.Type == "StakeholderInvited" {
			invited++
		}
	}
	if invited != n+1 {
		t.Errorf("%d invitations recorded, want %d", invited, n+1)
	}
}

// TestRedaction: anonymous feedback is sealed under a key of its own, and
// an admin can shred it with a redaction recorded with who and why.
func TestRedaction(t *testing.T) {
	dir := t.TempDir()
	st, a := startStack(t, dir)
	w := seed(t, a)
	anon := a.post("/api/v1/feedback", map[string]any{"project_id": w.project, "channel": "online", "sentiment": "negative",
		"themes": []string{}, "summary": "Nurse Jones at the desk was rude to my mum"}).id(t)
	dpo, asDPO := a.token(st, auth.Admin, "Data protection officer")
	redact := func(id string) response {
		return asDPO.post("/api/v1/feedback/"+id+"/redact", `{"reason":"Names a member of staff"}`)
	}
	if r := redact(anon); r.status != http.StatusOK {
		t.Fatalf("redact = %d: %s", r.status, r.body)
	}
	if r := redact(anon); r.status != http.StatusConflict {
		t.Errorf("redacting twice = %d, want 409: %s", r.status, r.body)
	}
	if r := redact(w.feedback); r.status != http.StatusConflict || !strings.Contains(string(r.body), "named author") {
		t.Errorf("redacting named feedback = %d, want 409 (erase the person instead): %s", r.status, r.body)
	}
	redacted := 0
	for _, e := range a.events() {
		if bytes.Contains(e.Payload, []byte("Jones")) || bytes.Contains(e.Payload, []byte("Too loud")) {
			t.Errorf("event %s %s holds feedback text in clear: %s", e.Type, e.ID, e.Payload)
		}
		if e.Type == "FeedbackRedacted" {
			redacted++
			if e.Actor != dpo || e.Stream != "feedback-"+anon {
				t.Errorf("redaction recorded by %q on %s, want %s on feedback-%s", e.Actor, e.Stream, dpo, anon)
			}
		}
	}
	if redacted != 1 {
		t.Errorf("%d redactions recorded, want 1", redacted)
	}

	// On disk only the tombstone of the feedback's key is left.
	shutdown(t, st)
	srv, err := embednats.Start(embednats.Config{StoreDir: filepath.Join(dir, "nats"), StoreKey: testKEK(t).Derive(keyring.PurposeNATSStore)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.ConnectAs(busauth.Stakeholders) // the key stream is theirs
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	keys, err := js.Stream(context.Background(), keyring.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := keys.GetMsg(context.Background(), 1, jetstream.WithGetMsgSubject("keys.feedback-"+anon))
	if err != nil {
		t.Fatalf("the feedback's key: %v", err)
	}
	if string(m.Data) != "destroyed" {
		t.Errorf("the first message of the feedback's key holds %d bytes, want only its tombstone left", len(m.Data))
	}
}

func TestErasure(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	w := seed(t, a)
	a.post("/api/v1/stakeholders/"+w.alice+"/demographics", `{"age_band":"25_34"}`).id(t)
	const note, reason = "Hearing loop; her daughter Beth drives her", "Right to erasure request from Alice, 2026-11"
	a.post("/api/v1/stakeholders/"+w.alice+"/support-needs", map[string]any{"need": "accessibility", "note": note}).id(t)
	a.post("/api/v1/stakeholders/"+w.alice+"/consent", `{"scope":"quotes"}`).id(t)
	a.post("/api/v1/engagements/"+w.engagement+"/answers", map[string]any{"stakeholder_id": w.alice, "accepted": false, "reason": "Beth has chemotherapy that week"}).id(t)
	before := a.get("/api/v1/stakeholders/" + w.alice).json(t)
	if before["name"] != "Alice" || before["contact"] != "alice@example.org" {
		t.Fatalf("stakeholder before erasure = %v", before)
	}
	if needs, _ := before["support_needs"].([]any); len(needs) != 1 || needs[0].(map[string]any)["note"] != note {
		t.Errorf("support needs before erasure = %v, want the note opened", before["support_needs"])
	}
	if consents, _ := before["consents"].([]any); len(consents) != 1 {
		t.Errorf("consents before erasure = %v, want quotes", before["consents"])
	}
	a.post("/api/v1/stakeholders/"+w.alice+"/erase", map[string]any{"reason": reason}).id(t)
	after := a.get("/api/v1/stakeholders/" + w.alice).json(t)
	if after["erased"] != true || after["name"] != nil || after["contact"] != nil || after["demographics"] != nil {
		t.Errorf("stakeholder after erasure = %v, want erased with no personal data", after)
	}
	if needs, _ := after["support_needs"].([]any); len(needs) != 0 {
		t.Errorf("support needs after erasure = %v, want none", after["support_needs"])
	}
	if consents, _ := after["consents"].([]any); len(consents) != 0 {
		t.Errorf("consents after erasure = %v, want none", after["consents"])
	}
	for _, e := range a.events() {
		for _, text := range []string{"Alice", "alice@example.org", "Beth", "Hearing loop", "chemotherapy", "Too loud"} {
			if bytes.Contains(e.Payload, []byte(text)) {
				t.Errorf("event %s %s holds %q in clear: %s", e.Type, e.ID, text, e.Payload)
			}
		}
	}
	// The history of what she did still replays: her feedback is there.
	if r := a.post("/api/v1/feedback/"+w.feedback+"/response", `{"influence":"partly_adopted","reason":"Screens in one room"}`); r.status != 200 {
		t.Errorf("responding to an erased person's feedback = %d: %s", r.status, r.body)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	st, a := startStack(t, dir)
	seed(t, a)
	before := a.events()
	if _, err := app.Start(context.Background(), app.Config{Parts: app.AllParts(), DataDir: dir, HTTPAddr: "127.0.0.1:0", Logger: zerolog.Nop(), KEK: testKEK(t)}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second stack on the same data = %v, want refused as in use", err)
	}
	shutdown(t, st)

	_, b := startStack(t, dir)
	after := b.events()
	// A clean stop seals the history: one LedgerSealed more.
	if len(after) != len(before)+1 || after[len(before)].Type != "LedgerSealed" {
		t.Fatalf("after restart %d events, want the %d from before and a seal", len(after), len(before))
	}
	for i := range before {
		if after[i].ID != before[i].ID || after[i].Position != before[i].Position || !bytes.Equal(after[i].Payload, before[i].Payload) {
			t.Errorf("event %d changed across restart: %+v -> %+v", i, before[i], after[i])
		}
	}
	seed(t, b) // and it still takes commands
}

func TestHealthAndFrontPage(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	// On the embedded server the reports read the history in the event
	// stream's own account, through a connection of their own.
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": `"nats_history":"ok"`, "/metrics": "together_http_requests_total"} {
		a.get("/healthz") // so that the request counter has a sample
		r := a.get(path)
		if r.status != 200 || !strings.Contains(string(r.body), want) {
			t.Errorf("GET %s = %d, want 200 mentioning %q", path, r.status, want)
		}
	}
	// The front page is a web page, not part of the API's document.
	page := *a
	page.client = http.DefaultClient
	if r := page.get("/"); r.status != 200 || !strings.Contains(string(r.body), "nhsuk-header") {
		t.Errorf("GET / = %d, want the programme overview page", r.status)
	}
	for _, q := range []string{"after=-1", "limit=0", "limit=x"} {
		if r := a.get("/api/v1/events?" + q); r.status != 400 {
			t.Errorf("GET /api/v1/events?%s = %d, want 400", q, r.status)
		}
	}
}

// In together serve, the identities' records are watched (on the locked
// bus), so a token's record read once serves the requests after it, and a
// revocation through the API holds from the next request all the same.
func TestRevokedTokenRefusedAtTheNextRequest(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	watched := func() bool {
		metrics := string(a.get("/metrics").body)
		for _, records := range []string{"tokens", "users", "sessions"} {
			if !strings.Contains(metrics, "\ntogether_auth_records_watched{records=\""+records+"\"} 1\n") {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(10 * time.Second); !watched(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the identities' records are not watched")
		}
	}
	r := a.post("/api/v1/tokens", `{"name":"dashboard","role":"viewer"}`)
	var made struct{ ID, Token string }
	if err := json.Unmarshal(r.body, &made); err != nil || r.status != 201 {
		t.Fatalf("POST /api/v1/tokens = %d %s", r.status, r.body)
	}
	viewer := a.as(made.Token)
	for range 2 { // the second from the record kept
		if r := viewer.get("/api/v1/me"); r.status != 200 {
			t.Fatalf("GET /api/v1/me as the new token = %d %s", r.status, r.body)
		}
	}
	if r := a.post("/api/v1/tokens/"+made.ID+"/revoke", ""); r.status != 200 {
		t.Fatalf("revoke = %d %s", r.status, r.body)
	}
	if r := viewer.get("/api/v1/me"); r.status != 401 {
		t.Errorf("GET /api/v1/me at once after the revocation = %d, want 401", r.status)
	}
}

// The correlation id a client sends is stored in the event; every answer
// carries a request id.
func TestCorrelationID(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	r := a.post("/api/v1/projects", `{"programme":"p","name":"n","aim":"a","lead":"l"}`, "X-Correlation-Id", "board-paper-2026-03")
	r.id(t)
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the answer")
	}
	evs := a.events()
	last := evs[len(evs)-1]
	if last.CorrelationID != "board-paper-2026-03" || last.CausationID != r.header.Get("X-Request-Id") {
		t.Errorf("stored correlation %q causation %q, want the client's correlation id and the request id %q", last.CorrelationID, last.CausationID, r.header.Get("X-Request-Id"))
	}
}

// TestEveryBrokenRuleAtOnce: registering somebody with no name and no
// roles names both, so a form shows every error at once.
func TestEveryBrokenRuleAtOnce(t *testing.T) {
	_, a := startStack(t, t.TempDir())
	r := a.post("/api/v1/stakeholders", map[string]any{"name": " ", "roles": []string{}, "recruitment_channel": "advert"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("register = %d, want 400: %s", r.status, r.body)
	}
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	if !slices.Contains(fields, "roles") || !slices.Contains(fields, "name") {
		t.Errorf("errors name %v, want roles and name together", fields)
	}
}
