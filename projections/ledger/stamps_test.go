package ledger_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/together-coop/together/projections/ledger"
)

func TestStampsPositionAt(t *testing.T) {
	// Positions skip where something other than an event landed (a seal);
	// two events may be recorded in the same nanosecond.
	var s ledger.Stamps
	for _, st := range []ledger.Stamp{{At: 10, Position: 1}, {At: 20, Position: 2}, {At: 20, Position: 4}, {At: 30, Position: 5}} {
		s.Append(st)
	}
	tests := []struct {
		at   int64
		want uint64
	}{
		{math.MinInt64, 0},
		{9, 0},
		{10, 1},
		{19, 1},
		{20, 4},
		{29, 4},
		{30, 5},
		{math.MaxInt64, 5},
	}
	for _, tt := range tests {
		if got := s.PositionAt(tt.at); got != tt.want {
			t.Errorf("PositionAt(%d) = %d, want %d", tt.at, got, tt.want)
		}
	}
	var empty ledger.Stamps
	if got := empty.PositionAt(math.MaxInt64); got != 0 {
		t.Errorf("PositionAt of no stamps = %d, want 0", got)
	}
	if _, ok := empty.Last(); ok {
		t.Error("Last of no stamps is there")
	}
}

// TestStampsAnswerAsAList holds the packed stamps to the plain list they
// stand for, across block boundaries and with differences of every size.
func TestStampsAnswerAsAList(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gaps := []int64{0, 1, 999, 250_000, 3_600_000_000_000, 1 << 50}
	for _, n := range []int{1, 63, 64, 65, 128, 129, 1000} {
		var s ledger.Stamps
		var list []ledger.Stamp
		st := ledger.Stamp{At: -1 << 40, Position: 1}
		for range n {
			list = append(list, st)
			s.Append(st)
			st.At += gaps[rng.IntN(len(gaps))]
			st.Position += 1 + uint64(rng.IntN(3))
		}
		if got := s.Len(); got != n {
			t.Fatalf("%d stamps: Len() = %d", n, got)
		}
		if got := slices.Collect(s.All()); !slices.Equal(got, list) {
			t.Fatalf("%d stamps: All() differs from what was appended", n)
		}
		for i, want := range list {
			if got := s.At(i); got != want {
				t.Fatalf("%d stamps: At(%d) = %v, want %v", n, i, got, want)
			}
		}
		if last, ok := s.Last(); !ok || last != list[n-1] {
			t.Fatalf("%d stamps: Last() = %v, %t, want %v", n, last, ok, list[n-1])
		}
		for _, want := range list {
			for _, at := range []int64{want.At - 1, want.At, want.At + 1} {
				if got, ref := s.PositionAt(at), positionAt(list, at); got != ref {
					t.Fatalf("%d stamps: PositionAt(%d) = %d, want %d", n, at, got, ref)
				}
			}
		}
	}
}

// TestStampsCopyKeepsWhatItHeld is what lets ledger versions share their
// stamps: appending to one never changes what a copy made before holds.
func TestStampsCopyKeepsWhatItHeld(t *testing.T) {
	var s ledger.Stamps
	for i := range 100 {
		s.Append(ledger.Stamp{At: int64(i) * 10, Position: uint64(i) + 1})
	}
	frozen := s
	before := slices.Collect(frozen.All())
	for i := 100; i < 300; i++ {
		s.Append(ledger.Stamp{At: int64(i) * 10, Position: uint64(i) + 1})
	}
	if got := slices.Collect(frozen.All()); !slices.Equal(got, before) {
		t.Error("appending to the stamps changed a copy made before")
	}
	if got := frozen.PositionAt(math.MaxInt64); got != 100 {
		t.Errorf("the copy's last position = %d, want 100", got)
	}
	if got := s.PositionAt(math.MaxInt64); got != 300 {
		t.Errorf("the stamps' last position = %d, want 300", got)
	}
}

// positionAt is what [ledger.Stamps.PositionAt] answers, over a plain
// list.
func positionAt(list []ledger.Stamp, at int64) uint64 {
	var pos uint64
	for _, st := range list {
		if st.At <= at {
			pos = st.Position
		}
	}
	return pos
}
