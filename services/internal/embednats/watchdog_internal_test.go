package embednats

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// JetStream is started again only when it would then have room to write.
func TestRoomAfterRestart(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name     string
		maxStore int64 // configured; 0 sizes from the disk
		u        usage
		want     bool
	}{
		{"disk still full", 0, usage{free: 0, used: 10 * mib, max: 10 * mib}, false},
		{"free space unknown", 0, usage{free: -1, used: mib, max: 10 * mib}, false},
		{"less than the minimum freed", 0, usage{free: mib / 2, used: mib, max: 10 * mib}, false},
		{"room freed", 0, usage{free: 8 * mib, used: 4 * mib, max: 6 * mib}, true},
		// Sized from the disk, the limit would be 0.75*(2+8) = 7.5 MiB,
		// below the 8 MiB already held.
		{"freed, but the sized limit would stay below what is held", 0, usage{free: 2 * mib, used: 8 * mib, max: 8 * mib}, false},
		{"configured limit with room", 100 * mib, usage{free: 2 * mib, used: 8 * mib, max: 100 * mib}, true},
		{"configured limit reached", 100 * mib, usage{free: 50 * mib, used: 100 * mib, max: 100 * mib}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &watchdog{opts: &server.Options{JetStreamMaxStore: tt.maxStore}, minFree: mib}
			if got := w.roomAfterRestart(tt.u); got != tt.want {
				t.Errorf("roomAfterRestart(%+v) = %v; want %v", tt.u, got, tt.want)
			}
		})
	}
}
