package keyring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/directget"
)

// OpenMany opens many sealed values at once, each under the key its map
// key names: what a report over everyone needs. [Keyring.Open] reads one
// key a request; OpenMany reads up to a thousand keys a request (the last
// message of each key's subject, in one direct get), so the key stream
// answers as it would to Open at the time of the call, key by key. It
// returns the plaintexts it opened, by key id. A value whose key is
// destroyed or was never made, that was sealed under another key, or that
// does not open, is left out, as Open would refuse it; an error means the
// key stream could not be read, and nothing is returned.
func (k *Keyring) OpenMany(ctx context.Context, sealed map[string]stakeholder.Sealed) (map[string][]byte, error) {
	ids := make([]string, 0, len(sealed))
	for id, s := range sealed {
		if s.KeyID == id && checkID(id) == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	opened := make(map[string][]byte, len(ids))
	for chunk := range slices.Chunk(ids, directget.MaxSubjects) {
		subjects := make([]string, len(chunk))
		for i, id := range chunk {
			subjects[i] = subjectPrefix + id
		}
		reply, err := k.keys.Get(ctx, directget.Request{LastOf: subjects})
		if errors.Is(err, directget.ErrNoMessages) {
			continue // none of these keys was ever made
		}
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		for _, m := range reply.Msgs {
			id, ok := strings.CutPrefix(directget.Subject(m), subjectPrefix)
			s, asked := sealed[id]
			if !ok || !asked {
				continue
			}
			key, err := k.keyOf(ctx, id, m.Data)
			if err != nil {
				continue
			}
			if plain, err := open(key, s); err == nil {
				opened[id] = plain
			}
		}
	}
	return opened, nil
}

// keyOf is the data key that data, the last message of id's subject,
// holds, as [Keyring.key] reads it.
func (k *Keyring) keyOf(ctx context.Context, id string, data []byte) ([]byte, error) {
	if len(data) == dataKeySize {
		// Still in the clear, as an older version kept it: the key's own
		// read wraps it.
		return k.key(ctx, id, false)
	}
	if string(data) == string(tombstone) {
		return nil, ErrKeyDestroyed
	}
	return k.unwrap(id, data)
}

// keysGetter reads the key stream through the JetStream API js speaks to.
func keysGetter(js jetstream.JetStream) *directget.Getter {
	prefix := js.Options().APIPrefix
	if prefix == "" {
		prefix = jetstream.DefaultAPIPrefix
	}
	prefix = strings.TrimSuffix(prefix, ".")
	return directget.New(js.Conn(), prefix, DefaultStream)
}
