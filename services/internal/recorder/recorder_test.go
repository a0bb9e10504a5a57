package recorder_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/storetest"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// A reach is one way a service reaches the recorder: over NATS, as a
// service in a process of its own does, or from the recorder's own
// process. Every test of what the recorder guarantees runs over both.
type reach struct {
	name string
	of   func(nc *nats.Conn, svc *recorder.Service) events.Store
}

var reaches = []reach{
	{"over NATS", func(nc *nats.Conn, _ *recorder.Service) events.Store { return recorder.NewClient(nc, 10*time.Second) }},
	{"in process", func(_ *nats.Conn, svc *recorder.Service) events.Store { return svc.Local() }},
}

// startRecorder serves store through a recorder on an embedded NATS server
// and returns the store as r reaches it.
func startRecorder(t *testing.T, r reach, store func(ctx context.Context, t *testing.T) events.Store, registry *events.Registry) events.Store {
	t.Helper()
	_, nc := natstest.RunJetStream(t)
	// No seals: the suite counts the events it wrote.
	svc, stop := start(t, nc, store(context.Background(), t), registry, recorder.WithSeals(0, 0))
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("recorder Run: %v", err)
		}
	})
	return r.of(nc, svc)
}

// run starts a recorder and returns once it is ready; stop ends it and
// returns what Run returned.
func run(t testing.TB, nc *nats.Conn, store events.Store, registry *events.Registry, opts ...recorder.Option) (stop func() error) {
	t.Helper()
	_, stop = start(t, nc, store, registry, opts...)
	return stop
}

// start is run that also returns the recorder.
func start(t testing.TB, nc *nats.Conn, store events.Store, registry *events.Registry, opts ...recorder.Option) (_ *recorder.Service, stop func() error) {
	t.Helper()
	opts = append([]recorder.Option{recorder.WithLogger(zerolog.New(zerolog.NewTestWriter(t)))}, opts...)
	svc, err := recorder.New(nc, store, registry, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	select {
	case <-svc.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("recorder stopped before it was ready: %v", err)
	}
	return svc, func() error {
		cancel()
		return <-done
	}
}

func suiteRegistry() *events.Registry {
	r := events.NewRegistry()
	storetest.Register(r)
	return r
}

func TestConformanceOverMemstore(t *testing.T) {
	for _, r := range reaches {
		t.Run(r.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) events.Store {
				return startRecorder(t, r, func(context.Context, *testing.T) events.Store { return memstore.New() }, suiteRegistry())
			}, storetest.Stamps())
		})
	}
}

func TestConformanceOverJetStream(t *testing.T) {
	for _, r := range reaches {
		t.Run(r.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) events.Store {
				return startRecorder(t, r, func(ctx context.Context, t *testing.T) events.Store {
					_, nc := natstest.RunJetStream(t)
					s, err := natsjs.New(ctx, nc)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}, suiteRegistry())
			}, storetest.Stamps())
		})
	}
}

func TestRefusesWhatTheCatalogueCannotDecode(t *testing.T) {
	for _, r := range reaches {
		t.Run(r.name, func(t *testing.T) { testRefusesWhatTheCatalogueCannotDecode(t, r) })
	}
}

func testRefusesWhatTheCatalogueCannotDecode(t *testing.T, r reach) {
	store := memstore.New()
	c := startRecorder(t, r, func(context.Context, *testing.T) events.Store { return store }, catalogue.New())
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
