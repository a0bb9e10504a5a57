package keyring_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natstest"
)

func appendEvent(t *testing.T, s events.Store, stream string, expected uint64, p events.Payload) {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	env := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: p.EventType(), SchemaVersion: 1, Payload: data}
	if _, err := s.Append(context.Background(), stream, expected, []events.Envelope{env}); err != nil {
		t.Fatal(err)
	}
}

// TestReconcileFromHistory is the whole start-up path: the history records
// two erasures, one of which crashed before its key was destroyed, and
// Reconcile over ErasedStakeholders destroys that key and no other.
func TestReconcileFromHistory(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	registered := &stakeholder.Registered{Roles: []events.Role{"carer"}, RecruitmentChannel: "advert"}
	for _, id := range []string{alice, bob, carol} {
		appendEvent(t, store, stakeholder.Stream(id), 0, registered)
	}
	appendEvent(t, store, project.Stream(uuid.NewString()), 0, &project.Registered{Programme: "p", Name: "n", Aim: "a", Lead: "l"})
	appendEvent(t, store, stakeholder.Stream(alice), 1, &stakeholder.Erased{LegacyReason: "asked"})
	appendEvent(t, store, stakeholder.Stream(carol), 1, &stakeholder.Erased{LegacyReason: "asked"})

	var erased []string
	for id, err := range keyring.ErasedStakeholders(ctx, store) {
		if err != nil {
			t.Fatal(err)
		}
		erased = append(erased, id)
	}
	if want := []string{alice, carol}; !slices.Equal(erased, want) {
		t.Fatalf("ErasedStakeholders = %v, want %v", erased, want)
	}

	_, nc := natstest.RunJetStream(t)
	js, _ := jetstream.New(nc)
	k, err := keyring.New(ctx, js, newKEK(t))
	if err != nil {
		t.Fatal(err)
	}
	sealed := map[string]stakeholder.Sealed{}
	for _, id := range []string{alice, bob, carol} {
		if sealed[id], err = k.Seal(ctx, id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Destroy(ctx, carol); err != nil { // her erasure finished
		t.Fatal(err)
	}
	if n, err := k.Reconcile(ctx, keyring.ErasedStakeholders(ctx, store)); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want 1 (Alice's key), nil", n, err)
	}
	for id, want := range map[string]error{alice: keyring.ErrKeyDestroyed, bob: nil, carol: keyring.ErrKeyDestroyed} {
		if _, err := k.Open(ctx, id, sealed[id]); !errors.Is(err, want) {
			t.Errorf("Open(%s) after Reconcile error = %v, want %v", id, err, want)
		}
	}
}
