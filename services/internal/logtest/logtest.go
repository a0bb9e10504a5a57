// Package logtest holds what tests need to read the logs a running
// together writes.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a log sink that several goroutines write to and a test reads
// while they may still write. The zero Buffer is ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
