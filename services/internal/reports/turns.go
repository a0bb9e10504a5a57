package reports

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// heavyReport is how long a report must have taken, the last time it was
// computed over the same scope, to count as heavy.
const heavyReport = 50 * time.Millisecond

// turns makes heavy reports take turns: at most half the processors
// compute them at once (one on two), however many are asked for. Reads
// never block the projection, so nothing else holds them back, and four
// clients looping on the programme view of everything would otherwise
// keep both cores of a small machine busy, and every command would queue
// behind them for the processor. Reports that were quick last time go
// straight through, so a small report is never queued behind large ones.
type turns struct {
	slots chan struct{}
	mu    sync.Mutex
	// heavy holds the scopes whose report was heavy last time. A scope
	// that was quick is forgotten, so the set holds only scopes that exist
	// and are large, whatever names requests make up.
	heavy map[scope]struct{}
}

// scope is a report over one part of the history.
type scope struct{ report, project, programme string }

func newTurns(atOnce int) *turns {
	return &turns{slots: make(chan struct{}, max(1, atOnce)), heavy: map[scope]struct{}{}}
}

func defaultTurns() *turns { return newTurns(runtime.GOMAXPROCS(0) / 2) }

// take waits, if the report over k was heavy last time, for its turn, or
// until ctx ends. It returns what to call with how long the report took.
func (t *turns) take(ctx context.Context, k scope) (done func(took time.Duration), err error) {
	t.mu.Lock()
	_, heavy := t.heavy[k]
	t.mu.Unlock()
	if heavy {
		select {
		case t.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return func(took time.Duration) {
		if heavy {
			<-t.slots
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if took >= heavyReport {
			t.heavy[k] = struct{}{}
		} else {
			delete(t.heavy, k)
		}
	}, nil
}
