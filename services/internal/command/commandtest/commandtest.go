package commandtest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
)

// Epoch is when the first event of a given history occurred, unless [At]
// says otherwise; each later event occurred a minute after the one before.
var Epoch = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

// registry is the catalogue every given and produced event must pass.
var registry = sync.OnceValue(catalogue.New)

// Options are the go-cmp options for comparing payloads and states:
// [events.Date] keeps its day in an unexported field, so it is compared
// by the day it names.
var Options = cmp.Options{
	cmp.Comparer(func(a, b events.Date) bool { return a.String() == b.String() }),
}

// Diff returns a human-readable report of the differences between want
// and got (empty if there are none), compared with [Options].
func Diff(want, got any) string { return cmp.Diff(want, got, Options) }

// occurred is a given event with its own business time.
type occurred struct {
	events.Payload
	at time.Time
}

// At returns p as a given event that occurred at t, for folds that read
// the time an event occurred (an action's agreed day, say). Use it only
// in a Given list.
func At(t time.Time, p events.Payload) events.Payload { return occurred{Payload: p, at: t} }

// Day returns the date s ("2026-03-31"), failing the test if it is not
// one.
func Day(t testing.TB, s string) events.Date {
	t.Helper()
	d, err := events.ParseDate(s)
	if err != nil {
		t.Fatalf("Day(%q): %v", s, err)
	}
	return d
}

// History returns given as the recorded history of stream, as loading it
// from the store would: each payload encoded and decoded by the catalogue,
// at stream versions and positions 1, 2, …. A payload the store would
// refuse (one that breaks a field rule, or belongs to another aggregate's
// streams) fails the test: a history that could never be recorded proves
// nothing.
func History(t testing.TB, stream string, given ...events.Payload) []command.Recorded {
	t.Helper()
	reg := registry()
	out := make([]command.Recorded, 0, len(given))
	for i, p := range given {
		at := Epoch.Add(time.Duration(i) * time.Minute)
		if o, ok := p.(occurred); ok {
			p, at = o.Payload, o.at
		}
		typ, version, data, err := reg.Encode(p)
		if err != nil {
			t.Fatalf("given event %d (%T) could not be recorded: %v", i+1, p, err)
		}
		if err := reg.CheckStream(stream, typ); err != nil {
			t.Fatalf("given event %d: %v", i+1, err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		env := events.Envelope{
			ID: id, Type: typ, SchemaVersion: version, Stream: stream,
			StreamVersion: uint64(i + 1), Position: uint64(i + 1),
			OccurredAt: at.UTC(), RecordedAt: at.UTC(), Actor: "commandtest", Payload: data,
		}
		decoded, err := reg.Decode(env)
		if err != nil {
			t.Fatalf("given event %d (%s) does not decode: %v", i+1, typ, err)
		}
		out = append(out, command.Recorded{Envelope: env, Data: decoded})
	}
	return out
}

// Fold returns the state of aggregate id after the given events, folded
// by the aggregate's own Fold from the history [History] makes of them.
func Fold[S any](t testing.TB, a command.Aggregate[S], id string, given ...events.Payload) S {
	t.Helper()
	return a.Fold(id, History(t, a.Stream(id), given...))
}

// Case is one scenario on an aggregate whose state is S.
type Case[S any] struct {
	Name string
	// Given is the aggregate's history so far (none: not recorded yet).
	Given []events.Payload
	// When decides the command on the state Given folds into.
	When func(S) ([]events.Payload, error)
	// Then lists exactly the events the command must produce; it is
	// ignored when Rejected is set.
	Then []events.Payload
	// Rejected is the kind of rejection the command must meet
	// (command.ErrInvalid, ErrNotFound or ErrConflict), tested with
	// errors.Is; nil if it must be accepted.
	Rejected error
}

// Run runs each case as a subtest on aggregate id. A case passes when the
// command is rejected with an error of kind Rejected and produces nothing,
// or, without Rejected, when it produces exactly Then (compared with
// go-cmp, so nil and empty lists differ as they do in the stored JSON),
// every event of it one the executor can encode into the aggregate's
// stream. Either way the decision must leave the state it was given as it
// was: states share maps, so a decision that wrote to one would change
// what the next command sees.
func Run[S any](t *testing.T, a command.Aggregate[S], id string, cases []Case[S]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { c.Verify(t, a, id) })
	}
}

// Verify checks the case on aggregate id, as [Run] does for each case.
func (c Case[S]) Verify(t testing.TB, a command.Aggregate[S], id string) {
	t.Helper()
	history := History(t, a.Stream(id), c.Given...)
	state := a.Fold(id, history)
	got, err := c.When(state)
	if diff := Diff(a.Fold(id, history), state); diff != "" {
		t.Errorf("the decision changed the state it was given (-before +after):\n%s", diff)
	}
	if c.Rejected != nil {
		if !errors.Is(err, c.Rejected) {
			t.Fatalf("When() error = %v, want %v", err, c.Rejected)
		}
		if err.Error() == "" {
			t.Errorf("When() rejected with an empty message; a user needs to know why")
		}
		if got != nil {
			t.Errorf("When() = %v with error %v, want no events", got, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("When() error = %v, want events", err)
	}
	if diff := Diff(c.Then, got); diff != "" {
		t.Errorf("When() events (-want +got):\n%s", diff)
	}
	Recordable(t, a.Stream(id), got...)
}

// Recordable fails the test unless the executor could encode every event
// of ps into stream: each passes its field rules and belongs there.
func Recordable(t testing.TB, stream string, ps ...events.Payload) {
	t.Helper()
	for i, p := range ps {
		typ, _, _, err := registry().Encode(p)
		if err != nil {
			t.Errorf("event %d (%T) would be refused: %v", i+1, p, err)
			continue
		}
		if err := registry().CheckStream(stream, typ); err != nil {
			t.Errorf("event %d: %v", i+1, err)
		}
	}
}

// Check runs one cross-aggregate check: it fails the test unless err is
// nil when want is nil, or else is of kind want (errors.Is) with a
// message.
func Check(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("error = %v, want none", err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("error = %v, want %v", err, want)
	case want != nil && err.Error() == "":
		t.Errorf("rejected with an empty message; a user needs to know why")
	}
}

// Sealed stands for text sealed under a person's (or a record's) key: the
// decisions only carry sealed values from the HTTP layer to the events,
// so any well-formed one will do.
func Sealed(text string) *stakeholder.Sealed {
	return &stakeholder.Sealed{KeyID: "01a20000-0000-7000-8000-00000000000f", Nonce: []byte("nonce-twelve"), Ciphertext: []byte(text)}
}
