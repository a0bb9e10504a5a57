package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
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
	clients := fs.Int("clients", 8, "concurrent clients sending commands (0, with --report-readers: the readers alone)")
	reportReaders := fs.Int("report-readers", 0, "clients that read a report of everything (or of --read-programme or --read-project) over and over during the load (read-your-writes under reads)")
	readReport := fs.String("read-report", "programme", "the report the report readers ask for")
	readProgramme := fs.String("read-programme", "", "the programme, by name, whose report the report readers ask for (default everything)")
	readProject := fs.String("read-project", "", "the project, by id, whose report the report readers ask for (default everything; not with --read-programme)")
	duration := fs.Duration("duration", 20*time.Second, "how long to send commands (at most 1h)")
	maxCommands := fs.Int("max-commands", 1_000_000, "stop after this many commands even if time remains")
	dir := fs.String("dir", "", "where the fresh stack and the ceiling measurement keep their data (default: a new temporary directory, removed afterwards); put it on the disk to measure")
	ceilings := fs.Bool("ceilings", true, "also measure durable publish and ordered read on the same disk, for ratios")
	heapProfile := fs.String("heap-profile", "", "write a heap profile (go tool pprof) of the together this process starts to this file, once started: after the cold start with --history or --start-on (not with --url)")
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile (go tool pprof) of this process during the load to this file: the together it starts and the load's own clients; with --history and --duration 0, or with --start-on and no --duration, of the cold start (not with --url)")
	history := fs.Int("history", 0, "first build a generated history of N events through the recorder and measure a cold start of the reports on it against a raw read of the stream (0: off; not with --url)")
	restart := fs.Bool("restart", false, "with --history, after the cold start stop together and start it again on the same data, the reports resuming from the snapshot saved on stop: a restart as a deployment sees it, timed and measured as the cold start is; with --rebuild, before the rebuild")
	rebuild := fs.Bool("rebuild", false, "with --history, after the cold start stop together, drop the reports' snapshot and start it again: the reports rebuilt from the history on a system that has run before (whose start reconciles erasures only since the last), as after an upgrade that changes the snapshot's format; the load, if any, runs on that together")
	historyAge := fs.Duration("history-age", 0, "with --history, wait until the history is this old before starting on it, as a restart comes some time after the last write (nats-server keeps the ids of the last two minutes' messages, to refuse duplicates); the raw read comes before the wait, and from 2m on its stopped server has left memory by the start")
	separate := fs.Bool("separate-process", false, "with --history and --duration 0, start together for the cold start (and the rebuild) in a process of its own, as a real start is: its memory then counts nothing of the bench's, whose heap building the history has grown")
	startOn := fs.String("start-on", "", "start together on the stopped data directory DIR, whose key file --key-file names, time it until the reports reflect position --head, print that as JSON and stop: the process --separate-process starts; given --duration too, run the load on it once started and print the whole report, as with --history, without building a history again (and without measuring the ceilings)")
	startHead := fs.Uint64("head", 0, "with --start-on, the position the reports are to reach")
	keyFile := fs.String("key-file", "", "with --start-on, the key file of the data directory")
	readRaw := fs.Bool("read-raw", false, "with --start-on, read the stopped data directory's event stream raw with an ordered consumer instead of starting on it (the ceiling a start is held to), print that as JSON and stop; --head is not needed")
	usageFor(fs, stderr, `Usage: together bench [--url URL] [--clients C] [--report-readers R [--read-report NAME] [--read-programme NAME | --read-project ID]] [--duration D] [--max-commands N] [--token T] [--history H [--history-age D] [--restart] [--rebuild] [--separate-process]] [--start-on DIR --head N --key-file F [--read-raw]] [--heap-profile FILE] [--cpu-profile FILE]

Drives together with a programme's command mix — projects and decisions,
stakeholders registered, engagements planned, invitations answered and
held, feedback, actions agreed, completed and fed back — from C clients
for D (or N commands), then prints commands/s, events/s, latency
percentiles, how soon the reports reflect a new event, memory, the CPU
the process used (and a command's share of it), and the ceilings
measured in the same run on the same disk: durable JetStream publish
from C publishers with fsync (with a message's CPU), and an ordered read.

With --report-readers R, R more clients ask for a report of everything
over and over meanwhile, as open dashboards do, and the report's own
times are printed too: the heaviest, the programme view, or the one
--read-report names; --read-programme narrows it to one programme (the
generated history's are "Programme 0" to "Programme 4", forty projects
each), --read-project to one project (the generated history's ids run
from 00000001-0000-7000-8000-000000000000 to …0000000000c7; project n
is in programme n mod 5). With --clients 0 the readers read alone: what
the report costs when no command wants the machine.

Without --url it starts a fresh together in this process on a temporary
directory. It only loads loopback addresses.

With --history H it first builds a generated programme of H events in
that directory the way the running system writes — appended through the
recorder, which checks, stamps, chains and seals them — then reads the
stream raw with an ordered consumer (the ceiling), and starts together on
it, timing until the reports reflect the last event, with the memory
then; the load, unless --duration is 0, runs on that same together.
--restart and --rebuild stop it and start again, the reports resuming
from their snapshot or rebuilt without it. With --separate-process each
start runs in a process of its own, which reports its own memory.

With --start-on DIR --head N --key-file F it starts together on a
stopped data directory instead (a copy of one that --history built with
--dir, say) and times it until the reports reflect position N, printing
that as JSON; --read-raw reads its stream raw instead, the ceiling of
such a start. Given --duration, the load then runs on the together it
started: a load on a large history without building it for every run.

Examples:
  together bench --clients 8 --duration 20s
  together bench --history 200000 --clients 8 --duration 10s
  together bench --history 200000 --report-readers 4 --duration 20s
  together bench --report-readers 4 --read-report participation
  together bench --history 1000000 --report-readers 8 --read-report representativeness --read-programme "Programme 1"
  together bench --history 1000000 --report-readers 8 --read-report participation --read-project 00000001-0000-7000-8000-000000000001
  together bench --history 1000000 --clients 0 --report-readers 8 --read-report participation --read-project 00000001-0000-7000-8000-000000000001
  together bench --history 200000 --duration 0 --cpu-profile start.pprof
  together bench --history 1000000 --history-age 2m --duration 0
  together bench --history 1000000 --history-age 2m --rebuild --duration 0
  together bench --history 1000000 --history-age 2m --restart --rebuild --separate-process --duration 0
  together bench --start-on COPY --head 1001893 --key-file STACK.key --duration 20s --clients 0 --report-readers 8 --read-report participation --read-project 00000001-0000-7000-8000-000000000001
`)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	logger := func(service string) zerolog.Logger {
		return zerolog.New(stderr).Level(zerolog.WarnLevel).With().Timestamp().Str("service", service).Logger()
	}
	log := logger("bench")
	if *startOn != "" {
		if *readRaw {
			return readRawAlone(ctx, *startOn, *keyFile, logger("together"), stdout, stderr)
		}
		// A start measured alone is what --separate-process runs, which
		// names no duration: the load runs only when one is asked for.
		durationSet := false
		fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
		if durationSet && *duration > 0 {
			if *target != "" {
				fmt.Fprintln(stderr, "together bench: --start-on starts its own together; it cannot load one at --url")
				return 2
			}
			opts := []bench.Option{bench.WithDuration(*duration), bench.WithClients(*clients), bench.WithReportReaders(*reportReaders), bench.WithReadReport(*readReport), bench.WithReadProgramme(*readProgramme), bench.WithReadProject(*readProject), bench.WithMaxCommands(*maxCommands), bench.WithLogger(log)}
			return startOnThenLoad(ctx, *startOn, *startHead, *keyFile, *heapProfile, *cpuProfile, opts, logger("together"), stdout, stderr)
		}
		return startOnAlone(ctx, *startOn, *startHead, *keyFile, *heapProfile, *cpuProfile, logger("together"), stdout, stderr)
	}
	switch {
	case *history < 0:
		fmt.Fprintln(stderr, "together bench: --history must be 0 or more")
		return 2
	case *historyAge < 0 || *historyAge > time.Hour:
		fmt.Fprintln(stderr, "together bench: --history-age must be between 0 and 1h")
		return 2
	case *historyAge > 0 && *history == 0:
		fmt.Fprintln(stderr, "together bench: --history-age needs --history")
		return 2
	case *rebuild && *history == 0:
		fmt.Fprintln(stderr, "together bench: --rebuild needs --history")
		return 2
	case *restart && *history == 0:
		fmt.Fprintln(stderr, "together bench: --restart needs --history")
		return 2
	case *history > 0 && *target != "":
		fmt.Fprintln(stderr, "together bench: --history builds its own together; it cannot load one at --url")
		return 2
	case *heapProfile != "" && *target != "":
		fmt.Fprintln(stderr, "together bench: --heap-profile profiles the together this process starts; it cannot profile one at --url")
		return 2
	case *cpuProfile != "" && *target != "":
		fmt.Fprintln(stderr, "together bench: --cpu-profile profiles the together this process starts; it cannot profile one at --url")
		return 2
	case *separate && (*history == 0 || *duration > 0):
		fmt.Fprintln(stderr, "together bench: --separate-process measures a cold start alone: it needs --history and --duration 0")
		return 2
	case *separate && (*cpuProfile != "" || *heapProfile != ""):
		fmt.Fprintln(stderr, "together bench: --separate-process starts together in another process, which the profiles of this one would miss")
		return 2
	}
	// With a history, --duration 0 measures the cold start alone.
	runLoad := *history == 0 || *duration > 0
	opts := []bench.Option{bench.WithClients(*clients), bench.WithReportReaders(*reportReaders), bench.WithReadReport(*readReport), bench.WithReadProgramme(*readProgramme), bench.WithReadProject(*readProject), bench.WithMaxCommands(*maxCommands), bench.WithToken(*token), bench.WithLogger(log)}
	if runLoad {
		opts = append(opts, bench.WithDuration(*duration))
	}
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
	// With no commands to send there is nothing to hold to the ceilings.
	if *ceilings && runLoad && *clients > 0 {
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
		cold := coldStartPlan{events: *history, age: *historyAge, restart: *restart, rebuild: *rebuild, separate: *separate}
		if !runLoad {
			cold.profile = *cpuProfile
		}
		st, secret, err := startInProcess(ctx, work, cold, logger("together"), stderr, &rep)
		if err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
		if st != nil {
			defer func() {
				if err := shutdown(ctx, st); err != nil {
					fmt.Fprintf(stderr, "together bench: shutdown: %v\n", err)
				}
			}()
			*target = st.URL()
		}
		opts = append(opts, bench.WithToken(secret))
		if *heapProfile != "" {
			if err := writeHeapProfile(*heapProfile); err != nil {
				fmt.Fprintf(stderr, "together bench: %v\n", err)
				return 1
			}
		}
	}
	if !runLoad {
		if err := rep.WriteText(stdout); err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
		return 0
	}
	load, err := bench.New(*target, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "loading %s with %d clients for %s …\n", *target, *clients, *duration)
	return loadAndReport(ctx, load, &rep, inProcess, *cpuProfile, stdout, stderr)
}

// loadAndReport runs load, profiling this process's CPU meanwhile to cpuProfile
// where it names a file, and prints rep with the load's result and, for
// a together in this process (inProcess), the memory.
func loadAndReport(ctx context.Context, load *bench.Load, rep *bench.Report, inProcess bool, cpuProfile string, stdout, stderr io.Writer) int {
	stopProfile, err := startCPUProfile(cpuProfile)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 1
	}
	peakReset := inProcess && bench.ResetPeak()
	cpuBefore, cpuKnown := bench.ProcessCPU()
	res, err := load.Run(ctx)
	cpuAfter, _ := bench.ProcessCPU()
	err = errors.Join(err, stopProfile())
	rep.Load = res
	if inProcess && cpuKnown {
		rep.LoadCPU = cpuAfter - cpuBefore
	}
	if m, ok := bench.ReadMemory(); ok && inProcess {
		rep.Memory, rep.PeakOfLoad = &m, peakReset
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

// historySeed makes every run build the same history, so that runs
// compare.
const historySeed = 7

// coldStartPlan is the history a bench builds before it starts together,
// if any.
type coldStartPlan struct {
	// events is how many to generate (0: none; together starts empty).
	events int
	// age is how long to wait after building the history before reading
	// it and starting on it.
	age time.Duration
	// profile names the file to write the cold start's CPU profile to, if
	// any.
	profile string
	// restart is set to start again after the cold start, the reports
	// resuming from their snapshot; rebuild, to start again (after that)
	// without it.
	restart, rebuild bool
	// separate is set to make each start in a process of its own, which
	// stops once it is measured.
	separate bool
}

// startInProcess starts a fresh together in a new data directory under
// work, after building the history cold plans there and measuring the raw
// read and the cold start on it, if it plans one, and returns it with a
// recorder's token: the load acts as a recorder, as a facilitator's
// script would. If cold starts in a separate process, nothing is left
// running: it returns no together.
func startInProcess(ctx context.Context, work string, cold coldStartPlan, log zerolog.Logger, progress io.Writer, rep *bench.Report) (*app.App, string, error) {
	data, err := os.MkdirTemp(work, "stack-")
	if err != nil {
		return nil, "", err
	}
	// A throwaway key-encryption key, in a file beside the data directory
	// (a separate process reads it there), kept or removed with it.
	keyFile := data + ".key"
	kek, _, err := keyring.LoadOrCreateKeyFile(keyFile)
	if err != nil {
		return nil, "", err
	}
	cfg := app.Config{Parts: app.AllParts(), DataDir: data, HTTPAddr: "127.0.0.1:0", Logger: log, KEK: kek}
	var st *app.App
	var secret string
	if cold.events > 0 {
		start := func(head uint64) (*app.App, string, bench.ColdStart, error) {
			if cold.separate {
				cs, err := startApart(ctx, data, keyFile, head, progress)
				return nil, "", cs, err
			}
			return bench.StartCold(ctx, cfg, head)
		}
		if st, secret, err = coldStart(ctx, cfg, cold, start, progress, rep); err != nil {
			return nil, "", err
		}
		if st == nil {
			rep.Target = "together in a process of its own, data " + filepath.Base(data)
			return nil, "", nil
		}
	} else {
		if st, err = app.Start(ctx, cfg); err != nil {
			return nil, "", fmt.Errorf("start together: %w", err)
		}
		if _, secret, err = st.IssueToken(ctx, auth.Recorder, "together bench"); err != nil {
			return nil, "", errors.Join(err, shutdown(ctx, st))
		}
	}
	rep.Target = st.URL() + " (in this process, data " + filepath.Base(data) + ")"
	return st, secret, nil
}

// coldStart builds the history cold plans in cfg's data directory, lets
// it age, reads it raw and starts together on it with start, recording
// each in rep. A start in a separate process returns no together, and
// has stopped it.
func coldStart(ctx context.Context, cfg app.Config, cold coldStartPlan, start func(head uint64) (*app.App, string, bench.ColdStart, error), progress io.Writer, rep *bench.Report) (*app.App, string, error) {
	fmt.Fprintf(progress, "building a history of %d events through the recorder in %s …\n", cold.events, cfg.DataDir)
	h, err := bench.BuildHistory(ctx, cfg.DataDir, cfg.KEK, cold.events, historySeed)
	if err != nil {
		return nil, "", fmt.Errorf("build the history: %w", err)
	}
	rep.History = &h
	rep.HistoryAge = cold.age
	fmt.Fprintf(progress, "built in %s\n", h.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(progress, "reading it raw …\n")
	raw, err := bench.MeasureRawRead(ctx, cfg.DataDir, cfg.KEK)
	if err != nil {
		return nil, "", fmt.Errorf("raw read: %w", err)
	}
	rep.RawRead = &raw
	// Read raw before the wait: a stopped nats-server stays in this
	// process's memory for up to two minutes, and the cold start's memory
	// should not count the raw read's.
	if err := wait(ctx, cold.age, progress, "letting it age"); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(progress, "starting together on it …\n")
	stopProfile, err := startCPUProfile(cold.profile)
	if err != nil {
		return nil, "", err
	}
	st, secret, cs, err := start(h.Head)
	if err = errors.Join(err, stopProfile()); err != nil {
		if st != nil {
			err = errors.Join(err, shutdown(ctx, st))
		}
		return nil, "", fmt.Errorf("cold start: %w", err)
	}
	rep.ColdStart = &cs
	// Each start after the first stops the one before, waits as long as
	// the history aged (a stopped server leaves memory within two
	// minutes), and reads where the stopped history ends with head, which
	// may first change what the start finds.
	startAgain := func(head func(context.Context, string, keyring.KEK) (uint64, error), how, name string) (*bench.ColdStart, error) {
		if st != nil {
			if err := shutdown(ctx, st); err != nil {
				return nil, fmt.Errorf("stop: %w", err)
			}
			st = nil
		}
		if err := wait(ctx, cold.age, progress, "letting the stopped stack leave memory:"); err != nil {
			return nil, err
		}
		at, err := head(ctx, cfg.DataDir, cfg.KEK)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "starting together again %s …\n", how)
		var c bench.ColdStart
		if st, secret, c, err = start(at); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &c, nil
	}
	if cold.restart {
		if rep.Restart, err = startAgain(bench.StoppedHead, "with the reports' snapshot", "restart"); err != nil {
			return nil, "", err
		}
	}
	if cold.rebuild {
		if rep.Rebuild, err = startAgain(bench.DropSnapshots, "without the reports' snapshot", "rebuild on restart"); err != nil {
			return nil, "", err
		}
	}
	return st, secret, nil
}

// startApart runs this program's together bench --start-on in a process
// of its own, on the stopped data directory dir, and returns what it
// measured; its progress and logs go to progress.
func startApart(ctx context.Context, dir, keyFile string, head uint64, progress io.Writer) (bench.ColdStart, error) {
	self, err := os.Executable()
	if err != nil {
		return bench.ColdStart{}, fmt.Errorf("find this program to start it again: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, "bench", "--start-on", dir, "--head", strconv.FormatUint(head, 10), "--key-file", keyFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, progress
	if err := cmd.Run(); err != nil {
		return bench.ColdStart{}, fmt.Errorf("together bench --start-on: %w", err)
	}
	var cs bench.ColdStart
	if err := json.Unmarshal(out.Bytes(), &cs); err != nil {
		return bench.ColdStart{}, fmt.Errorf("together bench --start-on printed %q: %w", out.Bytes(), err)
	}
	return cs, nil
}

// startOnAlone is together bench --start-on: it starts together on the
// stopped data directory dir, measures until the reports reflect head,
// profiles the start's CPU to cpuProfile and then the heap to heapProfile
// where they name files, prints the measure as JSON on stdout and stops
// together.
func startOnAlone(ctx context.Context, dir string, head uint64, keyFile, heapProfile, cpuProfile string, log zerolog.Logger, stdout, stderr io.Writer) int {
	cfg, code := stoppedConfig(dir, head, keyFile, log, stderr)
	if code != 0 {
		return code
	}
	stopProfile, err := startCPUProfile(cpuProfile)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 1
	}
	st, _, cs, err := bench.StartCold(ctx, cfg, head)
	if perr := stopProfile(); err == nil && perr != nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintf(stderr, "together bench: cold start: %v\n", err)
		return 1
	}
	var profileErr error
	if heapProfile != "" {
		profileErr = writeHeapProfile(heapProfile)
	}
	if err := shutdown(ctx, st); err != nil {
		fmt.Fprintf(stderr, "together bench: stop after the cold start: %v\n", err)
		return 1
	}
	if profileErr != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", profileErr)
		return 1
	}
	return printJSON(cs, stdout, stderr)
}

// startOnThenLoad is together bench --start-on with --duration: it starts
// together on the stopped data directory dir as startOnAlone does, writes
// the heap profile to heapProfile where it names a file, then runs the
// load opts describe on it, profiling the load's CPU to cpuProfile where
// it names a file, and prints the whole report: a load on a large history
// without building it again for every run.
func startOnThenLoad(ctx context.Context, dir string, head uint64, keyFile, heapProfile, cpuProfile string, opts []bench.Option, log zerolog.Logger, stdout, stderr io.Writer) int {
	if _, err := bench.New("http://127.0.0.1:1", opts...); err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 2
	}
	cfg, code := stoppedConfig(dir, head, keyFile, log, stderr)
	if code != 0 {
		return code
	}
	st, secret, cs, err := bench.StartCold(ctx, cfg, head)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: cold start: %v\n", err)
		return 1
	}
	defer func() {
		if err := shutdown(ctx, st); err != nil {
			fmt.Fprintf(stderr, "together bench: shutdown: %v\n", err)
		}
	}()
	if heapProfile != "" {
		if err := writeHeapProfile(heapProfile); err != nil {
			fmt.Fprintf(stderr, "together bench: %v\n", err)
			return 1
		}
	}
	rep := bench.Report{Target: st.URL() + " (in this process, data " + filepath.Base(dir) + ")", ColdStart: &cs}
	load, err := bench.New(st.URL(), append(opts, bench.WithToken(secret))...)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 2
	}
	return loadAndReport(ctx, load, &rep, true, cpuProfile, stdout, stderr)
}

// stoppedConfig configures a start on the stopped data directory dir,
// whose key file is keyFile, measured until the reports reflect head; if
// either is missing or the key file cannot be read, it says why on stderr
// and returns the exit code instead.
func stoppedConfig(dir string, head uint64, keyFile string, log zerolog.Logger, stderr io.Writer) (app.Config, int) {
	if head == 0 || keyFile == "" {
		fmt.Fprintln(stderr, "together bench: --start-on needs --head (a position above 0) and --key-file")
		return app.Config{}, 2
	}
	kek, err := existingKEK(keyFile, dir, log)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return app.Config{}, 1
	}
	return app.Config{Parts: app.AllParts(), DataDir: dir, HTTPAddr: "127.0.0.1:0", Logger: log, KEK: kek}, 0
}

// readRawAlone reads the event stream of the stopped data directory dir
// raw and prints the read as JSON: the ceiling of a start measured with
// startOnAlone on a copy of the same directory.
func readRawAlone(ctx context.Context, dir, keyFile string, log zerolog.Logger, stdout, stderr io.Writer) int {
	if keyFile == "" {
		fmt.Fprintln(stderr, "together bench: --read-raw needs --key-file")
		return 2
	}
	kek, err := existingKEK(keyFile, dir, log)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 1
	}
	rr, err := bench.MeasureRawRead(ctx, dir, kek)
	if err != nil {
		fmt.Fprintf(stderr, "together bench: raw read: %v\n", err)
		return 1
	}
	return printJSON(rr, stdout, stderr)
}

// printJSON prints a measure as JSON for the process that started this
// one, and returns the exit code.
func printJSON(measure any, stdout, stderr io.Writer) int {
	if err := json.NewEncoder(stdout).Encode(measure); err != nil {
		fmt.Fprintf(stderr, "together bench: %v\n", err)
		return 1
	}
	return 0
}

// existingKEK loads the key file of the data directory dir, which holds
// data already: a key made now could not open it.
func existingKEK(keyFile, dir string, log zerolog.Logger) (keyring.KEK, error) {
	if _, err := os.Stat(keyFile); err != nil {
		return keyring.KEK{}, fmt.Errorf("key file: %w", err)
	}
	return loadKEK(keyFile, dir, log)
}

// wait waits d, if more than zero, saying why on progress, or until ctx
// ends.
func wait(ctx context.Context, d time.Duration, progress io.Writer, why string) error {
	if d <= 0 {
		return nil
	}
	fmt.Fprintf(progress, "%s %s …\n", why, d)
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdown stops the together st, allowing it 30 seconds even once ctx
// has ended.
func shutdown(ctx context.Context, st *app.App) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return st.Shutdown(sctx)
}

// writeHeapProfile writes the heap profile of this process, as of a
// fresh collection, to path. It collects twice: what sync.Pools hold
// survives one collection, and is not what the process keeps.
func writeHeapProfile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	runtime.GC()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// startCPUProfile profiles this process's CPU into a new file at path,
// readable by its owner alone, until the returned stop is called; with
// no path, it profiles nothing and stop does nothing.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
