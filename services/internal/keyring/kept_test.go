package keyring_test

import (
	"context"
	"maps"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/keyring"
)

// countingKept is a Kept whose parse counts what it is given: what the
// keys had to open.
type countingKept struct {
	*keyring.Kept[string]
	parsed []string
}

func newCountingKept(k *keyring.Keyring) *countingKept {
	c := &countingKept{}
	c.Kept = keyring.NewKept(k, func(plain []byte) (string, bool) {
		c.parsed = append(c.parsed, string(plain))
		return string(plain), true
	})
	return c
}

// open asks for sealed and checks the answer against want, and that the
// keys opened exactly opened (each value is sealed under its own id).
func (c *countingKept) open(t *testing.T, sealed map[string]stakeholder.Sealed, want, opened []string) {
	t.Helper()
	c.parsed = nil
	got, err := c.OpenMany(context.Background(), sealed)
	if err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Errorf("answered for %v, want %v", keys, want)
	}
	for id, v := range got {
		if v != id {
			t.Errorf("%s: %q, want the value sealed under its key", id, v)
		}
	}
	if slices.Sort(c.parsed); !slices.Equal(c.parsed, opened) {
		t.Errorf("opened %v, want %v", c.parsed, opened)
	}
}

// TestKeptOpensOnlyWhatIsNew: asked again, Kept answers what OpenMany
// answers without opening anything; a new declaration is opened afresh,
// and a new key elsewhere in the stream forgets nothing.
func TestKeptOpensOnlyWhatIsNew(t *testing.T) {
	ks := newSealedKeys(t, alice, bob)
	ctx := context.Background()
	c := newCountingKept(ks.k)
	asked := maps.Clone(ks.sealed)
	asked[bob] = ks.sealed[alice] // sealed under another person's key
	c.open(t, asked, []string{alice}, []string{alice})
	c.open(t, ks.sealed, []string{alice, bob}, []string{bob})
	c.open(t, ks.sealed, []string{alice, bob}, nil)

	again, err := ks.k.Seal(ctx, alice, []byte(alice))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.k.Seal(ctx, carol, []byte(carol)); err != nil {
		t.Fatal(err)
	}
	c.open(t, map[string]stakeholder.Sealed{alice: again, bob: ks.sealed[bob]}, []string{alice, bob}, []string{alice})
}

// TestKeptForgetsADestroyedKey: once a key is destroyed, by this keyring
// or another process's on the same stream, what was opened under it is
// no longer answered, even far behind many other keys made since.
func TestKeptForgetsADestroyedKey(t *testing.T) {
	many := manyIDs(1506)[3:] // after alice, bob and carol
	ids := many[:3]
	ks := newSealedKeys(t, slices.Concat(ids, []string{alice, bob})...)
	ctx := context.Background()
	c := newCountingKept(ks.k)
	all := slices.Sorted(maps.Keys(ks.sealed))
	c.open(t, ks.sealed, all, all)

	if err := ks.k.Destroy(ctx, alice); err != nil {
		t.Fatal(err)
	}
	for _, id := range many[3:] { // more than one page of the stream
		if _, err := ks.k.Seal(ctx, id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	other, err := keyring.New(ctx, ks.js, ks.kek)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Destroy(ctx, bob); err != nil {
		t.Fatal(err)
	}
	c.open(t, ks.sealed, ids, nil)
}

// TestKeptRevisionMovesWhenWhatWasOpenedIsForgotten: the revision moves
// when a key whose value was opened is destroyed, and not when a key is
// made, data sealed, a value opened, or a key never opened destroyed.
func TestKeptRevisionMovesWhenWhatWasOpenedIsForgotten(t *testing.T) {
	ks := newSealedKeys(t, alice, bob)
	ctx := context.Background()
	c := newCountingKept(ks.k)
	revision := func() uint64 {
		t.Helper()
		r, err := c.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	steps := []struct {
		name string
		do   func() error
		move bool
	}{
		{"open", func() error { _, err := c.OpenMany(ctx, ks.sealed); return err }, false},
		{"seal under a key that exists", func() error { _, err := ks.k.Seal(ctx, alice, []byte("again")); return err }, false},
		{"a new person's key", func() error { _, err := ks.k.Seal(ctx, carol, []byte(carol)); return err }, false},
		{"destroy a key never opened", func() error { return ks.k.Destroy(ctx, carol) }, false},
		{"destroy a key opened", func() error { return ks.k.Destroy(ctx, alice) }, true},
		{"destroy it again", func() error { return ks.k.Destroy(ctx, alice) }, false},
	}
	for _, s := range steps {
		before := revision()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if after := revision(); (after != before) != s.move || after < before {
			t.Errorf("%s: revision %d → %d, want it to move: %v", s.name, before, after, s.move)
		}
	}
}

// TestKeptCallsAtOnceShareARead: calls that came while another read the
// key stream read it once more between them, not once each, and that
// read sees the keys destroyed before they came; a call that comes after
// a read began reads again.
func TestKeptCallsAtOnceShareARead(t *testing.T) {
	ks := newSealedKeys(t, alice, bob)
	ctx := context.Background()
	c := newCountingKept(ks.k)
	if _, err := c.Revision(ctx); err != nil {
		t.Fatal(err)
	}
	c.open(t, ks.sealed, []string{alice, bob}, []string{alice, bob})
	if _, reads := keyring.KeptCalls(c.Kept); reads != 2 {
		t.Fatalf("two calls one after the other read the key stream %d times, want 2", reads)
	}
	if err := ks.k.Destroy(ctx, alice); err != nil {
		t.Fatal(err)
	}

	const waiting = 8
	release := keyring.HoldKept(c.Kept)
	var wg sync.WaitGroup
	for range waiting {
		wg.Go(func() {
			got, err := c.OpenMany(ctx, ks.sealed)
			if keys := slices.Sorted(maps.Keys(got)); err != nil || !slices.Equal(keys, []string{bob}) {
				t.Errorf("answered for %v (%v), want bob's alone", keys, err)
			}
		})
	}
	for calls, _ := keyring.KeptCalls(c.Kept); calls < 2+waiting; calls, _ = keyring.KeptCalls(c.Kept) {
		runtime.Gosched()
	}
	release()
	wg.Wait()
	if _, reads := keyring.KeptCalls(c.Kept); reads != 3 {
		t.Errorf("%d calls waiting at once read the key stream %d times, want once", waiting, reads-2)
	}
}

// TestKeptForgetsAllOfAStreamMadeAgain: a key stream deleted and made
// again, as a restore from a backup does, answers nothing for the keys
// the old one held, though as many keys are written to the new one. The
// embedded server lets nobody delete a stream, so this runs on a bare
// one, as an operator's may be.
func TestKeptForgetsAllOfAStreamMadeAgain(t *testing.T) {
	js := bareJetStream(t)
	ctx := context.Background()
	kek := newKEK(t)
	k, err := keyring.New(ctx, js, kek)
	if err != nil {
		t.Fatal(err)
	}
	sealed := map[string]stakeholder.Sealed{}
	for _, id := range []string{alice, bob} {
		if sealed[id], err = k.Seal(ctx, id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	c := newCountingKept(k)
	c.open(t, sealed, []string{alice, bob}, []string{alice, bob})

	if err := js.DeleteStream(ctx, keyring.DefaultStream); err != nil {
		t.Fatal(err)
	}
	// The deleted stream's files leave the disk in the background; until
	// they have, making it again may fail.
	var again *keyring.Keyring
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if again, err = keyring.New(ctx, js, kek); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	for _, id := range []string{carol, bob} {
		if _, err := again.Seal(ctx, id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	c.open(t, sealed, nil, nil)
}

// bareJetStream returns JetStream on an in-process nats-server with no
// users and no limits on what a client may do.
func bareJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
