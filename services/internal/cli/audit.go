package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/audit"
)

// source is where an audit command reads the history from.
type source struct {
	data, file string
	keyFile    *string
}

func (s *source) flags(fs *flag.FlagSet, env Env) {
	fs.StringVar(&s.data, "data", "", "data directory of a stopped together")
	fs.StringVar(&s.file, "file", "", "events.ndjson of an export")
	s.keyFile = registerKeyFile(fs, env)
}

// head returns the position of the history's last event, for progress;
// 0 if it cannot tell.
func (s *source) head(ctx context.Context, h *app.History) uint64 {
	if h != nil {
		p, _ := h.Head(ctx)
		return p
	}
	p, _ := audit.LastPosition(s.file)
	return p
}

// open returns the history in global order and a function to release it.
func (s *source) open(ctx context.Context) (iter.Seq2[events.Envelope, error], func(), error) {
	history, done, _, err := s.openWithHead(ctx)
	return history, done, err
}

// openStore opens a stopped system's store (--data), and returns the
// position of its last event.
func (s *source) openStore(ctx context.Context) (audit.Reader, func(), uint64, error) {
	if s.data == "" || s.file != "" {
		return nil, nil, 0, errors.New("give --data DIR (a stopped system), or --file EXPORT")
	}
	kek, err := loadKEK(*s.keyFile, s.data, zerolog.Nop())
	if err != nil {
		return nil, nil, 0, err
	}
	h, err := app.OpenHistory(ctx, s.data, kek)
	if err != nil {
		return nil, nil, 0, err
	}
	return h, func() { _ = h.Close() }, s.head(ctx, h), nil
}

// openWithHead also returns the position of the last event (0 if unknown).
func (s *source) openWithHead(ctx context.Context) (iter.Seq2[events.Envelope, error], func(), uint64, error) {
	switch {
	case s.data != "" && s.file != "":
		return nil, nil, 0, errors.New("give --data or --file, not both")
	case s.file != "":
		if _, err := os.Stat(s.file); err != nil {
			return nil, nil, 0, err
		}
		return audit.ReadFile(s.file), func() {}, s.head(ctx, nil), nil
	case s.data != "":
		kek, err := loadKEK(*s.keyFile, s.data, zerolog.Nop())
		if err != nil {
			return nil, nil, 0, err
		}
		h, err := app.OpenHistory(ctx, s.data, kek)
		if err != nil {
			return nil, nil, 0, err
		}
		return h.ReadAll(ctx, 0), func() { _ = h.Close() }, s.head(ctx, h), nil
	}
	return nil, nil, 0, errors.New("give --data DIR (a stopped system) or --file EXPORT/events.ndjson")
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "together %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}

func runVerify(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	src.flags(fs, env)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	noManifest := fs.Bool("no-manifest", false, "with --file: check the events alone, without an export's manifest.json\n(for a file saved from GET /api/v1/events)")
	allowEmpty := fs.Bool("allow-empty", false, "accept a history of no events (otherwise exit 1)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: together verify --data DIR | --file EXPORT[/events.ndjson] [--no-manifest] [--json]

Walks the whole history and checks every event's hash, each stream's hash
chain and every ledger seal over the global order. Prints the first break
with its stream, version and position and exits 1, or prints the number of
events and the final chain hash and exits 0. For a running system, use
GET /api/v1/audit/verify instead.

With --file it also checks the export against its manifest.json: the event
count, last position and chain hash, and the SHA-256 of every file; a file
changed, missing or added, or events.ndjson cut short, is named and exits 1.
A history of no events exits 1 unless --allow-empty.

Examples:
  together verify --data ./data
  together verify --file ./export-2026-03/events.ndjson

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "together verify: "+format+"\n", a...)
		return code
	}
	var res audit.ExportVerification
	switch {
	case src.file != "" && src.data == "":
		file, dir := src.file, filepath.Dir(src.file)
		if st, err := os.Stat(file); err != nil {
			return fail(2, "%v", err)
		} else if st.IsDir() {
			dir, file = file, filepath.Join(file, audit.EventsFile)
		}
		progress := progressTo(stderr, src.head(ctx, nil))
		var err error
		switch {
		case *noManifest:
			res, err = audit.VerifyFile(file, progress)
		case filepath.Base(file) != audit.EventsFile:
			return fail(2, "%s: an export's manifest describes its %s; give the export folder or that file, or --no-manifest", file, audit.EventsFile)
		default:
			res, err = audit.VerifyExport(dir, progress)
		}
		endProgress(stderr)
		if errors.Is(err, audit.ErrNoManifest) {
			return fail(1, "no %s beside %s, so what the export should hold is unknown: give the whole export folder, or pass --no-manifest to check the events alone", audit.ManifestFile, file)
		}
		if err != nil {
			return fail(2, "reading the export: %v", err)
		}
	default:
		store, done, head, err := src.openStore(ctx)
		if err != nil {
			return fail(2, "%v", err)
		}
		defer done()
		progress := progressTo(stderr, head)
		v, err := audit.VerifyStore(ctx, store, progress)
		endProgress(stderr)
		if err != nil {
			return fail(2, "reading the history: %v", err)
		}
		res = audit.ExportVerification{Verification: v}
	}
	r := res.Result
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		for _, p := range res.Unreadable {
			fmt.Fprintf(stdout, "UNREADABLE at position %d: the message there is not an event (written behind the recorder's back, or damaged); verification carried on past it\n", p)
		}
		if b := res.Break; b != nil {
			fmt.Fprintf(stdout, "BROKEN at position %d: stream %s version %d (event %s)\n%s\n(%d events verified before it)\n",
				b.Position, b.Stream, b.StreamVersion, b.EventID, b.Reason, r.Events)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "MISMATCH: %s\n", p)
		}
		if res.OK {
			fmt.Fprintf(stdout, "OK: %d events verified, %d seals (last through position %d)\nchain hash: %s\n",
				r.Events, r.Seals, r.LastSealedPosition, r.ChainHash)
			if r.Unsealed > 0 {
				fmt.Fprintf(stdout, "note: %d events after position %d are chained per stream but not yet sealed\n", r.Unsealed, r.LastSealedPosition)
			}
			if res.Manifest != nil {
				fmt.Fprintf(stdout, "matches %s: the count, last position and chain hash, and all %d files\n", audit.ManifestFile, len(res.Manifest.Files))
			}
		}
	}
	if !res.OK {
		return 1
	}
	if r.Events == 0 && !*allowEmpty {
		return fail(1, "nothing to verify: the history holds no event (pass --allow-empty to accept that)")
	}
	return 0
}

func runReplay(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	src.flags(fs, env)
	asOf := fs.String("as-of", "", "the moment (recorded time; date or RFC 3339) to rebuild the report as it was known then (default now)")
	occurredBefore := fs.String("occurred-before", "", "business-time view: only what occurred before this moment")
	reportName := fs.String("report", "", "the report: "+strings.Join(report.Names(), ", "))
	projectID := fs.String("project", "", "scope the report to one project")
	programmeName := fs.String("programme", "", "scope the report to one programme")
	format := fs.String("format", "table", "table, json or csv")
	thresholdsFile := fs.String("thresholds", "", "JSON thresholds for the programme view (as for serve)")
	allowEmpty := fs.Bool("allow-empty", false, "print the report even if no event was selected (otherwise exit 1)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: together replay --data DIR | --file EXPORT/events.ndjson --report NAME
                      [--as-of T] [--occurred-before T] [--project ID | --programme NAME]
                      [--format table|json|csv]

Rebuilds a report from the history alone, as the system knew it at --as-of
(recorded time). The JSON is the same document the live API served at that
moment; two replays of the same history give the same bytes. With
--report decisions and --format table it prints the decision audit trail:
for each element, every involvement decision in order, with its evidence.
--occurred-before narrows it to what had happened (business time) before
a moment. A replay that selects no event exits 1 unless --allow-empty.

Examples:
  together replay --data ./data --report decisions --project 01a2… --as-of 2026-03-31
  together replay --file export/events.ndjson --report participation --format json

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "together replay: "+format+"\n", a...)
		return 2
	}
	moment, err := asOfFlag(*asOf)
	if err != nil {
		return fail("%v", err)
	}
	q := projections.Query{Project: *projectID, Programme: *programmeName, AsOf: moment}
	if *occurredBefore != "" {
		t, err := projections.ParseMoment(*occurredBefore)
		if err != nil {
			return fail("--occurred-before: %v", err)
		}
		q.To = &t
	}
	if err := q.Validate(); err != nil {
		return fail("%v", err)
	}
	if *format != "table" && *format != "json" && *format != "csv" {
		return fail("--format %q: want table, json or csv", *format)
	}
	thresholds, err := loadThresholds(*thresholdsFile)
	if err != nil {
		return fail("%v", err)
	}
	if _, ok := report.Lookup(*reportName); !ok {
		return fail("--report %q: want one of %v", *reportName, report.Names())
	}
	history, done, err := src.open(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer done()
	sel := &selection{asOf: q.AsOf, before: q.To}
	l, err := audit.Rebuild(sel.count(history), catalogue.New(), q.AsOf)
	if err != nil {
		return fail("%v", err)
	}
	if err := sel.err(); err != nil && !*allowEmpty {
		fmt.Fprintf(stderr, "together replay: %v\n(--as-of is when events were recorded, --occurred-before when what they record happened; pass --allow-empty to print the empty report)\n", err)
		return 1
	}
	if q.Project != "" && l.Projects.Get(q.Project) == nil {
		return fail("no project %s as of %s", q.Project, q.AsOf.Format(time.RFC3339))
	}
	config := report.DefaultConfig()
	config.Thresholds = thresholds
	rep, _ := report.Compute(*reportName, l, q, config)
	var out []byte
	switch *format {
	case "json":
		// Exact, as an auditor with the data directory may see it.
		out, err = report.JSON(rep, disclosure.Rule{})
	case "csv":
		out = rep.CSV()
	default:
		out = audit.Table(rep)
	}
	if err != nil {
		return fail("%v", err)
	}
	_, _ = stdout.Write(out)
	return 0
}

func runExport(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	src.flags(fs, env)
	out := fs.String("out", "", "folder to write (must be new or empty)")
	asOf := fs.String("as-of", "", "export the history as known at this moment (default now)")
	thresholdsFile := fs.String("thresholds", "", "JSON thresholds for the programme view (as for serve)")
	allowEmpty := fs.Bool("allow-empty", false, "write an export of no events (otherwise exit 1)")
	pack := fs.String("pack", "", "write a pack instead of an export: annual (the year's reports per programme, published, and a printable document)")
	year := fs.Int("year", 0, "with --pack annual: the calendar year (1 January to 1 January, Europe/London)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: together export --data DIR --out FOLDER [--as-of T]
       together export --pack annual --year YYYY --data DIR --out FOLDER [--as-of T]

Writes FOLDER/events.ndjson (the history, one envelope a line, in global
order), FOLDER/reports/<report>.csv for every report as of T, and
FOLDER/manifest.json with the event count, the chain hash and the SHA-256
of every file. The history is verified as it is written; the folder can be
zipped, opened in a spreadsheet, and checked offline with together verify
--file. --as-of is recorded time: an export as of a moment before the
first event was recorded selects nothing, and exits 1 unless --allow-empty.

With --pack annual it writes instead, for each programme, FOLDER/<programme>/
<report>.csv for every report over the calendar year, with small numbers
suppressed as for the public (counts of 1 to 7 hidden, others rounded to
5), and FOLDER/<programme>/involvement-YYYY.html, a printable document for
the annual report on the duty to involve. As of now unless --as-of.

Examples:
  together export --data ./data --out ./export-2026-03 --as-of 2026-04-01
  together export --pack annual --year 2026 --data ./data --out ./pack-2026

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "together export: "+format+"\n", a...)
		return 2
	}
	if *out == "" {
		return fail("--out FOLDER is required")
	}
	moment, err := asOfFlag(*asOf)
	if err != nil {
		return fail("%v", err)
	}
	thresholds, err := loadThresholds(*thresholdsFile)
	if err != nil {
		return fail("%v", err)
	}
	if *pack != "" && *pack != audit.PackAnnual {
		return fail("--pack %q: the only pack is %s", *pack, audit.PackAnnual)
	}
	if *pack != "" && *year == 0 {
		return fail("--pack %s needs --year YYYY", *pack)
	}
	history, done, err := src.open(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer done()
	if *pack != "" {
		return writePack(history, *year, moment, thresholds, *out, *allowEmpty, stdout, stderr)
	}
	var opts []audit.ExportOption
	if *allowEmpty {
		opts = append(opts, audit.AllowEmpty())
	}
	m, err := audit.Export(history, catalogue.New(), moment, thresholds, *out, opts...)
	if errors.Is(err, audit.ErrNothingSelected) {
		fmt.Fprintf(stderr, "together export: %v\n(--as-of is when events were recorded; nothing was written; pass --allow-empty to export no events)\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "together export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "exported %d events (through position %d) and %d reports to %s\nchain hash: %s\n",
		m.Events, m.LastPosition, len(m.Files)-1, *out, m.ChainHash)
	return 0
}

// writePack writes the annual involvement pack of year as of moment.
func writePack(history iter.Seq2[events.Envelope, error], year int, moment time.Time, t programme.Thresholds, out string, allowEmpty bool, stdout, stderr io.Writer) int {
	l, err := audit.Rebuild(history, catalogue.New(), moment)
	if err != nil {
		fmt.Fprintf(stderr, "together export: %v\n", err)
		return 1
	}
	config := report.DefaultConfig()
	config.Thresholds = t
	files, err := audit.Pack(l, year, moment, nil, disclosure.NHSEngland(), config)
	if errors.Is(err, audit.ErrNothingSelected) && allowEmpty {
		fmt.Fprintf(stderr, "together export: %v; no pack written\n", err)
		return 0
	}
	if errors.Is(err, audit.ErrNothingSelected) {
		fmt.Fprintf(stderr, "together export: %v\n(--as-of is when events were recorded; nothing was written)\n", err)
		return 1
	}
	if err == nil {
		err = audit.WritePack(out, files)
	}
	if err != nil {
		fmt.Fprintf(stderr, "together export: %v\n", err)
		return 1
	}
	var programmes []string
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".html") {
			programmes = append(programmes, strings.Split(f.Path, "/")[0]+"/")
		}
	}
	fmt.Fprintf(stdout, "wrote the %d involvement pack of %d programmes to %s: %s\n", year, len(programmes), out, strings.Join(programmes, " "))
	return 0
}

// selection counts what a replay selects from a history: the events
// recorded by asOf and, of those, the ones that occurred before before.
type selection struct {
	asOf     time.Time
	before   *time.Time
	first    *events.Envelope
	recorded int
	occurred int
}

func (s *selection) count(history iter.Seq2[events.Envelope, error]) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range history {
			if err == nil {
				if s.first == nil {
					first := e
					s.first = &first
				}
				if !e.RecordedAt.After(s.asOf) {
					s.recorded++
					if s.before != nil && e.OccurredAt.Before(*s.before) {
						s.occurred++
					}
				}
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// err says why nothing was selected, or nil.
func (s *selection) err() error {
	switch {
	case s.first == nil:
		return fmt.Errorf("%w: the history is empty", audit.ErrNothingSelected)
	case s.recorded == 0:
		return fmt.Errorf("%w: no event was recorded at or before %s; the first was recorded at %s",
			audit.ErrNothingSelected, s.asOf.UTC().Format(time.RFC3339), s.first.RecordedAt.UTC().Format(time.RFC3339))
	case s.before != nil && s.occurred == 0:
		return fmt.Errorf("%w: of the %d events recorded by %s, none occurred before %s",
			audit.ErrNothingSelected, s.recorded, s.asOf.UTC().Format(time.RFC3339), s.before.UTC().Format(time.RFC3339))
	}
	return nil
}

// asOfFlag reads --as-of: a date or RFC 3339 time, now if empty.
func asOfFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := projections.ParseMoment(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of: %w", err)
	}
	return t, nil
}

func loadThresholds(path string) (programme.Thresholds, error) {
	if path == "" {
		return programme.DefaultThresholds(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return programme.Thresholds{}, fmt.Errorf("--thresholds: %w", err)
	}
	t, err := programme.ParseThresholds(data)
	if err != nil {
		return programme.Thresholds{}, fmt.Errorf("--thresholds %s: %w", path, err)
	}
	return t, nil
}

// terminal returns stderr as a terminal, or nil when it is not one.
func terminal(stderr io.Writer) *os.File {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

// progressTo returns a progress callback that redraws a bar on a
// terminal, measured against the last position head (a count and rate
// only if head is unknown), or nil when stderr is not a terminal.
func progressTo(stderr io.Writer, head uint64) func(events, position uint64) {
	f := terminal(stderr)
	if f == nil {
		return nil
	}
	start := time.Now()
	return func(n, position uint64) {
		_, _ = io.WriteString(f, progressLine(n, position, head, time.Since(start)))
	}
}

// progressLine draws "[#####.....]  50%  1234 events  5678/s".
func progressLine(n, position, head uint64, elapsed time.Duration) string {
	rate := float64(n) / max(elapsed.Seconds(), 1e-3)
	if head == 0 {
		return fmt.Sprintf("\rverified %d events (%.0f/s)…", n, rate)
	}
	const width = 30
	done := min(float64(position)/float64(head), 1)
	filled := int(done * width)
	return fmt.Sprintf("\r[%s%s] %3.0f%%  %d events  %.0f/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done*100, n, rate)
}

func endProgress(stderr io.Writer) {
	if f := terminal(stderr); f != nil {
		_, _ = io.WriteString(f, "\r\033[K")
	}
}
