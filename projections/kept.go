package projections

import (
	"cmp"
	"sync"

	"github.com/together-coop/together/projections/ledger"
)

// Kept keeps values computed for a revision of their scope, each under
// its key until a value of a newer revision replaces it, and computes
// each key and revision once however many ask for it at the same time. It
// is safe for concurrent use; the zero Kept is ready.
type Kept[K comparable, V any] struct {
	// Max bounds how many values are kept (zero: [DefaultMaxKept]); past
	// it, keeping a new key drops another one.
	Max int

	mu      sync.Mutex
	kept    map[K]keptValue[V]
	flights map[K]*flight[V]
}

// DefaultMaxKept is how many values a [Kept] keeps unless told.
const DefaultMaxKept = 10_000

type keptValue[V any] struct {
	rev Revision
	v   V
}

// flight is a value being computed; done closes when it is, with ok
// false if the computation panicked.
type flight[V any] struct {
	rev  Revision
	done chan struct{}
	v    V
	ok   bool
}

// Get returns the value kept under k for rev, if there is one; it
// neither computes nor waits for a computation under way.
func (x *Kept[K, V]) Get(k K, rev Revision) (V, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.get(k, rev)
}

// get is Get with x.mu held.
func (x *Kept[K, V]) get(k K, rev Revision) (V, bool) {
	if kept, ok := x.kept[k]; ok && kept.rev == rev {
		return kept.v, true
	}
	var zero V
	return zero, false
}

// Compute returns the value kept under k for rev, or the value of the
// computation of it another caller has under way, or else computes it
// and keeps it. It reports whether the value was taken rather than
// computed by this call.
func (x *Kept[K, V]) Compute(k K, rev Revision, compute func() V) (V, bool) {
	x.mu.Lock()
	if v, ok := x.get(k, rev); ok {
		x.mu.Unlock()
		return v, true
	}
	if f, ok := x.flights[k]; ok && f.rev == rev {
		x.mu.Unlock()
		<-f.done
		if f.ok {
			return f.v, true
		}
		return x.Compute(k, rev, compute) // it panicked: try again, here
	}
	f := &flight[V]{rev: rev, done: make(chan struct{})}
	if x.flights == nil {
		x.flights = map[K]*flight[V]{}
	}
	x.flights[k] = f
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		if x.flights[k] == f {
			delete(x.flights, k)
		}
		if f.ok {
			x.keep(k, rev, f.v)
		}
		x.mu.Unlock()
		close(f.done)
	}()
	f.v = compute()
	f.ok = true
	return f.v, false
}

// keep keeps v, computed for rev, under k, unless what is kept there was
// computed for a newer revision meanwhile. x.mu is held.
func (x *Kept[K, V]) keep(k K, rev Revision, v V) {
	old, ok := x.kept[k]
	if ok && old.rev.After(rev) {
		return
	}
	if x.kept == nil {
		x.kept = map[K]keptValue[V]{}
	}
	if limit := cmp.Or(x.Max, DefaultMaxKept); !ok && len(x.kept) >= limit {
		for other := range x.kept { // any one: Go chooses at random
			delete(x.kept, other)
			break
		}
	}
	x.kept[k] = keptValue[V]{rev: rev, v: v}
}

// Parts keeps the parts, one a project, that a report over many projects
// is made of, each for as long as the revision of its project holds, so
// that the report computes again only the parts of the projects that
// changed. X is what the parts depend on besides the query (the
// programme view's thresholds). The zero Parts is ready.
type Parts[X comparable, V any] struct {
	kept Kept[partKey[X], V]
}

type partKey[X comparable] struct {
	Key
	extra X
}

// EachProject returns part(q narrowed to p, p) for each project p in
// scope known at AsOf, in registration order. With parts it takes each
// project's part that parts keeps for the project's revision, or computes
// and keeps it; nil parts computes every one.
func EachProject[X comparable, V any](l *ledger.Ledger, q Query, parts *Parts[X, V], extra X, part func(q Query, p *ledger.Project) V) []V {
	var out []V
	for _, p := range q.Projects(l) {
		pq := q
		pq.Project, pq.Programme = p.ID, ""
		if parts == nil {
			out = append(out, part(pq, p))
			continue
		}
		key, rev := pq.KeyOf(l)
		v, _ := parts.kept.Compute(partKey[X]{Key: key, extra: extra}, rev, func() V { return part(pq, p) })
		out = append(out, v)
	}
	return out
}
