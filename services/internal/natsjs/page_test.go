package natsjs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/directget"
	"github.com/together-coop/together/services/internal/natstest"
)

// TestReadAllAcrossAGap reads a stream with a hole in its sequences, which
// the event stream itself never has (it refuses deletes): positions must
// still be the stored sequences, not places in a page.
func TestReadAllAcrossAGap(t *testing.T) {
	nc, js := natstest.JetStream(t)
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "GAPPY", Subjects: []string{"gappy.>"}, AllowDirect: true, AllowAtomicPublish: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{prefix: "gappy.", nc: nc, js: js, stream: stream, name: "GAPPY", replicas: 1, timeout: 10 * time.Second, get: directget.New(nc, defaultAPIPrefix, "GAPPY")}
	for v := range uint64(10) {
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{}`)}
		if _, err := s.Append(ctx, "project-a", v, []events.Envelope{e}); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.DeleteMsg(ctx, 4); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for e, err := range s.ReadAll(ctx, 2) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Position)
	}
	if diff := cmp.Diff([]uint64{3, 5, 6, 7, 8, 9, 10}, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

// TestPagePastTheHead asks for a page after the last message, as a
// following Reader does whenever it is woken: one request, answered "no
// messages", so that it waits again rather than asking twice.
func TestPagePastTheHead(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	ctx := context.Background()
	s, err := New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{}`)}
	if _, err := s.Append(ctx, "project-a", 0, []events.Envelope{e}); err != nil {
		t.Fatal(err)
	}
	// Requests counted as they reach a synchronous subscription: after a
	// flush, every request sent before it is queued there.
	asked, err := nc.SubscribeSync("$JS.API.DIRECT.GET.>")
	if err != nil {
		t.Fatal(err)
	}
	defer asked.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pages().page(ctx, 2, directget.MaxBatch); !errors.Is(err, directget.ErrNoMessages) {
		t.Fatalf("page past the head: %v, want directget.ErrNoMessages", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := asked.Pending(); n != 1 {
		t.Errorf("a page past the head took %d requests, want 1", n)
	}
	// A page that reaches the head says nothing remains, so that a
	// follower does not ask again.
	for v := uint64(1); v <= 3; v++ {
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1, Payload: []byte(`{}`)}
		if _, err := s.Append(ctx, "project-a", v, []events.Envelope{e}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.pages().page(ctx, 2, directget.MaxBatch)
	if err != nil || len(r.Msgs) != 3 || r.Pending != 0 {
		t.Errorf("a page to the head: %d messages, %d pending (%v); want 3, 0", len(r.Msgs), r.Pending, err)
	}
}
