package directget_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/directget"
	"github.com/together-coop/together/services/internal/natstest"
)

// TestGet reads pages and the last messages of many subjects from a
// stream, as the event store and the keyring do.
func TestGet(t *testing.T) {
	nc, js := natstest.JetStream(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, AllowDirect: true}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ subject, data string }{{"s.a", "a1"}, {"s.b", "b1"}, {"s.a", "a2"}, {"s.c", "c1"}} {
		if _, err := js.Publish(ctx, m.subject, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	g := directget.New(nc, "$JS.API", "S")

	page, err := g.Get(ctx, directget.Request{Seq: 2, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range page.Msgs {
		seq, err := directget.Sequence(m)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%s@%d", directget.Subject(m), m.Data, seq))
	}
	if want := []string{"s.b=b1@2", "s.a=a2@3"}; !slices.Equal(got, want) || page.Pending != 1 || page.Last != 3 {
		t.Errorf("page from 2 = %v, %d pending, last %d; want %v, 1 pending, last 3", got, page.Pending, page.Last, want)
	}
	stream, err := js.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := stream.GetMsg(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := directget.Stored(page.Msgs[1]); err != nil || !at.Equal(stored.Time) {
		t.Errorf("message 3 stored at %v (%v), want %v", at, err, stored.Time)
	}

	last, err := g.Get(ctx, directget.Request{LastOf: []string{"s.a", "s.c", "s.none"}})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, m := range last.Msgs {
		got = append(got, directget.Subject(m)+"="+string(m.Data))
	}
	slices.Sort(got)
	if want := []string{"s.a=a2", "s.c=c1"}; !slices.Equal(got, want) {
		t.Errorf("last of s.a, s.c, s.none = %v, want %v (a subject with none left out)", got, want)
	}

	if _, err := g.Get(ctx, directget.Request{LastOf: []string{"s.none"}}); !errors.Is(err, directget.ErrNoMessages) {
		t.Errorf("last of a subject with no message: %v, want ErrNoMessages", err)
	}
	if _, err := g.Get(ctx, directget.Request{Seq: 9}); !errors.Is(err, directget.ErrNoMessages) {
		t.Errorf("a page past the end: %v, want ErrNoMessages", err)
	}
	many := make([]string, directget.MaxSubjects+1)
	for i := range many {
		many[i] = "s." + strings.Repeat("x", i%7+1)
	}
	if _, err := g.Get(ctx, directget.Request{LastOf: many}); err == nil || errors.Is(err, directget.ErrNoMessages) {
		t.Errorf("the last of %d subjects: %v, want it refused", len(many), err)
	}
}
