package projections_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	core "github.com/together-coop/together/events"
	events "github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/projections/representativeness"
)

const benchEvents = 200_000

var generated = sync.OnceValue(func() *historytest.Builder { return historytest.Generate(42, benchEvents) })

// BenchmarkApply folds a generated programme of 200,000 events into a new
// ledger; the payloads are already decoded. "one version" applies them
// all to one ledger, as a test does; "versions of N" freezes a version
// every N events, as the reports' runner publishes one a batch (up to
// 1,024 while it catches up, a few under live load), so every entity and
// index path a batch changes is copied once.
func BenchmarkApply(b *testing.B) {
	h := generated()
	for _, batch := range []int{0, 1024, 16, 1} {
		name := "one version"
		if batch > 0 {
			name = fmt.Sprintf("versions of %d", batch)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l := ledger.New()
				for i, e := range h.Events {
					if batch > 0 && i%batch == 0 {
						l = l.Next()
					}
					l.Apply(e.Envelope, e.Payload)
				}
			}
			b.ReportMetric(float64(len(h.Events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkDecodeAndApply adds what a replay also pays: decoding and
// validating every payload against the report.
func BenchmarkDecodeAndApply(b *testing.B) {
	h := generated()
	r := events.New()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		decodeAndApply(b, r, h)
	}
	b.ReportMetric(float64(len(h.Events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecode decodes and validates every payload of the generated
// programme against the catalogue, as a replay does before it applies.
func BenchmarkDecode(b *testing.B) {
	h := generated()
	r := events.New()
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range h.Events {
			if _, err := r.Decode(e.Envelope); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(len(h.Events))/float64(b.N), "ns/event")
}

// decodeAndApply folds h into a new ledger, decoding each payload as a
// replay does.
func decodeAndApply(b *testing.B, r *core.Registry, h *historytest.Builder) *ledger.Ledger {
	l := ledger.New()
	for _, e := range h.Events {
		p, err := r.Decode(e.Envelope)
		if err != nil {
			b.Fatal(err)
		}
		l.Apply(e.Envelope, p)
	}
	return l
}

// BenchmarkLedgerMemory reports what a ledger of the generated programme
// keeps in the heap once built, per event: what grows with the history.
func BenchmarkLedgerMemory(b *testing.B) {
	h := generated()
	r := events.New()
	kept := func(b *testing.B, build func() *ledger.Ledger) {
		var n uint64
		for b.Loop() {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			l := build()
			runtime.GC()
			runtime.ReadMemStats(&after)
			n = after.HeapAlloc - before.HeapAlloc
			runtime.KeepAlive(l)
		}
		b.ReportMetric(float64(n)/float64(len(h.Events)), "B-kept/event")
		b.ReportMetric(float64(n)/(1<<20), "MiB-kept")
	}
	// Decoded as a replay decodes: the ledger keeps what it takes from
	// the payloads.
	b.Run("rebuild", func(b *testing.B) {
		kept(b, func() *ledger.Ledger { return decodeAndApply(b, r, h) })
	})
	b.Run("restore", func(b *testing.B) {
		data, err := h.Ledger().Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		kept(b, func() *ledger.Ledger {
			l, err := ledger.Restore(data)
			if err != nil {
				b.Fatal(err)
			}
			return l
		})
	})
}

// BenchmarkReports computes each report over the whole generated
// programme, as the dashboard asks for it.
func BenchmarkReports(b *testing.B) {
	h := generated()
	l := h.Ledger()
	q := projections.Query{AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := config(b)
	for _, r := range report.All() {
		b.Run(r.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Compute(l, q, c)
			}
		})
	}
}

// BenchmarkSnapshot encodes and restores the ledger of the generated
// programme: what a reports restart costs instead of a full replay.
func BenchmarkSnapshot(b *testing.B) {
	l := generated().Ledger()
	data, err := l.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data))/(1<<20), "MiB")
	})
	// As the reports service writes one: into room for the last
	// snapshot's size and an eighth more, made once.
	b.Run("encode-into-room", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			buf.Grow(len(data) * 9 / 8)
			if err := l.WriteSnapshot(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ledger.Restore(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemo asks the reports made of one part a project (the
// programme view; decisions, participation, follow-through, influence,
// reach and reciprocity) through a memo, over everything, one programme
// and one project of the generated programme: "computed" without the
// memo, for comparison; "kept" from eight goroutines at once on one
// version, as dashboards ask while nothing changes; "one event between"
// on a new version after each of the history's last thousand events, so
// the report is made again of the parts of the projects that did not
// change and the one part that did.
func BenchmarkMemo(b *testing.B) {
	h := generated()
	const between = 1000
	last := len(h.Events) - between
	c := config(b)
	c.KeysRevision = func() (uint64, bool) { return 1, true } // historytest's keys never change
	first := h.Ledger().Projects.Get(h.Ledger().ProjectOrder[0])
	for _, name := range []string{"programme", "decisions", "participation", "follow-through", "influence", "reach", "reciprocity", "representativeness"} {
		r, _ := report.Lookup(name)
		for _, s := range []struct {
			name string
			q    projections.Query
		}{
			{"everything", projections.Query{}},
			{"programme", projections.Query{Programme: first.Programme}},
			{"project", projections.Query{Project: first.ID}},
		} {
			q := s.q
			q.AsOf = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
			b.Run(name+"/"+s.name+"/computed", func(b *testing.B) {
				l := h.Ledger()
				b.ReportAllocs()
				for b.Loop() {
					r.Compute(l, q, c)
				}
			})
			b.Run(name+"/"+s.name+"/kept", func(b *testing.B) {
				l, memo := h.Ledger(), report.NewMemo(c)
				memo.Compute(name, l, q)
				b.ReportAllocs()
				b.ResetTimer()
				b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						memo.Compute(name, l, q)
					}
				})
			})
			b.Run(name+"/"+s.name+"/one event between", func(b *testing.B) {
				c := c
				// As the services open them: each declaration once, kept
				// while its key lives.
				c.Demographics = openedOnce(c.Demographics)
				memo := report.NewMemo(c)
				var l *ledger.Ledger
				next := len(h.Events)
				b.ReportAllocs()
				for b.Loop() {
					if next == len(h.Events) {
						b.StopTimer()
						l = historytest.LedgerOf(h.Events[:last])
						memo.Compute(name, l, q)
						next = last
						b.StartTimer()
					}
					l = l.Next()
					l.Apply(h.Events[next].Envelope, h.Events[next].Payload)
					next++
					memo.Compute(name, l, q)
				}
			})
		}
	}
}

// openedOnce opens as open does, each declaration once: what the services'
// keyring.Kept does while no key is written.
func openedOnce(open representativeness.Opener) representativeness.Opener {
	if open == nil {
		return nil
	}
	type declaration struct{ id, nonce string }
	var mu sync.Mutex
	kept := map[declaration]stakeholder.Demographics{}
	return func(sealed map[string]stakeholder.Sealed) map[string]stakeholder.Demographics {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]stakeholder.Demographics, len(sealed))
		missing := map[string]stakeholder.Sealed{}
		for id, s := range sealed {
			if d, ok := kept[declaration{id, string(s.Nonce)}]; ok {
				out[id] = d
			} else {
				missing[id] = s
			}
		}
		for id, d := range open(missing) {
			kept[declaration{id, string(sealed[id].Nonce)}] = d
			out[id] = d
		}
		return out
	}
}

// BenchmarkJSON encodes each report of one project of the generated
// programme, as every reading does, kept or not.
func BenchmarkJSON(b *testing.B) {
	h := generated()
	l := h.Ledger()
	q := projections.Query{Project: l.ProjectOrder[0], AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := config(b)
	for _, r := range report.All() {
		doc := r.Compute(l, q, c)
		b.Run(r.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := report.JSON(doc, disclosure.Rule{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
