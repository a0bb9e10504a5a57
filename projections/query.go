package projections

import (
	"errors"
	"fmt"
	"time"

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
}

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
func (q Query) Counts(f ledger.Fact) bool { return q.Known(f) && q.InWindow(f.OccurredAt) }

// Projects returns the projects in scope known at AsOf, in registration
// order.
func (q Query) Projects(l *ledger.Ledger) []*ledger.Project {
	var out []*ledger.Project
	for _, id := range l.ProjectOrder {
		p := l.Projects[id]
		if !q.Known(p.Fact) {
			continue
		}
		if q.Project != "" && p.ID != q.Project || q.Programme != "" && p.Programme != q.Programme {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Header is what every report echoes about itself.
type Header struct {
	Report   string     `json:"report"`
	Scope    Scope      `json:"scope"`
	From     *time.Time `json:"from"`
	To       *time.Time `json:"to"`
	AsOf     time.Time  `json:"as_of"`
	Position uint64     `json:"position"`
}

// Scope is the echoed scope: at most one of the two is set.
type Scope struct {
	Project   *string `json:"project"`
	Programme *string `json:"programme"`
}

// HeaderOf returns the header of report for q over l.
func HeaderOf(report string, q Query, l *ledger.Ledger) Header {
	h := Header{Report: report, From: utc(q.From), To: utc(q.To), AsOf: q.AsOf.UTC(), Position: l.PositionAt(q.AsOf)}
	if q.Project != "" {
		h.Scope.Project = &q.Project
	}
	if q.Programme != "" {
		h.Scope.Programme = &q.Programme
	}
	return h
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ParseMoment reads a window bound or as-of moment: a date (midnight UTC)
// or an RFC 3339 time.
func ParseMoment(s string) (time.Time, error) {
	if d, err := events.ParseDate(s); err == nil {
		return d.Time(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// RolesOf returns a stakeholder's roles as known at AsOf.
func (q Query) RolesOf(l *ledger.Ledger, stakeholderID string) []events.Role {
	if s := l.Stakeholders[stakeholderID]; s != nil {
		return s.RolesKnownAt(q.AsOf)
	}
	return nil
}
