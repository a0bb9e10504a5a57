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
			s := benchStore(b, mode.noSync)
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

// benchStore is a store on a fresh embedded server, fsyncing every
// message unless noSync, stopped when the benchmark ends.
func benchStore(b *testing.B, noSync bool) *natsjs.Store {
	b.Helper()
	srv, err := embednats.Start(embednats.Config{StoreDir: b.TempDir(), NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	s, err := natsjs.New(context.Background(), nc)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAppendGroup appends groups of 8 single-event appends, each to
// its own stream, with fsync on every message: set against BenchmarkAppend
// (8 concurrent writers), it shows what pipelining the publishes gains.
//
//	go test -run '^$' -bench 'Append' -benchtime 2000x ./services/internal/natsjs/
func BenchmarkAppendGroup(b *testing.B) {
	s := benchStore(b, false)
	const group = 8
	streams := make([]string, group)
	expected := make([]uint64, group)
	for i := range streams {
		streams[i] = fmt.Sprintf("project-g%d", i)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n += group {
		evs := make([][]events.Envelope, group)
		for i := range evs {
			evs[i] = []events.Envelope{{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{"summary":"bench"}`)}}
		}
		_, errs, _ := s.AppendGroup(context.Background(), streams, expected, evs)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		for i := range expected {
			expected[i]++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}
