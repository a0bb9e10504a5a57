package app

import (
	"context"
	"errors"
	"iter"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
)

// historySource is where the reports read the history: the event stream
// itself, through the direct gets the recorder's account exports, when
// the recorder keeps the events in JetStream (a cold start reads at the
// stream's pace, not through the recorder's JSON pages); through the
// recorder when it keeps them in KurrentDB. A reports process is not told
// which store the recorder has, so each read asks: no event stream, the
// recorder.
type historySource struct {
	stream   *natsjs.Reader
	recorder *recorder.Client
}

var _ reports.Source = historySource{}

func (s historySource) pick(ctx context.Context) reports.Source {
	if _, err := s.stream.Head(ctx); errors.Is(err, jetstream.ErrStreamNotFound) {
		return s.recorder
	}
	return s.stream
}

func (s historySource) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range s.pick(ctx).Subscribe(ctx, after) {
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s historySource) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range s.pick(ctx).ReadAll(ctx, after) {
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s historySource) Head(ctx context.Context) (uint64, error) {
	head, err := s.stream.Head(ctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return s.recorder.Head(ctx)
	}
	return head, err
}
