package recorder_test

import (
	"context"
	"fmt"
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
// order, once, and nothing else, from any start.
func TestReadAllOfSendsOnlyThoseTypes(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
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
}
