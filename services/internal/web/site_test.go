package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
)

// storyReports computes the reports from the story the report tests count
// by hand (projections/historytest), as the API would: exact counts when
// the request says X-Test-Exact, suppressed otherwise.
type storyReports struct {
	l     *ledger.Ledger
	now   time.Time
	calls []string
}

func (s *storyReports) Report(r *http.Request, name string, v url.Values) ([]byte, error) {
	s.calls = append(s.calls, name+"?"+v.Encode())
	q := projections.Query{Project: v.Get("project"), Programme: v.Get("programme"), AsOf: s.now}
	for key, dst := range map[string]**time.Time{"from": &q.From, "to": &q.To} {
		if raw := v.Get(key); raw != "" {
			t, err := projections.ParseMoment(raw)
			if err != nil {
				return nil, &QueryError{Detail: err.Error()}
			}
			*dst = &t
		}
	}
	if raw := v.Get("as_of"); raw != "" {
		t, err := projections.ParseMoment(raw)
		if err != nil {
			return nil, &QueryError{Detail: err.Error()}
		}
		q.AsOf = t
	}
	if q.Project != "" && (s.l.Projects.Get(q.Project) == nil || !q.Known(s.l.Projects.Get(q.Project).Fact)) {
		return nil, fmt.Errorf("project %q: %w", q.Project, ErrNotFound)
	}
	if q.Programme != "" && len(q.Projects(s.l)) == 0 {
		return nil, fmt.Errorf("programme %q: %w", q.Programme, ErrNotFound)
	}
	if err := q.Validate(); err != nil {
		return nil, &QueryError{Detail: err.Error()}
	}
	doc, ok := report.Compute(name, s.l, q, storyConfig())
	if !ok {
		return nil, fmt.Errorf("no report %q", name)
	}
	rule := disclosure.NHSEngland()
	if r.Header.Get("X-Test-Exact") != "" {
		rule = disclosure.Rule{}
	}
	return report.JSON(doc, rule)
}

// storyActions lists the story's actions; the ledger keeps no owners, so
// each is owned by "Owner of" its id.
type storyActions struct{ l *ledger.Ledger }

func (s storyActions) ProjectActions(_ *http.Request, projectID string, asOf time.Time) ([]ActionItem, error) {
	if s.l.Projects.Get(projectID) == nil {
		return nil, ErrNotFound
	}
	var out []ActionItem
	for id, a := range s.l.Actions.All {
		if a.ProjectID != projectID || !a.Fact.KnownAt(asOf) {
			continue
		}
		it := ActionItem{ID: id, Description: "Action " + id, Owner: "Owner of " + id, DueOn: a.DueOnAt(asOf), State: "open",
			AgreedOn: projections.DateIn(a.Fact.OccurredAt(), projections.DefaultLocation())}
		switch {
		case a.CompletedAt(asOf) != nil:
			it.State, it.CompletedOn = "completed", a.CompletedAt(asOf).CompletedOn
		case a.DroppedAt(asOf):
			it.State = "dropped"
		}
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// now is when the tests look at the story: the end of March 2026.
var now = historytest.Day(31)

func newTestSite(t *testing.T, opts ...Option) (*httptest.Server, *storyReports) {
	t.Helper()
	l := historytest.Story().Ledger()
	rep := &storyReports{l: l, now: now}
	site, err := New(rep, append([]Option{WithClock(func() time.Time { return now }), WithActions(storyActions{l})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, rep
}

func get(t *testing.T, srv *httptest.Server, path string, exact bool) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exact {
		req.Header.Set("X-Test-Exact", "1")
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// text returns the page's text with tags removed and whitespace collapsed,
// so that checks read as a person reads the page.
func text(page string) string {
	// The headings a responsive table repeats in each cell are hidden from
	// screen readers, and left out here.
	s := regexp.MustCompile(`<span class="nhsuk-table__heading" aria-hidden="true">[^<]*</span>`).ReplaceAllString(page, " ")
	s = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(s, " ")
	s = strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func TestPages(t *testing.T) {
	srv, _ := newTestSite(t)
	tests := []pageCase{
		{
			name: "overview of everything", path: "/", exact: true, status: http.StatusOK,
			want: []string{"All programmes", "Letters", "Waiting", "Parking", "People taking part", "New voices",
				"With lived experience", "Effective voices", "Actions overdue", "Loop closed",
				"Amber", "2 actions overdue (amber from 1)", "Effective voices: 3.8 (amber below 5)",
				"Involvement decisions or engagements, but no assessment of the duty to involve (amber)",
				"as the system knew it now (31 March 2026, 11:00)"},
			html: []string{`<strong class="nhsuk-tag nhsuk-tag--red">`, `<strong class="nhsuk-tag nhsuk-tag--orange">`,
				`href="/api/v1/reports/programme?format=csv"`, `href="/projects/p-letters"`,
				`<option value="North">North</option>`, `<option value="South">South</option>`},
			not: []string{"There is a problem", "*"},
		},
		{
			name: "overview of a programme for a month", path: "/?programme=North&from%5Bday%5D=1&from%5Bmonth%5D=3&from%5Byear%5D=2026&to%5Bday%5D=31&to%5Bmonth%5D=3&to%5Byear%5D=2026", exact: true, status: http.StatusOK,
			want: []string{"Programme North", "1 March 2026 to 31 March 2026", "Letters", "Waiting"},
			html: []string{`href="/api/v1/reports/participation?format=csv&amp;from=2026-03-01&amp;programme=North&amp;to=2026-04-01"`,
				`<option value="North" selected>North</option>`, `href="/projects/p-letters?from=2026-03-01&amp;to=2026-04-01"`},
			not: []string{"Parking"},
		},
		{
			name: "overview with a date that is not a date", path: "/?from%5Bday%5D=31&from%5Bmonth%5D=2&from%5Byear%5D=2026&to%5Bday%5D=&to%5Bmonth%5D=4&to%5Byear%5D=2026", status: http.StatusBadRequest,
			want: []string{"There is a problem", "The start of the period must be a real date, like 31 3 2026",
				"The end of the period must include a day"},
			html: []string{`<a href="#from-day">`, `<a href="#to-day">`, `data-module="nhsuk-error-summary"`,
				`<div class="nhsuk-form-group nhsuk-form-group--error">`, `<span class="nhsuk-error-message" id="from-error">`,
				`aria-describedby="from-hint from-error"`, `<input class="nhsuk-input nhsuk-input--error nhsuk-input--width-2 nhsuk-date-input__input" id="from-day" name="from[day]" type="text" value="31"`},
			not: []string{"Headline figures"},
		},
		{
			name: "overview of a programme nobody knows", path: "/?programme=Nowhere", status: http.StatusBadRequest,
			want: []string{"There is a problem", "There is no programme called Nowhere at that time"},
			html: []string{`<a href="#programme">`},
		},
		{
			name: "overview in the future", path: "/?as_of%5Bday%5D=1&as_of%5Bmonth%5D=4&as_of%5Byear%5D=2026", status: http.StatusBadRequest,
			want: []string{"The day the system knew it on must be today or in the past"},
		},
		{
			name: "overview as published", path: "/", status: http.StatusOK,
			want: []string{"Counts are rounded to the nearest 5 and a count from 1 to 7 is shown as *", "* actions overdue (amber from 1)"},
		},
		{
			name: "project", path: "/projects/p-letters", exact: true, status: http.StatusOK,
			want: []string{"North Letters", "Amber", "Who took part", "People taking part", "Voices missing",
				"Nobody from these groups took part: Managers, Commissioners, Partners.",
				"From invitation to attendance", "Invited 5", "Accepted 2", "Came 3",
				"Attendees not named 2", "Anonymous feedback 1",
				"New and returning voices by month", "March 2026 4 0 4", "October 2025 0 0 0",
				"Who was there at each level of involvement", "Co-design 1 1 1 0 0 0 1",
				"Follow-through", "Completed 2", "Overdue 2", "Dropped 1",
				"Overdue actions", "Action a4 Owner of a4 14 March 2026 17", "Action a5 Owner of a5 30 March 2026 1", "Not yet",
				"You said, we did", "wording 2", "We could not do what you asked Budget not approved 10 March 2026 1",
				"action a1 done: a1 15 March 2026 16 March 2026", "action a2 done: a2 24 March 2026 Not yet",
				"Involvement decisions", "Letter template", "From Co-design to Consult", "Legal wording limits the room to move",
				"3 people had taken part in linked engagements, with 2 pieces of feedback on it"},
			html: []string{`role="img" aria-labelledby="roles-chart-title roles-chart-desc"`, `<title id="voices-chart-title">`,
				`href="/api/v1/reports/decisions?format=csv&amp;project=p-letters"`, `href="/projects/p-letters/you-said-we-did"`,
				`<th class="nhsuk-table__header" scope="col">Role</th>`, `<th class="nhsuk-table__header" scope="row">Service users</th>`},
			not: []string{"Tokenism"},
		},
		{
			name: "project as known on the 19th, before Cat said she uses the service", path: "/projects/p-letters?as_of%5Bday%5D=19&as_of%5Bmonth%5D=3&as_of%5Byear%5D=2026", exact: true, status: http.StatusOK,
			want: []string{"as the system knew it the end of 19 March 2026", "Phone line", "Co-produce: tokenism",
				"no engagement linked to it had anyone with lived experience"},
			html: []string{`href="/api/v1/reports/participation?as_of=2026-03-20&amp;format=csv&amp;project=p-letters"`},
		},
		{
			name: "project with a window", path: "/projects/p-letters?from%5Bday%5D=5&from%5Bmonth%5D=3&from%5Byear%5D=2026&to%5Bday%5D=5&to%5Bmonth%5D=3&to%5Byear%5D=2026", exact: true, status: http.StatusOK,
			want: []string{"5 March 2026 to 5 March 2026", "Invited 4", "Accepted 2", "Came 2", "March 2026 3 0 3"},
			not:  []string{"February 2026"},
		},
		{
			name: "project as published", path: "/projects/p-letters", status: http.StatusOK,
			want: []string{"Counts are rounded", "Invited *", "Came *"},
		},
		{
			name: "project with errors in the form", path: "/projects/p-letters?to%5Bday%5D=1&to%5Bmonth%5D=13&to%5Byear%5D=2026", exact: true, status: http.StatusBadRequest,
			want: []string{"There is a problem", "The end of the period must be a real date", "Letters"},
			html: []string{`<a href="#to-day">`},
		},
		{
			name: "project nobody knows", path: "/projects/nope", status: http.StatusNotFound,
			want: []string{"Page not found"},
		},
		{
			name: "you said, we did", path: "/projects/p-letters/you-said-we-did", exact: true, status: http.StatusOK,
			want: []string{"Letters You said, we did", "You said", "wording 2", "print size 1", "tone 1",
				"We decided", "We did what you asked Plain words fit the template", "We did some of what you asked Large print on request",
				"We did", "action a1 done: a1 15 March 2026 16 March 2026", "action a2 done: a2 24 March 2026 Not yet", "Back to the project"},
			html: []string{`href="/projects/p-letters"`},
		},
		{
			name: "you said, we did, of a project without feedback", path: "/projects/p-parking/you-said-we-did", exact: true, status: http.StatusOK,
			want: []string{"Parking You said, we did", "Nobody has given feedback on this project in this period yet."},
		},
	}
	checkPages(t, srv, tests)
}

// pageCase is a page asked for, and what it must and must not say.
type pageCase struct {
	name   string
	path   string
	exact  bool
	status int
	want   []string // in the page's text
	html   []string // in the page's markup
	not    []string // nowhere in the page's text
}

// checkPages asks srv for each page and checks its status, its headers,
// its words and markup, and what every page must have.
func checkPages(t *testing.T, srv *httptest.Server, tests []pageCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, page := get(t, srv, tt.path, tt.exact)
			if status != tt.status {
				t.Errorf("GET %s: status %d, want %d\n%s", tt.path, status, tt.status, text(page))
			}
			if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type %q", tt.path, ct)
			}
			if csp := h.Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
				t.Errorf("GET %s: Content-Security-Policy %q", tt.path, csp)
			}
			body := text(page)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: the page does not say %q; it says:\n%s", tt.path, w, body)
				}
			}
			for _, w := range tt.html {
				if !strings.Contains(page, w) {
					t.Errorf("GET %s: the markup has no %s", tt.path, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("GET %s: the page says %q", tt.path, n)
				}
			}
			checkAccessible(t, tt.path, page)
		})
	}
}

// checkAccessible checks what every page must have: the language, one
// skip link to a main with its id, one h1 and no heading level skipped,
// every table header cell scoped, charts as images with a title and
// description, every field labelled and every fieldset with its legend,
// the CSRF token on every form that posts, and no inline script or style
// anywhere.
func checkAccessible(t *testing.T, path, page string) {
	t.Helper()
	must := []string{`<html lang="en-GB">`, `<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>`,
		`<main class="nhsuk-main-wrapper" id="maincontent">`, `<span class="nhsuk-header__service-name">together</span>`,
		`<footer class="nhsuk-footer" role="contentinfo">`}
	for _, m := range must {
		if !strings.Contains(page, m) {
			t.Errorf("GET %s: no %s", path, m)
		}
	}
	if n := strings.Count(page, "<h1"); n != 1 {
		t.Errorf("GET %s: %d h1 elements, want 1", path, n)
	}
	level := 0
	for _, m := range regexp.MustCompile(`<h([1-6])[ >]`).FindAllStringSubmatch(page, -1) {
		l := int(m[1][0] - '0')
		if l > level+1 && level > 0 {
			t.Errorf("GET %s: heading h%d follows h%d", path, l, level)
		}
		level = l
	}
	for _, th := range regexp.MustCompile(`<th [^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(th, "scope=") {
			t.Errorf("GET %s: a header cell without scope: %s", path, th)
		}
	}
	for _, svg := range regexp.MustCompile(`(?s)<svg [^>]*role="img"[^>]*>.*?</svg>`).FindAllString(page, -1) {
		if !strings.Contains(svg, "<title") || !strings.Contains(svg, "<desc") && !strings.Contains(svg, `class="nhsuk-header__logo"`) {
			t.Errorf("GET %s: a chart without title or description", path)
		}
	}
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`), regexp.MustCompile(`<script>`),
		regexp.MustCompile(`\sstyle=`), regexp.MustCompile(`<style`), regexp.MustCompile(`\son[a-z]+=`)} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("GET %s: inline script or style: %q", path, page[loc[0]:min(len(page), loc[1]+40)])
		}
	}
	// Every field has a label, every group of fields a legend.
	for _, m := range regexp.MustCompile(`<(input|select|textarea) [^>]*>`).FindAllString(page, -1) {
		if strings.Contains(m, `type="hidden"`) {
			continue
		}
		id := regexp.MustCompile(` id="([^"]+)"`).FindStringSubmatch(m)
		if id == nil || !strings.Contains(page, `for="`+id[1]+`"`) {
			t.Errorf("GET %s: a field without a label: %s", path, m)
		}
	}
	for _, fs := range regexp.MustCompile(`(?s)<fieldset[^>]*>\s*(<[a-z]+)`).FindAllStringSubmatch(page, -1) {
		if fs[1] != "<legend" {
			t.Errorf("GET %s: a fieldset that does not start with its legend: %s", path, fs[0])
		}
	}
	// Every form that changes something carries the session's CSRF
	// token, when the page was shown to a session.
	if strings.Contains(page, `name="csrf_token"`) {
		for _, f := range regexp.MustCompile(`(?s)<form [^>]*method="post"[^>]*>.*?</form>`).FindAllString(page, -1) {
			if !strings.Contains(f, `name="csrf_token"`) {
				t.Errorf("GET %s: a form without the CSRF token: %.120s", path, f)
			}
		}
	}
	for _, s := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(s, `src="/static/`) {
			t.Errorf("GET %s: a script not from the site: %s", path, s)
		}
	}
}

func TestStatic(t *testing.T) {
	srv, _ := newTestSite(t)
	_, _, page := get(t, srv, "/", true)
	css := regexp.MustCompile(`href="(/static/[0-9a-f]{12}/nhsuk/nhsuk-frontend.min.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("the overview links no versioned stylesheet")
	}
	version := strings.Split(css[1], "/")[2]
	tests := []struct {
		path, contentType, cache string
		status                   int
		contains                 string
	}{
		{css[1], "text/css; charset=utf-8", "public, max-age=31536000, immutable", 200, "nhsuk-header"},
		{"/static/" + version + "/nhsuk/nhsuk-frontend.min.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200, "initAll"},
		{"/static/" + version + "/together/init.mjs", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200, "initAll()"},
		{"/static/" + version + "/together/js-enabled.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200, "js-enabled"},
		{"/static/" + version + "/nhsuk/assets/images/nhsuk-icon-cross.svg", "image/svg+xml", "public, max-age=31536000, immutable", 200, "<svg"},
		{"/static/" + version + "/nhsuk/assets/manifest.json", "application/manifest+json", "public, max-age=31536000, immutable", 200, "favicon.ico"},
		{"/static/" + version + "/nhsuk/LICENCE.txt", "text/plain; charset=utf-8", "public, max-age=31536000, immutable", 200, "MIT"},
		{"/static/000000000000/nhsuk/nhsuk-frontend.min.css", "text/css; charset=utf-8", "no-cache", 200, "nhsuk-header"},
		{"/static/" + version + "/vendor.sh", "", "", 404, ""},
		{"/static/" + version + "/nhsuk/missing.css", "", "", 404, ""},
		{"/static/" + version + "/../templates/layout.tmpl", "", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, h, body := get(t, srv, tt.path, false)
			if status != tt.status {
				t.Fatalf("GET %s: status %d, want %d", tt.path, status, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if got := h.Get("Content-Type"); got != tt.contentType {
				t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.contentType)
			}
			if got := h.Get("Cache-Control"); got != tt.cache {
				t.Errorf("GET %s: Cache-Control %q, want %q", tt.path, got, tt.cache)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("GET %s: no %q in the file", tt.path, tt.contains)
			}
		})
	}
	// The stylesheet loads nothing from elsewhere: no fonts from an NHS
	// server, which the policy would refuse anyway.
	_, _, body := get(t, srv, css[1], false)
	if strings.Contains(body, "@font-face") || regexp.MustCompile(`url\((https?:|/)`).MatchString(body) {
		t.Errorf("the stylesheet loads something from elsewhere")
	}
}

func TestNew(t *testing.T) {
	rep := &storyReports{l: ledger.New(), now: now}
	tests := []struct {
		name    string
		reports Reports
		opts    []Option
		wantErr error
	}{
		{"defaults", rep, nil, nil},
		{"no reports", nil, nil, ErrInvalidOption},
		{"nil clock", rep, []Option{WithClock(nil)}, ErrInvalidOption},
		{"nil location", rep, []Option{WithLocation(nil)}, ErrInvalidOption},
		{"nil actions", rep, []Option{WithActions(nil)}, ErrInvalidOption},
		{"too many months", rep, []Option{WithMonths(25)}, ErrInvalidOption},
		{"no months", rep, []Option{WithMonths(0)}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.reports, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("New() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestWithoutActionsTheOverdueListIsSaidToBeMissing(t *testing.T) {
	l := historytest.Story().Ledger()
	site, err := New(&storyReports{l: l, now: now}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, _, page := get(t, srv, "/projects/p-letters", true)
	if body := text(page); !strings.Contains(body, "The list of overdue actions with their owners is not available here.") || strings.Contains(body, "Owner of") {
		t.Errorf("the project page without actions says:\n%s", body)
	}
}

func TestAccountInHeader(t *testing.T) {
	srv, _ := newTestSite(t, WithAccount(func(r *http.Request) *HeaderAccount {
		return &HeaderAccount{Items: []AccountItem{
			{Content: Content{Text: "Sarah"}, Href: "/account", Icon: true},
			{Content: Content{Text: "Recorder"}, Icon: true},
			{Content: Content{Text: "Sign out"}, Action: "/sign-out", Fields: map[string]string{"csrf_token": "t0k3n"}},
		}}
	}))
	// An item that is neither a link nor a form is its icon and its text
	// in the item itself, as nhsuk-frontend writes it: the item's flex
	// layout puts the gap between them (a wrapper would join them).
	accountText := `<li class="nhsuk-header__account-item">` + string(icon("user")) + `Recorder`
	_, _, page := get(t, srv, "/", true)
	for _, w := range []string{`<a class="nhsuk-header__account-link" href="/account">`, accountText, `<form class="nhsuk-header__account-form" action="/sign-out" method="post" novalidate>`,
		`<input type="hidden" name="csrf_token" value="t0k3n">`, `<button class="nhsuk-header__account-button">Sign out</button>`} {
		if !strings.Contains(page, w) {
			t.Errorf("the header has no %s", w)
		}
	}
}

var _ = events.Date{}
