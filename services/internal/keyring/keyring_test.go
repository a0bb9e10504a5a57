package keyring_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natstest"
)

const (
	alice = "0199a1b2-0000-7000-8000-000000000001"
	bob   = "0199a1b2-0000-7000-8000-000000000002"
	carol = "0199a1b2-0000-7000-8000-000000000003"
)

func newKEK(t testing.TB) keyring.KEK {
	t.Helper()
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

// sealedKeys is a keyring on a fresh JetStream server with a value sealed
// under the key of each of some people.
type sealedKeys struct {
	k      *keyring.Keyring
	js     jetstream.JetStream
	kek    keyring.KEK
	sealed map[string]stakeholder.Sealed
}

func newSealedKeys(t testing.TB, ids ...string) sealedKeys {
	t.Helper()
	_, js := natstest.JetStream(t)
	ks := sealedKeys{js: js, kek: newKEK(t), sealed: map[string]stakeholder.Sealed{}}
	var err error
	if ks.k, err = keyring.New(context.Background(), js, ks.kek); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if ks.sealed[id], err = ks.k.Seal(context.Background(), id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	return ks
}

// server is an embedded nats-server on dir that a test can stop and start
// again, as a restart of together would.
type server struct {
	srv *embednats.Server
	js  jetstream.JetStream
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	srv, err := embednats.Start(embednats.Config{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := srv.Connect(t.Name())
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{srv: srv, js: js}
	t.Cleanup(func() { nc.Close(); s.stop() })
	return s
}

func (s *server) stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv = nil
	}
}

// messages returns every message of the key stream's subject for id.
func messages(t *testing.T, js jetstream.JetStream, id string) [][]byte {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, keyring.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject("keys."+id))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Data)
		seq = m.Sequence + 1
	}
}

func TestSealOpenDestroy(t *testing.T) {
	_, js := natstest.JetStream(t)
	ctx := context.Background()
	k, err := keyring.New(ctx, js, newKEK(t))
	if err != nil {
		t.Fatal(err)
	}
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
	for i, m := range messages(t, js, alice) {
		if string(m) != "destroyed" {
			t.Errorf("message %d of Alice's key still holds %d bytes", i, len(m))
		}
	}
}

func TestInvalidKeyIDs(t *testing.T) {
	_, js := natstest.JetStream(t)
	ctx := context.Background()
	k, err := keyring.New(ctx, js, newKEK(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "_kek", "a.b", "a*", "a>", "a b"} {
		t.Run(id, func(t *testing.T) {
			if _, err := k.Seal(ctx, id, []byte("x")); !errors.Is(err, keyring.ErrInvalidID) {
				t.Errorf("Seal(%q) error = %v, want ErrInvalidID", id, err)
			}
			if err := k.Destroy(ctx, id); !errors.Is(err, keyring.ErrInvalidID) {
				t.Errorf("Destroy(%q) error = %v, want ErrInvalidID", id, err)
			}
		})
	}
}

// TestCopiedDataDirOpensNothing is the backup thief: with a copy of the
// data directory but not the key file, no 32 bytes anywhere in it open
// anybody's sealed data, and the key stream refuses any other KEK. With
// the key file, everything opens again.
func TestCopiedDataDirOpensNothing(t *testing.T) {
	dir := t.TempDir()
	kek := newKEK(t)
	ctx := context.Background()
	s := startServer(t, dir)
	k, err := keyring.New(ctx, s.js, kek)
	if err != nil {
		t.Fatal(err)
	}
	sealed := map[string]stakeholder.Sealed{}
	for _, id := range []string{alice, bob, carol} {
		if sealed[id], err = k.Seal(ctx, id, []byte(`{"name":"somebody","contact":"07700 900123"}`)); err != nil {
			t.Fatal(err)
		}
	}
	s.stop()

	if id, where := keyInFiles(t, dir, sealed); id != "" {
		t.Fatalf("the key of %s is in the data directory at %s", id, where)
	}

	s = startServer(t, dir)
	if _, err := keyring.New(ctx, s.js, newKEK(t)); !errors.Is(err, keyring.ErrWrongKEK) {
		t.Errorf("New with another KEK error = %v, want ErrWrongKEK", err)
	}
	k, err = keyring.New(ctx, s.js, kek)
	if err != nil {
		t.Fatal(err)
	}
	for id, sl := range sealed {
		if _, err := k.Open(ctx, id, sl); err != nil {
			t.Errorf("Open(%s) with the key file = %v", id, err)
		}
	}
}

// keyInFiles tries every 32-byte window of every file under dir as the
// AES-256-GCM key of each sealed value, and returns the first person it
// opens and where the key was found.
func keyInFiles(t *testing.T, dir string, sealed map[string]stakeholder.Sealed) (string, string) {
	t.Helper()
	var id, where string
	windows := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || id != "" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for off := 0; off+32 <= len(data) && id == ""; off++ {
			windows++
			block, _ := aes.NewCipher(data[off : off+32])
			aead, _ := cipher.NewGCM(block)
			for who, s := range sealed {
				if _, err := aead.Open(nil, s.Nonce, s.Ciphertext, []byte(who)); err == nil {
					id, where = who, path
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if windows == 0 {
		t.Fatal("no file to search: the test looks in the wrong place")
	}
	return id, where
}

// TestMigratesPlaintextKeys opens a key stream as older versions kept it,
// keys in the clear, and checks that New wraps every key, overwrites the
// plaintext on disk, finishes a destruction the old version left half
// done, and that everything sealed before still opens.
func TestMigratesPlaintextKeys(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := startServer(t, dir)
	if _, err := s.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: keyring.DefaultStream, Subjects: []string{"keys.>"}, Storage: jetstream.FileStorage,
		MaxMsgsPerSubject: 2, Discard: jetstream.DiscardNew, DiscardNewPerSubject: true,
		MaxMsgs: -1, MaxBytes: -1, DenyPurge: true, AllowDirect: true,
	}); err != nil {
		t.Fatal(err)
	}
	plainKeys := map[string][]byte{}
	sealed := map[string]stakeholder.Sealed{}
	for _, id := range []string{alice, bob, carol} {
		key := make([]byte, 32)
		rand.Read(key)
		plainKeys[id] = key
		if _, err := s.js.Publish(ctx, "keys."+id, key); err != nil {
			t.Fatal(err)
		}
		block, _ := aes.NewCipher(key)
		aead, _ := cipher.NewGCM(block)
		nonce := make([]byte, 12)
		rand.Read(nonce)
		sealed[id] = stakeholder.Sealed{KeyID: id, Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, []byte("old "+id), []byte(id))}
	}
	// Carol was erased by the old version, which crashed after the
	// tombstone: her key is still on disk.
	if _, err := s.js.Publish(ctx, "keys."+carol, []byte("destroyed")); err != nil {
		t.Fatal(err)
	}

	kek := newKEK(t)
	k, err := keyring.New(ctx, s.js, kek)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{alice, bob} {
		if got, err := k.Open(ctx, id, sealed[id]); err != nil || string(got) != "old "+id {
			t.Errorf("Open(%s) after migration = %q, %v", id, got, err)
		}
		if msgs := messages(t, s.js, id); len(msgs) != 1 || len(msgs[0]) == 32 {
			t.Errorf("%s's key is %d messages of %v bytes, want one wrapped key", id, len(msgs), lens(msgs))
		}
	}
	if _, err := k.Open(ctx, carol, sealed[carol]); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("Open(carol) after migration error = %v, want ErrKeyDestroyed", err)
	}
	if msgs := messages(t, s.js, carol); len(msgs) != 1 || string(msgs[0]) != "destroyed" {
		t.Errorf("carol's key is %d messages of %v bytes, want the tombstone only", len(msgs), lens(msgs))
	}
	s.stop()
	if id, where := keyInFiles(t, dir, sealed); id != "" {
		t.Errorf("after migration the plaintext key of %s is still in %s", id, where)
	}
}

func lens(msgs [][]byte) []int {
	var n []int
	for _, m := range msgs {
		n = append(n, len(m))
	}
	return n
}

// TestDestroyInterrupted injects a crash between the tombstone and the
// overwrite: the key is unusable at once, and the next start (New)
// overwrites what the crash left.
func TestDestroyInterrupted(t *testing.T) {
	dir := t.TempDir()
	kek := newKEK(t)
	ctx := context.Background()
	s := startServer(t, dir)
	k, err := keyring.New(ctx, s.js, kek)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal(ctx, alice, []byte("alice"))
	if err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crash")
	keyring.SetAfterTombstone(k, func() error { return crash })
	if err := k.Destroy(ctx, alice); !errors.Is(err, crash) {
		t.Fatalf("Destroy error = %v, want the injected crash", err)
	}
	if _, err := k.Open(ctx, alice, sealed); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("Open after an interrupted Destroy error = %v, want ErrKeyDestroyed", err)
	}
	if msgs := messages(t, s.js, alice); len(msgs) != 2 {
		t.Fatalf("after the crash Alice's subject holds %d messages, want key and tombstone (the fault was not injected where meant)", len(msgs))
	}
	s.stop()

	s = startServer(t, dir)
	if _, err := keyring.New(ctx, s.js, kek); err != nil {
		t.Fatal(err)
	}
	if msgs := messages(t, s.js, alice); len(msgs) != 1 || string(msgs[0]) != "destroyed" {
		t.Errorf("after restart Alice's subject holds %d messages of %v bytes, want the tombstone only", len(msgs), lens(msgs))
	}
}

// TestReconcile is a crash between recording StakeholderErased and
// destroying the key: at the next start Reconcile, given the erased ids,
// destroys the key, and a second Reconcile finds nothing to do.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	ks := newSealedKeys(t, alice, bob, carol)
	js, kek, sealed := ks.js, ks.kek, ks.sealed
	if err := ks.k.Destroy(ctx, carol); err != nil { // erased properly
		t.Fatal(err)
	}
	erased := func(yield func(string, error) bool) {
		for _, id := range []string{alice, carol} {
			if !yield(id, nil) {
				return
			}
		}
	}
	k, err := keyring.New(ctx, js, kek) // the restart
	if err != nil {
		t.Fatal(err)
	}
	if n, err := k.Reconcile(ctx, erased); err != nil || n != 1 {
		t.Errorf("Reconcile = %d, %v; want 1 (Alice's key), nil", n, err)
	}
	if n, err := k.Reconcile(ctx, erased); err != nil || n != 0 {
		t.Errorf("second Reconcile = %d, %v; want 0, nil", n, err)
	}
	if _, err := k.Open(ctx, alice, sealed[alice]); !errors.Is(err, keyring.ErrKeyDestroyed) {
		t.Errorf("Open(alice) after Reconcile error = %v, want ErrKeyDestroyed", err)
	}
	if msgs := messages(t, js, alice); len(msgs) != 1 || string(msgs[0]) != "destroyed" {
		t.Errorf("Alice's subject holds %v bytes, want the tombstone only", lens(msgs))
	}
	if got, err := k.Open(ctx, bob, sealed[bob]); err != nil || string(got) != bob {
		t.Errorf("Open(bob) = %q, %v; Bob was not erased", got, err)
	}
	boom := errors.New("store unavailable")
	failing := func(yield func(string, error) bool) { yield("", boom) }
	if _, err := k.Reconcile(ctx, failing); !errors.Is(err, boom) {
		t.Errorf("Reconcile over a failing reader error = %v, want it passed on", err)
	}
}
