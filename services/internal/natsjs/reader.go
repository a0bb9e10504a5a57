package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/directget"
)

// ReaderConfig says where a [Reader] finds the event stream.
type ReaderConfig struct {
	// APIPrefix is where the stream's account's JetStream API is imported
	// into the reader's account, say "$JS.RECORDER.API"; empty is the
	// reader's own account.
	APIPrefix string
	// Stream is the event stream; empty is [DefaultStreamName].
	Stream string
	// Announcements is a core NATS subject on which the writer announces
	// each append; a follower reads on from where it was at each one.
	// Empty: the follower only polls.
	Announcements string
	// Poll is how long a follower waits for an announcement before it
	// reads on anyway, in case one was lost while the connection was
	// down; default five seconds.
	Poll time.Duration
	// Timeout bounds one request without a deadline; default ten seconds.
	Timeout time.Duration
	// ContentOnly reads each event without what says who wrote it and
	// proves it unchanged: actor, correlation, causation, idempotency and
	// hashes are left empty. A projection reads none of them, and a
	// rebuild would otherwise allocate them for every event only to drop
	// them at once.
	ContentOnly bool
}

// Reader reads the event stream from another account, through the two
// parts of the JetStream API that account exports: stream info (for the
// head) and batched direct gets (for pages of events). It creates nothing
// on the server and can write nothing, so the reports can follow the
// history at the speed of [Store.ReadAll] without any right to change it.
// Following is reading on from where it stopped whenever the writer
// announces an append: a consumer would need rights in the stream's own
// account. It is safe for concurrent use.
type Reader struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	cfg ReaderConfig
	get *directget.Getter
}

// NewReader returns a reader of the stream cfg names, over nc.
func NewReader(nc *nats.Conn, cfg ReaderConfig) (*Reader, error) {
	if cfg.APIPrefix == "" {
		cfg.APIPrefix = defaultAPIPrefix
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStreamName
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	js, err := jetstream.NewWithAPIPrefix(nc, cfg.APIPrefix, jetstream.WithDefaultTimeout(cfg.Timeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &Reader{nc: nc, js: js, cfg: cfg, get: directget.New(nc, cfg.APIPrefix, cfg.Stream)}, nil
}

// Head returns the position of the newest event, 0 when there is none.
func (r *Reader) Head(ctx context.Context) (uint64, error) {
	ctx, cancel := withTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	var s jetstream.Stream
	err := untilAnswered(ctx, func() (err error) {
		s, err = r.js.Stream(ctx, r.cfg.Stream)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return s.CachedInfo().State.LastSeq, nil
}

// pages reads the stream a page at a time, decoding as r is configured to.
func (r *Reader) pages() pager {
	p := pager{get: r.get, timeout: r.cfg.Timeout, head: r.Head, decode: decode}
	if r.cfg.ContentOnly {
		p.decode = decodeContent
	}
	return p
}

// ReadAll reads every event after the given position, up to the head
// when it starts, as [Store.ReadAll] does.
func (r *Reader) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return r.pages().readAll(ctx, after, nil)
}

// Subscribe reads every event after the given position, then waits for
// announcements (or the poll) and reads on, until ctx ends or the caller
// stops. An error ends it, after it is yielded.
func (r *Reader) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		wake := make(chan struct{}, 1)
		if r.cfg.Announcements != "" {
			// Listening before the first read, so that no append between
			// a read and the wait goes unnoticed.
			sub, err := r.nc.Subscribe(r.cfg.Announcements, func(*nats.Msg) {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
			if err != nil {
				yield(events.Envelope{}, fmt.Errorf("listen for appends: %w", err))
				return
			}
			defer func() { _ = sub.Unsubscribe() }()
			fctx, cancel := withTimeout(ctx, r.cfg.Timeout)
			err = r.nc.FlushWithContext(fctx)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					yield(events.Envelope{}, fmt.Errorf("listen for appends: %w", err))
				}
				return
			}
		}
		for e, err := range r.ReadAll(ctx, after) {
			if ctx.Err() != nil {
				return
			}
			if !yield(e, err) || err != nil {
				return
			}
			after = e.Position
		}
		poll := time.NewTicker(r.cfg.Poll)
		defer poll.Stop()
		for {
			var ok bool
			if after, ok = r.readOn(ctx, after, yield); !ok {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-poll.C:
			}
		}
	}
}

// readOn yields the events after the given position a page at a time
// until none remain, without asking for the head (stream info is a
// costly request, and each page says how many messages remain). It
// returns the last position read, and false once the caller stopped, ctx
// ended or a read failed.
func (r *Reader) readOn(ctx context.Context, after uint64, yield func(events.Envelope, error) bool) (uint64, bool) {
	p := r.pages()
	for {
		pctx, cancel := withTimeout(ctx, r.cfg.Timeout)
		reply, err := p.page(pctx, after+1, directget.MaxBatch)
		cancel()
		switch {
		case ctx.Err() != nil:
			return after, false
		case errors.Is(err, directget.ErrNoMessages):
			return after, true
		case err != nil:
			yield(events.Envelope{}, fmt.Errorf("read from position %d: %w", after+1, err))
			return after, false
		}
		for i, m := range reply.Msgs {
			e, err := p.decode(m.Data, reply.seqs[i])
			if !yield(e, err) || err != nil {
				return after, false
			}
			after = e.Position
		}
		if reply.Pending == 0 || len(reply.Msgs) == 0 {
			return after, true
		}
	}
}
