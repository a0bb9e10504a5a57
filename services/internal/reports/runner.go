package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// ProjectionName names the ledger projection in logs and metrics; it is
// API for dashboards.
const ProjectionName = "ledger"

// Source is where the runner reads the history: the recorder client
// (recorder.Client, through the recorder's JSON pages, whatever the store),
// or on JetStream the stream itself, from the reports' account
// (natsjs.Reader, what together wires) or the recorder's (natsjs.Store):
// pages of direct gets, no consumer per page, each event decoded once; a
// cold start that way is about three times as fast.
type Source interface {
	Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
	ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
	Head(ctx context.Context) (uint64, error)
}

// Snapshots keeps the latest snapshot of the ledger, so that a restart
// resumes from it rather than replaying the whole history.
type Snapshots interface {
	// Load returns the latest snapshot, or nil if there is none.
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, snapshot []byte) error
}

// RunnerOption configures [NewRunner]. An option that cannot be applied
// makes NewRunner fail with an error wrapping [events.ErrInvalidOption].
type RunnerOption func(*runnerOptions) error

type runnerOptions struct {
	log              zerolog.Logger
	registerer       prometheus.Registerer
	snapshots        Snapshots
	snapshotInterval time.Duration
}

// WithLogger sets the logger: the first failure of an outage, the
// recovery, snapshots refused. Default: no logging.
func WithLogger(l zerolog.Logger) RunnerOption {
	return func(o *runnerOptions) error { o.log = l; return nil }
}

// WithMetrics registers the projection's metrics with reg. Default: not
// registered.
func WithMetrics(reg prometheus.Registerer) RunnerOption {
	return func(o *runnerOptions) error {
		if reg == nil {
			return fmt.Errorf("%w: nil registerer", events.ErrInvalidOption)
		}
		o.registerer = reg
		return nil
	}
}

// WithSnapshots resumes from the snapshot in s at start, and saves one
// when the runner stops and, while it runs, at most once per interval when
// events were applied (0: only on stop). Saving by time rather than by
// count keeps a long catch-up from writing snapshot after snapshot.
// Default: none, every start replays the whole history.
func WithSnapshots(s Snapshots, interval time.Duration) RunnerOption {
	return func(o *runnerOptions) error {
		if s == nil || interval < 0 {
			return fmt.Errorf("%w: snapshots need a store and an interval ≥ 0", events.ErrInvalidOption)
		}
		o.snapshots, o.snapshotInterval = s, interval
		return nil
	}
}

// Runner feeds the ledger. It applies each batch of events to the next
// version of the ledger and then publishes it (while it rebuilds what was
// recorded before it started, which nobody reads until it is done, a
// version every many batches); [Runner.Read] hands out the version
// published last, which never changes, so however long a report takes,
// it holds up neither the projection nor other readers. The runner is
// safe for concurrent use.
type Runner struct {
	source   Source
	registry *events.Registry
	log      zerolog.Logger

	mu sync.RWMutex
	// ledger is the version published last. Only Run's goroutine
	// replaces it, so that goroutine reads it without the lock.
	ledger *ledger.Ledger
	// building is the version being applied to, not yet published, while
	// the runner rebuilds up to startHead: nobody reads the ledger before
	// that (see WaitFor), so batches are applied to one version,
	// published every maxUnpublished events, rather than each to a version
	// of its own whose copies of what it changes are garbage at once.
	// builtAt is the recorded time of its last event, unpublished how many
	// events it holds that the published one does not. Only Run's
	// goroutine touches them.
	building    *ledger.Ledger
	builtAt     time.Time
	unpublished int
	// checkpoint is the position of the last event applied: where the
	// runner resumes after a broken subscription.
	checkpoint uint64
	lastAt     time.Time // recorded time of the last event applied
	stalled    error
	// startHead is the store's head when the runner started: until the
	// checkpoint reaches it, the projection holds only part of what was
	// already recorded, and answers nothing (see WaitFor). headKnown is
	// closed once it is set.
	startHead uint64
	headKnown chan struct{}
	// waiters are the WaitFor calls blocked on a position; nextWake is the
	// lowest of their positions (MaxUint64 with none), so that applying an
	// event costs one comparison, and a waiter is woken once, when its
	// position is reached, rather than on every event.
	waiters  []waiter
	nextWake uint64

	applied prometheus.Counter
	// published counts the versions of the ledger published.
	published prometheus.Counter
	// failures counts broken subscriptions; only the first of an outage
	// and the recovery are logged.
	failures prometheus.Counter
	// sleep waits d or until ctx ends, reporting whether the wait ran its
	// course; tests replace it to see the pauses without waiting them.
	sleep func(ctx context.Context, d time.Duration) bool
	// outage is the run of failures without an event applied between
	// them; only Run's goroutine touches it.
	outage struct {
		failures int
		since    time.Time
	}

	snapshots        Snapshots
	snapshotInterval time.Duration
	// sinceSnapshot counts the events applied since the last snapshot
	// began; savedAt is when it began. saving says how the snapshot being
	// written in the background went (nil when none is), and savingEvents
	// is how many events it covers beyond the one before. Only Run's
	// goroutine touches these.
	sinceSnapshot int
	savedAt       time.Time
	saving        chan error
	savingEvents  int
	cancelSaving  context.CancelFunc
	// stopSaveWait bounds how long a stop waits for the snapshot being
	// written, and then for the last one: the app gives each part 30 s to
	// stop before it closes the connections under them.
	stopSaveWait time.Duration
	// snapshotSize is the size of the last snapshot restored or written,
	// the room to make for the next; a save in the background sets it.
	snapshotSize atomic.Int64
}

// NewRunner returns a runner that reads from source and decodes with
// registry. Options: [WithLogger], [WithMetrics], [WithSnapshots].
func NewRunner(source Source, registry *events.Registry, opts ...RunnerOption) (*Runner, error) {
	if source == nil || registry == nil {
		return nil, fmt.Errorf("%w: the runner needs a source and a registry", events.ErrInvalidOption)
	}
	o := runnerOptions{log: zerolog.Nop()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	reg := o.registerer
	r := &Runner{
		source: source, registry: registry, log: o.log,
		snapshots: o.snapshots, snapshotInterval: o.snapshotInterval,
		ledger: ledger.New(), nextWake: math.MaxUint64, headKnown: make(chan struct{}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "together_projection_events_applied_total",
			Help:        "Events applied to the projection.",
			ConstLabels: prometheus.Labels{"projection": ProjectionName},
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "together_projection_versions_published_total",
			Help: "Versions of the ledger published to the reports: one for each batch of events applied while " +
				"following the history, one for many thousands while rebuilding it.",
			ConstLabels: prometheus.Labels{"projection": ProjectionName},
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "together_projection_subscription_failures_total",
			Help:        "Times the projection's subscription to the store broke and was retried.",
			ConstLabels: prometheus.Labels{"projection": ProjectionName},
		}),
		sleep: sleep, stopSaveWait: 10 * time.Second,
	}
	if reg != nil {
		reg.MustRegister(r.applied, r.published, r.failures,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "together_projection_position",
				Help:        "Store position of the last event applied to the projection.",
				ConstLabels: prometheus.Labels{"projection": ProjectionName},
			}, func() float64 { return float64(r.Checkpoint()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "together_projection_last_applied_timestamp_seconds",
				Help:        "Recorded time of the last event applied to the projection.",
				ConstLabels: prometheus.Labels{"projection": ProjectionName},
			}, func() float64 {
				r.mu.RLock()
				defer r.mu.RUnlock()
				if r.lastAt.IsZero() {
					return 0
				}
				return float64(r.lastAt.UnixNano()) / 1e9
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "together_projection_lag_events",
				Help:        "Events stored but not yet applied to the projection.",
				ConstLabels: prometheus.Labels{"projection": ProjectionName},
			}, func() float64 { return float64(r.lag()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "together_projection_lag_seconds",
				Help:        "While behind, how long ago the last applied event was recorded; 0 when caught up.",
				ConstLabels: prometheus.Labels{"projection": ProjectionName},
			}, func() float64 {
				if r.lag() == 0 {
					return 0
				}
				r.mu.RLock()
				defer r.mu.RUnlock()
				if r.lastAt.IsZero() {
					return 0
				}
				return time.Since(r.lastAt).Seconds()
			}),
		)
	}
	return r, nil
}

// Run applies events until ctx is cancelled. A broken subscription is
// resumed from the checkpoint after a pause that doubles while the
// subscription keeps breaking without progress (to at most
// [maxRetryPause]) and starts again at [firstRetryPause] once events
// flow. The first failure of an outage and the recovery are logged; every
// failure is counted in together_projection_subscription_failures_total.
// An event the catalogue cannot decode stalls the runner at the event
// before it: the reports keep answering as of that position and readiness
// says why, rather than silently skipping history.
func (r *Runner) Run(ctx context.Context) error {
	r.restore(ctx)
	if !r.learnStartHead(ctx) {
		return nil
	}
	r.savedAt = time.Now()
	defer r.saveOnStop(ctx)
	pause := firstRetryPause
	for ctx.Err() == nil {
		before := r.Checkpoint()
		err := r.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if r.Stalled() != nil {
			<-ctx.Done()
			return nil
		}
		r.failures.Inc()
		if r.Checkpoint() != before {
			// Events flowed since the last failure: this failure starts a
			// new outage rather than prolonging the old one.
			pause = firstRetryPause
		}
		if r.outage.failures == 0 {
			r.outage.since = time.Now()
			r.log.Warn().Err(err).Uint64("position", r.Checkpoint()).Msg("projection subscription broke; retrying until it recovers")
		}
		r.outage.failures++
		if !r.sleep(ctx, pause) {
			return nil
		}
		pause = min(2*pause, maxRetryPause)
	}
	return nil
}

// Pauses between attempts to resume a broken subscription.
const (
	firstRetryPause = 100 * time.Millisecond
	maxRetryPause   = 5 * time.Second
)

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// maxApplyBatch bounds how many decoded events wait to be applied, and
// so how many are applied to one version of the ledger.
const maxApplyBatch = 1024

// decoded is one event read from the source and decoded, or why not.
type decoded struct {
	e events.Envelope
	p events.Payload
	// readErr is the source failing; decodeErr the catalogue refusing
	// the event.
	readErr, decodeErr error
}

// follow reads and decodes in one goroutine and applies in this one, so
// that decoding the next events overlaps applying these, and applies
// whatever has piled up as one version of the ledger: a version copies
// what it changes of the one before, once however many of its events
// change it.
func (r *Runner) follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	queue := make(chan decoded, maxApplyBatch)
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(queue)
		for e, err := range r.source.Subscribe(ctx, r.Checkpoint()) {
			d := decoded{e: e, readErr: err}
			if err == nil {
				d.p, d.decodeErr = r.registry.Decode(e)
			}
			select {
			case queue <- d:
			case <-ctx.Done():
				return
			}
			if d.readErr != nil || d.decodeErr != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		<-read // never two subscriptions at once
		// Resumed from the checkpoint, a subscription must find applied
		// all it has passed.
		r.publish()
	}()
	batch := make([]decoded, 0, maxApplyBatch)
	caughtUp := false
	for {
		d, ok := <-queue
		if !ok {
			return ctx.Err()
		}
		batch = append(batch[:0], d)
	more:
		for len(batch) < maxApplyBatch {
			select {
			case d, ok := <-queue:
				if !ok {
					break more
				}
				batch = append(batch, d)
			default:
				break more
			}
		}
		if first := batch[0]; !caughtUp && first.readErr == nil && first.decodeErr == nil {
			// Said before the batch is applied, so that nothing is logged
			// after a waiter on its position has been woken.
			caughtUp = true
			r.recovered(first.e.Position)
		}
		n, err := r.applyBatch(batch)
		if n > 0 {
			r.applied.Add(float64(n))
			if r.snapshots != nil {
				r.sinceSnapshot += n
				// A snapshot is of what is published: none while a rebuild
				// builds a version that is not.
				if r.building == nil && r.snapshotInterval > 0 && time.Since(r.savedAt) >= r.snapshotInterval && r.snapshotWritten(false) {
					r.saveInBackground(ctx)
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// applyBatch applies the events of batch up to the first that failed to
// be read or decoded to the next version of the ledger, publishes it, and
// returns how many it applied and the failure. An event that is not an
// event at all stalls the runner before it: waiting will not mend it.
func (r *Runner) applyBatch(batch []decoded) (int, error) {
	n := 0
	for n < len(batch) && batch[n].readErr == nil && batch[n].decodeErr == nil {
		n++
	}
	if n > 0 {
		if r.building == nil {
			r.building = r.ledger.Next()
		}
		for _, d := range batch[:n] {
			r.building.Apply(d.e, d.p)
		}
		last := batch[n-1].e
		r.builtAt = last.RecordedAt
		r.unpublished += n
		if last.Position >= r.startHead || r.unpublished >= maxUnpublished {
			r.publish()
		}
	}
	if n == len(batch) {
		return n, nil
	}
	r.publish()
	switch d := batch[n]; {
	case errors.Is(d.readErr, events.ErrInvalidEvent):
		// Something in the store that is not an event at all (the
		// source names where).
		r.stall(fmt.Errorf("after position %d: %w", r.Checkpoint(), d.readErr))
		return n, d.readErr
	case d.readErr != nil:
		return n, d.readErr
	default:
		r.stall(fmt.Errorf("event %s at position %d: %w", d.e.ID, d.e.Position, d.decodeErr))
		return n, d.decodeErr
	}
}

// maxUnpublished bounds how many events a rebuild applies before it
// publishes a version: so many that the versions' copies cost little, so
// few that the projection's lag and its snapshots follow the rebuild.
const maxUnpublished = 1 << 16

// publish makes the version being built the one readers read, if there
// is one.
func (r *Runner) publish() {
	if r.building == nil {
		return
	}
	r.mu.Lock()
	r.ledger = r.building
	r.checkpoint, r.lastAt = r.building.Position, r.builtAt
	if r.checkpoint >= r.nextWake {
		r.wakeLocked()
	}
	r.mu.Unlock()
	r.building, r.unpublished = nil, 0
	r.published.Inc()
}

// recovered notes the first event applied since the subscription began.
func (r *Runner) recovered(position uint64) {
	if r.outage.failures > 0 {
		r.log.Info().Uint64("position", position).Int("failures", r.outage.failures).
			Dur("down_for", time.Since(r.outage.since)).Msg("projection subscription recovered")
		r.outage.failures = 0
		return
	}
	r.log.Debug().Uint64("position", position).Msg("projection applying")
}

// lag asks the store for its head and returns how far the projection is
// behind it, in positions (events on JetStream; KurrentDB positions are
// log offsets, so there it is a distance, not a count).
func (r *Runner) lag() uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	head, err := r.source.Head(ctx)
	if cp := r.Checkpoint(); err == nil && head > cp {
		return head - cp
	}
	return 0
}

// Checkpoint returns the position of the last event applied.
func (r *Runner) Checkpoint() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.checkpoint
}

// stall stops the runner at an event it cannot apply: readiness and every
// waiter are told why, and the log says so once.
func (r *Runner) stall(why error) {
	r.mu.Lock()
	r.stalled = why
	r.wakeLocked()
	r.mu.Unlock()
	r.log.Error().Err(why).Uint64("position", r.Checkpoint()).Msg("projection stalled")
}

// learnStartHead asks the store where it ends, until it answers or ctx
// ends (false).
func (r *Runner) learnStartHead(ctx context.Context) bool {
	pause := firstRetryPause
	for {
		head, err := r.source.Head(ctx)
		if err == nil {
			r.mu.Lock()
			r.startHead = head
			r.mu.Unlock()
			close(r.headKnown)
			return true
		}
		if !r.sleep(ctx, pause) {
			return false
		}
		pause = min(2*pause, maxRetryPause)
	}
}

// CaughtUp reports, as an error, that the projection does not yet hold
// everything that was recorded when it started (after a start without a
// usable snapshot it rebuilds from the whole history), or has stalled.
func (r *Runner) CaughtUp() error {
	select {
	case <-r.headKnown:
	default:
		return errors.New("the projections have not started")
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.stalled != nil {
		return r.stalled
	}
	if r.checkpoint < r.startHead {
		return fmt.Errorf("catching up with the history: at position %d of %d", r.checkpoint, r.startHead)
	}
	return nil
}

// Stalled returns why the runner stopped applying, or nil.
func (r *Runner) Stalled() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.stalled
}

// WaitFor blocks until the checkpoint reaches position, and at least
// everything recorded when the runner started, or ctx ends: nothing is
// answered from a projection half rebuilt. It returns at once with the
// reason if the runner is stalled.
func (r *Runner) WaitFor(ctx context.Context, position uint64) error {
	select {
	case <-r.headKnown:
	case <-ctx.Done():
		return fmt.Errorf("the projections have not started: %w", ctx.Err())
	}
	r.mu.Lock()
	position = max(position, r.startHead)
	if r.checkpoint >= position {
		r.mu.Unlock()
		return nil
	}
	if r.stalled != nil {
		r.mu.Unlock()
		return r.stalled
	}
	w := waiter{position: position, woken: make(chan struct{})}
	r.waiters = append(r.waiters, w)
	r.nextWake = min(r.nextWake, position)
	r.mu.Unlock()
	select {
	case <-w.woken:
		r.mu.RLock()
		defer r.mu.RUnlock()
		if r.checkpoint >= position {
			return nil
		}
		return r.stalled
	case <-ctx.Done():
		r.mu.Lock()
		defer r.mu.Unlock()
		if i := slices.IndexFunc(r.waiters, func(o waiter) bool { return o.woken == w.woken }); i >= 0 {
			r.waiters = slices.Delete(r.waiters, i, i+1)
		}
		return ctx.Err()
	}
}

type waiter struct {
	position uint64
	woken    chan struct{}
}

// wakeLocked wakes the waiters whose position is reached, or all of them
// if the runner stalled; the caller holds mu.
func (r *Runner) wakeLocked() {
	keep, next := r.waiters[:0], uint64(math.MaxUint64)
	for _, w := range r.waiters {
		if r.checkpoint >= w.position || r.stalled != nil {
			close(w.woken)
			continue
		}
		keep = append(keep, w)
		next = min(next, w.position)
	}
	clear(r.waiters[len(keep):])
	r.waiters, r.nextWake = keep, next
}

// Read calls f with the version of the ledger published last, which
// holds at least every event [Runner.WaitFor] waited for. The version
// never changes: f may take its time, and may keep it.
func (r *Runner) Read(f func(l *ledger.Ledger)) {
	r.mu.RLock()
	l := r.ledger
	r.mu.RUnlock()
	f(l)
}

// restore resumes from the latest snapshot if there is one and the store
// still holds, at its position, the event it was taken after; otherwise
// the runner starts from the beginning.
func (r *Runner) restore(ctx context.Context) {
	if r.snapshots == nil {
		return
	}
	l, size, err := r.loadSnapshot(ctx)
	if err != nil || l == nil {
		if err != nil {
			r.log.Warn().Err(err).Msg("no snapshot restored; replaying the whole history")
		}
		return
	}
	r.snapshotSize.Store(int64(size))
	if l.Position > 0 {
		// Read on from the event before it, which the ledger recorded:
		// positions need not be consecutive (KurrentDB's are offsets in
		// its log), and a read may have to start where an event does.
		var before uint64
		if n := l.Recorded.Len(); n > 1 {
			before = l.Recorded.At(n - 2).Position
		}
		matched := false
		for e, err := range r.source.ReadAll(ctx, before) {
			matched = err == nil && e.Position == l.Position && e.ID == l.LastEvent
			break
		}
		if !matched {
			r.log.Warn().Uint64("position", l.Position).Msg("snapshot does not match the store; replaying the whole history")
			return
		}
	}
	r.mu.Lock()
	r.ledger, r.checkpoint = l, l.Position
	// Wake whoever waits for a position the snapshot already reached:
	// no event may come to do it.
	r.wakeLocked()
	r.mu.Unlock()
	r.log.Info().Uint64("position", l.Position).Msg("projection resumed from snapshot")
}

// streamedSnapshots are [Snapshots] that can hand a snapshot over as it
// is read (ObjectStoreSnapshots.LoadInto).
type streamedSnapshots interface {
	LoadInto(ctx context.Context, decode func(r io.Reader, size int) error) (found bool, err error)
}

// loadSnapshot restores the ledger of the latest snapshot, and says how
// big it was; nil if there is none.
func (r *Runner) loadSnapshot(ctx context.Context) (*ledger.Ledger, int, error) {
	if st, ok := r.snapshots.(streamedSnapshots); ok {
		var l *ledger.Ledger
		var size int
		found, err := st.LoadInto(ctx, func(rd io.Reader, n int) (err error) {
			size = n
			l, err = ledger.RestoreFrom(rd, n)
			return err
		})
		if !found || err != nil {
			return nil, 0, err
		}
		return l, size, nil
	}
	data, err := r.snapshots.Load(ctx)
	if err != nil || data == nil {
		return nil, 0, err
	}
	l, err := ledger.Restore(data)
	return l, len(data), err
}

// saveInBackground writes a snapshot of the version published last while
// the projection goes on: encoding a large ledger takes seconds, which
// the events after it should not wait.
func (r *Runner) saveInBackground(ctx context.Context) {
	done := make(chan error, 1)
	// A stop waits a while for the snapshot rather than losing it (see
	// saveOnStop), so it does not end with ctx.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	r.saving, r.savingEvents, r.cancelSaving = done, r.sinceSnapshot, cancel
	r.sinceSnapshot, r.savedAt = 0, time.Now()
	l := r.ledger
	go func() {
		defer cancel()
		done <- r.save(sctx, l)
	}()
}

// snapshotWritten reports whether no snapshot is being written, waiting
// for it if wait is set. A snapshot that failed leaves its events to be
// saved by the next.
func (r *Runner) snapshotWritten(wait bool) bool {
	if r.saving == nil {
		return true
	}
	var err error
	if wait {
		select {
		case err = <-r.saving:
		case <-time.After(r.stopSaveWait):
			r.cancelSaving()
			err = <-r.saving
		}
	} else {
		select {
		case err = <-r.saving:
		default:
			return false
		}
	}
	if err != nil {
		r.sinceSnapshot += r.savingEvents
	}
	r.saving, r.savingEvents, r.cancelSaving = nil, 0, nil
	return true
}

// save writes a snapshot of the ledger l.
func (r *Runner) save(ctx context.Context, l *ledger.Ledger) error {
	// Room for the last snapshot and an eighth more holds nearly every
	// next one at once: grown as it is written, the buffer would copy the
	// snapshot over and over and hold up to three times its size at once,
	// hundreds of megabytes at a million events.
	var b bytes.Buffer
	b.Grow(int(r.snapshotSize.Load() * 9 / 8))
	err := l.WriteSnapshot(&b)
	if err == nil {
		r.snapshotSize.Store(int64(b.Len()))
		err = r.snapshots.Save(ctx, b.Bytes())
	}
	if err != nil {
		r.log.Warn().Err(err).Msg("snapshot not saved")
		return err
	}
	r.log.Debug().Uint64("position", l.Position).Int("bytes", b.Len()).Msg("snapshot saved")
	return nil
}

func (r *Runner) saveOnStop(ctx context.Context) {
	if r.snapshots == nil {
		return
	}
	r.snapshotWritten(true)
	if r.sinceSnapshot == 0 || r.Stalled() != nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.stopSaveWait)
	defer cancel()
	if r.save(sctx, r.ledger) == nil {
		r.sinceSnapshot = 0
	}
}
