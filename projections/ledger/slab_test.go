package ledger

import "testing"

// TestSlabHandsOutEachPlaceOnce keeps values across several arrays and
// requires each to keep its own, and a list of one to grow without
// writing over the value kept after it.
func TestSlabHandsOutEachPlaceOnce(t *testing.T) {
	var s slab[int]
	const n = 3*slabSize + 7
	kept := make([]*int, n)
	for i := range kept {
		kept[i] = s.keep(i)
	}
	seen := map[*int]bool{}
	for i, p := range kept {
		if seen[p] {
			t.Fatalf("value %d was given a place already handed out", i)
		}
		seen[p] = true
		if *p != i {
			t.Fatalf("value %d reads %d", i, *p)
		}
	}
	a, b := s.one(1), s.one(2)
	if cap(a) != 1 {
		t.Fatalf("a list of one has room for %d", cap(a))
	}
	a = append(a, 3)
	if b[0] != 2 || a[0] != 1 || a[1] != 3 {
		t.Fatalf("after appending to a list of one: it reads %v and the next %v, want [1 3] and [2]", a, b)
	}
}
