package keyring

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of a keys request over NATS, as both sides count them.
const (
	outcomeOK          = "ok"
	outcomeMalformed   = "malformed"
	outcomeNotAllowed  = "not_allowed"
	outcomeDestroyed   = "destroyed"
	outcomeUnavailable = "unavailable"
)

func outcomeOfCode(code string) string {
	switch code {
	case "":
		return outcomeOK
	case codeMalformed:
		return outcomeMalformed
	case codeNotAllowed:
		return outcomeNotAllowed
	case codeDestroyed:
		return outcomeDestroyed
	}
	return outcomeUnavailable
}

type servedMetrics struct {
	requests *prometheus.CounterVec
}

func newServedMetrics(reg prometheus.Registerer) *servedMetrics {
	m := &servedMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_keyring_served_requests_total",
			Help: "Keys requests of other processes answered over NATS, by operation (seal, destroy) and outcome (ok, malformed, not_allowed, destroyed, unavailable).",
		}, []string{"op", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests)
	}
	return m
}

type remoteMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRemoteMetrics(reg prometheus.Registerer) *remoteMetrics {
	m := &remoteMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_keyring_remote_requests_total",
			Help: "Keys requests sent to the keys service over NATS, by operation (seal, destroy) and outcome (ok, malformed, not_allowed, destroyed, unavailable).",
		}, []string{"op", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "together_keyring_remote_request_seconds",
			Help:    "Time to get an answer from the keys service over NATS, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"op"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}
