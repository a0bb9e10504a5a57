package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

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
// stream), and forgets every key it names. Calls that come while another
// reads share the next read: it begins after they came. A key destroyed
// during a call may still be answered from what was kept by that call, as
// a report computed a moment before the erasure would have shown it; the
// next call forgets it. The read starts at the last message the previous
// one read, found as it was (same sequence, stored at the same time) in
// one direct get: should the stream be made again (restored from a
// backup), go back, or be emptied, Kept forgets everything. The keyring
// never removes a key's last message, its tombstone least of all; an
// operator who purges one key's subject by hand must restart the process.
//
// Kept holds plaintext, parsed, for as long as its key lives: what the
// process could open again at any time with the keys it holds.
type Kept[T any] struct {
	k     *Keyring
	parse func(plain []byte) (T, bool)

	// One call at a time: a call that opened a value must have kept it
	// before the next reads past the tombstone that would forget it.
	mu sync.Mutex
	// calls counts the calls as they come, and readFor is what it counted
	// when the latest read of the key stream began: a call counted by then
	// came before that read, which saw every key destroyed before the call
	// came, so the call need not read again. Readers asking at once, as a
	// dashboard's do, then wait for one read between them, not one each.
	calls   atomic.Uint64
	readFor uint64
	// reads counts the reads of the key stream, for tests.
	reads atomic.Uint64
	// through is the last message of the key stream read for what was
	// written under each key, and throughAt the time it was stored: the
	// next call reads on from it, and finds it as it was unless the
	// stream is not the one read last.
	through   uint64
	throughAt time.Time
	// created is when the key stream read was made.
	created time.Time
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
	call := c.calls.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.forgetChanged(ctx, call); err != nil {
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
	call := c.calls.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.forgetChanged(ctx, call); err != nil {
		return 0, err
	}
	return c.forgot, nil
}

// forgetChanged reads the key stream from where the last call left it to
// its end, and forgets every kept value whose key has been written since;
// unless a read that began after call came has done so already.
func (c *Kept[T]) forgetChanged(ctx context.Context, call uint64) error {
	if call <= c.readFor {
		return nil
	}
	began := c.calls.Load()
	c.reads.Add(1)
	same, err := c.readOn(ctx)
	if err != nil {
		return err
	}
	if !same {
		if err := c.startAgain(ctx); err != nil {
			return err
		}
	}
	c.readFor = began
	return nil
}

// readOn reads the key stream from the last message read, and forgets
// every kept value whose key was written after it. It answers false,
// having forgotten nothing, if the stream is not the one read last: the
// first call, a stream made again, gone back or emptied.
func (c *Kept[T]) readOn(ctx context.Context) (bool, error) {
	if c.through == 0 {
		return false, nil
	}
	var written []string
	last, lastAt := c.through, c.throughAt
	for next := c.through; ; next = last + 1 {
		reply, err := c.k.keys.Get(ctx, directget.Request{Seq: next, Batch: directget.MaxBatch})
		switch {
		case errors.Is(err, directget.ErrNoMessages) && next == c.through:
			return false, nil
		case errors.Is(err, directget.ErrNoMessages):
			// What the last page counted as pending was overwritten since.
		case err != nil:
			return false, fmt.Errorf("keys written since %d: %w", c.through, err)
		case len(reply.Msgs) == 0 || reply.Last < next:
			return false, fmt.Errorf("keys written since %d: a page of %d messages that ends at %d", c.through, len(reply.Msgs), reply.Last)
		}
		if next == c.through {
			first := reply.Msgs[0]
			seq, err := directget.Sequence(first)
			if err != nil {
				return false, fmt.Errorf("keys written since %d: %w", c.through, err)
			}
			if same, err := c.stillThere(ctx, seq, first); err != nil || !same {
				return false, err
			}
			if seq == c.through {
				reply.Msgs = reply.Msgs[1:]
			}
		}
		for _, m := range reply.Msgs {
			if id, ok := strings.CutPrefix(directget.Subject(m), subjectPrefix); ok {
				written = append(written, id)
			}
		}
		if len(reply.Msgs) > 0 {
			if lastAt, err = directget.Stored(reply.Msgs[len(reply.Msgs)-1]); err != nil {
				return false, fmt.Errorf("keys written since %d: %w", c.through, err)
			}
			last = reply.Last
		}
		if reply.Pending == 0 {
			break
		}
	}
	for _, id := range written {
		if _, kept := c.kept[id]; kept {
			delete(c.kept, id)
			c.forgot++
		}
	}
	c.through, c.throughAt = last, lastAt
	return true, nil
}

// stillThere says whether first, the first message from the last one
// read, at sequence seq, shows the stream is the one read last: the same
// message, stored at the same time; or, that message gone since (its key
// overwritten), the same stream by its creation time, no shorter than it
// was.
func (c *Kept[T]) stillThere(ctx context.Context, seq uint64, first *nats.Msg) (bool, error) {
	if seq == c.through {
		at, err := directget.Stored(first)
		if err != nil {
			return false, fmt.Errorf("keys written since %d: %w", c.through, err)
		}
		return at.Equal(c.throughAt), nil
	}
	info, err := c.k.stream.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("key stream: %w", err)
	}
	return info.Created.Equal(c.created) && info.State.LastSeq >= c.through && info.State.Msgs > 0, nil
}

// startAgain forgets every kept value and reads on, the next call, from
// the key stream's last message now.
func (c *Kept[T]) startAgain(ctx context.Context) error {
	info, err := c.k.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("key stream: %w", err)
	}
	c.forgot += uint64(len(c.kept))
	clear(c.kept)
	c.through, c.throughAt, c.created = info.State.LastSeq, info.State.LastTime, info.Created
	return nil
}
