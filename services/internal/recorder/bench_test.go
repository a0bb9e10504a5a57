package recorder_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/recorder"
)

// BenchmarkRecorderAppend measures what a command pays to record one
// event: the request over NATS (or none, in the recorder's process), the
// recorder's checks, hash chain and group commit to JetStream with fsync
// on every message, and the answer. 1, 8 and 32 concurrent writers, each
// on its own stream; writers=8 compares with BenchmarkAppend of natsjs.
//
//	go test -run '^$' -bench RecorderAppend -benchtime 2000x ./services/internal/recorder/
func BenchmarkRecorderAppend(b *testing.B) {
	for _, r := range reaches {
		for _, writers := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/writers=%d", strings.ReplaceAll(r.name, " ", "-"), writers), func(b *testing.B) { benchmarkRecorderAppend(b, r, writers) })
		}
	}
}

func benchmarkRecorderAppend(b *testing.B, r reach, writers int) {
	srv, err := embednats.Start(embednats.Config{StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, _ := srv.Connect("bench")
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := prometheus.NewRegistry()
	store, err := natsjs.New(ctx, nc)
	if err != nil {
		b.Fatal(err)
	}
	svc, stop := start(b, nc, store, catalogue.New(), recorder.WithSeals(0, 0), recorder.WithLogger(zerolog.Nop()), recorder.WithMetrics(reg, "jetstream"))
	defer stop()
	client := r.of(nc, svc)
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("project-%s", uuid.NewString())
			version := uint64(0)
			for left.Add(-1) >= 0 {
				e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, OccurredAt: time.Now(), Actor: "bench", Payload: []byte(`{"summary":"bench"}`)}
				if _, err := client.Append(ctx, stream, version, []events.Envelope{e}); err != nil {
					b.Error(err)
					return
				}
				version++
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.Log(groupSizes(b, reg))
}
