package events

import (
	"context"
	"iter"
)

// Store is the event store contract: the only source of truth. Every
// backend (memstore, JetStream, KurrentDB) passes the storetest suite.
//
// Implementations are safe for concurrent use.
type Store interface {
	// Append atomically appends evs to stream if the stream is at version
	// expected (0: the stream must not exist yet). The store sets each
	// envelope's Stream, StreamVersion (expected+1, expected+2, …) and
	// Position; RecordedAt is kept if set, otherwise set now. Append returns
	// only once the events are durable.
	//
	// Retrying an append whose event ids are already stored at expected+1…
	// succeeds without writing and returns the original result. If the
	// stream is at another version, an error wrapping
	// ErrWrongExpectedVersion (a [*ConflictError]) is returned and nothing
	// is written. Envelopes without an id or type wrap ErrInvalidEvent.
	Append(ctx context.Context, stream string, expected uint64, evs []Envelope) (AppendResult, error)

	// ReadStream yields the events of stream from version from (1 for all)
	// in version order. A stream with no events yields ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[Envelope, error]

	// ReadAll yields every event with a position greater than after, in
	// global order, up to the last event stored when ReadAll was called.
	ReadAll(ctx context.Context, after uint64) iter.Seq2[Envelope, error]

	// Subscribe yields every event with a position greater than after, in
	// global order, then waits for new ones until ctx is cancelled, when it
	// stops without an error.
	Subscribe(ctx context.Context, after uint64) iter.Seq2[Envelope, error]

	// Head returns the position of the last stored event, 0 if none.
	Head(ctx context.Context) (uint64, error)
}

// AppendResult reports where an append landed.
type AppendResult struct {
	// StreamVersion is the stream's version after the append.
	StreamVersion uint64 `json:"stream_version"`
	// Position is the global position of the last appended event.
	Position uint64 `json:"position"`
}
