package recorder_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/recorder"
)

// TestReadAllOfSendsOnlyThoseTypes reads the few events of one type from
// a history longer than one page looks at: every one of them comes, in
// order, once, and nothing else, from any start; from a store that skims
// (decodes only what may be of the types) as from one that does not.
func TestReadAllOfSendsOnlyThoseTypes(t *testing.T) {
	for _, skims := range []bool{false, true} {
		t.Run(fmt.Sprintf("skims=%v", skims), func(t *testing.T) {
			testReadAllOf(t, skims)
		})
	}
}

// skimming is a store that skims, as the JetStream store does: every
// event not of the types asked for is yielded as its position alone.
type skimming struct{ events.Store }

func (s skimming) Skim(ctx context.Context, after uint64, types []string) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range s.ReadAll(ctx, after) {
			if err == nil && !slices.Contains(types, e.Type) {
				e = events.Envelope{Position: e.Position}
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

func testReadAllOf(t *testing.T, skims bool) {
	ctx := context.Background()
	var store events.Store = memstore.New()
	if skims {
		store = skimming{store}
	}
	const total, every = 120_000, 7_001
	var want []uint64
	for s := 0; s*100 < total; s++ {
		evs := make([]events.Envelope, 100)
		for i := range evs {
			typ := "ProjectClosed"
			if pos := uint64(s*100 + i + 1); pos%every == 0 {
				typ = "StakeholderErased"
				want = append(want, pos)
			}
			evs[i] = events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1, Payload: []byte(`{}`)}
		}
		if _, err := store.Append(ctx, fmt.Sprintf("project-%d", s), 0, evs); err != nil {
			t.Fatal(err)
		}
	}
	_, nc := natstest.RunJetStream(t)
	stop := run(t, nc, store, suiteRegistry(), recorder.WithSeals(0, 0))
	t.Cleanup(func() { _ = stop() })
	client := recorder.NewClient(nc, 30*time.Second)

	for _, after := range []uint64{0, want[3], want[3] + 1, total} {
		var got []uint64
		for e, err := range client.ReadAllOf(ctx, after, "StakeholderErased") {
			if err != nil {
				t.Fatal(err)
			}
			if e.Type != "StakeholderErased" {
				t.Fatalf("ReadAllOf(%d) yielded a %s at %d", after, e.Type, e.Position)
			}
			got = append(got, e.Position)
		}
		i, _ := slices.BinarySearch(want, after+1)
		if !slices.Equal(got, want[i:]) {
			t.Errorf("ReadAllOf(%d) = %v, want %v", after, got, want[i:])
		}
	}
	// An empty type would match what a skimming store yields of the rest.
	for e, err := range client.ReadAllOf(ctx, 0, "StakeholderErased", "") {
		if err == nil {
			t.Fatalf("ReadAllOf with an empty type yielded a %q at %d, want it refused", e.Type, e.Position)
		}
		break
	}
}
