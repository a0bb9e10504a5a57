package command

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/recorder"
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

// ExecutorOption configures [NewExecutor].
type ExecutorOption func(*Executor)

// WithMetrics counts commands by route and outcome in reg as
// together_commands_total. Default: not counted.
func WithMetrics(reg prometheus.Registerer) ExecutorOption {
	return func(x *Executor) {
		x.metrics = &metrics{commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_commands_total",
			Help: "Commands handled, by command (route pattern) and outcome.",
		}, []string{"command", "outcome"})}
		reg.MustRegister(x.metrics.commands)
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
	switch {
	case err == nil:
		return OutcomeRecorded
	case errors.As(err, &invalid), errors.Is(err, ErrInvalid), errors.Is(err, events.ErrInvalidEvent):
		return OutcomeInvalid
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrConflict):
		return OutcomeConflict
	case errors.Is(err, ErrKeyReused):
		return OutcomeKeyReused
	case errors.Is(err, ErrBusy), errors.Is(err, recorder.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return OutcomeUnavailable
	}
	return OutcomeError
}
