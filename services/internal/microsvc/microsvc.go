package microsvc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
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

// Endpoint is one endpoint of a [Pool].
type Endpoint struct {
	Name, Subject string
	// Handler answers a request; it lets itself in with the pool's gate
	// (Gate.Enter, Gate.Leave), so that stopping waits for it.
	Handler micro.Handler
}

// Pool is a micro service served by several instances at once: micro
// calls an endpoint's handler one request at a time, so each instance is
// a worker whose statistics count exactly the requests it handled.
type Pool struct {
	Config    micro.Config
	Workers   int
	Endpoints []Endpoint
	// Timeout bounds each round trip that registers or unregisters the
	// pool with the server.
	Timeout time.Duration
}

// Serve registers p's workers on nc and calls ready once the server has
// their subscriptions, then serves until ctx ends. Then it stops taking
// requests: what the server sent already is still answered (handlers
// let in by gate before it closed finish; later ones are turned away by
// it), and once the server has read the unsubscriptions, requests go to
// another process or are told nobody serves them.
func Serve(ctx context.Context, nc *nats.Conn, p Pool, gate *Gate, ready func()) error {
	var svcs []micro.Service
	for range p.Workers {
		svc, err := micro.AddService(nc, p.Config)
		if err != nil {
			_ = StopAll(svcs)
			return fmt.Errorf("add the %s service: %w", p.Config.Name, err)
		}
		svcs = append(svcs, svc)
		for _, ep := range p.Endpoints {
			if err := svc.AddEndpoint(ep.Name, ep.Handler, micro.WithEndpointSubject(ep.Subject)); err != nil {
				_ = StopAll(svcs)
				return fmt.Errorf("add the %s endpoint: %w", ep.Name, err)
			}
		}
	}
	// The subscriptions are the server's once a round trip has passed.
	fctx, cancel := context.WithTimeout(ctx, p.Timeout)
	err := nc.FlushWithContext(fctx)
	cancel()
	if err != nil {
		_ = StopAll(svcs)
		return fmt.Errorf("register the %s service: %w", p.Config.Name, err)
	}
	ready()
	<-ctx.Done()
	err = StopAll(svcs)
	gate.Close()
	gate.Wait()
	if ferr := nc.FlushTimeout(p.Timeout); ferr != nil && !errors.Is(ferr, nats.ErrConnectionClosed) {
		err = errors.Join(err, fmt.Errorf("unregister the %s service: %w", p.Config.Name, ferr))
	}
	return err
}
