package reports

import (
	"context"
	"io"
	"time"
)

// SetSleep replaces how r waits between attempts, so a test sees every
// pause without waiting it out.
func SetSleep(r *Runner, sleep func(ctx context.Context, d time.Duration) bool) { r.sleep = sleep }

// SetStopSaveWait replaces how long a stop waits for a snapshot.
func SetStopSaveWait(r *Runner, d time.Duration) { r.stopSaveWait = d }

// TakeEveryTurn marks report over everything heavy and takes every turn,
// as heavy reports being computed would, until the returned func gives
// them back.
func TakeEveryTurn(s *Service, report string) (giveBack func()) {
	s.turns.mu.Lock()
	s.turns.heavy[scope{report: report}] = struct{}{}
	s.turns.mu.Unlock()
	n := cap(s.turns.slots)
	for range n {
		s.turns.slots <- struct{}{}
	}
	return func() {
		for range n {
			<-s.turns.slots
		}
	}
}

// DecodeUnchecked reads the snapshot in s into decode as LoadInto's second
// read does, without the first read's check: what a snapshot replaced
// between the two reads would meet.
func DecodeUnchecked(ctx context.Context, s *ObjectStoreSnapshots, decode func(r io.Reader, size int) error) error {
	return s.stream(ctx, decode)
}
