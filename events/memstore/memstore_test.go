package memstore_test

import (
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) events.Store { return memstore.New() })
}
