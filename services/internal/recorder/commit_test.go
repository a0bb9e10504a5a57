package recorder_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// A storm of concurrent writers through the group commit: some on their
// own stream, some sharing one, some with stale versions. Each append
// holds or conflicts on its own; afterwards recorded times rise along the
// global order and every hash chain verifies.
func TestConcurrentStormKeepsEveryGuarantee(t *testing.T) {
	for _, r := range reaches {
		t.Run(r.name, func(t *testing.T) { testConcurrentStorm(t, r) })
	}
}

func testConcurrentStorm(t *testing.T, r reach) {
	ctx := context.Background()
	_, nc := natstest.RunJetStream(t)
	store, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	svc, stop := start(t, nc, store, catalogue.New(), recorder.WithSeals(50, time.Hour), recorder.WithMetrics(reg, "jetstream"))
	client := r.of(nc, svc)

	const writers, appends = 32, 10
	shared := "project-" + uuid.NewString()
	var (
		mu       sync.Mutex
		problems []string
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for w := range writers {
		wg.Go(func() {
			own := "project-" + uuid.NewString()
			version := uint64(0)
			for i := range appends {
				n := 1 + i%2 // every other append is two events
				evs := make([]events.Envelope, n)
				for j := range evs {
					evs[j] = events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, OccurredAt: time.Now(), Actor: "storm", Payload: []byte(`{"summary":"storm"}`)}
				}
				switch {
				case w%4 == 3:
					// A stale version on its own stream: must conflict, and
					// nobody else's append with it.
					_, err := client.Append(ctx, own, version+5, evs)
					if !errors.Is(err, events.ErrWrongExpectedVersion) {
						fail("writer %d: stale append: %v, want a conflict", w, err)
					}
					if version == 0 {
						if _, err := client.Append(ctx, own, 0, evs); err != nil {
							fail("writer %d: first append: %v", w, err)
						}
						version = uint64(n)
					}
				case w%4 == 2:
					// All these share one stream, reading its version as they
					// go: conflicts are expected, anything else is not.
					for {
						v := uint64(0)
						for e, err := range store.ReadStream(ctx, shared, 1) {
							if err == nil {
								v = e.StreamVersion
							}
						}
						_, err := client.Append(ctx, shared, v, evs)
						if err == nil {
							break
						}
						if !errors.Is(err, events.ErrWrongExpectedVersion) {
							fail("writer %d: shared append: %v", w, err)
							break
						}
					}
				default:
					res, err := client.Append(ctx, own, version, evs)
					if err != nil {
						fail("writer %d: append %d: %v", w, i, err)
						return
					}
					version += uint64(n)
					if res.StreamVersion != version {
						fail("writer %d: append %d at version %d, want %d", w, i, res.StreamVersion, version)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Errorf("recorder Run: %v", err)
	}
	for _, p := range problems {
		t.Error(p)
	}

	v := hashchain.NewVerifier()
	var lastRecorded time.Time
	var lastAppend string
	count := 0
	perStream := map[string]int{}
	for e, err := range store.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Add(e); err != nil {
			t.Fatalf("the chains do not verify: %v", err)
		}
		// Events of one append share a recorded time; each append's is
		// later than the one before it in the log.
		thisAppend := e.Stream + "@" + e.RecordedAt.String()
		if e.RecordedAt.Before(lastRecorded) || e.RecordedAt.Equal(lastRecorded) && thisAppend != lastAppend {
			t.Fatalf("position %d recorded at %s, not after %s", e.Position, e.RecordedAt, lastRecorded)
		}
		lastRecorded, lastAppend = e.RecordedAt, thisAppend
		if e.Type != "LedgerSealed" {
			count++
		}
		perStream[e.Stream]++
	}
	// 16 writers each on their own stream and 8 on the shared one write
	// every append; the 8 stale ones write only their first.
	wantEvents := 0
	for i := range appends {
		wantEvents += 24 * (1 + i%2)
	}
	wantEvents += 8
	if count != wantEvents {
		t.Errorf("%d events stored, want %d: %v", count, wantEvents, perStream)
	}
	t.Logf("%d events and %d seals verified; %s", count, v.Result().Events-uint64(count), groupSizes(t, reg))
}

// groupSizes says how many groups the committer committed and their mean
// size (how much grouping the run saw depends on the scheduler, so it is
// reported, not asserted).
func groupSizes(t testing.TB, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "together_recorder_group_appends" {
			h := mf.GetMetric()[0].GetHistogram()
			return fmt.Sprintf("%d groups of %.2f appends on average", h.GetSampleCount(), h.GetSampleSum()/float64(h.GetSampleCount()))
		}
	}
	return "no group metric"
}
