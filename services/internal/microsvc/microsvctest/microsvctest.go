// Package microsvctest runs a NATS micro service for the length of a test.
package microsvctest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
)

// Server is a service that answers on a NATS connection until its context
// ends, and says when its endpoints are registered.
type Server interface {
	ServeNATS(ctx context.Context, nc *nats.Conn) error
	Ready() <-chan struct{}
}

// Serve runs s.ServeNATS on nc until the test ends, and returns once s is
// ready. stop ends it early and returns what ServeNATS returned; the
// test's cleanup fails the test if that was an error.
func Serve(t testing.TB, s Server, nc *nats.Conn) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeNATS(ctx, nc) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("ServeNATS: %v", err)
	}
	var stopped atomic.Bool
	stop = func() error {
		if !stopped.CompareAndSwap(false, true) {
			return nil
		}
		cancel()
		return <-done
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("ServeNATS: %v", err)
		}
	})
	return stop
}
