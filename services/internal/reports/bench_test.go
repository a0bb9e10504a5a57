package reports_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/reports/reportstest"
)

// BenchmarkKeptReading asks for one project's report through the
// service's handler while nothing changes, as a dashboard left open does:
// every reading after the first is kept by the memo, so this is what a
// reading costs beside computing it (no network, no identity check).
// "exact" is a caller allowed exact counts; "published" one whose counts
// are suppressed, as by default.
func BenchmarkKeptReading(b *testing.B) {
	h := historytest.Generate(42, 20_000)
	_, runner := reportstest.Over(b, h.Events)
	now := h.Events[len(h.Events)-1].Envelope.RecordedAt.Add(time.Hour)
	svc, err := reports.New(runner, reports.WithClock(func() time.Time { return now }),
		reports.WithExactCounts(func(r *http.Request) bool { return r.Header.Get("X-Exact") == "yes" }))
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	project := h.Ledger().ProjectOrder[0]
	for _, name := range []string{"participation", "follow-through", "decisions"} {
		for _, exact := range []string{"yes", "no"} {
			label := "exact"
			if exact == "no" {
				label = "published"
			}
			b.Run(name+"/"+label, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodGet, "/api/v1/reports/"+name+"?project="+project, nil)
					r.Header.Set("X-Exact", exact)
					w := httptest.NewRecorder()
					mux.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", name, w.Code, w.Body)
					}
				}
			})
		}
	}
}
