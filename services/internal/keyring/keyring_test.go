package keyring_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natstest"
)

func TestSealOpenDestroy(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	k, err := keyring.New(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	const alice, bob = "0199a1b2-0000-7000-8000-000000000001", "0199a1b2-0000-7000-8000-000000000002"
	sealed, err := k.Seal(ctx, alice, []byte(`{"name":"Alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(ctx, alice, sealed); err != nil || string(got) != `{"name":"Alice"}` {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(ctx, bob, sealed); err == nil {
		t.Error("Open of Alice's data as Bob succeeded, want an error")
	}
	bobSealed, _ := k.Seal(ctx, bob, []byte("bob"))

	for range 2 { // destroying twice is harmless
		if err := k.Destroy(ctx, alice); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
	}
	if _, err := k.Open(ctx, alice, sealed); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("Open after Destroy error = %v, want ErrKeyDestroyed", err)
	}
	if _, err := k.Seal(ctx, alice, []byte("again")); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("Seal after Destroy error = %v, want ErrKeyDestroyed", err)
	}
	if got, err := k.Open(ctx, bob, bobSealed); err != nil || string(got) != "bob" {
		t.Errorf("Bob's data after Alice's erasure = %q, %v", got, err)
	}
	// No copy of the key is left in the stream.
	st, _ := js.Stream(ctx, keyring.DefaultStream)
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject("keys."+alice))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != "destroyed" {
			t.Errorf("sequence %d still holds %d bytes of key", m.Sequence, len(m.Data))
		}
		seq = m.Sequence + 1
	}
}
