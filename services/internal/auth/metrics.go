package auth

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	signIns        *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	recordsWatched *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_auth_sign_ins_total",
			Help: "Browser sign-ins, by method (password, oidc) and outcome (ok, refused, throttled, error).",
		}, []string{"method", "outcome"}),
		refusals: newRefusals(),
		recordsWatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "together_auth_records_watched",
			Help: "1 while a watch of the identities' buckets reports every change to the records (tokens, users, sessions) every request reads, so that a record read once serves the requests after it; 0 while every request reads its records.",
		}, []string{"records"}),
	}
	if reg != nil {
		reg.MustRegister(m.signIns, m.refusals, m.recordsWatched)
	}
	return m
}

// newRefusals is the one metric a [Service] and a [Remote] both keep, so
// that a dashboard reads the same in every process.
func newRefusals() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "together_auth_refusals_total",
		Help: "Requests refused by the identity layer, by reason (unauthenticated, forbidden, csrf).",
	}, []string{"reason"})
}

type remoteMetrics struct {
	refusals *prometheus.CounterVec
	checks   *prometheus.CounterVec
	duration prometheus.Histogram
}

func newRemoteMetrics(reg prometheus.Registerer) *remoteMetrics {
	m := &remoteMetrics{
		refusals: newRefusals(),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_auth_remote_checks_total",
			Help: "Credentials checked by the identities service over NATS, by outcome (ok, bad_token, expired_session, error).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "together_auth_remote_check_seconds",
			Help:    "Time to check credentials with the identities service over NATS.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.refusals, m.checks, m.duration)
	}
	return m
}
