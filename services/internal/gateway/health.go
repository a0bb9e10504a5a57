package gateway

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/together-coop/together/services/internal/problem"
)

type readiness struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

// readyHandler answers 200 when every check passes and 503 otherwise,
// naming what failed.
func readyHandler(checks map[string]Check) http.HandlerFunc {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		out := readiness{Ready: true, Checks: map[string]string{}}
		for _, n := range names {
			if err := checks[n](ctx); err != nil {
				out.Ready = false
				out.Checks[n] = err.Error()
			} else {
				out.Checks[n] = "ok"
			}
		}
		status := http.StatusOK
		if !out.Ready {
			status = http.StatusServiceUnavailable
		}
		problem.WriteJSON(w, status, out)
	}
}
