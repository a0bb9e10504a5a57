package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/busauth"
)

func runServe(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", orDefault(env("TOGETHER_DATA"), "./data"), "data directory (env TOGETHER_DATA)")
	httpAddr := fs.String("http", orDefault(env("TOGETHER_HTTP"), "127.0.0.1:8080"), "HTTP listen address (env TOGETHER_HTTP)")
	natsListen := fs.String("nats-listen", "", "let other processes reach the embedded NATS at this address, e.g. 127.0.0.1:4222 (default: in-process only)")
	thresholdsFile := fs.String("thresholds", env("TOGETHER_THRESHOLDS"), "JSON file of red/amber thresholds for the programme view, over the defaults (env TOGETHER_THRESHOLDS)")
	logLevel := fs.String("log-level", orDefault(env("TOGETHER_LOG_LEVEL"), "info"), "debug, info, warn or error (env TOGETHER_LOG_LEVEL)")
	keyFile := registerKeyFile(fs, env)
	natsTLSCert := fs.String("nats-tls-cert", env("TOGETHER_NATS_TLS_CERT"), "PEM certificate: the embedded NATS requires TLS of processes connecting to --nats-listen (env TOGETHER_NATS_TLS_CERT)")
	natsTLSKey := fs.String("nats-tls-key", env("TOGETHER_NATS_TLS_KEY"), "PEM private key of --nats-tls-cert (env TOGETHER_NATS_TLS_KEY)")
	var front frontFlags
	front.register(fs, env)
	var rep reportFlags
	rep.register(fs, env)
	usageFor(fs, stderr, `Usage: together serve [--data DIR] [--http ADDR] [--nats-listen ADDR]

Runs the whole system in one process: an embedded NATS server with
JetStream storing the event history under DIR/nats (fsynced before every
acknowledgement), the recorder, every command service and the HTTP API.
It logs one line with the URL once it is ready. SIGINT or SIGTERM stops it
gracefully; a restart on the same DIR finds every event again.

Example:
  together serve --data ./data --http 127.0.0.1:8080
`)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	log, err := newLogger(stderr, "together", *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "together serve: %v\n", err)
		return 2
	}
	thresholds, err := loadThresholds(*thresholdsFile)
	if err != nil {
		fmt.Fprintf(stderr, "together serve: %v\n", err)
		return 2
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		fmt.Fprintf(stderr, "together serve: data directory: %v\n", err)
		return 1
	}
	kek, err := loadKEK(*keyFile, *dataDir, log)
	if err != nil {
		log.Error().Err(err).Msg("could not read the key file")
		return 1
	}
	cfg := app.Config{
		Parts: app.AllParts(), DataDir: *dataDir, HTTPAddr: *httpAddr, NATSListen: *natsListen,
		NATSTLSCert: *natsTLSCert, NATSTLSKey: *natsTLSKey, Thresholds: thresholds, Logger: log, KEK: kek,
	}
	if *natsListen != "" {
		// Processes of their own connect as a role's user: the passwords
		// are kept with the data, readable by its owner alone.
		path := filepath.Join(*dataDir, "nats-passwords.json")
		if cfg.NATSPasswords, err = busauth.LoadOrCreatePasswords(path); err != nil {
			log.Error().Err(err).Msg("could not read the NATS passwords")
			return 1
		}
		log.Info().Str("passwords", path).Msg("processes connecting to the embedded NATS log in as their role with the password kept here")
	}
	if err := rep.apply(&cfg); err != nil {
		fmt.Fprintf(stderr, "together serve: %v\n", err)
		return 2
	}
	if err := front.apply(&cfg); err != nil {
		fmt.Fprintf(stderr, "together serve: %v\n", err)
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "together serve: %v\n", err)
		return 2
	}
	return runApp(ctx, "together", cfg)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
