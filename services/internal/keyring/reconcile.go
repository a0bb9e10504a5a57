package keyring

import (
	"context"
	"iter"
	"strings"

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
// StakeholderErased is in the history r reads, for [Keyring.Reconcile].
// It reads the envelopes only (no payload is decoded), once through.
func ErasedStakeholders(ctx context.Context, r HistoryReader) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		history := r.ReadAll(ctx, 0)
		if typed, ok := r.(typedHistoryReader); ok {
			history = typed.ReadAllOf(ctx, 0, stakeholder.TypeErased)
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
