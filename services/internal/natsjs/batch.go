package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// Batched direct get (nats-server 2.11+, needs AllowDirect): one request to
// $JS.API.DIRECT.GET.<stream> with a batch size answers with up to that
// many stored messages, each a separate NATS message to the reply subject,
// then an end-of-batch status. It leaves no state on the server, unlike a
// consumer, and one round trip reads a whole aggregate. nats.go v1.55 has
// no client for it, so the protocol is spoken here.
const (
	headerStatus       = "Status"
	headerDescription  = "Description"
	headerSequence     = "Nats-Sequence"
	headerNumPending   = "Nats-Num-Pending"
	headerLastSequence = "Nats-Last-Sequence"
	statusEOB          = "204"
	statusNotFound     = "404"
	statusNoResponder  = "503"
	// maxBatch is the most messages one request asks for; the inbox of a
	// call holds them all, so it bounds the memory of one page.
	maxBatch = 1000
	// maxBatchBytes bounds one page in bytes (the server stops once it has
	// sent this much).
	maxBatchBytes = 4 << 20
)

// errNoMessages is the server saying no stored message matched.
var errNoMessages = errors.New("no messages")

type batchRequest struct {
	Seq      uint64 `json:"seq"`
	NextFor  string `json:"next_by_subj,omitempty"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes,omitempty"`
	// NoHeaders leaves out every message's headers, sequence included:
	// the server then copies no header per message, its largest cost in
	// a long read. The end-of-batch status still says the last sequence.
	NoHeaders bool `json:"no_hdr,omitempty"`
}

// batchReply is one answered page.
type batchReply struct {
	msgs []*nats.Msg
	// pending is how many messages matching the request remained after
	// the page when the server answered (a page without headers is
	// counted off by the reader: the server does not).
	pending uint64
	// last is the sequence of the page's last message.
	last uint64
	// seqs are the messages' sequences, where the reader filled them in.
	seqs []uint64
}

// getter issues batched direct gets over one inbox subscription shared by
// every call, so that a call costs one request and no subscription churn.
type getter struct {
	nc      *nats.Conn
	subject string

	once   sync.Once
	err    error
	prefix string
	sub    *nats.Subscription
	next   atomic.Uint64

	mu      sync.Mutex
	waiting map[string]chan *nats.Msg
}

func newGetter(nc *nats.Conn, apiPrefix, stream string) *getter {
	return &getter{nc: nc, subject: apiPrefix + ".DIRECT.GET." + stream, waiting: map[string]chan *nats.Msg{}}
}

func (g *getter) start() error {
	g.once.Do(func() {
		g.prefix = g.nc.NewRespInbox() + "."
		g.sub, g.err = g.nc.Subscribe(g.prefix+"*", g.dispatch)
		if g.err == nil {
			// Each call's channel is sized for its whole page, so the
			// handler never blocks and pending never builds up here; the
			// library's limits would only drop messages of a large page.
			g.err = g.sub.SetPendingLimits(-1, -1)
		}
	})
	return g.err
}

func (g *getter) dispatch(m *nats.Msg) {
	token := m.Subject[len(g.prefix):]
	g.mu.Lock()
	ch := g.waiting[token]
	g.mu.Unlock()
	if ch == nil {
		return // a call that gave up
	}
	select {
	case ch <- m:
	default:
		// Cannot happen while the server keeps to the batch size; the call
		// will see its page end without the end-of-batch status.
		close(ch)
		g.mu.Lock()
		delete(g.waiting, token)
		g.mu.Unlock()
	}
}

// get asks for one page. A request no server answers returns an error
// wrapping [nats.ErrNoResponders]; no stored message matching it,
// errNoMessages.
func (g *getter) get(ctx context.Context, req batchRequest) (batchReply, error) {
	if err := g.start(); err != nil {
		return batchReply{}, fmt.Errorf("direct get inbox: %w", err)
	}
	if req.Batch <= 0 || req.Batch > maxBatch {
		req.Batch = maxBatch
	}
	if req.MaxBytes == 0 {
		req.MaxBytes = maxBatchBytes
	}
	data, err := json.Marshal(req)
	if err != nil {
		return batchReply{}, err
	}
	token := strconv.FormatUint(g.next.Add(1), 36)
	ch := make(chan *nats.Msg, req.Batch+1)
	g.mu.Lock()
	g.waiting[token] = ch
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.waiting, token)
		g.mu.Unlock()
	}()
	if err := g.nc.PublishRequest(g.subject, g.prefix+token, data); err != nil {
		return batchReply{}, fmt.Errorf("direct get: %w", err)
	}
	var out batchReply
	for {
		var m *nats.Msg
		var ok bool
		select {
		case <-ctx.Done():
			return batchReply{}, fmt.Errorf("direct get: %w", ctx.Err())
		case m, ok = <-ch:
		}
		if !ok {
			return batchReply{}, errors.New("direct get: page larger than asked for")
		}
		status := m.Header.Get(headerStatus)
		switch {
		case status == "":
			out.msgs = append(out.msgs, m)
		case status == statusEOB:
			out.pending, _ = strconv.ParseUint(m.Header.Get(headerNumPending), 10, 64)
			out.last, _ = strconv.ParseUint(m.Header.Get(headerLastSequence), 10, 64)
			return out, nil
		case status == statusNotFound && len(out.msgs) == 0:
			return batchReply{}, errNoMessages
		case status == statusNoResponder:
			return batchReply{}, fmt.Errorf("direct get: %w", nats.ErrNoResponders)
		default:
			return batchReply{}, fmt.Errorf("direct get: status %s %s", status, m.Header.Get(headerDescription))
		}
	}
}

// sequenceOf returns the stream sequence a direct get answer carries.
func sequenceOf(m *nats.Msg) (uint64, error) {
	seq, err := strconv.ParseUint(m.Header.Get(headerSequence), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("direct get answer without a sequence (subject %q)", m.Header.Get("Nats-Subject"))
	}
	return seq, nil
}
