package browse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/services/internal/problem"
)

// MaxWait bounds how long a read waits for min_position, as a report does.
const MaxWait = 10 * time.Second

// Paging bounds.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ErrInvalidOption is returned by [New] for an option that cannot work.
var ErrInvalidOption = errors.New("invalid browse option")

// Ledger is where the service reads: the reports runner.
type Ledger interface {
	// Read calls f with the latest version of the ledger, which never
	// changes.
	Read(f func(l *ledger.Ledger))
	// WaitFor blocks until the ledger reflects position or ctx ends.
	WaitFor(ctx context.Context, position uint64) error
	// Checkpoint returns the position the ledger reflects.
	Checkpoint() uint64
}

type options struct {
	now func() time.Time
	loc *time.Location
}

// Option configures [New].
type Option func(*options) error

// WithClock sets the clock that the as_of default and overdue read; the
// default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithLocation sets the programme's time zone, in which dates (as_of given
// as a day, and the day against which an action is overdue) are taken; the
// default is [projections.DefaultTimeZone], as for the reports.
func WithLocation(loc *time.Location) Option {
	return func(o *options) error {
		if loc == nil {
			return fmt.Errorf("%w: nil time zone", ErrInvalidOption)
		}
		o.loc = loc
		return nil
	}
}

// Service serves the read endpoints. It is safe for concurrent use.
type Service struct {
	src  Ledger
	opts options
}

// New returns the service reading src. Options: [WithClock],
// [WithLocation].
func New(src Ledger, opts ...Option) (*Service, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil ledger", ErrInvalidOption)
	}
	o := options{now: time.Now, loc: projections.DefaultLocation()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Service{src: src, opts: o}, nil
}

// Routes adds the read endpoints to mux. GET /api/v1/stakeholders/{id},
// which opens personal data, is the stakeholder service's.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/projects", s.listProjects)
	mux.HandleFunc("GET /api/v1/projects/{id}", s.showProject)
	mux.HandleFunc("GET /api/v1/engagements", s.listEngagements)
	mux.HandleFunc("GET /api/v1/engagements/{id}", s.showEngagement)
	mux.HandleFunc("GET /api/v1/feedback", s.listFeedback)
	mux.HandleFunc("GET /api/v1/feedback/{id}", s.showFeedback)
	mux.HandleFunc("GET /api/v1/actions", s.listActions)
	mux.HandleFunc("GET /api/v1/actions/{id}", s.showAction)
	mux.HandleFunc("GET /api/v1/stakeholders", s.listStakeholders)
}

// Page is one page of a list: the items, the link to the next page (null
// on the last), and the moment and store position the list reflects.
type Page[T any] struct {
	Items    []T       `json:"items"`
	Next     *string   `json:"next"`
	Position uint64    `json:"position"`
	AsOf     time.Time `json:"as_of"`
}

func (q *query) notFound(kind, id string) error {
	return problem.NotFound("no %s %s as of %s", kind, id, q.asOf.In(q.loc).Format(time.RFC3339))
}

// serve parses the request with the parameters it takes, waits for
// min_position, and answers what build makes of the latest version of
// the ledger.
func (s *Service) serve(w http.ResponseWriter, r *http.Request, params []string, build func(l *ledger.Ledger, q *query) (any, error)) {
	q, err := s.parse(r, params)
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	// Always wait: besides min_position, a ledger still rebuilding after a
	// start must not answer as if it held the whole history.
	ctx, cancel := context.WithTimeout(r.Context(), MaxWait)
	err = s.src.WaitFor(ctx, q.minPosition)
	cancel()
	if err != nil {
		w.Header().Set("Retry-After", "1")
		problem.Write(w, r, http.StatusServiceUnavailable, fmt.Sprintf(
			"the ledger has not reached position %d yet (it is at %d): %v", q.minPosition, s.src.Checkpoint(), err))
		return
	}
	var body []byte
	s.src.Read(func(l *ledger.Ledger) {
		q.position = l.Position
		if q.asOfGiven {
			q.position = l.PositionAt(q.asOf)
		}
		var v any
		if v, err = build(l, q); err == nil {
			body, err = json.Marshal(v)
		}
	})
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(body, '\n'))
}
