package ledger

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// Index maps ids to entities, persistently: setting an id gives a new
// index and leaves the old one as it was, sharing everything but the path
// to the entry set (a hash array mapped trie, 32 ways a level). That is
// what lets a published ledger be read while the next one is applied.
//
// Nodes made for the version being applied (its gen) are changed in
// place, so applying a batch of events copies each path once, not once an
// event.
type Index[V any] struct {
	root *node[V]
	len  int
	// seed is made with the first entry: the zero Index is empty and
	// ready to use.
	seed maphash.Seed
}

// levelBits is how many bits of the hash each level of the trie takes;
// below lastLevel the hash is spent, and the few keys that share all 64
// bits live together in a list.
const (
	levelBits = 5
	lastLevel = 64 / levelBits
)

type node[V any] struct {
	gen    uint64
	bitmap uint32
	slots  []slot[V]
}

// slot is an entry or, if sub is set, the node below. It keeps no hash:
// the rare split that needs an entry's hash computes it again, and the
// lookups, which are most of the work, read smaller nodes.
type slot[V any] struct {
	key string
	val V
	sub *node[V]
}

// Len returns how many ids the index holds.
func (x Index[V]) Len() int { return x.len }

// Get returns the entity with the id, or the zero V (nil, for the
// ledger's pointers) if there is none.
func (x Index[V]) Get(id string) V {
	v, _ := x.lookup(id)
	return v
}

func (x Index[V]) lookup(id string) (V, bool) {
	if x.root == nil {
		var zero V
		return zero, false
	}
	return x.root.get(maphash.String(x.seed, id), id)
}

func (n *node[V]) get(h uint64, id string) (V, bool) {
	var zero V
	for level := 0; n != nil; level++ {
		if level > lastLevel {
			for _, s := range n.slots {
				if s.key == id {
					return s.val, true
				}
			}
			return zero, false
		}
		bit := uint32(1) << (h >> (levelBits * level) & 31)
		if n.bitmap&bit == 0 {
			return zero, false
		}
		s := &n.slots[bits.OnesCount32(n.bitmap&(bit-1))]
		if s.sub != nil {
			n = s.sub
			continue
		}
		if s.key == id {
			return s.val, true
		}
		return zero, false
	}
	return zero, false
}

// set returns the index with id set to v; nodes of gen are changed in
// place, older ones copied.
func (x Index[V]) set(gen uint64, id string, v V) Index[V] {
	root := x.root
	if root == nil {
		root = &node[V]{gen: gen}
		if x.seed == (maphash.Seed{}) {
			x.seed = maphash.MakeSeed()
		}
	}
	hash := func(id string) uint64 { return maphash.String(x.seed, id) }
	root, added := root.set(hash, gen, 0, hash(id), id, v)
	x.root = root
	if added {
		x.len++
	}
	return x
}

func (n *node[V]) owned(gen uint64) *node[V] {
	if n.gen == gen {
		return n
	}
	return &node[V]{gen: gen, bitmap: n.bitmap, slots: slices.Clone(n.slots)}
}

func (n *node[V]) set(hash func(string) uint64, gen uint64, level int, h uint64, key string, v V) (*node[V], bool) {
	m := n.owned(gen)
	if level > lastLevel {
		for i := range m.slots {
			if m.slots[i].key == key {
				m.slots[i].val = v
				return m, false
			}
		}
		m.slots = append(m.slots, slot[V]{key: key, val: v})
		return m, true
	}
	bit := uint32(1) << (h >> (levelBits * level) & 31)
	i := bits.OnesCount32(m.bitmap & (bit - 1))
	if m.bitmap&bit == 0 {
		m.bitmap |= bit
		m.slots = slices.Insert(m.slots, i, slot[V]{key: key, val: v})
		return m, true
	}
	s := &m.slots[i]
	switch {
	case s.sub != nil:
		sub, added := s.sub.set(hash, gen, level+1, h, key, v)
		s.sub = sub
		return m, added
	case s.key == key:
		s.val = v
		return m, false
	}
	// Two keys meet in one slot: a node below holds both.
	sub := &node[V]{gen: gen}
	sub, _ = sub.set(hash, gen, level+1, hash(s.key), s.key, s.val)
	sub, _ = sub.set(hash, gen, level+1, h, key, v)
	*s = slot[V]{sub: sub}
	return m, true
}

// All yields every id and entity, in no particular order.
func (x Index[V]) All(yield func(string, V) bool) {
	var walk func(n *node[V]) bool
	walk = func(n *node[V]) bool {
		for _, s := range n.slots {
			if s.sub != nil {
				if !walk(s.sub) {
					return false
				}
			} else if !yield(s.key, s.val) {
				return false
			}
		}
		return true
	}
	if x.root != nil {
		walk(x.root)
	}
}
