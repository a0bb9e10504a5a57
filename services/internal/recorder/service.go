package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
)

// Service answers the recorder subjects from a store. Create it with
// [NewService] and start it with [Service.Run].
type Service struct {
	nc       *nats.Conn
	store    events.Store
	registry *events.Registry
	log      zerolog.Logger
	timeout  time.Duration
	// appendMu serialises stamping and appending, so that recorded times
	// never go backwards along the global order: an as-of view is then
	// always a prefix of the log. The cost is one store round trip at a
	// time per recorder.
	appendMu     sync.Mutex
	lastRecorded time.Time
	now          func() time.Time
	inflight     chan struct{}

	sealEvery    int
	sealInterval time.Duration
	sealNow      chan struct{}
	unsealed     int // events appended since the last seal; under appendMu
	sealer       sealer

	storeName  string
	registerer prometheus.Registerer
	metrics    *metrics
}

// ServiceOption configures [NewService].
type ServiceOption func(*Service)

// WithLogger sets the logger. Default: no logging.
func WithLogger(l zerolog.Logger) ServiceOption { return func(s *Service) { s.log = l } }

// WithClock sets the clock that stamps recorded times. Default time.Now.
func WithClock(now func() time.Time) ServiceOption { return func(s *Service) { s.now = now } }

// WithMetrics registers the recorder's metrics with reg, labelled with
// the store's name (jetstream, kurrentdb, memory). Default: none.
func WithMetrics(reg prometheus.Registerer, store string) ServiceOption {
	return func(s *Service) { s.registerer, s.storeName = reg, store }
}

// WithSeals sets how often the recorder seals the global order: after
// every events appended, and every interval if anything was appended since.
// every 0 turns sealing off (for tests that count events). Default 1000
// events or one minute.
func WithSeals(every int, interval time.Duration) ServiceOption {
	return func(s *Service) { s.sealEvery, s.sealInterval = every, interval }
}

// NewService returns a recorder serving store on nc. Every event it is
// asked to append must decode with registry. Options: [WithLogger],
// [WithClock], [WithSeals].
func NewService(nc *nats.Conn, store events.Store, registry *events.Registry, opts ...ServiceOption) *Service {
	s := &Service{
		nc: nc, store: store, registry: registry,
		log: zerolog.Nop(), timeout: 30 * time.Second, now: time.Now,
		inflight:  make(chan struct{}, 64),
		sealEvery: 1000, sealInterval: time.Minute, sealNow: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	s.metrics = newMetrics(s.registerer, s.storeName)
	return s
}

// Run serves requests until ctx is cancelled, then stops the service and
// waits for the requests in flight.
func (s *Service) Run(ctx context.Context) error {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        ServiceName,
		Version:     "1.0.0",
		Description: "together event recorder: the only writer and reader of the event store",
		QueueGroup:  queueGroup,
	})
	if err != nil {
		return fmt.Errorf("add recorder service: %w", err)
	}
	var wg sync.WaitGroup
	// micro calls a handler from one goroutine per endpoint; hand each
	// request to its own goroutine, bounded, so that one slow fsync does not
	// queue every other writer behind it.
	async := func(h func(context.Context, micro.Request)) micro.HandlerFunc {
		return func(req micro.Request) {
			s.inflight <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-s.inflight; wg.Done() }()
				rctx, cancel := context.WithTimeout(ctx, s.timeout)
				defer cancel()
				h(rctx, req)
			}()
		}
	}
	endpoints := []struct {
		subject string
		handler func(context.Context, micro.Request)
	}{
		{SubjectAppend, s.handleAppend},
		{SubjectReadStream, s.handleReadStream},
		{SubjectReadAll, s.handleReadAll},
		{SubjectHead, s.handleHead},
	}
	for _, ep := range endpoints {
		name := ep.subject[len(subjectGroup)+1:]
		if err := svc.AddEndpoint(name, async(ep.handler), micro.WithEndpointSubject(ep.subject)); err != nil {
			_ = svc.Stop()
			return fmt.Errorf("add endpoint %s: %w", name, err)
		}
	}
	s.log.Info().Msg("recorder serving")
	s.runSealer(ctx)
	err = svc.Stop()
	wg.Wait()
	// Seal what this recorder appended, so a clean stop leaves the whole
	// history sealed.
	if s.sealEvery > 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if serr := s.seal(sctx); serr != nil {
			s.log.Warn().Err(serr).Msg("final seal")
		}
		cancel()
	}
	return err
}

// recordedAt returns the next recorded time; the caller holds appendMu.
func (s *Service) recordedAt() time.Time {
	t := s.now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastRecorded) {
		t = s.lastRecorded.Add(time.Microsecond)
	}
	s.lastRecorded = t
	return t
}

func (s *Service) handleAppend(ctx context.Context, req micro.Request) {
	var ar appendRequest
	if err := events.DecodeStrict(req.Data(), &ar); err != nil {
		s.respondError(req, errorCodeMalformed, "malformed append request: "+err.Error(), nil)
		return
	}
	for i := range ar.Events {
		if _, err := s.registry.Decode(ar.Events[i]); err != nil {
			s.respondError(req, errorCodeInvalid, err.Error(), nil)
			return
		}
	}
	if corr := req.Headers().Get(HeaderCorrelationID); corr != "" {
		ctx = s.log.With().Str("correlation_id", corr).Logger().WithContext(ctx)
	}
	start := time.Now()
	res, err := s.append(ctx, ar.Stream, ar.ExpectedVersion, ar.Events)
	outcome := outcomeOK
	switch {
	case errors.Is(err, events.ErrWrongExpectedVersion):
		outcome = outcomeConflict
	case errors.Is(err, events.ErrInvalidEvent):
		outcome = outcomeInvalid
	case err != nil:
		outcome = outcomeError
	}
	s.metrics.duration.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	s.metrics.appends.WithLabelValues(outcome).Inc()
	var conflict *events.ConflictError
	switch {
	case errors.As(err, &conflict):
		detail, _ := json.Marshal(conflictDetail{Expected: conflict.Expected, Actual: conflict.Actual})
		s.respondError(req, errorCodeConflict, err.Error(), detail)
		return
	case errors.Is(err, events.ErrInvalidEvent):
		s.respondError(req, errorCodeInvalid, err.Error(), nil)
		return
	case err != nil:
		zerolog.Ctx(ctx).Error().Err(err).Str("stream", ar.Stream).Msg("append failed")
		s.respondError(req, errorCodeStore, "the event store did not take the append: "+err.Error(), nil)
		return
	}
	for _, e := range ar.Events {
		s.metrics.appended.WithLabelValues(e.Type).Inc()
	}
	if l := zerolog.Ctx(ctx); l.Debug().Enabled() {
		l.Debug().Str("stream", ar.Stream).Uint64("position", res.Position).Int("events", len(ar.Events)).Msg("appended")
	}
	s.respondJSON(req, res)
}

// append stamps the recorded time and the stream's hash chain on evs and
// appends them, one append at a time.
func (s *Service) append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	prev, err := s.lastHash(ctx, stream, expected)
	if err != nil {
		return events.AppendResult{}, err
	}
	// One recorded time for the whole append: its events are one fact.
	now := s.recordedAt()
	for i := range evs {
		evs[i].RecordedAt = now
		evs[i].Stream = stream
		evs[i].StreamVersion = expected + uint64(i) + 1
		evs[i].OccurredAt = evs[i].OccurredAt.UTC()
	}
	if err := hashchain.Seal(prev, evs); err != nil {
		return events.AppendResult{}, err
	}
	res, err := s.store.Append(ctx, stream, expected, evs)
	if err != nil {
		return res, err
	}
	note, _ := json.Marshal(Appended{Stream: stream, Position: res.Position})
	if err := s.nc.Publish(SubjectAppended, note); err != nil {
		s.log.Warn().Err(err).Msg("publish append notification")
	}
	s.unsealed += len(evs)
	if s.sealEvery > 0 && s.unsealed >= s.sealEvery {
		select {
		case s.sealNow <- struct{}{}:
		default:
		}
	}
	return res, nil
}

// lastHash returns the hash of the stream's event at version, "" for a
// new stream. A stream at another version fails the append anyway.
func (s *Service) lastHash(ctx context.Context, stream string, version uint64) (string, error) {
	if version == 0 {
		return "", nil
	}
	for e, err := range s.store.ReadStream(ctx, stream, version) {
		if errors.Is(err, events.ErrStreamNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return e.Hash, nil
	}
	return "", nil
}

func (s *Service) handleReadStream(ctx context.Context, req micro.Request) {
	var r readStreamRequest
	if err := events.DecodeStrict(req.Data(), &r); err != nil {
		s.respondError(req, errorCodeMalformed, "malformed read request: "+err.Error(), nil)
		return
	}
	if r.FromVersion == 0 {
		r.FromVersion = 1
	}
	s.respondPage(req, s.store.ReadStream(ctx, r.Stream, r.FromVersion), defaultPageEvents)
}

func (s *Service) handleReadAll(ctx context.Context, req micro.Request) {
	var r readAllRequest
	if err := events.DecodeStrict(req.Data(), &r); err != nil {
		s.respondError(req, errorCodeMalformed, "malformed read request: "+err.Error(), nil)
		return
	}
	if r.Limit <= 0 || r.Limit > defaultPageEvents {
		r.Limit = defaultPageEvents
	}
	s.respondPage(req, s.store.ReadAll(ctx, r.After), r.Limit)
}

// respondPage replies with events read from seq until limit events or
// about maxReplyBytes, whichever comes first.
func (s *Service) respondPage(req micro.Request, seq func(func(events.Envelope, error) bool), limit int) {
	var p page
	size := 0
	var readErr error
	for e, err := range seq {
		if err != nil {
			readErr = err
			break
		}
		n := len(e.Payload) + 512
		if len(p.Events) >= limit || len(p.Events) > 0 && size+n > maxReplyBytes {
			p.More = true
			break
		}
		p.Events = append(p.Events, e)
		size += n
	}
	switch {
	case errors.Is(readErr, events.ErrStreamNotFound):
		s.respondError(req, errorCodeNotFound, readErr.Error(), nil)
	case errors.Is(readErr, events.ErrInvalidEvent):
		s.respondError(req, errorCodeInvalid, readErr.Error(), nil)
	case readErr != nil:
		s.log.Error().Err(readErr).Msg("read failed")
		s.respondError(req, errorCodeStore, "the event store did not answer the read: "+readErr.Error(), nil)
	default:
		s.respondJSON(req, p)
	}
}

func (s *Service) handleHead(ctx context.Context, req micro.Request) {
	pos, err := s.store.Head(ctx)
	if err != nil {
		s.respondError(req, errorCodeStore, "the event store did not answer: "+err.Error(), nil)
		return
	}
	s.respondJSON(req, headReply{Position: pos})
}

// The replies go straight to the request's reply subject: the handlers
// answer from their own goroutines, after micro's handler has returned,
// and micro's own Respond and Error record state that its handler goroutine
// reads when the handler returns.

func (s *Service) respondJSON(req micro.Request, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.respondError(req, errorCodeStore, "reply could not be encoded: "+err.Error(), nil)
		return
	}
	s.reply(req, &nats.Msg{Data: data})
}

func (s *Service) respondError(req micro.Request, code, description string, data []byte) {
	// The description travels in a header; keep it to one line.
	if len(description) > 1000 {
		description = description[:1000]
	}
	m := &nats.Msg{Data: data, Header: nats.Header{}}
	m.Header.Set(micro.ErrorHeader, strings.ReplaceAll(description, "\n", " "))
	m.Header.Set(micro.ErrorCodeHeader, code)
	s.reply(req, m)
}

func (s *Service) reply(req micro.Request, m *nats.Msg) {
	m.Subject = req.Reply()
	if m.Subject == "" {
		return // a request nobody waits for
	}
	if err := s.nc.PublishMsg(m); err != nil {
		s.log.Warn().Err(err).Msg("reply")
	}
}
