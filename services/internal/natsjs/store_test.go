package natsjs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

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

// While the storage check fails, Append refuses at once with
// ErrUnavailable and the check's cause, and stores nothing; once it
// passes, appends go through.
func TestStorageCheck(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	full := errors.New("the disk is full")
	var failing atomic.Bool
	failing.Store(true)
	s, err := natsjs.New(context.Background(), nc, natsjs.WithStorageCheck(func() error {
		if failing.Load() {
			return full
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{}`)}
	_, err = s.Append(context.Background(), "project-1", 0, []events.Envelope{e})
	if !errors.Is(err, events.ErrUnavailable) || !errors.Is(err, full) {
		t.Errorf("Append while the check fails = %v; want ErrUnavailable wrapping the cause", err)
	}
	if head, err := s.Head(context.Background()); err != nil || head != 0 {
		t.Errorf("Head = %d, %v; want nothing stored", head, err)
	}
	failing.Store(false)
	if _, err := s.Append(context.Background(), "project-1", 0, []events.Envelope{e}); err != nil {
		t.Errorf("Append once the check passes: %v", err)
	}
	if _, err := natsjs.New(context.Background(), nc, natsjs.WithStorageCheck(nil)); !errors.Is(err, events.ErrInvalidOption) {
		t.Errorf("WithStorageCheck(nil) = %v; want ErrInvalidOption", err)
	}
}
