package natsjs

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/followthrough"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
)

// replayEvents is the size of the replay fixture; TOGETHER_REPLAY_EVENTS
// overrides it for a quicker look.
func replayEvents(b *testing.B) int {
	if s := os.Getenv("TOGETHER_REPLAY_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10_000 {
			b.Fatalf("TOGETHER_REPLAY_EVENTS=%q: want a number ≥ 10000", s)
		}
		return n
	}
	return 1_000_000
}

// replayFixture returns a JetStream store directory holding a generated
// programme of n events, building it on first use and keeping it in the
// temporary directory for later runs (it is written without fsync: a
// fixture, not a ledger).
func replayFixture(b *testing.B, n int) string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("together-replay-fixture-v1-%d", n))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	_ = os.RemoveAll(dir)
	start := time.Now()
	h := historytest.Generate(7, n)
	srv, err := embednats.Start(embednats.Config{StoreDir: dir, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("fixture")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	fixture, err := New(ctx, nc)
	if err != nil {
		b.Fatal(err)
	}
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	for i, e := range h.Events {
		m, err := fixture.encode(e.Envelope)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
		if i%2_000 == 0 { // stay under the async window, or publishing stalls
			<-js.PublishAsyncComplete()
		}
	}
	<-js.PublishAsyncComplete()
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture of %d events written to %s in %v", len(h.Events), dir, time.Since(start).Round(time.Millisecond))
	return dir
}

// BenchmarkReplay rebuilds every report from a JetStream store holding a
// generated programme of a million events, and reads the same stream raw
// with an ordered consumer and no decoding: the ceiling any rebuild can
// reach on this machine. Both run in the same process on the same store,
// so their ratio is what to compare across machines.
//
//	go test -run '^$' -bench Replay -benchtime 3x ./services/internal/natsjs/
func BenchmarkReplay(b *testing.B) {
	n := replayEvents(b)
	dir := replayFixture(b, n)
	srv, err := embednats.Start(embednats.Config{StoreDir: dir, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("replay")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	s, err := New(ctx, nc)
	if err != nil {
		b.Fatal(err)
	}
	head, err := s.Head(ctx)
	if err != nil || head < uint64(n) {
		b.Fatalf("fixture holds %d events (%v), want %d", head, err, n)
	}

	b.Run("raw-ordered-consumer", func(b *testing.B) {
		for b.Loop() {
			cons, err := s.js.OrderedConsumer(ctx, s.name, jetstream.OrderedConsumerConfig{})
			if err != nil {
				b.Fatal(err)
			}
			it, err := cons.Messages(jetstream.PullMaxMessages(512))
			if err != nil {
				b.Fatal(err)
			}
			var bytes int
			for {
				m, err := it.Next()
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(m.Data())
				meta, _ := m.Metadata()
				if meta.Sequence.Stream >= head {
					break
				}
			}
			it.Stop()
			b.SetBytes(int64(bytes))
		}
		b.ReportMetric(float64(head)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})

	b.Run("read-all-envelopes", func(b *testing.B) {
		for b.Loop() {
			var last uint64
			for e, err := range s.ReadAll(ctx, 0) {
				if err != nil {
					b.Fatal(err)
				}
				last = e.Position
			}
			if last != head {
				b.Fatalf("read to %d, want %d", last, head)
			}
		}
		b.ReportMetric(float64(head)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})

	rebuild := func(b *testing.B, source events.Store) {
		registry := catalogue.New()
		q := projections.Query{AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
		for b.Loop() {
			l := ledger.New()
			for e, err := range source.ReadAll(ctx, 0) {
				if err != nil {
					b.Fatal(err)
				}
				p, err := registry.Decode(e)
				if err != nil {
					b.Fatal(err)
				}
				l.Apply(e, p)
			}
			if l.Position != head {
				b.Fatalf("rebuilt to %d, want %d", l.Position, head)
			}
			participation.Compute(l, q)
			followthrough.Compute(l, q)
			decisions.Compute(l, q)
			programme.Compute(l, q, programme.DefaultThresholds())
			runtime.KeepAlive(l)
		}
		b.ReportMetric(float64(head)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(peakRSSMiB(), "peak-rss-MiB")
	}
	// The projection reading the store itself, as it does on JetStream.
	b.Run("rebuild-all-reports", func(b *testing.B) { rebuild(b, s) })
	coldStart := func(b *testing.B, source reports.Source) {
		for b.Loop() {
			r, err := reports.NewRunner(source, catalogue.New())
			if err != nil {
				b.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.Run(rctx) }()
			err = r.WaitFor(ctx, head)
			cancel()
			<-done
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(head)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	}
	// The reports' runner starting cold on the store: what a restart
	// without a snapshot waits for before the reports are current.
	b.Run("runner-cold-start", func(b *testing.B) { coldStart(b, s) })
	// The same through a Reader, as the reports process reads the
	// recorder's stream (here in the same account).
	b.Run("runner-cold-start-reader", func(b *testing.B) {
		r, err := NewReader(nc, ReaderConfig{})
		if err != nil {
			b.Fatal(err)
		}
		coldStart(b, r)
	})
	// The projection reading through the recorder's JSON pages, as it must
	// when the store is KurrentDB.
	b.Run("rebuild-via-recorder", func(b *testing.B) {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		svc, err := recorder.New(nc, s, catalogue.New(), recorder.WithSeals(0, 0))
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- svc.Run(rctx) }()
		defer func() { cancel(); <-done }()
		<-svc.Ready()
		rebuild(b, recorder.NewClient(nc, 30*time.Second))
	})
}

// peakRSSMiB reads the process's peak resident set (VmHWM) from Linux's
// /proc; 0 elsewhere.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
