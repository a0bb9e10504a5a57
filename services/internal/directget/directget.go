// Package directget speaks JetStream's batched direct get (nats-server
// 2.11+, on a stream with AllowDirect): one request answers with a page of
// stored messages, or with the last message of each of many subjects,
// and leaves no state on the server, unlike a consumer. nats.go v1.55 has
// no client for it, so the protocol is spoken here: the event store reads
// its pages with it, and the keyring many keys at once.
package directget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// A request to $JS.API.DIRECT.GET.<stream> with a batch size, or with
// subjects to take the last message of, is answered by each stored message
// as a separate NATS message to the reply subject, then an end-of-batch
// status.
const (
	headerStatus       = "Status"
	headerDescription  = "Description"
	headerSequence     = "Nats-Sequence"
	headerSubject      = "Nats-Subject"
	headerTimeStamp    = "Nats-Time-Stamp"
	headerNumPending   = "Nats-Num-Pending"
	headerLastSequence = "Nats-Last-Sequence"
	statusEOB          = "204"
	statusNotFound     = "404"
	statusNoResponder  = "503"
	// MaxBatch is the most messages one request asks for; the inbox of a
	// call holds them all, so it bounds the memory of one page.
	MaxBatch = 1000
	// MaxSubjects is the most subjects one request may ask the last
	// message of: the server refuses more than 1024 answers.
	MaxSubjects = 1000
	// maxBatchBytes bounds one page in bytes (the server stops once it has
	// sent this much).
	maxBatchBytes = 4 << 20
)

// ErrNoMessages is the server saying no stored message matched.
var ErrNoMessages = errors.New("no messages")

// Request is one batched direct get.
type Request struct {
	Seq      uint64 `json:"seq,omitempty"`
	NextFor  string `json:"next_by_subj,omitempty"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes,omitempty"`
	// LastOf asks for the last message of each of these subjects (at most
	// [MaxSubjects]) instead of a page; a subject with none is left out.
	LastOf []string `json:"multi_last,omitempty"`
	// NoHeaders leaves out every message's headers, sequence included:
	// the server then copies no header per message, its largest cost in
	// a long read. The end-of-batch status still says the last sequence.
	NoHeaders bool `json:"no_hdr,omitempty"`
}

// Reply is one answered request.
type Reply struct {
	Msgs []*nats.Msg
	// Pending is how many messages matching the request remained after
	// the page when the server answered (a page without headers is
	// counted off by the reader: the server does not).
	Pending uint64
	// Last is the sequence of the page's last message.
	Last uint64
}

// Getter issues batched direct gets over one inbox subscription shared by
// every call, so that a call costs one request and no subscription churn.
// It is safe for concurrent use.
type Getter struct {
	nc      *nats.Conn
	subject string

	once   sync.Once
	err    error
	prefix string
	sub    *nats.Subscription
	next   atomic.Uint64

	mu      sync.Mutex
	waiting map[string]*call
}

// call is one Get waiting for its page. The subscription's handler, the
// only one to touch msgs until it hands the call over, gathers the page
// and hands it over once, with the status that ends it: a page of a
// thousand messages then costs its caller one wake-up, not a thousand.
type call struct {
	msgs []*nats.Msg
	// max is how many messages the page may hold.
	max int
	// ended receives the status message that ends the page, or nil if
	// the server sent more messages than asked for.
	ended chan *nats.Msg
}

// New returns a Getter of the stream named stream, through the JetStream
// API at apiPrefix ("$JS.API" for the connection's own account).
func New(nc *nats.Conn, apiPrefix, stream string) *Getter {
	return &Getter{nc: nc, subject: apiPrefix + ".DIRECT.GET." + stream, waiting: map[string]*call{}}
}

func (g *Getter) start() error {
	g.once.Do(func() {
		g.prefix = g.nc.NewRespInbox() + "."
		g.sub, g.err = g.nc.Subscribe(g.prefix+"*", g.dispatch)
		if g.err == nil {
			// The handler never blocks, so pending never builds up here;
			// the library's limits would only drop messages of a large
			// page.
			g.err = g.sub.SetPendingLimits(-1, -1)
		}
	})
	return g.err
}

func (g *Getter) dispatch(m *nats.Msg) {
	token := m.Subject[len(g.prefix):]
	g.mu.Lock()
	c := g.waiting[token]
	g.mu.Unlock()
	if c == nil {
		return // a call that gave up, or was handed over
	}
	if m.Header.Get(headerStatus) == "" {
		if len(c.msgs) < c.max {
			c.msgs = append(c.msgs, m)
			return
		}
		m = nil // more than asked for
	}
	g.forget(token)
	c.ended <- m
}

// Get asks for one page, or the last messages of req.LastOf. A request no
// server answers returns an error wrapping [nats.ErrNoResponders]; no
// stored message matching it, [ErrNoMessages].
func (g *Getter) Get(ctx context.Context, req Request) (Reply, error) {
	if err := g.start(); err != nil {
		return Reply{}, fmt.Errorf("direct get inbox: %w", err)
	}
	if len(req.LastOf) > MaxSubjects {
		return Reply{}, fmt.Errorf("direct get: the last messages of %d subjects asked for, at most %d", len(req.LastOf), MaxSubjects)
	}
	if req.Batch <= 0 || req.Batch > MaxBatch {
		req.Batch = MaxBatch
	}
	if req.MaxBytes == 0 {
		req.MaxBytes = maxBatchBytes
	}
	data, err := json.Marshal(req)
	if err != nil {
		return Reply{}, err
	}
	token := strconv.FormatUint(g.next.Add(1), 36)
	c := &call{max: req.Batch, ended: make(chan *nats.Msg, 1)}
	g.mu.Lock()
	g.waiting[token] = c
	g.mu.Unlock()
	if err := g.nc.PublishRequest(g.subject, g.prefix+token, data); err != nil {
		g.forget(token)
		return Reply{}, fmt.Errorf("direct get: %w", err)
	}
	var m *nats.Msg
	select {
	case <-ctx.Done():
		g.forget(token)
		return Reply{}, fmt.Errorf("direct get: %w", ctx.Err())
	case m = <-c.ended:
	}
	if m == nil {
		return Reply{}, errors.New("direct get: page larger than asked for")
	}
	out := Reply{Msgs: c.msgs}
	switch status := m.Header.Get(headerStatus); {
	case status == statusEOB:
		out.Pending, _ = strconv.ParseUint(m.Header.Get(headerNumPending), 10, 64)
		out.Last, _ = strconv.ParseUint(m.Header.Get(headerLastSequence), 10, 64)
		return out, nil
	case status == statusNotFound && len(out.Msgs) == 0:
		return Reply{}, ErrNoMessages
	case status == statusNoResponder:
		return Reply{}, fmt.Errorf("direct get: %w", nats.ErrNoResponders)
	default:
		return Reply{}, fmt.Errorf("direct get: status %s %s", status, m.Header.Get(headerDescription))
	}
}

// forget forgets a call, handed its page or given up: what comes for it
// later is dropped.
func (g *Getter) forget(token string) {
	g.mu.Lock()
	delete(g.waiting, token)
	g.mu.Unlock()
}

// Sequence returns the stream sequence a direct get answer carries.
func Sequence(m *nats.Msg) (uint64, error) {
	seq, err := strconv.ParseUint(m.Header.Get(headerSequence), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("direct get answer without a sequence (subject %q)", m.Header.Get(headerSubject))
	}
	return seq, nil
}

// Subject returns the subject a direct get answer was stored under.
func Subject(m *nats.Msg) string { return m.Header.Get(headerSubject) }

// Stored returns the time the stream stored a direct get answer: with
// its sequence, what tells one stream's message from another's.
func Stored(m *nats.Msg) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, m.Header.Get(headerTimeStamp))
	if err != nil {
		return time.Time{}, fmt.Errorf("direct get answer without a stored time (subject %q)", m.Header.Get(headerSubject))
	}
	return t, nil
}
