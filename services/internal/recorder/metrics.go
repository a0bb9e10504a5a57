package recorder

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of an append, the values of the outcome label.
const (
	outcomeOK       = "ok"
	outcomeConflict = "conflict"
	outcomeInvalid  = "invalid"
	outcomeError    = "error"
)

type metrics struct {
	duration *prometheus.HistogramVec
	appends  *prometheus.CounterVec
	appended *prometheus.CounterVec
	// sealFailures counts failed attempts to seal the global order.
	sealFailures prometheus.Counter
	// groupSize and queueWait show the group commit: how many appends
	// share one round of acknowledgements, and how long an append waits
	// for its group.
	groupSize prometheus.Histogram
	queueWait prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, store string) *metrics {
	labels := prometheus.Labels{"store": store}
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "together_store_append_duration_seconds",
			Help:        "Time from the recorder taking an append to the store acknowledging it (durably), by outcome.",
			ConstLabels: labels,
			Buckets:     prometheus.ExponentialBuckets(0.0002, 2, 16),
		}, []string{"outcome"}),
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "together_store_appends_total",
			Help:        "Appends the recorder handled, by outcome.",
			ConstLabels: labels,
		}, []string{"outcome"}),
		appended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "together_store_events_appended_total",
			Help:        "Events appended to the store, by event type.",
			ConstLabels: labels,
		}, []string{"event_type"}),
		sealFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "together_seal_failures_total",
			Help:        "Attempts to seal the global order that failed (each is retried).",
			ConstLabels: labels,
		}),
		groupSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:        "together_recorder_group_appends",
			Help:        "Appends committed together in one group (stamped in order, sent without waiting, acknowledged together).",
			ConstLabels: labels,
			Buckets:     prometheus.ExponentialBuckets(1, 2, 9),
		}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:        "together_recorder_queue_wait_seconds",
			Help:        "Time an append waited for the committer to take it into a group.",
			ConstLabels: labels,
			Buckets:     prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.duration, m.appends, m.appended, m.sealFailures, m.groupSize, m.queueWait)
	}
	return m
}
