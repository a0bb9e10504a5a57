package audit

import (
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
