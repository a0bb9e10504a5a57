package reports_test

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/reports"
)

// counting wraps a store and counts the events its subscriptions yield.
type counting struct {
	*memstore.Store
	yielded atomic.Int64
}

func (c *counting) Subscribe(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range c.Store.Subscribe(ctx, after) {
			c.yielded.Add(1)
			if !yield(e, err) {
				return
			}
		}
	}
}

type memorySnapshots struct {
	mu   sync.Mutex
	data []byte
}

func (m *memorySnapshots) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memorySnapshots) Save(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = data
	return nil
}

func appendAll(t *testing.T, s events.Store, evs []historytest.Event) {
	t.Helper()
	for _, e := range evs {
		env := e.Envelope
		if _, err := s.Append(context.Background(), env.Stream, env.StreamVersion-1, []events.Envelope{env}); err != nil {
			t.Fatal(err)
		}
	}
}

// runUntil runs a runner over source until it reached position, then
// stops it and returns its report.
func runUntil(t *testing.T, source reports.Source, snaps reports.Snapshots, position uint64) []byte {
	t.Helper()
	r := reports.NewRunner(source, catalogue.New(), zerolog.New(zerolog.NewTestWriter(t)), nil, reports.WithSnapshots(snaps, 50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if err := r.WaitFor(wctx, position); err != nil {
		t.Fatalf("runner did not reach %d: %v", position, err)
	}
	var out []byte
	r.Read(func(l *ledger.Ledger) {
		out, _ = report.JSON(participation.Compute(l, projections.Query{AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}), disclosure.Rule{})
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunnerResumesFromSnapshot stops a runner part way, lets more events
// arrive, and checks that the next runner reads only those, yet reports
// exactly what a full replay does; and that a snapshot of another history
// is not trusted.
func TestRunnerResumesFromSnapshot(t *testing.T) {
	story := historytest.Generate(5, 8000).Events // valid ids, as the recorder requires
	cut := len(story) * 2 / 3
	store := &counting{Store: memstore.New()}
	snaps := &memorySnapshots{}
	appendAll(t, store, story[:cut])
	runUntil(t, store, snaps, uint64(cut))
	if snaps.data == nil {
		t.Fatal("no snapshot saved")
	}
	appendAll(t, store, story[cut:])
	store.yielded.Store(0)
	resumed := runUntil(t, store, snaps, uint64(len(story)))
	if got := store.yielded.Load(); got != int64(len(story)-cut) {
		t.Errorf("resumed runner read %d events, want the %d after the snapshot", got, len(story)-cut)
	}
	fresh := runUntil(t, &counting{Store: store.Store}, &memorySnapshots{}, uint64(len(story)))
	if string(resumed) != string(fresh) {
		t.Errorf("resumed report differs from a full replay:\n%s\n%s", resumed, fresh)
	}

	// Another store whose events differ: the snapshot must be ignored.
	other := &counting{Store: memstore.New()}
	appendAll(t, other, historytest.Generate(5, 8000).Events) // same shape, other event ids
	runUntil(t, other, snaps, uint64(len(story)))
	if got := other.yielded.Load(); got != int64(len(story)) {
		t.Errorf("runner on another history read %d events, want all %d (the snapshot is not its own)", got, len(story))
	}
}
