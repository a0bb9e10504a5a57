package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/problem"
)

// Outcomes of a command, the values of the outcome label.
const (
	OutcomeRecorded    = "recorded"
	OutcomeReplayed    = "replayed"
	OutcomeInvalid     = "invalid"
	OutcomeNotFound    = "not_found"
	OutcomeConflict    = "conflict"
	OutcomeKeyReused   = "key_reused"
	OutcomeUnavailable = "unavailable"
	OutcomeError       = "error"
)

type metrics struct {
	commands *prometheus.CounterVec
	// loaded counts the events of the histories commands were decided
	// on, by where they came from: kept from an earlier load, or read.
	loaded *prometheus.CounterVec
}

// Option configures [NewExecutor]. An option that cannot be applied makes
// NewExecutor fail with an error wrapping [events.ErrInvalidOption].
type Option func(*options) error

type options struct {
	now        func() time.Time
	attempts   int
	keptEvents int
	registerer prometheus.Registerer
}

// WithClock sets the clock that dates commands and bounds back-dating.
// Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", events.ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithKeptEvents bounds how many decoded events the executor keeps of the
// streams it loaded last, so that loading one again reads only what was
// appended since; 0 keeps none. Default [DefaultKeptEvents].
func WithKeptEvents(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("%w: keep %d events: want 0 or more", events.ErrInvalidOption, n)
		}
		o.keptEvents = n
		return nil
	}
}

// WithAttempts sets how often a command is decided again when another
// writer changed its aggregate first. Default 20.
func WithAttempts(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: %d attempts: want at least 1", events.ErrInvalidOption, n)
		}
		o.attempts = n
		return nil
	}
}

// WithMetrics counts commands by route and outcome in reg as
// together_commands_total, and the events they were decided on by where
// they came from (kept or read from the store) as
// together_command_loaded_events_total. Default: not counted.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(o *options) error {
		if reg == nil {
			return fmt.Errorf("%w: nil registerer", events.ErrInvalidOption)
		}
		o.registerer = reg
		return nil
	}
}

// newMetrics registers the executor's counters with reg, or shares those
// already there: the command services of one process each have an
// executor, and count into one metric.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	commands, err := registerShared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "together_commands_total",
		Help: "Commands handled, by command (route pattern) and outcome.",
	}, []string{"command", "outcome"}))
	if err != nil {
		return nil, err
	}
	loaded, err := registerShared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "together_command_loaded_events_total",
		Help: "Events of the histories commands were decided on, by where they came from: kept from an earlier load of the stream, or read from the store.",
	}, []string{"from"}))
	if err != nil {
		return nil, err
	}
	return &metrics{commands: commands, loaded: loaded}, nil
}

func registerShared[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) {
		return c, err
	}
	shared, ok := already.ExistingCollector.(C)
	if !ok {
		return c, err
	}
	return shared, nil
}

// observeLoad counts a load's events: kept ones reused, read ones read.
func (x *Executor) observeLoad(kept, read int) {
	if x.metrics != nil {
		x.metrics.loaded.WithLabelValues("kept").Add(float64(kept))
		x.metrics.loaded.WithLabelValues("store").Add(float64(read))
	}
}

func (x *Executor) observe(command, outcome string) {
	if x.metrics != nil {
		x.metrics.commands.WithLabelValues(command, outcome).Inc()
	}
}

// outcomeOf classifies a command's error as [WriteError] answers it.
func outcomeOf(err error) string {
	var invalid *events.ValidationError
	var fields *problem.FieldsError
	switch {
	case err == nil:
		return OutcomeRecorded
	case errors.As(err, &invalid), errors.As(err, &fields), errors.Is(err, ErrInvalid), errors.Is(err, events.ErrInvalidEvent):
		return OutcomeInvalid
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrConflict):
		return OutcomeConflict
	case errors.Is(err, ErrKeyReused):
		return OutcomeKeyReused
	case errors.Is(err, ErrBusy), errors.Is(err, events.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return OutcomeUnavailable
	}
	return OutcomeError
}
