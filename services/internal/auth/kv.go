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
	mu   sync.Mutex
	seq  uint64
	data map[string]memEntry
}

type memEntry struct {
	value []byte
	rev   uint64
}

var _ KV = (*MemoryKV)(nil)

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
	return m.seq, nil
}

// Delete implements [KV].
func (m *MemoryKV) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
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
