// Package app is together's one composition root: it knows every part of
// the system — the recorder, the five command services, the reports — how
// to build each from the same constructors, timeouts, readiness checks and
// metrics, and in which order to start and stop them. together serve runs
// every part in one process on an embedded nats-server; together recorder,
// together service NAME and together reports run one part each against an
// external NATS. Both are [Start] with a different [Config].
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/services/internal/actions"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
	"github.com/together-coop/together/services/internal/gateway"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/kurrent"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/openapi"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// Part is one part of together that a process can run.
type Part string

// The parts of together.
const (
	// Recorder holds the event store and answers everyone else over NATS.
	Recorder Part = "recorder"
	// The command services, one per aggregate.
	Projects     Part = "projects"
	Stakeholders Part = "stakeholders"
	Engagements  Part = "engagements"
	Feedback     Part = "feedback"
	Actions      Part = "actions"
	// Reports follows the history and serves the reports, the audit log
	// and the verification of the hash chains.
	Reports Part = "reports"
)

// AllParts lists every part, in the order they start.
func AllParts() []Part {
	return []Part{Recorder, Projects, Stakeholders, Engagements, Feedback, Actions, Reports}
}

// CommandParts lists the command services.
func CommandParts() []Part {
	return []Part{Projects, Stakeholders, Engagements, Feedback, Actions}
}

// Stores the recorder can hold.
const (
	StoreJetStream = "jetstream"
	StoreKurrentDB = "kurrentdb"
)

// Timeouts every process shares.
const (
	// recorderTimeout bounds a call to the recorder whose context has no
	// deadline of its own.
	recorderTimeout = 10 * time.Second
	// snapshotInterval is how often, at most, the reports save a snapshot
	// of their ledger while events arrive (and always on a clean stop).
	snapshotInterval = 5 * time.Minute
	// stopTimeout bounds each part's stop.
	stopTimeout = 30 * time.Second
)

// NATS says how a process reaches an external NATS server.
type NATS struct {
	URL                              string
	CredsFile, User, Password, Token string
}

// Config configures a process. Exactly one of DataDir (an embedded NATS
// server storing under it) and NATS.URL (an external server) is set.
type Config struct {
	// Parts are what this process runs; see [AllParts].
	Parts []Part
	// DataDir holds everything an embedded process stores.
	DataDir string
	// NATSListen lets other processes reach the embedded NATS; empty
	// keeps it in-process only.
	NATSListen string
	// NATS is the external server, for a process that runs parts alone.
	NATS NATS
	// Store is what the recorder part keeps the events in: StoreJetStream
	// (the default) or StoreKurrentDB at KurrentURL.
	Store      string
	KurrentURL string
	// Replicas of the JetStream streams and buckets this process creates:
	// 1, or 3 on a cluster.
	Replicas int
	// HTTPAddr is where the API, /metrics, /healthz and /readyz listen
	// (port 0 picks a free one).
	HTTPAddr string
	// Thresholds set the programme view's red, amber and green.
	Thresholds programme.Thresholds
	// ExactReports says which requests may see reports' exact counts;
	// nil means none: every report is published with small numbers
	// suppressed.
	ExactReports func(*http.Request) bool
	Logger       zerolog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Store == "" {
		c.Store = StoreJetStream
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Thresholds == (programme.Thresholds{}) {
		c.Thresholds = programme.DefaultThresholds()
	}
}

// Validate fills in the defaults and reports what is wrong with a
// configuration, in words an operator can act on.
func (c *Config) Validate() error {
	c.setDefaults()
	if len(c.Parts) == 0 {
		return errors.New("no parts to run")
	}
	for _, p := range c.Parts {
		if !slices.Contains(AllParts(), p) {
			return fmt.Errorf("unknown part %q; want one of %v", p, AllParts())
		}
	}
	switch {
	case c.DataDir == "" && c.NATS.URL == "":
		return errors.New("give a data directory (embedded NATS) or a NATS URL")
	case c.DataDir != "" && c.NATS.URL != "":
		return errors.New("give a data directory or a NATS URL, not both")
	case c.NATS.URL != "" && c.NATSListen != "":
		return errors.New("only an embedded NATS listens; drop the listen address")
	}
	switch c.Store {
	case StoreJetStream:
	case StoreKurrentDB:
		if c.KurrentURL == "" {
			return errors.New("the kurrentdb store needs a KurrentDB URL")
		}
	default:
		return fmt.Errorf("store %q: want %s or %s", c.Store, StoreJetStream, StoreKurrentDB)
	}
	if c.Replicas != 1 && c.Replicas != 3 {
		return fmt.Errorf("%d replicas: want 1, or 3 on a cluster", c.Replicas)
	}
	return nil
}

func (c *Config) runs(p Part) bool { return slices.Contains(c.Parts, p) }

// App is a running process. Stop it with Shutdown.
type App struct {
	cfg      Config
	log      zerolog.Logger
	reg      *prometheus.Registry
	lock     *os.File
	ns       *embednats.Server
	nc       *nats.Conn
	listener net.Listener
	http     *http.Server
	// loops run in start order; they stop in reverse.
	loops   []*loop
	closers []func()
	done    chan error

	shutdownOnce sync.Once
	shutdownErr  error
}

// loop is a part that runs until its context ends.
type loop struct {
	name   string
	cancel context.CancelFunc
	done   chan error
}

// Start starts the configured parts and returns once every one is ready
// and the HTTP server accepts requests.
func Start(ctx context.Context, cfg Config) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: cfg.Logger, done: make(chan error, 1)}
	defer func() {
		if err != nil {
			a.stopLoops()
			a.close()
		}
	}()
	a.reg = prometheus.NewRegistry()
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Take the port before touching the data, so a busy port fails fast.
	if a.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if err := a.connect(); err != nil {
		return nil, err
	}
	registry := catalogue.New()
	ready := map[string]gateway.Check{"nats": natsReady(a.nc)}
	var routes []gateway.Routable

	if cfg.runs(Recorder) {
		store, err := a.openStore(ctx)
		if err != nil {
			return nil, err
		}
		rec, err := recorder.New(a.nc, store, registry,
			recorder.WithLogger(a.component("recorder")), recorder.WithClock(cfg.Now),
			recorder.WithMetrics(a.reg, cfg.Store))
		if err != nil {
			return nil, err
		}
		l := a.run(ctx, "recorder", rec.Run)
		select {
		case <-rec.Ready():
		case err := <-l.done:
			return nil, fmt.Errorf("recorder stopped while starting: %w", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		ready["store"] = func(ctx context.Context) error { _, err := store.Head(ctx); return err }
	}

	client := recorder.NewClient(a.nc, recorderTimeout)
	if slices.ContainsFunc(cfg.Parts, func(p Part) bool { return p != Recorder }) {
		ready["recorder"] = func(ctx context.Context) error { _, err := client.Head(ctx); return err }
	}
	if slices.ContainsFunc(CommandParts(), cfg.runs) {
		services, err := a.commandServices(ctx, client, registry)
		if err != nil {
			return nil, err
		}
		routes = append(routes, services...)
	}
	var events gateway.EventReader
	if cfg.runs(Reports) {
		js, err := jetstream.New(a.nc)
		if err != nil {
			return nil, err
		}
		snapshots, err := reports.NewObjectStoreSnapshots(ctx, js, cfg.Replicas)
		if err != nil {
			return nil, err
		}
		runner := reports.NewRunner(client, registry, a.component("projections"), a.reg,
			reports.WithSnapshots(snapshots, snapshotInterval))
		a.run(ctx, "projections", runner.Run)
		opts := []reports.Option{reports.WithThresholds(cfg.Thresholds), reports.WithClock(cfg.Now)}
		if cfg.ExactReports != nil {
			opts = append(opts, reports.WithExactCounts(cfg.ExactReports))
		}
		svc, err := reports.New(runner, opts...)
		if err != nil {
			return nil, err
		}
		reads, err := browse.New(runner, browse.WithClock(cfg.Now))
		if err != nil {
			return nil, err
		}
		routes = append(routes, svc, reads, openapi.NewService(), audit.NewService(client))
		events = client
		ready["projections"] = func(context.Context) error { return runner.Stalled() }
	}

	handler := gateway.New(gateway.Config{
		Services: routes, Events: events, Ready: ready,
		Gatherer: a.reg, Registerer: a.reg, Logger: a.component("http"),
	})
	a.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	go a.serve()
	return a, nil
}

func (a *App) component(name string) zerolog.Logger {
	return a.log.With().Str("component", name).Logger()
}

// connect starts the embedded NATS server, or reaches the external one,
// and counts reconnects either way.
func (a *App) connect() error {
	reconnects := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "together_nats_reconnects_total",
		Help: "Times the connection to NATS was re-established.",
	})
	a.reg.MustRegister(reconnects)
	log := a.component("nats")
	opts := []nats.Option{
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn().Err(err).Msg("disconnected from NATS")
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			reconnects.Inc()
			log.Info().Str("url", c.ConnectedUrlRedacted()).Msg("reconnected to NATS")
		}),
	}
	name := "together"
	if len(a.cfg.Parts) == 1 {
		name += "-" + string(a.cfg.Parts[0])
	}
	if a.cfg.DataDir != "" {
		var err error
		if a.lock, err = lockDataDir(a.cfg.DataDir); err != nil {
			return err
		}
		if a.ns, err = embednats.Start(embednats.Config{StoreDir: filepath.Join(a.cfg.DataDir, "nats"), Listen: a.cfg.NATSListen}); err != nil {
			return err
		}
		if a.nc, err = a.ns.Connect(name, opts...); err != nil {
			return err
		}
		return nil
	}
	n := a.cfg.NATS
	opts = append(opts, nats.Name(name))
	switch {
	case n.CredsFile != "":
		opts = append(opts, nats.UserCredentials(n.CredsFile))
	case n.User != "":
		opts = append(opts, nats.UserInfo(n.User, n.Password))
	case n.Token != "":
		opts = append(opts, nats.Token(n.Token))
	}
	nc, err := nats.Connect(n.URL, opts...)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", n.URL, err)
	}
	a.nc = nc
	return nil
}

// openStore opens the recorder's store.
func (a *App) openStore(ctx context.Context) (events.Store, error) {
	if a.cfg.Store == StoreKurrentDB {
		s, err := kurrent.New(a.cfg.KurrentURL)
		if err != nil {
			return nil, fmt.Errorf("open the KurrentDB store: %w", err)
		}
		a.closers = append(a.closers, func() { _ = s.Close() })
		return s, nil
	}
	s, err := natsjs.New(ctx, a.nc, natsjs.WithReplicas(a.cfg.Replicas))
	if err != nil {
		return nil, fmt.Errorf("open the JetStream store: %w", err)
	}
	return s, nil
}

// commandServices builds the configured command services on one executor.
func (a *App) commandServices(ctx context.Context, client *recorder.Client, registry *events.Registry) ([]gateway.Routable, error) {
	x, err := command.NewExecutor(client, registry, command.WithClock(a.cfg.Now), command.WithMetrics(a.reg))
	if err != nil {
		return nil, err
	}
	var out []gateway.Routable
	for _, p := range CommandParts() {
		if !a.cfg.runs(p) {
			continue
		}
		switch p {
		case Projects:
			out = append(out, projects.New(x))
		case Stakeholders:
			js, err := jetstream.New(a.nc)
			if err != nil {
				return nil, err
			}
			keys, err := keyring.New(ctx, js, a.cfg.Replicas)
			if err != nil {
				return nil, fmt.Errorf("open the key store: %w", err)
			}
			out = append(out, stakeholders.New(x, keys))
		case Engagements:
			out = append(out, engagements.New(x))
		case Feedback:
			out = append(out, feedback.New(x))
		case Actions:
			out = append(out, actions.New(x))
		}
	}
	return out, nil
}

// run starts a part that runs until its context ends.
func (a *App) run(ctx context.Context, name string, run func(context.Context) error) *loop {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &loop{name: name, cancel: cancel, done: make(chan error, 1)}
	a.loops = append(a.loops, l)
	go func() {
		err := run(lctx)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
		}
		l.done <- err
		// A part that stops by itself stops the process.
		if lctx.Err() == nil {
			select {
			case a.done <- err:
			default:
			}
		}
	}()
	return l
}

func (a *App) serve() {
	err := a.http.Serve(a.listener)
	if errors.Is(err, http.ErrServerClosed) {
		return
	}
	select {
	case a.done <- fmt.Errorf("http: %w", err):
	default:
	}
}

// URL is the base URL of the HTTP server.
func (a *App) URL() string { return "http://" + a.listener.Addr().String() }

// NATSURL is where other processes reach the embedded NATS, if it listens.
func (a *App) NATSURL() string {
	if a.ns == nil {
		return ""
	}
	return a.ns.ClientURL()
}

// Done yields the error of a part that stopped by itself: the process
// should then shut down.
func (a *App) Done() <-chan error { return a.done }

// Shutdown stops taking requests, lets those in flight finish (until ctx
// ends), stops the parts in the reverse of their start order, and closes
// NATS and the store. Later calls return the first call's result.
func (a *App) Shutdown(ctx context.Context) error {
	a.shutdownOnce.Do(func() {
		a.shutdownErr = a.http.Shutdown(ctx)
		if err := a.stopLoops(); a.shutdownErr == nil {
			a.shutdownErr = err
		}
		a.close()
	})
	return a.shutdownErr
}

func (a *App) stopLoops() error {
	var errs []error
	for i := len(a.loops) - 1; i >= 0; i-- {
		l := a.loops[i]
		l.cancel()
		select {
		case err := <-l.done:
			errs = append(errs, err)
		case <-time.After(stopTimeout):
			errs = append(errs, fmt.Errorf("%s did not stop within %s", l.name, stopTimeout))
		}
	}
	a.loops = nil
	return errors.Join(errs...)
}

func (a *App) close() {
	for _, c := range a.closers {
		c()
	}
	if a.nc != nil {
		_ = a.nc.Flush()
		a.nc.Close()
	}
	if a.ns != nil {
		a.ns.Shutdown()
	}
	if a.listener != nil {
		a.listener.Close()
	}
	if a.lock != nil {
		a.lock.Close()
	}
}

func natsReady(nc *nats.Conn) gateway.Check {
	return func(context.Context) error {
		if !nc.IsConnected() {
			return fmt.Errorf("not connected (%s)", nc.Status())
		}
		return nil
	}
}
