package recorder

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
)

// Local reaches the recorder from the process it runs in: an append goes
// through the same checks, stamps, hash chain and group commit as one
// sent over NATS, and is acknowledged as late (once the store has it), but
// without the trip through the NATS server and JSON each way: a third of
// a command's CPU in together serve. A command service that runs in the
// recorder's process (together serve) uses it; one in a process of its own
// uses [Client]. It implements [events.Store] and is safe for concurrent
// use once the recorder is ready.
type Local struct {
	s *Service
}

var _ events.Store = (*Local)(nil)

// Local returns the recorder as seen from its own process.
func (s *Service) Local() *Local { return &Local{s: s} }

// errStopping is answered once the recorder has begun to stop, as a client
// is told over NATS.
var errStopping = fmt.Errorf("%w: the recorder is stopping; retry", events.ErrUnavailable)

// Append implements [events.Store]. An append asked for once ctx is done
// is not made; one asked for before is finished within the recorder's own
// timeout whatever ctx does, as a request over NATS is once sent: an
// append is never abandoned half-way.
func (l *Local) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return events.AppendResult{}, fmt.Errorf("%w: append to %s: %v", events.ErrUnavailable, stream, err)
	}
	if !l.s.gate.Enter() {
		return events.AppendResult{}, errStopping
	}
	defer l.s.gate.Leave()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.s.opts.timeout)
	defer cancel()
	// The committer stamps the events it appends; the caller's stay as
	// it sent them, as they do over NATS.
	res, err := l.s.appendCounted(ctx, appendRequest{Stream: stream, ExpectedVersion: expected, Events: slices.Clone(evs)})
	return res, l.classify(ctx, "append", err)
}

// ReadStream implements [events.Store]: an aggregate's history, read
// within the recorder's request timeout as a command's load over NATS is.
func (l *Local) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if !l.s.gate.Enter() {
			yield(events.Envelope{}, errStopping)
			return
		}
		defer l.s.gate.Leave()
		ctx, cancel := context.WithTimeout(ctx, l.s.opts.timeout)
		defer cancel()
		l.yieldRead(ctx, l.s.store.ReadStream(ctx, stream, max(from, 1)), yield)
	}
}

// ReadAll implements [events.Store]: the store's own read of the whole
// history, which bounds each of its pages by its own timeout, as a client
// over NATS bounds each page it asks for; the recorder's stop does not
// wait for it.
func (l *Local) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		l.yieldRead(ctx, l.s.store.ReadAll(ctx, after), yield)
	}
}

// yieldRead yields what read yields, until its first error, which it
// yields as [Local.classify] has it.
func (l *Local) yieldRead(ctx context.Context, read iter.Seq2[events.Envelope, error], yield func(events.Envelope, error) bool) {
	for e, err := range read {
		if err != nil {
			yield(events.Envelope{}, l.classify(ctx, "read", err))
			return
		}
		if !yield(e, nil) {
			return
		}
	}
}

// Subscribe implements [events.Store]: the store's own subscription,
// which lasts as long as ctx.
func (l *Local) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return l.s.store.Subscribe(ctx, after)
}

// Head implements [events.Store].
func (l *Local) Head(ctx context.Context) (uint64, error) {
	if !l.s.gate.Enter() {
		return 0, errStopping
	}
	defer l.s.gate.Leave()
	ctx, cancel := context.WithTimeout(ctx, l.s.opts.timeout)
	defer cancel()
	pos, err := l.s.store.Head(ctx)
	return pos, l.classify(ctx, "read", err)
}

// classify returns err as a [Client] would have it from the recorder:
// what the store refused (as [storeError] tells a refusal) as itself,
// anything else as the store being unavailable, logged as the recorder
// logs a request that failed.
func (l *Local) classify(ctx context.Context, what string, err error) error {
	if err == nil || errors.Is(err, events.ErrUnavailable) {
		return err
	}
	var refusal *replyError
	failed := storeError(what, err)
	if errors.As(failed, &refusal) {
		return err
	}
	log := zerolog.Ctx(ctx)
	if log.GetLevel() == zerolog.Disabled {
		log = &l.s.opts.log
	}
	log.Error().Err(err).Str("recorder_call", what).Msg("request failed")
	return fmt.Errorf("%w: %v", events.ErrUnavailable, failed)
}
