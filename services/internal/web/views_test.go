package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
)

func TestReasonText(t *testing.T) {
	row := programmeRow{Overdue: Count{N: 5}, EffectiveVoices: Ratio{V: 1.62}, LivedExperienceShare: Ratio{V: 0.15},
		LoopClosedRate: Ratio{V: 0.2}, TokenismElements: 1}
	tests := []struct {
		name, reason, want string
		row                programmeRow
	}{
		{"overdue", "overdue is at least 3 (red)", "5 actions overdue (red from 3)", row},
		{"one overdue", "overdue is at least 1 (amber)", "1 action overdue (amber from 1)", programmeRow{Overdue: Count{N: 1}}},
		{"overdue hidden", "overdue is at least 1 (amber)", "* actions overdue (amber from 1)", programmeRow{Overdue: Count{Hidden: true}}},
		{"lived experience", "lived_experience_share is below 0.2 (red)", "With lived experience: 15% of participants (red below 20%)", row},
		{"effective voices", "effective_voices is below 2 (red)", "Effective voices: 1.6 (red below 2)", row},
		{"loop closed", "loop_closed_rate is below 0.25 (red)", "Loop closed for 20% of feedback (red below 25%)", row},
		{"tokenism", "tokenism_elements is at least 1 (red)", "1 element sharing power without lived-experience voices (red from 1)", row},
		{"no participation", "no participation recorded (amber)", "No participation recorded (amber)", row},
		{"duty", "involvement decisions or engagements without a duty-to-involve assessment (amber)",
			"Involvement decisions or engagements, but no assessment of the duty to involve (amber)", row},
		{"a reason not known here", "something new is at least 2 (red)", "Something new is at least 2 (red)", row},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reasonText(tt.row, tt.reason); got != tt.want {
				t.Errorf("reasonText(%q) = %q, want %q", tt.reason, got, tt.want)
			}
		})
	}
}

func TestParseFilters(t *testing.T) {
	loc := projections.DefaultLocation()
	now := time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)
	date := func(prefix, d, m, y string) url.Values {
		return url.Values{prefix + "[day]": {d}, prefix + "[month]": {m}, prefix + "[year]": {y}}
	}
	merge := func(vs ...url.Values) url.Values {
		out := url.Values{}
		for _, v := range vs {
			for k, x := range v {
				out[k] = x
			}
		}
		return out
	}
	tests := []struct {
		name      string
		in        url.Values
		wantQuery string
		wantErrs  []string // hrefs
		window    string
	}{
		{"nothing", url.Values{}, "", nil, "all time"},
		{"programme", url.Values{"programme": {" North "}}, "programme=North", nil, "all time"},
		{"a month, to inclusive", merge(date("from", "1", "3", "2026"), date("to", "31", "3", "2026")), "from=2026-03-01&to=2026-04-01", nil, "1 March 2026 to 31 March 2026"},
		{"as of yesterday means its end", date("as_of", "30", "3", "2026"), "as_of=2026-03-31", nil, "all time"},
		{"as of today is now", date("as_of", "31", "3", "2026"), "", nil, "all time"},
		{"as of tomorrow", date("as_of", "1", "4", "2026"), "", []string{"#as_of-day"}, ""},
		{"not a day", date("from", "30", "2", "2026"), "", []string{"#from-day"}, ""},
		{"no month", date("to", "3", "", "2026"), "", []string{"#to-month"}, ""},
		{"short year", date("to", "3", "4", "26"), "", []string{"#to-year"}, ""},
		{"letters", date("from", "x", "4", "2026"), "", []string{"#from-day"}, ""},
		{"before 1990", date("from", "1", "1", "1989"), "", []string{"#from-day"}, ""},
		{"end before start", merge(date("from", "2", "3", "2026"), date("to", "1", "3", "2026")), "", []string{"#to-day"}, ""},
		{"same day", merge(date("from", "2", "3", "2026"), date("to", "2", "3", "2026")), "from=2026-03-02&to=2026-03-03", nil, "2 March 2026 to 2 March 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parseFilters(tt.in, loc, now)
			var hrefs []string
			for _, e := range f.Errors {
				hrefs = append(hrefs, e.Href)
			}
			if strings.Join(hrefs, " ") != strings.Join(tt.wantErrs, " ") {
				t.Fatalf("parseFilters(%v) errors %v, want %v", tt.in, f.Errors, tt.wantErrs)
			}
			if len(tt.wantErrs) > 0 {
				if f.Query != nil || f.Summary() == nil {
					t.Errorf("parseFilters(%v) with errors has query %v and summary %v", tt.in, f.Query, f.Summary())
				}
				return
			}
			if got := f.Query.Encode(); got != tt.wantQuery {
				t.Errorf("parseFilters(%v) query %q, want %q", tt.in, got, tt.wantQuery)
			}
			if got := f.Window(); got != tt.window {
				t.Errorf("parseFilters(%v) window %q, want %q", tt.in, got, tt.window)
			}
		})
	}
}

func TestCountAndRatioDecode(t *testing.T) {
	var doc struct {
		A, B Count
		C, D Ratio
		E    Ratio
	}
	if err := json.Unmarshal([]byte(`{"A":12,"B":"*","C":0.25,"D":"*","E":null}`), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want string }{
		{doc.A.String(), "12"}, {doc.B.String(), "*"}, {doc.C.Percent(), "25%"}, {doc.D.Percent(), "*"}, {doc.E.Percent(), "none"},
		{doc.C.Number(), "0.2"}, {Ratio{V: 4.76}.Number(), "4.8"}, {Ratio{V: 3}.Number(), "3"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for _, bad := range []string{`"x"`, `true`, `{}`, `1.5`} {
		var c Count
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("Count.UnmarshalJSON(%s) = nil error", bad)
		}
	}
}

func FuzzCountAndRatio(f *testing.F) {
	for _, s := range []string{`0`, `12`, `"*"`, `null`, `0.25`, `"x"`, `-1`, `1e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Count
		if c.UnmarshalJSON(b) == nil {
			// A count read back from what it writes is the same count.
			var again Count
			s := c.String()
			if s != "*" {
				if err := again.UnmarshalJSON([]byte(s)); err != nil || again != c {
					t.Fatalf("Count %s → %q → %v, %v", b, s, again, err)
				}
			}
		}
		var r Ratio
		if r.UnmarshalJSON(b) == nil {
			_ = r.Percent() + r.Number()
		}
	})
}

func FuzzParseFilters(f *testing.F) {
	f.Add("North", "1", "3", "2026", "31", "3", "2026", "")
	f.Add("", "30", "2", "2026", "", "x", "", "31")
	loc := projections.DefaultLocation()
	now := time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, programme, fd, fm, fy, td, tm, ty, ad string) {
		v := url.Values{"programme": {programme}, "from[day]": {fd}, "from[month]": {fm}, "from[year]": {fy},
			"to[day]": {td}, "to[month]": {tm}, "to[year]": {ty}, "as_of[day]": {ad}}
		flt := parseFilters(v, loc, now)
		if (len(flt.Errors) == 0) != (flt.Query != nil) {
			t.Fatalf("parseFilters(%v): errors %v with query %v", v, flt.Errors, flt.Query)
		}
		for _, e := range flt.Errors {
			if !strings.HasPrefix(e.Href, "#") || e.Text == "" {
				t.Fatalf("parseFilters(%v): error %+v links nowhere or says nothing", v, e)
			}
		}
		if flt.Query != nil {
			for _, key := range []string{"from", "to", "as_of"} {
				if raw := flt.Query.Get(key); raw != "" {
					if _, err := projections.ParseMoment(raw); err != nil {
						t.Fatalf("parseFilters(%v): %s=%q the API would refuse: %v", v, key, raw, err)
					}
				}
			}
		}
		_ = flt.Window()
	})
}

func TestHandlerReports(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/reports/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "session=s" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		switch r.URL.Query().Get("project") {
		case "missing":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"detail":"no project \"missing\""}`))
		case "bad":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"detail":"from must be before to"}`))
		case "broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte(`{"report":"` + r.PathValue("name") + `","query":"` + r.URL.RawQuery + `"}`))
		}
	})
	hr := HandlerReports(mux)
	page := httptest.NewRequest(http.MethodGet, "/projects/p?x=1", nil)
	page.Header.Set("Cookie", "session=s")
	b, err := hr.Report(page, "participation", url.Values{"project": {"p"}, "from": {"2026-03-01"}})
	if err != nil || string(b) != `{"report":"participation","query":"from=2026-03-01&project=p"}` {
		t.Errorf("Report = %s, %v", b, err)
	}
	if _, err := hr.Report(page, "participation", url.Values{"project": {"missing"}}); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `no project "missing"`) {
		t.Errorf("Report(missing) error = %v, want ErrNotFound with the detail", err)
	}
	var qe *QueryError
	if _, err := hr.Report(page, "participation", url.Values{"project": {"bad"}}); !errors.As(err, &qe) || qe.Detail != "from must be before to" {
		t.Errorf("Report(bad) error = %v, want a QueryError", err)
	}
	if _, err := hr.Report(page, "participation", url.Values{"project": {"broken"}}); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Report(broken) error = %v", err)
	}
}

func TestOverdueTable(t *testing.T) {
	d := func(s string) events.Date {
		v, err := events.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	actions := []ActionItem{
		{ID: "late", Description: "Late", Owner: "Ann", AgreedOn: d("2026-03-02"), DueOn: d("2026-03-10"), State: "open"},
		{ID: "later", Description: "Later", Owner: "Ben", AgreedOn: d("2026-03-02"), DueOn: d("2026-03-05"), State: "open"},
		{ID: "today", Description: "Due today", AgreedOn: d("2026-03-02"), DueOn: d("2026-03-31"), State: "open"},
		{ID: "done", Description: "Done", AgreedOn: d("2026-03-02"), DueOn: d("2026-03-05"), State: "completed"},
		{ID: "old", Description: "Agreed before the period", AgreedOn: d("2026-02-02"), DueOn: d("2026-02-05"), State: "open"},
	}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tbl := overdueTable(actions, d("2026-03-31"), from, time.Time{})
	var got []string
	for _, r := range tbl.Rows {
		got = append(got, r[0].Text+" "+r[1].Text+" "+r[2].Text+" "+r[3].Text)
	}
	want := []string{"Later Ben 5 March 2026 26", "Late Ann 10 March 2026 21"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("overdueTable rows %q, want %q", got, want)
	}
}

func TestBarChart(t *testing.T) {
	c := countBars("c", "Title", "Desc", []string{"a", "b", "c"}, []Count{{N: 10}, {N: 5}, {Hidden: true}})
	if len(c.Rows) != 3 || c.Rows[0].Segments[0].W != chartBarWidth || c.Rows[1].Segments[0].W != chartBarWidth/2 {
		t.Fatalf("bars %+v: want the largest full width and half for half", c.Rows)
	}
	if len(c.Rows[2].Segments) != 0 || c.Rows[2].Value != "*" {
		t.Errorf("a hidden count draws %+v and says %q; want no bar and *", c.Rows[2].Segments, c.Rows[2].Value)
	}
	empty := countBars("e", "T", "D", []string{"a"}, []Count{{N: 0}})
	if len(empty.Rows[0].Segments) != 0 {
		t.Errorf("a zero draws %+v", empty.Rows[0].Segments)
	}
}
