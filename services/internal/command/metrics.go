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
}

// Option configures [NewExecutor]. An option that cannot be applied makes
// NewExecutor fail with an error wrapping [events.ErrInvalidOption].
type Option func(*options) error

type options struct {
	now        func() time.Time
	attempts   int
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
// together_commands_total. Default: not counted.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(o *options) error {
		if reg == nil {
			return fmt.Errorf("%w: nil registerer", events.ErrInvalidOption)
		}
		o.registerer = reg
		return nil
	}
}

// newMetrics registers the command counter with reg, or shares the one
// already there: the command services of one process each have an
// executor, and count into one metric.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	commands := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "together_commands_total",
		Help: "Commands handled, by command (route pattern) and outcome.",
	}, []string{"command", "outcome"})
	if err := reg.Register(commands); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, err
		}
		shared, ok := already.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, err
		}
		commands = shared
	}
	return &metrics{commands: commands}, nil
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
