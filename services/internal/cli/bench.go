package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/bench"
	"github.com/together-coop/together/services/internal/keyring"
)

func runBench(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "", "load a together already running at this loopback URL (default: start a fresh one in this process)")
	token := fs.String("token", env("TOGETHER_BENCH_TOKEN"), "send Authorization: Bearer TOKEN with every request (env TOGETHER_BENCH_TOKEN)")
	clients := fs.Int("clients", 8, "concurrent clients")
	duration := fs.Duration("duration", 20*time.Second, "how long to send commands (at most 1h)")
	maxCommands := fs.Int("max-commands", 1_000_000, "stop after this many commands even if time remains")
	dir := fs.String("dir", "", "where the fresh stack and the ceiling measurement keep their data (default: a new temporary directory, removed afterwards); put it on the disk to measure")
	ceilings := fs.Bool("ceilings", true, "also measure durable publish and ordered read on the same disk, for ratios")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: together bench [--url URL] [--clients C] [--duration D] [--max-commands N] [--token T]

Drives together with a programme's command mix — projects and decisions,
stakeholders registered, engagements planned, invitations answered and
held, feedback, actions agreed, completed and fed back — from C clients
for D (or N commands), then prints commands/s, events/s, latency
percentiles, how soon the reports reflect a new event, memory, and the
ceilings measured in the same run on the same disk: durable JetStream
publish from C publishers with fsync, and an ordered read.

Without --url it starts a fresh together in this process on a temporary
directory. It only loads loopback addresses.

Example:
  together bench --clients 8 --duration 20s

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "together bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger := func(service string) zerolog.Logger {
		return zerolog.New(stderr).Level(zerolog.WarnLevel).With().Timestamp().Str("service", service).Logger()
	}
	log := logger("bench")
	opts := []bench.Option{bench.WithClients(*clients), bench.WithDuration(*duration), bench.WithMaxCommands(*maxCommands), bench.WithToken(*token), bench.WithLogger(log)}
	if _, err := bench.New("http://127.0.0.1:1", opts...); err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 2
	}

	work := *dir
	if work == "" {
		tmp, err := os.MkdirTemp("", "together-bench-")
		if err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		work = tmp
	} else if err := os.MkdirAll(work, 0o700); err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 1
	}

	rep := bench.Report{Target: *target}
	if *ceilings {
		fmt.Fprintf(stderr, "measuring the ceilings on %s …\n", work)
		c, err := bench.MeasureCeilings(ctx, work, *clients, min(*duration, 10*time.Second), *maxCommands)
		if err != nil {
			fmt.Fprintf(stderr, "together bench: ceilings: %v\n", err)
			return 1
		}
		rep.Ceilings = &c
	}

	inProcess := *target == ""
	if inProcess {
		data, err := os.MkdirTemp(work, "stack-")
		if err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
		// A throwaway key-encryption key: the data is removed with it.
		kek, err := keyring.GenerateKEK()
		if err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
		st, err := app.Start(ctx, app.Config{Parts: app.AllParts(), DataDir: data, HTTPAddr: "127.0.0.1:0", Logger: logger("together"), KEK: kek})
		if err != nil {
			fmt.Fprintf(stderr, "together bench: start together: %v\n", err)
			return 1
		}
		// The load acts as a recorder, as a facilitator's script would.
		_, secret, err := st.IssueToken(ctx, auth.Recorder, "together bench")
		if err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
		opts = append(opts, bench.WithToken(secret))
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := st.Shutdown(sctx); err != nil {
				fmt.Fprintf(stderr, "together bench: shutdown: %v\n", err)
			}
		}()
		rep.Target = st.URL() + " (in this process, data " + filepath.Base(data) + ")"
		*target = st.URL()
	}
	load, err := bench.New(*target, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "loading %s with %d clients for %s …\n", *target, *clients, *duration)
	res, err := load.Run(ctx)
	rep.Load = res
	if m, ok := bench.ReadMemory(); ok && inProcess {
		rep.Memory = &m
	}
	if werr := rep.WriteText(stdout); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 1
	}
	return 0
}
