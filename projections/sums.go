package projections

import (
	"iter"
	"sync"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// Part is what one project adds to a report made of parts (see
// [EachProject]); it names its project.
type Part interface {
	comparable
	Project() string
}

// Sum is a report's parts added up, kept so that after a change in one
// project the report goes on from it instead of adding every part again.
// Move makes it the sum of parts by taking away the parts gone and adding
// those that came. Parts never change, and a part added and then taken
// away leaves the sum exactly as it was without it.
type Sum[P Part] interface {
	Move(l *ledger.Ledger, q Query, parts, gone, came []P)
}

// MoveCounts moves a sum whose parts add up by counting: add(p, -1) for
// each part gone, then add(p, 1) for each that came.
func MoveCounts[P any](gone, came []P, add func(p P, by int)) {
	for _, p := range gone {
		add(p, -1)
	}
	for _, p := range came {
		add(p, 1)
	}
}

// Sums keeps a [Sum] for each query over several projects that is
// followed at the head. A moment in the past is asked about once, not
// followed, so its sum is not kept. The zero Sums is ready, and safe for
// concurrent use.
type Sums[P Part, S Sum[P]] struct {
	mu   sync.Mutex
	sums map[Key]*keptSum[P, S]
}

// maxSums bounds the queries whose sums are kept: each holds what every
// person of its scope comes to.
const maxSums = 16

// keptSum is the sum kept for one query; one computation at a time moves
// it.
type keptSum[P Part, S Sum[P]] struct {
	mu sync.Mutex
	// ready is false before the first computation, and after one that
	// did not finish; people is the revision of people the sum was made
	// at: another one starts it again, as roles may have changed.
	ready  bool
	people uint64
	parts  map[string]P // by project
	sum    S
}

// AddUp returns answer of the sum of parts, the parts of q's scope. With
// sums, for a query over several projects at the head, it goes on from the
// sum kept for the same query, moving it by the parts that changed; else,
// or nil sums, it adds them all to a fresh sum.
func AddUp[P Part, S Sum[P], R any](sums *Sums[P, S], l *ledger.Ledger, q Query, parts []P, fresh func() S, answer func(S) R) R {
	key, rev := q.KeyOf(l)
	if sums == nil || len(parts) < 2 || !key.Head {
		s := fresh()
		s.Move(l, q, parts, nil, parts)
		return answer(s)
	}
	ks := sums.of(key)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if !ks.ready || ks.people != rev.People {
		ks.parts, ks.people, ks.sum = map[string]P{}, rev.People, fresh()
	}
	ks.ready = false
	next := make(map[string]P, len(parts))
	var gone, came []P
	for _, p := range parts {
		next[p.Project()] = p
		if ks.parts[p.Project()] != p {
			came = append(came, p)
		}
	}
	for id, p := range ks.parts {
		if next[id] != p {
			gone = append(gone, p)
		}
	}
	ks.sum.Move(l, q, parts, gone, came)
	ks.parts, ks.ready = next, true
	return answer(ks.sum)
}

// of returns the sum kept for the query of key, a new one if none is.
func (ss *Sums[P, S]) of(key Key) *keptSum[P, S] {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ks, ok := ss.sums[key]; ok {
		return ks
	}
	if ss.sums == nil {
		ss.sums = map[Key]*keptSum[P, S]{}
	}
	if len(ss.sums) >= maxSums {
		for other := range ss.sums {
			delete(ss.sums, other)
			break
		}
	}
	ks := &keptSum[P, S]{}
	ss.sums[key] = ks
	return ks
}

// SummedParts keeps what each project adds to a report (see [Parts]) and,
// for a scope of several projects, those parts added up (see [Sums]), so
// that a change in one project costs what that project comes to. The zero
// SummedParts is ready, and safe for concurrent use.
type SummedParts[P Part, S Sum[P]] struct {
	parts Parts[struct{}, P]
	sums  Sums[P, S]
}

// AddUpParts returns answer of the sum of the parts of q's scope: each
// project's part as ps keeps it for the project's revision, or as part
// computes it (see [EachProject]), added up from the sum ps keeps for the
// same query (see [AddUp]). Nil ps keeps nothing.
func AddUpParts[P Part, S Sum[P], R any](ps *SummedParts[P, S], l *ledger.Ledger, q Query, part func(l *ledger.Ledger, q Query, p *ledger.Project) P, fresh func() S, answer func(S) R) R {
	var kept *Parts[struct{}, P]
	var sums *Sums[P, S]
	if ps != nil {
		kept, sums = &ps.parts, &ps.sums
	}
	parts := EachProject(l, q, kept, struct{}{}, func(pq Query, p *ledger.Project) P { return part(l, pq, p) })
	return AddUp(sums, l, q, parts, fresh, answer)
}

// PeopleOf returns the people the parts name, each once: whose sums a move
// by those parts changes.
func PeopleOf[P interface{ People() iter.Seq[string] }](parts ...[]P) map[string]bool {
	out := map[string]bool{}
	for _, ps := range parts {
		for _, p := range ps {
			for id := range p.People() {
				out[id] = true
			}
		}
	}
	return out
}

// Roles keeps the roles of the people a sum counts, looked up once: a sum
// is started again for another revision of people, so they hold while it
// lives.
type Roles map[string][]events.Role

// Of returns the roles of person id as q knows them.
func (r Roles) Of(l *ledger.Ledger, q Query, id string) []events.Role {
	roles, ok := r[id]
	if !ok {
		roles = q.RolesOf(l, id)
		r[id] = roles
	}
	return roles
}
