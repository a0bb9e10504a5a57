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
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/projections/representativeness"
	"github.com/together-coop/together/services/internal/actions"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/browse"
	"github.com/together-coop/together/services/internal/busauth"
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
	"github.com/together-coop/together/services/internal/web"
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
	// CAFile is the PEM file of the CA that signed the server's
	// certificate, for a tls:// URL.
	CAFile string
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
	// TLSCert and TLSKey make the HTTP server answer over TLS.
	TLSCert, TLSKey string
	// TrustedProxies are the addresses of a TLS-terminating proxy in front
	// of the server: with one, the server may listen beyond loopback in
	// plain HTTP, takes requests from the proxy and loopback only, and
	// marks its cookies Secure.
	TrustedProxies []netip.Prefix
	// AllowedHosts are the host names requests may address; default the
	// loopback names and the host of HTTPAddr.
	AllowedHosts []string
	// OpenProbes lets anyone read /readyz and /metrics, for probes and
	// scrapers that cannot sign in.
	OpenProbes bool
	// HeavyReads bounds each identity's reads of the whole history;
	// default gateway.DefaultHeavyReads.
	HeavyReads gateway.HeavyReads
	// Location is the programmes' time zone, in which dates, windows and
	// day counts are taken; default Europe/London.
	Location *time.Location
	// Baseline is the population the representativeness report compares
	// participants with; none by default.
	Baseline *representativeness.Baseline
	// OIDC, if set, lets people sign in with an organisation's identity
	// provider.
	OIDC *auth.OIDCConfig
	// NATSPasswords are the passwords of the embedded server's users,
	// needed by processes that connect to NATSListen; nil makes random
	// ones for this run.
	NATSPasswords busauth.Passwords
	// NATSTLSCert and NATSTLSKey make the embedded server require TLS of
	// clients connecting to NATSListen.
	NATSTLSCert, NATSTLSKey string
	// KEK is the key-encryption key, from a key file kept apart from the
	// data (keyring.LoadOrCreateKeyFile). Parts that seal or open personal
	// data, and the reports (whose snapshot it signs), need it.
	KEK    keyring.KEK
	Logger zerolog.Logger
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
	// The stakeholders keep the keys (the others seal through them) and
	// the reports sign their snapshot.
	if c.KEK.IsZero() && slices.ContainsFunc(c.Parts, func(p Part) bool { return p == Stakeholders || p == Reports }) {
		return errors.New("no key-encryption key: give a key file")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS needs both a certificate and a key")
	}
	host, _, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP address %q: %w", c.HTTPAddr, err)
	}
	if !loopback(host) && c.TLSCert == "" && len(c.TrustedProxies) == 0 {
		return fmt.Errorf("refusing to serve personal data in plain HTTP on %s: give a TLS certificate and key, or the address of the TLS-terminating proxy in front (trusted proxy)", c.HTTPAddr)
	}
	if len(c.AllowedHosts) == 0 {
		c.AllowedHosts = []string{"localhost", "127.0.0.1", "::1"}
		if ip, err := netip.ParseAddr(host); host != "" && (err != nil || !ip.IsUnspecified()) {
			c.AllowedHosts = append(c.AllowedHosts, strings.ToLower(host))
		}
	}
	return nil
}

// loopback reports whether host names only this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func (c *Config) runs(p Part) bool { return slices.Contains(c.Parts, p) }

// App is a running process. Stop it with Shutdown.
type App struct {
	cfg      Config
	log      zerolog.Logger
	reg      *prometheus.Registry
	lock     *os.File
	ns       *embednats.Server
	listener net.Listener
	http     *http.Server
	auth     *auth.Service
	natsOpts []nats.Option
	// conns are the embedded server's connections, one per role; external
	// is the one connection to an external server.
	conns    map[busauth.Role]*nats.Conn
	external *nats.Conn
	// history is the embedded server's in-process reader of the event
	// stream, for the reports of this process; nil on an external server.
	history *nats.Conn
	// people is what the stakeholders service decides with, when this
	// process runs it: certificates name people.
	people *people
	// loops run in start order; they stop in reverse.
	loops   []*loop
	closers []func()
	done    chan error

	shutdownOnce sync.Once
	shutdownErr  error
}

// people is the stakeholders' executor and keys, and the declarations
// of demographics opened for the representativeness report.
type people struct {
	x      *command.Executor
	keys   *keyring.Keyring
	opened *keyring.Kept[stakeholder.Demographics]
	log    zerolog.Logger
}

// newPeople returns the people of x and keys, none of whose declarations
// is opened yet.
func newPeople(x *command.Executor, keys *keyring.Keyring, log zerolog.Logger) *people {
	return &people{x: x, keys: keys, log: log, opened: keyring.NewKept(keys, func(plain []byte) (stakeholder.Demographics, bool) {
		var d stakeholder.Demographics
		return d, json.Unmarshal(plain, &d) == nil
	})}
}

// demographicsTimeout bounds opening the answers of everyone a report
// counts.
const demographicsTimeout = 10 * time.Second

// demographics opens people's sealed answers, for the representativeness
// report (a representativeness.Opener); an erased person's stay shut.
// Should the keys not be read, nobody's are opened, and the report counts
// everyone as not recorded, as it would with no keys at all.
func (p *people) demographics(sealed map[string]stakeholder.Sealed) map[string]stakeholder.Demographics {
	ctx, cancel := context.WithTimeout(context.Background(), demographicsTimeout)
	defer cancel()
	opened, err := p.opened.OpenMany(ctx, sealed)
	if err != nil {
		p.log.Warn().Err(err).Int("people", len(sealed)).Msg("demographics not opened: the keys could not be read")
		return nil
	}
	return opened
}

// keysRevision reads the revision of the keys demographics are opened
// with (report.Config.KeysRevision); false when it cannot be read.
func (p *people) keysRevision() (uint64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), demographicsTimeout)
	defer cancel()
	rev, err := p.opened.Revision(ctx)
	return rev, err == nil
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
	ready := map[string]gateway.Check{}
	var routes []gateway.Routable

	// The command services in this process reach the recorder directly
	// when it runs here too, and over NATS otherwise.
	var recorderHere *recorder.Local
	if cfg.runs(Recorder) {
		nc, err := a.conn(busauth.Recorder)
		if err != nil {
			return nil, err
		}
		store, err := a.openStore(ctx, nc)
		if err != nil {
			return nil, err
		}
		rec, err := recorder.New(nc, store, registry,
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
		recorderHere = rec.Local()
	}

	// The identities live with the reports, the front door people sign
	// in at; a process without the reports asks them over NATS.
	var authn gateway.Authenticator
	if a.external == nil || cfg.runs(Reports) {
		reportsConn, err := a.conn(busauth.Reports)
		if err != nil {
			return nil, err
		}
		if a.auth, err = a.identities(ctx, reportsConn); err != nil {
			return nil, err
		}
		authn = a.auth
		a.run(ctx, "identities' records", a.auth.WatchRecords)
		l := a.run(ctx, "identities", func(ctx context.Context) error { return a.auth.ServeNATS(ctx, reportsConn) })
		select {
		case <-a.auth.Ready():
		case err := <-l.done:
			return nil, fmt.Errorf("identities stopped while starting: %w", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else {
		remote, err := auth.NewRemote(a.external, auth.WithLogger(a.component("auth")), auth.WithMetrics(a.reg),
			auth.WithSecureCookies(cfg.TLSCert != "" || len(cfg.TrustedProxies) > 0))
		if err != nil {
			return nil, err
		}
		authn = remote
	}

	// The projection starts before the command services, whose start
	// (the stakeholders' reconciliation of erased keys) reads the
	// history too: a cold start overlaps the two.
	var runner *reports.Runner
	var client *recorder.Client
	if cfg.runs(Reports) {
		if runner, client, err = a.startProjection(ctx, registry); err != nil {
			return nil, err
		}
	}

	// commandRoutes are the command services' routes on their own, for
	// the web forms to run in process.
	var commandRoutes *http.ServeMux
	if slices.ContainsFunc(CommandParts(), cfg.runs) {
		services, err := a.commandServices(ctx, registry, recorderHere)
		if err != nil {
			return nil, err
		}
		routes = append(routes, services...)
		commandRoutes = http.NewServeMux()
		for _, s := range services {
			s.Routes(commandRoutes)
		}
	}
	var events gateway.EventReader
	if cfg.runs(Reports) {
		reportOpts := []reports.Option{reports.WithThresholds(cfg.Thresholds), reports.WithClock(cfg.Now)}
		if cfg.Location != nil {
			reportOpts = append(reportOpts, reports.WithLocation(cfg.Location))
		}
		if cfg.Baseline != nil {
			reportOpts = append(reportOpts, reports.WithBaseline(*cfg.Baseline))
		}
		if a.people != nil {
			// The representativeness report counts declared answers: in one
			// process with the stakeholders' keys they can be opened (an
			// erased person's never again); a reports process alone shows
			// them as not recorded.
			reportOpts = append(reportOpts, reports.WithDemographics(a.people.demographics, a.people.keysRevision))
		}
		svc, err := reports.New(runner, append(reportOpts, reports.WithReportMetrics(a.reg),
			// Exact counts only for those allowed personal data; everyone
			// else sees small numbers suppressed.
			reports.WithExactCounts(func(r *http.Request) bool {
				id, ok := auth.FromContext(r.Context())
				return ok && id.Can(auth.ReadPersonalData)
			}))...)
		if err != nil {
			return nil, err
		}
		readOpts := []browse.Option{browse.WithClock(cfg.Now)}
		if cfg.Location != nil {
			readOpts = append(readOpts, browse.WithLocation(cfg.Location))
		}
		reads, err := browse.New(runner, readOpts...)
		if err != nil {
			return nil, err
		}
		// The web pages compute their figures through the reports API, as
		// the caller (so suppressed where the caller may not see exact
		// counts).
		reportRoutes, readRoutes, auditRoutes := http.NewServeMux(), http.NewServeMux(), http.NewServeMux()
		svc.Routes(reportRoutes)
		reads.Routes(readRoutes)
		auditSvc := audit.NewService(client)
		auditSvc.Routes(auditRoutes)
		siteOpts := []web.Option{web.WithActions(projectActions{runner}), web.WithReads(readRoutes), web.WithAudit(auditRoutes),
			web.WithAccount(account), web.WithLogger(a.component("web")), web.WithClock(cfg.Now)}
		if cfg.Location != nil {
			siteOpts = append(siteOpts, web.WithLocation(cfg.Location))
		}
		// The annual pack reads the whole ledger, with the reports'
		// thresholds, baseline and demographics.
		packs := annualPacks{runner: runner, now: cfg.Now, loc: cfg.Location, config: report.DefaultConfig()}
		packs.config.Thresholds = cfg.Thresholds
		if cfg.Baseline != nil {
			packs.config.Baseline = *cfg.Baseline
		}
		if a.people != nil {
			packs.config.Demographics = a.people.demographics
		}
		siteOpts = append(siteOpts, web.WithPacks(packs))
		if commandRoutes != nil {
			// The forms record through the command services of this
			// process; a reports process alone shows what was recorded.
			siteOpts = append(siteOpts, web.WithCommands(commandRoutes))
		}
		site, err := web.New(web.HandlerReports(reportRoutes), siteOpts...)
		if err != nil {
			return nil, err
		}
		imports, err := a.importPages(site, append(slices.Clone(routes), reads))
		if err != nil {
			return nil, err
		}
		if imports != nil {
			routes = append(routes, imports)
		}
		// Sign-in and the administration of identities are served where
		// the reports are.
		routes = append(routes, svc, reads, openapi.NewService(), auditSvc, site, a.auth)
		// Certificates need both the person's name (the stakeholders'
		// keys) and what they took part in (the reports' ledger): served
		// where a process has both.
		if a.people != nil {
			certs, err := stakeholders.NewCertificates(a.people.x, a.people.keys, stakeholders.LedgerAttendance(runner.Read),
				stakeholders.WithCertificateClock(cfg.Now), stakeholders.WithCertificateLogger(a.component("certificates")))
			if err != nil {
				return nil, err
			}
			routes = append(routes, certs)
		}
		events = client
		ready["projections"] = func(context.Context) error { return runner.CaughtUp() }
	}
	for role, nc := range a.conns {
		ready["nats_"+string(role)] = natsReady(nc)
	}
	if a.history != nil {
		ready["nats_history"] = natsReady(a.history)
	}
	if a.ns != nil {
		// The embedded server's disk: full, writes are refused until
		// space is freed (see embednats.Server.Health).
		ready["nats_storage"] = func(context.Context) error { return a.ns.Health() }
	}
	if !cfg.runs(Recorder) {
		client := recorder.NewClient(a.anyConn(), recorderTimeout)
		ready["recorder"] = func(ctx context.Context) error { _, err := client.Head(ctx); return err }
	}

	handler := gateway.New(gateway.Config{
		Services: routes, Events: events, Ready: ready,
		Auth: authn, Policy: Policy(cfg.OpenProbes),
		AllowedHosts: cfg.AllowedHosts, TLS: cfg.TLSCert != "", TrustedProxies: cfg.TrustedProxies,
		HeavyReads: cfg.HeavyReads,
		Gatherer:   a.reg, Registerer: a.reg, Logger: a.component("http"),
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
	if runner != nil {
		a.run(ctx, "release", func(ctx context.Context) error {
			releaseAfterStart(ctx, runner)
			return nil
		})
	}
	return a, nil
}

// releaseAfterStart hands the memory the start took back to the system
// once the reports hold everything recorded before it, then waits for ctx.
// Rebuilding the reports decodes every event of the history, and
// restoring a snapshot decodes all of it at once: either leaves the heap
// several times what the reports keep, and the collector would return
// that to the system only slowly. A single collection and release then
// costs a fraction of a second, once.
func releaseAfterStart(ctx context.Context, runner *reports.Runner) {
	if runner.WaitFor(ctx, 0) == nil {
		debug.FreeOSMemory()
	}
	<-ctx.Done()
}

func (a *App) component(name string) zerolog.Logger {
	return a.log.With().Str("component", name).Logger()
}

// connect starts the embedded NATS server, or reaches the external one.
// Every connection counts its reconnects.
func (a *App) connect() error {
	reconnects := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "together_nats_reconnects_total",
		Help: "Times a connection to NATS was re-established.",
	})
	a.reg.MustRegister(reconnects)
	log := a.component("nats")
	a.natsOpts = []nats.Option{
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
	a.conns = map[busauth.Role]*nats.Conn{}
	if a.cfg.DataDir != "" {
		var err error
		if a.lock, err = lockDataDir(a.cfg.DataDir); err != nil {
			return err
		}
		ec := a.cfg.embedded()
		ec.Logger = a.component("nats-server")
		a.ns, err = embednats.Start(ec)
		return err
	}
	// A process of the production shape runs one part, as that part's
	// NATS user.
	n := a.cfg.NATS
	opts := append(a.natsOpts, nats.Name("together-"+string(a.cfg.Parts[0])))
	switch {
	case n.CredsFile != "":
		opts = append(opts, nats.UserCredentials(n.CredsFile))
	case n.User != "":
		opts = append(opts, nats.UserInfo(n.User, n.Password))
	case n.Token != "":
		opts = append(opts, nats.Token(n.Token))
	}
	if n.CAFile != "" {
		opts = append(opts, nats.RootCAs(n.CAFile))
	}
	nc, err := nats.Connect(n.URL, opts...)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", n.URL, err)
	}
	a.external = nc
	return nil
}

// conn returns the connection a part uses: on the embedded server one per
// role, each with only that role's permissions; on an external server the
// process's one connection.
func (a *App) conn(role busauth.Role) (*nats.Conn, error) {
	if a.external != nil {
		a.conns[busauth.Role(a.cfg.Parts[0])] = a.external
		return a.external, nil
	}
	if nc, ok := a.conns[role]; ok {
		return nc, nil
	}
	nc, err := a.ns.ConnectAs(role, a.natsOpts...)
	if err != nil {
		return nil, err
	}
	a.conns[role] = nc
	return nc, nil
}

// anyConn returns a connection of this process.
func (a *App) anyConn() *nats.Conn {
	for _, nc := range a.conns {
		return nc
	}
	return a.external
}

// embedded is the configuration of the embedded NATS server: JetStream
// under the data directory, encrypted at rest under a key derived from
// the key-encryption key.
func (c *Config) embedded() embednats.Config {
	ec := embednats.Config{StoreDir: filepath.Join(c.DataDir, "nats"), Listen: c.NATSListen, Passwords: c.NATSPasswords,
		TLSCertFile: c.NATSTLSCert, TLSKeyFile: c.NATSTLSKey}
	if !c.KEK.IsZero() {
		ec.StoreKey = c.KEK.Derive(keyring.PurposeNATSStore)
	}
	return ec
}

// startProjection starts the reports' runner on the history, read from
// the event stream or through the recorder (historySource), resuming from
// its snapshot; client is the recorder's, for the audit reads.
func (a *App) startProjection(ctx context.Context, registry *events.Registry) (*reports.Runner, *recorder.Client, error) {
	reportsConn, err := a.conn(busauth.Reports)
	if err != nil {
		return nil, nil, err
	}
	client := recorder.NewClient(reportsConn, recorderTimeout)
	historyConn, apiPrefix := reportsConn, busauth.RecorderAPIPrefix
	if a.ns != nil {
		// The event stream is on this process's server: read it in its
		// own account. Through the reports account's import, the server
		// copies every message of every page once more as it crosses,
		// a fifth of a rebuild's CPU.
		if a.history, err = a.ns.ConnectHistoryReader(a.natsOpts...); err != nil {
			return nil, nil, err
		}
		historyConn, apiPrefix = a.history, "$JS.API"
	}
	stream, err := natsjs.NewReader(historyConn, natsjs.ReaderConfig{
		APIPrefix: apiPrefix, Stream: busauth.EventStream,
		Announcements: busauth.SubjectAppended, Timeout: recorderTimeout, ContentOnly: true,
	})
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(reportsConn)
	if err != nil {
		return nil, nil, err
	}
	snapshots, err := reports.NewObjectStoreSnapshots(ctx, js, a.cfg.KEK.Derive(keyring.PurposeSnapshotMAC), a.cfg.Replicas)
	if err != nil {
		return nil, nil, err
	}
	runner, err := reports.NewRunner(historySource{stream: stream, recorder: client}, registry,
		reports.WithLogger(a.component("projections")), reports.WithMetrics(a.reg), reports.WithSnapshots(snapshots, snapshotInterval))
	if err != nil {
		return nil, nil, err
	}
	a.run(ctx, "projections", runner.Run)
	return runner, client, nil
}

// openStore opens the recorder's store.
func (a *App) openStore(ctx context.Context, nc *nats.Conn) (events.Store, error) {
	if a.cfg.Store == StoreKurrentDB {
		s, err := kurrent.New(a.cfg.KurrentURL)
		if err != nil {
			return nil, fmt.Errorf("open the KurrentDB store: %w", err)
		}
		a.closers = append(a.closers, func() { _ = s.Close() })
		return s, nil
	}
	opts := []natsjs.Option{natsjs.WithReplicas(a.cfg.Replicas)}
	if a.ns != nil {
		// A full disk refuses appends at once, saying so, rather than
		// each waiting out its timeout.
		opts = append(opts, natsjs.WithStorageCheck(a.ns.Health))
	}
	s, err := natsjs.New(ctx, nc, opts...)
	if err != nil {
		return nil, fmt.Errorf("open the JetStream store: %w", err)
	}
	return s, nil
}

// commandServices builds the configured command services, each on its
// own connection (its role's permissions) with its own executor, which
// appends and loads through here, the recorder of this process, unless
// it is nil.
func (a *App) commandServices(ctx context.Context, registry *events.Registry, here *recorder.Local) ([]gateway.Routable, error) {
	// The key stream is the stakeholders'. In a process with access to
	// it the services that seal for a person share it, and the
	// stakeholders serve it to engagements and feedback processes of
	// their own, which seal through that service.
	var keys *keyring.Keyring
	var sealer interface {
		engagements.Sealer
		feedback.Keyring
	}
	sealing := slices.ContainsFunc([]Part{Engagements, Feedback}, a.cfg.runs)
	if a.cfg.runs(Stakeholders) || (sealing && a.external == nil) {
		nc, err := a.conn(busauth.Stakeholders)
		if err != nil {
			return nil, err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, err
		}
		keys, err = keyring.New(ctx, js, a.cfg.KEK, keyring.WithReplicas(a.cfg.Replicas), keyring.WithLogger(a.component("keyring")),
			keyring.WithMetrics(a.reg))
		if err != nil {
			return nil, fmt.Errorf("open the key store: %w", err)
		}
		sealer = keys
		if a.cfg.runs(Stakeholders) {
			l := a.run(ctx, "keys", func(ctx context.Context) error { return keys.ServeNATS(ctx, nc) })
			select {
			case <-keys.Ready():
			case err := <-l.done:
				return nil, fmt.Errorf("keys service stopped while starting: %w", err)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	} else if sealing {
		remote, err := keyring.NewRemote(a.external, keyring.WithMetrics(a.reg))
		if err != nil {
			return nil, err
		}
		sealer = remote
	}
	var out []gateway.Routable
	for _, p := range CommandParts() {
		if !a.cfg.runs(p) {
			continue
		}
		nc, err := a.conn(busauth.Role(p))
		if err != nil {
			return nil, err
		}
		client := recorder.NewClient(nc, recorderTimeout)
		var store command.Store = client
		if here != nil {
			store = here
		}
		x, err := command.NewExecutor(store, registry, command.WithClock(a.cfg.Now), command.WithMetrics(a.reg))
		if err != nil {
			return nil, err
		}
		switch p {
		case Projects:
			out = append(out, projects.New(x))
		case Stakeholders:
			// No erased person's key outlives a crash between destroying
			// it and recording the erasure, or a restored backup.
			if _, err := keys.ReconcileHistory(ctx, client); err != nil {
				return nil, fmt.Errorf("destroy the keys of erased stakeholders: %w", err)
			}
			out = append(out, stakeholders.New(x, keys))
			a.people = newPeople(x, keys, a.component("demographics"))
		case Engagements:
			out = append(out, engagements.New(x, engagements.WithSealer(sealer)))
		case Feedback:
			out = append(out, feedback.New(x, feedback.WithKeyring(sealer)))
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
	var err error
	if a.cfg.TLSCert != "" {
		err = a.http.ServeTLS(a.listener, a.cfg.TLSCert, a.cfg.TLSKey)
	} else {
		err = a.http.Serve(a.listener)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return
	}
	select {
	case a.done <- fmt.Errorf("http: %w", err):
	default:
	}
}

// URL is the base URL of the HTTP server.
func (a *App) URL() string {
	if a.cfg.TLSCert != "" {
		return "https://" + a.listener.Addr().String()
	}
	return "http://" + a.listener.Addr().String()
}

// identities opens the shared store of tokens, accounts and sessions.
func (a *App) identities(ctx context.Context, nc *nats.Conn) (*auth.Service, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	stores, err := auth.JetStreamStores(ctx, js, a.cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("open the identities: %w", err)
	}
	opts := []auth.Option{
		auth.WithLogger(a.component("auth")), auth.WithMetrics(a.reg), auth.WithClock(a.cfg.Now),
		auth.WithSecureCookies(a.cfg.TLSCert != "" || len(a.cfg.TrustedProxies) > 0),
	}
	if a.cfg.OIDC != nil {
		o, err := auth.NewOIDC(ctx, *a.cfg.OIDC)
		if err != nil {
			return nil, fmt.Errorf("OpenID Connect: %w", err)
		}
		opts = append(opts, auth.WithOIDC(o))
	}
	return auth.New(stores, opts...)
}

// IssueToken makes an API token for role, for a program embedding
// together (a test, the load tool). It returns the identity the token
// acts as, and its secret, shown this once. Only a process that keeps the
// identities (one with the reports) issues tokens.
func (a *App) IssueToken(ctx context.Context, role auth.Role, name string) (identity, secret string, err error) {
	if a.auth == nil {
		return "", "", errors.New("this process does not keep the identities")
	}
	tok, secret, err := a.auth.CreateToken(ctx, name, role, "app")
	if err != nil {
		return "", "", err
	}
	return auth.TokenID(tok.ID), secret, nil
}

// NoOneCanSignIn reports whether there is neither an account nor a live
// token yet, so that the operator is told how to make the first.
func (a *App) NoOneCanSignIn(ctx context.Context) (bool, error) {
	if a.auth == nil {
		return false, nil
	}
	users, err := a.auth.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	tokens, err := a.auth.ListTokens(ctx)
	if err != nil {
		return false, err
	}
	for _, t := range tokens {
		if t.RevokedAt == nil {
			return false, nil
		}
	}
	return len(users) == 0, nil
}

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
	for _, nc := range a.conns {
		_ = nc.Flush()
		nc.Close()
	}
	if a.history != nil {
		a.history.Close()
	}
	if a.external != nil {
		_ = a.external.Flush()
		a.external.Close()
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
