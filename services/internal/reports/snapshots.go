package reports

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/projections/ledger"
)

// SnapshotBucket is the JetStream object store that keeps ledger
// snapshots. They are derived data: deleting the bucket only costs one
// full replay.
const SnapshotBucket = "TOGETHER_SNAPSHOTS"

// ErrSnapshotNotAuthentic is returned by [ObjectStoreSnapshots.Load] for
// a snapshot whose MAC does not verify: edited, written under another key,
// or by a version that did not sign snapshots. The runner then replays the
// whole history and saves a genuine snapshot on its next save.
var ErrSnapshotNotAuthentic = errors.New("snapshot is not authentic")

// snapshotMagic starts a signed snapshot: magic, HMAC-SHA256, then the
// ledger's own encoding.
var snapshotMagic = []byte("TSN1")

// MinSnapshotKeySize is the shortest MAC key [NewObjectStoreSnapshots]
// accepts.
const MinSnapshotKeySize = 32

// ObjectStoreSnapshots keeps the ledger snapshot in a JetStream object
// store, so that a reports service on any machine finds it. Reports are
// computed from the snapshot, so whoever can write the bucket could make
// them say anything; each snapshot therefore carries an HMAC-SHA256 under
// a key that is not in the store, and one that does not verify is refused.
// It is safe for concurrent use.
type ObjectStoreSnapshots struct {
	obs    jetstream.ObjectStore
	name   string
	macKey []byte
}

// NewObjectStoreSnapshots opens the snapshot bucket, creating it if there
// is none; an existing bucket is used as it is (the NATS users may not
// update streams).
// Snapshots are signed and checked with macKey, at least
// [MinSnapshotKeySize] bytes: the key-encryption key's subkey for the
// purpose (keyring's KEK.Derive(keyring.PurposeSnapshotMAC)).
func NewObjectStoreSnapshots(ctx context.Context, js jetstream.JetStream, macKey []byte, replicas int) (*ObjectStoreSnapshots, error) {
	if len(macKey) < MinSnapshotKeySize {
		return nil, fmt.Errorf("snapshot bucket: MAC key of %d bytes, want at least %d", len(macKey), MinSnapshotKeySize)
	}
	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "together: snapshots of the reports' ledger (derived data, signed)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		obs, err = js.ObjectStore(ctx, SnapshotBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot bucket: %w", err)
	}
	return &ObjectStoreSnapshots{
		obs:    obs,
		name:   ProjectionName + "-v" + strconv.Itoa(ledger.SnapshotVersion),
		macKey: append([]byte(nil), macKey...),
	}, nil
}

// mac signs data under the object's name too, so that a snapshot of one
// ledger version cannot pass for another.
func (s *ObjectStoreSnapshots) mac(data []byte) []byte {
	m := s.newMAC()
	m.Write(data)
	return m.Sum(nil)
}

// newMAC begins the MAC of a snapshot's data.
func (s *ObjectStoreSnapshots) newMAC() hash.Hash {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte("together ledger snapshot\x00" + s.name + "\x00"))
	return m
}

// Load implements [Snapshots]. A snapshot whose MAC does not verify is
// refused with [ErrSnapshotNotAuthentic].
func (s *ObjectStoreSnapshots) Load(ctx context.Context) ([]byte, error) {
	var data []byte
	err := s.stream(ctx, func(r io.Reader, size int) error {
		// A buffer of its size, made once: a buffer grown as it is read
		// would copy it over and over, and take up to three times its
		// size at once, more than the ledger it restores.
		data = make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("read the snapshot: %w", err)
		}
		return nil
	})
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

// LoadInto reads the latest snapshot into decode as it comes, so that it
// is never held whole beside what it decodes into (a hundred and more
// megabytes at a million events, at the peak of a restore). It reads the
// object twice: once to check its MAC, so that no byte of a snapshot
// that is not authentic is decoded, and once into decode, checking the
// MAC again, so that one replaced in between is refused too, whatever
// decode made of it. decode is given the length of the ledger's encoding
// and must read it to its end. found is false when there is no snapshot.
func (s *ObjectStoreSnapshots) LoadInto(ctx context.Context, decode func(r io.Reader, size int) error) (found bool, err error) {
	if err := s.stream(ctx, nil); errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	return true, s.stream(ctx, decode)
}

// stream reads the snapshot object through, giving the ledger's encoding
// to use (if not nil) as it checks its MAC, and fails if the MAC does not
// verify once the object has been read to its end: what use made of it
// is then not to be used. Load and both reads of LoadInto are this.
func (s *ObjectStoreSnapshots) stream(ctx context.Context, use func(r io.Reader, size int) error) error {
	res, err := s.obs.Get(ctx, s.name)
	if err != nil {
		return err
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return err
	}
	if info.Size > maxSnapshotSize {
		return fmt.Errorf("snapshot of %d bytes, more than the %d a snapshot may be", info.Size, uint64(maxSnapshotSize))
	}
	head := make([]byte, len(snapshotMagic)+sha256.Size)
	// An object whose stated size leaves nothing after the head would
	// give use a length below zero.
	if info.Size < uint64(len(head)) {
		return fmt.Errorf("%w: it is not signed", ErrSnapshotNotAuthentic)
	}
	if _, err := io.ReadFull(res, head); err != nil || !bytes.HasPrefix(head, snapshotMagic) {
		return fmt.Errorf("%w: it is not signed", ErrSnapshotNotAuthentic)
	}
	size := int64(info.Size) - int64(len(head))
	m := s.newMAC()
	data := io.TeeReader(io.LimitReader(res, size), m)
	if use != nil {
		if err := use(data, int(size)); err != nil {
			return err
		}
	}
	// Whatever use left is signed too.
	if _, err := io.Copy(io.Discard, data); err != nil {
		return fmt.Errorf("read the snapshot: %w", err)
	}
	// The object store checks the object's digest when it reaches the
	// end: read to it, and refuse an object longer than it said.
	switch n, err := res.Read(make([]byte, 1)); {
	case n > 0:
		return fmt.Errorf("read the snapshot: longer than its %d bytes", info.Size)
	case !errors.Is(err, io.EOF):
		return fmt.Errorf("read the snapshot: %w", err)
	}
	if !hmac.Equal(head[len(snapshotMagic):], m.Sum(nil)) {
		return fmt.Errorf("%w: its MAC does not verify (changed, or made under another key)", ErrSnapshotNotAuthentic)
	}
	return nil
}

// maxSnapshotSize bounds what Load allocates for a snapshot on the word of
// the object's own description.
const maxSnapshotSize = 16 << 30

// Save implements [Snapshots]. It puts the signature before the data as
// the object is written, rather than copy the data behind it.
func (s *ObjectStoreSnapshots) Save(ctx context.Context, data []byte) error {
	signed := io.MultiReader(bytes.NewReader(snapshotMagic), bytes.NewReader(s.mac(data)), bytes.NewReader(data))
	_, err := s.obs.Put(ctx, jetstream.ObjectMeta{Name: s.name}, signed)
	return err
}
