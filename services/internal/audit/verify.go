package audit

import (
	"context"
	"errors"
	"iter"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
)

// Verification is the outcome of walking a whole history.
type Verification struct {
	OK     bool             `json:"ok"`
	Result hashchain.Result `json:"result"`
	Break  *hashchain.Break `json:"break,omitempty"`
	// Unreadable lists the positions of messages in the store that are not
	// events at all: each is reported and the walk carries on past it.
	Unreadable []uint64 `json:"unreadable,omitempty"`
}

// VerifyStore walks a store's whole history as [Verify] does, but a
// message that is not an event at all (written behind the recorder's
// back, or damaged) is reported in Unreadable and the walk carries on
// past it, so one bad message hides nothing after it.
func VerifyStore(ctx context.Context, store Reader, progress func(events, position uint64)) (Verification, error) {
	v := hashchain.NewVerifier()
	n, after := uint64(0), uint64(0)
	var unreadable []uint64
	for {
		again := false
		for e, err := range store.ReadAll(ctx, after) {
			var u *events.UnreadableError
			if errors.As(err, &u) {
				unreadable = append(unreadable, u.Position)
				after, again = u.Position, true
				break
			}
			if err != nil {
				return Verification{}, err
			}
			if err := v.Add(e); err != nil {
				var b *hashchain.Break
				if errors.As(err, &b) {
					return Verification{Result: v.Result(), Break: b, Unreadable: unreadable}, nil
				}
				return Verification{}, err
			}
			after = e.Position
			n++
			if progress != nil && n%10_000 == 0 {
				progress(n, e.Position)
			}
		}
		if !again {
			break
		}
	}
	if progress != nil {
		progress(n, v.Result().LastPosition)
	}
	return Verification{OK: len(unreadable) == 0, Result: v.Result(), Unreadable: unreadable}, nil
}

// Verify walks history in order and reports the first break, or a clean
// result. progress, if not nil, is called every so often with the count
// so far and the position reached. An error is returned only when the
// history cannot be read.
func Verify(history iter.Seq2[events.Envelope, error], progress func(events, position uint64)) (Verification, error) {
	v := hashchain.NewVerifier()
	n := uint64(0)
	for e, err := range history {
		if err != nil {
			return Verification{}, err
		}
		if err := v.Add(e); err != nil {
			var b *hashchain.Break
			if errors.As(err, &b) {
				return Verification{Result: v.Result(), Break: b}, nil
			}
			return Verification{}, err
		}
		n++
		if progress != nil && n%10_000 == 0 {
			progress(n, e.Position)
		}
	}
	if progress != nil {
		progress(n, v.Result().LastPosition)
	}
	return Verification{OK: true, Result: v.Result()}, nil
}
