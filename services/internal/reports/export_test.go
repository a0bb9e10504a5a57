package reports

import (
	"context"
	"time"
)

// SetSleep replaces how r waits between attempts, so a test sees every
// pause without waiting it out.
func SetSleep(r *Runner, sleep func(ctx context.Context, d time.Duration) bool) { r.sleep = sleep }

// SetStopSaveWait replaces how long a stop waits for a snapshot.
func SetStopSaveWait(r *Runner, d time.Duration) { r.stopSaveWait = d }
