package keyring

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
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

// History is the whole event history with its head: the recorder's
// client.
type History interface {
	HistoryReader
	Head(ctx context.Context) (uint64, error)
}

// ReconcileHistory destroys the key of every stakeholder erased in h since
// the checkpoint of the last reconciliation (in all of h the first time,
// or when the event at the checkpoint is no longer the one it named: a
// history restored or replaced), then moves the checkpoint to the head h
// had when it began. A restart of a long history so reads only what came
// since the last one. Call it at start-up, before serving, as
// [Keyring.Reconcile].
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
	if destroyed, err = k.Reconcile(ctx, ErasedStakeholders(ctx, h, after)); err != nil {
		return destroyed, err
	}
	if mark.Position > 0 {
		if err := k.markReconciled(ctx, mark, seen); err != nil {
			return destroyed, err
		}
	}
	return destroyed, nil
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
