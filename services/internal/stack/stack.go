// Package stack runs every together service in one process on an embedded
// nats-server with JetStream file storage: what together serve starts, and
// what the integration tests start in-process.
package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/services/internal/actions"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
	"github.com/together-coop/together/services/internal/gateway"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// Config configures the stack.
type Config struct {
	// DataDir holds everything the stack stores. Required.
	DataDir string
	// HTTPAddr is where the API listens, such as 127.0.0.1:8080 (port 0
	// picks a free one).
	HTTPAddr string
	// NATSListen lets other processes connect to the embedded NATS; empty
	// keeps it in-process only.
	NATSListen string
	Logger     zerolog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Thresholds set the programme view's red, amber and green; nil means
	// the defaults.
	Thresholds *programme.Thresholds
	// KEK is the key-encryption key, from a key file outside DataDir
	// (keyring.LoadOrCreateKeyFile). Required.
	KEK keyring.KEK
}

// snapshotInterval is how often, at most, the reports save a snapshot of
// their ledger while events arrive (and always on a clean stop).
const snapshotInterval = 5 * time.Minute

// Stack is a running together. Stop it with Shutdown.
type Stack struct {
	ns       *embednats.Server
	nc       *nats.Conn
	http     *http.Server
	listener net.Listener
	lock     *os.File
	cancel   context.CancelFunc
	done     chan error
	log      zerolog.Logger

	shutdownOnce sync.Once
	shutdownErr  error
}

// Start starts NATS, the recorder, the command services and the HTTP API,
// and returns once the API accepts requests.
func Start(ctx context.Context, cfg Config) (st *Stack, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory")
	}
	if cfg.KEK.IsZero() {
		return nil, errors.New("no key-encryption key")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	s := &Stack{log: log, done: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	// Take the port before touching the data, so a busy port fails fast.
	if s.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if s.ns, err = embednats.Start(embednats.Config{StoreDir: filepath.Join(cfg.DataDir, "nats"), Listen: cfg.NATSListen}); err != nil {
		return nil, err
	}
	if s.nc, err = s.ns.Connect("together", nats.MaxReconnects(-1)); err != nil {
		return nil, err
	}
	store, err := natsjs.New(ctx, s.nc)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, err
	}
	keys, err := keyring.New(ctx, js, cfg.KEK, keyring.WithLogger(log.With().Str("component", "keyring").Logger()))
	if err != nil {
		return nil, err
	}
	// No erased person's key outlives a crash between recording the
	// erasure and destroying the key.
	if _, err := keys.Reconcile(ctx, keyring.ErasedStakeholders(ctx, store)); err != nil {
		return nil, fmt.Errorf("destroy the keys of erased stakeholders: %w", err)
	}
	registry := catalogue.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	rec := recorder.NewService(s.nc, store, registry,
		recorder.WithLogger(log.With().Str("component", "recorder").Logger()), recorder.WithClock(cfg.Now),
		recorder.WithMetrics(reg, "jetstream"))
	recDone := make(chan error, 1)
	go func() { recDone <- rec.Run(runCtx) }()

	client := recorder.NewClient(s.nc, 10*time.Second)
	if err := waitForRecorder(ctx, client, recDone); err != nil {
		return nil, err
	}
	x := command.NewExecutor(client, registry, cfg.Now, command.WithMetrics(reg))
	snapshots, err := reports.NewObjectStoreSnapshots(ctx, js, cfg.KEK.Derive(keyring.PurposeSnapshotMAC), 1)
	if err != nil {
		return nil, err
	}
	runner := reports.NewRunner(client, registry, log.With().Str("component", "projections").Logger(), reg,
		reports.WithSnapshots(snapshots, snapshotInterval))
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Run(runCtx) }()
	thresholds := programme.DefaultThresholds()
	if cfg.Thresholds != nil {
		thresholds = *cfg.Thresholds
	}
	handler := gateway.New(gateway.Config{
		Services: []gateway.Routable{
			projects.New(x), stakeholders.New(x, keys), engagements.New(x, engagements.WithSealer(keys)), feedback.New(x, feedback.WithKeyring(keys)), actions.New(x),
			reports.NewService(runner, thresholds, cfg.Now),
			audit.NewService(client),
		},
		Events: client,
		Ready: map[string]gateway.Check{
			"nats": func(context.Context) error {
				if !s.nc.IsConnected() {
					return errors.New("not connected")
				}
				return nil
			},
			"store":       func(ctx context.Context) error { _, err := client.Head(ctx); return err },
			"projections": func(context.Context) error { return runner.Stalled() },
		},
		Gatherer: reg, Registerer: reg,
		Logger: log.With().Str("component", "http").Logger(),
	})
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	go func() {
		err := s.http.Serve(s.listener)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		cancel()
		if rerr := <-recDone; err == nil {
			err = rerr
		}
		if rerr := <-runDone; err == nil {
			err = rerr
		}
		s.done <- err
	}()
	return s, nil
}

func waitForRecorder(ctx context.Context, c *recorder.Client, recDone <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.Head(ctx)
		if err == nil {
			return nil
		}
		select {
		case rerr := <-recDone:
			return fmt.Errorf("recorder stopped: %w", rerr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("recorder not ready: %w", err)
		}
	}
}

// URL is the base URL of the API.
func (s *Stack) URL() string { return "http://" + s.listener.Addr().String() }

// NATSURL is where other processes reach the embedded NATS, if it listens.
func (s *Stack) NATSURL() string { return s.ns.ClientURL() }

// Done is closed with the stack's fatal error, or nil after Shutdown.
func (s *Stack) Done() <-chan error { return s.done }

// Shutdown stops taking requests, lets those in flight finish (until ctx
// ends), stops the recorder and NATS. Later calls return the first
// call's result.
func (s *Stack) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.shutdownErr = s.http.Shutdown(ctx)
		if err := <-s.done; s.shutdownErr == nil {
			s.shutdownErr = err
		}
		s.close()
	})
	return s.shutdownErr
}

func (s *Stack) close() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
	}
	if s.listener != nil {
		s.listener.Close()
	}
	if s.lock != nil {
		s.lock.Close()
	}
}
