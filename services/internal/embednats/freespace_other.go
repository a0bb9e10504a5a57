//go:build !(linux || darwin || freebsd)

package embednats

// freeBytes cannot tell the free space here: the watchdog still reports
// JetStream's failures, but does not start it again by itself.
func freeBytes(string) int64 { return -1 }
