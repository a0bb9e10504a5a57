package browse_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/openapi/openapitest"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/reports/reportstest"
)

// Ids of the history (the runner, like the recorder, takes only valid
// ids).
var (
	letters, waiting, parking = uuid.NewString(), uuid.NewString(), uuid.NewString()
	template, phone           = uuid.NewString(), uuid.NewString()
	ann, ben, cat             = uuid.NewString(), uuid.NewString(), uuid.NewString()
	w1, w2                    = uuid.NewString(), uuid.NewString()
	f1, f2                    = uuid.NewString(), uuid.NewString()
	a1, a2, a3, a4            = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
)

// history: programme North has "Letters" (the template at co-design,
// then consult; the phone line undecided; the duty applies) and
// "Waiting"; programme South has "Parking", registered on the 20th.
func history() *historytest.Builder {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project(letters, "North", "Letters").Element(letters, template, "Template").Element(letters, phone, "Phone").
		Project(waiting, "North", "Waiting").
		Stakeholder(ann, events.RoleServiceUser).Stakeholder(ben, events.RoleCarer, events.RoleFrontlineStaff).
		Stakeholder(cat, events.RoleFrontlineStaff).
		Duty(letters, true, "NHS Act 2006 s242")
	b.At(historytest.Day(2)).Decide(letters, template, events.LevelCoDesign, "", "Board", "people use it").
		Plan(w1, letters, events.LevelCoDesign, "workshop", template).
		Invite(w1, ann).Invite(w1, ben).Invite(w1, cat)
	b.At(historytest.Day(3)).Answer(w1, ann, true).Answer(w1, ben, true).Answer(w1, cat, false)
	b.At(historytest.Day(5)).Hold(w1, 2, ann, cat).Support(w1, ann, "travel", 450)
	b.At(historytest.Day(6)).Feedback(f1, letters, w1, template, ann, "tone").Feedback(f2, letters, "", "", "", "parking").
		Respond(f1, "adopted", "we rewrote it").
		Agree(a1, letters, historytest.Day(20), f1).Agree(a2, letters, historytest.Day(10)).
		Agree(a3, letters, historytest.Day(12)).Agree(a4, waiting, historytest.Day(30))
	b.At(historytest.Day(7)).Plan(w2, waiting, events.LevelConsult, "focus_group").Cancel(w2).
		Decide(letters, template, events.LevelConsult, events.LevelCoDesign, "Board", "too soon").
		Reassign(a1, "Sam")
	b.At(historytest.Day(13)).Drop(a3)
	b.At(historytest.Day(15)).Complete(a1)
	b.At(historytest.Day(16)).Communicate(a1)
	b.At(historytest.Day(18)).Erase(cat)
	b.At(historytest.Day(20)).Project(parking, "South", "Parking")
	return b
}

type server struct {
	url    string
	mux    *http.ServeMux
	store  *memstore.Store
	client *http.Client
	runner *reports.Runner
}

// serve runs browse over [history] on a test server (127.0.0.1), its
// every exchange checked against the OpenAPI document.
func serve(t testing.TB) *server {
	t.Helper()
	store, runner := reportstest.Over(t, history().Events)
	svc, err := browse.New(runner, browse.WithClock(func() time.Time { return historytest.Day(25) }),
		browse.WithLocation(time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &server{url: srv.URL, mux: mux, store: store, client: openapitest.Client(t), runner: runner}
}

func (s *server) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	res, err := s.client.Get(s.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// getJSON reads path, which must answer 200, into v.
func (s *server) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, body := s.get(t, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func projectID(p browse.Project) string       { return p.ID }
func engagementID(e browse.Engagement) string { return e.ID }
func actionID(a browse.Action) string         { return a.ID }
func feedbackID(f browse.Feedback) string     { return f.ID }

func TestListProjects(t *testing.T) {
	s := serve(t)
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"all, in the order registered", "", []string{letters, waiting, parking}},
		{"a programme, whatever its case", "?programme=%20north", []string{letters, waiting}},
		{"a programme with no projects", "?programme=East", []string{}},
		{"as known before Parking", "?as_of=2026-03-19", []string{letters, waiting}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page browse.Page[browse.Project]
			s.getJSON(t, "/api/v1/projects"+tt.query, &page)
			if diff := cmp.Diff(tt.want, ids(page.Items, projectID)); diff != "" {
				t.Errorf("GET /api/v1/projects%s ids (-want +got):\n%s", tt.query, diff)
			}
			if page.Next != nil {
				t.Errorf("next = %q, want null on the only page", *page.Next)
			}
		})
	}
	var page browse.Page[browse.Project]
	s.getJSON(t, "/api/v1/projects", &page)
	got := page.Items[0]
	want := browse.Project{ID: letters, Programme: "North", Name: "Letters", Aim: "aim of Letters", Lead: "lead",
		RegisteredAt: historytest.Day(1), Counts: browse.ProjectCounts{Elements: 2, Engagements: 1, Feedback: 2, Actions: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Letters (-want +got):\n%s", diff)
	}
	if page.Position != uint64(len(history().Events)) {
		t.Errorf("position = %d, want %d", page.Position, len(history().Events))
	}
}

// TestPaging walks every list a page of one at a time and requires the
// same items, in the same order, as one big page.
func TestPaging(t *testing.T) {
	s := serve(t)
	for _, path := range []string{"/api/v1/projects", "/api/v1/engagements", "/api/v1/feedback", "/api/v1/actions",
		"/api/v1/stakeholders", "/api/v1/actions?project=" + letters} {
		t.Run(path, func(t *testing.T) {
			var all browse.Page[map[string]any]
			s.getJSON(t, path, &all)
			var walked []map[string]any
			next := path + sep(path) + "limit=1"
			for pages := 0; next != ""; pages++ {
				if pages > len(all.Items) {
					t.Fatalf("more pages than items: the cursor does not advance")
				}
				var p browse.Page[map[string]any]
				s.getJSON(t, next, &p)
				walked = append(walked, p.Items...)
				next = ""
				if p.Next != nil {
					next = *p.Next
					if !strings.Contains(next, "limit=1") {
						t.Errorf("next %q lost the limit", next)
					}
				}
			}
			if diff := cmp.Diff(all.Items, walked); diff != "" {
				t.Errorf("paged one at a time (-one page +walked):\n%s", diff)
			}
		})
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func TestShowProject(t *testing.T) {
	s := serve(t)
	var got browse.ProjectDetail
	s.getJSON(t, "/api/v1/projects/"+letters, &got)
	if len(got.Elements) != 2 {
		t.Fatalf("elements = %d, want 2", len(got.Elements))
	}
	tmpl, ph := got.Elements[0], got.Elements[1]
	if tmpl.ID != template || tmpl.Level == nil || *tmpl.Level != events.LevelConsult || len(tmpl.Decisions) != 2 {
		t.Errorf("template = %+v, want consult after two decisions", tmpl)
	}
	if d := tmpl.Decisions[1]; d.PreviousLevel == nil || *d.PreviousLevel != events.LevelCoDesign || d.Rationale != "too soon" {
		t.Errorf("second decision = %+v, want from co_design, too soon", d)
	}
	if ph.ID != phone || ph.Level != nil || len(ph.Decisions) != 0 {
		t.Errorf("phone = %+v, want no level and no decisions", ph)
	}
	if got.Duty == nil || !got.Duty.Applies || got.Duty.Basis != "NHS Act 2006 s242" {
		t.Errorf("duty = %+v, want applies under s242", got.Duty)
	}

	var before browse.ProjectDetail
	s.getJSON(t, "/api/v1/projects/"+letters+"?as_of=2026-03-06", &before)
	if l := before.Elements[0].Level; l == nil || *l != events.LevelCoDesign {
		t.Errorf("template as of the 6th = %v, want co_design", l)
	}
}

func TestEngagements(t *testing.T) {
	s := serve(t)
	var page browse.Page[browse.Engagement]
	s.getJSON(t, "/api/v1/engagements?project="+waiting, &page)
	if diff := cmp.Diff([]string{w2}, ids(page.Items, engagementID)); diff != "" {
		t.Errorf("Waiting's engagements (-want +got):\n%s", diff)
	}
	if page.Items[0].Status != browse.StatusCancelled {
		t.Errorf("w2 status = %q, want cancelled", page.Items[0].Status)
	}

	var got browse.EngagementDetail
	s.getJSON(t, "/api/v1/engagements/"+w1, &got)
	wantCounts := browse.EngagementCounts{Invited: 3, Accepted: 2, Declined: 1, AttendedInvited: 2, NamedAttendees: 2, UnnamedAttendees: 2}
	if diff := cmp.Diff(wantCounts, got.Counts); diff != "" {
		t.Errorf("w1 counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ann, cat}, got.AttendeeIDs); diff != "" {
		t.Errorf("w1 attendees (-want +got):\n%s", diff)
	}
	if got.Status != browse.StatusHeld || got.HeldOn == nil || got.HeldOn.String() != "2026-03-05" {
		t.Errorf("w1 = %s held on %v, want held on 2026-03-05", got.Status, got.HeldOn)
	}
	if len(got.Support) != 1 || got.Support[0].AmountPence != 450 {
		t.Errorf("w1 support = %+v, want one of 450 pence", got.Support)
	}

	var before browse.EngagementDetail
	s.getJSON(t, "/api/v1/engagements/"+w1+"?as_of=2026-03-02T12:00:00Z", &before)
	if before.Status != browse.StatusPlanned || before.Counts.Accepted != 0 || before.Invitations[0].Accepted != nil {
		t.Errorf("w1 as of the 2nd = %+v, want planned and unanswered", before.Engagement)
	}
}

func TestActions(t *testing.T) {
	s := serve(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{a1, a2, a3, a4}},
		{"?project=" + letters, []string{a1, a2, a3}},
		{"?state=open", []string{a2, a4}},
		{"?state=overdue", []string{a2}},
		{"?state=completed", []string{a1}},
		{"?state=dropped&project=" + letters, []string{a3}},
		{"?state=overdue&as_of=2026-03-09", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var page browse.Page[browse.Action]
			s.getJSON(t, "/api/v1/actions"+tt.query, &page)
			if diff := cmp.Diff(tt.want, ids(page.Items, actionID)); diff != "" {
				t.Errorf("GET /api/v1/actions%s (-want +got):\n%s", tt.query, diff)
			}
		})
	}
	var got browse.ActionDetail
	s.getJSON(t, "/api/v1/actions/"+a1, &got)
	if got.Owner != "Sam" || got.State != browse.StateCompleted || got.OutcomeCommunicatedAt == nil ||
		!got.OutcomeCommunicatedAt.Equal(historytest.Day(16)) || len(got.Reassignments) != 1 {
		t.Errorf("a1 = %+v, want owned by Sam, completed, the loop closed on the 16th", got)
	}
}

func TestFeedback(t *testing.T) {
	s := serve(t)
	var page browse.Page[browse.Feedback]
	s.getJSON(t, "/api/v1/feedback?project="+letters, &page)
	if diff := cmp.Diff([]string{f1, f2}, ids(page.Items, feedbackID)); diff != "" {
		t.Errorf("Letters' feedback (-want +got):\n%s", diff)
	}
	var got browse.FeedbackDetail
	s.getJSON(t, "/api/v1/feedback/"+f2, &got)
	if got.StakeholderID != nil || got.Response != nil {
		t.Errorf("f2 = %+v, want anonymous and unanswered", got)
	}
	s.getJSON(t, "/api/v1/feedback/"+f1, &got)
	if got.StakeholderID == nil || *got.StakeholderID != ann || got.Response == nil || got.Response.Influence != "adopted" ||
		!cmp.Equal(got.ActionIDs, []string{a1}) {
		t.Errorf("f1 = %+v, want Ann's, adopted, with a1", got)
	}
}

func TestStakeholdersShowNoPersonalData(t *testing.T) {
	s := serve(t)
	status, body := s.get(t, "/api/v1/stakeholders")
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/stakeholders = %d: %s", status, body)
	}
	var raw struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, it := range raw.Items {
		for _, key := range []string{"name", "contact", "pii", "demographics"} {
			if _, ok := it[key]; ok {
				t.Errorf("a stakeholder as listed has %q: %s", key, body)
			}
		}
	}
	var page browse.Page[browse.Stakeholder]
	s.getJSON(t, "/api/v1/stakeholders", &page)
	want := []browse.Stakeholder{
		{ID: ann, Roles: []events.Role{events.RoleServiceUser}, RecruitmentChannel: "advert", RegisteredAt: historytest.Day(1)},
		{ID: ben, Roles: []events.Role{events.RoleCarer, events.RoleFrontlineStaff}, RecruitmentChannel: "advert", RegisteredAt: historytest.Day(1)},
		{ID: cat, Roles: []events.Role{events.RoleFrontlineStaff}, RecruitmentChannel: "advert", RegisteredAt: historytest.Day(1), Erased: true},
	}
	if diff := cmp.Diff(want, page.Items); diff != "" {
		t.Errorf("stakeholders (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	s := serve(t)
	tests := []struct {
		path       string
		status     int
		field      string // the parameter the errors list names
		detailPart string
	}{
		{"/api/v1/projects?programm=North", http.StatusBadRequest, "programm", "unknown parameter"},
		{"/api/v1/projects?limit=0", http.StatusBadRequest, "limit", "limit must be"},
		{"/api/v1/projects?limit=501", http.StatusBadRequest, "limit", "limit must be"},
		{"/api/v1/projects?after=x", http.StatusBadRequest, "after", "cursor"},
		{"/api/v1/projects?limit=1&limit=2", http.StatusBadRequest, "limit", "given 2 times"},
		{"/api/v1/projects?as_of=yesterday", http.StatusBadRequest, "as_of", "as_of must be"},
		{"/api/v1/projects?as_of=2027-01-01", http.StatusBadRequest, "as_of", "future"},
		{"/api/v1/actions?state=late", http.StatusBadRequest, "state", "state must be one of"},
		{"/api/v1/engagements?min_position=-1", http.StatusBadRequest, "min_position", "min_position"},
		{"/api/v1/projects/" + uuid.NewString(), http.StatusNotFound, "", "no project"},
		{"/api/v1/projects/" + parking + "?as_of=2026-03-19", http.StatusNotFound, "", "no project"},
		{"/api/v1/engagements?project=" + uuid.NewString(), http.StatusNotFound, "", "no project"},
		{"/api/v1/engagements/" + uuid.NewString(), http.StatusNotFound, "", "no engagement"},
		{"/api/v1/actions/" + uuid.NewString(), http.StatusNotFound, "", "no action"},
		{"/api/v1/feedback/" + uuid.NewString(), http.StatusNotFound, "", "no feedback"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := s.get(t, tt.path)
			if status != tt.status {
				t.Fatalf("GET %s = %d, want %d: %s", tt.path, status, tt.status, body)
			}
			var p struct {
				Detail string `json:"detail"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.Detail, tt.detailPart) {
				t.Errorf("detail = %q, want it to say %q", p.Detail, tt.detailPart)
			}
			if tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field) {
				t.Errorf("errors = %+v, want one naming %s", p.Errors, tt.field)
			}
		})
	}
}

// TestMinPosition reads a project registered after the request was
// made: the read waits until the ledger reflects it.
func TestMinPosition(t *testing.T) {
	s := serve(t)
	id := uuid.NewString()
	next := historytest.NewBuilder(historytest.Day(21)).Project(id, "East", "Benches").Events[0].Envelope
	head, err := s.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	next.Position, next.StreamVersion = head+1, 1
	type answer struct {
		status int
		body   []byte
	}
	got := make(chan answer, 1)
	go func() {
		status, body := s.get(t, "/api/v1/projects/"+id+"?min_position="+strconv.FormatUint(head+1, 10))
		got <- answer{status, body}
	}()
	if _, err := s.store.Append(context.Background(), next.Stream, 0, []events.Envelope{next}); err != nil {
		t.Fatal(err)
	}
	a := <-got
	if a.status != http.StatusOK {
		t.Fatalf("GET with min_position = %d: %s", a.status, a.body)
	}
	var p browse.ProjectDetail
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Name != "Benches" || p.Position < head+1 {
		t.Errorf("read %q at position %d, want Benches at %d or later", p.Name, p.Position, head+1)
	}
}

func TestNextLinkKeepsFilters(t *testing.T) {
	s := serve(t)
	var page browse.Page[browse.Action]
	s.getJSON(t, "/api/v1/actions?project="+letters+"&limit=1&min_position=1", &page)
	if page.Next == nil {
		t.Fatal("next = null, want a link")
	}
	u, err := url.Parse(*page.Next)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/api/v1/actions" || q.Get("project") != letters || q.Get("limit") != "1" || q.Has("min_position") || q.Get("after") == "" {
		t.Errorf("next = %q, want the same filters, after a cursor and no min_position", *page.Next)
	}
}
