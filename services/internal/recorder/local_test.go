package recorder_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// The command executor keeps the events it sent as the history it decided
// on; the recorder stamps its own copy, as it does of those sent over NATS.
func TestLocalLeavesTheCallersEventsAsSent(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	store := memstore.New()
	svc, stop := start(t, nc, store, catalogue.New(), recorder.WithSeals(0, 0))
	t.Cleanup(func() { _ = stop() })
	evs := []events.Envelope{closed(t, time.Now())}
	sent := evs[0]
	if _, err := svc.Local().Append(context.Background(), "project-x", 0, evs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(evs[0], sent) {
		t.Errorf("the caller's event became %+v, want it as sent: %+v", evs[0], sent)
	}
	for e, err := range store.ReadStream(context.Background(), "project-x", 1) {
		if err != nil || e.Hash == "" || e.RecordedAt.IsZero() {
			t.Errorf("stored %+v, %v: want it stamped and chained", e, err)
		}
	}
}

// Once the recorder stops, or for a caller gone before it asked, nothing
// is appended and the answer is that the store is unavailable, as over NATS.
func TestLocalRefusesOnceStoppedOrGone(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	store := memstore.New()
	svc, stop := start(t, nc, store, catalogue.New(), recorder.WithSeals(0, 0))
	local := svc.Local()

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := local.Append(gone, "project-x", 0, []events.Envelope{closed(t, time.Now())}); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("Append of a caller gone = %v, want ErrUnavailable", err)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := local.Append(ctx, "project-x", 0, []events.Envelope{closed(t, time.Now())}); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("Append once stopped = %v, want ErrUnavailable", err)
	}
	if _, err := local.Head(ctx); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("Head once stopped = %v, want ErrUnavailable", err)
	}
	for _, err := range local.ReadStream(ctx, "project-x", 1) {
		if !errors.Is(err, events.ErrUnavailable) {
			t.Errorf("ReadStream once stopped = %v, want ErrUnavailable", err)
		}
	}
	if head, _ := store.Head(ctx); head != 0 {
		t.Errorf("store head = %d, want nothing appended", head)
	}
}

// failingStore fails every append and every head with an error of its
// own, as a store that lost its connection does.
type failingStore struct {
	*memstore.Store
	err error
}

func (s failingStore) Append(context.Context, string, uint64, []events.Envelope) (events.AppendResult, error) {
	return events.AppendResult{}, s.err
}

func (s failingStore) Head(context.Context) (uint64, error) { return 0, s.err }

// A store's failure that is no refusal reaches the caller as the store
// being unavailable, as a client over NATS is told.
func TestLocalTellsAFailureAsUnavailable(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	svc, stop := start(t, nc, failingStore{Store: memstore.New(), err: errors.New("connection lost")}, catalogue.New(), recorder.WithSeals(0, 0))
	t.Cleanup(func() { _ = stop() })
	ctx := context.Background()
	if _, err := svc.Local().Append(ctx, "project-x", 0, []events.Envelope{closed(t, time.Now())}); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("Append on a failing store = %v, want ErrUnavailable", err)
	}
	if _, err := svc.Local().Head(ctx); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("Head on a failing store = %v, want ErrUnavailable", err)
	}
}
