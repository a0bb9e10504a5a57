package recorder_test

import (
	"context"
	"encoding/json"
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
// seals included, verifies and that the seals cover it.
func TestSeals(t *testing.T) {
	store := memstore.New()
	_, nc := natstest.RunJetStream(t)
	registry := catalogue.New()
	run := func(n int, from uint64) {
		ctx := context.Background()
		stop := run(t, nc, store, registry, recorder.WithSeals(5, time.Hour))
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
