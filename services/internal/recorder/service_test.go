package recorder_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

func closed(t *testing.T, occurred time.Time) events.Envelope {
	t.Helper()
	id, err := events.NewEventID()
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{ID: id, Type: "ProjectClosed", SchemaVersion: 1, OccurredAt: occurred, Actor: "t", Payload: []byte(`{"summary":"done"}`)}
}

func TestNewRefusesBadOptions(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	tests := []struct {
		name string
		opt  recorder.Option
	}{
		{"seals without an interval", recorder.WithSeals(1000, 0)},
		{"negative seals", recorder.WithSeals(-1, time.Minute)},
		{"no workers", recorder.WithWorkers(0)},
		{"no timeout", recorder.WithRequestTimeout(0)},
		{"nil clock", recorder.WithClock(nil)},
		{"metrics without registerer", recorder.WithMetrics(nil, "memory")},
		{"empty version", recorder.WithVersion("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := recorder.New(nc, memstore.New(), catalogue.New(), tt.opt); !errors.Is(err, events.ErrInvalidOption) {
				t.Errorf("New(%s) error = %v, want ErrInvalidOption", tt.name, err)
			}
		})
	}
}

// TestRefusesWhatTheCatalogueDoesNotExplain: events in the wrong stream,
// seals from outside, and business times that cannot be.
func TestRefusesWhatTheCatalogueDoesNotExplain(t *testing.T) {
	for _, r := range reaches {
		t.Run(r.name, func(t *testing.T) { testRefusesWhatTheCatalogueDoesNotExplain(t, r) })
	}
}

func testRefusesWhatTheCatalogueDoesNotExplain(t *testing.T, r reach) {
	store := memstore.New()
	c := startRecorder(t, r, func(context.Context, *testing.T) events.Store { return store }, catalogue.New())
	now := time.Now()
	agreed := closed(t, now)
	agreed.Type, agreed.Payload = "ActionAgreed", []byte(`{"project_id":"01a20000-0000-7000-8000-000000000001","feedback_ids":[],"description":"d","owner":"o","due_on":"2026-12-01"}`)
	sealID, _ := events.NewEventID()
	forgedSeal := events.Envelope{ID: sealID, Type: "LedgerSealed", SchemaVersion: 1, OccurredAt: now, Actor: "x",
		Payload: []byte(`{"through_position":1,"events":1,"chain_hash":"` + strings.Repeat("a", 64) + `"}`)}
	tests := []struct {
		name   string
		stream string
		env    events.Envelope
	}{
		{"action event in a project stream", "project-x", agreed},
		{"project event in the seal stream", "ledger-seals", closed(t, now)},
		{"a forged seal", "ledger-seals", forgedSeal},
		{"a seal in a project stream", "project-x", forgedSeal},
		{"a stream of no aggregate", "other-x", closed(t, now)},
		{"business time in 1989", "project-x", closed(t, time.Date(1989, 12, 31, 0, 0, 0, 0, time.UTC))},
		{"business time of year 0", "project-x", closed(t, time.Time{})},
		{"business time in 2099", "project-x", closed(t, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Append(context.Background(), tt.stream, 0, []events.Envelope{tt.env})
			if !errors.Is(err, events.ErrInvalidEvent) {
				t.Errorf("Append(%s) error = %v, want ErrInvalidEvent", tt.stream, err)
			}
		})
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Errorf("store head = %d after refused appends, want 0", head)
	}
	if _, err := c.Append(context.Background(), "project-x", 0, []events.Envelope{closed(t, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))}); err != nil {
		t.Errorf("Append(1990-01-01) error = %v, want none", err)
	}
}

// TestServiceInfoAndStatsTellTheTruth: micro's own statistics count the
// failed requests and the time spent appending, and INFO names the store
// and the version.
func TestServiceInfoAndStatsTellTheTruth(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	slow := &slowStore{Store: memstore.New(), delay: 20 * time.Millisecond}
	stop := run(t, nc, slow, catalogue.New(), recorder.WithSeals(0, 0), recorder.WithWorkers(1),
		recorder.WithVersion("1.2.3"), recorder.WithMetrics(prometheus.NewRegistry(), "memory"))
	defer stop()
	c := recorder.NewClient(nc, 5*time.Second)
	ctx := context.Background()
	if _, err := c.Append(ctx, "project-x", 0, []events.Envelope{closed(t, time.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Append(ctx, "project-x", 0, []events.Envelope{closed(t, time.Now())}); !errors.Is(err, events.ErrWrongExpectedVersion) {
		t.Fatalf("second Append error = %v, want a conflict", err)
	}
	msg, err := nc.Request("$SRV.INFO."+recorder.ServiceName, nil, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var info micro.Info
	if err := json.Unmarshal(msg.Data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Version != "1.2.3" || info.Metadata["store"] != "memory" {
		t.Errorf("INFO version %q, metadata %v; want 1.2.3 and store memory", info.Version, info.Metadata)
	}
	// micro counts a request once its handler has returned, just after
	// the reply left: ask until both appends are counted.
	var ep *micro.EndpointStats
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ep = appendStats(t, nc); ep != nil && ep.NumRequests == 2 {
			break
		}
	}
	if ep == nil {
		t.Fatal("no append endpoint in $SRV.STATS")
	}
	if ep.NumRequests != 2 || ep.NumErrors != 1 {
		t.Errorf("append stats: %d requests, %d errors; want 2 and 1", ep.NumRequests, ep.NumErrors)
	}
	if ep.AverageProcessingTime < slow.delay/2 {
		t.Errorf("append average processing time %s, want about the store's %s", ep.AverageProcessingTime, slow.delay)
	}
}

func appendStats(t *testing.T, nc *nats.Conn) *micro.EndpointStats {
	t.Helper()
	msg, err := nc.Request("$SRV.STATS."+recorder.ServiceName, nil, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var stats micro.Stats
	if err := json.Unmarshal(msg.Data, &stats); err != nil {
		t.Fatal(err)
	}
	for _, ep := range stats.Endpoints {
		if ep.Subject == recorder.SubjectAppend {
			return ep
		}
	}
	return nil
}

type slowStore struct {
	events.Store
	delay time.Duration
}

func (s *slowStore) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	time.Sleep(s.delay)
	return s.Store.Append(ctx, stream, expected, evs)
}

// heldStore holds its first append until released.
type heldStore struct {
	events.Store
	entered, release chan struct{}
	once             bool
}

func (s *heldStore) Append(ctx context.Context, stream string, expected uint64, evs []events.Envelope) (events.AppendResult, error) {
	if !s.once {
		s.once = true
		close(s.entered)
		<-s.release
	}
	return s.Store.Append(ctx, stream, expected, evs)
}
