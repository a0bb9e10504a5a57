package keyring_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/together-coop/together/services/internal/keyring"
)

// BenchmarkSeal compares sealing in the process that keeps the key
// stream with asking that process over NATS (in-process server, one
// file-backed key stream: the cost of the round trip), for a reason of
// typical length. The key exists already, as it does for a registered
// stakeholder.
func BenchmarkSeal(b *testing.B) {
	tw := newTwins(b, nil)
	ctx := context.Background()
	reason := []byte(strings.Repeat("The bus does not run on Sundays. ", 6))
	for name, seal := range map[string]func() error{
		"local":  func() error { _, err := tw.local.Seal(ctx, alice, reason); return err },
		"remote": func() error { _, err := tw.remote.Seal(ctx, alice, reason); return err },
	} {
		b.Run(name, func(b *testing.B) {
			if err := seal(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := seal(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen opens what two thousand people sealed, as a report over
// everyone does: one key read a person, or a thousand keys a read.
func BenchmarkOpen(b *testing.B) {
	ids := manyIDs(2000)
	ks := newSealedKeys(b, ids...)
	ctx := context.Background()
	b.Run("one-at-a-time", func(b *testing.B) {
		for b.Loop() {
			for id, s := range ks.sealed {
				if _, err := ks.k.Open(ctx, id, s); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N*len(ids)), "µs/person")
	})
	b.Run("many", func(b *testing.B) {
		for b.Loop() {
			opened, err := ks.k.OpenMany(ctx, ks.sealed)
			if err != nil || len(opened) != len(ids) {
				b.Fatalf("opened %d of %d: %v", len(opened), len(ids), err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N*len(ids)), "µs/person")
	})
}

// BenchmarkKeptRevision asks for the revision of what Kept opened, as
// every reading of representativeness does, from one caller and from
// eight at once (readers of a dashboard on two cores): each asking must
// see every key destroyed before it began.
func BenchmarkKeptRevision(b *testing.B) {
	ks := newSealedKeys(b, manyIDs(100)...)
	ctx := context.Background()
	c := keyring.NewKept(ks.k, func(plain []byte) (string, bool) { return string(plain), true })
	if _, err := c.OpenMany(ctx, ks.sealed); err != nil {
		b.Fatal(err)
	}
	b.Run("one-caller", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Revision(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("eight-callers", func(b *testing.B) {
		b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Revision(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
