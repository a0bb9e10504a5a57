package natsjs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/directget"
)

// ReadStream implements [events.Store]. It reads the stream's subject with
// batched direct gets, which leave no state on the server: an aggregate of
// up to a thousand events is one round trip, as every command loads one.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if err := events.CheckStreamName(stream); err != nil {
			yield(events.Envelope{}, err)
			return
		}
		ctx, cancel := withTimeout(ctx, s.timeout)
		defer cancel()
		if from > 1 {
			// Reading from a later version is mostly asking for the last
			// event (the recorder does on every append, to chain the next
			// one to its hash): one lookup answers that, and tells whether
			// from is past the end.
			version, last, err := s.lastMsg(ctx, stream)
			if err != nil {
				yield(events.Envelope{}, err)
				return
			}
			switch {
			case version == 0:
				yield(events.Envelope{}, fmt.Errorf("%w: %s", events.ErrStreamNotFound, stream))
				return
			case from > version:
				return
			case from == version:
				yield(decode(last.Data, last.Sequence))
				return
			}
		}
		subj := s.subject(stream)
		for seq, first := uint64(1), true; ; first = false {
			var page directget.Reply
			err := untilAnswered(ctx, func() (err error) {
				page, err = s.get.Get(ctx, directget.Request{Seq: seq, NextFor: subj, Batch: directget.MaxBatch})
				return err
			})
			if errors.Is(err, directget.ErrNoMessages) && first {
				yield(events.Envelope{}, fmt.Errorf("%w: %s", events.ErrStreamNotFound, stream))
				return
			}
			if errors.Is(err, directget.ErrNoMessages) {
				return // the last page was exactly full
			}
			if err != nil {
				yield(events.Envelope{}, fmt.Errorf("read %s from sequence %d: %w", stream, seq, err))
				return
			}
			for _, m := range page.Msgs {
				sq, err := directget.Sequence(m)
				if err != nil {
					yield(events.Envelope{}, err)
					return
				}
				seq = sq + 1
				if from > 1 {
					if v, err := strconv.ParseUint(m.Header.Get(headerStreamVersion), 10, 64); err == nil && v < from {
						continue
					}
				}
				e, err := decode(m.Data, sq)
				if !yield(e, err) || err != nil {
					return
				}
			}
			if page.Pending == 0 {
				return
			}
		}
	}
}

// ReadLast returns the last event of stream in one lookup, or an error
// wrapping [events.ErrStreamNotFound]. Reading a stream through to its end
// loads every block of the JetStream stream that holds one of its events:
// the seals', one every thousand events, has one in every block.
func (s *Store) ReadLast(ctx context.Context, stream string) (events.Envelope, error) {
	if err := events.CheckStreamName(stream); err != nil {
		return events.Envelope{}, err
	}
	ctx, cancel := withTimeout(ctx, s.timeout)
	defer cancel()
	version, last, err := s.lastMsg(ctx, stream)
	if err != nil {
		return events.Envelope{}, err
	}
	if version == 0 {
		return events.Envelope{}, fmt.Errorf("%w: %s", events.ErrStreamNotFound, stream)
	}
	return decode(last.Data, last.Sequence)
}

// ReadAll implements [events.Store]. It reads pages of batched direct gets
// up to the head it found at the start, asking for the next page while the
// caller works through the current one; no consumer is created.
func (s *Store) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return s.pages().readAll(ctx, after, nil)
}

// Skim reads every event after position after as ReadAll does, but
// decodes only those that may be of one of types: any other is yielded as
// its position alone, an envelope without a type. A reader looking for a
// few events in a long history (the erasures, at every start) so says how
// far it has looked without decoding all the rest.
//
// An envelope names its type as a JSON string, and the types of the
// catalogue are plain names that JSON writes without escapes; so a
// message whose bytes hold none of the types in quotes, and no \u escape
// that could spell one, is of none of them.
func (s *Store) Skim(ctx context.Context, after uint64, types []string) iter.Seq2[events.Envelope, error] {
	quoted := make([][]byte, len(types))
	for i, t := range types {
		quoted[i] = strconv.AppendQuote(nil, t)
		if bytes.IndexByte(quoted[i][1:len(quoted[i])-1], '\\') >= 0 {
			// Not a plain name: JSON may spell it otherwise.
			return s.ReadAll(ctx, after)
		}
	}
	mayBeOf := func(data []byte) bool {
		for _, q := range quoted {
			if bytes.Contains(data, q) {
				return true
			}
		}
		return bytes.Contains(data, []byte(`\u`))
	}
	return s.pages().readAll(ctx, after, mayBeOf)
}

func (s *Store) pages() pager {
	return pager{get: s.get, timeout: s.timeout, head: s.Head, decode: decode}
}

// pager reads the whole stream in order, a page of batched direct gets at
// a time; the store and a [Reader] in another account share it.
type pager struct {
	get     *directget.Getter
	timeout time.Duration
	head    func(context.Context) (uint64, error)
	// decode reads a message: decode, or decodeContent.
	decode func(data []byte, seq uint64) (events.Envelope, error)
}

// readAll reads from after+1 up to the head found at the start. Given
// worth, it decodes only the messages worth is true of, and yields the
// others as their position alone.
func (p pager) readAll(ctx context.Context, after uint64, worth func(data []byte) bool) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		head, err := p.head(ctx)
		if err != nil {
			yield(events.Envelope{}, err)
			return
		}
		if head <= after {
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // ends a page still being fetched
		type fetched struct {
			start uint64
			reply readPage
			err   error
		}
		fetch := func(start uint64) <-chan fetched {
			ch := make(chan fetched, 1)
			n := min(uint64(directget.MaxBatch), head-start+1)
			go func() {
				pctx, pcancel := withTimeout(ctx, p.timeout)
				defer pcancel()
				r, err := p.page(pctx, start, int(n))
				ch <- fetched{start: start, reply: r, err: err}
			}()
			return ch
		}
		next := after + 1
		pending := fetch(next)
		for next <= head {
			f := <-pending
			if f.start != next {
				// The page ahead was asked for from where this one should
				// have ended, and it did not: ask again.
				pending = fetch(next)
				continue
			}
			if f.err != nil {
				yield(events.Envelope{}, fmt.Errorf("read from position %d: %w", next, f.err))
				return
			}
			if len(f.reply.Msgs) == 0 {
				yield(events.Envelope{}, fmt.Errorf("read from position %d: no events, though the head is %d", next, head))
				return
			}
			if ahead := next + uint64(len(f.reply.Msgs)); ahead <= head {
				pending = fetch(ahead)
			}
			for i, m := range f.reply.Msgs {
				seq := f.reply.seqs[i]
				if seq > head {
					return
				}
				next = seq + 1
				if worth != nil && !worth(m.Data) {
					if !yield(events.Envelope{Position: seq}, nil) {
						return
					}
					continue
				}
				e, err := p.decode(m.Data, seq)
				if !yield(e, err) || err != nil {
					return
				}
			}
		}
	}
}

// readPage is one page of the stream: the answer, with each message's
// sequence.
type readPage struct {
	directget.Reply
	seqs []uint64
}

// page reads up to n messages from sequence start for ReadAll. It asks
// without headers, which halves the server's work per message, and takes
// each message's sequence from its place in the page: that holds when the
// page's last sequence (which the server reports) is start+count-1, as it
// is on a stream that refuses deletes. Should it not hold, the page is
// asked for again with every message's sequence.
func (p pager) page(ctx context.Context, start uint64, n int) (readPage, error) {
	var r readPage
	err := untilAnswered(ctx, func() (err error) {
		r.Reply, err = p.get.Get(ctx, directget.Request{Seq: start, Batch: n, NoHeaders: true})
		return err
	})
	if err != nil {
		return readPage{}, err
	}
	if len(r.Msgs) > 0 && r.Last == start+uint64(len(r.Msgs))-1 {
		// Without headers the server does not count the page's messages
		// off the pending figure it ends with: it counts from start.
		r.Pending -= min(r.Pending, uint64(len(r.Msgs)))
		r.seqs = make([]uint64, len(r.Msgs))
		for i := range r.seqs {
			r.seqs[i] = start + uint64(i)
		}
		return r, nil
	}
	err = untilAnswered(ctx, func() (err error) {
		r.Reply, err = p.get.Get(ctx, directget.Request{Seq: start, Batch: n})
		return err
	})
	if err != nil {
		return readPage{}, err
	}
	r.seqs = make([]uint64, len(r.Msgs))
	for i, m := range r.Msgs {
		if r.seqs[i], err = directget.Sequence(m); err != nil {
			return readPage{}, err
		}
	}
	return r, nil
}

// Subscribe implements [events.Store]. It catches up with ReadAll, whose
// pages are read ahead while the caller works (a consumer hands over
// messages only as fast as the caller takes them, and a cold start of the
// reports took over twice as long that way), then follows the stream from
// there with one ordered consumer, deleted when ctx ends.
func (s *Store) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range s.ReadAll(ctx, after) {
			if ctx.Err() != nil {
				return
			}
			if !yield(e, err) || err != nil {
				return
			}
			after = e.Position
		}
		if ctx.Err() != nil {
			return
		}
		s.consume(ctx, after, yield)
	}
}

// consume reads the stream in order from after+1 with an ordered consumer
// until ctx is cancelled or yield declines, then deletes the consumer
// rather than leave it to the server's inactivity timer.
func (s *Store) consume(ctx context.Context, after uint64, yield func(events.Envelope, error) bool) {
	// The inactivity threshold only matters if this process dies without
	// deleting the consumer.
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: 30 * time.Second}
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		it.Stop()
	}()
	defer func() {
		close(stopped)
		<-done
		s.deleteConsumer(cons)
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
	}
}

// deleteConsumer removes the server side of an ordered consumer that is no
// longer read. It is best effort: a consumer left behind goes after its
// inactivity threshold.
func (s *Store) deleteConsumer(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil || info.Name == "" || s.nc.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	_ = s.js.DeleteConsumer(ctx, s.name, info.Name)
}
