package reports

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/projections/representativeness"
	"github.com/together-coop/together/services/internal/problem"
)

// MaxWait bounds how long a report waits for min_position.
const MaxWait = 10 * time.Second

// ErrInvalidOption is returned by [New] for an option that cannot work.
var ErrInvalidOption = errors.New("invalid reports option")

// Service serves the reports. It is safe for concurrent use.
type Service struct {
	runner *Runner
	config report.Config
	loc    *time.Location
	rule   disclosure.Rule
	exact  func(*http.Request) bool
	now    func() time.Time
	turns  *turns
	// memo answers a report again while nothing in its scope changed.
	memo *report.Memo
}

// Option configures [New].
type Option func(*Service) error

// WithThresholds sets the programme view's red, amber and green; the
// default is [programme.DefaultThresholds].
func WithThresholds(t programme.Thresholds) Option {
	return func(s *Service) error {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		s.config.Thresholds = t
		return nil
	}
}

// WithBaseline sets the population the representativeness report
// compares with; the default has none, so its gaps are null.
func WithBaseline(b representativeness.Baseline) Option {
	return func(s *Service) error {
		if err := b.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		s.config.Baseline = b
		return nil
	}
}

// WithDemographics sets how sealed demographics are opened for the
// representativeness report, and how the revision of the keys they open
// with is read (see report.Config.KeysRevision; nil: the report is
// computed at every request); the default opens none (everyone is "not
// recorded").
func WithDemographics(open representativeness.Opener, keysRevision func() (uint64, bool)) Option {
	return func(s *Service) error {
		s.config.Demographics, s.config.KeysRevision = open, keysRevision
		return nil
	}
}

// WithLocation sets the programme's time zone, in which dates, windows
// and day counts are taken; the default is [projections.DefaultTimeZone].
func WithLocation(loc *time.Location) Option {
	return func(s *Service) error {
		if loc == nil {
			return fmt.Errorf("%w: nil time zone", ErrInvalidOption)
		}
		s.loc = loc
		return nil
	}
}

// WithExactCounts decides, per request, whether the caller may see exact
// counts (someone allowed personal data); everyone else gets counts
// suppressed by the disclosure rule. The default lets nobody: every
// report is suppressed until the wiring says who may see more.
func WithExactCounts(exact func(*http.Request) bool) Option {
	return func(s *Service) error {
		if exact == nil {
			return fmt.Errorf("%w: nil exact-counts decision", ErrInvalidOption)
		}
		s.exact = exact
		return nil
	}
}

// WithDisclosureRule sets how counts are suppressed for callers who may
// not see them exactly; the default is [disclosure.NHSEngland].
func WithDisclosureRule(r disclosure.Rule) Option {
	return func(s *Service) error {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		s.rule = r
		return nil
	}
}

// WithClock sets the clock that "now" and the as-of default read; the
// default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Service) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		s.now = now
		return nil
	}
}

// WithReportMetrics registers with reg how many heavy reports wait for
// their turn and how long they waited, and how many reports were answered
// from the memo or computed. Default: not registered.
func WithReportMetrics(reg prometheus.Registerer) Option {
	return func(s *Service) error {
		if reg == nil {
			return fmt.Errorf("%w: nil registerer", ErrInvalidOption)
		}
		memo := func(outcome string, count func() uint64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "together_reports_memo_total",
				Help: "Reports answered from what the memo kept for a scope in which nothing changed (outcome kept), " +
					"or computed (outcome computed).",
				ConstLabels: prometheus.Labels{"outcome": outcome},
			}, func() float64 { return float64(count()) })
		}
		kept := memo("kept", func() uint64 { hits, _ := s.memo.Counts(); return hits })
		computed := memo("computed", func() uint64 { _, misses := s.memo.Counts(); return misses })
		for _, c := range []prometheus.Collector{s.turns.waiting, s.turns.waited, kept, computed} {
			if err := reg.Register(c); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidOption, err)
			}
		}
		return nil
	}
}

// New returns the reports service over runner. Options: [WithThresholds],
// [WithBaseline], [WithDemographics], [WithLocation], [WithExactCounts],
// [WithDisclosureRule], [WithClock], [WithReportMetrics].
func New(runner *Runner, opts ...Option) (*Service, error) {
	s := &Service{
		runner: runner, config: report.DefaultConfig(), loc: projections.DefaultLocation(),
		rule: disclosure.NHSEngland(), exact: func(*http.Request) bool { return false }, now: time.Now,
		turns: defaultTurns(),
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.memo = report.NewMemo(s.config)
	return s, nil
}

// Routes adds the report endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/reports/{report}", s.report)
}

// Request is one parsed report request.
type Request struct {
	Name        string
	Query       projections.Query
	Format      string // "json" or "csv"
	MinPosition uint64
	// Latest is set when no as_of was asked for: the report is as of the
	// moment it is read, of the version it reads (see [Service.latest]).
	Latest bool
	// Suppress is whether counts are published under the disclosure rule
	// (set from [WithExactCounts]).
	Suppress bool
}

func (s *Service) report(w http.ResponseWriter, r *http.Request) {
	req, err := s.parse(r)
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	// Always wait: besides min_position, a projection still rebuilding
	// after a start must not answer as if it held the whole history.
	ctx, cancel := context.WithTimeout(r.Context(), MaxWait)
	err = s.runner.WaitFor(ctx, req.MinPosition)
	cancel()
	if err != nil {
		w.Header().Set("Retry-After", "1")
		problem.Write(w, r, http.StatusServiceUnavailable, fmt.Sprintf(
			"the reports have not reached position %d yet (they are at %d): %v", req.MinPosition, s.runner.Checkpoint(), err))
		return
	}
	got, err := s.answer(r.Context(), req)
	if errors.Is(err, errTurnAbandoned) {
		problem.Write(w, r, http.StatusServiceUnavailable, "the request ended while the report waited its turn")
		return
	}
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	rule := disclosure.Rule{}
	if req.Suppress {
		rule = s.rule
	}
	if req.Format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", req.Name+".csv"))
		_, _ = w.Write(report.CSV(got.Doc, rule))
		return
	}
	head, rest, err := got.JSONParts(rule)
	if err != nil {
		problem.Write(w, r, http.StatusInternalServerError, "the report could not be encoded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(head)
	_, _ = w.Write(rest)
}

// errTurnAbandoned is a request that ended while its report waited for
// its turn.
var errTurnAbandoned = errors.New("the request ended while the report waited its turn")

// answer returns the report req asks for: as the memo keeps it if nothing
// in its scope changed, at once, or else computed in its turn.
func (s *Service) answer(ctx context.Context, req Request) (report.Answer, error) {
	var a report.Answer
	var kept bool
	var err error
	s.runner.Read(func(l *ledger.Ledger) {
		s.latest(l, &req)
		if err = resolveScope(l, &req.Query); err == nil {
			a, kept = s.memo.Kept(req.Name, l, req.Query)
		}
	})
	if err != nil || kept {
		return a, err
	}
	done, err := s.turns.take(ctx, scopeOf(req))
	if err != nil {
		return report.Answer{}, errTurnAbandoned
	}
	start := time.Now()
	computed := false
	defer func() { done(time.Since(start), computed) }() // a turn is given back even if the report panics
	// A later version knows all the earlier one did: the scope resolved
	// there stands.
	s.runner.Read(func(l *ledger.Ledger) {
		s.latest(l, &req)
		a, kept, _ = s.memo.Compute(req.Name, l, req.Query)
		computed = !kept
	})
	return a, nil
}

// latest sets the as-of of a request that asked for none to the moment
// it reads l: now, or the time of the last event l holds if a clock ahead
// of this one recorded it later. Taken when the request arrived, it would
// leave out what l took meanwhile, while waiting for min_position or its
// turn above all; and a report of a moment before the newest revision of
// its scope is computed afresh, never kept for the next reader.
func (s *Service) latest(l *ledger.Ledger, req *Request) {
	if !req.Latest {
		return
	}
	req.Query.AsOf = s.now()
	if last, ok := l.Recorded.Last(); ok {
		if at := time.Unix(0, last.At); at.After(req.Query.AsOf) {
			req.Query.AsOf = at
		}
	}
}

// parameters are the query parameters a report takes.
var parameters = []string{"project", "programme", "from", "to", "as_of", "format", "min_position"}

// momentForm says in words what a moment parameter takes.
const momentForm = "a date like 2026-03-31 or an RFC 3339 time like 2026-03-31T09:00:00Z"

func (s *Service) parse(r *http.Request) (Request, error) {
	req := Request{Name: r.PathValue("report"), Suppress: !s.exact(r)}
	if _, ok := report.Lookup(req.Name); !ok {
		return req, problem.NotFound("no report %q: there are %s", req.Name, strings.Join(report.Names(), ", "))
	}
	v := r.URL.Query()
	if err := problem.OnlyParams(v, parameters); err != nil {
		return req, err
	}
	q := projections.Query{Project: strings.TrimSpace(v.Get("project")), Programme: strings.TrimSpace(v.Get("programme")), Location: s.loc}
	now := s.now()
	q.AsOf = now
	moment := func(key string) (*time.Time, error) {
		raw := v.Get(key)
		if raw == "" {
			return nil, nil
		}
		t, err := projections.ParseMomentIn(raw, s.loc)
		if err != nil {
			return nil, problem.Invalid(key, "%s must be %s; %q is neither", key, momentForm, raw)
		}
		return &t, nil
	}
	asOf, err := moment("as_of")
	if err != nil {
		return req, err
	}
	req.Latest = asOf == nil
	if asOf != nil {
		if asOf.After(now.Add(time.Minute)) {
			return req, problem.Invalid("as_of", "as_of is in the future: a report is as the system knew it at a moment that has passed")
		}
		q.AsOf = *asOf
	}
	if q.From, err = moment("from"); err != nil {
		return req, err
	}
	if q.To, err = moment("to"); err != nil {
		return req, err
	}
	if q.Project != "" && q.Programme != "" {
		return req, &problem.FieldsError{Detail: "give project or programme, not both", Fields: []events.FieldError{
			{Field: "project", Message: "give project or programme, not both"},
			{Field: "programme", Message: "give project or programme, not both"},
		}}
	}
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		return req, problem.Invalid("to", "from (%s) must be before to (%s): the window is from inclusive to exclusive",
			q.From.In(s.loc).Format(time.RFC3339), q.To.In(s.loc).Format(time.RFC3339))
	}
	if err := q.Validate(); err != nil {
		return req, problem.Invalid("", "%v", err)
	}
	switch req.Format = v.Get("format"); req.Format {
	case "", "json":
		req.Format = "json"
	case "csv":
	default:
		return req, problem.Invalid("format", "format must be json or csv, not %q", req.Format)
	}
	if mp := v.Get("min_position"); mp != "" {
		if req.MinPosition, err = strconv.ParseUint(mp, 10, 64); err != nil {
			return req, problem.Invalid("min_position", "min_position must be a store position (a whole number), not %q", mp)
		}
	}
	req.Query = q
	return req, nil
}

// resolveScope checks that the project or programme asked for was known
// at as_of, and spells the programme as it was registered (names match
// whatever their case). Unknown ones are a [notFound] naming the closest
// known ones.
func resolveScope(l *ledger.Ledger, q *projections.Query) error {
	// Asked at every reading: the scope found is answered at once; only
	// one not found walks every project, for the names to suggest.
	switch {
	case q.Project != "":
		if p := l.Projects.Get(q.Project); p != nil && q.Known(p.Fact) {
			return nil
		}
	case q.Programme != "":
		for _, id := range l.ProjectOrder {
			if p := l.Projects.Get(id); q.Known(p.Fact) && projections.SameProgramme(p.Programme, q.Programme) {
				q.Programme = p.Programme
				return nil
			}
		}
	default:
		return nil
	}
	var programmes []string
	var projects []*ledger.Project
	for _, id := range l.ProjectOrder {
		p := l.Projects.Get(id)
		if !q.Known(p.Fact) {
			continue
		}
		projects = append(projects, p)
		if !slices.ContainsFunc(programmes, func(n string) bool { return projections.SameProgramme(n, p.Programme) }) {
			programmes = append(programmes, p.Programme)
		}
	}
	asOf := q.AsOf.In(q.Loc()).Format(time.RFC3339)
	if q.Project != "" {
		names := make([]string, len(projects))
		for i, p := range projects {
			names[i] = p.Name + " (" + p.ID + ")"
		}
		return problem.NotFound("no project %s as of %s%s", q.Project, asOf, suggest(q.Project, names, func(i int) []string {
			return []string{projects[i].ID, projects[i].Name}
		}))
	}
	return problem.NotFound("no programme %q as of %s%s", q.Programme, asOf, suggest(q.Programme, programmes, func(i int) []string {
		return []string{programmes[i]}
	}))
}

// suggest names up to three of the known names closest to asked (by
// edit distance, ignoring case, to any of keys(i)), as "; did you mean
// …?", or says there are none.
func suggest(asked string, names []string, keys func(int) []string) string {
	if len(names) == 0 {
		return "; there are none yet"
	}
	type scored struct {
		name string
		d    int
	}
	var ss []scored
	for i, n := range names {
		best := -1
		for _, k := range keys(i) {
			if d := distance(strings.ToLower(asked), strings.ToLower(k)); best < 0 || d < best {
				best = d
			}
		}
		ss = append(ss, scored{n, best})
	}
	slices.SortStableFunc(ss, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, s := range ss[:min(3, len(ss))] {
		out = append(out, strconv.Quote(s.name))
	}
	return "; the closest known: " + strings.Join(out, ", ")
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
