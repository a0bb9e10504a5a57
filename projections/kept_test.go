package projections_test

import (
	"sync"
	"testing"
	"time"

	"github.com/together-coop/together/projections"
)

// TestKept checks what a Kept answers: only the value of the revision
// asked for, never an older value over a newer one, and no more than its
// bound.
func TestKept(t *testing.T) {
	var x projections.Kept[string, int]
	x.Max = 2
	older, newer := projections.Revision{Projects: 5, People: 1}, projections.Revision{Projects: 5, People: 2}
	value := func(v int) func() int { return func() int { return v } }
	if v, kept := x.Compute("a", newer, value(2)); kept || v != 2 {
		t.Errorf("a, first asked: %d kept %v, want 2 computed", v, kept)
	}
	// Computed on an older version, finished later: answered, not kept.
	if v, kept := x.Compute("a", older, value(1)); kept || v != 1 {
		t.Errorf("a at the older revision: %d kept %v, want 1 computed", v, kept)
	}
	if v, kept := x.Compute("a", newer, value(-1)); !kept || v != 2 {
		t.Errorf("a at the newer revision again: %d kept %v, want 2 kept", v, kept)
	}
	x.Compute("b", older, value(3))
	x.Compute("c", older, value(4))
	if n := projections.KeptLen(&x); n != 2 {
		t.Errorf("%d values kept, want the bound of 2", n)
	}
	if v, kept := x.Compute("c", older, value(-1)); !kept || v != 4 {
		t.Errorf("c, kept last: %d kept %v, want 4 kept", v, kept)
	}
}

// TestKeptComputesOnce asks for one key and revision from many goroutines
// while its computation is under way: they all take its value, none
// computes it again, and if the computation panics a waiter computes it
// itself.
func TestKeptComputesOnce(t *testing.T) {
	rev := projections.Revision{Projects: 1}
	for _, panics := range []bool{false, true} {
		var x projections.Kept[string, int]
		started, release := make(chan struct{}), make(chan struct{})
		first := make(chan int, 1)
		go func() {
			defer func() {
				if recover() != nil {
					first <- -1
				}
			}()
			v, _ := x.Compute("k", rev, func() int {
				close(started)
				<-release
				if panics {
					panic("the report failed")
				}
				return 7
			})
			first <- v
		}()
		<-started
		var waiters sync.WaitGroup
		computed := make(chan int, 8)
		for range 8 {
			waiters.Go(func() {
				v, kept := x.Compute("k", rev, func() int { computed <- 1; return 8 })
				if want := map[bool]int{false: 7, true: 8}[panics]; v != want || !panics && !kept {
					t.Errorf("panics %v: a waiter took %d (kept %v), want %d", panics, v, kept, want)
				}
			})
		}
		time.Sleep(50 * time.Millisecond) // let the waiters arrive; any that come later find the value kept
		close(release)
		waiters.Wait()
		close(computed)
		n := 0
		for range computed {
			n++
		}
		if got := <-first; !panics && (got != 7 || n != 0) || panics && (got != -1 || n != 1) {
			t.Errorf("panics %v: first caller got %d and waiters computed %d times", panics, got, n)
		}
	}
}
