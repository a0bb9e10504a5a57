package audit

import (
	"fmt"
	"iter"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/ledger"
)

// Rebuild folds the events of history recorded at or before asOf into a
// ledger: the system's knowledge at that moment. Later events are not
// applied at all, so nothing about them can leak into a report.
func Rebuild(history iter.Seq2[events.Envelope, error], registry *events.Registry, asOf time.Time) (*ledger.Ledger, error) {
	l := ledger.New()
	for e, err := range history {
		if err != nil {
			return nil, err
		}
		if e.RecordedAt.After(asOf) {
			continue
		}
		p, err := registry.Decode(e)
		if err != nil {
			return nil, fmt.Errorf("event %s at position %d: %w", e.ID, e.Position, err)
		}
		l.Apply(e, p)
	}
	return l, nil
}
