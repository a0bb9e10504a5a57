// Package reportstest runs the reports' projection for the length of a
// test, over a store the test fills.
package reportstest

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/services/internal/reports"
)

// Run starts a runner over source, logging to the test, until the test
// ends; an error from the runner fails the test.
func Run(t testing.TB, source reports.Source, opts ...reports.RunnerOption) *reports.Runner {
	t.Helper()
	opts = append([]reports.RunnerOption{reports.WithLogger(zerolog.New(zerolog.NewTestWriter(t)))}, opts...)
	runner, err := reports.NewRunner(source, catalogue.New(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return runner
}

// Over records evs in a new memory store and returns it with a runner
// that has read them all.
func Over(t testing.TB, evs []historytest.Event) (*memstore.Store, *reports.Runner) {
	t.Helper()
	store := memstore.New()
	AppendAll(t, store, evs)
	runner := Run(t, store)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := runner.WaitFor(ctx, uint64(len(evs))); err != nil {
		t.Fatal(err)
	}
	return store, runner
}

// AppendAll appends evs to s one by one, each at the stream version it
// carries.
func AppendAll(t testing.TB, s events.Store, evs []historytest.Event) {
	t.Helper()
	for _, e := range evs {
		env := e.Envelope
		if _, err := s.Append(context.Background(), env.Stream, env.StreamVersion-1, []events.Envelope{env}); err != nil {
			t.Fatalf("append %s: %v", env.Type, err)
		}
	}
}
