package gateway

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/problem"
)

// Routable is a service that adds its endpoints to a mux.
type Routable interface {
	Routes(mux *http.ServeMux)
}

// Check reports whether a dependency is usable; a nil error means ready.
type Check func(ctx context.Context) error

// Authenticator says who sends a request; see package auth.
type Authenticator interface {
	// Authenticate puts the sender's identity, if any, in the request's
	// context.
	Authenticate(next http.Handler) http.Handler
}

// Config is what the gateway serves.
type Config struct {
	Services []Routable
	// Auth identifies senders and Policy says what each route needs: a
	// route missing from it is refused, so nothing is served by accident.
	Auth   Authenticator
	Policy auth.Policy
	// Events reads the audit log for GET /api/v1/events.
	Events EventReader
	// Ready lists the checks behind /readyz, by name.
	Ready map[string]Check
	// Gatherer serves /metrics; Registerer takes the gateway's own metrics.
	Gatherer   prometheus.Gatherer
	Registerer prometheus.Registerer
	Logger     zerolog.Logger
	// AllowedHosts are the host names requests may address (lowercase,
	// without port); empty allows any.
	AllowedHosts []string
	// TLS says the server answers over TLS, so browsers are told to keep
	// to it (Strict-Transport-Security).
	TLS bool
	// TrustedProxies are the addresses of the TLS-terminating proxy in
	// front. A server without TLS that has them takes requests from them
	// and from loopback only, so nobody reaches it around the proxy.
	TrustedProxies []netip.Prefix
	// HeavyReads bounds each identity's reads of the whole history;
	// default [DefaultHeavyReads].
	HeavyReads HeavyReads
}

// New returns the HTTP handler of the whole API.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	for _, s := range cfg.Services {
		s.Routes(mux)
	}
	if cfg.Events != nil {
		mux.Handle("GET /api/v1/events", eventsHandler(cfg.Events))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /readyz", readyHandler(cfg.Ready))
	if cfg.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+"; GET /api/v1/openapi.json describes the API")
	})
	m := newMetrics(cfg.Registerer)
	if cfg.HeavyReads == (HeavyReads{}) {
		cfg.HeavyReads = DefaultHeavyReads()
	}
	guarded := newPerIdentity(cfg.HeavyReads).serve(mux, auth.Guard(cfg.Policy, mux), "GET /api/v1/events", "GET /api/v1/audit/verify")
	return withRequestContext(cfg.Logger, m, mux, withSecurity(cfg.AllowedHosts, cfg.TLS, plainFrom(cfg), cfg.Auth.Authenticate(guarded)))
}
