package keyring

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/directget"
)

// Reconcile destroys the key of every stakeholder in erased (the ids of
// the stakeholders whose StakeholderErased is in the store) that still has
// one, and finishes any destruction a crash interrupted. Call it at
// start-up, before serving: whatever happened between recording an
// erasure and destroying the key (a crash, a failed request, a key stream
// restored from an older backup), no erased person's key outlives it.
// It returns how many keys it had to destroy; a key already destroyed is
// not counted. It stops at the first error of erased or of the key stream.
func (k *Keyring) Reconcile(ctx context.Context, erased iter.Seq2[string, error]) (destroyed int, err error) {
	for id, err := range erased {
		if err != nil {
			return destroyed, err
		}
		had, err := k.destroy(ctx, id)
		if err != nil {
			return destroyed, err
		}
		if had {
			destroyed++
		}
	}
	if destroyed > 0 {
		k.log.Warn().Int("keys_destroyed", destroyed).Msg("keys of erased stakeholders were still there; destroyed them")
	}
	return destroyed, nil
}

// HistoryReader reads the whole event history: the store, or the
// recorder's client.
type HistoryReader interface {
	ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
}

// typedHistoryReader reads only the events of some types, leaving the
// others where the history is kept (the recorder's client): a start-up
// then reads the store once rather than copy all of it over NATS to find
// a few erasures.
type typedHistoryReader interface {
	ReadAllOf(ctx context.Context, after uint64, types ...string) iter.Seq2[events.Envelope, error]
}

// ErasedStakeholders yields the id of every stakeholder whose
// StakeholderErased is in the history r reads after position after, for
// [Keyring.Reconcile]. It reads the envelopes only (no payload is
// decoded), once through.
func ErasedStakeholders(ctx context.Context, r HistoryReader, after uint64) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		history := r.ReadAll(ctx, after)
		if typed, ok := r.(typedHistoryReader); ok {
			history = orElse(typed.ReadAllOf(ctx, after, stakeholder.TypeErased), history)
		}
		for e, err := range history {
			if err != nil {
				yield("", err)
				return
			}
			if e.Type != stakeholder.TypeErased || !strings.HasPrefix(e.Stream, stakeholder.StreamPrefix) {
				continue
			}
			if !yield(strings.TrimPrefix(e.Stream, stakeholder.StreamPrefix), nil) {
				return
			}
		}
	}
}

// orElse yields what first yields, unless its very first answer is an
// error: then what second yields. A recorder older than its readers
// refuses a read of some types (it does not know the field), and the
// whole history, filtered here, says the same.
func orElse(first, second iter.Seq2[events.Envelope, error]) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		started, refused := false, false
		for e, err := range first {
			if !started && err != nil {
				refused = true
				break
			}
			started = true
			if !yield(e, err) {
				return
			}
		}
		if !refused {
			return
		}
		for e, err := range second {
			if !yield(e, err) {
				return
			}
		}
	}
}

// History is the whole event history with its head, and each stream of
// it: the recorder's client.
type History interface {
	HistoryReader
	Head(ctx context.Context) (uint64, error)
	ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error]
}

// streamReadCost is what reading one stakeholder's stream costs, in
// events of a long read of the history: a request to the recorder and a
// direct get or two, against an event delivered in a page and skimmed
// for its type. Reconciling reads the streams of the people who still
// have a key rather than the history since the checkpoint when that is
// cheaper: at a first start on a long history, above all.
const streamReadCost = 32

// ReconcileHistory destroys the key of every stakeholder erased in h since
// the checkpoint of the last reconciliation (in all of h the first time,
// or when the event at the checkpoint is no longer the one it named: a
// history restored or replaced), then moves the checkpoint to the head h
// had when it began. A restart of a long history so reads only what came
// since the last one. Where reading the stream of everyone who still has
// a key is cheaper than reading the history since the checkpoint, it does
// that instead: only a key that is still there can outlive an erasure.
// (That is known only where positions count events, as on JetStream.)
// Call it at start-up, before serving, as [Keyring.Reconcile].
func (k *Keyring) ReconcileHistory(ctx context.Context, h History) (destroyed int, err error) {
	head, err := h.Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("the history's head: %w", err)
	}
	var after uint64
	c, seen, ok, err := k.reconciled(ctx)
	if err != nil {
		return 0, err
	}
	if ok && c.Position <= head {
		if e, found := eventAt(ctx, h, c.Position); found && e.ID.String() == c.EventID {
			after = c.Position
		}
	}
	var mark Checkpoint
	if head > after {
		if e, found := eventAt(ctx, h, head); found {
			mark = Checkpoint{Position: head, EventID: e.ID.String()}
		}
	}
	erased := ErasedStakeholders(ctx, h, after)
	// Where positions count events (the event at the head could be read
	// from just before it), head-after is how many events there are to
	// read; on log offsets nobody knows, and the history is read.
	if mark.Position > 0 && head-after > streamReadCost {
		held, err := k.heldStakeholderKeys(ctx)
		if err != nil {
			return 0, err
		}
		if head-after > streamReadCost*uint64(len(held)) {
			erased = erasedAmong(ctx, h, held)
		}
	}
	if destroyed, err = k.Reconcile(ctx, erased); err != nil {
		return destroyed, err
	}
	if mark.Position > 0 {
		if err := k.markReconciled(ctx, mark, seen); err != nil {
			return destroyed, err
		}
	}
	return destroyed, nil
}

// erasedAmong yields the id of every stakeholder of ids whose stream in r
// holds their StakeholderErased, for [Keyring.Reconcile]: a few readers
// read the streams at once, each a request to the recorder. Someone with
// no stream yet is not erased.
func erasedAmong(ctx context.Context, r streamReader, ids []string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		type found struct {
			id  string
			err error
		}
		todo := make(chan string)
		out := make(chan found)
		var wg sync.WaitGroup
		for range min(streamReaders, len(ids)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range todo {
					erased, err := isErased(ctx, r, id)
					if !erased && err == nil {
						continue
					}
					select {
					case out <- found{id, err}:
					case <-ctx.Done():
						return
					}
				}
			}()
		}
		go func() {
			defer close(out)
			defer wg.Wait()
			defer close(todo)
			for _, id := range ids {
				select {
				case todo <- id:
				case <-ctx.Done():
					return
				}
			}
		}()
		defer func() {
			cancel()
			for range out { // until every reader has stopped
			}
		}()
		for f := range out {
			if f.err != nil {
				yield("", f.err)
				return
			}
			if !yield(f.id, nil) {
				return
			}
		}
	}
}

// streamReaders is how many streams erasedAmong reads at once.
const streamReaders = 4

// streamReader reads one stream of the history: the recorder's client.
type streamReader interface {
	ReadStream(ctx context.Context, stream string, from uint64) iter.Seq2[events.Envelope, error]
}

// isErased reports whether the stream of stakeholder id holds their
// erasure.
func isErased(ctx context.Context, r streamReader, id string) (bool, error) {
	for e, err := range r.ReadStream(ctx, stakeholder.Stream(id), 1) {
		if errors.Is(err, events.ErrStreamNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("the stream of stakeholder %s: %w", id, err)
		}
		if e.Type == stakeholder.TypeErased {
			return true, nil
		}
	}
	return false, nil
}

// heldStakeholderKeys lists the stakeholders whose key is in the key
// stream and not destroyed, in order.
func (k *Keyring) heldStakeholderKeys(ctx context.Context) ([]string, error) {
	info, err := k.stream.Info(ctx, jetstream.WithSubjectFilter(subjectPrefix+">"))
	if err != nil {
		return nil, fmt.Errorf("key stream: %w", err)
	}
	var subjects []string
	for subj := range info.State.Subjects {
		// A person's key is named by their id; bookkeeping and record
		// keys are not.
		if id := strings.TrimPrefix(subj, subjectPrefix); isUUID(id) {
			subjects = append(subjects, subj)
		}
	}
	slices.Sort(subjects)
	var held []string
	for chunk := range slices.Chunk(subjects, directget.MaxSubjects) {
		reply, err := k.keys.Get(ctx, directget.Request{LastOf: chunk})
		if errors.Is(err, directget.ErrNoMessages) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		for _, m := range reply.Msgs {
			if !bytes.Equal(m.Data, tombstone) {
				held = append(held, strings.TrimPrefix(directget.Subject(m), subjectPrefix))
			}
		}
	}
	slices.Sort(held)
	return held, nil
}

// eventAt reads the event at position, if h holds one there and can say
// so. It reads from just before it, which a JetStream history always
// can; KurrentDB's positions are log offsets, and a read that starts
// between two records may be refused: then there is no checkpoint, and
// the whole history is read, as before checkpoints.
func eventAt(ctx context.Context, h HistoryReader, position uint64) (events.Envelope, bool) {
	for e, err := range h.ReadAll(ctx, position-1) {
		return e, err == nil && e.Position == position
	}
	return events.Envelope{}, false
}

// reconciledName is the bookkeeping "key id" of the checkpoint of
// reconciliation; key ids never start with an underscore.
const reconciledName = "_reconciled"

// Checkpoint is a place in the history: its position and the id of the
// event there, which shows that the history is still the one it was
// taken in.
type Checkpoint struct {
	Position uint64 `json:"position"`
	EventID  string `json:"event_id"`
}

// reconciledAAD binds a sealed checkpoint to its purpose.
var reconciledAAD = []byte("together reconciled\x00")

// Reconciled returns the checkpoint [Keyring.ReconcileHistory] last
// recorded: every erasure up to it had its key destroyed. ok is false when
// there is none, or when it does not open under this key-encryption key
// (then the whole history is to be read, as if none).
func (k *Keyring) Reconciled(ctx context.Context) (c Checkpoint, ok bool, err error) {
	c, _, ok, err = k.reconciled(ctx)
	return c, ok, err
}

// reconciled is Reconciled with the sequence of the message it read (0
// for none), for markReconciled to replace exactly that one.
func (k *Keyring) reconciled(ctx context.Context) (c Checkpoint, seq uint64, ok bool, err error) {
	m, err := k.stream.GetLastMsgForSubject(ctx, subjectPrefix+reconciledName)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Checkpoint{}, 0, false, nil
	}
	if err != nil {
		return Checkpoint{}, 0, false, fmt.Errorf("key stream: %w", err)
	}
	ns := k.wrapKey.NonceSize()
	if len(m.Data) < ns {
		return Checkpoint{}, m.Sequence, false, nil
	}
	plain, err := k.wrapKey.Open(nil, m.Data[:ns], m.Data[ns:], reconciledAAD)
	if err != nil || json.Unmarshal(plain, &c) != nil || c.Position == 0 || c.EventID == "" {
		return Checkpoint{}, m.Sequence, false, nil
	}
	return c, m.Sequence, true, nil
}

// markReconciled records c in place of the checkpoint message at seen (0:
// none), read when the reconciliation began. Call it only once every
// erasure at or before c.Position has had its key destroyed. If the
// checkpoint changed meanwhile (another start, or a key stream restored
// from a backup, which brings back older keys with an older checkpoint),
// it leaves it as it is: moving it on could skip erasures whose keys came
// back. It is sealed under the key-encryption key, so that nothing but
// this keyring can move it on.
func (k *Keyring) markReconciled(ctx context.Context, c Checkpoint, seen uint64) error {
	plain, err := json.Marshal(c)
	if err != nil {
		return err
	}
	nonce := make([]byte, k.wrapKey.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := k.wrapKey.Seal(append([]byte(nil), nonce...), nonce, plain, reconciledAAD)
	if seen > 0 {
		// The subject holds two messages at most: make room.
		if _, err := k.overwriteBefore(ctx, reconciledName, seen); err != nil {
			return err
		}
	}
	_, err = k.js.Publish(ctx, subjectPrefix+reconciledName, sealed, jetstream.WithExpectLastSequencePerSubject(seen))
	if isWrongLastSequence(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("key stream: record the reconciled checkpoint: %w", err)
	}
	if seen > 0 {
		if err := k.stream.DeleteMsg(ctx, seen); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("key stream: %w", err)
		}
	}
	return nil
}
