package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream buckets every together process shares.
const (
	// StateBucket keeps API tokens, accounts and the directory of
	// identities. It keeps every key until deleted.
	StateBucket = "TOGETHER_AUTH"
	// SessionBucket keeps browser sessions, sign-in throttles and the
	// state of OpenID Connect logins in flight. Each entry expires on its
	// own a while after its last write, so abandoned sessions do not pile
	// up; the expiry that counts is checked when a session is used.
	SessionBucket = "TOGETHER_SESSIONS"
)

// JetStreamKV is a [KV] on a JetStream key/value bucket with file storage,
// shared by every process connected to the same NATS.
type JetStreamKV struct {
	kv jetstream.KeyValue
	nc *nats.Conn
}

var (
	_ KV      = (*JetStreamKV)(nil)
	_ Watcher = (*JetStreamKV)(nil)
)

// NewJetStreamKV opens the bucket, creating it if needed, with replicas
// copies (3 on a cluster) and, if ttl > 0, entries that expire ttl after
// their last write. An existing bucket is used as it is, never updated
// (the NATS users of together may not update streams), provided its
// entries expire as asked: another replica count, say, is kept.
func NewJetStreamKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, ttl time.Duration) (*JetStreamKV, error) {
	if replicas < 1 {
		replicas = 1
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "together: identities (tokens, accounts, sessions)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		TTL:         ttl,
		History:     1,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		if kv, err = js.KeyValue(ctx, bucket); err == nil {
			err = checkBucket(ctx, kv, ttl)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("auth bucket %s: %w", bucket, err)
	}
	return &JetStreamKV{kv: kv, nc: js.Conn()}, nil
}

// checkBucket accepts an existing bucket whose entries live as long as
// this package relies on: sessions must not vanish before their lifetime
// ends, tokens and accounts never, and none of them with a restart.
func checkBucket(ctx context.Context, kv jetstream.KeyValue, ttl time.Duration) error {
	st, err := kv.Status(ctx)
	if err != nil {
		return err
	}
	if st.TTL() != ttl {
		return fmt.Errorf("it exists with entries expiring after %s, want %s; back it up, delete it and restore its entries", st.TTL(), ttl)
	}
	if js, ok := st.(*jetstream.KeyValueBucketStatus); ok && js.StreamInfo().Config.Storage != jetstream.FileStorage {
		return errors.New("it exists in memory only; back it up, delete it and restore its entries")
	}
	return nil
}

// Stores are the two buckets a [Service] needs.
type Stores struct {
	// State holds tokens, accounts and the directory.
	State KV
	// Sessions holds browser sessions and other short-lived state.
	Sessions KV
}

// sessionBucketTTL bounds how long an entry of [SessionBucket] outlives
// its last write. It must exceed the longest session lifetime.
const sessionBucketTTL = 48 * time.Hour

// JetStreamStores opens (creating if needed) [StateBucket] and
// [SessionBucket] with the given number of replicas.
func JetStreamStores(ctx context.Context, js jetstream.JetStream, replicas int) (Stores, error) {
	state, err := NewJetStreamKV(ctx, js, StateBucket, replicas, 0)
	if err != nil {
		return Stores{}, err
	}
	sessions, err := NewJetStreamKV(ctx, js, SessionBucket, replicas, sessionBucketTTL)
	if err != nil {
		return Stores{}, err
	}
	return Stores{State: state, Sessions: sessions}, nil
}

// MemoryStores returns Stores in memory, for tests.
func MemoryStores() Stores {
	return Stores{State: NewMemoryKV(), Sessions: NewMemoryKV()}
}

// Get implements [KV].
func (j *JetStreamKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := j.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return e.Value(), e.Revision(), nil
}

// Create implements [KV].
func (j *JetStreamKV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := j.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, ErrExists
	}
	return rev, err
}

// Update implements [KV].
func (j *JetStreamKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := j.kv.Update(ctx, key, value, revision)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		// The key changed, or was deleted (its tombstone has a newer revision).
		if _, _, gerr := j.Get(ctx, key); errors.Is(gerr, ErrNotFound) {
			return 0, ErrNotFound
		}
		return 0, ErrConflict
	}
	return rev, err
}

// Delete implements [KV].
func (j *JetStreamKV) Delete(ctx context.Context, key string) error {
	err := j.kv.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

// Watch implements [Watcher] with an ordered consumer of the keys' subjects
// that delivers only what is stored after it was made, headers only. The
// watch breaks when the connection to NATS does: a change made through
// another server meanwhile would reach this one only later.
func (j *JetStreamKV) Watch(ctx context.Context, prefix string, began func(), changed func(key string)) error {
	status := j.nc.StatusChanged(nats.DISCONNECTED, nats.RECONNECTING, nats.CLOSED)
	defer j.nc.RemoveStatusListener(status)
	if !j.nc.IsConnected() {
		return fmt.Errorf("auth bucket: not connected to NATS (%s)", j.nc.Status())
	}
	w, err := j.kv.Watch(ctx, prefix+">", jetstream.UpdatesOnly(), jetstream.MetaOnly())
	if err != nil {
		return fmt.Errorf("auth bucket: watch %s: %w", prefix, err)
	}
	defer func() { _ = w.Stop() }()
	began()
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("auth bucket: the watch ended")
			}
			if e != nil {
				changed(e.Key())
			}
		case st := <-status:
			return fmt.Errorf("auth bucket: the connection to NATS is %s", st)
		case <-ctx.Done():
			return nil
		}
	}
}

// List implements [KV].
func (j *JetStreamKV) List(ctx context.Context, prefix string) ([][]byte, error) {
	w, err := j.kv.Watch(ctx, prefix+">", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.Stop() }()
	type kv struct {
		key   string
		value []byte
	}
	var got []kv
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("auth bucket: watcher closed")
			}
			if e == nil { // every current value has been sent
				slices.SortFunc(got, func(a, b kv) int { return strings.Compare(a.key, b.key) })
				out := make([][]byte, len(got))
				for i, g := range got {
					out[i] = g.value
				}
				return out, nil
			}
			got = append(got, kv{e.Key(), e.Value()})
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
