package recorder_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/recorder"
)

// BenchmarkRecorderAppend measures what a command pays to record one
// event: the request over NATS, the recorder's checks, hash chain and
// serialised append to JetStream with fsync, and the answer. 8 concurrent
// writers, each on its own stream, as in BenchmarkAppend of natsjs, so the
// two compare.
//
//	go test -run '^$' -bench RecorderAppend -benchtime 2000x ./services/internal/recorder/
func BenchmarkRecorderAppend(b *testing.B) {
	srv, err := embednats.Start(embednats.Config{StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, _ := srv.Connect("bench")
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := natsjs.New(ctx, nc)
	if err != nil {
		b.Fatal(err)
	}
	stop := run(b, nc, store, catalogue.New(), recorder.WithSeals(0, 0))
	defer stop()
	client := recorder.NewClient(nc, 10*time.Second)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		stream := fmt.Sprintf("project-%s", uuid.NewString())
		version := uint64(0)
		for pb.Next() {
			e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, OccurredAt: time.Now(), Actor: "bench", Payload: []byte(`{"summary":"bench"}`)}
			if _, err := client.Append(ctx, stream, version, []events.Envelope{e}); err != nil {
				b.Error(err)
				return
			}
			version++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}
