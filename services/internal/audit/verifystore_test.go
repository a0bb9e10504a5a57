package audit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
)

// TestVerifyStoreCarriesOnPastJunk: a message written into the event
// stream behind the recorder's back, that is not an event at all, is
// reported with its position, and the events after it are still checked.
func TestVerifyStoreCarriesOnPastJunk(t *testing.T) {
	ctx := context.Background()
	_, nc := natstest.RunJetStream(t)
	store, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	appendChained := func(stream string) {
		t.Helper()
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Stream: stream, StreamVersion: 1,
			OccurredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), RecordedAt: time.Now().UTC().Truncate(time.Microsecond),
			Actor: "t", Payload: []byte(`{"summary":"done"}`)}
		evs := []events.Envelope{e}
		if err := hashchain.Seal("", evs); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(ctx, stream, 0, evs); err != nil {
			t.Fatal(err)
		}
	}
	appendChained("project-a")
	if err := nc.Publish("events.project-junk", []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	appendChained("project-b")
	v, err := audit.VerifyStore(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || !slices.Equal(v.Unreadable, []uint64{2}) {
		t.Errorf("VerifyStore = ok %v, unreadable %v; want not ok, and position 2 named", v.OK, v.Unreadable)
	}
	if v.Result.Events != 2 || v.Break != nil {
		t.Errorf("VerifyStore checked %d events (break %v), want both real events checked past the junk", v.Result.Events, v.Break)
	}
}
