package ledger

import (
	"encoding/binary"
	"iter"
	"sort"
)

// Stamps lists when every applied event was recorded and where it landed,
// in the order applied, so that the position a report reflects as of a
// moment is a search. There is one for every event, so it keeps them
// packed: a block of stampsPerBlock keeps its first stamp whole and each
// of the others as two varints, its differences from the one before:
// four or five bytes an event where a [Stamp] takes sixteen. The stamps
// after the last full block stay whole until the block fills.
//
// Appending only writes past what an earlier copy of a Stamps holds, so a
// frozen ledger's copy stays as it was while the next version appends:
// versions share the blocks, as they share a plain slice.
type Stamps struct {
	blocks []stampBlock
	// packed holds the differences of every full block, one block after
	// the other.
	packed []byte
	// tail holds the stamps after the last full block, whole.
	tail []Stamp
}

// stampBlock is a full block of stamps: its first, and where the
// differences of the others end in packed.
type stampBlock struct {
	first Stamp
	end   int
}

// stampsPerBlock bounds what a lookup decodes: a block's stamps but the
// first, about two hundred bytes.
const stampsPerBlock = 64

// Len returns how many stamps there are.
func (s *Stamps) Len() int { return len(s.blocks)*stampsPerBlock + len(s.tail) }

// Append adds st after the others.
func (s *Stamps) Append(st Stamp) {
	if len(s.tail) == stampsPerBlock {
		s.pack()
	}
	if s.tail == nil {
		s.tail = make([]Stamp, 0, stampsPerBlock)
	}
	s.tail = append(s.tail, st)
}

// pack turns the full tail into a block. The tail's array is left to the
// versions that share it; the next stamp starts a new one.
func (s *Stamps) pack() {
	prev := s.tail[0]
	for _, st := range s.tail[1:] {
		// Recorded times rise along the order and positions grow, but a
		// difference is signed so that no input is lost.
		s.packed = binary.AppendVarint(s.packed, st.At-prev.At)
		s.packed = binary.AppendVarint(s.packed, int64(st.Position-prev.Position))
		prev = st
	}
	s.blocks = append(s.blocks, stampBlock{first: s.tail[0], end: len(s.packed)})
	s.tail = nil
}

// At returns the stamp at i, which must be below [Stamps.Len].
func (s *Stamps) At(i int) Stamp {
	b := i / stampsPerBlock
	if b >= len(s.blocks) {
		return s.tail[i-len(s.blocks)*stampsPerBlock]
	}
	return s.block(b).at(i % stampsPerBlock)
}

// Last returns the last stamp, if there is one.
func (s *Stamps) Last() (Stamp, bool) {
	if n := s.Len(); n > 0 {
		return s.At(n - 1), true
	}
	return Stamp{}, false
}

// All yields every stamp, in order.
func (s *Stamps) All() iter.Seq[Stamp] {
	return func(yield func(Stamp) bool) {
		for b := range s.blocks {
			for st := range s.block(b).stamps(stampsPerBlock) {
				if !yield(st) {
					return
				}
			}
		}
		for _, st := range s.tail {
			if !yield(st) {
				return
			}
		}
	}
}

// PositionAt returns the position of the last stamp recorded at or
// before at (Unix nanoseconds), or zero if there is none.
func (s *Stamps) PositionAt(at int64) uint64 {
	if len(s.tail) > 0 && s.tail[0].At <= at {
		i := sort.Search(len(s.tail), func(i int) bool { return s.tail[i].At > at })
		return s.tail[i-1].Position
	}
	b := sort.Search(len(s.blocks), func(b int) bool { return s.blocks[b].first.At > at })
	if b == 0 {
		return 0
	}
	var last Stamp
	for st := range s.block(b - 1).stamps(stampsPerBlock) {
		if st.At > at {
			break
		}
		last = st
	}
	return last.Position
}

// block returns full block b with its differences.
func (s *Stamps) block(b int) packedBlock {
	start := 0
	if b > 0 {
		start = s.blocks[b-1].end
	}
	return packedBlock{first: s.blocks[b].first, diffs: s.packed[start:s.blocks[b].end]}
}

// packedBlock is a full block ready to read.
type packedBlock struct {
	first Stamp
	diffs []byte
}

// stamps yields the block's first n stamps.
func (p packedBlock) stamps(n int) iter.Seq[Stamp] {
	return func(yield func(Stamp) bool) {
		st, diffs := p.first, p.diffs
		for i := range n {
			if i > 0 {
				at, k := binary.Varint(diffs)
				pos, m := binary.Varint(diffs[k:])
				diffs = diffs[k+m:]
				st = Stamp{At: st.At + at, Position: st.Position + uint64(pos)}
			}
			if !yield(st) {
				return
			}
		}
	}
}

// at returns the block's stamp at i.
func (p packedBlock) at(i int) Stamp {
	var st Stamp
	for st = range p.stamps(i + 1) {
	}
	return st
}
