package microsvc

import (
	"errors"
	"sync"

	"github.com/nats-io/nats.go/micro"
)

// Gate counts the requests in flight and, once closed, lets no new one
// in, so that stopping can wait for exactly the requests that got in. The
// zero value is open. It is safe for concurrent use.
type Gate struct {
	mu       sync.Mutex
	closed   bool
	inflight int
	idle     *sync.Cond
}

// Enter lets a request in, reporting false once the gate is closed.
func (g *Gate) Enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.inflight++
	return true
}

// Leave marks a request that got in as done.
func (g *Gate) Leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	if g.inflight == 0 && g.idle != nil {
		g.idle.Broadcast()
	}
}

// Close lets no new request in.
func (g *Gate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

// Wait returns once no request that got in is still in flight.
func (g *Gate) Wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.idle == nil {
		g.idle = sync.NewCond(&g.mu)
	}
	for g.inflight > 0 {
		g.idle.Wait()
	}
}

// StopAll stops every service instance, returning their errors joined.
func StopAll(svcs []micro.Service) error {
	var errs []error
	for _, svc := range svcs {
		errs = append(errs, svc.Stop())
	}
	return errors.Join(errs...)
}
