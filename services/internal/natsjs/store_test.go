package natsjs_test

import (
	"context"
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/storetest"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
)

func newStore(t *testing.T) *natsjs.Store {
	t.Helper()
	_, nc := natstest.RunJetStream(t)
	s, err := natsjs.New(context.Background(), nc)
	if err != nil {
		t.Fatalf("natsjs.New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) events.Store { return newStore(t) })
}
