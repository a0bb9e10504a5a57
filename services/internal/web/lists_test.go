package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/together-coop/together/events"
)

// TestListsAndAuditPages renders every list, page and auditor's page over
// the recorded workshop, as the role each is for, with what each must
// and must not say.
func TestListsAndAuditPages(t *testing.T) {
	w := recordWorkshop(t)
	s := w.s
	// Enough projects for a second page.
	for i := range 22 {
		s.seedProject("North", fmt.Sprintf("Letters %02d", i))
	}
	auditor, viewer := s.signIn("auditor"), s.signIn("viewer")
	tests := []struct {
		name   string
		as     *browser
		path   string
		status int
		want   []string
		html   []string
		not    []string
	}{
		{"projects", w.rec, "/projects", 200, []string{"Waiting areas South Tyneside Sarah 1 2 Open", "Letters 18", "Next page"},
			[]string{`href="/projects?after=`, `href="/projects/` + w.project + `/involvement"`, `aria-current="page"`}, []string{"Letters 19", "Decision timeline"}},
		{"projects by name", w.rec, "/projects?name=WAIT", 200, []string{"Waiting areas"}, nil, []string{"Letters", "Next page"}},
		{"projects by programme", w.rec, "/projects?programme=south+tyneside", 200, []string{"Waiting areas"}, nil, []string{"Letters"}},
		{"projects matching nothing", w.rec, "/projects?name=zebra", 200, []string{"No projects match."}, nil, nil},
		{"projects at a page that does not exist", w.rec, "/projects?after=soon", 400, []string{"There is a problem", "The page asked for does not exist"}, nil, nil},
		{"projects as an auditor", auditor, "/projects", 200, []string{"Decision timeline"}, []string{`href="/audit/projects/` + w.project + `"`}, nil},
		{"engagements of a project", w.rec, "/engagements?project=" + w.project, 200,
			[]string{"Waiting room workshop Waiting areas Workshop Co-design", "Held on", "Plan an engagement for this project"},
			[]string{`<option value="` + w.project + `" selected>`}, nil},
		{"engagements of no project", w.rec, "/engagements?project=nope", 400, []string{"There is no such project: choose one from the list"},
			[]string{`<a href="#project">`}, nil},
		{"actions done", w.rec, "/actions?project=" + w.project + "&state=completed", 200, []string{"Put up clearer signs Waiting areas Estates team", "Done, outcome shared"},
			nil, []string{"Move the seating"}},
		{"actions dropped", w.rec, "/actions?state=dropped", 200, []string{"Move the seating", "Dropped"}, nil, []string{"Put up clearer signs"}},
		{"actions in a state that is none", w.rec, "/actions?state=lost", 400, []string{"Choose whether the actions are open, overdue, done or dropped"}, []string{`<a href="#state">`}, nil},
		{"people", w.rec, "/stakeholders", 200, []string{"Person " + w.alice[:8], "Service user", "Community organisation", "Register a person"},
			[]string{`href="/stakeholders/` + w.alice + `"`}, []string{"Alice", "Bob", "alice@example.org"}},
		{"a person", w.rec, "/stakeholders/" + w.bob, 200, []string{"Bob", "Contact bob@example.org", "Roles Frontline staff, Carers", "Found through Staff referral"}, nil, nil},
		{"a project's involvement", w.rec, "/projects/" + w.project + "/involvement", 200,
			[]string{"Reception desk", "Seating No decision yet", "Record a decision on Seating", "Record whether the duty to involve people applies"}, nil, nil},
		{"a project's involvement to a viewer", viewer, "/projects/" + w.project + "/involvement", 200, []string{"Reception desk", "Co-design"}, nil,
			[]string{"Record a decision", "Plan an engagement"}},
		{"an engagement to a viewer", viewer, "/engagements/" + w.engagement, 200, []string{"Person " + w.alice[:8] + " Email Accepted Yes"}, nil,
			[]string{"Alice", "Invite people"}},
		{"an action", w.rec, "/actions/" + w.action, 200, []string{"Put up clearer signs", "Estates team", "Feedback " + w.feedback[:8]}, nil, []string{"Record that it was done"}},
		{"an engagement nobody knows", w.rec, "/engagements/01a2c3d4-0000-7000-8000-000000000000", 404, []string{"Page not found"}, nil, nil},
		{"a form about an action nobody knows", w.rec, "/actions/01a2c3d4-0000-7000-8000-000000000000/complete", 404, []string{"Page not found"}, nil, nil},
		{"a decision on an element nobody knows", w.rec, "/projects/" + w.project + "/elements/nope/decide", 404, []string{"Page not found"}, nil, nil},
		{"audit", auditor, "/audit", 200, []string{"Is the history intact?", "Check the history now", "Waiting areas South Tyneside 2",
			"together export --data ./data --out ./export-", "together verify --file"}, []string{`href="/audit/projects/` + w.project + `"`, `aria-current="page"`},
			[]string{"The history is intact"}},
		{"audit, checked", auditor, "/audit?check=1", 200, []string{"The history is intact", fmt.Sprintf("Events checked %d", s.count("")), "Final chain hash"}, nil, []string{"broken"}},
		{"a decision timeline", auditor, "/audit/projects/" + w.project, 200, []string{"Decision timeline: Waiting areas", "Reception desk At Co-design, after 1 decision.",
			"Co-design Level before None: this was the first decision Decided by Project board", "Patients on the panel: Choose the layout",
			"Does the duty apply? Yes", "Seating No decision had been made"}, nil, nil},
		{"a decision timeline as known before anything", auditor, "/audit/projects/" + w.project + "?as_of%5Bday%5D=1&as_of%5Bmonth%5D=1&as_of%5Byear%5D=2020", 404,
			[]string{"Page not found"}, nil, nil},
		{"a decision timeline with a day that is not one", auditor, "/audit/projects/" + w.project + "?as_of%5Bday%5D=32&as_of%5Bmonth%5D=1&as_of%5Byear%5D=2026", 400,
			[]string{"There is a problem", "The day the system knew it on must be a real date"}, []string{`<a href="#as_of-day">`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.as.get(tt.path)
			if a.status != tt.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.path, a.status, tt.status, text(a.body))
			}
			checkAccessible(t, tt.path, a.body)
			says(t, tt.path, a.body, tt.want...)
			hasMarkup(t, tt.path, a.body, tt.html...)
			saysNot(t, tt.path, a.body, tt.not...)
		})
	}

	// The second page of projects, from the first's link.
	first := w.rec.get("/projects")
	next := regexp.MustCompile(`href="(/projects\?after=[0-9]+)"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("no link to the next page")
	}
	second := w.rec.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	says(t, "the second page", second.body, "Letters 19", "Letters 21", "First page")
	saysNot(t, "the second page", second.body, "Waiting areas", "Next page")
}

// TestWhoMayDoWhat tries the pages and forms as each role, and as nobody.
func TestWhoMayDoWhat(t *testing.T) {
	s := newStack(t)
	project, _ := s.seedProject("North", "Letters")
	rec, auditor, viewer := s.signIn("recorder"), s.signIn("auditor"), s.signIn("viewer")
	form := rec.open("/projects/" + project + "/duty")
	tests := []struct {
		name   string
		as     *browser
		method string
		path   string
		values url.Values
		status int
	}{
		{"a viewer opens a form", viewer, http.MethodGet, "/stakeholders/new", nil, http.StatusForbidden},
		{"a viewer lists people", viewer, http.MethodGet, "/stakeholders", nil, http.StatusForbidden},
		{"a viewer lists projects", viewer, http.MethodGet, "/projects", nil, http.StatusOK},
		{"a viewer audits", viewer, http.MethodGet, "/audit", nil, http.StatusForbidden},
		{"an auditor records", auditor, http.MethodPost, "/projects/" + project + "/duty", merge(auditor.csrfOf("/projects"), url.Values{"applies": {"no"}}), http.StatusForbidden},
		{"a recorder audits", rec, http.MethodGet, "/audit", nil, http.StatusForbidden},
		{"a form sent without its CSRF token", rec, http.MethodPost, "/projects/" + project + "/duty",
			url.Values{"idempotency_key": form["idempotency_key"], "applies": {"no"}}, http.StatusForbidden},
		{"nobody at a browser", &browser{s: s, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}},
			http.MethodGet, "/projects", nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.as.do(tt.method, tt.path, tt.values, nil)
			if a.status != tt.status {
				t.Errorf("%s %s: status %d, want %d\n%s", tt.method, tt.path, a.status, tt.status, a.body)
			}
		})
	}
	if n := s.count(""); n != 1 {
		t.Errorf("%d events, want only the project's", n)
	}
	// A bearer token records through the forms too, without a CSRF token.
	a := rec.do(http.MethodPost, "/projects/"+project+"/duty", url.Values{"idempotency_key": form["idempotency_key"], "applies": {"no"},
		"basis": {"b"}, "assessed_by": {"a"}, "rationale": {"r"}}, http.Header{"Authorization": {s.bearer["recorder"]}})
	if a.status != http.StatusSeeOther {
		t.Errorf("with a bearer token: status %d, want 303\n%s", a.status, text(a.body))
	}
}

// csrfOf reads the session's CSRF token off a page's sign-out form.
func (b *browser) csrfOf(path string) url.Values {
	b.s.t.Helper()
	return url.Values{"csrf_token": {hiddenValue(b.get(path).body, "csrf_token")}}
}

// TestABrokenChainIsShown alters the history behind the recorder's back:
// the auditor's check names the first break.
func TestABrokenChainIsShown(t *testing.T) {
	s := newStack(t)
	s.seedProject("North", "Letters")
	id, err := events.NewEventID()
	if err != nil {
		t.Fatal(err)
	}
	// Written to the store directly, without the recorder's hash.
	if _, err := s.store.Append(context.Background(), "project-01a2c3d4-0000-7000-8000-000000000000", 0, []events.Envelope{{
		ID: id, Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{"summary":"done"}`)}}); err != nil {
		t.Fatal(err)
	}
	a := s.signIn("auditor").get("/audit?check=1")
	if a.status != http.StatusOK {
		t.Fatalf("status %d\n%s", a.status, text(a.body))
	}
	checkAccessible(t, "/audit?check=1", a.body)
	says(t, "a broken chain", a.body, "The history is broken", "The first break is at position 2: version 1 of project-01a2c3d4-0000-7000-8000-000000000000 (event "+id.String()+")")
	saysNot(t, "a broken chain", a.body, "The history is intact", "Events checked")
}
