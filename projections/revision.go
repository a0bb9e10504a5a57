package projections

import (
	"cmp"
	"strings"
	"sync"
	"time"

	"github.com/together-coop/together/projections/ledger"
)

// Revision is how far the ledger has changed for a scope: the last event
// that changed a project in it, and the last that changed the people its
// reports may refer to. Positions only grow, so two versions of the
// ledger with the same revision of a scope hold the same history of it.
type Revision struct {
	Projects uint64
	People   uint64
}

// After reports whether r is newer than o in either part.
func (r Revision) After(o Revision) bool { return r.Projects > o.Projects || r.People > o.People }

// Key is what a report over a scope depends on besides the ledger: two
// queries with the same key, over versions of the ledger with the same
// [Revision] of their scope, give the same report but for its header.
//
// A report reads the ledger only through facts known at AsOf, and the
// calendar date of AsOf (overdue is judged on it). Once AsOf is at or
// after every fact of the scope was recorded, a later AsOf knows no more
// of it: such queries are the same one, at Head, for as long as the
// revision holds. Earlier ones are keyed by their AsOf.
type Key struct {
	Project   string
	Programme string
	From, To  bound
	Zone      string
	Head      bool
	AsOf      instant // zero at Head
	Today     string
}

// instant is a moment as a comparable value, in any year.
type instant struct {
	Unix int64
	Nano int
}

func instantOf(t time.Time) instant { return instant{t.Unix(), t.Nanosecond()} }

// bound is a window bound as a comparable value.
type bound struct {
	Set bool
	At  instant
}

func boundOf(t *time.Time) bound {
	if t == nil {
		return bound{}
	}
	return bound{Set: true, At: instantOf(*t)}
}

// KeyOf returns the key of q and the revision of its scope in l. The
// scope is every project q names, known at AsOf or not: a project
// registered later only makes the revision newer.
func (q Query) KeyOf(l *ledger.Ledger) (Key, Revision) {
	rev := Revision{People: l.PeopleRevised.Position}
	last := l.PeopleRevised.At
	revise := func(p *ledger.Project) {
		rev.Projects = max(rev.Projects, p.Revised.Position)
		last = max(last, p.Revised.At)
	}
	switch {
	case q.Project != "":
		if p := l.Projects.Get(q.Project); p != nil {
			revise(p)
		}
	default:
		for _, id := range l.ProjectOrder {
			if p := l.Projects.Get(id); q.Programme == "" || SameProgramme(p.Programme, q.Programme) {
				revise(p)
			}
		}
	}
	k := Key{Project: q.Project, Programme: strings.TrimSpace(q.Programme), From: boundOf(q.From), To: boundOf(q.To),
		Zone: q.Loc().String(), Today: q.Today().String()}
	if k.Head = !q.AsOf.Before(time.Unix(0, last)); !k.Head {
		k.AsOf = instantOf(q.AsOf)
	}
	return k, rev
}

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

// Compute returns the value kept under k for rev, or the value of the
// computation of it another caller has under way, or else computes it
// and keeps it. It reports whether the value was taken rather than
// computed by this call.
func (x *Kept[K, V]) Compute(k K, rev Revision, compute func() V) (V, bool) {
	x.mu.Lock()
	if kept, ok := x.kept[k]; ok && kept.rev == rev {
		x.mu.Unlock()
		return kept.v, true
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
