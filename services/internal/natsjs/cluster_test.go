package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/storetest"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// TestConformanceOnCluster runs the store suite on a three-node cluster
// with three replicas, where JetStream answers conflicts with 10164 and
// retries with duplicates rather than as a single server does.
func TestConformanceOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := natstest.RunCluster(t, 3)
	nc := c.Connect(t)
	n := 0
	storetest.Run(t, func(t *testing.T) events.Store {
		n++
		// Making an R3 stream elects its leader; on two cores shared with
		// the other packages' tests under the race detector, that once took
		// longer than 30 s.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		s, err := natsjs.New(ctx, nc, natsjs.WithReplicas(3), natsjs.WithStreamName(fmt.Sprintf("EVENTS_%d", n)), natsjs.WithSubjectPrefix(fmt.Sprintf("ev%d", n)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, storetest.Sequential()) // one cluster on two cores: R3 streams made all at once time out
}

// TestClusterLosesNodeUnderLoad writes through the recorder onto a
// three-node cluster with R3 from several writers, stops one node in the
// middle of it, and requires every acknowledged event to be readable
// afterwards, in order, exactly once.
func TestClusterLosesNodeUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := natstest.RunCluster(t, 3)
	storeConn, svcConn := c.Connect(t), c.Connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := natsjs.New(ctx, storeConn, natsjs.WithReplicas(3))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recorder.New(storeConn, store, catalogue.New(), recorder.WithLogger(zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)), recorder.WithSeals(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	recDone := make(chan error, 1)
	go func() { recDone <- rec.Run(ctx) }()
	select {
	case <-rec.Ready():
	case err := <-recDone:
		t.Fatalf("recorder stopped: %v", err)
	}
	client := recorder.NewClient(svcConn, 10*time.Second)

	var acked sync.Map // event id → stream version
	var count atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			stream := project.Stream(uuid.NewString())
			version := uint64(0)
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := uuid.Must(uuid.NewV7())
				e := events.Envelope{ID: id, Type: project.TypeClosed, SchemaVersion: 1, OccurredAt: time.Now(), Actor: fmt.Sprint("writer-", w),
					Payload: []byte(`{"summary":"load"}`)}
				actx, acancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := client.Append(actx, stream, version, []events.Envelope{e})
				acancel()
				switch {
				case err == nil:
					version++
					acked.Store(id, stream)
					count.Add(1)
				case errors.Is(err, events.ErrWrongExpectedVersion):
					// A retried append raced itself; reload the version.
					v, _ := streamVersion(ctx, store, stream)
					version = v
				default:
					time.Sleep(20 * time.Millisecond) // the cluster is electing; try again
				}
			}
		})
	}
	waitFor(t, func() bool { return count.Load() >= 60 })
	// Stop node 1 mid-run, whatever its role: stream leader, meta leader
	// or follower. Writers carry on against the other two.
	c.Servers[0].Shutdown()
	before := count.Load()
	waitFor(t, func() bool { return count.Load() >= before+60 })
	close(stop)
	wg.Wait()
	cancel()
	<-recDone

	seen := map[uuid.UUID]bool{}
	var last uint64
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	for e, err := range store.ReadAll(rctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Position <= last || seen[e.ID] {
			t.Fatalf("event %s at %d out of order or repeated (after %d)", e.ID, e.Position, last)
		}
		seen[e.ID], last = true, e.Position
	}
	missing := 0
	acked.Range(func(k, _ any) bool {
		if !seen[k.(uuid.UUID)] {
			missing++
		}
		return true
	})
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events missing after a node stopped", missing, count.Load())
	}
	t.Logf("%d acknowledged events, all read back in order, %d before node 1 stopped", count.Load(), before)
}

func streamVersion(ctx context.Context, s *natsjs.Store, stream string) (uint64, error) {
	var v uint64
	for e, err := range s.ReadStream(ctx, stream, 1) {
		if err != nil {
			return v, err
		}
		v = e.StreamVersion
	}
	return v, nil
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for writes")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
