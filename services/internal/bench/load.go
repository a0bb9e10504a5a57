package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/projections/report"
)

// ErrInvalidOption wraps every refused option.
var ErrInvalidOption = errors.New("invalid option")

type options struct {
	clients       int
	reportReaders int
	readReport    string
	readProgramme string
	readProject   string
	duration      time.Duration
	maxCommands   int
	token         string
	http          *http.Client
	log           zerolog.Logger
}

// Option configures [New].
type Option func(*options) error

// WithClients sets how many clients send commands at once. Default 8.
// None, with report readers, measures their reads alone: what a report
// costs when nothing else wants the machine.
func WithClients(n int) Option {
	return func(o *options) error {
		if n < 0 || n > 1024 {
			return fmt.Errorf("%w: clients must be 0 to 1024", ErrInvalidOption)
		}
		o.clients = n
		return nil
	}
}

// WithReportReaders sets how many clients, besides those sending
// commands, ask for a report of everything, one programme or one project
// (see [WithReadReport], [WithReadProgramme], [WithReadProject]) over and
// over while the load runs, as dashboards left open do: the visibility
// samples then show read-your-writes under reads. Default 0.
func WithReportReaders(n int) Option {
	return func(o *options) error {
		if n < 0 || n > 64 {
			return fmt.Errorf("%w: report readers must be 0 to 64", ErrInvalidOption)
		}
		o.reportReaders = n
		return nil
	}
}

// WithReadReport names the report the report readers ask for, over
// everything: one of together's reports. Default the heaviest, the
// programme view.
func WithReadReport(name string) Option {
	return func(o *options) error {
		if _, ok := report.Lookup(name); !ok {
			return fmt.Errorf("%w: no report %q; the reports are %s", ErrInvalidOption, name, strings.Join(report.Names(), ", "))
		}
		o.readReport = name
		return nil
	}
}

// WithReadProgramme narrows the report the readers ask for to one
// programme, by name, rather than everything. Default "" (everything).
func WithReadProgramme(name string) Option {
	return func(o *options) error {
		o.readProgramme = strings.TrimSpace(name)
		return nil
	}
}

// WithReadProject narrows the report the readers ask for to one
// project, by id, rather than everything. Default "" (everything); not
// with [WithReadProgramme].
func WithReadProject(id string) Option {
	return func(o *options) error {
		o.readProject = strings.TrimSpace(id)
		return nil
	}
}

// WithDuration sets how long the load runs. Default 20s, at most an hour.
func WithDuration(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 || d > time.Hour {
			return fmt.Errorf("%w: duration must be positive and at most an hour", ErrInvalidOption)
		}
		o.duration = d
		return nil
	}
}

// WithMaxCommands stops the load after n commands even if time remains.
// Default 1,000,000.
func WithMaxCommands(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 10_000_000 {
			return fmt.Errorf("%w: max commands must be 1 to 10,000,000", ErrInvalidOption)
		}
		o.maxCommands = n
		return nil
	}
}

// WithToken sends Authorization: Bearer token on every request.
func WithToken(token string) Option {
	return func(o *options) error { o.token = token; return nil }
}

// WithHTTPClient sets the HTTP client. Default: one with keep-alive
// connections for every bench client and a 30 s timeout per request.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidOption)
		}
		o.http = c
		return nil
	}
}

// WithLogger sets the logger. Default: none.
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// Load drives one together at a URL. Create it with [New].
type Load struct {
	o      options
	client *client
}

// New returns a load on the together at base, which must be a loopback
// http URL. Options: [WithClients], [WithDuration], [WithMaxCommands],
// [WithReportReaders], [WithReadReport], [WithReadProgramme],
// [WithReadProject], [WithToken], [WithHTTPClient], [WithLogger].
func New(base string, opts ...Option) (*Load, error) {
	o := options{clients: 8, readReport: programme.Name, duration: 20 * time.Second, maxCommands: 1_000_000, log: zerolog.Nop()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.readProgramme != "" && o.readProject != "" {
		return nil, fmt.Errorf("%w: the readers read one programme or one project, not both", ErrInvalidOption)
	}
	if o.clients == 0 && o.reportReaders == 0 {
		return nil, fmt.Errorf("%w: no clients and no report readers: nothing to measure", ErrInvalidOption)
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http URL", ErrInvalidOption, base)
	}
	if !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: %s is not a loopback address; bench only loads this machine", ErrInvalidOption, u.Host)
	}
	if o.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = o.clients + 4
		o.http = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	return &Load{o: o, client: &client{base: u.Scheme + "://" + u.Host, token: o.token, http: o.http}}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Result is what a load measured.
type Result struct {
	Clients  int
	Elapsed  time.Duration
	Commands int
	Events   int
	// Errors counts failed commands by HTTP status (0: no answer).
	Errors map[int]int
	// FirstErrors keeps a few failures to show.
	FirstErrors []string
	// Latency is over every successful command.
	Latency Percentiles
	// ByCommand is the latency per kind of command.
	ByCommand map[string]Percentiles
	// Visible is, sampled through the run, how long a report took to
	// reflect the newest acknowledged event (read-your-writes with
	// min_position), including computing the report.
	Visible Percentiles
	// ReportReaders clients asked for the report ReadReport names, over
	// ReadProgramme or ReadProject (everything if both are ""),
	// throughout; ReportReads is how long it took them.
	ReportReaders int
	ReadReport    string
	ReadProgramme string
	ReadProject   string
	ReportReads   Percentiles
	// CatchUp is how long, after the last command, until a report
	// reflected it.
	CatchUp time.Duration
	// LastPosition is the store position of the newest acknowledged event.
	LastPosition uint64
}

// CommandsPerSecond is the throughput of successful commands.
func (r Result) CommandsPerSecond() float64 { return float64(r.Commands) / r.Elapsed.Seconds() }

// EventsPerSecond is the throughput of recorded events.
func (r Result) EventsPerSecond() float64 { return float64(r.Events) / r.Elapsed.Seconds() }

// Percentiles summarises latencies.
type Percentiles struct {
	N             int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Percentiles{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: d[len(d)-1]}
}

// recorder collects one client's measurements; merged at the end.
type tally struct {
	latency  map[string][]time.Duration
	commands int
	events   int
	errors   map[int]int
	first    []string
}

// Run sends commands until the duration or the command count is reached
// or ctx ends, then waits for the reports to reflect the last one.
func (l *Load) Run(ctx context.Context) (Result, error) {
	// The server must answer before the clock starts.
	if _, err := l.client.get(ctx, "/healthz"); err != nil {
		return Result{}, fmt.Errorf("%s does not answer: %w", l.client.base, err)
	}
	runCtx, cancel := context.WithTimeout(ctx, l.o.duration)
	defer cancel()
	var budget atomic.Int64
	budget.Store(int64(l.o.maxCommands))
	var head atomic.Uint64
	tallies := make([]*tally, l.o.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range l.o.clients {
		t := &tally{latency: map[string][]time.Duration{}, errors: map[int]int{}}
		tallies[i] = t
		w := &worker{id: i, c: l.client, t: t, budget: &budget, head: &head, log: l.o.log}
		wg.Go(func() { w.run(ctx, runCtx) })
	}
	reads := make([][]time.Duration, l.o.reportReaders)
	var readers sync.WaitGroup
	for i := range reads {
		readers.Go(func() { reads[i] = l.readReport(runCtx) })
	}
	var visible []time.Duration
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		visible = l.sampleVisibility(runCtx, &head)
	}()
	wg.Wait()
	if l.o.clients == 0 {
		<-runCtx.Done() // the readers read for the whole duration
	}
	elapsed := time.Since(start)
	cancel()
	<-sampled
	readers.Wait()

	res := Result{Clients: l.o.clients, Elapsed: elapsed, Errors: map[int]int{}, ByCommand: map[string]Percentiles{}, LastPosition: head.Load()}
	all := []time.Duration{}
	byCmd := map[string][]time.Duration{}
	for _, t := range tallies {
		res.Commands += t.commands
		res.Events += t.events
		for k, v := range t.errors {
			res.Errors[k] += v
		}
		if len(res.FirstErrors) < 5 {
			res.FirstErrors = append(res.FirstErrors, t.first[:min(len(t.first), 5-len(res.FirstErrors))]...)
		}
		for k, v := range t.latency {
			all = append(all, v...)
			byCmd[k] = append(byCmd[k], v...)
		}
	}
	res.Latency = percentiles(all)
	for k, v := range byCmd {
		res.ByCommand[k] = percentiles(v)
	}
	res.Visible = percentiles(visible)
	res.ReportReaders, res.ReadReport, res.ReadProgramme, res.ReadProject = l.o.reportReaders, l.o.readReport, l.o.readProgramme, l.o.readProject
	res.ReportReads = percentiles(slices.Concat(reads...))
	if p := head.Load(); p > 0 {
		cctx, ccancel := context.WithTimeout(ctx, 60*time.Second)
		defer ccancel()
		took, err := l.client.get(cctx, fmt.Sprintf("%s%d", probe, p))
		if err != nil {
			return res, fmt.Errorf("reports did not reach position %d: %w", p, err)
		}
		res.CatchUp = took
	}
	return res, nil
}

// readReport asks for the readers' report until ctx ends, and returns
// how long each answer took.
func (l *Load) readReport(ctx context.Context) []time.Duration {
	var out []time.Duration
	failed := 0
	path := "/api/v1/reports/" + l.o.readReport
	switch {
	case l.o.readProgramme != "":
		path += "?programme=" + url.QueryEscape(l.o.readProgramme)
	case l.o.readProject != "":
		path += "?project=" + url.QueryEscape(l.o.readProject)
	}
	for ctx.Err() == nil {
		took, err := l.client.get(ctx, path)
		if err != nil {
			if ctx.Err() == nil {
				level := zerolog.DebugLevel
				if failed == 0 {
					level = zerolog.WarnLevel
				}
				l.o.log.WithLevel(level).Err(err).Msg("report read failed")
			}
			failed++
			// A programme not registered yet, or a server in trouble: ask
			// again in a moment rather than at once.
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		out = append(out, took)
	}
	return out
}

// probe is the cheapest report (the duty register: a row a project), so
// that it measures how soon the projection reflects an event rather than
// how long a large report takes to compute.
const probe = "/api/v1/reports/duty?min_position="

// sampleVisibility asks, four times a second, for a report that must
// reflect the newest acknowledged event, and returns how long each took.
func (l *Load) sampleVisibility(ctx context.Context, head *atomic.Uint64) []time.Duration {
	var out []time.Duration
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
		p := head.Load()
		if p == 0 {
			continue
		}
		took, err := l.client.get(ctx, fmt.Sprintf("%s%d", probe, p))
		if err != nil {
			if ctx.Err() == nil {
				l.o.log.Warn().Err(err).Uint64("position", p).Msg("visibility probe failed")
			}
			continue
		}
		out = append(out, took)
	}
}

// Sort helper for printing per-command figures in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
