package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
)

// ReadStream implements [events.Store]. It walks the stream's subject with
// direct gets, which leave no consumer state on the server: aggregates are
// short and read on every command.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if err := events.CheckStreamName(stream); err != nil {
			yield(events.Envelope{}, err)
			return
		}
		ctx, cancel := s.withTimeout(ctx)
		defer cancel()
		version, lastSeq, err := s.last(ctx, stream)
		if err != nil {
			yield(events.Envelope{}, err)
			return
		}
		if version == 0 {
			yield(events.Envelope{}, fmt.Errorf("%w: %s", events.ErrStreamNotFound, stream))
			return
		}
		if from == version {
			// Only the last event: the recorder asks for it on every
			// append, to chain the next one to its hash.
			var m *jetstream.RawStreamMsg
			err := untilAnswered(ctx, func() (err error) {
				m, err = s.stream.GetMsg(ctx, lastSeq)
				return err
			})
			if err != nil {
				yield(events.Envelope{}, fmt.Errorf("read %s at sequence %d: %w", stream, lastSeq, err))
				return
			}
			yield(decode(m.Data, m.Sequence))
			return
		}
		subj := s.subject(stream)
		for seq := uint64(1); seq <= lastSeq; {
			var m *jetstream.RawStreamMsg
			err := untilAnswered(ctx, func() (err error) {
				m, err = s.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
				return err
			})
			if err != nil {
				yield(events.Envelope{}, fmt.Errorf("read %s at sequence %d: %w", stream, seq, err))
				return
			}
			seq = m.Sequence + 1
			v, err := strconv.ParseUint(m.Header.Get(headerStreamVersion), 10, 64)
			if err == nil && v < from {
				continue
			}
			e, err := decode(m.Data, m.Sequence)
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// ReadAll implements [events.Store].
func (s *Store) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		head, err := s.Head(ctx)
		if err != nil {
			yield(events.Envelope{}, err)
			return
		}
		if head <= after {
			return
		}
		s.consume(ctx, after, head, yield)
	}
}

// Subscribe implements [events.Store].
func (s *Store) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		s.consume(ctx, after, 0, yield)
	}
}

// consume reads the stream in order from after+1 with an ordered consumer,
// up to and including sequence until, or forever if until is 0. It ends
// quietly when ctx is cancelled.
func (s *Store) consume(ctx context.Context, after, until uint64, yield func(events.Envelope, error) bool) {
	// Ordered consumers are ephemeral; a short inactivity threshold lets the
	// server forget one soon after its reader stops, as paged reads create
	// many of them.
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: 10 * time.Second}
	if after > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = after + 1
	}
	cons, err := s.js.OrderedConsumer(ctx, s.name, cfg)
	if err != nil {
		if ctx.Err() == nil {
			yield(events.Envelope{}, fmt.Errorf("create consumer: %w", err))
		}
		return
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		yield(events.Envelope{}, fmt.Errorf("consume: %w", err))
		return
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		it.Stop()
	}()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				yield(events.Envelope{}, fmt.Errorf("consume: %w", err))
			}
			return
		}
		meta, err := m.Metadata()
		if err != nil {
			yield(events.Envelope{}, fmt.Errorf("consume: %w", err))
			return
		}
		e, err := decode(m.Data(), meta.Sequence.Stream)
		if !yield(e, err) || err != nil {
			return
		}
		if until > 0 && meta.Sequence.Stream >= until {
			return
		}
	}
}

func decode(data []byte, seq uint64) (events.Envelope, error) {
	var e events.Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return events.Envelope{}, fmt.Errorf("%w: message at sequence %d: %v", events.ErrInvalidEvent, seq, err)
	}
	e.Position = seq
	return e, nil
}
