package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/services/internal/microsvc"
)

// clockSkew is how far ahead of the recorder's clock a business time may
// be, to forgive a writer whose clock runs a little fast.
const clockSkew = time.Minute

// Service answers the recorder subjects from a store. Create it with
// [New] and start it with [Service.Run]. It is safe for concurrent use.
type Service struct {
	nc       *nats.Conn
	store    events.Store
	registry *events.Registry
	opts     options
	metrics  *metrics
	ready    chan struct{}
	gate     microsvc.Gate

	// commits feed the committer, the one goroutine that stamps, chains
	// and appends (see commit.go).
	commits       chan *commit
	committerDone chan struct{}
	// Owned by the committer.
	lastRecorded time.Time
	tails        map[string]tail

	appendMu sync.Mutex
	unsealed int // events appended since the last seal; under appendMu
	sealNow  chan struct{}
	sealer   sealer // owned by the sealing goroutine
}

// New returns a recorder serving store on nc. Every event it is asked to
// append must decode with registry and belong to the stream it is
// appended to. Options: [WithLogger], [WithClock], [WithMetrics],
// [WithSeals], [WithWorkers], [WithRequestTimeout], [WithVersion].
func New(nc *nats.Conn, store events.Store, registry *events.Registry, opts ...Option) (*Service, error) {
	if nc == nil || store == nil || registry == nil {
		return nil, fmt.Errorf("%w: the recorder needs a NATS connection, a store and a registry", events.ErrInvalidOption)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Service{
		nc: nc, store: store, registry: registry, opts: o,
		metrics: newMetrics(o.registerer, o.storeName),
		ready:   make(chan struct{}), sealNow: make(chan struct{}, 1),
		commits: make(chan *commit), committerDone: make(chan struct{}),
		tails: make(map[string]tail),
	}, nil
}

// Ready is closed once the recorder's endpoints are registered with the
// NATS server, so that a request sent from then on is answered.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Run registers the service and serves requests until ctx is cancelled.
// Then it stops taking requests, waits for those in flight (each bounded
// by the request timeout), seals what it appended and returns.
func (s *Service) Run(ctx context.Context) error {
	stopCommitter := make(chan struct{})
	go s.runCommitter(stopCommitter)
	defer func() {
		close(stopCommitter)
		<-s.committerDone
	}()
	sealerDone := make(chan struct{})
	err := microsvc.Serve(ctx, s.nc, s.pool(), &s.gate, func() {
		close(s.ready)
		s.opts.log.Info().Int("workers", s.opts.workers).Str("store", s.opts.storeName).Msg("recorder serving")
		go func() { defer close(sealerDone); s.runSealer(ctx) }()
	})
	select {
	case <-s.ready:
		<-sealerDone
	default:
		return err // never registered
	}
	if s.opts.sealEvery > 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if serr := s.seal(sctx); serr != nil {
			s.opts.log.Warn().Err(serr).Msg("final seal")
		}
		cancel()
	}
	s.opts.log.Info().Msg("recorder stopped")
	return err
}

// pool is the recorder's endpoints, served by one micro service instance
// per worker.
func (s *Service) pool() microsvc.Pool {
	meta := map[string]string{"store": s.opts.storeName, "workers": strconv.Itoa(s.opts.workers)}
	if rev := buildRevision(); rev != "" {
		meta["revision"] = rev
	}
	p := microsvc.Pool{
		Config: micro.Config{
			Name:        ServiceName,
			Version:     s.opts.version,
			Description: "together event recorder: the only writer and reader of the event store",
			QueueGroup:  queueGroup,
			Metadata:    meta,
		},
		Workers: s.opts.workers,
		Timeout: s.opts.timeout,
	}
	for _, ep := range []struct {
		subject string
		handle  func(context.Context, micro.Request) error
	}{
		{SubjectAppend, s.handleAppend},
		{SubjectReadStream, s.handleReadStream},
		{SubjectReadAll, s.handleReadAll},
		{SubjectHead, s.handleHead},
	} {
		p.Endpoints = append(p.Endpoints, microsvc.Endpoint{Name: ep.subject[len(subjectGroup)+1:], Subject: ep.subject, Handler: s.handler(ep.handle)})
	}
	return p
}

// handler runs handle within the request timeout, with a logger derived
// from the service's, and answers its error through micro so that the
// service's statistics count it.
func (s *Service) handler(handle func(context.Context, micro.Request) error) micro.HandlerFunc {
	return func(req micro.Request) {
		if !s.gate.Enter() {
			respondError(req, &replyError{code: errorCodeStore, msg: "the recorder is stopping; retry"})
			return
		}
		defer s.gate.Leave()
		l := s.opts.log.With().Str("subject", req.Subject())
		if corr := req.Headers().Get(HeaderCorrelationID); corr != "" {
			l = l.Str("correlation_id", corr)
		}
		log := l.Logger()
		// In-flight requests finish when the service stops: their appends
		// are not abandoned half-way.
		ctx, cancel := context.WithTimeout(log.WithContext(context.Background()), s.opts.timeout)
		defer cancel()
		if err := handle(ctx, req); err != nil {
			var re *replyError
			if !errors.As(err, &re) {
				re = &replyError{code: errorCodeStore, msg: err.Error()}
			}
			if re.code == errorCodeStore {
				log.Error().Err(err).Msg("request failed")
			}
			respondError(req, re)
		}
	}
}

// replyError is an error answered to the requester with a micro error code.
type replyError struct {
	code string
	msg  string
	data []byte
}

func (e *replyError) Error() string { return e.msg }

func invalid(err error) error { return &replyError{code: errorCodeInvalid, msg: err.Error()} }

func malformed(what string, err error) error {
	return &replyError{code: errorCodeMalformed, msg: "malformed " + what + " request: " + err.Error()}
}

// storeError classifies an error of the store for the requester.
func storeError(what string, err error) error {
	var conflict *events.ConflictError
	var unreadable *events.UnreadableError
	switch {
	case errors.As(err, &unreadable):
		detail, _ := json.Marshal(unreadableDetail{Position: unreadable.Position})
		return &replyError{code: errorCodeInvalid, msg: err.Error(), data: detail}
	case errors.As(err, &conflict):
		detail, _ := json.Marshal(conflictDetail{Expected: conflict.Expected, Actual: conflict.Actual})
		return &replyError{code: errorCodeConflict, msg: err.Error(), data: detail}
	case errors.Is(err, events.ErrStreamNotFound):
		return &replyError{code: errorCodeNotFound, msg: err.Error()}
	case errors.Is(err, events.ErrInvalidEvent):
		return invalid(err)
	}
	return fmt.Errorf("the event store did not take the %s: %w", what, err)
}

func respondError(req micro.Request, e *replyError) {
	// The description travels in a header; keep it to one line.
	desc := strings.ReplaceAll(e.msg, "\n", " ")
	if len(desc) > 1000 {
		desc = desc[:1000]
	}
	_ = req.Error(e.code, desc, e.data)
}

func respondJSON(req micro.Request, v any) error {
	// As encoding/json writes it, in one pass instead of its two (it
	// checks and compacts every raw payload separately).
	data, err := jsonv2.Marshal(v, jsonv1.DefaultOptionsV1())
	if err != nil {
		return fmt.Errorf("reply could not be encoded: %w", err)
	}
	return req.Respond(data)
}

// recordedAt returns the next recorded time; only the committer calls it.
func (s *Service) recordedAt() time.Time {
	t := s.opts.now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastRecorded) {
		t = s.lastRecorded.Add(time.Microsecond)
	}
	s.lastRecorded = t
	return t
}

func (s *Service) handleAppend(ctx context.Context, req micro.Request) error {
	var ar appendRequest
	if err := events.DecodeStrict(req.Data(), &ar); err != nil {
		return malformed("append", err)
	}
	res, err := s.appendCounted(ctx, ar)
	if err != nil {
		return storeError("append", err)
	}
	return respondJSON(req, res)
}

// appendCounted checks and appends what ar asks, and counts it.
func (s *Service) appendCounted(ctx context.Context, ar appendRequest) (events.AppendResult, error) {
	start := time.Now()
	res, err := s.checkAndAppend(ctx, ar)
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
	if err != nil {
		return events.AppendResult{}, err
	}
	for _, e := range ar.Events {
		s.metrics.appended.WithLabelValues(e.Type).Inc()
	}
	if l := zerolog.Ctx(ctx); l.Debug().Enabled() {
		l.Debug().Str("stream", ar.Stream).Uint64("position", res.Position).Int("events", len(ar.Events)).Msg("appended")
	}
	return res, nil
}

// checkAndAppend refuses what the catalogue would not explain — an event
// that does not decode, one in a stream its aggregate does not own, a seal
// (only the recorder seals), an impossible business time — and appends the
// rest.
func (s *Service) checkAndAppend(ctx context.Context, ar appendRequest) (events.AppendResult, error) {
	earliest, latest := events.EarliestDate(), s.opts.now().Add(clockSkew)
	for i, e := range ar.Events {
		if e.Type == seal.TypeLedgerSealed || ar.Stream == seal.Stream {
			return events.AppendResult{}, fmt.Errorf("%w: only the recorder writes seals", events.ErrInvalidEvent)
		}
		if err := s.registry.CheckStream(ar.Stream, e.Type); err != nil {
			return events.AppendResult{}, err
		}
		if _, err := s.registry.Decode(e); err != nil {
			return events.AppendResult{}, err
		}
		if e.OccurredAt.Before(earliest) || e.OccurredAt.After(latest) {
			return events.AppendResult{}, fmt.Errorf("%w: event %d occurred at %s: business times run from %s to now",
				events.ErrInvalidEvent, i+1, e.OccurredAt.Format(time.RFC3339), earliest.Format(time.DateOnly))
		}
	}
	return s.append(ctx, ar.Stream, ar.ExpectedVersion, ar.Events)
}

// append hands evs to the committer, which stamps the recorded time and
// the stream's hash chain on them and appends them, and waits for its
// answer.
func (s *Service) append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	c := &commit{ctx: ctx, stream: stream, expected: expected, evs: evs, queued: time.Now(), done: make(chan commitResult, 1)}
	select {
	case s.commits <- c:
	case <-ctx.Done():
		return events.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ctx.Err())
	case <-s.committerDone:
		return events.AppendResult{}, errors.New("the recorder has stopped")
	}
	// The committer answers every commit it took, bounding the store's
	// work by the request timeout: waiting for it, rather than for ctx,
	// never reports a failure for an append that then lands.
	r := <-c.done
	return r.res, r.err
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

func (s *Service) handleReadStream(ctx context.Context, req micro.Request) error {
	var r readStreamRequest
	if err := events.DecodeStrict(req.Data(), &r); err != nil {
		return malformed("read", err)
	}
	if r.FromVersion == 0 {
		r.FromVersion = 1
	}
	return respondPage(req, s.store.ReadStream(ctx, r.Stream, r.FromVersion), nil, defaultPageEvents)
}

func (s *Service) handleReadAll(ctx context.Context, req micro.Request) error {
	var r readAllRequest
	if err := events.DecodeStrict(req.Data(), &r); err != nil {
		return malformed("read", err)
	}
	if r.Limit <= 0 || r.Limit > defaultPageEvents {
		r.Limit = defaultPageEvents
	}
	if len(r.Types) > maxReadTypes {
		return malformed("read", fmt.Errorf("at most %d types, got %d", maxReadTypes, len(r.Types)))
	}
	if slices.Contains(r.Types, "") {
		return malformed("read", errors.New("a type is empty"))
	}
	if len(r.Types) == 0 {
		return respondPage(req, s.store.ReadAll(ctx, r.After), nil, r.Limit)
	}
	history := s.store.ReadAll(ctx, r.After)
	if sk, ok := s.store.(skimmer); ok {
		history = sk.Skim(ctx, r.After, r.Types)
	}
	return respondPage(req, history, r.Types, r.Limit)
}

// skimmer is a store that reads the whole history decoding only the
// events that may be of some types, the others yielded as their position
// alone (an envelope without a type): a read of a few types, such as the
// erasures every start looks for, then costs the store's read of the
// history rather than decoding all of it.
type skimmer interface {
	Skim(ctx context.Context, after uint64, types []string) iter.Seq2[events.Envelope, error]
}

// respondPage replies with events read from seq until limit events or
// about maxReplyBytes, whichever comes first. Given types, it sends only
// events of those types and also stops after maxScanEvents read or
// maxScanTime spent (a page must come well within the client's timeout,
// however few events match and however busy the store); Through then says
// where it stopped looking.
func respondPage(req micro.Request, seq func(func(events.Envelope, error) bool), types []string, limit int) error {
	var p page
	size, scanned := 0, 0
	deadline := time.Now().Add(maxScanTime)
	for e, err := range seq {
		if err != nil {
			return storeError("read", err)
		}
		if types != nil {
			if scanned == maxScanEvents || scanned > 0 && scanned%1024 == 0 && time.Now().After(deadline) {
				p.More = true
				break
			}
			scanned++
			if !slices.Contains(types, e.Type) {
				p.Through = e.Position
				continue
			}
		}
		n := len(e.Payload) + 512
		if len(p.Events) >= limit || len(p.Events) > 0 && size+n > maxReplyBytes {
			p.More = true
			break
		}
		p.Events = append(p.Events, e)
		size += n
		if types != nil {
			p.Through = e.Position
		}
	}
	return respondJSON(req, p)
}

func (s *Service) handleHead(ctx context.Context, req micro.Request) error {
	pos, err := s.store.Head(ctx)
	if err != nil {
		return storeError("read", err)
	}
	return respondJSON(req, headReply{Position: pos})
}
