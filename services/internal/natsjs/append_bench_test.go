package natsjs_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/natsjs"
)

// BenchmarkAppend measures single-event appends from 8 concurrent writers
// (each on its own stream), with fsync before every acknowledgement (the
// setting together serve uses) and with JetStream's default two-minute
// sync, in the same run: their ratio is the price of durability here.
//
//	go test -run '^$' -bench Append -benchtime 2000x ./services/internal/natsjs/
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noSync bool
	}{{"sync-always", false}, {"default-sync", true}} {
		b.Run(mode.name, func(b *testing.B) {
			srv, err := embednats.Start(embednats.Config{StoreDir: b.TempDir(), NoSync: mode.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Shutdown()
			nc, _ := srv.Connect("bench")
			defer nc.Close()
			s, err := natsjs.New(context.Background(), nc)
			if err != nil {
				b.Fatal(err)
			}
			var writer atomic.Int64
			b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 writers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				stream := fmt.Sprintf("project-w%d", writer.Add(1))
				version := uint64(0)
				for pb.Next() {
					e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{"summary":"bench"}`)}
					if _, err := s.Append(context.Background(), stream, version, []events.Envelope{e}); err != nil {
						b.Error(err)
						return
					}
					version++
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}
