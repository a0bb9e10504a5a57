package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/together-coop/together/events"
)

// Client reaches the store through the recorder service. It implements
// [events.Store] and is safe for concurrent use.
type Client struct {
	nc      *nats.Conn
	timeout time.Duration
}

var _ events.Store = (*Client)(nil)

// NewClient returns a client on nc. Calls whose ctx has no deadline wait
// for the recorder at most timeout.
func NewClient(nc *nats.Conn, timeout time.Duration) *Client {
	return &Client{nc: nc, timeout: timeout}
}

func (c *Client) request(ctx context.Context, subject string, body any) ([]byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req := nats.NewMsg(subject)
	req.Data = data
	if ar, ok := body.(appendRequest); ok && len(ar.Events) > 0 && ar.Events[0].CorrelationID != "" {
		req.Header.Set(HeaderCorrelationID, ar.Events[0].CorrelationID)
	}
	msg, err := c.nc.RequestMsgWithContext(ctx, req)
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		return nil, fmt.Errorf("%w: request of %d bytes is larger than NATS accepts", events.ErrInvalidEvent, len(data))
	case errors.Is(err, nats.ErrNoResponders):
		return nil, fmt.Errorf("%w: no recorder is running", events.ErrUnavailable)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %v", events.ErrUnavailable, subject, err)
	}
	code := msg.Header.Get(micro.ErrorCodeHeader)
	if code == "" {
		return msg.Data, nil
	}
	desc := msg.Header.Get(micro.ErrorHeader)
	switch code {
	case errorCodeConflict:
		var d conflictDetail
		_ = json.Unmarshal(msg.Data, &d)
		var stream string
		if ar, ok := body.(appendRequest); ok {
			stream = ar.Stream
		}
		return nil, &events.ConflictError{Stream: stream, Expected: d.Expected, Actual: d.Actual}
	case errorCodeNotFound:
		return nil, fmt.Errorf("%w: %s", events.ErrStreamNotFound, strings.TrimPrefix(desc, events.ErrStreamNotFound.Error()+": "))
	case errorCodeInvalid, errorCodeMalformed, errorCodeTooLarge:
		var u unreadableDetail
		if code == errorCodeInvalid && json.Unmarshal(msg.Data, &u) == nil && u.Position > 0 {
			return nil, &events.UnreadableError{Position: u.Position, Err: errors.New(desc)}
		}
		return nil, fmt.Errorf("%w: %s", events.ErrInvalidEvent, strings.TrimPrefix(desc, events.ErrInvalidEvent.Error()+": "))
	default:
		return nil, fmt.Errorf("%w: %s", events.ErrUnavailable, desc)
	}
}

// Append implements [events.Store].
func (c *Client) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	data, err := c.request(ctx, SubjectAppend, appendRequest{Stream: stream, ExpectedVersion: expected, Events: evs})
	if err != nil {
		return events.AppendResult{}, err
	}
	var res events.AppendResult
	if err := json.Unmarshal(data, &res); err != nil {
		return events.AppendResult{}, fmt.Errorf("%w: unreadable append reply: %v", events.ErrUnavailable, err)
	}
	return res, nil
}

// ReadStream implements [events.Store].
func (c *Client) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if from == 0 {
			from = 1
		}
		for {
			p, err := c.page(ctx, SubjectReadStream, readStreamRequest{Stream: stream, FromVersion: from})
			if err != nil {
				yield(events.Envelope{}, err)
				return
			}
			for _, e := range p.Events {
				if !yield(e, nil) {
					return
				}
				from = e.StreamVersion + 1
			}
			if !p.More {
				return
			}
		}
	}
}

// ReadAll implements [events.Store].
func (c *Client) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return c.readAll(ctx, after, nil)
}

// ReadAllOf reads the events of the given types after position after, up
// to the head when it starts. The recorder reads the history where it is
// kept and sends only the events that match, so finding a few events of
// one type in a long history costs a read of the store, not a copy of it
// over NATS.
func (c *Client) ReadAllOf(ctx context.Context, after uint64, types ...string) iter.Seq2[events.Envelope, error] {
	if len(types) == 0 {
		return func(func(events.Envelope, error) bool) {}
	}
	return c.readAll(ctx, after, types)
}

// readAll reads the events after position after up to the head when it
// starts, of the given types only unless types is nil.
func (c *Client) readAll(ctx context.Context, after uint64, types []string) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		head, err := c.Head(ctx)
		if err != nil {
			yield(events.Envelope{}, err)
			return
		}
		c.readRange(ctx, after, head, types, yield)
	}
}

// readRange yields the events after position after up to head, of the
// given types only unless types is nil; it reports whether the caller
// still wants more.
func (c *Client) readRange(ctx context.Context, after, head uint64, types []string, yield func(events.Envelope, error) bool) (uint64, bool) {
	for after < head {
		p, err := c.page(ctx, SubjectReadAll, readAllRequest{After: after, Types: types})
		if err != nil {
			yield(events.Envelope{}, err)
			return after, false
		}
		for _, e := range p.Events {
			if e.Position > head {
				return after, true
			}
			if !yield(e, nil) {
				return after, false
			}
			after = e.Position
		}
		if !p.More {
			break
		}
		// A read of some types says how far it looked past what it sent.
		after = max(after, p.Through)
	}
	return after, true
}

// Subscribe implements [events.Store]: it reads what is there, then waits
// for the recorder's append notifications and reads again.
func (c *Client) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		wake := make(chan struct{}, 1)
		sub, err := c.nc.Subscribe(SubjectAppended, func(*nats.Msg) {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		if err != nil {
			yield(events.Envelope{}, fmt.Errorf("subscribe to append notifications: %w", err))
			return
		}
		defer func() { _ = sub.Unsubscribe() }()
		// Notifications are a hint; a slow poll covers one that was lost
		// while the connection was down.
		poll := time.NewTicker(5 * time.Second)
		defer poll.Stop()
		for {
			head, err := c.Head(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				if !yield(events.Envelope{}, err) {
					return
				}
			} else {
				var more bool
				if after, more = c.readRange(ctx, after, head, nil, yield); !more || ctx.Err() != nil {
					return
				}
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

// Head implements [events.Store].
func (c *Client) Head(ctx context.Context) (uint64, error) {
	data, err := c.request(ctx, SubjectHead, struct{}{})
	if err != nil {
		return 0, err
	}
	var h headReply
	if err := json.Unmarshal(data, &h); err != nil {
		return 0, fmt.Errorf("%w: unreadable head reply: %v", events.ErrUnavailable, err)
	}
	return h.Position, nil
}

func (c *Client) page(ctx context.Context, subject string, req any) (page, error) {
	data, err := c.request(ctx, subject, req)
	if err != nil {
		return page{}, err
	}
	var p page
	// encoding/json's semantics at about a third of its cost: a page is
	// up to a thousand envelopes, and every command's load reads one.
	if err := jsonv2.Unmarshal(data, &p, jsonv1.DefaultOptionsV1()); err != nil {
		return page{}, fmt.Errorf("%w: unreadable page: %v", events.ErrUnavailable, err)
	}
	return p, nil
}
