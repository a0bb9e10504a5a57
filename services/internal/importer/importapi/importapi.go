// Package importapi reviews and records an import through together's HTTP
// API, the same for the web page (in-process sub-requests to the API's
// handlers, as the person signed in) and for together import (HTTP, with
// an API token).
//
// A review records nothing: it asks the API what each item of the file
// would meet. A stakeholder row is already recorded when the stakeholder
// its Idempotency-Key names exists: the stakeholders service derives a new
// stakeholder's id from the key (command.Meta.NewID), so the review knows
// that id before anything is recorded and reads it. An engagement's
// attendance is already recorded when the engagement is held with exactly
// the same day and people. Approving reviews again and, only if no row has
// a problem, sends each new item as its command with its key: a second
// approval of the same file, or one cut short and run again, replays
// rather than records.
package importapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/importer"
	"github.com/together-coop/together/services/internal/inproc"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// Doer sends one request to together's API and returns its answer: an
// *http.Client, or [Handler] in process.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Handler returns a [Doer] that serves each request with h in process.
// The request's context is the caller's, so the command handlers see the
// identity that signed in (and record it as the actor).
func Handler(h http.Handler) Doer { return handlerDoer{h} }

type handlerDoer struct{ h http.Handler }

func (d handlerDoer) Do(req *http.Request) (*http.Response, error) {
	req.RequestURI = req.URL.RequestURI()
	return inproc.Do(d.h, req), nil
}

// ErrInvalidOption is returned by [New] for an option that cannot work.
var ErrInvalidOption = errors.New("invalid option")

// ErrProblems is returned by [Client.Approve] when a row has a problem:
// nothing was recorded. A file is recorded whole or not at all, so that
// correcting it and importing it again never records a row twice (the
// corrected file is another file, with other keys).
var ErrProblems = errors.New("some rows have problems; correct them in the spreadsheet and import the file again (nothing was recorded)")

// ErrAPI is returned when the API did not answer as it should (it is
// unavailable, or refuses the caller): the review or approval stopped.
// Approving again is safe: nothing is recorded twice.
var ErrAPI = errors.New("the API did not answer as expected")

// Option configures [New].
type Option func(*options) error

type options struct {
	base        string
	header      http.Header
	now         func() time.Time
	concurrency int
}

// WithBaseURL sends the requests to the API at base (http://host:port);
// default none, for a [Handler].
func WithBaseURL(base string) Option {
	return func(o *options) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: base URL %q: want http://host:port or https://host", ErrInvalidOption, base)
		}
		o.base = strings.TrimSuffix(base, "/")
		return nil
	}
}

// WithHeader sends a header with every request: the X-Request-Id of the
// page's request, so that each event records it as its cause.
func WithHeader(name, value string) Option {
	return func(o *options) error {
		o.header.Set(name, value)
		return nil
	}
}

// WithClock sets the clock that says which days are in the future.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: clock is nil", ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithConcurrency sets how many requests are in flight at once. Default 4.
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 64 {
			return fmt.Errorf("%w: concurrency must be from 1 to 64, not %d", ErrInvalidOption, n)
		}
		o.concurrency = n
		return nil
	}
}

// Client reviews and approves imports through the API. It is safe for
// concurrent use.
type Client struct {
	api  Doer
	opts options
}

// New returns a client of api. Options: [WithBaseURL], [WithHeader],
// [WithClock], [WithConcurrency].
func New(api Doer, opts ...Option) (*Client, error) {
	if api == nil {
		return nil, fmt.Errorf("%w: api is nil", ErrInvalidOption)
	}
	o := options{header: http.Header{}, now: time.Now, concurrency: 4}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Client{api: api, opts: o}, nil
}

// Status is what became, or would become, of an item.
type Status string

// The statuses of an item.
const (
	// StatusNew: approving records it.
	StatusNew Status = "new"
	// StatusAlreadyRecorded: its key was used before (an earlier import of the
	// same file); approving records nothing for it.
	StatusAlreadyRecorded Status = "already recorded"
	// StatusRecorded: this approval recorded it.
	StatusRecorded Status = "recorded"
	// StatusProblem: a row of it has a problem; nothing is recorded for it.
	StatusProblem Status = "problem"
)

// Item is one thing an import records: a stakeholder (one row) or an
// engagement's attendance (its rows).
type Item struct {
	Rows []int
	// ID is the stakeholder's id (derived from the key, so known before
	// it is recorded) or the engagement's.
	ID     string
	Status Status
}

// Review is what an import of a file would do, or did.
type Review struct {
	File  *importer.File
	Items []Item
	// Problems are the file's and those found against what is recorded,
	// sorted by row.
	Problems []importer.Problem
}

// Count returns the number of items with status s.
func (r *Review) Count(s Status) int {
	n := 0
	for _, it := range r.Items {
		if it.Status == s {
			n++
		}
	}
	return n
}

// ProblemRows counts the rows with at least one problem.
func (r *Review) ProblemRows() int {
	rows := map[int]bool{}
	for _, p := range r.Problems {
		rows[p.Row] = true
	}
	return len(rows)
}

// Summary says in a line what the review found: "12 new, 3 already
// recorded, 2 rows with problems".
func (r *Review) Summary() string {
	var parts []string
	if n := r.Count(StatusRecorded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d recorded", n))
	}
	if n := r.Count(StatusNew); n > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d new", n))
	}
	parts = append(parts, fmt.Sprintf("%d already recorded", r.Count(StatusAlreadyRecorded)))
	switch n := r.ProblemRows(); n {
	case 1:
		parts = append(parts, "1 row with problems")
	default:
		parts = append(parts, fmt.Sprintf("%d rows with problems", n))
	}
	return strings.Join(parts, ", ")
}

// Review asks the API what importing f would meet, recording nothing.
func (c *Client) Review(ctx context.Context, f *importer.File) (*Review, error) {
	rev := &Review{File: f, Problems: slices.Clone(f.Problems)}
	for _, p := range f.Problems {
		if i := slices.IndexFunc(rev.Items, func(it Item) bool { return slices.Contains(it.Rows, p.Row) }); i < 0 {
			rev.Items = append(rev.Items, Item{Rows: []int{p.Row}, Status: StatusProblem})
		}
	}
	var err error
	switch f.Kind {
	case importer.Stakeholders:
		err = c.reviewStakeholders(ctx, rev)
	case importer.Attendance:
		err = c.reviewAttendance(ctx, rev)
	}
	if err != nil {
		return nil, err
	}
	rev.sort()
	return rev, nil
}

func (r *Review) sort() {
	slices.SortStableFunc(r.Items, func(a, b Item) int { return a.Rows[0] - b.Rows[0] })
	slices.SortStableFunc(r.Problems, func(a, b importer.Problem) int { return a.Row - b.Row })
}

// StakeholderID returns the id a stakeholder row is registered under.
func StakeholderID(s importer.Stakeholder) string {
	id, _ := command.Meta{IdempotencyKey: s.Key}.NewID(stakeholders.Aggregate.Name) // with a key it cannot fail
	return id
}

func (c *Client) reviewStakeholders(ctx context.Context, rev *Review) error {
	f := rev.File
	items := make([]Item, len(f.Stakeholders))
	g, gctx := c.group(ctx)
	for i, s := range f.Stakeholders {
		g.Go(func() error {
			id := StakeholderID(s)
			found, _, err := c.stakeholder(gctx, id)
			if err != nil {
				return err
			}
			items[i] = Item{Rows: []int{s.Row}, ID: id, Status: StatusNew}
			if found {
				items[i].Status = StatusAlreadyRecorded
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	rev.Items = append(rev.Items, items...)
	return nil
}

// stakeholder reads a stakeholder: whether they exist, and whether they
// were erased.
func (c *Client) stakeholder(ctx context.Context, id string) (found, erased bool, err error) {
	var rec struct {
		Erased bool `json:"erased"`
	}
	status, err := c.get(ctx, "/api/v1/stakeholders/"+url.PathEscape(id), &rec)
	switch {
	case err != nil:
		return false, false, err
	case status == http.StatusNotFound:
		return false, false, nil
	}
	return true, rec.Erased, nil
}

// engagement is what a review needs of GET /api/v1/engagements/{id}.
type engagement struct {
	Status      string       `json:"status"`
	HeldOn      *events.Date `json:"held_on"`
	AttendeeIDs []string     `json:"attendee_ids"`
	Counts      struct {
		UnnamedAttendees int `json:"unnamed_attendees"`
	} `json:"counts"`
}

func (c *Client) reviewAttendance(ctx context.Context, rev *Review) error {
	f := rev.File
	items := make([]Item, len(f.Attendance))
	found := make([][]importer.Problem, len(f.Attendance))
	today := events.DateOf(c.opts.now())
	g, gctx := c.group(ctx)
	for i, h := range f.Attendance {
		g.Go(func() error {
			items[i] = Item{Rows: h.Rows, ID: h.EngagementID, Status: StatusNew}
			var ps []importer.Problem
			onEvery := func(column, format string, args ...any) {
				for _, r := range h.Rows {
					ps = append(ps, importer.Problem{Row: r, Column: f.HeaderOf(column), Message: fmt.Sprintf(format, args...)})
				}
			}
			var en engagement
			status, err := c.get(gctx, "/api/v1/engagements/"+url.PathEscape(h.EngagementID), &en)
			switch {
			case err != nil:
				return err
			case status == http.StatusNotFound:
				onEvery("engagement_id", "there is no engagement %s", h.EngagementID)
			case en.Status == "cancelled":
				onEvery("engagement_id", "engagement %s was cancelled", h.EngagementID)
			case en.Status == "held":
				if sameAttendance(h, en) {
					items[i].Status = StatusAlreadyRecorded
					return nil
				}
				onEvery("engagement_id", "engagement %s is already recorded as held on %s with %d named and %d unnamed attendees; an import does not change that",
					h.EngagementID, en.HeldOn, len(en.AttendeeIDs), en.Counts.UnnamedAttendees)
			default:
				if h.HeldOn.After(today) {
					onEvery("held_on", "%s is in the future; import an engagement's attendance once it was held", h.HeldOn)
				}
				for j, id := range h.AttendeeIDs {
					ok, erased, err := c.stakeholder(gctx, id)
					if err != nil {
						return err
					}
					switch {
					case !ok:
						ps = append(ps, importer.Problem{Row: h.AttendeeRows[j], Column: f.HeaderOf("stakeholder_id"), Message: "there is no stakeholder " + id})
					case erased:
						ps = append(ps, importer.Problem{Row: h.AttendeeRows[j], Column: f.HeaderOf("stakeholder_id"), Message: "stakeholder " + id + " was erased"})
					}
				}
			}
			if len(ps) > 0 {
				items[i].Status = StatusProblem
				found[i] = append(ps, notImported(h.Rows, ps)...)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	rev.Items = append(rev.Items, items...)
	for _, ps := range found {
		rev.Problems = append(rev.Problems, ps...)
	}
	return nil
}

// notImported accounts for the rows of an engagement without a problem
// of their own.
func notImported(rows []int, ps []importer.Problem) []importer.Problem {
	var bad, out []int
	for _, p := range ps {
		if !slices.Contains(bad, p.Row) {
			bad = append(bad, p.Row)
		}
	}
	for _, r := range rows {
		if !slices.Contains(bad, r) {
			out = append(out, r)
		}
	}
	var notes []importer.Problem
	for _, r := range out {
		notes = append(notes, importer.Problem{Row: r, Message: "not imported: an engagement's attendance is recorded all at once, and this engagement has problems on other rows"})
	}
	return notes
}

func sameAttendance(h importer.Held, en engagement) bool {
	if en.HeldOn == nil || en.HeldOn.String() != h.HeldOn.String() || en.Counts.UnnamedAttendees != h.UnnamedAttendees {
		return false
	}
	a, b := slices.Clone(h.AttendeeIDs), slices.Clone(en.AttendeeIDs)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Approve reviews f again and, if no row has a problem, records each new
// item through its command. It returns the review with each item's
// status: StatusRecorded, StatusAlreadyRecorded, or StatusProblem where the command refused
// it (another approval, or a change, came first). With a problem in the
// file it records nothing and returns [ErrProblems]; when the API fails
// it stops and returns an error wrapping [ErrAPI], with what was recorded
// until then.
func (c *Client) Approve(ctx context.Context, f *importer.File) (*Review, error) {
	rev, err := c.Review(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(rev.Problems) > 0 {
		return rev, ErrProblems
	}
	var mu sync.Mutex
	g, gctx := c.group(ctx)
	for i := range rev.Items {
		it := &rev.Items[i]
		if it.Status != StatusNew {
			continue
		}
		g.Go(func() error {
			path, key, body := c.command(f, *it)
			res, refused, err := c.post(gctx, path, key, body)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case refused != nil:
				it.Status = StatusProblem
				for _, r := range it.Rows {
					rev.Problems = append(rev.Problems, importer.Problem{Row: r, Message: "not recorded: " + refused.message()})
				}
			case res.Replayed:
				it.Status = StatusAlreadyRecorded
			default:
				it.Status = StatusRecorded
			}
			if refused == nil && res.ID != it.ID {
				// The review read the wrong id: it would call this row
				// new again next time.
				return fmt.Errorf("%w: row %d was recorded as %s, not as %s", ErrAPI, it.Rows[0], res.ID, it.ID)
			}
			return nil
		})
	}
	err = g.Wait()
	rev.sort()
	return rev, err
}

// command returns the path, Idempotency-Key and body of an item's
// command.
func (c *Client) command(f *importer.File, it Item) (path, key string, body any) {
	switch f.Kind {
	case importer.Stakeholders:
		i := slices.IndexFunc(f.Stakeholders, func(s importer.Stakeholder) bool { return s.Row == it.Rows[0] })
		s := f.Stakeholders[i]
		return "/api/v1/stakeholders", s.Key, map[string]any{
			"name": s.Name, "contact": s.Contact, "roles": s.Roles, "current_experience": s.CurrentExperience,
			"recruitment_channel": s.RecruitmentChannel,
		}
	default:
		i := slices.IndexFunc(f.Attendance, func(h importer.Held) bool { return h.EngagementID == it.ID })
		h := f.Attendance[i]
		return "/api/v1/engagements/" + url.PathEscape(h.EngagementID) + "/held", h.Key, map[string]any{
			"held_on": h.HeldOn, "attendee_ids": h.AttendeeIDs, "unnamed_attendees": h.UnnamedAttendees,
		}
	}
}

func (c *Client) group(ctx context.Context) (*errgroup.Group, context.Context) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.concurrency)
	return g, gctx
}

// problemDoc is a problem+json answer.
type problemDoc struct {
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []events.FieldError `json:"errors"`
}

func (p *problemDoc) message() string {
	m := p.Detail
	for _, fe := range p.Errors {
		m += "; " + fe.Field + ": " + fe.Message
	}
	if m == "" {
		m = http.StatusText(p.Status)
	}
	return m
}

// maxAnswer bounds an answer read.
const maxAnswer = 1 << 20

func (c *Client) request(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.opts.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for name, vs := range c.opts.header {
		req.Header[name] = vs
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func (c *Client) do(req *http.Request) (int, []byte, error) {
	res, err := c.api.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s %s: %v", ErrAPI, req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s %s: %v", ErrAPI, req.Method, req.URL.Path, err)
	}
	return res.StatusCode, b, nil
}

// get reads path into v; it answers 404 without an error.
func (c *Client) get(ctx context.Context, path string, v any) (int, error) {
	req, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return 0, err
	}
	status, b, err := c.do(req)
	switch {
	case err != nil:
		return 0, err
	case status == http.StatusNotFound:
		return status, nil
	case status != http.StatusOK:
		return 0, answerError(req, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return 0, fmt.Errorf("%w: GET %s: %v", ErrAPI, path, err)
	}
	return status, nil
}

// post sends a command. A refusal for the item's own sake (400, 404,
// 409, 422) is returned as the problem; anything else stops the import.
func (c *Client) post(ctx context.Context, path, key string, body any) (command.Result, *problemDoc, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return command.Result{}, nil, err
	}
	req, err := c.request(ctx, http.MethodPost, path, raw)
	if err != nil {
		return command.Result{}, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(command.HeaderIdempotencyKey, key)
	status, b, err := c.do(req)
	if err != nil {
		return command.Result{}, nil, err
	}
	switch status {
	case http.StatusOK, http.StatusCreated:
		var res command.Result
		if err := json.Unmarshal(b, &res); err != nil {
			return command.Result{}, nil, fmt.Errorf("%w: POST %s: %v", ErrAPI, path, err)
		}
		return res, nil, nil
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		p := &problemDoc{Status: status}
		_ = json.Unmarshal(b, p)
		return command.Result{}, p, nil
	}
	return command.Result{}, nil, answerError(req, status, b)
}

func answerError(req *http.Request, status int, body []byte) error {
	p := problemDoc{Status: status}
	_ = json.Unmarshal(body, &p)
	return fmt.Errorf("%w: %s %s answered %d: %s", ErrAPI, req.Method, req.URL.Path, status, p.message())
}
