package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/directget"
)

// Kept opens sealed values as [Keyring.OpenMany] does, and keeps what it
// opened, by key id, so that a report read over and over opens only what
// is new since: opening some thousands of declarations cost more than
// computing the report they go into.
//
// A kept value goes as soon as anything is written under its key: before
// each call Kept reads what the key stream took since the last one (key
// by key, a tombstone written by this process or any other sharing the
// stream), and forgets every key it names. A key destroyed during a call
// may still be answered from what was kept by that call, as a report
// computed a moment before the erasure would have shown it; the next call
// forgets it. Should the stream be made again (restored from a backup),
// go back, or be emptied, Kept forgets everything. The keyring never
// removes a key's last message, its tombstone least of all; an operator
// who purges one key's subject by hand must restart the process.
//
// Kept holds plaintext, parsed, for as long as its key lives: what the
// process could open again at any time with the keys it holds.
type Kept[T any] struct {
	k     *Keyring
	parse func(plain []byte) (T, bool)

	// One call at a time: a call that opened a value must have kept it
	// before the next reads past the tombstone that would forget it.
	mu sync.Mutex
	// created and through are the key stream's creation time and the last
	// of its sequences read for what was written under each key.
	created time.Time
	through uint64
	kept    map[string]keptValue[T]
	// forgot counts the kept values forgotten: see [Kept.Revision].
	forgot uint64
}

// keptValue is one opened value, with the nonce it was sealed with: a new
// declaration under the same key is opened afresh.
type keptValue[T any] struct {
	nonce string
	value T
}

// NewKept returns an empty Kept that opens with k and keeps what parse
// makes of each plaintext (false: nothing is kept or returned). Kept
// clears each plaintext once parsed.
func NewKept[T any](k *Keyring, parse func(plain []byte) (T, bool)) *Kept[T] {
	return &Kept[T]{k: k, parse: parse, kept: map[string]keptValue[T]{}}
}

// OpenMany returns what [Keyring.OpenMany] would open of sealed, parsed:
// from what it kept where the key and the sealed value are the same, and
// opening the rest. An error means the key stream could not be read, and
// nothing is returned.
func (c *Kept[T]) OpenMany(ctx context.Context, sealed map[string]stakeholder.Sealed) (map[string]T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.forgetChanged(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]T, len(sealed))
	var missing map[string]stakeholder.Sealed
	for id, s := range sealed {
		if v, ok := c.kept[id]; ok && s.KeyID == id && v.nonce == string(s.Nonce) {
			out[id] = v.value
			continue
		}
		if missing == nil {
			missing = map[string]stakeholder.Sealed{}
		}
		missing[id] = s
	}
	if len(missing) == 0 {
		return out, nil
	}
	plain, err := c.k.OpenMany(ctx, missing)
	if err != nil {
		return nil, err
	}
	for id, data := range plain {
		v, ok := c.parse(data)
		clear(data)
		if !ok {
			continue
		}
		out[id] = v
		c.kept[id] = keptValue[T]{nonce: string(missing[id].Nonce), value: v}
	}
	return out, nil
}

// Revision returns a number that grows whenever Kept forgets a value it
// opened, having read the key stream as a call to OpenMany would. Read
// before opening, an unchanged revision later means that nothing opened
// since was destroyed: what was computed from it may still be shown. Keys
// made meanwhile leave it as it is, unlike the key stream's own sequence.
func (c *Kept[T]) Revision(ctx context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.forgetChanged(ctx); err != nil {
		return 0, err
	}
	return c.forgot, nil
}

// forgetChanged reads the key stream from where the last call left it to
// its end, and forgets every kept value whose key has been written since.
func (c *Kept[T]) forgetChanged(ctx context.Context) error {
	info, err := c.k.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("key stream: %w", err)
	}
	head := info.State.LastSeq
	switch {
	case !info.Created.Equal(c.created) || head < c.through || info.State.Msgs == 0:
		// Another stream, or this one emptied: any key may be gone.
		c.forgot += uint64(len(c.kept))
		clear(c.kept)
		c.created = info.Created
	case len(c.kept) == 0:
	default:
		for next := c.through + 1; next <= head; {
			reply, err := c.k.keys.Get(ctx, directget.Request{Seq: next, Batch: directget.MaxBatch})
			if errors.Is(err, directget.ErrNoMessages) {
				break // what was written since is gone again (overwritten)
			}
			if err != nil {
				return fmt.Errorf("keys written since %d: %w", c.through, err)
			}
			for _, m := range reply.Msgs {
				if id, ok := strings.CutPrefix(directget.Subject(m), subjectPrefix); ok {
					if _, kept := c.kept[id]; kept {
						delete(c.kept, id)
						c.forgot++
					}
				}
			}
			if reply.Last < next {
				return fmt.Errorf("keys written since %d: a page that ends at %d", c.through, reply.Last)
			}
			next = reply.Last + 1
		}
	}
	c.through = head
	return nil
}
