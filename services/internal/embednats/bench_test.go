package embednats_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/natsjs"
)

// BenchmarkStoreEncryption measures single-event appends from 8 concurrent
// writers as the recorder's user, on a plain store and on one encrypted
// with each cipher, with fsync before every acknowledgement (as together
// serve runs) and without (where the cipher's own cost shows).
//
//	go test -run '^$' -bench StoreEncryption -benchtime 2000x ./services/internal/embednats/
func BenchmarkStoreEncryption(b *testing.B) {
	for _, sync := range []string{"sync-always", "default-sync"} {
		for _, cipher := range []string{"plain", "chacha", "aes"} {
			b.Run(sync+"/"+cipher, func(b *testing.B) {
				cfg := embednats.Config{StoreDir: b.TempDir(), NoSync: sync == "default-sync"}
				if cipher != "plain" {
					cfg.StoreKey, cfg.StoreCipher = storeKey, cipher
				}
				srv, err := embednats.Start(cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer srv.Shutdown()
				nc, err := srv.ConnectAs(busauth.Recorder)
				if err != nil {
					b.Fatal(err)
				}
				defer nc.Close()
				s, err := natsjs.New(context.Background(), nc)
				if err != nil {
					b.Fatal(err)
				}
				var writer atomic.Int64
				b.SetParallelism(4)
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
}
