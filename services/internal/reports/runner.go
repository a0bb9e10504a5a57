package reports

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// ProjectionName names the ledger projection in logs and metrics; it is
// API for dashboards.
const ProjectionName = "ledger"

// Source is where the runner reads the history: the recorder client.
type Source interface {
	Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
	Head(ctx context.Context) (uint64, error)
}

// Runner feeds the ledger. Reads of the ledger go through [Runner.Read],
// which holds a read lock; the runner is safe for concurrent use.
type Runner struct {
	source   Source
	registry *events.Registry
	log      zerolog.Logger

	mu     sync.RWMutex
	ledger *ledger.Ledger
	// checkpoint is the position of the last event applied: where the
	// runner resumes after a broken subscription.
	checkpoint uint64
	lastAt     time.Time // recorded time of the last event applied
	stalled    error
	// advanced is closed and replaced whenever the checkpoint moves.
	advanced chan struct{}

	applied prometheus.Counter
}

// NewRunner returns a runner that reads from source and decodes with
// registry; its metrics go to reg (nil for none).
func NewRunner(source Source, registry *events.Registry, log zerolog.Logger, reg prometheus.Registerer) *Runner {
	r := &Runner{
		source: source, registry: registry, log: log,
		ledger: ledger.New(), advanced: make(chan struct{}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "together_projection_events_applied_total",
			Help:        "Events applied to the projection.",
			ConstLabels: prometheus.Labels{"projection": ProjectionName},
		}),
	}
	if reg != nil {
		reg.MustRegister(r.applied,
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
	return r
}

// Run applies events until ctx is cancelled. A broken subscription is
// resumed from the checkpoint after a pause. An event the catalogue cannot
// decode stalls the runner at the event before it: the reports keep
// answering as of that position and readiness says why, rather than
// silently skipping history.
func (r *Runner) Run(ctx context.Context) error {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := r.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if r.Stalled() != nil {
			<-ctx.Done()
			return nil
		}
		r.log.Warn().Err(err).Uint64("position", r.Checkpoint()).Dur("retry_in", pause).Msg("projection subscription broke")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
	return nil
}

func (r *Runner) follow(ctx context.Context) error {
	caughtUp := false
	for e, err := range r.source.Subscribe(ctx, r.Checkpoint()) {
		if err != nil {
			return err
		}
		p, err := r.registry.Decode(e)
		if err != nil {
			r.mu.Lock()
			r.stalled = fmt.Errorf("event %s at position %d: %w", e.ID, e.Position, err)
			r.mu.Unlock()
			r.log.Error().Err(err).Str("event_id", e.ID.String()).Uint64("position", e.Position).Msg("projection stalled")
			return err
		}
		r.mu.Lock()
		r.ledger.Apply(e, p)
		r.checkpoint, r.lastAt = e.Position, e.RecordedAt
		close(r.advanced)
		r.advanced = make(chan struct{})
		r.mu.Unlock()
		r.applied.Inc()
		if !caughtUp {
			caughtUp = true
			r.log.Debug().Uint64("position", e.Position).Msg("projection applying")
		}
	}
	return ctx.Err()
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

// Stalled returns why the runner stopped applying, or nil.
func (r *Runner) Stalled() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.stalled
}

// WaitFor blocks until the checkpoint reaches position or ctx ends.
func (r *Runner) WaitFor(ctx context.Context, position uint64) error {
	for {
		r.mu.RLock()
		reached, wake, stalled := r.checkpoint >= position, r.advanced, r.stalled
		r.mu.RUnlock()
		if reached {
			return nil
		}
		if stalled != nil {
			return stalled
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Read calls f with the ledger under a read lock; f must not keep it.
func (r *Runner) Read(f func(l *ledger.Ledger)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f(r.ledger)
}
