package keyring_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/keyring"
)

func appendEvent(t *testing.T, s events.Store, stream string, expected uint64, p events.Payload) {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	env := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: p.EventType(), SchemaVersion: 1, Payload: data}
	if _, err := s.Append(context.Background(), stream, expected, []events.Envelope{env}); err != nil {
		t.Fatal(err)
	}
}

// TestReconcileFromHistory is the whole start-up path: the history records
// two erasures, one of which crashed before its key was destroyed, and
// Reconcile over ErasedStakeholders destroys that key and no other.
func TestReconcileFromHistory(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	registered := &stakeholder.Registered{Roles: []events.Role{"carer"}, RecruitmentChannel: "advert"}
	for _, id := range []string{alice, bob, carol} {
		appendEvent(t, store, stakeholder.Stream(id), 0, registered)
	}
	appendEvent(t, store, project.Stream(uuid.NewString()), 0, &project.Registered{Programme: "p", Name: "n", Aim: "a", Lead: "l"})
	appendEvent(t, store, stakeholder.Stream(alice), 1, &stakeholder.Erased{LegacyReason: "asked"})
	appendEvent(t, store, stakeholder.Stream(carol), 1, &stakeholder.Erased{LegacyReason: "asked"})

	var erased []string
	for id, err := range keyring.ErasedStakeholders(ctx, store, 0) {
		if err != nil {
			t.Fatal(err)
		}
		erased = append(erased, id)
	}
	if want := []string{alice, carol}; !slices.Equal(erased, want) {
		t.Fatalf("ErasedStakeholders = %v, want %v", erased, want)
	}

	ks := newSealedKeys(t, alice, bob, carol)
	k, sealed := ks.k, ks.sealed
	if err := k.Destroy(ctx, carol); err != nil { // her erasure finished
		t.Fatal(err)
	}
	if n, err := k.Reconcile(ctx, keyring.ErasedStakeholders(ctx, store, 0)); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want 1 (Alice's key), nil", n, err)
	}
	for id, want := range map[string]error{alice: keyring.ErrKeyDestroyed, bob: nil, carol: keyring.ErrKeyDestroyed} {
		if _, err := k.Open(ctx, id, sealed[id]); !errors.Is(err, want) {
			t.Errorf("Open(%s) after Reconcile error = %v, want %v", id, err, want)
		}
	}
}

// recordingHistory is a store that notes where each whole-history read
// began.
type recordingHistory struct {
	*memstore.Store
	mu     sync.Mutex
	afters []uint64
}

func (h *recordingHistory) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	h.mu.Lock()
	h.afters = append(h.afters, after)
	h.mu.Unlock()
	return h.Store.ReadAll(ctx, after)
}

func (h *recordingHistory) readsFrom() []uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.afters
	h.afters = nil
	return out
}

// TestReconcileHistoryFromItsCheckpoint: the first start reads the whole
// history, a restart only what came since, and an erasure recorded since
// whose key survived is still finished; a history that is not the one
// the checkpoint was taken in, or a checkpoint this keyring did not seal,
// is read whole again.
func TestReconcileHistoryFromItsCheckpoint(t *testing.T) {
	ctx := context.Background()
	registered := &stakeholder.Registered{Roles: []events.Role{"carer"}, RecruitmentChannel: "advert"}
	history := &recordingHistory{Store: memstore.New()}
	for _, id := range []string{alice, bob, carol} {
		appendEvent(t, history, stakeholder.Stream(id), 0, registered)
	}
	appendEvent(t, history, stakeholder.Stream(alice), 1, &stakeholder.Erased{LegacyReason: "asked"})

	ks := newSealedKeys(t, alice, bob, carol)
	k, js, sealed := ks.k, ks.js, ks.sealed
	destroyed := func(id string) bool {
		_, err := k.Open(ctx, id, sealed[id])
		return errors.Is(err, keyring.ErrKeyDestroyed)
	}
	reconcile := func(h keyring.History, want int) {
		t.Helper()
		if n, err := k.ReconcileHistory(ctx, h); err != nil || n != want {
			t.Fatalf("ReconcileHistory = %d, %v; want %d, nil", n, err, want)
		}
	}

	reconcile(history, 1)
	if got := history.readsFrom(); !slices.Contains(got, 0) {
		t.Errorf("the first reconciliation read from %v, want the whole history", got)
	}
	if !destroyed(alice) || destroyed(bob) {
		t.Fatal("after the first reconciliation, want Alice's key destroyed and Bob's kept")
	}

	reconcile(history, 0)
	if got := history.readsFrom(); slices.Contains(got, 0) || !slices.Contains(got, 4) {
		t.Errorf("a restart read from %v, want from the checkpoint at 4 only", got)
	}

	// Bob is erased; his key survives (a crash before its destruction).
	appendEvent(t, history, stakeholder.Stream(bob), 1, &stakeholder.Erased{LegacyReason: "asked"})
	reconcile(history, 1)
	if got := history.readsFrom(); slices.Contains(got, 0) {
		t.Errorf("the restart after Bob's erasure read from %v, want from the checkpoint", got)
	}
	if !destroyed(bob) || destroyed(carol) {
		t.Fatal("after Bob's erasure, want his key destroyed and Carol's kept")
	}

	// Another history as long, in which Carol was erased: the event at
	// the checkpoint is not the one it names.
	other := &recordingHistory{Store: memstore.New()}
	for _, id := range []string{alice, bob, carol} {
		appendEvent(t, other, stakeholder.Stream(id), 0, registered)
	}
	appendEvent(t, other, stakeholder.Stream(carol), 1, &stakeholder.Erased{LegacyReason: "asked"})
	appendEvent(t, other, project.Stream(uuid.NewString()), 0, &project.Registered{Programme: "p", Name: "n", Aim: "a", Lead: "l"})
	reconcile(other, 1)
	if got := other.readsFrom(); !slices.Contains(got, 0) || !destroyed(carol) {
		t.Errorf("on another history: read from %v, Carol's key destroyed %v; want the whole history read and it destroyed", got, destroyed(carol))
	}

	// A checkpoint not sealed by this keyring is no checkpoint. (Someone
	// still has a key: with none, there would be nothing to read.)
	if _, err := k.Seal(ctx, uuid.NewString(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "keys._reconciled", []byte(`{"position":99,"event_id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	reconcile(other, 0)
	if got := other.readsFrom(); !slices.Contains(got, 0) {
		t.Errorf("under a forged checkpoint read from %v, want the whole history", got)
	}
	// And a shorter history than the checkpoint's (restored from an
	// older backup) is read whole.
	short := &recordingHistory{Store: memstore.New()}
	appendEvent(t, short, stakeholder.Stream(alice), 0, registered)
	reconcile(short, 0)
	if got := short.readsFrom(); !slices.Contains(got, 0) {
		t.Errorf("a history shorter than the checkpoint read from %v, want the whole of it", got)
	}
}

// logOffsets is a history whose positions are log offsets, as KurrentDB's
// are: ten apart, and a read may start only at one of them. It counts the
// streams read on their own.
type logOffsets struct {
	*memstore.Store
	streams *int
}

func (h logOffsets) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	*h.streams++
	return h.Store.ReadStream(ctx, stream, from)
}

func (h logOffsets) Head(ctx context.Context) (uint64, error) {
	head, err := h.Store.Head(ctx)
	return head * 10, err
}

func (h logOffsets) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		if after%10 != 0 {
			yield(events.Envelope{}, fmt.Errorf("no record starts at %d", after))
			return
		}
		for e, err := range h.Store.ReadAll(ctx, after/10) {
			e.Position *= 10
			if !yield(e, err) {
				return
			}
		}
	}
}

// TestReconcileHistoryOnLogOffsets: where the event at a position cannot
// be read from just before it, every start reads the whole history, and
// still finishes every erasure, rather than failing. Nor does it read the
// streams of the keys held instead, however long the history looks: log
// offsets do not say how many events there are.
func TestReconcileHistoryOnLogOffsets(t *testing.T) {
	ctx := context.Background()
	history := logOffsets{Store: memstore.New(), streams: new(int)}
	appendEvent(t, history, stakeholder.Stream(alice), 0, &stakeholder.Registered{Roles: []events.Role{"carer"}, RecruitmentChannel: "advert"})
	appendEvent(t, history, stakeholder.Stream(alice), 1, &stakeholder.Erased{LegacyReason: "asked"})
	for range 5 { // a head of 70: more than 32 for each of the two keys
		appendEvent(t, history, project.Stream(uuid.NewString()), 0, &project.Registered{Programme: "p", Name: "n", Aim: "a", Lead: "l"})
	}
	k := newSealedKeys(t, alice, bob).k
	for i := range 2 {
		if n, err := k.ReconcileHistory(ctx, history); err != nil || n != 1-i {
			t.Fatalf("start %d: ReconcileHistory = %d, %v; want %d, nil", i+1, n, err, 1-i)
		}
		if _, ok, err := k.Reconciled(ctx); err != nil || ok {
			t.Fatalf("start %d: a checkpoint was marked on log offsets (%v)", i+1, err)
		}
	}
	if *history.streams != 0 {
		t.Errorf("read %d streams on log offsets, want the history read instead", *history.streams)
	}
}

// oldRecorder refuses reads of some types, as a recorder from before them
// does, and counts the whole-history reads.
type oldRecorder struct {
	*memstore.Store
	whole int
}

func (h *oldRecorder) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		h.whole++
		for e, err := range h.Store.ReadAll(ctx, after) {
			if !yield(e, err) {
				return
			}
		}
	}
}

func (h *oldRecorder) ReadAllOf(context.Context, uint64, ...string) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		yield(events.Envelope{}, errors.New(`422 malformed read: unknown field "types"`))
	}
}

// newRecorder answers reads of some types, and counts the whole-history
// reads.
type newRecorder struct{ oldRecorder }

func (h *newRecorder) ReadAllOf(ctx context.Context, after uint64, types ...string) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for e, err := range h.Store.ReadAll(ctx, after) {
			if err == nil && !slices.Contains(types, e.Type) {
				continue
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// TestErasedStakeholdersFromAnOlderRecorder: a recorder that refuses a read
// of some types is read whole instead; one that answers it is not read
// whole, even when there is no erasure at all.
func TestErasedStakeholdersFromAnOlderRecorder(t *testing.T) {
	ctx := context.Background()
	registered := &stakeholder.Registered{Roles: []events.Role{"carer"}, RecruitmentChannel: "advert"}
	erasedOf := func(h keyring.HistoryReader) []string {
		var out []string
		for id, err := range keyring.ErasedStakeholders(ctx, h, 0) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	old := &oldRecorder{Store: memstore.New()}
	appendEvent(t, old, stakeholder.Stream(alice), 0, registered)
	appendEvent(t, old, stakeholder.Stream(alice), 1, &stakeholder.Erased{LegacyReason: "asked"})
	if got := erasedOf(old); !slices.Equal(got, []string{alice}) || old.whole != 1 {
		t.Errorf("from an older recorder: erased %v after %d whole reads, want [%s] after 1", got, old.whole, alice)
	}
	current := &newRecorder{oldRecorder{Store: memstore.New()}}
	appendEvent(t, current, stakeholder.Stream(bob), 0, registered)
	if got := erasedOf(current); len(got) != 0 || current.whole != 0 {
		t.Errorf("from a current recorder with no erasure: erased %v after %d whole reads, want none after 0", got, current.whole)
	}
}

// readingHistory is a store that notes the whole-history reads and the
// streams read, and fails a stream's read when told to.
type readingHistory struct {
	recordingHistory
	streams []string
	fail    error
}

func (h *readingHistory) ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error] {
	h.mu.Lock()
	h.streams = append(h.streams, stream)
	h.mu.Unlock()
	if h.fail != nil {
		return func(yield func(events.Envelope, error) bool) { yield(events.Envelope{}, h.fail) }
	}
	return h.Store.ReadStream(ctx, stream, from)
}

// TestReconcileALongHistoryByTheKeysHeld: on a history much longer than
// the keys held, the first start reads the streams of the people whose
// key is still there (not a destroyed one, not a record's key) instead of
// the whole history; it destroys the key of the one the history says was
// erased, and marks the checkpoint, so that the next start reads nothing.
// A stream that cannot be read fails it, marking nothing.
func TestReconcileALongHistoryByTheKeysHeld(t *testing.T) {
	ctx := context.Background()
	dave := uuid.NewString()
	registered := &stakeholder.Registered{Roles: []events.Role{"carer"}, RecruitmentChannel: "advert"}
	history := &readingHistory{recordingHistory: recordingHistory{Store: memstore.New()}}
	for _, id := range []string{alice, bob, carol, dave} {
		appendEvent(t, history, stakeholder.Stream(id), 0, registered)
	}
	for _, id := range []string{alice, carol, dave} {
		appendEvent(t, history, stakeholder.Stream(id), 1, &stakeholder.Erased{LegacyReason: "asked"})
	}
	for range 200 {
		appendEvent(t, history, project.Stream(uuid.NewString()), 0, &project.Registered{Programme: "p", Name: "n", Aim: "a", Lead: "l"})
	}
	record := feedback.RecordKeyID(uuid.NewString())
	ks := newSealedKeys(t, alice, bob, carol, record)
	if err := ks.k.Destroy(ctx, carol); err != nil { // her erasure finished; Alice's did not
		t.Fatal(err)
	}
	destroyed := func(id string) bool {
		_, err := ks.k.Open(ctx, id, ks.sealed[id])
		return errors.Is(err, keyring.ErrKeyDestroyed)
	}

	history.fail = errors.New("the recorder is away")
	if _, err := ks.k.ReconcileHistory(ctx, history); !errors.Is(err, history.fail) {
		t.Fatalf("ReconcileHistory with an unreadable stream = %v, want its error", err)
	}
	if _, ok, err := ks.k.Reconciled(ctx); err != nil || ok {
		t.Fatalf("a failed reconciliation marked a checkpoint (%v)", err)
	}
	history.fail, history.streams = nil, nil

	if n, err := ks.k.ReconcileHistory(ctx, history); err != nil || n != 1 {
		t.Fatalf("ReconcileHistory = %d, %v; want 1 (Alice's key), nil", n, err)
	}
	if !destroyed(alice) || destroyed(bob) || destroyed(record) {
		t.Error("want Alice's key destroyed, Bob's and the record's kept")
	}
	if got := history.readsFrom(); slices.Contains(got, 0) {
		t.Errorf("read the whole history (reads from %v), want the streams of the keys held", got)
	}
	slices.Sort(history.streams)
	if want := []string{stakeholder.Stream(alice), stakeholder.Stream(bob)}; !slices.Equal(history.streams, want) {
		t.Errorf("read the streams %v, want %v", history.streams, want)
	}
	head, _ := history.Head(ctx)
	if c, ok, err := ks.k.Reconciled(ctx); err != nil || !ok || c.Position != head {
		t.Fatalf("checkpoint %+v, %v, %v; want one at the head %d", c, ok, err, head)
	}
	history.streams = nil
	if n, err := ks.k.ReconcileHistory(ctx, history); err != nil || n != 0 || len(history.streams) != 0 {
		t.Errorf("the next start: %d destroyed, %v, read streams %v; want nothing read", n, err, history.streams)
	}
}
