// Package storetest is the conformance suite for [events.Store]. Every
// backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) events.Store { return newStore(t) })
//	}
//
// The factory returns an empty store and releases it through t.Cleanup.
package storetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
)

// Option adjusts the suite to a real difference of a backend.
type Option func(*suite)

type suite struct {
	stamps     bool
	sequential bool
}

// Stamps is for a store that sets every event's recorded time and hash
// chain itself, as the recorder does: the suite then checks that recorded
// times never go backwards and that the history verifies
// (hashchain.Verifier), instead of checking the writer's values.
func Stamps() Option { return func(s *suite) { s.stamps = true } }

// Sequential runs the tests one at a time, for a factory whose stores
// share something that cannot be used by two tests at once. By default the
// tests run in parallel, each on a store of its own.
func Sequential() Option { return func(s *suite) { s.sequential = true } }

// Run runs every conformance test against stores made by newStore, in
// parallel unless [Sequential] is given.
func Run(t *testing.T, newStore func(t *testing.T) events.Store, opts ...Option) {
	var cfg suite
	for _, o := range opts {
		o(&cfg)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s events.Store, cfg suite)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"ExpectedVersion", testExpectedVersion},
		{"IdempotentRetry", testIdempotentRetry},
		{"AtomicAppend", testAtomicAppend},
		{"ReadStreamFrom", testReadStreamFrom},
		{"ReadStreamNotFound", testReadStreamNotFound},
		{"ReadLast", testReadLast},
		{"GlobalOrder", testGlobalOrder},
		{"ReadAllStopsAtHead", testReadAllStopsAtHead},
		{"ConcurrentAppendsOneStream", testConcurrentAppendsOneStream},
		{"ConcurrentAppendsManyStreams", testConcurrentAppendsManyStreams},
		{"Subscribe", testSubscribe},
		{"InvalidAppend", testInvalidAppend},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !cfg.sequential {
				t.Parallel()
			}
			s := newStore(t)
			tt.fn(t, s, cfg)
			checkRecordedTimes(t, s, cfg)
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// newEvent returns a distinct envelope with every writer-set field filled,
// so that round trips are checked field by field.
func newEvent(t *testing.T, typ string) events.Envelope {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	// Vary times and payloads by the id, so that no two events look alike.
	seq := int(binary.BigEndian.Uint16(id[14:]))
	return events.Envelope{
		ID:            id,
		Type:          typ,
		SchemaVersion: 1,
		OccurredAt:    time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute),
		RecordedAt:    recordedAtOf(id),
		Actor:         "facilitator@example.org",
		CorrelationID: "corr-" + id.String(),
		CausationID:   "cause-1",
		Idempotency:   &events.Idempotency{Key: "key-1", Digest: "abc"},
		PrevHash:      "p",
		Hash:          "h",
		Payload:       json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"caf\u00e9 \"quoted\""}`, seq)),
	}
}

// recordedAtOf is the recorded time the suite writes for event id.
func recordedAtOf(id uuid.UUID) time.Time {
	return time.Date(2026, 3, 2, 10, 0, 0, 123456000, time.UTC).Add(time.Duration(binary.BigEndian.Uint16(id[14:])) * time.Second)
}

func newEvents(t *testing.T, n int) []events.Envelope {
	out := make([]events.Envelope, n)
	for i := range out {
		out[i] = newEvent(t, eventTypes[i%5])
	}
	return out
}

func mustAppend(t *testing.T, s events.Store, stream string, expected uint64, evs []events.Envelope) events.AppendResult {
	t.Helper()
	res, err := s.Append(ctx(t), stream, expected, evs)
	if err != nil {
		t.Fatalf("Append(%s, %d, %d events) error: %v", stream, expected, len(evs), err)
	}
	return res
}

func readStream(t *testing.T, s events.Store, stream string, from uint64) ([]events.Envelope, error) {
	t.Helper()
	var out []events.Envelope
	for e, err := range s.ReadStream(ctx(t), stream, from) {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func readAll(t *testing.T, s events.Store, after uint64) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	for e, err := range s.ReadAll(ctx(t), after) {
		if err != nil {
			t.Fatalf("ReadAll(%d) error: %v", after, err)
		}
		out = append(out, e)
	}
	return out
}

// checkStored compares what was read with what was written: the
// writer's fields unchanged, the store's fields set.
func checkStored(t *testing.T, cfg suite, got events.Envelope, sent events.Envelope, stream string, version uint64) {
	t.Helper()
	if got.ID != sent.ID || got.Type != sent.Type || got.SchemaVersion != sent.SchemaVersion {
		t.Errorf("stored event = %s %s v%d, want %s %s v%d", got.ID, got.Type, got.SchemaVersion, sent.ID, sent.Type, sent.SchemaVersion)
	}
	if got.Stream != stream || got.StreamVersion != version {
		t.Errorf("event %s stored at %s@%d, want %s@%d", got.ID, got.Stream, got.StreamVersion, stream, version)
	}
	if got.Position == 0 {
		t.Errorf("event %s has no position", got.ID)
	}
	if !got.OccurredAt.Equal(sent.OccurredAt) {
		t.Errorf("event %s occurred at %v, want %v", got.ID, got.OccurredAt, sent.OccurredAt)
	}
	if got.Actor != sent.Actor || got.CorrelationID != sent.CorrelationID || got.CausationID != sent.CausationID {
		t.Errorf("event %s metadata = %q %q %q, want %q %q %q", got.ID,
			got.Actor, got.CorrelationID, got.CausationID, sent.Actor, sent.CorrelationID, sent.CausationID)
	}
	if !cfg.stamps && (got.PrevHash != sent.PrevHash || got.Hash != sent.Hash) {
		t.Errorf("event %s hashes = %q %q, want the writer's %q %q", got.ID, got.PrevHash, got.Hash, sent.PrevHash, sent.Hash)
	}
	if (got.Idempotency == nil) != (sent.Idempotency == nil) || got.Idempotency != nil && *got.Idempotency != *sent.Idempotency {
		t.Errorf("event %s idempotency = %+v, want %+v", got.ID, got.Idempotency, sent.Idempotency)
	}
	var a, b bytes.Buffer
	if json.Compact(&a, got.Payload) != nil || json.Compact(&b, sent.Payload) != nil || a.String() != b.String() {
		t.Errorf("event %s payload = %s, want %s", got.ID, got.Payload, sent.Payload)
	}
}

// checkRecordedTimes checks every stored event's recorded time: the
// writer's own (the suite writes them increasing) or, for a store that
// stamps them, set and never going backwards in global order.
func checkRecordedTimes(t *testing.T, s events.Store, cfg suite) {
	t.Helper()
	var prev time.Time
	v := hashchain.NewVerifier()
	for e, err := range s.ReadAll(ctx(t), 0) {
		if err != nil {
			t.Errorf("ReadAll error: %v", err)
			return
		}
		if e.RecordedAt.IsZero() {
			t.Errorf("event %s has no recorded time", e.ID)
		}
		if cfg.stamps {
			if err := v.Add(e); err != nil {
				t.Errorf("the stamped history does not verify: %v", err)
			}
		}
		if cfg.stamps && e.RecordedAt.Before(prev) {
			t.Errorf("event %s recorded at %v, before the previous event (%v)", e.ID, e.RecordedAt, prev)
		}
		if !cfg.stamps && !e.RecordedAt.Equal(recordedAtOf(e.ID)) {
			t.Errorf("event %s recorded at %v, the writer set %v", e.ID, e.RecordedAt, recordedAtOf(e.ID))
		}
		prev = e.RecordedAt
	}
}

func testAppendAndReadStream(t *testing.T, s events.Store, cfg suite) {
	sent := newEvents(t, 3)
	res := mustAppend(t, s, "project-a", 0, sent[:1])
	if res.StreamVersion != 1 || res.Position == 0 {
		t.Fatalf("first Append = %+v, want version 1 and a position", res)
	}
	res2 := mustAppend(t, s, "project-a", 1, sent[1:])
	if res2.StreamVersion != 3 || res2.Position <= res.Position {
		t.Fatalf("second Append = %+v after %+v, want version 3 and a later position", res2, res)
	}
	got, err := readStream(t, s, "project-a", 1)
	if err != nil {
		t.Fatalf("ReadStream error: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("ReadStream returned %d events, want 3", len(got))
	}
	for i := range got {
		checkStored(t, cfg, got[i], sent[i], "project-a", uint64(i+1))
		if i > 0 && got[i].Position <= got[i-1].Position {
			t.Errorf("positions %d then %d, want increasing", got[i-1].Position, got[i].Position)
		}
	}
	if got[2].Position != res2.Position {
		t.Errorf("last event position = %d, Append said %d", got[2].Position, res2.Position)
	}
	head, err := s.Head(ctx(t))
	if err != nil || head != res2.Position {
		t.Errorf("Head() = %d, %v, want %d", head, err, res2.Position)
	}
}

func testExpectedVersion(t *testing.T, s events.Store, cfg suite) {
	mustAppend(t, s, "action-a", 0, newEvents(t, 2))
	tests := []struct {
		name     string
		expected uint64
	}{
		{"stream exists but zero expected", 0},
		{"behind", 1},
		{"ahead", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Append(ctx(t), "action-a", tt.expected, newEvents(t, 1))
			if !errors.Is(err, events.ErrWrongExpectedVersion) {
				t.Fatalf("Append(expected %d) error = %v, want ErrWrongExpectedVersion", tt.expected, err)
			}
			var conflict *events.ConflictError
			if !errors.As(err, &conflict) || conflict.Actual != 2 || conflict.Expected != tt.expected {
				t.Errorf("conflict = %+v, want expected %d actual 2", conflict, tt.expected)
			}
		})
	}
	got, _ := readStream(t, s, "action-a", 1)
	if len(got) != 2 {
		t.Errorf("stream has %d events after rejected appends, want 2", len(got))
	}
}

func testIdempotentRetry(t *testing.T, s events.Store, cfg suite) {
	batch := newEvents(t, 2)
	first := mustAppend(t, s, "feedback-a", 0, batch)
	again := mustAppend(t, s, "feedback-a", 0, batch)
	if again != first {
		t.Errorf("retried Append = %+v, want the original %+v", again, first)
	}
	next := mustAppend(t, s, "feedback-a", 2, newEvents(t, 1))
	retryOld := mustAppend(t, s, "feedback-a", 0, batch)
	if retryOld != first {
		t.Errorf("late retry = %+v, want %+v", retryOld, first)
	}
	// The same ids with one different event is not a retry.
	mixed := []events.Envelope{batch[0], newEvent(t, "Other")}
	if _, err := s.Append(ctx(t), "feedback-a", 0, mixed); !errors.Is(err, events.ErrWrongExpectedVersion) {
		t.Errorf("Append of half-retried batch error = %v, want ErrWrongExpectedVersion", err)
	}
	got, _ := readStream(t, s, "feedback-a", 1)
	if len(got) != 3 {
		t.Errorf("stream has %d events, want 3", len(got))
	}
	if head, _ := s.Head(ctx(t)); head != next.Position {
		t.Errorf("Head() = %d, want %d", head, next.Position)
	}
}

func testAtomicAppend(t *testing.T, s events.Store, cfg suite) {
	mustAppend(t, s, "engagement-a", 0, newEvents(t, 1))
	if _, err := s.Append(ctx(t), "engagement-a", 0, newEvents(t, 5)); !errors.Is(err, events.ErrWrongExpectedVersion) {
		t.Fatalf("stale batch error = %v, want ErrWrongExpectedVersion", err)
	}
	res := mustAppend(t, s, "engagement-a", 1, newEvents(t, 5))
	if res.StreamVersion != 6 {
		t.Errorf("batch Append version = %d, want 6", res.StreamVersion)
	}
	all := readAll(t, s, 0)
	if len(all) != 6 {
		t.Fatalf("store holds %d events, want 6 (none of the stale batch)", len(all))
	}
	for i := 2; i < 6; i++ {
		if all[i].Position <= all[i-1].Position {
			t.Errorf("batch positions not increasing: %d then %d", all[i-1].Position, all[i].Position)
		}
	}
}

func testReadStreamFrom(t *testing.T, s events.Store, cfg suite) {
	sent := newEvents(t, 4)
	mustAppend(t, s, "stakeholder-a", 0, sent)
	got, err := readStream(t, s, "stakeholder-a", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != sent[2].ID || got[1].ID != sent[3].ID {
		t.Fatalf("ReadStream(from 3) = %d events, want versions 3 and 4", len(got))
	}
	past, err := readStream(t, s, "stakeholder-a", 9)
	if err != nil || len(past) != 0 {
		t.Errorf("ReadStream(from 9) = %d events, %v, want none", len(past), err)
	}
}

// lastReader is a store that also reads a stream's last event in one
// lookup; a store need not, and one that does must agree with ReadStream.
type lastReader interface {
	ReadLast(ctx context.Context, stream string) (events.Envelope, error)
}

func testReadLast(t *testing.T, s events.Store, cfg suite) {
	lr, ok := s.(lastReader)
	if !ok {
		t.Skip("the store reads a stream's last event only by reading the stream")
	}
	sent := newEvents(t, 3)
	mustAppend(t, s, "project-l", 0, sent[:2])
	mustAppend(t, s, "stakeholder-l", 0, newEvents(t, 1)) // another stream after it
	mustAppend(t, s, "project-l", 2, sent[2:])
	mustAppend(t, s, "stakeholder-l", 1, newEvents(t, 1))
	stored, err := readStream(t, s, "project-l", 1)
	if err != nil {
		t.Fatal(err)
	}
	last, err := lr.ReadLast(ctx(t), "project-l")
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, cfg, last, sent[2], "project-l", 3)
	if want := stored[len(stored)-1]; last.Position != want.Position || last.Hash != want.Hash || !last.RecordedAt.Equal(want.RecordedAt) {
		t.Errorf("ReadLast = position %d, recorded %v; ReadStream's last: position %d, recorded %v", last.Position, last.RecordedAt, want.Position, want.RecordedAt)
	}
	for _, missing := range []string{"project-missing", "project-l-2"} {
		if _, err := lr.ReadLast(ctx(t), missing); !errors.Is(err, events.ErrStreamNotFound) {
			t.Errorf("ReadLast(%s) error = %v, want ErrStreamNotFound", missing, err)
		}
	}
}

func testReadStreamNotFound(t *testing.T, s events.Store, cfg suite) {
	mustAppend(t, s, "project-b", 0, newEvents(t, 1))
	_, err := readStream(t, s, "project-missing", 1)
	if !errors.Is(err, events.ErrStreamNotFound) {
		t.Errorf("ReadStream(missing) error = %v, want ErrStreamNotFound", err)
	}
	// A stream whose name extends an existing one is a different stream.
	if _, err := readStream(t, s, "project-b-2", 1); !errors.Is(err, events.ErrStreamNotFound) {
		t.Errorf("ReadStream(project-b-2) error = %v, want ErrStreamNotFound", err)
	}
}

func testGlobalOrder(t *testing.T, s events.Store, cfg suite) {
	var order []uuid.UUID
	versions := map[string]uint64{}
	for i := range 12 {
		stream := fmt.Sprintf("project-%d", i%3)
		e := newEvent(t, "Interleaved")
		mustAppend(t, s, stream, versions[stream], []events.Envelope{e})
		versions[stream]++
		order = append(order, e.ID)
	}
	all := readAll(t, s, 0)
	if len(all) != len(order) {
		t.Fatalf("ReadAll returned %d events, want %d", len(all), len(order))
	}
	for i, e := range all {
		if e.ID != order[i] {
			t.Fatalf("ReadAll[%d] = %s, want %s (append order)", i, e.ID, order[i])
		}
	}
	after := readAll(t, s, all[4].Position)
	if len(after) != 7 || after[0].ID != order[5] {
		t.Errorf("ReadAll(after position of 5th) = %d events, want 7 from the 6th", len(after))
	}
	if tail := readAll(t, s, all[11].Position); len(tail) != 0 {
		t.Errorf("ReadAll(after head) = %d events, want 0", len(tail))
	}
}

func testReadAllStopsAtHead(t *testing.T, s events.Store, cfg suite) {
	mustAppend(t, s, "action-x", 0, newEvents(t, 3))
	n := 0
	for _, err := range s.ReadAll(ctx(t), 0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break // a reader may stop early
		}
	}
	if n != 2 {
		t.Fatalf("read %d, want 2", n)
	}
	mustAppend(t, s, "action-x", 3, newEvents(t, 1))
	if got := readAll(t, s, 0); len(got) != 4 {
		t.Errorf("ReadAll after early stop = %d events, want 4", len(got))
	}
}

func testConcurrentAppendsOneStream(t *testing.T, s events.Store, cfg suite) {
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = s.Append(ctx(t), "engagement-race", 0, newEvents(t, 2))
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, events.ErrWrongExpectedVersion):
			t.Errorf("losing writer error = %v, want ErrWrongExpectedVersion", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d writers won the race, want exactly 1", wins)
	}
	if got, _ := readStream(t, s, "engagement-race", 1); len(got) != 2 {
		t.Errorf("stream holds %d events, want 2", len(got))
	}
}

func testConcurrentAppendsManyStreams(t *testing.T, s events.Store, cfg suite) {
	const writers, each = 6, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("feedback-w%d", w)
			for v := range each {
				if _, err := s.Append(ctx(t), stream, uint64(v), newEvents(t, 1)); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Errorf("Append error: %v", err)
	}
	all := readAll(t, s, 0)
	if len(all) != writers*each {
		t.Fatalf("store holds %d events, want %d", len(all), writers*each)
	}
	seen := map[uint64]bool{}
	for i, e := range all {
		if seen[e.Position] || i > 0 && e.Position <= all[i-1].Position {
			t.Fatalf("positions not strictly increasing at %d: %d", i, e.Position)
		}
		seen[e.Position] = true
	}
}

// yieldWait is how long a subscription may take to yield an event before
// the test fails: generous, as a loaded machine has taken more than ten
// seconds to start following a stream on a three-node cluster. It is no
// measure of speed: a store that works answers in milliseconds.
const yieldWait = 25 * time.Second

func testSubscribe(t *testing.T, s events.Store, cfg suite) {
	early := newEvents(t, 2)
	mustAppend(t, s, "project-sub", 0, early)
	subCtx, cancel := context.WithCancel(ctx(t))
	got := make(chan events.Envelope, 16)
	done := make(chan error, 1)
	go func() {
		defer close(got)
		for e, err := range s.Subscribe(subCtx, 0) {
			if err != nil {
				done <- err
				return
			}
			got <- e
		}
		done <- nil
	}()
	receive := func(want events.Envelope) {
		t.Helper()
		select {
		case e := <-got:
			if e.ID != want.ID {
				t.Fatalf("Subscribe yielded %s, want %s", e.ID, want.ID)
			}
		case <-time.After(yieldWait):
			t.Fatalf("Subscribe yielded nothing for %s in %s", want.ID, yieldWait)
		}
	}
	receive(early[0])
	receive(early[1])
	live := newEvents(t, 2)
	mustAppend(t, s, "project-sub", 2, live[:1])
	receive(live[0])
	mustAppend(t, s, "project-other", 0, live[1:])
	receive(live[1])
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Subscribe ended with %v, want nil on cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Subscribe did not stop after cancel")
	}
	// Subscribing after a position skips what came before it.
	all := readAll(t, s, 0)
	c2, cancel2 := context.WithCancel(ctx(t))
	defer cancel2()
	for e, err := range s.Subscribe(c2, all[2].Position) {
		if err != nil {
			t.Fatal(err)
		}
		if e.ID != all[3].ID {
			t.Errorf("Subscribe(after 3rd) first = %s, want %s", e.ID, all[3].ID)
		}
		break
	}
}

func testInvalidAppend(t *testing.T, s events.Store, cfg suite) {
	noID := newEvent(t, "X")
	noID.ID = uuid.Nil
	noType := newEvent(t, "X")
	noType.Type = ""
	dup := newEvent(t, "X")
	tests := []struct {
		name   string
		stream string
		evs    []events.Envelope
	}{
		{"no events", "project-v", nil},
		{"no id", "project-v", []events.Envelope{noID}},
		{"no type", "project-v", []events.Envelope{noType}},
		{"repeated id", "project-v", []events.Envelope{dup, dup}},
		{"stream with dot", "project.v", newEvents(t, 1)},
		{"stream with wildcard", "project-*", newEvents(t, 1)},
		{"empty stream", "", newEvents(t, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Append(ctx(t), tt.stream, 0, tt.evs)
			if !errors.Is(err, events.ErrInvalidEvent) {
				t.Errorf("Append error = %v, want ErrInvalidEvent", err)
			}
		})
	}
	if head, _ := s.Head(ctx(t)); head != 0 {
		t.Errorf("Head() = %d after invalid appends, want 0", head)
	}
}

// eventTypes are the types the suite writes.
var eventTypes = []string{"Thing0", "Thing1", "Thing2", "Thing3", "Thing4", "Other", "Interleaved", "X"}

// Register adds the suite's event types to r, for a store that decodes
// every event against a registry before storing it, as the recorder does.
func Register(r *events.Registry) {
	for _, typ := range eventTypes {
		r.Register(1, func() events.Payload { return &payload{typ: typ} })
	}
	// The suite writes any of its types to streams named like the
	// catalogue's, which a store may filter on.
	for _, name := range []string{"project", "stakeholder", "engagement", "feedback", "action"} {
		r.DeclareAggregate(events.Aggregate{Name: name, StreamPrefix: name + "-"}, eventTypes...)
	}
}

type payload struct {
	typ  string
	N    int    `json:"n"`
	Text string `json:"text"`
}

func (p *payload) EventType() string { return p.typ }
func (p *payload) Validate() error   { return nil }
