package projections_test

import (
	"runtime"
	"testing"

	events "github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections/ledger"
)

func TestZZMemSpans(t *testing.T) {
	h := generated()
	r := events.New()
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	l := ledger.New()
	for i, e := range h.Events {
		if i%1024 == 0 {
			l = l.Next()
		}
		p, _ := r.Decode(e.Envelope)
		l.Apply(e.Envelope, p)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&b)
	t.Logf("live %.1f MiB, spans %.1f MiB (ratio %.2f)", float64(b.HeapAlloc-a.HeapAlloc)/(1<<20), float64(b.HeapInuse-a.HeapInuse)/(1<<20), float64(b.HeapInuse-a.HeapInuse)/float64(b.HeapAlloc-a.HeapAlloc))
	runtime.KeepAlive(l)
}
