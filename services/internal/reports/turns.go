package reports

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// heavyReport is how long a report must have taken, the last time it was
// computed over the same scope, to count as heavy.
const heavyReport = 50 * time.Millisecond

// turns makes heavy reports take turns: at most half the processors
// compute them at once (one on two or fewer), however many are asked for. Reads
// never block the projection, so nothing else holds them back, and four
// clients looping on the programme view of everything would otherwise
// keep both cores of a small machine busy, and every command would queue
// behind them for the processor. Reports that were quick last time go
// straight through, so a small report is never queued behind large ones.
// It is a measure of fairness, not a limit no client can get round: a
// scope is judged by its last report, whatever window that covered, and
// a scope asked for the first time goes straight through.
type turns struct {
	slots chan struct{}
	mu    sync.Mutex
	// heavy holds the scopes whose report was heavy last time. Only
	// reports that were computed count (a scope that does not exist is
	// refused, however long the refusal took), and a scope that was quick
	// is forgotten, so the set holds only scopes that exist and are large.
	heavy map[scope]struct{}

	// waiting counts the heavy reports waiting for a turn; waited is how
	// long each waited.
	waiting prometheus.Gauge
	waited  prometheus.Histogram
}

// scope is a report over one part of the history.
type scope struct{ report, project, programme string }

// scopeOf returns the scope of a request, with a programme's name folded
// as [projections.SameProgramme] matches names, so that the ways of
// writing one name are one scope.
func scopeOf(req Request) scope {
	return scope{req.Name, req.Query.Project, strings.ToLower(strings.ToUpper(strings.TrimSpace(req.Query.Programme)))}
}

// maxHeavyScopes bounds the scopes remembered as heavy; beyond it a new
// heavy scope goes straight through, as an unknown one does.
const maxHeavyScopes = 10_000

func newTurns(atOnce int) *turns {
	return &turns{
		slots: make(chan struct{}, max(1, atOnce)), heavy: map[scope]struct{}{},
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "together_reports_heavy_waiting",
			Help: "Heavy reports waiting for their turn to be computed.",
		}),
		waited: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "together_reports_heavy_wait_seconds",
			Help:    "How long heavy reports waited for their turn to be computed.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
	}
}

func defaultTurns() *turns { return newTurns(runtime.GOMAXPROCS(0) / 2) }

// take waits, if the report over k was heavy last time, for its turn, or
// until ctx ends. It returns what to call once the report was computed,
// with how long it took, or refused (computed false).
func (t *turns) take(ctx context.Context, k scope) (done func(took time.Duration, computed bool), err error) {
	t.mu.Lock()
	_, heavy := t.heavy[k]
	t.mu.Unlock()
	if heavy {
		t.waiting.Inc()
		start := time.Now()
		select {
		case t.slots <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
		}
		t.waiting.Dec()
		t.waited.Observe(time.Since(start).Seconds())
		if err != nil {
			return nil, err
		}
	}
	return func(took time.Duration, computed bool) {
		// What this report found is recorded before its turn is given
		// back, so that the report that takes the turn next records after
		// it and is not overwritten by it.
		if computed {
			t.mu.Lock()
			if took >= heavyReport {
				if len(t.heavy) < maxHeavyScopes {
					t.heavy[k] = struct{}{}
				}
			} else {
				delete(t.heavy, k)
			}
			t.mu.Unlock()
		}
		if heavy {
			<-t.slots
		}
	}, nil
}
