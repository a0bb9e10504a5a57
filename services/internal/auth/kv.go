package auth

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
)

// KV is the little a key/value bucket must do for this package: read,
// create and compare-and-set one key, and list the keys under a prefix.
// Keys use only letters, digits and "._-". Methods are safe for
// concurrent use. [JetStreamKV] is the shared implementation; [MemoryKV]
// serves tests and one-process tools.
type KV interface {
	// Get returns a key's value and revision; ErrNotFound if it has none.
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	// Create sets a key that has no value; ErrExists if it has one.
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	// Update sets a key whose current revision is revision; ErrConflict if
	// it changed since, ErrNotFound if it has no value.
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	// Delete removes a key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the values of every key starting with prefix, in key
	// order. prefix ends with ".".
	List(ctx context.Context, prefix string) ([][]byte, error)
}

// A Watcher is a [KV] that reports the changes to its keys, whichever
// process makes them. [JetStreamKV] and [MemoryKV] are Watchers.
type Watcher interface {
	// Watch calls began once every change to a key under prefix (which
	// ends with ".") made from then on will be reported, then changed
	// with the key of each such change as it is reported, until ctx ends
	// (nil) or the watch breaks (an error); after an error, changes may
	// go unreported. A change may go unreported if a later change of the
	// same key is (a bucket that keeps one value a key drops the value
	// overwritten before the watch read it): the last change of every key
	// is always reported.
	Watch(ctx context.Context, prefix string, began func(), changed func(key string)) error
}

// Errors of a [KV].
var (
	// ErrNotFound is returned when a key, token, user or session does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrExists is returned when creating something that already exists.
	ErrExists = errors.New("already exists")
	// ErrConflict is returned when a record changed between read and write.
	ErrConflict = errors.New("changed concurrently")
)

// MemoryKV is a [KV] in a map, for tests and for a process that shares
// its identities with no other.
type MemoryKV struct {
	mu        sync.Mutex
	seq       uint64
	data      map[string]memEntry
	watches   map[int]memWatch
	nextWatch int
}

// memWatch is a [MemoryKV.Watch] under way: every change is reported to
// it as it is made.
type memWatch struct {
	prefix  string
	changed func(key string)
}

type memEntry struct {
	value []byte
	rev   uint64
}

var (
	_ KV      = (*MemoryKV)(nil)
	_ Watcher = (*MemoryKV)(nil)
)

// NewMemoryKV returns an empty MemoryKV.
func NewMemoryKV() *MemoryKV { return &MemoryKV{data: map[string]memEntry{}} }

// Get implements [KV].
func (m *MemoryKV) Get(_ context.Context, key string) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[key]
	if !ok {
		return nil, 0, ErrNotFound
	}
	return slices.Clone(e.value), e.rev, nil
}

// Create implements [KV].
func (m *MemoryKV) Create(_ context.Context, key string, value []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[key]; ok {
		return 0, ErrExists
	}
	m.seq++
	m.data[key] = memEntry{slices.Clone(value), m.seq}
	m.report(key)
	return m.seq, nil
}

// Update implements [KV].
func (m *MemoryKV) Update(_ context.Context, key string, value []byte, revision uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[key]
	switch {
	case !ok:
		return 0, ErrNotFound
	case e.rev != revision:
		return 0, ErrConflict
	}
	m.seq++
	m.data[key] = memEntry{slices.Clone(value), m.seq}
	m.report(key)
	return m.seq, nil
}

// Delete implements [KV].
func (m *MemoryKV) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[key]; ok {
		delete(m.data, key)
		m.report(key)
	}
	return nil
}

// report tells every watch of key's prefix that key changed, before the
// change is acknowledged: in one process a watch misses nothing and lags
// nothing. m.mu is held.
func (m *MemoryKV) report(key string) {
	for _, w := range m.watches {
		if strings.HasPrefix(key, w.prefix) {
			w.changed(key)
		}
	}
}

// Watch implements [Watcher]. changed is called as each change is made,
// with the bucket locked: it must not use the bucket.
func (m *MemoryKV) Watch(ctx context.Context, prefix string, began func(), changed func(key string)) error {
	m.mu.Lock()
	if m.watches == nil {
		m.watches = map[int]memWatch{}
	}
	id := m.nextWatch
	m.nextWatch++
	m.watches[id] = memWatch{prefix: prefix, changed: changed}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.watches, id)
		m.mu.Unlock()
	}()
	began()
	<-ctx.Done()
	return nil
}

// List implements [KV].
func (m *MemoryKV) List(_ context.Context, prefix string) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][]byte
	for _, k := range slices.Sorted(maps.Keys(m.data)) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, slices.Clone(m.data[k].value))
		}
	}
	return out, nil
}
