package reports

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/projections/ledger"
)

// SnapshotBucket is the JetStream object store that keeps ledger
// snapshots. They are derived data: deleting the bucket only costs one
// full replay.
const SnapshotBucket = "TOGETHER_SNAPSHOTS"

// ObjectStoreSnapshots keeps the ledger snapshot in a JetStream object
// store, so that a reports service on any machine finds it.
type ObjectStoreSnapshots struct {
	obs jetstream.ObjectStore
	key string
}

// NewObjectStoreSnapshots opens the snapshot bucket, creating it if there
// is none. An existing bucket is used as it is: the NATS users may not
// update streams.
func NewObjectStoreSnapshots(ctx context.Context, js jetstream.JetStream, replicas int) (*ObjectStoreSnapshots, error) {
	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "together: snapshots of the reports' ledger (derived data)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		obs, err = js.ObjectStore(ctx, SnapshotBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot bucket: %w", err)
	}
	return &ObjectStoreSnapshots{obs: obs, key: ProjectionName + "-v" + strconv.Itoa(ledger.SnapshotVersion)}, nil
}

// Load implements [Snapshots].
func (s *ObjectStoreSnapshots) Load(ctx context.Context) ([]byte, error) {
	data, err := s.obs.GetBytes(ctx, s.key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	return data, err
}

// Save implements [Snapshots].
func (s *ObjectStoreSnapshots) Save(ctx context.Context, data []byte) error {
	_, err := s.obs.PutBytes(ctx, s.key, data)
	return err
}
