package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/natsjs"
)

// Ceilings are what the machine allows underneath together: the same
// disk, the same embedded nats-server with fsync before every
// acknowledgement, the same stream configuration, and nothing of
// together's own on top.
type Ceilings struct {
	Publishers int
	// Published durable messages per second, each publisher waiting for
	// its acknowledgement before the next, as a command does.
	PublishPerSecond float64
	PublishLatency   Percentiles
	// PublishCPU is the CPU time this process used while publishing:
	// the server's and the publishers'.
	PublishCPU time.Duration
	// ReadPerSecond is an ordered consumer reading back what was
	// published, with no decoding.
	ReadPerSecond float64
	Messages      int
}

// sampleEnvelope is the size of a typical stored event (a feedback item
// with its envelope and hash chain), so that the ceiling moves the same
// bytes.
var sampleEnvelope = []byte(`{"id":"019a0000-0000-7000-8000-000000000000","type":"FeedbackGiven","schema_version":1,"stream":"feedback-019a0000-0000-7000-8000-000000000000","stream_version":1,"position":0,"occurred_at":"2026-03-01T10:00:00Z","recorded_at":"2026-03-01T10:00:00.000001Z","actor":"bench@example.invalid","correlation_id":"019a0000-0000-7000-8000-000000000001","causation_id":"019a0000-0000-7000-8000-000000000002","prev_hash":"","hash":"0000000000000000000000000000000000000000000000000000000000000000","payload":{"feedback_id":"019a0000-0000-7000-8000-000000000000","project_id":"019a0000-0000-7000-8000-000000000003","engagement_id":"019a0000-0000-7000-8000-000000000004","element_id":"019a0000-0000-7000-8000-000000000005","stakeholder_id":"019a0000-0000-7000-8000-000000000006","channel":"engagement","sentiment":"mixed","themes":["access"],"summary":"The room was hard to find"}}`)

// MeasureCeilings starts a fresh embedded nats-server (fsync always) on a
// new directory under dir, removed afterwards, publishes from publishers concurrent writers for d
// or until maxMessages, then reads everything back with an ordered
// consumer.
func MeasureCeilings(ctx context.Context, dir string, publishers int, d time.Duration, maxMessages int) (Ceilings, error) {
	store, err := os.MkdirTemp(dir, "ceiling-")
	if err != nil {
		return Ceilings{}, err
	}
	// Throwaway messages: nothing of it is worth keeping.
	defer os.RemoveAll(store)
	srv, err := embednats.Start(embednats.Config{StoreDir: filepath.Join(store, "nats")})
	if err != nil {
		return Ceilings{}, err
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("bench-ceiling")
	if err != nil {
		return Ceilings{}, err
	}
	defer nc.Close()
	// The stream exactly as the store makes it.
	if _, err := natsjs.New(ctx, nc); err != nil {
		return Ceilings{}, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return Ceilings{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var budget atomic.Int64
	budget.Store(int64(maxMessages))
	lat := make([][]time.Duration, publishers)
	errs := make([]error, publishers)
	var wg sync.WaitGroup
	cpuBefore, cpuKnown := ProcessCPU()
	start := time.Now()
	for i := range publishers {
		wg.Go(func() {
			for n := 0; pctx.Err() == nil && budget.Add(-1) >= 0; n++ {
				m := nats.NewMsg(fmt.Sprintf("events.ceiling-%d-%d", i, n%64))
				m.Data = sampleEnvelope
				t := time.Now()
				if _, err := js.PublishMsg(pctx, m); err != nil {
					if pctx.Err() == nil {
						errs[i] = err
					}
					return
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpuAfter, _ := ProcessCPU()
	var all []time.Duration
	for i := range publishers {
		if errs[i] != nil {
			return Ceilings{}, fmt.Errorf("publish: %w", errs[i])
		}
		all = append(all, lat[i]...)
	}
	c := Ceilings{Publishers: publishers, Messages: len(all), PublishLatency: percentiles(all), PublishPerSecond: float64(len(all)) / elapsed.Seconds()}
	if cpuKnown {
		c.PublishCPU = cpuAfter - cpuBefore
	}
	if c.Messages == 0 {
		return c, nil
	}

	cons, err := js.OrderedConsumer(ctx, natsjs.DefaultStreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return c, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return c, err
	}
	defer it.Stop()
	start = time.Now()
	for range c.Messages {
		if _, err := it.Next(); err != nil {
			return c, fmt.Errorf("read back: %w", err)
		}
	}
	c.ReadPerSecond = float64(c.Messages) / time.Since(start).Seconds()
	return c, nil
}
