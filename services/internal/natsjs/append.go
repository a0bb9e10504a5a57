package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
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
	ctx, cancel := withTimeout(ctx, s.timeout)
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
	if len(msgs) == 0 {
		return 0, errors.New("empty batch")
	}
	if err := s.sendBatchBody(msgs, lastSeq); err != nil {
		return 0, err
	}
	resp, err := s.nc.RequestMsgWithContext(ctx, msgs[len(msgs)-1])
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

// sendBatchBody marks msgs as one atomic batch (the first carrying the
// subject's expected last sequence, the last the commit) and publishes
// all but the last, which the caller sends as it waits for the answer.
func (s *Store) sendBatchBody(msgs []*nats.Msg, lastSeq uint64) error {
	batchID := uuid.NewString()
	for i, m := range msgs {
		m.Header.Set(headerBatchID, batchID)
		m.Header.Set(headerBatchSequence, strconv.Itoa(i+1))
		if i == 0 {
			m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lastSeq, 10))
		}
		if i == len(msgs)-1 {
			m.Header.Set(headerBatchCommit, "1")
			return nil
		}
		if err := s.nc.PublishMsg(m); err != nil {
			return fmt.Errorf("publish batch message %d: %w", i+1, err)
		}
	}
	return nil
}

// last returns the version and JetStream sequence of the stream's last
// event, zeros if it has none.
func (s *Store) last(ctx context.Context, stream string) (version, seq uint64, err error) {
	version, m, err := s.lastMsg(ctx, stream)
	if err != nil || m == nil {
		return 0, 0, err
	}
	return version, m.Sequence, nil
}

// lastMsg returns the version of stream's last event and its message,
// or 0 and nil for a stream with no events.
func (s *Store) lastMsg(ctx context.Context, stream string) (uint64, *jetstream.RawStreamMsg, error) {
	var m *jetstream.RawStreamMsg
	err := untilAnswered(ctx, func() (err error) {
		m, err = s.stream.GetLastMsgForSubject(ctx, s.subject(stream))
		return err
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read last event of %s: %w", stream, err)
	}
	version, err := strconv.ParseUint(m.Header.Get(headerStreamVersion), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("last event of %s (sequence %d) has no stream version header", stream, m.Sequence)
	}
	return version, m, nil
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

// AppendGroup appends several appends, each to a different stream, in the
// order given: it publishes them all without waiting, so that the server
// stores (and, with sync_interval always, fsyncs) one after the other with
// no round trip between them, then waits for every acknowledgement. Each
// append keeps the guarantees of [Store.Append] on its own: its expected
// version, its atomicity, its idempotent retry; a conflict or failure of
// one leaves the others alone. Positions follow the order given, since
// one connection's messages reach the stream in the order sent and a
// failed publish is not retried behind the later ones.
//
// The i-th result, error and written belong to streams[i], expected[i],
// evs[i]; written says that this call stored the events, not that it
// found them stored by an earlier try (whose recorded times and hashes
// may differ from evs').
// Appends to the same stream in one group fail with [events.ErrInvalidEvent]
// after the first: chain them across groups instead.
func (s *Store) AppendGroup(ctx context.Context, streams []string, expected []uint64, evs [][]events.Envelope) (results []events.AppendResult, errs []error, written []bool) {
	return s.SendGroup(ctx, streams, expected, evs)()
}

// SendGroup is [Store.AppendGroup] in two halves: it sends the group and
// returns a function that waits for the acknowledgements and returns what
// AppendGroup would. A caller may send further groups before waiting, on
// other streams: they are stored after this one. wait must be called
// exactly once.
func (s *Store) SendGroup(ctx context.Context, streams []string, expected []uint64, evs [][]events.Envelope) (wait func() ([]events.AppendResult, []error, []bool)) {
	n := len(streams)
	results, errs, written := make([]events.AppendResult, n), make([]error, n), make([]bool, n)
	done := func() ([]events.AppendResult, []error, []bool) { return results, errs, written }
	if len(expected) != n || len(evs) != n {
		for i := range errs {
			errs[i] = fmt.Errorf("%w: a group of %d streams with %d versions and %d appends", events.ErrInvalidEvent, n, len(expected), len(evs))
		}
		return done
	}
	if s.check != nil {
		if err := s.check(); err != nil {
			for i := range errs {
				errs[i] = fmt.Errorf("append to %s: %w: %w", streams[i], events.ErrUnavailable, err)
			}
			return done
		}
	}
	ctx, cancel := withTimeout(ctx, s.timeout)
	js, err := s.asyncPublisher()
	if err != nil {
		cancel()
		for i := range errs {
			errs[i] = err
		}
		return done
	}

	pend := make([]pending, n)
	seen := make(map[string]bool, n)
	now := time.Now()
	for i, stream := range streams {
		if seen[stream] {
			errs[i] = fmt.Errorf("%w: %s appears twice in one group", events.ErrInvalidEvent, stream)
			continue
		}
		seen[stream] = true
		p, err := events.PrepareAppend(stream, expected[i], evs[i], now)
		if err != nil {
			errs[i] = err
			continue
		}
		pend[i].prepared = p
		lastSeq, ok := s.tails.get(stream, expected[i])
		if !ok {
			current, seq, err := s.last(ctx, stream)
			if err != nil {
				errs[i] = err
				continue
			}
			if current != expected[i] {
				results[i], errs[i] = s.resolve(ctx, stream, expected[i], p, nil)
				continue
			}
			lastSeq = seq
		}
		msgs := make([]*nats.Msg, len(p))
		for j, e := range p {
			if msgs[j], err = s.encode(e); err != nil {
				break
			}
		}
		if err != nil {
			errs[i] = err
			continue
		}
		pend[i].ack, err = s.publishAsync(js, msgs, lastSeq)
		if err != nil {
			// Nothing after this one may overtake it: the rest wait for
			// the next group.
			results[i], errs[i] = s.resolve(ctx, stream, expected[i], p, err)
			s.tails.forget(stream)
			for k := i + 1; k < n; k++ {
				errs[k] = fmt.Errorf("append to %s: %w: an earlier append of its group could not be sent: %w", streams[k], events.ErrUnavailable, err)
			}
			break
		}
		pend[i].sent = true
	}
	return func() ([]events.AppendResult, []error, []bool) {
		defer cancel()
		s.collect(ctx, streams, expected, pend, results, errs, written)
		return results, errs, written
	}
}

type pending struct {
	prepared []events.Envelope
	ack      jetstream.PubAckFuture
	sent     bool
}

// collect waits for the acknowledgements of a group's sent appends.
func (s *Store) collect(ctx context.Context, streams []string, expected []uint64, pend []pending, results []events.AppendResult, errs []error, written []bool) {
	for i := range pend {
		p := &pend[i]
		if !p.sent {
			continue
		}
		stream := streams[i]
		var ack *jetstream.PubAck
		var perr error
		select {
		case ack = <-p.ack.Ok():
		case perr = <-p.ack.Err():
		case <-ctx.Done():
			perr = ctx.Err()
		}
		if perr == nil && !ack.Duplicate {
			results[i] = events.AppendResult{StreamVersion: expected[i] + uint64(len(p.prepared)), Position: ack.Sequence}
			s.tails.set(stream, results[i].StreamVersion, ack.Sequence)
			written[i] = true
			continue
		}
		s.tails.forget(stream)
		results[i], errs[i] = s.resolve(ctx, stream, expected[i], p.prepared, perr)
	}
}

// publishAsync sends msgs, one append, without waiting: a single message
// as a plain publish, several as an atomic batch whose commit carries the
// acknowledgement. Neither is retried by the client, so that nothing sent
// later can be stored before it.
func (s *Store) publishAsync(js jetstream.JetStream, msgs []*nats.Msg, lastSeq uint64) (jetstream.PubAckFuture, error) {
	if len(msgs) == 1 {
		return js.PublishMsgAsync(msgs[0], jetstream.WithExpectLastSequencePerSubject(lastSeq), jetstream.WithRetryAttempts(0))
	}
	if err := s.sendBatchBody(msgs, lastSeq); err != nil {
		return nil, err
	}
	// The commit's answer reads as an acknowledgement whose sequence is the
	// batch's last.
	return js.PublishMsgAsync(msgs[len(msgs)-1], jetstream.WithRetryAttempts(0))
}

// asyncPublisher returns the JetStream context for group appends, whose
// pending acknowledgements time out with the store's default timeout.
func (s *Store) asyncPublisher() (jetstream.JetStream, error) {
	s.async.once.Do(func() {
		s.async.js, s.async.err = jetstream.New(s.nc,
			jetstream.WithPublishAsyncTimeout(s.timeout),
			jetstream.WithPublishAsyncMaxPending(4096))
		if s.async.err != nil {
			s.async.err = fmt.Errorf("jetstream: %w", s.async.err)
		}
	})
	return s.async.js, s.async.err
}

type asyncState struct {
	once sync.Once
	js   jetstream.JetStream
	err  error
}

// tailCache remembers, for streams the group appends wrote, the version and
// JetStream sequence of their last event, to spare a read per append. An
// entry is only trusted for an append expecting its version; if the
// stream moved on meanwhile, the server refuses the stale expected
// sequence and the append resolves as Append would.
type tailCache struct {
	mu sync.Mutex
	m  map[string]tail
}

type tail struct{ version, seq uint64 }

// maxTails bounds the cache; past it, it starts again empty.
const maxTails = 100_000

func (c *tailCache) get(stream string, version uint64) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[stream]
	if !ok || t.version != version {
		return 0, false
	}
	return t.seq, true
}

func (c *tailCache) set(stream string, version, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxTails {
		c.m = make(map[string]tail)
	}
	c.m[stream] = tail{version, seq}
}

func (c *tailCache) forget(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, stream)
}
