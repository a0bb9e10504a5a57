// Package keyring holds one encryption key per stakeholder in a JetStream
// key-value bucket, apart from the event store, and seals their personal
// data with it (AES-256-GCM). Destroying a key is the right to erasure:
// the history keeps its sealed fields and still replays, but nobody can
// read them again.
package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events/stakeholder"
)

// DefaultStream is the JetStream stream that holds the keys, one subject
// per stakeholder. It is a plain stream rather than a key-value bucket
// because buckets refuse message deletion, and erasure must overwrite the
// key on disk.
const DefaultStream = "TOGETHER_KEYS"

const subjectPrefix = "keys."

// ErrKeyDestroyed is returned when sealing or opening data of a person
// whose key was destroyed (erased).
var ErrKeyDestroyed = errors.New("key destroyed: the person was erased")

// tombstone replaces a destroyed key, so that it is never created again.
var tombstone = []byte("destroyed")

// Keyring seals and opens personal data. It is safe for concurrent use.
type Keyring struct {
	js     jetstream.JetStream
	stream jetstream.Stream
}

// New opens the key stream, creating it with the given replica count if
// there is none. An existing stream is never updated (the NATS users may
// not update streams); one that no longer keeps keys as erasure needs is
// refused.
func New(ctx context.Context, js jetstream.JetStream, replicas int) (*Keyring, error) {
	cfg := jetstream.StreamConfig{
		Name:        DefaultStream,
		Description: "together: one key per stakeholder; destroying it erases the person",
		Subjects:    []string{subjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		// Room for the key and its tombstone: the key is overwritten
		// explicitly, never dropped silently by a limit.
		MaxMsgsPerSubject:    2,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgs:              -1,
		MaxBytes:             -1,
		DenyPurge:            true,
		AllowDirect:          true,
		Replicas:             replicas,
	}
	s, err := js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		// It exists with other settings (another replica count, say): use
		// it if it still keeps keys the way erasure relies on.
		if s, err = js.Stream(ctx, DefaultStream); err == nil {
			got := s.CachedInfo().Config
			if !slices.Equal(got.Subjects, cfg.Subjects) || got.MaxMsgsPerSubject != cfg.MaxMsgsPerSubject ||
				got.Discard != jetstream.DiscardNew || !got.DiscardNewPerSubject || !got.DenyPurge ||
				got.Storage != jetstream.FileStorage || got.MaxAge != 0 || got.MaxMsgs > 0 || got.MaxBytes > 0 {
				err = fmt.Errorf("%s exists with settings that do not keep keys as erasure needs", DefaultStream)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key stream: %w", err)
	}
	return &Keyring{js: js, stream: s}, nil
}

// Seal encrypts plaintext under the stakeholder's key, creating the key on
// first use.
func (k *Keyring) Seal(ctx context.Context, stakeholderID string, plaintext []byte) (stakeholder.Sealed, error) {
	key, err := k.key(ctx, stakeholderID, true)
	if err != nil {
		return stakeholder.Sealed{}, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return stakeholder.Sealed{}, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return stakeholder.Sealed{}, err
	}
	return stakeholder.Sealed{
		KeyID:      stakeholderID,
		Nonce:      nonce,
		Ciphertext: aead.Seal(nil, nonce, plaintext, []byte(stakeholderID)),
	}, nil
}

// Open decrypts sealed data of the stakeholder. It returns
// ErrKeyDestroyed once the person was erased.
func (k *Keyring) Open(ctx context.Context, stakeholderID string, s stakeholder.Sealed) ([]byte, error) {
	if s.KeyID != stakeholderID {
		return nil, fmt.Errorf("sealed data of %s presented for %s", s.KeyID, stakeholderID)
	}
	key, err := k.key(ctx, stakeholderID, false)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, s.Nonce, s.Ciphertext, []byte(stakeholderID))
	if err != nil {
		return nil, fmt.Errorf("open sealed data of %s: %w", stakeholderID, err)
	}
	return plain, nil
}

// Destroy erases the stakeholder's key: a tombstone takes its place and
// the key's message is overwritten on disk. Destroying twice is harmless.
func (k *Keyring) Destroy(ctx context.Context, stakeholderID string) error {
	subj := subjectPrefix + stakeholderID
	last, err := k.stream.GetLastMsgForSubject(ctx, subj)
	var keySeq uint64
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return fmt.Errorf("destroy key of %s: %w", stakeholderID, err)
	case bytes.Equal(last.Data, tombstone):
		return k.overwriteKeys(ctx, stakeholderID, last.Sequence)
	default:
		keySeq = last.Sequence
	}
	if _, err := k.js.Publish(ctx, subj, tombstone, jetstream.WithExpectLastSequencePerSubject(keySeq)); err != nil {
		return fmt.Errorf("destroy key of %s: %w", stakeholderID, err)
	}
	if keySeq == 0 {
		return nil
	}
	if err := k.stream.SecureDeleteMsg(ctx, keySeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("destroy key of %s: overwrite: %w", stakeholderID, err)
	}
	return nil
}

// overwriteKeys finishes an interrupted Destroy: any key message stored
// before the tombstone at tombSeq is overwritten.
func (k *Keyring) overwriteKeys(ctx context.Context, stakeholderID string, tombSeq uint64) error {
	m, err := k.stream.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(subjectPrefix+stakeholderID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("destroy key of %s: %w", stakeholderID, err)
	}
	if m.Sequence >= tombSeq {
		return nil
	}
	if err := k.stream.SecureDeleteMsg(ctx, m.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("destroy key of %s: overwrite: %w", stakeholderID, err)
	}
	return nil
}

func (k *Keyring) key(ctx context.Context, stakeholderID string, create bool) ([]byte, error) {
	subj := subjectPrefix + stakeholderID
	for range 3 {
		m, err := k.stream.GetLastMsgForSubject(ctx, subj)
		if err == nil {
			if bytes.Equal(m.Data, tombstone) {
				return nil, ErrKeyDestroyed
			}
			return m.Data, nil
		}
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("key of %s: %w", stakeholderID, err)
		}
		if !create {
			return nil, fmt.Errorf("key of %s: %w", stakeholderID, ErrKeyDestroyed)
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		_, err = k.js.Publish(ctx, subj, key, jetstream.WithExpectLastSequencePerSubject(0))
		if err == nil {
			return key, nil
		}
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence {
			return nil, fmt.Errorf("create key of %s: %w", stakeholderID, err)
		}
		// Somebody else created it first: read theirs.
	}
	return nil, fmt.Errorf("key of %s: could not read or create it", stakeholderID)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return cipher.NewGCM(block)
}
