package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/services/internal/actions"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
	"github.com/together-coop/together/services/internal/gateway"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/kurrent"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/recorder"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// commonFlags are the flags every standalone service takes.
type commonFlags struct {
	nats     natsFlags
	http     string
	logLevel string
	replicas int
}

func (c *commonFlags) register(fs *flag.FlagSet, env Env, defaultHTTP string) {
	c.nats.register(fs, env)
	fs.StringVar(&c.http, "http", orDefault(env("TOGETHER_HTTP"), defaultHTTP), "HTTP listen address for the API, /metrics, /healthz and /readyz (env TOGETHER_HTTP)")
	fs.StringVar(&c.logLevel, "log-level", orDefault(env("TOGETHER_LOG_LEVEL"), "info"), "debug, info, warn or error (env TOGETHER_LOG_LEVEL)")
	replicas, _ := strconv.Atoi(orDefault(env("TOGETHER_JETSTREAM_REPLICAS"), "1"))
	fs.IntVar(&c.replicas, "replicas", replicas, "JetStream replicas for the streams this service creates: 1, or 3 on a cluster (env TOGETHER_JETSTREAM_REPLICAS)")
}

func usageFor(fs *flag.FlagSet, stderr io.Writer, text string) {
	fs.Usage = func() {
		fmt.Fprint(stderr, text+"\nFlags:\n")
		fs.PrintDefaults()
	}
}

func runRecorder(ctx context.Context, args []string, env Env, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("recorder", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, env, "127.0.0.1:8081")
	store := fs.String("store", orDefault(env("TOGETHER_STORE"), "jetstream"), "event store: jetstream or kurrentdb (env TOGETHER_STORE)")
	kurrentURL := fs.String("kurrentdb", env("TOGETHER_KURRENTDB_URL"), "KurrentDB connection string with credentials, e.g. esdb://admin:changeit@kurrentdb:2113?tls=true (env TOGETHER_KURRENTDB_URL)")
	usageFor(fs, stderr, `Usage: together recorder [--nats URL] [--store jetstream|kurrentdb] [--kurrentdb URL] [--http ADDR]

Runs the recorder alone: the only process that holds the event store. It
answers the command services and the reports over NATS, stamps recorded
times and hash chains, and seals the global order. --store jetstream keeps
the events in a JetStream stream of the NATS server it connects to
(fsync settings are the server's: run it with sync_interval: always);
--store kurrentdb keeps them in KurrentDB.

Example:
  together recorder --nats nats://nats:4222 --store kurrentdb --kurrentdb 'esdb://kurrentdb:2113?tls=false'
`)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	p, err := newProcess("recorder", stderr, c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "together recorder: %v\n", err)
		return 2
	}
	var st events.Store
	var close func()
	nc, err := c.nats.connect("together-recorder", p.log, p.reg)
	if err != nil {
		p.log.Error().Err(err).Msg("could not start")
		return 1
	}
	defer nc.Drain()
	switch *store {
	case "jetstream":
		s, err := natsjs.New(ctx, nc, natsjs.WithReplicas(c.replicas))
		if err != nil {
			p.log.Error().Err(err).Msg("could not open the JetStream store")
			return 1
		}
		st, close = s, func() {}
	case "kurrentdb":
		if *kurrentURL == "" {
			fmt.Fprintln(stderr, "together recorder: --store kurrentdb needs --kurrentdb URL")
			return 2
		}
		s, err := kurrent.New(*kurrentURL)
		if err != nil {
			p.log.Error().Err(err).Msg("could not open the KurrentDB store")
			return 1
		}
		st, close = s, func() { _ = s.Close() }
	default:
		fmt.Fprintf(stderr, "together recorder: --store %q: want jetstream or kurrentdb\n", *store)
		return 2
	}
	defer close()
	svc := recorder.NewService(nc, st, catalogue.New(), recorder.WithLogger(p.log), recorder.WithMetrics(p.reg, *store))
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return svc.Run(gctx) })
	g.Go(func() error {
		return p.serve(gctx, c.http, gateway.Config{Ready: map[string]gateway.Check{
			"nats":  natsReady(nc),
			"store": func(ctx context.Context) error { _, err := st.Head(ctx); return err },
		}})
	})
	if err := g.Wait(); err != nil {
		p.log.Error().Err(err).Msg("stopped")
		return 1
	}
	return 0
}

// commandServices are the services `together service NAME` runs.
var commandServices = []string{"projects", "stakeholders", "engagements", "feedback", "actions"}

func runService(ctx context.Context, args []string, env Env, _, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "Usage: together service NAME [flags]\n\nRuns one command service alone; NAME is one of %v.\nRun 'together service NAME --help' for its flags.\n\nExample:\n  together service projects --nats nats://nats:4222 --http 0.0.0.0:8080\n", commandServices)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	known := false
	for _, s := range commandServices {
		known = known || s == name
	}
	if !known {
		fmt.Fprintf(stderr, "together service: unknown service %q; want one of %v\n", name, commandServices)
		return 2
	}
	fs := flag.NewFlagSet("service "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, env, "127.0.0.1:8082")
	var keyFile *string
	if name == "stakeholders" || name == "engagements" || name == "feedback" { // they seal personal data
		keyFile = registerKeyFile(fs, env)
	}
	usageFor(fs, stderr, fmt.Sprintf(`Usage: together service %s [--nats URL] [--http ADDR]

Runs the %s command service alone: its HTTP endpoints (see GET / of
together serve), reaching the store through the recorder over NATS.

Example:
  together service %s --nats nats://nats:4222 --http 0.0.0.0:8080
`, name, name, name))
	if code, ok := parseFlags(fs, args[1:], stderr); !ok {
		return code
	}
	p, err := newProcess(name, stderr, c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "together service: %v\n", err)
		return 2
	}
	nc, err := c.nats.connect("together-"+name, p.log, p.reg)
	if err != nil {
		p.log.Error().Err(err).Msg("could not start")
		return 1
	}
	defer nc.Drain()
	client := recorder.NewClient(nc, 10*time.Second)
	x := command.NewExecutor(client, catalogue.New(), time.Now, command.WithMetrics(p.reg))
	var keys *keyring.Keyring
	if keyFile != nil {
		js, err := jetstream.New(nc)
		if err != nil {
			p.log.Error().Err(err).Msg("could not start")
			return 1
		}
		kek, err := loadKEK(*keyFile, "", p.log)
		if err != nil {
			p.log.Error().Err(err).Msg("could not read the key file")
			return 1
		}
		keys, err = keyring.New(ctx, js, kek, keyring.WithReplicas(c.replicas), keyring.WithLogger(p.log.With().Str("component", "keyring").Logger()))
		if err != nil {
			p.log.Error().Err(err).Msg("could not open the key store")
			return 1
		}
	}
	var svc gateway.Routable
	switch name {
	case "projects":
		svc = projects.New(x)
	case "stakeholders":
		if _, err := keys.Reconcile(ctx, keyring.ErasedStakeholders(ctx, client)); err != nil {
			p.log.Error().Err(err).Msg("could not destroy the keys of erased stakeholders")
			return 1
		}
		svc = stakeholders.New(x, keys)
	case "engagements":
		svc = engagements.New(x, engagements.WithSealer(keys))
	case "feedback":
		svc = feedback.New(x, feedback.WithKeyring(keys))
	case "actions":
		svc = actions.New(x)
	}
	err = p.serve(ctx, c.http, gateway.Config{
		Services: []gateway.Routable{svc},
		Ready:    map[string]gateway.Check{"nats": natsReady(nc), "recorder": recorderReady(client)},
	})
	if err != nil {
		p.log.Error().Err(err).Msg("stopped")
		return 1
	}
	return 0
}

func runReports(ctx context.Context, args []string, env Env, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("reports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, env, "127.0.0.1:8083")
	thresholdsFile := fs.String("thresholds", env("TOGETHER_THRESHOLDS"), "JSON thresholds for the programme view (env TOGETHER_THRESHOLDS)")
	keyFile := registerKeyFile(fs, env)
	usageFor(fs, stderr, `Usage: together reports [--nats URL] [--http ADDR] [--thresholds FILE]

Runs the reports service alone: it catches up with the history through
the recorder, follows new events, and serves /api/v1/reports/…,
/api/v1/events and /api/v1/audit/verify.

Example:
  together reports --nats nats://nats:4222 --http 0.0.0.0:8080
`)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	thresholds, err := loadThresholds(*thresholdsFile)
	if err != nil {
		fmt.Fprintf(stderr, "together reports: %v\n", err)
		return 2
	}
	p, err := newProcess("reports", stderr, c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "together reports: %v\n", err)
		return 2
	}
	nc, err := c.nats.connect("together-reports", p.log, p.reg)
	if err != nil {
		p.log.Error().Err(err).Msg("could not start")
		return 1
	}
	defer nc.Drain()
	client := recorder.NewClient(nc, 10*time.Second)
	js, err := jetstream.New(nc)
	if err != nil {
		p.log.Error().Err(err).Msg("could not start")
		return 1
	}
	kek, err := loadKEK(*keyFile, "", p.log)
	if err != nil {
		p.log.Error().Err(err).Msg("could not read the key file")
		return 1
	}
	snapshots, err := reports.NewObjectStoreSnapshots(ctx, js, kek.Derive(keyring.PurposeSnapshotMAC), c.replicas)
	if err != nil {
		p.log.Error().Err(err).Msg("could not open the snapshot bucket")
		return 1
	}
	runner := reports.NewRunner(client, catalogue.New(), p.log.With().Str("component", "projections").Logger(), p.reg,
		reports.WithSnapshots(snapshots, 5*time.Minute))
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runner.Run(gctx) })
	g.Go(func() error {
		return p.serve(gctx, c.http, gateway.Config{
			Services: []gateway.Routable{reports.NewService(runner, thresholds, time.Now), audit.NewService(client)},
			Events:   client,
			Ready: map[string]gateway.Check{
				"nats": natsReady(nc), "recorder": recorderReady(client),
				"projections": func(context.Context) error { return runner.Stalled() },
			},
		})
	})
	if err := g.Wait(); err != nil {
		p.log.Error().Err(err).Msg("stopped")
		return 1
	}
	return 0
}

func recorderReady(c *recorder.Client) gateway.Check {
	return func(ctx context.Context) error { _, err := c.Head(ctx); return err }
}
