package recorder_test

import (
	"context"
	"encoding/json"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// TestSeals appends through a recorder that seals every 5 events, restarts
// it on the same store, appends more, and checks that the whole history,
// seals included, verifies and that the seals cover it. A recorder that
// starts on a store that reads a stream's last event reads the last seal
// alone; on any other store it reads the seals through.
func TestSeals(t *testing.T) {
	for _, tt := range []struct {
		name     string
		readLast bool
	}{
		{"store reads the last event", true},
		{"store reads streams only", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &sealReads{Store: memstore.New()}
			var recorded events.Store = store
			if tt.readLast {
				recorded = lastOf{store}
			}
			testSeals(t, store.Store, recorded)
			if tt.readLast && store.most > 1 {
				t.Errorf("a read of the seal stream yielded %d seals; want the last one alone", store.most)
			}
			if !tt.readLast && store.most < 2 {
				t.Errorf("at most %d seals read at once; want the restarted recorder to read them through", store.most)
			}
		})
	}
}

// sealReads counts the most seals one read of the seal stream yielded.
type sealReads struct {
	events.Store
	mu   sync.Mutex
	most int
}

func (s *sealReads) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		n := 0
		defer func() {
			if stream == seal.Stream {
				s.mu.Lock()
				s.most = max(s.most, n)
				s.mu.Unlock()
			}
		}()
		for e, err := range s.Store.ReadStream(ctx, stream, from) {
			if err == nil {
				n++
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// lastOf is a store that reads a stream's last event, as the JetStream
// store does in one lookup.
type lastOf struct{ *sealReads }

func (l lastOf) ReadLast(ctx context.Context, stream string) (events.Envelope, error) {
	var last events.Envelope
	for e, err := range l.Store.ReadStream(ctx, stream, 1) {
		if err != nil {
			return events.Envelope{}, err
		}
		last = e
	}
	return last, nil
}

func testSeals(t *testing.T, store, recorded events.Store) {
	_, nc := natstest.RunJetStream(t)
	registry := catalogue.New()
	run := func(n int, from uint64) {
		ctx := context.Background()
		stop := run(t, nc, recorded, registry, recorder.WithSeals(5, time.Hour))
		c := recorder.NewClient(nc, 5*time.Second)
		for i := range n {
			data, _ := json.Marshal(project.Closed{Summary: "s"})
			id, _ := events.NewEventID()
			e := events.Envelope{ID: id, Type: project.TypeClosed, SchemaVersion: 1, OccurredAt: time.Now(), Actor: "t", Payload: data}
			if _, err := c.Append(ctx, "project-x", from+uint64(i), []events.Envelope{e}); err != nil {
				t.Fatal(err)
			}
		}
		// A stop seals whatever is not sealed yet.
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	run(12, 0)
	run(7, 12) // a new recorder continues the chain from the last seal

	v := hashchain.NewVerifier()
	var seals []seal.LedgerSealed
	for e, err := range store.ReadAll(context.Background(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Add(e); err != nil {
			t.Fatalf("history with seals does not verify: %v", err)
		}
		if e.Type == seal.TypeLedgerSealed {
			var s seal.LedgerSealed
			_ = json.Unmarshal(e.Payload, &s)
			seals = append(seals, s)
		}
	}
	res := v.Result()
	// Each run appended at least 5 events, so each sealed at least once
	// (seals triggered close together may cover the same stretch once).
	if len(seals) < 2 || res.Seals != len(seals) {
		t.Fatalf("%d seals (%d verified), want at least one per recorder run", len(seals), res.Seals)
	}
	last := seals[len(seals)-1]
	// The final seal on stop covers everything before it.
	if last.ThroughPosition != res.LastPosition-1 || last.Events != res.Events-1 {
		t.Errorf("last seal covers %d events through %d; history has %d through %d before it", last.Events, last.ThroughPosition, res.Events-1, res.LastPosition-1)
	}
}
