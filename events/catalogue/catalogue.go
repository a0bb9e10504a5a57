// Package catalogue assembles the whole v1 event catalogue into one
// registry: the single place that lists every aggregate's events.
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

// New returns a registry holding every event type of the catalogue.
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
