package reports

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
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
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte("together ledger snapshot\x00" + s.name + "\x00"))
	m.Write(data)
	return m.Sum(nil)
}

// Load implements [Snapshots]. A snapshot whose MAC does not verify is
// refused with [ErrSnapshotNotAuthentic].
func (s *ObjectStoreSnapshots) Load(ctx context.Context) ([]byte, error) {
	signed, err := s.read(ctx)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	head := len(snapshotMagic) + sha256.Size
	if len(signed) < head || !bytes.HasPrefix(signed, snapshotMagic) {
		return nil, fmt.Errorf("%w: it is not signed", ErrSnapshotNotAuthentic)
	}
	data := signed[head:]
	if !hmac.Equal(signed[len(snapshotMagic):head], s.mac(data)) {
		return nil, fmt.Errorf("%w: its MAC does not verify (changed, or made under another key)", ErrSnapshotNotAuthentic)
	}
	return data, nil
}

// read reads the snapshot object into a buffer of its size, made once: a
// buffer grown as it is read would copy it over and over, and take up to
// three times its size at once, more than the ledger it restores (a
// hundred and more megabytes at a million events).
func (s *ObjectStoreSnapshots) read(ctx context.Context) ([]byte, error) {
	res, err := s.obs.Get(ctx, s.name)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return nil, err
	}
	if info.Size > maxSnapshotSize {
		return nil, fmt.Errorf("snapshot of %d bytes, more than the %d a snapshot may be", info.Size, uint64(maxSnapshotSize))
	}
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(res, data); err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	// The object store checks the object's digest when it reaches the
	// end: read to it, and refuse an object longer than it said.
	switch n, err := res.Read(make([]byte, 1)); {
	case n > 0:
		return nil, fmt.Errorf("read the snapshot: longer than its %d bytes", info.Size)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	return data, nil
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
