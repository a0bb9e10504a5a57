package command

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
)

// Store is what the executor needs of the event store; in the services it
// is the recorder client.
type Store interface {
	Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error)
	ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error]
}

// Recorded is one event of a loaded history with its decoded payload.
type Recorded struct {
	events.Envelope
	Data events.Payload
}

// Decide turns a stream's history (empty for a new stream) into the events
// a command appends, or a rejection made with [Rejectf].
type Decide func(history []Recorded) ([]events.Payload, error)

// Result is what a command answers.
type Result struct {
	// ID is the id the command created or acted on.
	ID            string      `json:"id"`
	EventIDs      []uuid.UUID `json:"event_ids"`
	StreamVersion uint64      `json:"stream_version"`
	Position      uint64      `json:"position"`
	// Replayed is true when an Idempotency-Key matched an earlier command
	// and its original result is returned; nothing new was appended.
	Replayed bool `json:"replayed,omitempty"`
}

// Executor loads, decides and appends. It is safe for concurrent use.
type Executor struct {
	store     Store
	registry  *events.Registry
	opts      options
	metrics   *metrics
	histories *histories
}

// NewExecutor returns an executor on store, decoding with registry.
// Options: [WithClock], [WithAttempts], [WithKeptEvents], [WithMetrics].
func NewExecutor(store Store, registry *events.Registry, opts ...Option) (*Executor, error) {
	if store == nil || registry == nil {
		return nil, fmt.Errorf("%w: the executor needs a store and a registry", events.ErrInvalidOption)
	}
	o := options{now: time.Now, attempts: 20, keptEvents: DefaultKeptEvents}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	x := &Executor{store: store, registry: registry, opts: o, histories: newHistories(o.keptEvents)}
	if o.registerer != nil {
		var err error
		if x.metrics, err = newMetrics(o.registerer); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Now returns the executor's current time.
func (x *Executor) Now() time.Time { return x.opts.now() }

// Load returns the decoded history of stream, or nil if it has no events.
// What it loaded before it reads again only from where that ended.
func (x *Executor) Load(ctx context.Context, stream string) ([]Recorded, error) {
	known := x.histories.get(stream).readBack()
	h, err := x.read(ctx, stream, known)
	if errors.Is(err, errNotNext) && len(known) > 0 {
		// The store does not go on from the history kept: what it says
		// now is what counts.
		x.histories.forget(stream)
		known = nil
		h, err = x.read(ctx, stream, nil)
	}
	if err != nil {
		return nil, err
	}
	x.observeLoad(len(known), len(h)-len(known))
	x.histories.put(stream, h)
	return h, nil
}

// errNotNext is a store's answer to "the events from version n on" that
// does not begin at version n.
var errNotNext = errors.New("the store's answer does not go on from the version asked for")

// read returns known followed by the events of stream after it.
func (x *Executor) read(ctx context.Context, stream string, known []Recorded) ([]Recorded, error) {
	next := uint64(len(known)) + 1
	out := known
	for e, err := range x.store.ReadStream(ctx, stream, next) {
		if errors.Is(err, events.ErrStreamNotFound) {
			if len(known) > 0 {
				return nil, fmt.Errorf("load %s: %w: no stream", stream, errNotNext)
			}
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", stream, err)
		}
		if e.StreamVersion != next {
			return nil, fmt.Errorf("load %s: %w: version %d where %d was next", stream, errNotNext, e.StreamVersion, next)
		}
		p, err := x.registry.Decode(e)
		if err != nil {
			return nil, fmt.Errorf("load %s: event %s at version %d: %w", stream, e.ID, e.StreamVersion, err)
		}
		// known's length is its capacity: this copies the first time.
		out = append(out, Recorded{Envelope: e, Data: p})
		next++
	}
	return out, nil
}

// Execute runs one command on stream: decide, or replay an idempotent
// retry, on its history, append what was decided with the expected
// version, and on a concurrent change start again from the new history.
//
// A history kept from earlier commands is decided on without asking the
// store first whether anything came after it; that is checked where it
// matters. The expected version refuses an append decided on a history
// that was not the whole stream, and the command is then decided again on
// what the store holds; any other answer (a rejection, a replay) is given
// only once decided on what the store holds.
func (x *Executor) Execute(ctx context.Context, stream string, meta Meta, decide Decide) (Result, error) {
	return x.execute(ctx, stream, meta, decide, false)
}

// execute is [Executor.Execute]; with fresh, a stream with nothing kept is
// taken to have no events, for a stream named by an id a creation has just
// chosen.
func (x *Executor) execute(ctx context.Context, stream string, meta Meta, decide Decide, fresh bool) (Result, error) {
	on := x.histories.get(stream)
	unchecked := fresh || on.recs != nil
	if unchecked {
		x.observeLoad(len(on.recs), 0)
	}
	// Each append refused although decided on what the store held is an
	// attempt.
	for refused := 0; refused < x.opts.attempts; {
		if !unchecked {
			recs, err := x.Load(ctx, stream)
			if err != nil {
				return Result{}, err
			}
			on = history{recs: recs, read: len(recs)}
		}
		res, replayed, err := replay(on.recs, meta)
		if (replayed || err != nil) && unchecked {
			unchecked = false
			continue
		}
		if replayed || err != nil {
			return res, err
		}
		payloads, err := decide(on.recs)
		if err != nil && unchecked {
			unchecked = false
			continue
		}
		if err != nil {
			return Result{}, err
		}
		envs, ids, err := x.envelopes(payloads, meta)
		if err != nil {
			return Result{}, err
		}
		appendRes, err := x.store.Append(ctx, stream, uint64(len(on.recs)), envs)
		if errors.Is(err, events.ErrWrongExpectedVersion) {
			if unchecked {
				// Not a crowd of writers, so not an attempt: the stream
				// had gone on.
				unchecked = false
				continue
			}
			// Another writer: the next load reads on from the history
			// kept. A store that refuses even that is read afresh.
			if refused++; refused > 1 {
				x.histories.forget(stream)
			}
			if err := x.stepAside(ctx, refused); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		appended := make([]Recorded, len(envs))
		for i, e := range envs {
			e.Stream, e.StreamVersion = stream, uint64(len(on.recs)+i+1)
			appended[i] = Recorded{Envelope: e, Data: payloads[i]}
		}
		x.histories.appended(stream, on, appended)
		return Result{EventIDs: ids, StreamVersion: appendRes.StreamVersion, Position: appendRes.Position}, nil
	}
	return Result{}, Rejectf(ErrBusy, "%s kept changing while the command ran; try again", stream)
}

// stepAside waits a moment, random and growing with the attempt, after
// another writer got there first, so that a crowd of writers thins out.
func (x *Executor) stepAside(ctx context.Context, attempt int) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(1000)) * time.Microsecond):
		return nil
	}
}

// replay finds the events an earlier command with the same Idempotency-Key
// appended to this stream.
func replay(history []Recorded, meta Meta) (Result, bool, error) {
	if meta.IdempotencyKey == "" {
		return Result{}, false, nil
	}
	var res Result
	for _, r := range history {
		if r.Idempotency == nil || r.Idempotency.Key != meta.IdempotencyKey {
			continue
		}
		if r.Idempotency.Digest != meta.digest {
			return Result{}, false, Rejectf(ErrKeyReused, "Idempotency-Key %q was already used for a different request", meta.IdempotencyKey)
		}
		res.EventIDs = append(res.EventIDs, r.ID)
		res.StreamVersion, res.Position = r.StreamVersion, r.Position
	}
	res.Replayed = len(res.EventIDs) > 0
	return res, res.Replayed, nil
}

func (x *Executor) envelopes(payloads []events.Payload, meta Meta) ([]events.Envelope, []uuid.UUID, error) {
	occurred := meta.OccurredAt
	if occurred.IsZero() {
		occurred = x.opts.now()
	}
	var idem *events.Idempotency
	if meta.IdempotencyKey != "" {
		idem = &events.Idempotency{Key: meta.IdempotencyKey, Digest: meta.digest}
	}
	envs := make([]events.Envelope, len(payloads))
	ids := make([]uuid.UUID, len(payloads))
	for i, p := range payloads {
		typ, version, data, err := x.registry.Encode(p)
		if err != nil {
			return nil, nil, err
		}
		id, err := events.NewEventID()
		if err != nil {
			return nil, nil, err
		}
		envs[i] = events.Envelope{
			ID: id, Type: typ, SchemaVersion: version,
			OccurredAt: occurred.UTC().Truncate(time.Microsecond), Actor: meta.Actor,
			CorrelationID: meta.CorrelationID, CausationID: meta.CausationID,
			Idempotency: idem, Payload: data,
		}
		ids[i] = id
	}
	return envs, ids, nil
}
