package importapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/importer"
	"github.com/together-coop/together/services/internal/importer/importapi"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/reports/reportstest"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// today is the clock of the whole world of these tests.
var today = time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)

// keys seals by keeping the text as it is: these tests are about what is
// recorded, not about encryption (package keyring is).
type keys struct{}

func (keys) Seal(_ context.Context, id string, plain []byte) (stakeholder.Sealed, error) {
	return stakeholder.Sealed{KeyID: "key-" + id, Nonce: []byte{1}, Ciphertext: bytes.Clone(plain)}, nil
}
func (keys) Open(_ context.Context, _ string, s stakeholder.Sealed) ([]byte, error) {
	return s.Ciphertext, nil
}
func (keys) Destroy(context.Context, string) error { return nil }

// world is the command services and the reads over one store, served in
// process as the web page serves them.
type world struct {
	t      *testing.T
	store  *memstore.Store
	runner *reports.Runner
	mux    *http.ServeMux
}

func newWorld(t *testing.T) *world {
	t.Helper()
	store := memstore.New()
	clock := func() time.Time { return today }
	x, err := command.NewExecutor(store, catalogue.New(), command.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	runner := reportstest.Run(t, store)
	// The reads know what the store recorded, by the time it did.
	reads, err := browse.New(runner)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, s := range []interface{ Routes(*http.ServeMux) }{projects.New(x), stakeholders.New(x, keys{}),
		engagements.New(x, engagements.WithSealer(keys{})), reads} {
		s.Routes(mux)
	}
	return &world{t: t, store: store, runner: runner, mux: mux}
}

// post sends a command and returns the id it answers.
func (w *world) post(path, body string) string {
	w.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w.mux.ServeHTTP(rec, req)
	var res command.Result
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.ID == "" {
		w.t.Fatalf("POST %s = %d %s", path, rec.Code, rec.Body)
	}
	return res.ID
}

// head returns the store's position, after the reads caught up with it.
func (w *world) head() uint64 {
	w.t.Helper()
	h, err := w.store.Head(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.runner.WaitFor(ctx, h); err != nil {
		w.t.Fatal(err)
	}
	return h
}

func (w *world) client(opts ...importapi.Option) *importapi.Client {
	w.t.Helper()
	c, err := importapi.New(importapi.Handler(w.mux), append([]importapi.Option{importapi.WithClock(func() time.Time { return today })}, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func parse(t *testing.T, kind importer.Kind, text string) *importer.File {
	t.Helper()
	f, err := importer.Parse(kind, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// statuses lists each item's first row and status.
func statuses(r *importapi.Review) map[int]importapi.Status {
	out := map[int]importapi.Status{}
	for _, it := range r.Items {
		out[it.Rows[0]] = it.Status
	}
	return out
}

const people = "name,contact,roles,current_experience,recruitment_channel\n" +
	"Ann Lee,ann@example.org,service_user,yes,advert\n" +
	"Ben Ode,,\"carer, public\",no,word_of_mouth\n" +
	"Cat Roe,0191 000 0000,frontline_staff,no,staff_referral\n"

func TestStakeholders(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	ctx := context.Background()

	// A row with a problem: the review says so, and approving records
	// nothing at all.
	broken := parse(t, importer.Stakeholders, strings.Replace(people, "staff_referral", "poster", 1))
	rev, err := c.Review(ctx, broken)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rev.Summary(), "2 new, 0 already recorded, 1 row with problems"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	before := w.head()
	if _, err := c.Approve(ctx, broken); !errors.Is(err, importapi.ErrProblems) {
		t.Fatalf("Approve with a problem = %v, want ErrProblems", err)
	}
	if after := w.head(); after != before {
		t.Fatalf("Approve with a problem recorded %d events", after-before)
	}

	f := parse(t, importer.Stakeholders, people)
	rev, err = c.Review(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rev.Summary(), "3 new, 0 already recorded, 0 rows with problems"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if after := w.head(); after != before {
		t.Fatalf("a review recorded %d events", after-before)
	}
	done, err := c.Approve(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int]importapi.Status{2: importapi.StatusRecorded, 3: importapi.StatusRecorded, 4: importapi.StatusRecorded}, statuses(done)); diff != "" {
		t.Errorf("statuses after approving (-want +got):\n%s", diff)
	}
	recorded := w.head()
	if recorded != before+3 {
		t.Fatalf("approving recorded %d events, want 3", recorded-before)
	}
	// Each was recorded under the id the review named, with the row's
	// details.
	for i, it := range done.Items {
		rec := httptest.NewRecorder()
		w.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/stakeholders/"+it.ID, nil))
		var got struct {
			Name    string `json:"name"`
			Contact string `json:"contact"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &got)
		if want := f.Stakeholders[i]; rec.Code != http.StatusOK || got.Name != want.Name || got.Contact != want.Contact {
			t.Errorf("stakeholder %s of row %d = %d %s, want %s", it.ID, it.Rows[0], rec.Code, rec.Body, want.Name)
		}
	}

	// The same file again, saved again with a byte-order mark and CRLF:
	// everything already recorded, and approving records nothing.
	again := parse(t, importer.Stakeholders, "\ufeff"+strings.ReplaceAll(people, "\n", "\r\n"))
	rev, err = c.Review(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rev.Summary(), "0 new, 3 already recorded, 0 rows with problems"; got != want {
		t.Errorf("Summary() of the same file = %q, want %q", got, want)
	}
	// An approval that started before the first finished meets the keys
	// in the store rather than in its review: still nothing twice.
	if _, err := c.Approve(ctx, again); err != nil {
		t.Fatal(err)
	}
	if after := w.head(); after != recorded {
		t.Fatalf("importing the same file again recorded %d events", after-recorded)
	}
}

func TestAttendance(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	ctx := context.Background()
	project := w.post("/api/v1/projects", `{"programme":"North","name":"Letters","aim":"Clear letters","lead":"Sam"}`)
	plan := `{"project_id":"` + project + `","title":"Workshop","method":"workshop","level":"consult","scheduled_for":"2026-04-01T10:00:00Z"}`
	e1, e2, cancelled := w.post("/api/v1/engagements", plan), w.post("/api/v1/engagements", plan), w.post("/api/v1/engagements", plan)
	w.post("/api/v1/engagements/"+cancelled+"/cancel", `{"reason":"room flooded"}`)
	ps, err := c.Approve(ctx, parse(t, importer.Stakeholders, people))
	if err != nil {
		t.Fatal(err)
	}
	ann, ben := ps.Items[0].ID, ps.Items[1].ID
	const unknown = "019a0000-0000-7000-8000-0000000000ff"
	header := "engagement_id,held_on,stakeholder_id,unnamed_attendees\n"

	broken := parse(t, importer.Attendance, header+
		e1+",2026-04-02,"+ann+",\n"+e1+",2026-04-02,"+unknown+",\n"+
		cancelled+",2026-04-02,"+ben+",\n"+
		e2+",2026-05-01,"+ben+",\n")
	before := w.head()
	rev, err := c.Review(ctx, broken)
	if err != nil {
		t.Fatal(err)
	}
	want := []importer.Problem{
		{Row: 2, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on other rows"},
		{Row: 3, Column: "stakeholder_id", Message: "there is no stakeholder " + unknown},
		{Row: 4, Column: "engagement_id", Message: "engagement " + cancelled + " was cancelled"},
		{Row: 5, Column: "held_on", Message: "2026-05-01 is in the future; import an engagement's attendance once it was held"},
	}
	if diff := cmp.Diff(want, rev.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if _, err := c.Approve(ctx, broken); !errors.Is(err, importapi.ErrProblems) {
		t.Fatalf("Approve with problems = %v, want ErrProblems", err)
	}
	if after := w.head(); after != before {
		t.Fatalf("Approve with problems recorded %d events", after-before)
	}

	register := header + e1 + ",02/04/2026," + ann + ",\n" + e1 + ",2026-04-02," + ben + ",3\n" + e2 + ",2026-04-03,,7\n"
	done, err := c.Approve(ctx, parse(t, importer.Attendance, register))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := done.Summary(), "2 recorded, 0 already recorded, 0 rows with problems"; got != want {
		t.Errorf("Summary() after approving = %q, want %q", got, want)
	}
	recorded := w.head()
	rec := httptest.NewRecorder()
	w.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/engagements/"+e1, nil))
	var en struct {
		Status      string   `json:"status"`
		AttendeeIDs []string `json:"attendee_ids"`
		Counts      struct {
			Unnamed int `json:"unnamed_attendees"`
		} `json:"counts"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &en)
	if en.Status != "held" || !cmp.Equal(en.AttendeeIDs, []string{ann, ben}) || en.Counts.Unnamed != 3 {
		t.Errorf("engagement after the import = %s", rec.Body)
	}

	// The same register again is already recorded; a different register
	// for a held engagement is a problem, not a change.
	rev, err = c.Review(ctx, parse(t, importer.Attendance, register))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rev.Summary(), "0 new, 2 already recorded, 0 rows with problems"; got != want {
		t.Errorf("Summary() of the same register = %q, want %q", got, want)
	}
	if _, err := c.Approve(ctx, parse(t, importer.Attendance, register)); err != nil {
		t.Fatal(err)
	}
	other, err := c.Review(ctx, parse(t, importer.Attendance, header+e2+",2026-04-03,,8\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(other.Problems) != 1 || !strings.Contains(other.Problems[0].Message, "already recorded as held on 2026-04-03 with 0 named and 7 unnamed attendees") {
		t.Errorf("problems of another register for a held engagement = %v", other.Problems)
	}
	if after := w.head(); after != recorded {
		t.Fatalf("importing the same register again recorded %d events", after-recorded)
	}
}

// TestCommandRefusal covers an item the review found new and its command
// refused: another change came between the review and the approval.
func TestCommandRefusal(t *testing.T) {
	w := newWorld(t)
	project := w.post("/api/v1/projects", `{"programme":"North","name":"Letters","aim":"Clear letters","lead":"Sam"}`)
	e1 := w.post("/api/v1/engagements", `{"project_id":"`+project+`","title":"Workshop","method":"workshop","level":"consult","scheduled_for":"2026-04-01T10:00:00Z"}`)
	w.head()
	// The reads lag: the engagement is cancelled after the review's read
	// would have seen it planned.
	lagging := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.post("/api/v1/engagements/"+e1+"/cancel", `{"reason":"room flooded"}`)
		}
		w.mux.ServeHTTP(rw, r)
	})
	c, err := importapi.New(importapi.Handler(lagging), importapi.WithClock(func() time.Time { return today }))
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.Approve(context.Background(), parse(t, importer.Attendance, "engagement_id,held_on,unnamed_attendees\n"+e1+",2026-04-02,4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if done.Items[0].Status != importapi.StatusProblem || len(done.Problems) != 1 || !strings.Contains(done.Problems[0].Message, "not recorded: ") {
		t.Errorf("review after a refused command = %+v, problems %v", done.Items, done.Problems)
	}
}

// down answers every request as a store that is unavailable.
type down struct{}

func (down) Do(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"status":503,"detail":"the event store is unavailable; retry with the same Idempotency-Key"}`))}, nil
}

func TestAPIFailure(t *testing.T) {
	c, err := importapi.New(down{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Review(context.Background(), parse(t, importer.Stakeholders, people))
	if !errors.Is(err, importapi.ErrAPI) || !strings.Contains(err.Error(), "event store is unavailable") {
		t.Errorf("Review against an API that is down = %v, want ErrAPI with its detail", err)
	}
}

func TestOptions(t *testing.T) {
	for name, opt := range map[string]importapi.Option{
		"a base URL without a host": importapi.WithBaseURL("http:///x"),
		"a base URL not HTTP":       importapi.WithBaseURL("ftp://127.0.0.1"),
		"no clock":                  importapi.WithClock(nil),
		"no concurrency":            importapi.WithConcurrency(0),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := importapi.New(down{}, opt); !errors.Is(err, importapi.ErrInvalidOption) {
				t.Errorf("New = %v, want ErrInvalidOption", err)
			}
		})
	}
}
