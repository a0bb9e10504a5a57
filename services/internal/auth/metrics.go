package auth

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	signIns  *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_auth_sign_ins_total",
			Help: "Browser sign-ins, by method (password, oidc) and outcome (ok, refused, throttled, error).",
		}, []string{"method", "outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_auth_refusals_total",
			Help: "Requests refused by the identity layer, by reason (unauthenticated, forbidden, csrf).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.signIns, m.refusals)
	}
	return m
}
