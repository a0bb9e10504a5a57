package ledger

import (
	"encoding/binary"
	"iter"
	"sort"
)

// Stamps lists when every applied event was recorded and where it landed,
// in the order applied, so that the position a report reflects as of a
// moment is a search. There is one for every event, so it keeps them
// packed: the first of each block of stampsPerBlock whole, each of the
// others as two varints, its differences from the one before: four or
// five bytes an event where a [Stamp] takes sixteen.
//
// Every stamp is packed as it comes, into two lists that only grow: what
// a rebuild leaves behind is their old arrays, large and whole, rather
// than small objects among those the ledger keeps, which would keep
// partly used spans of the heap in use. Appending only writes past what
// an earlier copy of a Stamps holds, so a frozen ledger's copy stays as
// it was while the next version appends: versions share them, as they
// would share a plain slice.
type Stamps struct {
	n    int
	last Stamp
	// blocks holds each block's first stamp and where the differences of
	// the others begin in packed.
	blocks []stampBlock
	packed []byte
}

type stampBlock struct {
	first Stamp
	start int
}

// stampsPerBlock bounds what a lookup decodes: a block's stamps but the
// first, about three hundred bytes.
const stampsPerBlock = 64

// Len returns how many stamps there are.
func (s *Stamps) Len() int { return s.n }

// Append adds st after the others.
func (s *Stamps) Append(st Stamp) {
	if s.n%stampsPerBlock == 0 {
		s.blocks = append(s.blocks, stampBlock{first: st, start: len(s.packed)})
	} else {
		// Recorded times rise along the order and positions grow, but a
		// difference is signed so that no input is lost.
		s.packed = binary.AppendVarint(s.packed, st.At-s.last.At)
		s.packed = binary.AppendVarint(s.packed, int64(st.Position-s.last.Position))
	}
	s.last = st
	s.n++
}

// At returns the stamp at i, which must be below [Stamps.Len].
func (s *Stamps) At(i int) Stamp {
	if i == s.n-1 {
		return s.last
	}
	r := s.reader(i / stampsPerBlock)
	for range i % stampsPerBlock {
		r.next()
	}
	return r.st
}

// Last returns the last stamp, if there is one.
func (s *Stamps) Last() (Stamp, bool) { return s.last, s.n > 0 }

// All yields every stamp, in order.
func (s *Stamps) All() iter.Seq[Stamp] {
	return func(yield func(Stamp) bool) {
		for b := range s.blocks {
			r := s.reader(b)
			for i := range s.inBlock(b) {
				if i > 0 {
					r.next()
				}
				if !yield(r.st) {
					return
				}
			}
		}
	}
}

// PositionAt returns the position of the last stamp recorded at or
// before at (Unix nanoseconds), or zero if there is none.
func (s *Stamps) PositionAt(at int64) uint64 {
	if s.n > 0 && s.last.At <= at {
		return s.last.Position
	}
	b := sort.Search(len(s.blocks), func(b int) bool { return s.blocks[b].first.At > at })
	if b == 0 {
		return 0
	}
	r := s.reader(b - 1)
	found := r.st
	for range s.inBlock(b-1) - 1 {
		if r.next(); r.st.At > at {
			break
		}
		found = r.st
	}
	return found.Position
}

// inBlock returns how many stamps block b holds.
func (s *Stamps) inBlock(b int) int {
	return min(stampsPerBlock, s.n-b*stampsPerBlock)
}

// reader returns a reader at the first stamp of block b.
func (s *Stamps) reader(b int) stampReader {
	return stampReader{st: s.blocks[b].first, diffs: s.packed[s.blocks[b].start:]}
}

// stampReader reads a block's stamps one after the other.
type stampReader struct {
	st    Stamp
	diffs []byte
}

// next moves to the following stamp.
func (r *stampReader) next() {
	at, k := binary.Varint(r.diffs)
	pos, m := binary.Varint(r.diffs[k:])
	r.diffs = r.diffs[k+m:]
	r.st = Stamp{At: r.st.At + at, Position: r.st.Position + uint64(pos)}
}
