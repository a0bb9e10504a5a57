package keyring_test

import (
	"context"
	"strings"
	"testing"
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
