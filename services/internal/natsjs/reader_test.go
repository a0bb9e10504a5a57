package natsjs_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
)

// TestReaderFollowsWithoutAConsumer reads the history with a Reader, as the
// store reads it, then follows new events, woken by an announcement or, when
// none comes, by its poll; the stream never holds a consumer.
func TestReaderFollowsWithoutAConsumer(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	ctx := context.Background()
	s, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	appendMany(t, s, "project-1", 0, envelopes(1500))
	appendMany(t, s, "project-2", 0, envelopes(700))

	const announcements = "test.appended"
	tests := []struct {
		name     string
		cfg      natsjs.ReaderConfig
		announce bool
	}{
		// An hour's poll: only the announcement can wake it in time.
		{"woken by an announcement", natsjs.ReaderConfig{Announcements: announcements, Poll: time.Hour}, true},
		{"woken by its poll", natsjs.ReaderConfig{Poll: 20 * time.Millisecond}, false},
	}
	version := uint64(700)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := natsjs.NewReader(nc, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			head, err := r.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := s.Head(ctx); head != want {
				t.Fatalf("Head = %d, want the store's %d", head, want)
			}
			if got, want := positions(t, r.ReadAll(ctx, 1000)), positions(t, s.ReadAll(ctx, 1000)); !slices.Equal(got, want) {
				t.Fatalf("ReadAll(1000) read %d events, want the store's %d in the same order", len(got), len(want))
			}

			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			seen := make(chan uint64)
			failed := make(chan error, 1)
			go func() {
				for e, err := range r.Subscribe(sctx, 2000) {
					if err != nil {
						failed <- err
						return
					}
					seen <- e.Position
				}
			}()
			next := func() uint64 {
				t.Helper()
				select {
				case p := <-seen:
					return p
				case err := <-failed:
					t.Fatal(err)
				case <-time.After(10 * time.Second):
					t.Fatal("the reader did not follow")
				}
				return 0
			}
			for want := uint64(2001); want <= head; want++ {
				if p := next(); p != want {
					t.Fatalf("followed position %d, want %d", p, want)
				}
			}
			appendMany(t, s, "project-2", version, envelopes(3))
			version += 3
			if tt.announce {
				if err := nc.Publish(announcements, nil); err != nil {
					t.Fatal(err)
				}
			}
			for want := head + 1; want <= head+3; want++ {
				if p := next(); p != want {
					t.Fatalf("followed position %d, want %d", p, want)
				}
			}
			js, _ := jetstream.New(nc)
			stream, err := js.Stream(ctx, natsjs.DefaultStreamName)
			if err != nil {
				t.Fatal(err)
			}
			if n := stream.CachedInfo().State.Consumers; n != 0 {
				t.Errorf("while a reader follows, the stream has %d consumers, want 0", n)
			}
		})
	}
}

func positions(t *testing.T, seq func(func(events.Envelope, error) bool)) []uint64 {
	t.Helper()
	var out []uint64
	for e, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Position)
	}
	return out
}

// TestReaderReadsContentOnly: a reader told to read content only yields
// the store's events less who wrote them and their hashes, whether it
// reads the history or follows it.
func TestReaderReadsContentOnly(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	ctx := context.Background()
	s, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	evs := envelopes(300)
	for i := range evs {
		evs[i].Actor, evs[i].CorrelationID, evs[i].PrevHash, evs[i].Hash = "user-1", "c-1", fmt.Sprint("p", i), fmt.Sprint("h", i)
		if i%2 == 0 {
			evs[i].CausationID, evs[i].Idempotency = "d-1", &events.Idempotency{Key: "k", Digest: "g"}
		}
	}
	appendMany(t, s, "project-1", 0, evs)
	var want []events.Envelope
	for e, err := range s.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		e.Actor, e.CorrelationID, e.CausationID, e.Idempotency, e.PrevHash, e.Hash = "", "", "", nil, "", ""
		want = append(want, e)
	}
	r, err := natsjs.NewReader(nc, natsjs.ReaderConfig{ContentOnly: true, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	read := func(seq iter.Seq2[events.Envelope, error]) []events.Envelope {
		var out []events.Envelope
		for e, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			if out = append(out, e); len(out) == len(want) {
				break // a subscription would wait for more
			}
		}
		return out
	}
	if diff := cmp.Diff(want, read(r.ReadAll(ctx, 0))); diff != "" {
		t.Errorf("ReadAll (-the store's, less provenance +read content only):\n%s", diff)
	}
	if diff := cmp.Diff(want, read(r.Subscribe(ctx, 0))); diff != "" {
		t.Errorf("Subscribe (-the store's, less provenance +read content only):\n%s", diff)
	}
}
