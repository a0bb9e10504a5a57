package ledger

// slab keeps values of T in arrays of slabSize of them, each array an
// allocation of its own. What a ledger keeps of every event is small, and
// allocated one by one it shares the collector's spans with what decoding
// the events throws away: a span stays in use for the one value in it
// that lives. An array of many is a span of its own, holding only what
// the ledger keeps.
//
// A place is never handed out twice, and a copy of a value made for a
// newer version is allocated on its own: the place of a value that
// changed stays, with what it referred to then, until every value of its
// array has changed, so what the slabs hold grows with what the ledger
// made, never with how often it changed. The zero slab is ready; only the
// newest version of a ledger, the one events are applied to, uses its
// slabs.
type slab[T any] struct{ free []T }

// slabSize is how many values an array of a slab holds: enough to make
// the array larger than the collector's largest size class (32 KiB) for
// every value a ledger keeps so.
const slabSize = 512

// keep returns a pointer to a copy of v in the slab.
func (s *slab[T]) keep(v T) *T { return &s.one(v)[0] }

// one returns a list of v alone in the slab. Its capacity is one, so
// appending to it moves the list out of the slab rather than writing
// over its neighbour.
func (s *slab[T]) one(v T) []T {
	if len(s.free) == 0 {
		s.free = make([]T, slabSize)
	}
	out := s.free[:1:1]
	out[0] = v
	s.free = s.free[1:]
	return out
}
