package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/problem"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "together_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "together_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// withRequestContext gives each request an id (kept from X-Request-Id when
// the client sends a sane one), a logger carrying it and the correlation
// id, an access log line, metrics, and a problem instead of a crash.
func withRequestContext(base zerolog.Logger, m *metrics, mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(command.HeaderRequestID)
		if id == "" || len(id) > 100 || strings.ContainsFunc(id, func(c rune) bool { return c <= ' ' || c > '~' }) {
			id = uuid.NewString()
			r.Header.Set(command.HeaderRequestID, id)
		}
		w.Header().Set(command.HeaderRequestID, id)
		lc := base.With().Str("request_id", id)
		if corr := r.Header.Get(command.HeaderCorrelationID); corr != "" && len(corr) <= 200 {
			lc = lc.Str("correlation_id", corr)
		}
		l := lc.Logger()
		r = r.WithContext(l.WithContext(r.Context()))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				l.Error().Interface("panic", p).Str("path", r.URL.Path).Msg("handler panicked")
				if rec.status == 0 {
					problem.Write(rec, r, http.StatusInternalServerError, "the request failed unexpectedly")
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK // nothing written: net/http sends 200
			}
			// The route as the mux matches it: handlers further in see a
			// copy of the request, whose pattern does not come back here.
			_, route := mux.Handler(r)
			if route == "" || route == "/" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
			m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
			l.Info().Str("method", r.Method).Str("route", route).Str("path", r.URL.Path).
				Int("status", rec.status).Dur("duration", elapsed).Msg("request")
		}()
		next.ServeHTTP(rec, r)
	})
}
