package browse

import (
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/services/internal/problem"
)

// query is one parsed read request.
type query struct {
	path   string
	values url.Values
	loc    *time.Location
	// asOf is the moment read (recorded time); asOfGiven says the
	// client chose it, so the position answered is the one known then.
	asOf        time.Time
	asOfGiven   bool
	limit       int
	after       uint64
	minPosition uint64
	// position is the store position the answer reflects, set from the
	// version of the ledger it is computed from.
	position uint64
}

// The parameters every read takes, and those every list adds.
var (
	readParams = []string{"as_of", "min_position"}
	listParams = []string{"limit", "after", "as_of", "min_position"}
)

// momentForm says in words what as_of takes.
const momentForm = "a date like 2026-03-31 or an RFC 3339 time like 2026-03-31T09:00:00Z"

func (s *Service) parse(r *http.Request, params []string) (*query, error) {
	v := r.URL.Query()
	if err := problem.OnlyParams(v, params); err != nil {
		return nil, err
	}
	now := s.opts.now()
	q := &query{path: r.URL.Path, values: v, loc: s.opts.loc, asOf: now, limit: DefaultLimit}
	if raw := v.Get("as_of"); raw != "" {
		t, err := projections.ParseMomentIn(raw, s.opts.loc)
		if err != nil {
			return nil, problem.Invalid("as_of", "as_of must be %s; %q is neither", momentForm, raw)
		}
		if t.After(now.Add(time.Minute)) {
			return nil, problem.Invalid("as_of", "as_of is in the future: a read is as the system knew it at a moment that has passed")
		}
		q.asOf, q.asOfGiven = t, true
	}
	if raw := v.Get("min_position"); raw != "" {
		p, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return nil, problem.Invalid("min_position", "min_position must be a store position (a whole number), not %q", raw)
		}
		q.minPosition = p
	}
	if raw := v.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxLimit {
			return nil, problem.Invalid("limit", "limit must be a whole number from 1 to %d, not %q", MaxLimit, raw)
		}
		q.limit = n
	}
	if raw := v.Get("after"); raw != "" {
		p, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return nil, problem.Invalid("after", "after must be the cursor a previous page's next link carries, not %q", raw)
		}
		q.after = p
	}
	return q, nil
}

// known reports whether a fact was known at the moment read.
func (q *query) known(f ledger.Fact) bool { return f.KnownAt(q.asOf) }

// knownPtr reports whether an optional fact exists and was known.
func (q *query) knownPtr(f *ledger.Fact) bool { return f != nil && q.known(*f) }

// today is the day of the moment read, in the programme's time zone: the
// day against which an action is overdue, as in the reports.
func (q *query) today() events.Date { return projections.DateIn(q.asOf, q.loc) }

// param returns a filter parameter, trimmed.
func (q *query) param(key string) string { return strings.TrimSpace(q.values.Get(key)) }

// paged returns the page after the cursor of the entities seq yields, in
// ascending order of the position that registered each; render shows one.
// Only the entities on the page are rendered.
func paged[E, T any](q *query, seq iter.Seq2[uint64, E], render func(E) T) Page[T] {
	p := Page[T]{Items: []T{}, Position: q.position, AsOf: q.asOf.UTC()}
	var last uint64
	for pos, e := range seq {
		if pos <= q.after {
			continue
		}
		if len(p.Items) == q.limit {
			next := q.nextLink(last)
			p.Next = &next
			break
		}
		p.Items = append(p.Items, render(e))
		last = pos
	}
	return p
}

// nextLink is this request's URL with after moved to the cursor; a
// min_position already reached is left out.
func (q *query) nextLink(after uint64) string {
	v := url.Values{}
	for key, vals := range q.values {
		if key != "min_position" && key != "after" {
			v[key] = vals
		}
	}
	v.Set("after", strconv.FormatUint(after, 10))
	return q.path + "?" + v.Encode()
}

// inOrder yields, in the order ids lists them, the entities of byID that
// were known at the moment read and that keep accepts (nil: all), each
// with the position that registered it.
func inOrder[E any](q *query, ids []string, byID ledger.Index[*E], fact func(*E) ledger.Fact, keep func(*E) bool) iter.Seq2[uint64, *E] {
	return func(yield func(uint64, *E) bool) {
		for _, id := range ids {
			e := byID.Get(id)
			if e == nil || !q.known(fact(e)) || (keep != nil && !keep(e)) {
				continue
			}
			if !yield(fact(e).Position, e) {
				return
			}
		}
	}
}

// projectFilter resolves the project= parameter: the project's own list
// of ids (by field) or, with no filter, the ledger's whole order. An
// unknown project is a 404.
func (q *query) projectFilter(l *ledger.Ledger, all []string, own func(*ledger.Project) []string) ([]string, error) {
	id := q.param("project")
	if id == "" {
		return all, nil
	}
	p := l.Projects.Get(id)
	if p == nil || !q.known(p.Fact) {
		return nil, q.notFound("project", id)
	}
	return own(p), nil
}
