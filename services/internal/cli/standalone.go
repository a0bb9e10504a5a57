package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/together-coop/together/services/internal/app"
)

// commonFlags are the flags every standalone part takes.
type commonFlags struct {
	nats     natsFlags
	front    frontFlags
	http     string
	logLevel string
	replicas int
}

func (c *commonFlags) register(fs *flag.FlagSet, env Env, defaultHTTP string) {
	c.nats.register(fs, env)
	c.front.register(fs, env)
	fs.StringVar(&c.http, "http", orDefault(env("TOGETHER_HTTP"), defaultHTTP), "HTTP listen address for the API, /metrics, /healthz and /readyz (env TOGETHER_HTTP)")
	fs.StringVar(&c.logLevel, "log-level", orDefault(env("TOGETHER_LOG_LEVEL"), "info"), "debug, info, warn or error (env TOGETHER_LOG_LEVEL)")
	replicas, _ := strconv.Atoi(orDefault(env("TOGETHER_JETSTREAM_REPLICAS"), "1"))
	fs.IntVar(&c.replicas, "replicas", replicas, "JetStream replicas for the streams this service creates: 1, or 3 on a cluster (env TOGETHER_JETSTREAM_REPLICAS)")
}

// config is the part of an app.Config the common flags set.
func (c *commonFlags) config(stderr io.Writer, name string, parts ...app.Part) (app.Config, error) {
	log, err := newLogger(stderr, name, c.logLevel)
	if err != nil {
		return app.Config{}, err
	}
	cfg := app.Config{Parts: parts, NATS: c.nats.NATS, HTTPAddr: c.http, Replicas: c.replicas, Logger: log}
	if err := c.front.apply(&cfg); err != nil {
		return app.Config{}, err
	}
	return cfg, nil
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
	store := fs.String("store", orDefault(env("TOGETHER_STORE"), app.StoreJetStream), "event store: jetstream or kurrentdb (env TOGETHER_STORE)")
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
	cfg, err := c.config(stderr, "recorder", app.Recorder)
	if err == nil {
		cfg.Store, cfg.KurrentURL = *store, *kurrentURL
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "together recorder: %v\n", err)
		return 2
	}
	return runApp(ctx, "recorder", cfg)
}

func commandServiceNames() []string {
	var names []string
	for _, p := range app.CommandParts() {
		names = append(names, string(p))
	}
	return names
}

func runService(ctx context.Context, args []string, env Env, _, stderr io.Writer) int {
	names := commandServiceNames()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "Usage: together service NAME [flags]\n\nRuns one command service alone; NAME is one of %v.\nRun 'together service NAME --help' for its flags.\n\nExample:\n  together service projects --nats nats://nats:4222 --http 0.0.0.0:8080\n", names)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	if !slices.Contains(names, name) {
		fmt.Fprintf(stderr, "together service: unknown service %q; want one of %v\n", name, names)
		return 2
	}
	fs := flag.NewFlagSet("service "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, env, "127.0.0.1:8082")
	var keyFile *string
	if name == "stakeholders" { // it keeps the keys; engagements and feedback seal through it
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
	cfg, err := c.config(stderr, name, app.Part(name))
	if err == nil && keyFile != nil {
		cfg.KEK, err = loadKEK(*keyFile, "", cfg.Logger)
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "together service: %v\n", err)
		return 2
	}
	return runApp(ctx, name, cfg)
}

func runReports(ctx context.Context, args []string, env Env, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("reports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, env, "127.0.0.1:8083")
	thresholdsFile := fs.String("thresholds", env("TOGETHER_THRESHOLDS"), "JSON thresholds for the programme view (env TOGETHER_THRESHOLDS)")
	keyFile := registerKeyFile(fs, env)
	var rep reportFlags
	rep.register(fs, env)
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
	cfg, err := c.config(stderr, "reports", app.Reports)
	if err == nil {
		cfg.Thresholds = thresholds
		cfg.KEK, err = loadKEK(*keyFile, "", cfg.Logger)
	}
	if err == nil {
		err = rep.apply(&cfg)
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "together reports: %v\n", err)
		return 2
	}
	return runApp(ctx, "reports", cfg)
}
