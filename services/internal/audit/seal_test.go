package audit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// TestCleanStopLeavesNothingUnsealed writes through a recorder that seals
// on stop, stops it, starts and stops it again with nothing written, and
// requires the verification to find nothing unsealed each time.
func TestCleanStopLeavesNothingUnsealed(t *testing.T) {
	store := memstore.New()
	_, nc := natstest.RunJetStream(t)
	registry := catalogue.New()
	written := uint64(0)
	session := func(appends int) {
		t.Helper()
		svc, err := recorder.New(nc, store, registry, recorder.WithSeals(5, time.Hour),
			recorder.WithLogger(zerolog.New(zerolog.NewTestWriter(t))))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		<-svc.Ready()
		c := recorder.NewClient(nc, 5*time.Second)
		for range appends {
			data, _ := json.Marshal(project.Closed{Summary: "s"})
			id, _ := events.NewEventID()
			e := events.Envelope{ID: id, Type: project.TypeClosed, SchemaVersion: 1, OccurredAt: time.Now(), Actor: "t", Payload: data}
			if _, err := c.Append(context.Background(), "project-x", written, []events.Envelope{e}); err != nil {
				t.Fatal(err)
			}
			written++
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		res, err := audit.Verify(store.ReadAll(context.Background(), 0), nil)
		if err != nil || !res.OK {
			t.Fatalf("%s: verify = %+v, %v", when, res, err)
		}
		if res.Result.Unsealed != 0 {
			t.Errorf("%s: %d events unsealed after a clean stop (last sealed position %d, last position %d)",
				when, res.Result.Unsealed, res.Result.LastSealedPosition, res.Result.LastPosition)
		}
	}
	seals := func() int {
		n := 0
		for _, err := range store.ReadStream(context.Background(), seal.Stream, 1) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	session(7) // a seal after 5 events, and one on stop
	check("after writing")
	before := seals()
	session(0)
	check("after a restart that wrote nothing")
	// Sealing nothing but a seal would add a seal at every restart, and
	// one a minute to an idle history.
	if after := seals(); after != before {
		t.Errorf("a restart that wrote nothing added %d seals", after-before)
	}
	session(3)
	check("after writing again")
}
