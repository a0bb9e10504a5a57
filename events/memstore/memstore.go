// Package memstore is the in-memory reference implementation of
// [events.Store]: the simplest store that satisfies the contract, used by
// tests and as the yardstick the other backends are held to.
package memstore

import (
	"context"
	"iter"
	"sync"
	"time"

	"github.com/together-coop/together/events"
)

// Store keeps every event in memory. It is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	log     []events.Envelope // log[i] has position i+1
	streams map[string][]int  // stream → indexes into log
	// changed is closed and replaced on every append, waking subscribers.
	changed chan struct{}
	now     func() time.Time
}

var _ events.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{streams: make(map[string][]int), changed: make(chan struct{}), now: time.Now}
}

// Append implements [events.Store].
func (s *Store) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return events.AppendResult{}, err
	}
	prepared, err := events.PrepareAppend(stream, expected, evs, s.now())
	if err != nil {
		return events.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[stream]
	current := uint64(len(idx))
	if current != expected {
		if expected < current && expected+uint64(len(prepared)) <= current {
			stored := make([]events.Envelope, len(prepared))
			for i := range prepared {
				stored[i] = s.log[idx[expected+uint64(i)]]
			}
			if events.SameEvents(stored, prepared) {
				last := stored[len(stored)-1]
				return events.AppendResult{StreamVersion: last.StreamVersion, Position: last.Position}, nil
			}
		}
		return events.AppendResult{}, &events.ConflictError{Stream: stream, Expected: expected, Actual: current}
	}
	for _, e := range prepared {
		e.Position = uint64(len(s.log)) + 1
		s.log = append(s.log, e)
		idx = append(idx, len(s.log)-1)
	}
	s.streams[stream] = idx
	close(s.changed)
	s.changed = make(chan struct{})
	return events.AppendResult{StreamVersion: uint64(len(idx)), Position: uint64(len(s.log))}, nil
}

// ReadStream implements [events.Store].
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		s.mu.Lock()
		idx := s.streams[stream]
		out := make([]events.Envelope, 0, len(idx))
		for _, i := range idx {
			if s.log[i].StreamVersion >= from {
				out = append(out, s.log[i])
			}
		}
		s.mu.Unlock()
		if len(idx) == 0 {
			yield(events.Envelope{}, events.ErrStreamNotFound)
			return
		}
		for _, e := range out {
			if err := ctx.Err(); err != nil {
				yield(events.Envelope{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// ReadAll implements [events.Store].
func (s *Store) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		s.mu.Lock()
		end := uint64(len(s.log))
		s.mu.Unlock()
		for pos := after + 1; pos <= end; pos++ {
			if err := ctx.Err(); err != nil {
				yield(events.Envelope{}, err)
				return
			}
			s.mu.Lock()
			e := s.log[pos-1]
			s.mu.Unlock()
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Subscribe implements [events.Store].
func (s *Store) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		next := after + 1
		for {
			s.mu.Lock()
			var batch []events.Envelope
			if next <= uint64(len(s.log)) {
				batch = append(batch, s.log[next-1:]...)
			}
			wake := s.changed
			s.mu.Unlock()
			for _, e := range batch {
				if ctx.Err() != nil {
					return
				}
				if !yield(e, nil) {
					return
				}
				next = e.Position + 1
			}
			if len(batch) > 0 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
		}
	}
}

// Head implements [events.Store].
func (s *Store) Head(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.log)), ctx.Err()
}
