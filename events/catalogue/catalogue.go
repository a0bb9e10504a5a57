// Package catalogue assembles the whole v1 event catalogue into one
// registry: the single place that lists every aggregate, its streams and
// its events. Everything else that needs to know the aggregates — the
// recorder's checks, the KurrentDB filter, the ledger — asks it.
package catalogue

import (
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/events/stakeholder"
)

// New returns a registry holding every aggregate and event type of the
// catalogue.
func New() *events.Registry {
	r := events.NewRegistry()
	project.Register(r)
	stakeholder.Register(r)
	engagement.Register(r)
	feedback.Register(r)
	action.Register(r)
	seal.Register(r)
	return r
}

// Aggregates lists the catalogue's aggregates with their event types.
func Aggregates() []events.Aggregate { return New().Aggregates() }

// StreamPrefixes returns the start of the name of every stream of the
// catalogue: the aggregates' prefixes, and the whole name of a
// single-stream aggregate.
func StreamPrefixes() []string {
	var out []string
	for _, a := range Aggregates() {
		if a.Stream != "" {
			out = append(out, a.Stream)
		} else {
			out = append(out, a.StreamPrefix)
		}
	}
	return out
}
