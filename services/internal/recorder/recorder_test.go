package recorder_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/storetest"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// startRecorder serves store through a recorder on an embedded NATS server
// and returns a client of it.
func startRecorder(t *testing.T, store func(ctx context.Context, t *testing.T) events.Store, registry *events.Registry) *recorder.Client {
	t.Helper()
	_, nc := natstest.RunJetStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	// No seals: the suite counts the events it wrote.
	svc := recorder.NewService(nc, store(ctx, t), registry, recorder.WithLogger(zerolog.New(zerolog.NewTestWriter(t))), recorder.WithSeals(0, 0))
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("recorder Run: %v", err)
		}
	})
	c := recorder.NewClient(nc, 10*time.Second)
	// Wait until the service answers.
	for i := 0; ; i++ {
		if _, err := c.Head(context.Background()); err == nil {
			break
		} else if i == 100 {
			t.Fatalf("recorder did not start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

func suiteRegistry() *events.Registry {
	r := events.NewRegistry()
	storetest.Register(r)
	return r
}

func TestConformanceOverMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) events.Store {
		return startRecorder(t, func(context.Context, *testing.T) events.Store { return memstore.New() }, suiteRegistry())
	}, storetest.Stamps())
}

func TestConformanceOverJetStream(t *testing.T) {
	storetest.Run(t, func(t *testing.T) events.Store {
		return startRecorder(t, func(ctx context.Context, t *testing.T) events.Store {
			_, nc := natstest.RunJetStream(t)
			s, err := natsjs.New(ctx, nc)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, suiteRegistry())
	}, storetest.Stamps())
}

func TestRefusesWhatTheCatalogueCannotDecode(t *testing.T) {
	store := memstore.New()
	c := startRecorder(t, func(context.Context, *testing.T) events.Store { return store }, catalogue.New())
	id, _ := events.NewEventID()
	tests := []struct {
		name string
		env  events.Envelope
	}{
		{"unknown type", events.Envelope{ID: id, Type: "SomethingHappened", SchemaVersion: 1, Payload: []byte(`{}`)}},
		{"unknown field", events.Envelope{ID: id, Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{"summary":"done","extra":1}`)}},
		{"broken rule", events.Envelope{ID: id, Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{"summary":""}`)}},
		{"future schema", events.Envelope{ID: id, Type: "ProjectClosed", SchemaVersion: 2, Payload: []byte(`{"summary":"done"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Append(context.Background(), "project-x", 0, []events.Envelope{tt.env})
			if !errors.Is(err, events.ErrInvalidEvent) {
				t.Errorf("Append error = %v, want ErrInvalidEvent", err)
			}
		})
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Errorf("store head = %d after refused appends, want 0", head)
	}
}
