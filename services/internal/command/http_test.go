package command

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/problem"
)

type createBody struct {
	Common
	project.Registered
}

type elementBody struct {
	Common
	Name string `json:"name"`
}

// server serves two commands on the parts aggregate: one that creates a
// project, one that adds an element to it.
type server struct {
	store   Store
	mux     *http.ServeMux
	metrics *prometheus.Registry
}

func newServer(t *testing.T, store Store, opts ...Option) *server {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	x := newExecutor(t, store, append(opts, WithMetrics(reg))...)
	mux := http.NewServeMux()
	mux.Handle("POST /projects", Handler(x, http.StatusCreated, func(ctx context.Context, _ *http.Request, b *createBody, meta Meta) (Result, error) {
		return partsAggregate.Create(ctx, x, meta, func(s parts) ([]events.Payload, error) {
			if s.Registered {
				return nil, Rejectf(ErrConflict, "registered already")
			}
			return []events.Payload{&b.Registered}, nil
		})
	}))
	mux.Handle("POST /projects/{id}/elements", OnPath(x, partsAggregate, http.StatusOK, func(_ *http.Request, b *elementBody, s parts) ([]events.Payload, error) {
		if !s.Registered {
			return nil, Rejectf(ErrNotFound, "no such project")
		}
		if slices.Contains(s.Names, b.Name) {
			return nil, Rejectf(ErrConflict, "the project has an element %q already", b.Name)
		}
		return []events.Payload{element(b.Name)}, nil
	}))
	return &server{store: store, mux: mux, metrics: reg}
}

const registerJSON = `{"programme":"South Tyneside","name":"Waiting areas","aim":"Calm","lead":"Sarah"}`

// post sends body to path as JSON with the headers given as name, value
// pairs; a Content-Type among them replaces the JSON one ("" drops it).
// testIdentity is the header the test server takes the signed-in identity
// from.
const testIdentity = "Test-Identity"

func (s *server) post(path, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			r.Header.Del(headers[i])
			continue
		}
		r.Header.Set(headers[i], headers[i+1])
	}
	// A stand-in for the sign-in in front: the test header names who is
	// signed in.
	if id := r.Header.Get(testIdentity); id != "" {
		r = r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{ID: id, Role: auth.Recorder}))
	}
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, r)
	return w
}

// head returns the position of the last stored event.
func (s *server) head(t *testing.T) uint64 {
	t.Helper()
	h, err := s.store.(events.Store).Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// result checks a command's answer and returns it.
func result(t *testing.T, w *httptest.ResponseRecorder, status int) Result {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var res Result
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("answer %s: %v", w.Body, err)
	}
	if len(res.EventIDs) == 0 || res.Position == 0 || res.StreamVersion == 0 {
		t.Errorf("answer %+v, want event ids, a stream version and a position", res)
	}
	if replayed := w.Header().Get("Idempotent-Replayed") == "true"; replayed != res.Replayed {
		t.Errorf("Idempotent-Replayed header %v, replayed in the body %v; want the same", replayed, res.Replayed)
	}
	return res
}

// problemOf checks a problem answer and returns it.
func problemOf(t *testing.T, w *httptest.ResponseRecorder, status int, path string) problem.Details {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("Content-Type = %q, want %s", ct, problem.ContentType)
	}
	var d problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatalf("problem %s: %v", w.Body, err)
	}
	want := problem.Details{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: d.Detail, Instance: path, Errors: d.Errors}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
	if d.Detail == "" {
		t.Error("problem without a detail; a user needs to know what to do")
	}
	return d
}

func TestHandlerCreatesReplaysAndAdds(t *testing.T) {
	s := newServer(t, memstore.New())
	first := result(t, s.post("/projects", registerJSON, HeaderIdempotencyKey, "k1"), http.StatusCreated)
	if first.Replayed || first.ID == "" {
		t.Fatalf("creation = %+v, want a new id", first)
	}
	elements := "/projects/" + first.ID + "/elements"

	tests := []struct {
		name    string
		path    string
		body    string
		headers []string
		status  int
		want    *Result // nil: any new result
		wantNew uint64  // events recorded
	}{
		{"the retry", "/projects", registerJSON, []string{HeaderIdempotencyKey, "k1"}, http.StatusOK,
			&Result{ID: first.ID, EventIDs: first.EventIDs, StreamVersion: 1, Position: first.Position, Replayed: true}, 0},
		{"the retry, formatted otherwise", "/projects", "{\n  \"programme\": \"South Tyneside\", \"name\": \"Waiting areas\",\n  \"aim\": \"Calm\", \"lead\": \"Sarah\"\n}\n",
			[]string{HeaderIdempotencyKey, "k1"}, http.StatusOK,
			&Result{ID: first.ID, EventIDs: first.EventIDs, StreamVersion: 1, Position: first.Position, Replayed: true}, 0},
		// Once, one replay turned every later creation into a 200.
		{"a creation after a replay", "/projects", registerJSON, []string{HeaderIdempotencyKey, "k2"}, http.StatusCreated, nil, 1},
		{"a creation without a key", "/projects", registerJSON, nil, http.StatusCreated, nil, 1},
		{"another creation without a key", "/projects", registerJSON, nil, http.StatusCreated, nil, 1},
		{"the key with another request", "/projects", `{"programme":"P","name":"N","aim":"A","lead":"L"}`,
			[]string{HeaderIdempotencyKey, "k1"}, http.StatusUnprocessableEntity, nil, 0},
		{"the key on another command of its stream", elements, `{"name":"Desk"}`,
			[]string{HeaderIdempotencyKey, "k1"}, http.StatusUnprocessableEntity, nil, 0},
		{"an element", elements, `{"name":"Desk"}`, []string{HeaderIdempotencyKey, "k3"}, http.StatusOK, nil, 1},
		{"the element's retry", elements, `{"name":"Desk"}`, []string{HeaderIdempotencyKey, "k3"}, http.StatusOK, nil, 0},
		{"the same element again", elements, `{"name":"Desk"}`, nil, http.StatusConflict, nil, 0},
		{"an element of an unknown project", "/projects/" + projectID + "/elements", `{"name":"Desk"}`, nil, http.StatusNotFound, nil, 0},
		{"an element of a project id that is no UUID", "/projects/nope/elements", `{"name":"Desk"}`, nil, http.StatusNotFound, nil, 0},
		{"an element of a project id in capitals", "/projects/" + strings.ToUpper(first.ID) + "/elements", `{"name":"Desk"}`, nil,
			http.StatusNotFound, nil, 0},
	}
	ids := map[string]bool{first.ID: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.head(t)
			w := s.post(tt.path, tt.body, tt.headers...)
			if got := s.head(t) - before; got != tt.wantNew {
				t.Errorf("%d events recorded, want %d", got, tt.wantNew)
			}
			if tt.status >= 400 {
				problemOf(t, w, tt.status, tt.path)
				return
			}
			got := result(t, w, tt.status)
			switch {
			case tt.want != nil:
				if diff := cmp.Diff(*tt.want, got); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
			case tt.path == "/projects":
				if got.Replayed || ids[got.ID] {
					t.Errorf("answer %+v, want a new project", got)
				}
				ids[got.ID] = true
			}
		})
	}
}

func TestHandlerRefuses(t *testing.T) {
	big := `{"programme":"` + strings.Repeat("p", MaxBodyBytes) + `","name":"N","aim":"A","lead":"L"}`
	atLimit := registerJSON + strings.Repeat(" ", MaxBodyBytes-len(registerJSON))
	tooLong := strings.Repeat("a", 201)
	occurred := func(at time.Time) string {
		return `{"occurred_at":"` + at.Format(time.RFC3339Nano) + `","programme":"P","name":"N","aim":"A","lead":"L"}`
	}
	tests := []struct {
		name       string
		body       string
		headers    []string
		status     int
		wantFields []string // the fields a 400 names
	}{
		{"no Content-Type", registerJSON, []string{"Content-Type", ""}, http.StatusUnsupportedMediaType, nil},
		{"text", registerJSON, []string{"Content-Type", "text/plain"}, http.StatusUnsupportedMediaType, nil},
		{"a form", "programme=P", []string{"Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, nil},
		{"a broken media type", registerJSON, []string{"Content-Type", "application/json; charset"}, http.StatusUnsupportedMediaType, nil},
		{"JSON with a charset", registerJSON, []string{"Content-Type", "application/json; charset=utf-8"}, http.StatusCreated, nil},
		{"JSON in capitals", registerJSON, []string{"Content-Type", "Application/JSON"}, http.StatusCreated, nil},
		{"a body over 64 KiB", big, nil, http.StatusRequestEntityTooLarge, nil},
		{"a body of 64 KiB", atLimit, nil, http.StatusCreated, nil},
		{"not JSON", "programme: P", nil, http.StatusBadRequest, []string{"body"}},
		{"an unknown field", `{"programme":"P","name":"N","aim":"A","lead":"L","colour":"red"}`, nil, http.StatusBadRequest, []string{"body"}},
		{"two JSON values", registerJSON + registerJSON, nil, http.StatusBadRequest, []string{"body"}},
		{"broken field rules", `{"programme":" ","name":"N","aim":"A"}`, nil, http.StatusBadRequest, []string{"programme", "lead"}},
		{"back-dated", occurred(now.AddDate(0, -2, 0)), nil, http.StatusCreated, nil},
		{"a little ahead of the server's clock", occurred(now.Add(30 * time.Second)), nil, http.StatusCreated, nil},
		{"in the future", occurred(now.Add(2 * time.Minute)), nil, http.StatusBadRequest, []string{"occurred_at"}},
		{"an empty occurred_at", occurred(time.Time{}), nil, http.StatusBadRequest, []string{"occurred_at"}},
		{"a correlation id too long", registerJSON, []string{HeaderCorrelationID, tooLong}, http.StatusBadRequest, []string{"X-Correlation-Id"}},
		{"an Idempotency-Key too long", registerJSON, []string{HeaderIdempotencyKey, tooLong}, http.StatusBadRequest, []string{"Idempotency-Key"}},
		{"an Idempotency-Key with a control character", registerJSON, []string{HeaderIdempotencyKey, "k\x01"}, http.StatusBadRequest, []string{"Idempotency-Key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, memstore.New())
			w := s.post("/projects", tt.body, tt.headers...)
			if tt.status < 400 {
				result(t, w, tt.status)
				return
			}
			d := problemOf(t, w, tt.status, "/projects")
			if s.head(t) != 0 {
				t.Errorf("%d events recorded, want none", s.head(t))
			}
			var fields []string
			for _, f := range d.Errors {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("fields in error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerRecordsWhoAndWhen(t *testing.T) {
	tests := []struct {
		name                                  string
		body                                  string
		headers                               []string
		wantActor, wantCorrelation, wantCause string
		wantOccurred                          time.Time
	}{
		{"every header", registerJSON,
			[]string{testIdentity, "token:sarah", HeaderCorrelationID, "journey-7", HeaderRequestID, "req-1"},
			"token:sarah", "journey-7", "req-1", now.Truncate(time.Microsecond)},
		{"a claimed actor is not who acted", registerJSON,
			[]string{testIdentity, "token:sarah", "X-Actor", "Caldicott Guardian"},
			"token:sarah", "", "", now.Truncate(time.Microsecond)},
		{"a request id only", registerJSON, []string{HeaderRequestID, "req-2"}, "anonymous", "req-2", "req-2", now.Truncate(time.Microsecond)},
		{"no header", registerJSON, nil, "anonymous", "", "", now.Truncate(time.Microsecond)},
		{"back-dated", `{"occurred_at":"2026-01-02T03:04:05.5+01:00","programme":"P","name":"N","aim":"A","lead":"L"}`, nil,
			"anonymous", "", "", time.Date(2026, time.January, 2, 2, 4, 5, 500_000_000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, memstore.New())
			res := result(t, s.post("/projects", tt.body, tt.headers...), http.StatusCreated)
			e := stored(t, s.store, project.Stream(res.ID))[0]
			got := []string{e.Actor, e.CorrelationID, e.CausationID}
			if diff := cmp.Diff([]string{tt.wantActor, tt.wantCorrelation, tt.wantCause}, got); diff != "" {
				t.Errorf("actor, correlation, causation (-want +got):\n%s", diff)
			}
			if !e.OccurredAt.Equal(tt.wantOccurred) {
				t.Errorf("occurred_at = %v, want %v", e.OccurredAt, tt.wantOccurred)
			}
		})
	}
}

// TestHandlerServesRequestsApart runs creations and replays at once: each
// request must get its own answer, whatever the others got (run with
// -race).
func TestHandlerServesRequestsApart(t *testing.T) {
	s := newServer(t, memstore.New())
	first := result(t, s.post("/projects", registerJSON, HeaderIdempotencyKey, "k0"), http.StatusCreated)
	const n = 16
	type answer struct {
		i int
		w *httptest.ResponseRecorder
	}
	answers := make(chan answer, n)
	for i := range n {
		go func() {
			key := "k0" // a replay
			if i%2 == 1 {
				key = fmt.Sprintf("k%d", i) // a creation
			}
			answers <- answer{i, s.post("/projects", registerJSON, HeaderIdempotencyKey, key)}
		}()
	}
	for range n {
		a := <-answers
		if a.i%2 == 0 {
			if got := result(t, a.w, http.StatusOK); got.ID != first.ID || !got.Replayed {
				t.Errorf("replay %d = %+v, want the replay of %s", a.i, got, first.ID)
			}
			continue
		}
		if got := result(t, a.w, http.StatusCreated); got.ID == first.ID || got.Replayed {
			t.Errorf("creation %d = %+v, want a new project", a.i, got)
		}
	}
	if got := s.head(t); got != 1+n/2 {
		t.Errorf("%d events recorded, want %d", got, 1+n/2)
	}
}

func TestHandlerIsBusyWhenEveryAttemptConflicts(t *testing.T) {
	store := newRacingStore(0)
	s := newServer(t, store, WithAttempts(2))
	created := result(t, s.post("/projects", registerJSON), http.StatusCreated)
	store.races = -1
	path := "/projects/" + created.ID + "/elements"
	w := s.post(path, `{"name":"Desk"}`)
	problemOf(t, w, http.StatusServiceUnavailable, path)
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
}

func TestHandlerCountsOutcomes(t *testing.T) {
	s := newServer(t, memstore.New())
	created := result(t, s.post("/projects", registerJSON, HeaderIdempotencyKey, "k1"), http.StatusCreated)
	elements := "/projects/" + created.ID + "/elements"
	s.post("/projects", registerJSON, HeaderIdempotencyKey, "k1")
	s.post("/projects", registerJSON, "Content-Type", "")
	s.post("/projects", `{"programme":"P"}`)
	s.post(elements, `{"name":"Desk"}`)
	s.post(elements, `{"name":"Desk"}`)
	s.post("/projects/nope/elements", `{"name":"Desk"}`)
	s.post(elements, `{"name":"Signage"}`, HeaderIdempotencyKey, "k1")

	want := `
# HELP together_commands_total Commands handled, by command (route pattern) and outcome.
# TYPE together_commands_total counter
together_commands_total{command="POST /projects",outcome="invalid"} 2
together_commands_total{command="POST /projects",outcome="recorded"} 1
together_commands_total{command="POST /projects",outcome="replayed"} 1
together_commands_total{command="POST /projects/{id}/elements",outcome="conflict"} 1
together_commands_total{command="POST /projects/{id}/elements",outcome="key_reused"} 1
together_commands_total{command="POST /projects/{id}/elements",outcome="not_found"} 1
together_commands_total{command="POST /projects/{id}/elements",outcome="recorded"} 1
`
	if err := testutil.GatherAndCompare(s.metrics, strings.NewReader(want), "together_commands_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(s.metrics); err != nil || len(problems) > 0 {
		t.Errorf("GatherAndLint() = %v, %v; want no problems", problems, err)
	}
}

// FuzzHandler sends any body with any Idempotency-Key: the answer is a
// creation or a problem a client caused, never a server error, and only a
// creation records anything.
func FuzzHandler(f *testing.F) {
	for _, body := range []string{
		registerJSON, "", "null", "[]", `{"programme":"P"}`, `{"occurred_at":"2026-01-02T03:04:05Z","programme":"P","name":"N","aim":"A","lead":"L"}`,
		`{"occurred_at":"0001-01-01T00:00:00Z"}`, `{"programme":"P","name":"N","aim":"A","lead":"L","x":1}`, registerJSON + "{}",
	} {
		f.Add(body, "")
		f.Add(body, "k1")
	}
	f.Fuzz(func(t *testing.T, body, key string) {
		s := newServer(t, memstore.New())
		w := s.post("/projects", body, HeaderIdempotencyKey, key)
		switch w.Code {
		case http.StatusCreated:
			result(t, w, http.StatusCreated)
			if s.head(t) != 1 {
				t.Errorf("a creation recorded %d events, want 1", s.head(t))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			problemOf(t, w, w.Code, "/projects")
			if s.head(t) != 0 {
				t.Errorf("a refusal recorded %d events, want none", s.head(t))
			}
		default:
			t.Errorf("status %d for body %q, key %q; want 201, 400 or 413", w.Code, body, key)
		}
	})
}
