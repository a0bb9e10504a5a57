package events

import (
	"fmt"
	"strings"
)

// Aggregate is one kind of stream in the catalogue: the name its streams
// start with and the event types they may hold. Every event type belongs
// to exactly one aggregate, so a store never holds an event in a stream
// that cannot explain it.
type Aggregate struct {
	// Name is the aggregate's name in words: "project", "stakeholder".
	Name string
	// StreamPrefix starts the name of each of the aggregate's streams,
	// which is the prefix followed by the aggregate's id: "project-<id>".
	StreamPrefix string
	// Stream is the whole name of an aggregate with exactly one stream
	// (the ledger's seals); StreamPrefix is empty then.
	Stream string
	// Types lists the event types the aggregate's streams hold, as
	// registered.
	Types []string
}

// Owns reports whether stream is one of the aggregate's streams.
func (a Aggregate) Owns(stream string) bool {
	if a.Stream != "" {
		return stream == a.Stream
	}
	return len(stream) > len(a.StreamPrefix) && strings.HasPrefix(stream, a.StreamPrefix)
}

// ID returns the aggregate id within stream, "" if the aggregate does not
// own stream or has only one stream.
func (a Aggregate) ID(stream string) string {
	if a.Stream != "" || !a.Owns(stream) {
		return ""
	}
	return stream[len(a.StreamPrefix):]
}

// describe names the aggregate's streams for an error message.
func (a Aggregate) describe() string {
	if a.Stream != "" {
		return "the stream " + a.Stream
	}
	return a.Name + " streams (" + a.StreamPrefix + "<id>)"
}

// TypeSpec is one event type with its current schema version, for
// [Registry.RegisterAggregate].
type TypeSpec struct {
	Version    int
	NewPayload func() Payload
}

// Version pairs an event type's constructor with its current schema
// version.
func Version(v int, newPayload func() Payload) TypeSpec {
	return TypeSpec{Version: v, NewPayload: newPayload}
}

// RegisterAggregate registers every event type of an aggregate at its
// current schema version and declares them the aggregate's own (see
// [Registry.DeclareAggregate]).
func (r *Registry) RegisterAggregate(a Aggregate, types ...TypeSpec) {
	names := make([]string, len(types))
	for i, t := range types {
		r.Register(t.Version, t.NewPayload)
		names[i] = t.NewPayload().EventType()
	}
	r.DeclareAggregate(a, names...)
}

// DeclareAggregate declares which registered event types the aggregate's
// streams hold. In the catalogue every type belongs to exactly one
// aggregate; a test registry may let a type into several. It panics on an
// unregistered type, a duplicate aggregate name, or streams that overlap
// another aggregate's: declaration is start-up wiring, and a mistake there
// must stop the program.
func (r *Registry) DeclareAggregate(a Aggregate, types ...string) {
	if a.Name == "" || (a.StreamPrefix == "") == (a.Stream == "") {
		panic(fmt.Sprintf("events: aggregate %q needs a name and exactly one of a stream prefix or a stream", a.Name))
	}
	for _, other := range r.aggregates {
		if other.Name == a.Name || overlaps(other, a) || overlaps(a, other) {
			panic(fmt.Sprintf("events: aggregate %s clashes with %s", a.Name, other.Name))
		}
	}
	for _, name := range types {
		reg, ok := r.types[name]
		if !ok {
			panic(fmt.Sprintf("events: aggregate %s declares unregistered type %s", a.Name, name))
		}
		reg.aggregates = append(reg.aggregates, len(r.aggregates))
	}
	a.Types = append([]string(nil), types...)
	r.aggregates = append(r.aggregates, a)
}

func overlaps(a, b Aggregate) bool {
	probe := b.Stream
	if probe == "" {
		probe = b.StreamPrefix + "x"
	}
	return a.Owns(probe) || a.StreamPrefix != "" && b.StreamPrefix != "" &&
		(strings.HasPrefix(a.StreamPrefix, b.StreamPrefix) || strings.HasPrefix(b.StreamPrefix, a.StreamPrefix))
}

// Aggregates lists the registered aggregates in registration order. The
// slices are copies.
func (r *Registry) Aggregates() []Aggregate {
	out := make([]Aggregate, len(r.aggregates))
	for i, a := range r.aggregates {
		a.Types = append([]string(nil), a.Types...)
		out[i] = a
	}
	return out
}

// AggregateOf returns the aggregate that owns stream.
func (r *Registry) AggregateOf(stream string) (Aggregate, bool) {
	for _, a := range r.aggregates {
		if a.Owns(stream) {
			return a, true
		}
	}
	return Aggregate{}, false
}

// CheckStream refuses, with an error wrapping [ErrInvalidEvent], an event
// of eventType in a stream its aggregate does not own.
func (r *Registry) CheckStream(stream, eventType string) error {
	reg, ok := r.types[eventType]
	if !ok {
		return fmt.Errorf("%w: unknown event type %q", ErrInvalidEvent, eventType)
	}
	if len(reg.aggregates) == 0 {
		return fmt.Errorf("%w: %s belongs to no aggregate of the catalogue", ErrInvalidEvent, eventType)
	}
	for _, i := range reg.aggregates {
		if r.aggregates[i].Owns(stream) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s belongs to %s, not to %s", ErrInvalidEvent, eventType, r.aggregates[reg.aggregates[0]].describe(), stream)
}
