package reports_test

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

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/services/internal/problem"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/reports/reportstest"
)

// Ids of the history the HTTP tests serve (the runner, like the
// recorder, takes only valid ids).
var (
	letters = uuid.NewString()
	ann     = uuid.NewString()
	ben     = uuid.NewString()
	w1      = uuid.NewString()
)

// history is programme North's "Letters": Ann and Ben came to w1 on the
// 5th, and five actions were agreed on the 6th.
func history() *historytest.Builder {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project(letters, "North", "Letters").
		Stakeholder(ann, events.RoleServiceUser).Stakeholder(ben, events.RoleCarer).
		Plan(w1, letters, events.LevelConsult, "workshop")
	b.At(historytest.Day(5)).Hold(w1, 0, ann, ben)
	b.At(historytest.Day(6))
	for range 5 {
		b.Agree(uuid.NewString(), letters, historytest.Day(20))
	}
	return b
}

// serve runs the reports over [history] on a test server (127.0.0.1).
func serve(t *testing.T, opts ...reports.Option) *httptest.Server {
	t.Helper()
	_, runner := reportstest.Over(t, history().Events)
	return serveOver(t, runner, opts...)
}

// serveOver runs the reports of runner on a test server (127.0.0.1),
// its clock on the 31st unless opts set another.
func serveOver(t *testing.T, runner *reports.Runner, opts ...reports.Option) *httptest.Server {
	t.Helper()
	_, srv := serviceOver(t, runner, opts...)
	return srv
}

// serviceOver is serveOver with the service it serves.
func serviceOver(t *testing.T, runner *reports.Runner, opts ...reports.Option) (*reports.Service, *httptest.Server) {
	t.Helper()
	now := func() time.Time { return historytest.Day(31) }
	svc, err := reports.New(runner, append([]reports.Option{reports.WithClock(now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return svc, srv
}

func get(t *testing.T, srv *httptest.Server, path string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// By default every caller gets suppressed counts; a caller the wiring
// allows exact counts gets them.
func TestCountsAreSuppressedUnlessAllowed(t *testing.T) {
	path := "/api/v1/reports/follow-through?project=" + letters
	for _, tt := range []struct {
		name       string
		opts       []reports.Option
		counts     string
		agreed     any
		csvAgreed  string
		allowedHdr bool
	}{
		{"default: suppressed", nil, "suppressed: 1 to 7 shown as *, others rounded to the nearest 5", "*", "agreed,*", false},
		{"allowed: exact", []reports.Option{reports.WithExactCounts(func(r *http.Request) bool { return r.Header.Get("X-Test-Exact") == "yes" })},
			"exact", 5.0, "agreed,5", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.opts...)
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			if tt.allowedHdr {
				req.Header.Set("X-Test-Exact", "yes")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err != nil || doc["counts"] != tt.counts || doc["agreed"] != tt.agreed {
				t.Errorf("GET %s = counts %v, agreed %v (%v); want %q, %v", path, doc["counts"], doc["agreed"], err, tt.counts, tt.agreed)
			}
			req, _ = http.NewRequest(http.MethodGet, srv.URL+path+"&format=csv", nil)
			if tt.allowedHdr {
				req.Header.Set("X-Test-Exact", "yes")
			}
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), tt.csvAgreed+"\r\n") {
				t.Errorf("CSV lacks %q:\n%s", tt.csvAgreed, body)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	srv := serve(t)
	for _, tt := range []struct {
		query  string
		status int
		detail string
		field  string
	}{
		{"/api/v1/reports/breadth", 404, "there are participation, follow-through, decisions, programme, duty, influence, representativeness, reach, reciprocity", ""},
		{"/api/v1/reports/participation?programme=Nort", 404, `no programme "Nort" as of 2026-03-31T11:00:00+01:00; the closest known: "North"`, ""},
		{"/api/v1/reports/participation?project=Letters", 404, `the closest known: "Letters (` + letters + `)"`, ""},
		{"/api/v1/reports/participation?project=" + letters + "&as_of=2026-01-01", 404, "no project " + letters + " as of 2026-01-01", ""},
		{"/api/v1/reports/participation?programme=north&as_of=2026-01-01", 404, `no programme "north" as of 2026-01-01`, ""},
		{"/api/v1/reports/participation?from=2026-12-01T00:00", 400, `from must be a date like 2026-03-31 or an RFC 3339 time like 2026-03-31T09:00:00Z; "2026-12-01T00:00" is neither`, "from"},
		{"/api/v1/reports/participation?to=31/03/2026", 400, "to must be a date like 2026-03-31", "to"},
		{"/api/v1/reports/participation?as_of=yesterday", 400, "as_of must be a date like", "as_of"},
		{"/api/v1/reports/participation?as_of=2999-01-01", 400, "in the future", "as_of"},
		{"/api/v1/reports/participation?from=2026-03-10&to=2026-03-01", 400, "must be before to", "to"},
		{"/api/v1/reports/participation?project=" + letters + "&programme=North", 400, "not both", "project"},
		{"/api/v1/reports/participation?format=xlsx", 400, "format must be json or csv", "format"},
		{"/api/v1/reports/participation?colour=red", 400, "unknown parameter", "colour"},
		{"/api/v1/reports/participation?from=2026-03-01&from=2026-03-02", 400, "once", "from"},
		{"/api/v1/reports/participation?min_position=abc", 400, "min_position must be", "min_position"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			status, hdr, body := get(t, srv, tt.query)
			var p problem.Details
			if err := json.Unmarshal(body, &p); err != nil || status != tt.status || hdr.Get("Content-Type") != problem.ContentType || !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("GET %s = %d %s, want %d problem mentioning %q", tt.query, status, body, tt.status, tt.detail)
			}
			if tt.status == 400 && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
				t.Errorf("GET %s errors = %+v, want one naming %q", tt.query, p.Errors, tt.field)
			}
		})
	}
}

// A programme answers to its name in any case, and the report echoes the
// name as registered.
func TestProgrammeNamesIgnoreCase(t *testing.T) {
	srv := serve(t, reports.WithExactCounts(func(*http.Request) bool { return true }))
	status, _, body := get(t, srv, "/api/v1/reports/participation?programme="+url.QueryEscape(" nORTH "))
	var doc struct {
		Scope        struct{ Programme string }
		Participants int
	}
	if err := json.Unmarshal(body, &doc); err != nil || status != 200 || doc.Scope.Programme != "North" || doc.Participants != 2 {
		t.Errorf("GET programme= nORTH = %d %s, want North's 2 participants", status, body)
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []reports.Option{reports.WithLocation(nil), reports.WithExactCounts(nil), reports.WithClock(nil)} {
		if _, err := reports.New(nil, o); err == nil {
			t.Error("New accepted an invalid option")
		}
	}
}

// A report asked again over a scope in which nothing changed is answered
// from the memo, and one asked after an event in its scope is computed
// again and says so.
func TestAReportIsKeptUntilItsScopeChanges(t *testing.T) {
	b := history()
	first := len(b.Events)
	cal, w2 := uuid.NewString(), uuid.NewString()
	b.At(historytest.Day(7)).Stakeholder(cal, events.RolePublic).Plan(w2, letters, events.LevelConsult, "workshop")
	b.At(historytest.Day(8)).Hold(w2, 0, cal)
	store, runner := reportstest.Over(t, b.Events[:first])
	reg := prometheus.NewRegistry()
	srv := serveOver(t, runner, reports.WithExactCounts(func(*http.Request) bool { return true }), reports.WithReportMetrics(reg))

	participants := func(minPosition int) int {
		t.Helper()
		status, _, body := get(t, srv, "/api/v1/reports/programme?min_position="+strconv.Itoa(minPosition))
		var r struct {
			Position uint64 `json:"position"`
			Projects []struct {
				Participants int `json:"participants"`
			} `json:"projects"`
		}
		if err := json.Unmarshal(body, &r); status != 200 || err != nil || len(r.Projects) != 1 {
			t.Fatalf("programme view: %d %s (%v)", status, body, err)
		}
		if r.Position < uint64(minPosition) {
			t.Fatalf("programme view at position %d, asked for %d", r.Position, minPosition)
		}
		return r.Projects[0].Participants
	}

	if got := participants(first); got != 2 {
		t.Fatalf("participants %d, want Ann and Ben", got)
	}
	if got := participants(first); got != 2 {
		t.Fatalf("participants asked again %d, want 2", got)
	}
	if kept, computed := memoCounts(t, reg); kept != 1 || computed != 1 {
		t.Fatalf("memo kept %v and computed %v, want the second asking kept", kept, computed)
	}
	reportstest.AppendAll(t, store, b.Events[first:])
	if got := participants(len(b.Events)); got != 3 {
		t.Fatalf("participants after Cal came %d, want 3", got)
	}
	if kept, computed := memoCounts(t, reg); kept != 1 || computed != 2 {
		t.Fatalf("memo kept %v and computed %v, want the view after Cal came computed", kept, computed)
	}
}

// A report the memo keeps for its scope's revision is answered at once,
// even while heavy reports hold every turn; one that must be computed
// waits for its turn.
func TestAKeptReportDoesNotWaitForATurn(t *testing.T) {
	b := history()
	first := len(b.Events)
	b.At(historytest.Day(7)).Plan(uuid.NewString(), letters, events.LevelConsult, "workshop")
	store, runner := reportstest.Over(t, b.Events[:first])
	svc, srv := serviceOver(t, runner)
	ask := func(minPosition int, wait time.Duration) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/reports/participation?min_position="+strconv.Itoa(minPosition), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0 // the wait ran out
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if got := ask(first, time.Minute); got != http.StatusOK {
		t.Fatalf("participation: %d", got)
	}
	giveBack := reports.TakeEveryTurn(svc, participation.Name)
	// The guard only ends a request that waits; answered at once, it
	// meets none.
	if got := ask(first, time.Minute); got != http.StatusOK {
		t.Fatalf("participation kept, with every turn taken: %d, want 200 at once", got)
	}
	// An engagement planned in Letters changes the scope: the report at
	// the new head must be computed, in its turn.
	reportstest.AppendAll(t, store, b.Events[first:])
	if got := ask(len(b.Events), 200*time.Millisecond); got == http.StatusOK {
		t.Fatalf("participation after a change, with every turn taken: 200, want it to wait")
	}
	giveBack()
	if got := ask(len(b.Events), time.Minute); got != http.StatusOK {
		t.Fatalf("participation once the turns were given back: %d", got)
	}
}

// TestAReportAsOfNowCountsWhatItReads: a report asked for without as_of
// is as of the moment it is read, and counts every event of the version it
// reads, even one recorded after the request came (here by a clock ahead
// of the reports' own): Cal, who came to w2 on the 8th, is counted though
// the reports' clock reads the 6th. Asked again, it is kept.
func TestAReportAsOfNowCountsWhatItReads(t *testing.T) {
	b := history()
	cal, w2 := uuid.NewString(), uuid.NewString()
	b.At(historytest.Day(7)).Stakeholder(cal, events.RolePublic).Plan(w2, letters, events.LevelConsult, "workshop")
	b.At(historytest.Day(8)).Hold(w2, 0, cal)
	_, runner := reportstest.Over(t, b.Events)
	reg := prometheus.NewRegistry()
	srv := serveOver(t, runner, reports.WithClock(func() time.Time { return historytest.Day(6) }),
		reports.WithExactCounts(func(*http.Request) bool { return true }), reports.WithReportMetrics(reg))

	for range 2 {
		status, _, body := get(t, srv, "/api/v1/reports/participation?min_position="+strconv.Itoa(len(b.Events)))
		var r struct {
			AsOf         time.Time `json:"as_of"`
			Participants int       `json:"participants"`
		}
		if err := json.Unmarshal(body, &r); status != 200 || err != nil {
			t.Fatalf("participation: %d %s (%v)", status, body, err)
		}
		if r.Participants != 3 || !r.AsOf.Equal(historytest.Day(8)) {
			t.Errorf("participants %d as of %s, want 3 (Ann, Ben and Cal) as of the 8th", r.Participants, r.AsOf)
		}
	}
	if kept, _ := memoCounts(t, reg); kept != 1 {
		t.Errorf("memo kept %v, want the second asking kept", kept)
	}
}

// memoCounts returns how many reports the memo answered as kept and as
// computed, from the metrics registered with reg.
func memoCounts(t *testing.T, reg *prometheus.Registry) (kept, computed float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if f.GetName() == "together_reports_memo_total" {
				if m.GetLabel()[0].GetValue() == "kept" {
					kept = m.GetCounter().GetValue()
				} else {
					computed = m.GetCounter().GetValue()
				}
			}
		}
	}
	return kept, computed
}
