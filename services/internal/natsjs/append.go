package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
)

// Headers of JetStream's atomic batch publish (nats-server 2.12+), which
// nats.go has no helper for yet.
const (
	headerBatchID       = "Nats-Batch-Id"
	headerBatchSequence = "Nats-Batch-Sequence"
	headerBatchCommit   = "Nats-Batch-Commit"
)

// Append implements [events.Store].
func (s *Store) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	prepared, err := events.PrepareAppend(stream, expected, evs, time.Now())
	if err != nil {
		return events.AppendResult{}, err
	}
	if s.check != nil {
		if err := s.check(); err != nil {
			return events.AppendResult{}, fmt.Errorf("append to %s: %w: %w", stream, events.ErrUnavailable, err)
		}
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()

	current, lastSeq, err := s.last(ctx, stream)
	if err != nil {
		return events.AppendResult{}, err
	}
	if current != expected {
		return s.resolve(ctx, stream, expected, prepared, nil)
	}
	msgs := make([]*nats.Msg, len(prepared))
	for i, e := range prepared {
		if msgs[i], err = s.encode(e); err != nil {
			return events.AppendResult{}, err
		}
	}
	var pos uint64
	if len(msgs) == 1 {
		var ack *jetstream.PubAck
		ack, err = s.js.PublishMsg(ctx, msgs[0], jetstream.WithExpectLastSequencePerSubject(lastSeq))
		if err == nil && ack.Duplicate {
			// The server's duplicate window recognised the id: this is a
			// retry of an append that landed. Confirm where.
			return s.resolve(ctx, stream, expected, prepared, nil)
		}
		if ack != nil {
			pos = ack.Sequence
		}
	} else {
		pos, err = s.publishBatch(ctx, msgs, lastSeq)
	}
	if err != nil {
		return s.resolve(ctx, stream, expected, prepared, err)
	}
	return events.AppendResult{StreamVersion: expected + uint64(len(prepared)), Position: pos}, nil
}

func (s *Store) encode(e events.Envelope) (*nats.Msg, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: encode %s: %v", events.ErrInvalidEvent, e.ID, err)
	}
	m := nats.NewMsg(s.subject(e.Stream))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, e.ID.String())
	m.Header.Set(headerStreamVersion, strconv.FormatUint(e.StreamVersion, 10))
	return m, nil
}

// publishBatch stores msgs atomically: all or none, and none if the
// subject's last sequence is no longer lastSeq.
func (s *Store) publishBatch(ctx context.Context, msgs []*nats.Msg, lastSeq uint64) (uint64, error) {
	batchID := uuid.NewString()
	for i, m := range msgs {
		m.Header.Set(headerBatchID, batchID)
		m.Header.Set(headerBatchSequence, strconv.Itoa(i+1))
		if i == 0 {
			m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lastSeq, 10))
		}
		if i < len(msgs)-1 {
			if err := s.nc.PublishMsg(m); err != nil {
				return 0, fmt.Errorf("publish batch message %d: %w", i+1, err)
			}
			continue
		}
		m.Header.Set(headerBatchCommit, "1")
		resp, err := s.nc.RequestMsgWithContext(ctx, m)
		if err != nil {
			return 0, fmt.Errorf("commit batch: %w", err)
		}
		var ack struct {
			Seq   uint64              `json:"seq"`
			Count int                 `json:"count"`
			Error *jetstream.APIError `json:"error"`
		}
		if err := json.Unmarshal(resp.Data, &ack); err != nil {
			return 0, fmt.Errorf("commit batch: unreadable answer %q: %w", resp.Data, err)
		}
		if ack.Error != nil {
			return 0, fmt.Errorf("commit batch: %w", ack.Error)
		}
		if ack.Count != len(msgs) {
			return 0, fmt.Errorf("commit batch: server stored %d of %d events", ack.Count, len(msgs))
		}
		return ack.Seq, nil
	}
	return 0, errors.New("empty batch")
}

// last returns the version and JetStream sequence of the stream's last
// event, zeros if it has none.
func (s *Store) last(ctx context.Context, stream string) (version, seq uint64, err error) {
	var m *jetstream.RawStreamMsg
	err = untilAnswered(ctx, func() (err error) {
		m, err = s.stream.GetLastMsgForSubject(ctx, s.subject(stream))
		return err
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read last event of %s: %w", stream, err)
	}
	version, err = strconv.ParseUint(m.Header.Get(headerStreamVersion), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("last event of %s (sequence %d) has no stream version header", stream, m.Sequence)
	}
	return version, m.Sequence, nil
}

// resolve decides what an append that did not plainly succeed amounts to.
// If the attempted ids already sit at expected+1… the append (or an earlier
// try of it) landed and its result is returned. Otherwise a refused
// expectation, or no cause at all, is a conflict, and any other cause (a
// timeout, a lost connection) is returned as it is: nothing was stored.
func (s *Store) resolve(ctx context.Context, stream string, expected uint64, attempt []events.Envelope, cause error) (events.AppendResult, error) {
	stored := make([]events.Envelope, 0, len(attempt))
	var readErr error
	for e, err := range s.ReadStream(ctx, stream, expected+1) {
		if err != nil {
			if !errors.Is(err, events.ErrStreamNotFound) {
				readErr = err
			}
			break
		}
		stored = append(stored, e)
		if len(stored) == len(attempt) {
			break
		}
	}
	if readErr == nil && events.SameEvents(stored, attempt) {
		last := stored[len(stored)-1]
		return events.AppendResult{StreamVersion: last.StreamVersion, Position: last.Position}, nil
	}
	if outOfSpace(cause) {
		return events.AppendResult{}, fmt.Errorf("append to %s: %w: the store is out of space: %w", stream, events.ErrUnavailable, cause)
	}
	if cause != nil && !isConflict(cause) {
		return events.AppendResult{}, fmt.Errorf("append to %s: %w", stream, cause)
	}
	if readErr != nil {
		return events.AppendResult{}, fmt.Errorf("append to %s: confirm conflict: %w", stream, readErr)
	}
	actual, _, err := s.last(ctx, stream)
	if err != nil {
		return events.AppendResult{}, err
	}
	return events.AppendResult{}, &events.ConflictError{Stream: stream, Expected: expected, Actual: actual}
}

// untilAnswered retries get while nobody answers it: on a cluster a new or
// re-electing stream has no responder for direct gets for a moment. Any
// other outcome, or the end of ctx, is returned.
func untilAnswered(ctx context.Context, get func() error) error {
	return retry(ctx, get, notAnswered)
}

func notAnswered(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// retry calls op again, with growing pauses, while its error is transient;
// it returns the first other outcome, or the last error when ctx ends.
func retry(ctx context.Context, op func() error, transient func(error) bool) error {
	wait := 5 * time.Millisecond
	for {
		err := op()
		if !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}
