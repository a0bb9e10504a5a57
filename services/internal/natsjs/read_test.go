package natsjs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/natsjs"
	"github.com/together-coop/together/services/internal/natstest"
)

// appendMany appends evs to stream from version expected, a hundred at a
// time (the most one append takes).
func appendMany(t *testing.T, s events.Store, stream string, expected uint64, evs []events.Envelope) {
	t.Helper()
	for len(evs) > 0 {
		n := min(100, len(evs))
		if _, err := s.Append(context.Background(), stream, expected, evs[:n]); err != nil {
			t.Fatal(err)
		}
		expected += uint64(n)
		evs = evs[n:]
	}
}

func envelopes(n int) []events.Envelope {
	out := make([]events.Envelope, n)
	for i := range out {
		out[i] = events.Envelope{
			ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1,
			Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
		}
	}
	return out
}

// directGets counts the direct get requests the server receives, by
// listening on their subject alongside the stream.
func directGets(t *testing.T, nc *nats.Conn) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	sub, err := nc.Subscribe("$JS.API.DIRECT.GET.>", func(*nats.Msg) { n.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &n
}

// TestReadsLeaveNoConsumers reads pages of the whole history, aggregates
// and a subscription, and requires the stream to hold no consumer after
// each: a consumer per read exhausted the server's limit under load.
func TestReadsLeaveNoConsumers(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	ctx := context.Background()
	s, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		appendMany(t, s, fmt.Sprintf("project-%d", i), 0, envelopes(700))
	}
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, natsjs.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	consumers := func(when string) {
		t.Helper()
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Consumers != 0 {
			t.Errorf("%s: the stream has %d consumers, want 0", when, info.State.Consumers)
		}
	}
	for after := uint64(0); after < 2100; after += 300 {
		for _, err := range s.ReadAll(ctx, after) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	consumers("after ReadAll")
	for range s.ReadStream(ctx, "project-1", 1) {
	}
	consumers("after ReadStream")
	sctx, cancel := context.WithCancel(ctx)
	n := 0
	for _, err := range s.Subscribe(sctx, 2000) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 100 {
			cancel()
		}
	}
	cancel()
	if n != 100 {
		t.Fatalf("Subscribe yielded %d events after cancel at 100", n)
	}
	consumers("after Subscribe ended by its context")
	for range s.Subscribe(ctx, 0) {
		break
	}
	consumers("after Subscribe ended by its reader")
}

// TestReadPages checks reads across page boundaries: an aggregate of
// exactly one page, one of one page and one event, and the whole history,
// each in order, and the number of direct gets each took.
func TestReadPages(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	ctx := context.Background()
	s, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string][]events.Envelope{}
	for _, w := range []struct {
		stream string
		n      int
	}{{"project-full", 1000}, {"project-other", 3}, {"project-over", 1000}, {"project-over", 1}, {"project-small", 7}} {
		evs := envelopes(w.n)
		appendMany(t, s, w.stream, uint64(len(written[w.stream])), evs)
		written[w.stream] = append(written[w.stream], evs...)
	}
	gets := directGets(t, nc)
	tests := []struct {
		stream string
		from   uint64
		want   []events.Envelope
		// gets bounds the direct gets the read may take.
		gets int64
	}{
		{"project-small", 1, written["project-small"], 1},
		{"project-full", 1, written["project-full"], 2},
		{"project-over", 1, written["project-over"], 2},
		{"project-over", 999, written["project-over"][998:], 4},
		{"project-over", 1001, written["project-over"][1000:], 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s from %d", tt.stream, tt.from), func(t *testing.T) {
			gets.Store(0)
			var got []events.Envelope
			for e, err := range s.ReadStream(ctx, tt.stream, tt.from) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, e)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("read %d events, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].ID != tt.want[i].ID || got[i].StreamVersion != tt.from+uint64(i) {
					t.Fatalf("event %d is %s v%d, want %s v%d", i, got[i].ID, got[i].StreamVersion, tt.want[i].ID, tt.from+uint64(i))
				}
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			if n := gets.Load(); n > tt.gets {
				t.Errorf("took %d direct gets, want at most %d", n, tt.gets)
			}
		})
	}
	t.Run("ReadAll", func(t *testing.T) {
		var last uint64
		n := 0
		for e, err := range s.ReadAll(ctx, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Position != last+1 {
				t.Fatalf("position %d after %d", e.Position, last)
			}
			last = e.Position
			n++
		}
		if n != 2011 {
			t.Errorf("ReadAll yielded %d events, want 2011", n)
		}
	})
}

// TestReadAllPagesCutShort reads a history of events big enough that the
// server cuts each page short of the messages asked for, by its size in
// bytes: the pages asked for ahead then start in the wrong place, and
// every event must still come once, in order.
func TestReadAllPagesCutShort(t *testing.T) {
	_, nc := natstest.RunJetStream(t)
	ctx := context.Background()
	s, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	filler := strings.Repeat("x", 5000) // a page of a thousand would be 5 MB
	evs := make([]events.Envelope, 2500)
	for i := range evs {
		evs[i] = events.Envelope{
			ID: uuid.Must(uuid.NewV7()), Type: "ProjectClosed", SchemaVersion: 1,
			Payload: json.RawMessage(fmt.Sprintf(`{"n":%d,"filler":%q}`, i, filler)),
		}
	}
	appendMany(t, s, "project-big", 0, evs)
	gets := directGets(t, nc)
	var got []uint64
	for e, err := range s.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(len(got)) + 1; e.Position != want || e.ID != evs[want-1].ID {
			t.Fatalf("event %s at %d, want %s at %d", e.ID, e.Position, evs[want-1].ID, want)
		}
		got = append(got, e.Position)
	}
	if len(got) != len(evs) {
		t.Fatalf("read %d events, want %d", len(got), len(evs))
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := gets.Load(); n <= 3 {
		t.Errorf("took %d direct gets: no page was cut short, so this tests nothing", n)
	}
}

// TestSkimDecodesOnlyWhatMayBeOfTheTypes skims a history for one type: the
// events of it come whole, in order, among the positions of all the
// others, even one whose type was written with a JSON escape.
func TestSkimDecodesOnlyWhatMayBeOfTheTypes(t *testing.T) {
	ctx := context.Background()
	_, nc := natstest.RunJetStream(t)
	s, err := natsjs.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	appendMany(t, s, "project-a", 0, envelopes(5))
	erased := func() []events.Envelope {
		e := envelopes(1)
		e[0].Type = "StakeholderErased"
		return e
	}
	if _, err := s.Append(ctx, "stakeholder-b", 0, erased()); err != nil {
		t.Fatal(err)
	}
	appendMany(t, s, "project-a", 5, envelopes(3))
	// Written past the store, as no writer of together would: the type
	// spelt with an escape.
	raw := erased()[0]
	raw.Stream, raw.StreamVersion = "stakeholder-c", 1
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), `"StakeholderErased"`, `"Stakeholder\u0045rased"`, 1))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg("events.stakeholder-c")
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, raw.ID.String())
	m.Header.Set("Together-Stream-Version", "1")
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	appendMany(t, s, "project-a", 8, envelopes(2))

	var all []uint64
	for e, err := range s.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e.Position)
	}
	var positions []uint64
	var found []string
	for e, err := range s.Skim(ctx, 0, []string{"StakeholderErased"}) {
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, e.Position)
		switch e.Type {
		case "StakeholderErased":
			found = append(found, e.Stream)
		case "":
			if e.ID != uuid.Nil || e.Stream != "" {
				t.Errorf("skimmed event at %d carries %s %s, want its position alone", e.Position, e.ID, e.Stream)
			}
		default:
			t.Errorf("Skim decoded a %s at %d", e.Type, e.Position)
		}
	}
	if !slices.Equal(positions, all) || len(all) != 12 {
		t.Errorf("Skim yielded positions %v, ReadAll %v; want the same twelve", positions, all)
	}
	if !slices.Equal(found, []string{"stakeholder-b", "stakeholder-c"}) {
		t.Errorf("Skim found erasures in %v, want stakeholder-b and stakeholder-c", found)
	}
	// A type that is not a plain name may be spelt otherwise in JSON:
	// nothing is skimmed.
	n := 0
	for e, err := range s.Skim(ctx, 0, []string{`Odd"Type`}) {
		if err != nil || e.Type == "" {
			t.Fatalf("Skim for a type with a quote yielded %q at %d (%v), want every event decoded", e.Type, e.Position, err)
		}
		n++
	}
	if n != len(all) {
		t.Errorf("Skim for a type with a quote yielded %d events, want %d", n, len(all))
	}
}
