package kurrent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
)

// Store is an [events.Store] on KurrentDB. It is safe for concurrent use.
type Store struct {
	client    *esdb.Client
	namespace string
	prefixes  []string // with the namespace
	timeout   time.Duration
}

var _ events.Store = (*Store)(nil)

type options struct {
	namespace string
	prefixes  []string
	timeout   time.Duration
}

// WithNamespace prefixes every stream name on the server with ns, so that
// several together installations (or test runs) can share one node
// without seeing each other. Default none.
func WithNamespace(ns string) Option {
	return func(o *options) error {
		o.namespace = ns
		return nil
	}
}

// Option configures [New].
type Option func(*options) error

// WithStreamPrefixes sets which streams ReadAll, Subscribe and Head see.
// Default: the catalogue's streams ([catalogue.StreamPrefixes]).
func WithStreamPrefixes(prefixes ...string) Option {
	return func(o *options) error {
		if len(prefixes) == 0 {
			return fmt.Errorf("%w: no stream prefixes", events.ErrInvalidOption)
		}
		o.prefixes = prefixes
		return nil
	}
}

// WithDefaultTimeout bounds appends and head reads when ctx has no
// deadline. Default 10s.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout must be positive", events.ErrInvalidOption)
		}
		o.timeout = d
		return nil
	}
}

// New connects to the KurrentDB at connection (esdb://host:2113?tls=…).
// Options: [WithStreamPrefixes], [WithDefaultTimeout].
func New(connection string, opts ...Option) (*Store, error) {
	o := options{prefixes: catalogue.StreamPrefixes(), timeout: 10 * time.Second}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cfg, err := esdb.ParseConnectionString(connection)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb connection string: %w", err)
	}
	// The client logs its discovery to the console by default; errors
	// reach us as errors, so keep the process's logs ours.
	cfg.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb client: %w", err)
	}
	prefixes := make([]string, len(o.prefixes))
	for i, p := range o.prefixes {
		prefixes[i] = o.namespace + p
	}
	return &Store{client: client, namespace: o.namespace, prefixes: prefixes, timeout: o.timeout}, nil
}

// Close closes the connection.
func (s *Store) Close() error { return s.client.Close() }

// metadata is the envelope without what KurrentDB keeps itself (id, type,
// stream, revision, position) and without the payload.
type metadata struct {
	SchemaVersion int                 `json:"schema_version"`
	OccurredAt    time.Time           `json:"occurred_at"`
	RecordedAt    time.Time           `json:"recorded_at"`
	Actor         string              `json:"actor"`
	CorrelationID string              `json:"correlation_id"`
	CausationID   string              `json:"causation_id,omitempty"`
	Idempotency   *events.Idempotency `json:"idempotency,omitempty"`
	PrevHash      string              `json:"prev_hash"`
	Hash          string              `json:"hash"`
}

func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) ours(stream string) bool {
	for _, p := range s.prefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// Append implements [events.Store].
func (s *Store) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	prepared, err := events.PrepareAppend(stream, expected, evs, time.Now())
	if err != nil {
		return events.AppendResult{}, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	data := make([]esdb.EventData, len(prepared))
	for i, e := range prepared {
		meta, err := json.Marshal(metadata{
			SchemaVersion: e.SchemaVersion, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor,
			CorrelationID: e.CorrelationID, CausationID: e.CausationID, Idempotency: e.Idempotency,
			PrevHash: e.PrevHash, Hash: e.Hash,
		})
		if err != nil {
			return events.AppendResult{}, err
		}
		payload := e.Payload
		if len(payload) == 0 {
			payload = json.RawMessage("null")
		}
		data[i] = esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: esdb.ContentTypeJson, Data: payload, Metadata: meta}
	}
	var rev esdb.ExpectedRevision = esdb.NoStream{}
	if expected > 0 {
		rev = esdb.Revision(expected - 1)
	}
	res, err := s.client.AppendToStream(ctx, s.namespace+stream, esdb.AppendToStreamOptions{ExpectedRevision: rev}, data...)
	var kerr *esdb.Error
	switch {
	case errors.As(err, &kerr) && kerr.Code() == esdb.ErrorCodeWrongExpectedVersion:
		actual, verr := s.version(ctx, stream)
		if verr != nil {
			return events.AppendResult{}, verr
		}
		return events.AppendResult{}, &events.ConflictError{Stream: stream, Expected: expected, Actual: actual}
	case err != nil:
		return events.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	result := events.AppendResult{StreamVersion: res.NextExpectedVersion + 1, Position: res.CommitPosition}
	if res.CommitPosition == 0 {
		// An idempotent retry may be answered without a position: find the
		// original by reading back the last event of the batch.
		last := prepared[len(prepared)-1]
		for e, err := range s.ReadStream(ctx, stream, last.StreamVersion) {
			if err != nil {
				return events.AppendResult{}, fmt.Errorf("append to %s: confirm position: %w", stream, err)
			}
			if e.ID != last.ID {
				return events.AppendResult{}, fmt.Errorf("append to %s: version %d holds %s, not %s", stream, last.StreamVersion, e.ID, last.ID)
			}
			return events.AppendResult{StreamVersion: e.StreamVersion, Position: e.Position}, nil
		}
	}
	return result, nil
}

// version returns the stream's current version, 0 if it has no events.
func (s *Store) version(ctx context.Context, stream string) (uint64, error) {
	rs, err := s.client.ReadStream(ctx, s.namespace+stream, esdb.ReadStreamOptions{From: esdb.End{}, Direction: esdb.Backwards}, 1)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if isNotFound(err) || errors.Is(err, io.EOF) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	return ev.OriginalEvent().EventNumber + 1, nil
}

func isNotFound(err error) bool {
	var kerr *esdb.Error
	return errors.As(err, &kerr) && kerr.Code() == esdb.ErrorCodeResourceNotFound
}

// ReadStream implements [events.Store].
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if err := events.CheckStreamName(stream); err != nil {
			yield(events.Envelope{}, err)
			return
		}
		start := uint64(0)
		if from > 1 {
			start = from - 1
		}
		rs, err := s.client.ReadStream(ctx, s.namespace+stream, esdb.ReadStreamOptions{From: esdb.Revision(start), Direction: esdb.Forwards}, ^uint64(0)>>1)
		if err != nil {
			yield(events.Envelope{}, fmt.Errorf("read %s: %w", stream, err))
			return
		}
		defer rs.Close()
		first := true
		for {
			ev, err := rs.Recv()
			switch {
			case errors.Is(err, io.EOF):
				if first && from <= 1 {
					yield(events.Envelope{}, fmt.Errorf("%w: %s", events.ErrStreamNotFound, stream))
				}
				return
			case isNotFound(err):
				yield(events.Envelope{}, fmt.Errorf("%w: %s", events.ErrStreamNotFound, stream))
				return
			case err != nil:
				yield(events.Envelope{}, fmt.Errorf("read %s: %w", stream, err))
				return
			}
			first = false
			if !yield(s.decode(ev.OriginalEvent())) {
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
		var from esdb.AllPosition = esdb.Start{}
		if after > 0 {
			from = esdb.Position{Commit: after, Prepare: after}
		}
		rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{From: from, Direction: esdb.Forwards}, ^uint64(0)>>1)
		if err != nil {
			yield(events.Envelope{}, fmt.Errorf("read $all: %w", err))
			return
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(events.Envelope{}, fmt.Errorf("read $all: %w", err))
				return
			}
			rec := ev.OriginalEvent()
			if rec.Position.Commit <= after || !s.ours(rec.StreamID) {
				continue
			}
			if rec.Position.Commit > head {
				return
			}
			if !yield(s.decode(rec)) {
				return
			}
		}
	}
}

// Subscribe implements [events.Store] with a catch-up subscription to
// $all filtered to the catalogue's streams.
func (s *Store) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		var from esdb.AllPosition = esdb.Start{}
		if after > 0 {
			from = esdb.Position{Commit: after, Prepare: after}
		}
		sub, err := s.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
			From:   from,
			Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: s.prefixes},
		})
		if err != nil {
			if ctx.Err() == nil {
				yield(events.Envelope{}, fmt.Errorf("subscribe to $all: %w", err))
			}
			return
		}
		defer sub.Close()
		for {
			msg := sub.Recv()
			if ctx.Err() != nil {
				return
			}
			if msg.SubscriptionDropped != nil {
				yield(events.Envelope{}, fmt.Errorf("subscription to $all dropped: %w", msg.SubscriptionDropped.Error))
				return
			}
			if msg.EventAppeared == nil {
				continue // checkpoints, caught up, fell behind
			}
			rec := msg.EventAppeared.OriginalEvent()
			if rec.Position.Commit <= after || !s.ours(rec.StreamID) {
				continue
			}
			if !yield(s.decode(rec)) {
				return
			}
		}
	}
}

// Head implements [events.Store]: the position of the last event of the
// catalogue's streams.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.End{}, Direction: esdb.Backwards}, ^uint64(0)>>1)
	if err != nil {
		return 0, fmt.Errorf("read $all: %w", err)
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read $all: %w", err)
		}
		if rec := ev.OriginalEvent(); s.ours(rec.StreamID) {
			return rec.Position.Commit, nil
		}
	}
}

func (s *Store) decode(rec *esdb.RecordedEvent) (events.Envelope, error) {
	var m metadata
	if err := json.Unmarshal(rec.UserMetadata, &m); err != nil {
		return events.Envelope{}, fmt.Errorf("%w: metadata of %s@%d: %v", events.ErrInvalidEvent, rec.StreamID, rec.EventNumber, err)
	}
	return events.Envelope{
		ID: rec.EventID, Type: rec.EventType, SchemaVersion: m.SchemaVersion,
		Stream: strings.TrimPrefix(rec.StreamID, s.namespace), StreamVersion: rec.EventNumber + 1, Position: rec.Position.Commit,
		OccurredAt: m.OccurredAt, RecordedAt: m.RecordedAt, Actor: m.Actor,
		CorrelationID: m.CorrelationID, CausationID: m.CausationID, Idempotency: m.Idempotency,
		PrevHash: m.PrevHash, Hash: m.Hash, Payload: json.RawMessage(rec.Data),
	}, nil
}
