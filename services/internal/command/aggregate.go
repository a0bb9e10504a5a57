package command

import (
	"context"
	"net/http"

	"github.com/together-coop/together/events"
)

// Aggregate describes one aggregate to the executor: where its history
// lives, how the history folds into the state decisions are made on, and
// whether that state is of something recorded. A command service is an
// Aggregate, its decide functions and its routes.
type Aggregate[S any] struct {
	// Name names the aggregate in messages and derived ids: "project".
	Name string
	// Stream returns the stream of aggregate id.
	Stream func(id string) string
	// Fold builds the state of aggregate id from its history (empty for
	// an aggregate not recorded yet).
	Fold func(id string, history []Recorded) S
	// Exists reports whether a state is of a recorded aggregate.
	Exists func(S) bool
}

// Load returns the state of aggregate id, or an error wrapping
// [ErrNotFound] if it was never recorded.
func (a Aggregate[S]) Load(ctx context.Context, x *Executor, id string) (S, error) {
	h, err := x.Load(ctx, a.Stream(id))
	if err != nil {
		var zero S
		return zero, err
	}
	s := a.Fold(id, h)
	if !a.Exists(s) {
		var zero S
		return zero, Rejectf(ErrNotFound, "no %s %s", a.Name, id)
	}
	return s, nil
}

// On runs a command on aggregate id: decide chooses the events from the
// state its history folds into. The result names id.
func (a Aggregate[S]) On(ctx context.Context, x *Executor, id string, meta Meta, decide func(S) ([]events.Payload, error)) (Result, error) {
	return a.on(ctx, x, id, meta, decide, false)
}

func (a Aggregate[S]) on(ctx context.Context, x *Executor, id string, meta Meta, decide func(S) ([]events.Payload, error), fresh bool) (Result, error) {
	res, err := x.execute(ctx, a.Stream(id), meta, func(h []Recorded) ([]events.Payload, error) {
		return decide(a.Fold(id, h))
	}, fresh)
	res.ID = id
	return res, err
}

// Create runs a command that records a new aggregate, under an id derived
// from the command's Idempotency-Key (see [Meta.NewID]) so that a retry
// lands on the same stream.
func (a Aggregate[S]) Create(ctx context.Context, x *Executor, meta Meta, decide func(S) ([]events.Payload, error)) (Result, error) {
	id, err := meta.NewID(a.Name)
	if err != nil {
		return Result{}, err
	}
	return a.OnNew(ctx, x, id, meta, decide)
}

// OnNew is [Aggregate.On] for an id just chosen with [Meta.NewID], for a
// command that needs its id before it runs. Such a stream is new unless
// the command is a retry, so the command is decided first without reading
// it.
func (a Aggregate[S]) OnNew(ctx context.Context, x *Executor, id string, meta Meta, decide func(S) ([]events.Payload, error)) (Result, error) {
	return a.on(ctx, x, id, meta, decide, true)
}

// Decision is a command's choice of events, given its request, its body
// and the state of the aggregate the request names.
type Decision[S any, PB Body] func(r *http.Request, body PB, state S) ([]events.Payload, error)

// OnPath adapts a command on the aggregate named by the path's {id} to
// HTTP (see [Handler]): an id that is not a canonical UUID is 404.
func OnPath[S any, B any, PB interface {
	*B
	Body
}](x *Executor, a Aggregate[S], status int, decide Decision[S, PB]) http.HandlerFunc {
	return Handler(x, status, func(ctx context.Context, r *http.Request, body PB, meta Meta) (Result, error) {
		id, err := PathID(r, "id")
		if err != nil {
			return Result{}, err
		}
		return a.On(ctx, x, id, meta, func(s S) ([]events.Payload, error) { return decide(r, body, s) })
	})
}
