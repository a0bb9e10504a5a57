package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
)

func groupEvent(t *testing.T) events.Envelope {
	t.Helper()
	return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: "Tested", SchemaVersion: 1, Payload: []byte(`{}`)}
}

// One group mixes appends that hold with a stale expected version (one the
// cached tail agrees with, so that the server refuses it, and one on a
// stream that does not exist), a multi-event append
// (an atomic batch), a retry of a stored append and a stream named twice:
// each fails or succeeds on its own, in the order given.
func TestAppendGroupEachOnItsOwn(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	// Streams a and b exist at version 1; a was written by a group, so
	// its tail is cached, b by Append, so it is not.
	retried := []events.Envelope{groupEvent(t)}
	res, errs, written := s.AppendGroup(ctx, []string{"a", "r"}, []uint64{0, 0}, [][]events.Envelope{{groupEvent(t)}, retried})
	for i, err := range errs {
		if err != nil || !written[i] {
			t.Fatalf("setting up: append %d: %v (written %v)", i, err, written[i])
		}
	}
	retryResult := res[1]
	if _, err := s.Append(ctx, "b", 0, []events.Envelope{groupEvent(t)}); err != nil {
		t.Fatal(err)
	}
	// a moves on behind the group's back: its cached tail (version 1) is
	// stale, and the server must refuse the expected sequence it implies.
	if _, err := s.Append(ctx, "a", 1, []events.Envelope{groupEvent(t)}); err != nil {
		t.Fatal(err)
	}

	streams := []string{"a", "b", "c", "a", "r", "d", "b2"}
	expected := []uint64{1, 1, 0, 2, 0, 0, 3}
	evs := [][]events.Envelope{
		{groupEvent(t)},                // a: stale, version 1 is taken
		{groupEvent(t), groupEvent(t)}, // b: holds, two events
		{groupEvent(t)},                // c: new stream
		{groupEvent(t)},                // a again in the group: refused
		retried,                        // r: a retry of what is stored
		{groupEvent(t), groupEvent(t)}, // d: new stream, two events
		{groupEvent(t)},                // b2: stale, the stream does not exist
	}
	res, errs, written = s.AppendGroup(ctx, streams, expected, evs)
	want := []struct {
		err     error
		version uint64
		written bool
	}{
		{events.ErrWrongExpectedVersion, 0, false},
		{nil, 3, true},
		{nil, 1, true},
		{events.ErrInvalidEvent, 0, false},
		{nil, 1, false},
		{nil, 2, true},
		{events.ErrWrongExpectedVersion, 0, false},
	}
	var last uint64
	for i, w := range want {
		t.Run(fmt.Sprintf("%d-%s", i, streams[i]), func(t *testing.T) {
			if w.err == nil && errs[i] != nil || w.err != nil && !errors.Is(errs[i], w.err) {
				t.Fatalf("error = %v, want %v", errs[i], w.err)
			}
			if w.err != nil {
				return
			}
			if res[i].StreamVersion != w.version || written[i] != w.written {
				t.Errorf("version %d written %v, want %d %v", res[i].StreamVersion, written[i], w.version, w.written)
			}
		})
		if w.err == nil && w.written {
			if res[i].Position <= last {
				t.Errorf("append %d landed at %d, not after %d: the group's order was not kept", i, res[i].Position, last)
			}
			last = res[i].Position
		}
	}
	if res[4] != retryResult {
		t.Errorf("retry result = %+v, want the original %+v", res[4], retryResult)
	}
	// Nothing of the refused appends was stored; the rest reads back whole.
	counts := map[string]int{}
	for e, err := range s.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		counts[e.Stream]++
	}
	wantCounts := map[string]int{"a": 2, "r": 1, "b": 3, "c": 1, "d": 2}
	for stream, n := range wantCounts {
		if counts[stream] != n {
			t.Errorf("stream %s holds %d events, want %d", stream, counts[stream], n)
		}
	}
	if counts["b2"] != 0 {
		t.Errorf("stream b2 holds %d events, want none", counts["b2"])
	}
	// The cache follows the group: the next append to a and b, at their
	// true versions, holds.
	_, errs, _ = s.AppendGroup(ctx, []string{"a", "b"}, []uint64{2, 3}, [][]events.Envelope{{groupEvent(t)}, {groupEvent(t)}})
	for i, err := range errs {
		if err != nil {
			t.Errorf("follow-up append %d: %v", i, err)
		}
	}
}
