package command

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
)

// The tests run commands on a small aggregate over the project streams:
// a project and the names of its elements, in order.
type parts struct {
	Registered bool
	Names      []string
}

var partsAggregate = Aggregate[parts]{
	Name:   "project",
	Stream: project.Stream,
	Fold: func(_ string, history []Recorded) parts {
		var s parts
		for _, r := range history {
			switch p := r.Data.(type) {
			case *project.Registered:
				s.Registered = true
			case *project.ElementAdded:
				s.Names = append(s.Names, p.Name)
			}
		}
		return s
	},
	Exists: func(s parts) bool { return s.Registered },
}

const projectID = "019a0000-0000-7000-8000-0000000000a1"

var stream = project.Stream(projectID)

var registered = &project.Registered{Programme: "South Tyneside", Name: "Waiting areas", Aim: "Calm", Lead: "Sarah"}

func element(name string) *project.ElementAdded {
	return &project.ElementAdded{ElementID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)).String(), Name: name}
}

// now is the executor's clock in the tests; its nanoseconds show that
// stored times are cut to microseconds.
var now = time.Date(2026, time.May, 10, 12, 0, 0, 123456789, time.UTC)

func newExecutor(t *testing.T, store Store, opts ...Option) *Executor {
	t.Helper()
	x, err := NewExecutor(store, catalogue.New(), append([]Option{WithClock(func() time.Time { return now })}, opts...)...)
	if err != nil {
		t.Fatalf("NewExecutor() error = %v", err)
	}
	return x
}

// record appends ps to stream as one command without a key.
func record(t *testing.T, x *Executor, stream string, ps ...events.Payload) Result {
	t.Helper()
	res, err := x.Execute(context.Background(), stream, Meta{Actor: "test"}, func([]Recorded) ([]events.Payload, error) { return ps, nil })
	if err != nil {
		t.Fatalf("Execute() error = %v", err)
	}
	return res
}

// stored returns the envelopes of stream.
func stored(t *testing.T, s Store, stream string) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	for e, err := range s.ReadStream(context.Background(), stream, 1) {
		if errors.Is(err, events.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// names returns the element names recorded in stream, in order.
func names(t *testing.T, x *Executor, stream string) []string {
	t.Helper()
	h, err := x.Load(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return partsAggregate.Fold("", h).Names
}

// racingStore plays another writer: just before each of the executor's
// first races appends (all of them if races is negative), it appends an
// element of its own at the version the executor read, so that the
// executor's append meets a stream that moved on.
type racingStore struct {
	*memstore.Store
	registry *events.Registry

	mu       sync.Mutex
	races    int
	attempts int
	// onRace runs after each append the other writer made fail.
	onRace func()
}

func (s *racingStore) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	s.mu.Lock()
	s.attempts++
	n := s.attempts
	race := s.races != 0
	if s.races > 0 {
		s.races--
	}
	s.mu.Unlock()
	if race {
		typ, version, data, err := s.registry.Encode(element(fmt.Sprintf("other writer %d", n)))
		if err != nil {
			return events.AppendResult{}, err
		}
		id, err := events.NewEventID()
		if err != nil {
			return events.AppendResult{}, err
		}
		other := events.Envelope{ID: id, Type: typ, SchemaVersion: version, OccurredAt: now, Actor: "other", Payload: data}
		if _, err := s.Store.Append(ctx, stream, expected, []events.Envelope{other}); err != nil {
			return events.AppendResult{}, err
		}
	}
	res, err := s.Store.Append(ctx, stream, expected, evs)
	if race && s.onRace != nil {
		s.onRace()
	}
	return res, err
}

func (s *racingStore) appendAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

func newRacingStore(races int) *racingStore {
	return &racingStore{Store: memstore.New(), registry: catalogue.New(), races: races}
}

func TestNewExecutorRefusesBadOptions(t *testing.T) {
	store, reg := memstore.New(), catalogue.New()
	tests := []struct {
		name     string
		store    Store
		registry *events.Registry
		opts     []Option
		wantErr  error
	}{
		{"defaults", store, reg, nil, nil},
		{"every option", store, reg, []Option{WithClock(time.Now), WithAttempts(1), WithKeptEvents(0), WithMetrics(prometheus.NewRegistry())}, nil},
		{"no store", nil, reg, nil, events.ErrInvalidOption},
		{"no registry", store, nil, nil, events.ErrInvalidOption},
		{"nil clock", store, reg, []Option{WithClock(nil)}, events.ErrInvalidOption},
		{"no attempt", store, reg, []Option{WithAttempts(0)}, events.ErrInvalidOption},
		{"negative attempts", store, reg, []Option{WithAttempts(-3)}, events.ErrInvalidOption},
		{"nil registerer", store, reg, []Option{WithMetrics(nil)}, events.ErrInvalidOption},
		{"negative kept events", store, reg, []Option{WithKeptEvents(-1)}, events.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := NewExecutor(tt.store, tt.registry, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewExecutor() error = %v, want %v", err, tt.wantErr)
			}
			if (x == nil) == (err == nil) {
				t.Errorf("NewExecutor() = %v, %v; want an executor or an error", x, err)
			}
		})
	}
}

func TestExecuteRetriesAfterAConflict(t *testing.T) {
	store := newRacingStore(0)
	x := newExecutor(t, store)
	record(t, x, stream, registered)
	store.races = 2

	var seen [][]string // the element names each attempt decided on
	res, err := x.Execute(context.Background(), stream, Meta{Actor: "sarah"}, func(h []Recorded) ([]events.Payload, error) {
		s := partsAggregate.Fold(projectID, h)
		seen = append(seen, slices.Clone(s.Names))
		return []events.Payload{element(fmt.Sprintf("decided on %d elements", len(s.Names)))}, nil
	})
	if err != nil {
		t.Fatalf("Execute() error = %v", err)
	}
	// Each retry decides again on the history the other writer changed.
	wantSeen := [][]string{nil, {"other writer 2"}, {"other writer 2", "other writer 3"}}
	if diff := cmp.Diff(wantSeen, seen); diff != "" {
		t.Errorf("histories decided on (-want +got):\n%s", diff)
	}
	if got := store.appendAttempts(); got != 4 {
		t.Errorf("%d appends, want 4 (the registration and three attempts)", got)
	}
	want := []string{"other writer 2", "other writer 3", "decided on 2 elements"}
	if diff := cmp.Diff(want, names(t, x, stream)); diff != "" {
		t.Errorf("stream holds (-want +got):\n%s", diff)
	}
	envs := stored(t, store, stream)
	last := envs[len(envs)-1]
	wantRes := Result{EventIDs: []uuid.UUID{last.ID}, StreamVersion: 4, Position: 4}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("Execute() result (-want +got):\n%s", diff)
	}
}

func TestExecuteIsBusyWhenEveryAttemptConflicts(t *testing.T) {
	for _, attempts := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d attempts", attempts), func(t *testing.T) {
			store := newRacingStore(0)
			x := newExecutor(t, store, WithAttempts(attempts))
			record(t, x, stream, registered)
			store.races = -1
			decisions := 0
			_, err := x.Execute(context.Background(), stream, Meta{}, func([]Recorded) ([]events.Payload, error) {
				decisions++
				return []events.Payload{element("mine")}, nil
			})
			if !errors.Is(err, ErrBusy) {
				t.Fatalf("Execute() error = %v, want %v", err, ErrBusy)
			}
			// The first decision, on the history kept, is no attempt;
			// then each decision on what the store held is one.
			if decisions != attempts+1 {
				t.Errorf("decided %d times, want %d", decisions, attempts+1)
			}
			if got := store.appendAttempts() - 1; got != attempts+1 {
				t.Errorf("%d appends, want %d", got, attempts+1)
			}
			if got := names(t, x, stream); slices.Contains(got, "mine") || len(got) != attempts+1 {
				t.Errorf("stream holds %q, want only the other writer's %d elements", got, attempts+1)
			}
		})
	}
}

func TestExecuteStopsWaitingWhenCancelled(t *testing.T) {
	store := newRacingStore(0)
	x := newExecutor(t, store)
	record(t, x, stream, registered)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store.races, store.onRace = -1, cancel
	decisions := 0
	_, err := x.Execute(ctx, stream, Meta{}, func([]Recorded) ([]events.Payload, error) {
		decisions++
		return []events.Payload{element("mine")}, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute() error = %v, want %v", err, context.Canceled)
	}
	if decisions != 1 {
		t.Errorf("decided %d times, want 1", decisions)
	}
	if got := names(t, x, stream); slices.Contains(got, "mine") {
		t.Errorf("stream holds %q, want nothing of the cancelled command", got)
	}
}

func TestExecuteReplaysAnIdempotentRetry(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	x := newExecutor(t, store)
	record(t, x, stream, registered)
	keyed := func(key, digest string) Meta { return Meta{Actor: "sarah", IdempotencyKey: key, digest: digest} }
	decide := func(ps ...events.Payload) Decide {
		return func([]Recorded) ([]events.Payload, error) { return ps, nil }
	}
	mustNotDecide := func([]Recorded) ([]events.Payload, error) {
		t.Error("a replay decided again")
		return nil, errors.New("decided")
	}

	first, err := x.Execute(ctx, stream, keyed("k1", "d1"), decide(element("Desk"), element("Signage")))
	if err != nil {
		t.Fatalf("Execute(k1) error = %v", err)
	}
	if first.Replayed || len(first.EventIDs) != 2 {
		t.Fatalf("Execute(k1) = %+v, want two new events", first)
	}
	// Later commands move the stream on; the replay still answers where
	// the original landed.
	record(t, x, stream, element("Lighting"))
	before := len(stored(t, store, stream))

	tests := []struct {
		name    string
		meta    Meta
		decide  Decide
		want    Result
		wantErr error
		wantNew int
	}{
		{"the same key and request", keyed("k1", "d1"), mustNotDecide,
			Result{EventIDs: first.EventIDs, StreamVersion: first.StreamVersion, Position: first.Position, Replayed: true}, nil, 0},
		{"the same key with another request", keyed("k1", "d2"), mustNotDecide, Result{}, ErrKeyReused, 0},
		{"a rejected command with a new key", keyed("k2", "d1"), func([]Recorded) ([]events.Payload, error) {
			return nil, Rejectf(ErrConflict, "no")
		}, Result{}, ErrConflict, 0},
		// A rejected command recorded nothing, so its key is free.
		{"that key again with another request", keyed("k2", "d2"), decide(element("Seating")),
			Result{StreamVersion: 5, Position: 5}, nil, 1},
		{"no key", Meta{}, decide(element("Lighting again")), Result{StreamVersion: 6, Position: 6}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Execute(ctx, stream, tt.meta, tt.decide)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Execute() error = %v, want %v", err, tt.wantErr)
			}
			after := len(stored(t, store, stream))
			if after-before != tt.wantNew {
				t.Errorf("Execute() appended %d events, want %d", after-before, tt.wantNew)
			}
			before = after
			if tt.wantNew > 0 {
				tt.want.EventIDs = got.EventIDs // fresh ids, checked below
				envs := stored(t, store, stream)
				if got.EventIDs[0] != envs[len(envs)-1].ID {
					t.Errorf("Execute() event ids = %v, want the id stored, %v", got.EventIDs, envs[len(envs)-1].ID)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Execute() (-want +got):\n%s", diff)
			}
		})
	}
	// The key and the digest travel with every event of the command.
	for _, e := range stored(t, store, stream)[1:3] {
		if diff := cmp.Diff(&events.Idempotency{Key: "k1", Digest: "d1"}, e.Idempotency); diff != "" {
			t.Errorf("event %d idempotency (-want +got):\n%s", e.StreamVersion, diff)
		}
	}
}

func TestExecuteStampsTheEnvelope(t *testing.T) {
	past := time.Date(2026, time.January, 2, 3, 4, 5, 999999999, time.FixedZone("CET", 3600))
	tests := []struct {
		name         string
		meta         Meta
		wantOccurred time.Time
		wantIdem     *events.Idempotency
	}{
		{"now", Meta{Actor: "sarah", CorrelationID: "c1", CausationID: "r1"},
			time.Date(2026, time.May, 10, 12, 0, 0, 123456000, time.UTC), nil},
		{"back-dated", Meta{Actor: "sarah", CorrelationID: "c1", CausationID: "r1", OccurredAt: past, IdempotencyKey: "k", digest: "d"},
			time.Date(2026, time.January, 2, 2, 4, 5, 999999000, time.UTC), &events.Idempotency{Key: "k", Digest: "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := memstore.New()
			x := newExecutor(t, store)
			if _, err := x.Execute(context.Background(), stream, tt.meta, func([]Recorded) ([]events.Payload, error) {
				return []events.Payload{registered}, nil
			}); err != nil {
				t.Fatalf("Execute() error = %v", err)
			}
			e := stored(t, store, stream)[0]
			if !e.OccurredAt.Equal(tt.wantOccurred) || e.OccurredAt.Location() != time.UTC {
				t.Errorf("occurred_at = %v, want %v", e.OccurredAt, tt.wantOccurred)
			}
			if e.Actor != tt.meta.Actor || e.CorrelationID != tt.meta.CorrelationID || e.CausationID != tt.meta.CausationID {
				t.Errorf("actor, correlation, causation = %q, %q, %q; want %q, %q, %q",
					e.Actor, e.CorrelationID, e.CausationID, tt.meta.Actor, tt.meta.CorrelationID, tt.meta.CausationID)
			}
			if diff := cmp.Diff(tt.wantIdem, e.Idempotency); diff != "" {
				t.Errorf("idempotency (-want +got):\n%s", diff)
			}
			if e.Type != project.TypeRegistered || e.SchemaVersion != 1 {
				t.Errorf("type = %s v%d, want %s v1", e.Type, e.SchemaVersion, project.TypeRegistered)
			}
		})
	}
}

// brokenStore fails as told: reads with readErr, appends with appendErr.
type brokenStore struct {
	*memstore.Store
	readErr, appendErr error
	// misnumbered reads answer each event one version on.
	misnumbered bool
	appends     int
}

func (s *brokenStore) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	if s.readErr != nil {
		return func(yield func(events.Envelope, error) bool) { yield(events.Envelope{}, s.readErr) }
	}
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range s.Store.ReadStream(ctx, stream, from) {
			if s.misnumbered {
				e.StreamVersion++
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s *brokenStore) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	s.appends++
	if s.appendErr != nil {
		return events.AppendResult{}, s.appendErr
	}
	return s.Store.Append(ctx, stream, expected, evs)
}

func TestExecuteFailures(t *testing.T) {
	unavailable := fmt.Errorf("recorder: %w", events.ErrUnavailable)
	undecodable := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "NoSuchEvent", SchemaVersion: 1, Payload: []byte(`{}`)}
	tests := []struct {
		name        string
		store       *brokenStore
		history     []events.Envelope
		decide      Decide
		wantErr     error
		wantAppends int
	}{
		{"the store cannot be read", &brokenStore{Store: memstore.New(), readErr: unavailable}, nil,
			func([]Recorded) ([]events.Payload, error) { return []events.Payload{registered}, nil }, events.ErrUnavailable, 0},
		{"an event cannot be decoded", &brokenStore{Store: memstore.New()}, []events.Envelope{undecodable},
			func([]Recorded) ([]events.Payload, error) { return []events.Payload{registered}, nil }, events.ErrInvalidEvent, 0},
		{"the store answers other versions than asked for", &brokenStore{Store: memstore.New(), misnumbered: true}, []events.Envelope{envelopeOf(t, registered)},
			func([]Recorded) ([]events.Payload, error) { return []events.Payload{element("a")}, nil }, errNotNext, 0},
		{"the decision is rejected", &brokenStore{Store: memstore.New()}, nil,
			func([]Recorded) ([]events.Payload, error) { return nil, Rejectf(ErrInvalid, "no") }, ErrInvalid, 0},
		{"the decision breaks a field rule", &brokenStore{Store: memstore.New()}, nil,
			func([]Recorded) ([]events.Payload, error) { return []events.Payload{&project.Registered{}}, nil }, events.ErrInvalidEvent, 0},
		// Only a conflict is retried: whether a failed append landed is
		// for the client to settle with its Idempotency-Key.
		{"the append fails", &brokenStore{Store: memstore.New(), appendErr: unavailable}, nil,
			func([]Recorded) ([]events.Payload, error) { return []events.Payload{registered}, nil }, events.ErrUnavailable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.history != nil {
				if _, err := tt.store.Store.Append(context.Background(), stream, 0, tt.history); err != nil {
					t.Fatal(err)
				}
			}
			x := newExecutor(t, tt.store)
			_, err := x.Execute(context.Background(), stream, Meta{}, tt.decide)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Execute() error = %v, want %v", err, tt.wantErr)
			}
			if tt.store.appends != tt.wantAppends {
				t.Errorf("%d appends, want %d", tt.store.appends, tt.wantAppends)
			}
			if got := len(stored(t, tt.store.Store, stream)); got != len(tt.history) {
				t.Errorf("stream holds %d events, want %d", got, len(tt.history))
			}
		})
	}
}

func TestNewID(t *testing.T) {
	id := func(kind, key string) string {
		t.Helper()
		s, err := Meta{IdempotencyKey: key}.NewID(kind)
		if err != nil {
			t.Fatal(err)
		}
		u, err := uuid.Parse(s)
		if err != nil || u.String() != s {
			t.Fatalf("NewID(%q) with key %q = %q, want a canonical UUID", kind, key, s)
		}
		return s
	}
	tests := []struct {
		name     string
		a, b     [2]string // kind, key
		wantSame bool
	}{
		{"the same key and kind", [2]string{"project", "k1"}, [2]string{"project", "k1"}, true},
		{"another key", [2]string{"project", "k1"}, [2]string{"project", "k2"}, false},
		{"another kind", [2]string{"project", "k1"}, [2]string{"stakeholder", "k1"}, false},
		{"kind and key split elsewhere", [2]string{"project", "k1"}, [2]string{"projec", "tk1"}, false},
		{"no key", [2]string{"project", ""}, [2]string{"project", ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := id(tt.a[0], tt.a[1]), id(tt.b[0], tt.b[1])
			if (a == b) != tt.wantSame {
				t.Errorf("NewID(%q, key %q) = %s, NewID(%q, key %q) = %s; want the same: %v", tt.a[0], tt.a[1], a, tt.b[0], tt.b[1], b, tt.wantSame)
			}
		})
	}
	// Without a key an id is a fresh UUIDv7, ordered in time like the
	// event ids.
	if v := uuid.MustParse(id("project", "")).Version(); v != 7 {
		t.Errorf("NewID without a key is version %d, want 7", v)
	}
}

func TestAggregateCreateOnAndLoad(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	x := newExecutor(t, store)
	create := func(key string) (Result, error) {
		return partsAggregate.Create(ctx, x, Meta{IdempotencyKey: key}, func(s parts) ([]events.Payload, error) {
			if s.Registered {
				return nil, Rejectf(ErrConflict, "registered already")
			}
			return []events.Payload{registered}, nil
		})
	}
	first, err := create("k1")
	if err != nil {
		t.Fatalf("Create(k1) error = %v", err)
	}
	wantID, _ := Meta{IdempotencyKey: "k1"}.NewID("project")
	if first.ID != wantID || first.Replayed {
		t.Errorf("Create(k1) = %+v, want a new project %s, the id derived from the key", first, wantID)
	}
	// A retry lands on the same stream and is recognised there.
	again, err := create("k1")
	if err != nil {
		t.Fatalf("Create(k1) again error = %v", err)
	}
	if diff := cmp.Diff(Result{ID: first.ID, EventIDs: first.EventIDs, StreamVersion: 1, Position: first.Position, Replayed: true}, again); diff != "" {
		t.Errorf("Create(k1) again (-want +got):\n%s", diff)
	}
	other, err := create("")
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	if other.ID == first.ID || uuid.MustParse(other.ID).Version() != 7 {
		t.Errorf("Create() without a key = %s, want a fresh UUIDv7", other.ID)
	}

	res, err := partsAggregate.On(ctx, x, first.ID, Meta{}, func(s parts) ([]events.Payload, error) {
		return []events.Payload{element(fmt.Sprintf("element %d", len(s.Names)+1))}, nil
	})
	if err != nil || res.ID != first.ID || res.StreamVersion != 2 {
		t.Errorf("On() = %+v, %v; want version 2 of %s", res, err, first.ID)
	}
	// On names its aggregate even when the decision is rejected.
	res, err = partsAggregate.On(ctx, x, projectID, Meta{}, func(parts) ([]events.Payload, error) { return nil, Rejectf(ErrNotFound, "no") })
	if !errors.Is(err, ErrNotFound) || res.ID != projectID {
		t.Errorf("On(unknown) = %+v, %v; want ErrNotFound naming %s", res, err, projectID)
	}

	loaded, err := partsAggregate.Load(ctx, x, first.ID)
	if diff := cmp.Diff(parts{Registered: true, Names: []string{"element 1"}}, loaded); err != nil || diff != "" {
		t.Errorf("Load() error = %v, state (-want +got):\n%s", err, diff)
	}
	if _, err := partsAggregate.Load(ctx, x, projectID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load(unknown) error = %v, want %v", err, ErrNotFound)
	}
	broken := newExecutor(t, &brokenStore{Store: store, readErr: events.ErrUnavailable})
	if _, err := partsAggregate.Load(ctx, broken, first.ID); !errors.Is(err, events.ErrUnavailable) || errors.Is(err, ErrNotFound) {
		t.Errorf("Load() on a failing store error = %v, want %v", err, events.ErrUnavailable)
	}
}

// A creation decides on an empty history without reading the stream its
// new id names; the store is asked only when that was wrong, and a
// rejection is answered only once the store confirms it.
func TestCreateReadsTheStreamOnlyWhenItMust(t *testing.T) {
	// registerOrAdd registers the project, or adds an element to one
	// registered already; fussy refuses to register one.
	registerOrAdd := func(s parts) ([]events.Payload, error) {
		if s.Registered {
			return []events.Payload{element("added")}, nil
		}
		return []events.Payload{registered}, nil
	}
	fussy := func(s parts) ([]events.Payload, error) {
		if !s.Registered {
			return nil, Rejectf(ErrConflict, "not registered")
		}
		return []events.Payload{element("added")}, nil
	}
	tests := []struct {
		name string
		// before runs, with the same key, before the creation measured.
		before, decide func(parts) ([]events.Payload, error)
		// anotherKey makes before run with a key of its own on the
		// stream the creation's key names, as another writer would.
		anotherKey             bool
		wantReads, wantAppends int
		wantErr                error
		want                   parts
		wantReplayed           bool
	}{
		{name: "a new stream", decide: registerOrAdd, wantAppends: 1, want: parts{Registered: true}},
		{name: "a retry", before: registerOrAdd, decide: registerOrAdd, wantReads: 1, wantAppends: 1,
			want: parts{Registered: true}, wantReplayed: true},
		{name: "a rejection the store confirms", decide: fussy, wantReads: 1, wantErr: ErrConflict},
		{name: "a rejection the store overturns", before: registerOrAdd, anotherKey: true, decide: fussy,
			wantReads: 1, wantAppends: 1, want: parts{Registered: true, Names: []string{"added"}}},
		{name: "an append refused, decided again", before: registerOrAdd, anotherKey: true, decide: registerOrAdd,
			wantReads: 1, wantAppends: 2, want: parts{Registered: true, Names: []string{"added"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &countingStore{Store: memstore.New()}
			x := newExecutor(t, store)
			meta := Meta{Actor: "test", IdempotencyKey: "k1"}
			if tt.before != nil {
				id, _ := meta.NewID(partsAggregate.Name)
				before := meta
				if tt.anotherKey {
					before.IdempotencyKey = "k2"
				}
				if _, err := partsAggregate.On(ctx, newExecutor(t, store), id, before, tt.before); err != nil {
					t.Fatal(err)
				}
			}
			store.calls()
			res, err := partsAggregate.Create(ctx, x, meta, tt.decide)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Create() error = %v, want %v", err, tt.wantErr)
			}
			if reads, appends := store.calls(); reads != tt.wantReads || appends != tt.wantAppends {
				t.Errorf("Create() read %d times and appended %d times, want %d and %d", reads, appends, tt.wantReads, tt.wantAppends)
			}
			if res.Replayed != tt.wantReplayed {
				t.Errorf("Create() replayed = %t, want %t", res.Replayed, tt.wantReplayed)
			}
			h, err := x.Load(ctx, partsAggregate.Stream(res.ID))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, partsAggregate.Fold(res.ID, h)); diff != "" {
				t.Errorf("the stream holds (-want +got):\n%s", diff)
			}
		})
	}
}

// A command on a stream whose history is kept is decided on that history
// without reading; the store is read only when the history was not the
// whole stream, or before any answer other than an append. A load then
// reads back what the executor appended, as the store holds it.
func TestExecuteOnAKeptHistoryReadsOnlyWhenItMust(t *testing.T) {
	add := func(name string) func(parts) ([]events.Payload, error) {
		return func(parts) ([]events.Payload, error) { return []events.Payload{element(name)}, nil }
	}
	afterY := func(s parts) ([]events.Payload, error) {
		if !slices.Contains(s.Names, "y") {
			return nil, Rejectf(ErrConflict, "no y yet")
		}
		return []events.Payload{element("after y")}, nil
	}
	tests := []struct {
		name string
		// other is appended by another writer once the history is kept.
		other events.Payload
		// key is the command's; "k1" was the key of the command before.
		key                    string
		decide                 func(parts) ([]events.Payload, error)
		wantReads, wantAppends int
		wantErr                error
		wantNames              []string
		wantReplayed           bool
	}{
		{name: "nothing new", decide: add("x"), wantAppends: 1, wantNames: []string{"a", "x"}},
		{name: "another writer", other: element("y"), decide: add("x"), wantReads: 1, wantAppends: 2,
			wantNames: []string{"a", "y", "x"}},
		{name: "a rejection the store confirms", decide: afterY, wantReads: 1, wantErr: ErrConflict,
			wantNames: []string{"a"}},
		{name: "a rejection the store overturns", other: element("y"), decide: afterY, wantReads: 1, wantAppends: 1,
			wantNames: []string{"a", "y", "after y"}},
		{name: "a retry", key: "k1", decide: add("a"), wantReads: 1, wantNames: []string{"a"}, wantReplayed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &countingStore{Store: memstore.New()}
			x := newExecutor(t, store)
			created, err := partsAggregate.Create(ctx, x, Meta{Actor: "test"}, func(parts) ([]events.Payload, error) {
				return []events.Payload{registered}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			id, stream := created.ID, partsAggregate.Stream(created.ID)
			before, err := partsAggregate.On(ctx, x, id, Meta{Actor: "test", IdempotencyKey: "k1"}, add("a"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.other != nil {
				record(t, newExecutor(t, store), stream, tt.other)
			}
			store.calls()
			res, err := partsAggregate.On(ctx, x, id, Meta{Actor: "test", IdempotencyKey: tt.key}, tt.decide)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("On() error = %v, want %v", err, tt.wantErr)
			}
			if reads, appends := store.calls(); reads != tt.wantReads || appends != tt.wantAppends {
				t.Errorf("On() read %d times and appended %d times, want %d and %d", reads, appends, tt.wantReads, tt.wantAppends)
			}
			if tt.wantReplayed {
				before.Replayed = true
				if diff := cmp.Diff(before, res); diff != "" {
					t.Errorf("On() replayed (-want +got):\n%s", diff)
				}
			}
			loaded, err := x.Load(ctx, stream)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stored(t, store, stream), envelopesOf(loaded)); diff != "" {
				t.Errorf("Load() differs from the store (-want +got):\n%s", diff)
			}
			if got := partsAggregate.Fold(id, loaded).Names; !slices.Equal(got, tt.wantNames) {
				t.Errorf("the stream holds elements %q, want %q", got, tt.wantNames)
			}
		})
	}
}

func envelopesOf(recs []Recorded) []events.Envelope {
	out := make([]events.Envelope, len(recs))
	for i, r := range recs {
		out[i] = r.Envelope
	}
	return out
}

// A decision made without reading that the store refuses is no attempt:
// with one attempt, a retried creation still replays and a command on a
// history another writer has moved on from still succeeds.
func TestAnAppendDecidedWithoutReadingIsNoAttempt(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	register := func(s parts) ([]events.Payload, error) { return []events.Payload{registered}, nil }
	meta := Meta{Actor: "test", IdempotencyKey: "k1"}
	first, err := partsAggregate.Create(ctx, newExecutor(t, store), meta, register)
	if err != nil {
		t.Fatal(err)
	}
	x := newExecutor(t, store, WithAttempts(1))
	again, err := partsAggregate.Create(ctx, x, meta, register)
	if err != nil || !again.Replayed || again.Position != first.Position {
		t.Errorf("a retried creation with one attempt = %+v, %v; want %+v replayed", again, err, first)
	}
	record(t, newExecutor(t, store), partsAggregate.Stream(first.ID), element("other"))
	res, err := partsAggregate.On(ctx, x, first.ID, Meta{Actor: "test"}, func(s parts) ([]events.Payload, error) {
		return []events.Payload{element(fmt.Sprintf("after %q", s.Names))}, nil
	})
	if err != nil || res.StreamVersion != 3 {
		t.Errorf("a command on a history another writer moved on from = %+v, %v; want version 3", res, err)
	}
}

// countingStore counts the events its reads hand out, and its reads and
// appends.
type countingStore struct {
	Store
	mu      sync.Mutex
	read    int
	reads   int
	appends int
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		s.mu.Lock()
		s.reads++
		s.mu.Unlock()
		for e, err := range s.Store.ReadStream(ctx, stream, from) {
			if err == nil {
				s.mu.Lock()
				s.read++
				s.mu.Unlock()
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s *countingStore) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	s.mu.Lock()
	s.appends++
	s.mu.Unlock()
	return s.Store.Append(ctx, stream, expected, evs)
}

// calls returns the reads and appends since it was last asked.
func (s *countingStore) calls() (reads, appends int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reads, appends = s.reads, s.appends
	s.reads, s.appends = 0, 0
	return reads, appends
}

func (s *countingStore) eventsRead() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.read
	s.read = 0
	return n
}

// A stream loaded once is read again only from where its kept history
// ends, and the history is the same as a fresh read's, whoever appended.
func TestLoadReadsOnFromTheHistoryKept(t *testing.T) {
	tests := []struct {
		name string
		// keep bounds the executor's kept events; wantReads is what each
		// step reads from the store.
		keep      int
		wantReads []int
	}{
		// Load (1 event), append 2, load (reads the 2), another writer
		// appends 1, load (reads it), load (reads nothing).
		{"kept", DefaultKeptEvents, []int{1, 2, 1, 0}},
		{"nothing kept", 0, []int{1, 3, 4, 4}},
		// The first event stays kept when the stream outgrows the bound.
		{"too long to keep", 2, []int{1, 2, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &countingStore{Store: memstore.New()}
			other := newExecutor(t, store)
			record(t, other, stream, registered)
			x := newExecutor(t, store, WithKeptEvents(tt.keep))
			store.eventsRead()

			var reads []int
			load := func() []string {
				h, err := x.Load(ctx, stream)
				if err != nil {
					t.Fatalf("Load() error = %v", err)
				}
				reads = append(reads, store.eventsRead())
				return partsAggregate.Fold(projectID, h).Names
			}
			load()
			if _, err := partsAggregate.On(ctx, x, projectID, Meta{Actor: "test"}, func(parts) ([]events.Payload, error) {
				return []events.Payload{element("a"), element("b")}, nil
			}); err != nil {
				t.Fatal(err)
			}
			store.eventsRead() // the command's own load
			load()
			record(t, other, stream, element("c"))
			store.eventsRead()
			got := load()
			if again := load(); !slices.Equal(again, got) {
				t.Errorf("a second load = %q, want %q", again, got)
			}
			if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
				t.Errorf("loaded elements %q, want %q", got, want)
			}
			if diff := cmp.Diff(tt.wantReads, reads); diff != "" {
				t.Errorf("events read per load (-want +got):\n%s", diff)
			}
		})
	}
}

// A store that no longer holds what was kept (here: another store with a
// shorter stream of the same name) refuses the append decided on the
// history kept; the command is decided again on what the store holds.
func TestExecuteBelievesTheStoreOverTheHistoryKept(t *testing.T) {
	ctx := context.Background()
	first, second := memstore.New(), memstore.New()
	store := &switchingStore{Store: first}
	x := newExecutor(t, store)
	record(t, x, stream, registered)
	record(t, x, stream, element("a"), element("b"))
	if got := names(t, x, stream); len(got) != 2 {
		t.Fatalf("loaded %q, want two elements", got)
	}
	w := newExecutor(t, second)
	record(t, w, stream, registered)
	record(t, w, stream, element("z"))
	store.Store = second
	if _, err := partsAggregate.On(ctx, x, projectID, Meta{}, func(s parts) ([]events.Payload, error) {
		return []events.Payload{element(fmt.Sprintf("after %q", s.Names))}, nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"z", `after ["z"]`}
	if got := names(t, w, stream); !slices.Equal(got, want) {
		t.Errorf("the store holds %q, want %q", got, want)
	}
	if got := names(t, x, stream); !slices.Equal(got, want) {
		t.Errorf("the executor loads %q, want %q", got, want)
	}
}

// switchingStore reads and appends through whichever store it holds.
type switchingStore struct{ Store }

// Commands on one stream from many goroutines share what is kept of it
// without a race, and every one lands.
func TestKeptHistoriesUnderConcurrentCommands(t *testing.T) {
	ctx := context.Background()
	x := newExecutor(t, memstore.New())
	record(t, x, stream, registered)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				if _, err := partsAggregate.On(ctx, x, projectID, Meta{}, func(s parts) ([]events.Payload, error) {
					return []events.Payload{element(fmt.Sprintf("%d.%d after %d", i, j, len(s.Names)))}, nil
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := names(t, x, stream)
	if len(got) != 80 {
		t.Errorf("%d elements, want 80", len(got))
	}
	// Each was decided on the whole stream before it.
	for k, name := range got {
		if !strings.HasSuffix(name, fmt.Sprintf(" after %d", k)) {
			t.Errorf("element %d is %q, decided on another history", k, name)
		}
	}
	if got := x.histories.events(); got != 81 {
		t.Errorf("%d events kept, want the stream's 81", got)
	}
}

// The events a command decided on are counted by where they came from.
func TestLoadCountsWhereEventsCameFrom(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	store := memstore.New()
	record(t, newExecutor(t, store), stream, registered)
	x := newExecutor(t, store, WithMetrics(reg))
	if _, err := x.Load(ctx, stream); err != nil { // reads 1
		t.Fatal(err)
	}
	record(t, x, stream, element("a"))             // keeps 1
	if _, err := x.Load(ctx, stream); err != nil { // keeps 1, reads 1
		t.Fatal(err)
	}
	loaded, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	for from, want := range map[string]float64{"kept": 2, "store": 2} {
		if got := testutil.ToFloat64(loaded.loaded.WithLabelValues(from)); got != want {
			t.Errorf("loaded events from %s = %v, want %v", from, got, want)
		}
	}
}

// envelopeOf is p as a writer would send it.
func envelopeOf(t *testing.T, p events.Payload) events.Envelope {
	t.Helper()
	typ, version, data, err := catalogue.New().Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: version, OccurredAt: now, Actor: "test", Payload: data}
}

// events is how many events h keeps.
func (h *histories) events() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}
