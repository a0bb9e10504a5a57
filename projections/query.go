package projections

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the programme's time zone must load on any machine

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// Query says which part of the history a report covers.
type Query struct {
	// Project or Programme narrows the scope; both empty is everything.
	Project   string
	Programme string
	// From (inclusive) and To (exclusive) bound the window on occurred_at;
	// nil is unbounded.
	From *time.Time
	To   *time.Time
	// AsOf is the recorded-time moment the report is as of: only facts
	// recorded at or before it count. Overdue is judged at its date.
	AsOf time.Time
	// Location is the programme's time zone: calendar dates, day counts
	// and the date of AsOf are taken there. Nil is [DefaultLocation].
	Location *time.Location
}

// DefaultTimeZone is the time zone of a programme that names none.
const DefaultTimeZone = "Europe/London"

// DefaultLocation returns [DefaultTimeZone]. The zone database is built
// in, so it loads on any machine.
func DefaultLocation() *time.Location {
	loc, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		panic(err) // time/tzdata is linked in
	}
	return loc
}

var defaultLocation = DefaultLocation()

// Loc returns the query's time zone.
func (q Query) Loc() *time.Location {
	if q.Location == nil {
		return defaultLocation
	}
	return q.Location
}

// Date returns the calendar day of t in the query's time zone.
func (q Query) Date(t time.Time) events.Date { return DateIn(t, q.Loc()) }

// Today returns the date of AsOf in the query's time zone: the day
// overdue is judged on.
func (q Query) Today() events.Date { return q.Date(q.AsOf) }

// Days returns the whole calendar days from a to b in the query's time
// zone.
func (q Query) Days(a, b time.Time) int { return q.Date(a).DaysUntil(q.Date(b)) }

// Validate checks the query's own consistency.
func (q Query) Validate() error {
	if q.Project != "" && q.Programme != "" {
		return errors.New("give project or programme, not both")
	}
	if q.AsOf.IsZero() {
		return errors.New("as_of is required")
	}
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		return fmt.Errorf("from %s must be before to %s", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	return nil
}

// InWindow reports whether t falls in [From, To).
func (q Query) InWindow(t time.Time) bool {
	return (q.From == nil || !t.Before(*q.From)) && (q.To == nil || t.Before(*q.To))
}

// Known reports whether f was known at AsOf.
func (q Query) Known(f ledger.Fact) bool { return f.KnownAt(q.AsOf) }

// Counts reports whether f was known at AsOf and occurred in the window.
func (q Query) Counts(f ledger.Fact) bool { return q.Known(f) && q.InWindow(f.OccurredAt()) }

// Projects returns the projects in scope known at AsOf, in registration
// order.
func (q Query) Projects(l *ledger.Ledger) []*ledger.Project {
	var out []*ledger.Project
	for _, id := range l.ProjectOrder {
		p := l.Projects.Get(id)
		if !q.Known(p.Fact) {
			continue
		}
		if q.Project != "" && p.ID != q.Project || q.Programme != "" && !SameProgramme(p.Programme, q.Programme) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// SameProgramme reports whether two programme names are the same
// programme: names are matched without regard to case or surrounding
// spaces, as people type them.
func SameProgramme(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// Header is what every report echoes about itself. The window and as-of
// are written in the programme's time zone, which is echoed too.
type Header struct {
	Report   string     `json:"report"`
	Scope    Scope      `json:"scope"`
	From     *time.Time `json:"from"`
	To       *time.Time `json:"to"`
	AsOf     time.Time  `json:"as_of"`
	TimeZone string     `json:"time_zone"`
	// Counts says whether counts are exact or suppressed for
	// publication.
	Counts   string `json:"counts"`
	Position uint64 `json:"position"`
}

// Head returns the header itself: every report embeds a Header, so that
// whoever holds a report can give it the header of another asking.
func (h *Header) Head() *Header { return h }

// Scope is the echoed scope: at most one of the two is set.
type Scope struct {
	Project   *string `json:"project"`
	Programme *string `json:"programme"`
}

// HeaderOf returns the header of report for q over l.
func HeaderOf(report string, q Query, l *ledger.Ledger) Header {
	loc := q.Loc()
	h := Header{Report: report, From: in(q.From, loc), To: in(q.To, loc), AsOf: q.AsOf.In(loc), TimeZone: loc.String(),
		Counts: "exact", Position: l.PositionAt(q.AsOf)}
	if q.Project != "" {
		h.Scope.Project = &q.Project
	}
	if q.Programme != "" {
		h.Scope.Programme = &q.Programme
	}
	return h
}

func in(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	u := t.In(loc)
	return &u
}

// ErrMoment is returned by [ParseMoment] for text that is neither a date
// nor an RFC 3339 time.
var ErrMoment = errors.New("not a date like 2026-03-31 or an RFC 3339 time like 2026-03-31T09:00:00Z")

// ParseMoment reads a window bound or as-of moment in
// [DefaultTimeZone]; see [ParseMomentIn].
func ParseMoment(s string) (time.Time, error) { return ParseMomentIn(s, defaultLocation) }

// ParseMomentIn reads a window bound or as-of moment: a date, meaning
// the midnight that starts it in loc, or an RFC 3339 time, an exact
// instant whatever loc is. A nil loc is [DefaultLocation].
func ParseMomentIn(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = defaultLocation
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is %w", s, ErrMoment)
	}
	return t, nil
}

// DateIn returns the calendar day of t in loc.
func DateIn(t time.Time, loc *time.Location) events.Date {
	y, m, d := t.In(loc).Date()
	return events.DateOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// RolesOf returns a stakeholder's roles as known at AsOf.
func (q Query) RolesOf(l *ledger.Ledger, stakeholderID string) []events.Role {
	if s := l.Stakeholders.Get(stakeholderID); s != nil {
		return s.RolesKnownAt(q.AsOf)
	}
	return nil
}
