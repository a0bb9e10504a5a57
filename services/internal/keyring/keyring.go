package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/directget"
)

// DefaultStream is the JetStream stream that holds the keys, one subject
// per key. It is a plain stream rather than a key-value bucket because
// buckets refuse message deletion, and erasure must overwrite the key on
// disk.
const DefaultStream = "TOGETHER_KEYS"

const (
	subjectPrefix = "keys."
	// checkSubject keeps the MAC that recognises the KEK. Key ids never
	// start with an underscore, so it cannot name a data key.
	checkSubject = subjectPrefix + "_kek"
)

// What the key stream's messages hold. Only the last message of a subject
// counts; any earlier one is left over from an interrupted change and is
// overwritten when found.
var (
	// tombstone replaces a destroyed key, so that it is never made again.
	tombstone = []byte("destroyed")
	// wrappedMagic starts a data key wrapped under the KEK: magic, nonce,
	// then AES-256-GCM of the 32-byte key.
	wrappedMagic = []byte("TKW1")
	// checkMagic starts the KEK check: magic, then HMAC-SHA256.
	checkMagic = []byte("TKC1")
)

const (
	dataKeySize = 32
	wrappedSize = 4 + 12 + dataKeySize + 16
)

// Option configures [New] and [NewRemote].
type Option func(*options) error

type options struct {
	replicas int
	log      zerolog.Logger
	workers  int
	timeout  time.Duration
	reg      prometheus.Registerer
}

func defaultOptions() options {
	return options{replicas: 1, log: zerolog.Nop(), workers: 4, timeout: 5 * time.Second}
}

// WithReplicas sets the key stream's replica count. Default 1.
func WithReplicas(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("keyring: replicas must be at least 1, not %d", n)
		}
		o.replicas = n
		return nil
	}
}

// WithLogger sets the logger, which records key migrations and finished
// destructions (never a key or an id's data). Default: no logging.
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) error {
		o.log = l
		return nil
	}
}

// WithNATSWorkers sets how many requests [Keyring.ServeNATS] answers at
// once. Default 4.
func WithNATSWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 256 {
			return fmt.Errorf("keyring: NATS workers want 1 to 256, not %d", n)
		}
		o.workers = n
		return nil
	}
}

// WithNATSTimeout sets how long a [Remote] waits for an answer, and how
// long [Keyring.ServeNATS] gives itself to register and to answer one
// request. Default 5 seconds.
func WithNATSTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("keyring: NATS timeout must be positive, not %v", d)
		}
		o.timeout = d
		return nil
	}
}

// WithMetrics registers the metrics of [Keyring.ServeNATS] or of a
// [Remote] with reg. Default none.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(o *options) error {
		o.reg = reg
		return nil
	}
}

// Keyring seals and opens personal data. It is safe for concurrent use,
// also by several processes sharing the key stream.
type Keyring struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	// keys reads many keys at a time, for [Keyring.OpenMany].
	keys    *directget.Getter
	wrapKey cipher.AEAD
	log     zerolog.Logger

	// For [Keyring.ServeNATS].
	workers   int
	timeout   time.Duration
	served    *servedMetrics
	ready     chan struct{}
	readyOnce sync.Once

	// afterTombstone, set by tests, runs between writing a tombstone and
	// overwriting the key: a crash injected there must not leave a key.
	afterTombstone func() error
}

// New opens (creating if needed) the key stream, with data keys wrapped
// under kek. A key stream made under another KEK is refused with
// [ErrWrongKEK]. New finishes what an interrupted run left: it wraps any
// data key still stored in the clear (as older versions kept them) and
// overwrites the plaintext, and overwrites any key a crash left behind its
// tombstone. The stream is created if there is none, and never updated
// (the NATS users may not update streams): one that no longer keeps keys as
// erasure needs is refused. Options: [WithReplicas], [WithLogger], and
// for [Keyring.ServeNATS] [WithNATSWorkers], [WithNATSTimeout] and
// [WithMetrics].
func New(ctx context.Context, js jetstream.JetStream, kek KEK, opts ...Option) (*Keyring, error) {
	if kek.IsZero() {
		return nil, fmt.Errorf("keyring: %w: none given", ErrInvalidKEK)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cfg := jetstream.StreamConfig{
		Name:        DefaultStream,
		Description: "together: one wrapped key per stakeholder; destroying it erases the person",
		Subjects:    []string{subjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		// Room for a key and what replaces it (its tombstone, or its
		// wrapped form): the old one is then overwritten explicitly, never
		// dropped silently by a limit.
		MaxMsgsPerSubject:    2,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgs:              -1,
		MaxBytes:             -1,
		DenyPurge:            true,
		AllowDirect:          true,
		Replicas:             o.replicas,
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
	aead, err := newAEAD(kek.Derive(PurposeDataKeyWrap))
	if err != nil {
		return nil, err
	}
	k := &Keyring{js: js, stream: s, keys: keysGetter(js), wrapKey: aead, log: o.log,
		workers: o.workers, timeout: o.timeout, served: newServedMetrics(o.reg), ready: make(chan struct{})}
	fresh, err := k.checkKEK(ctx, kek)
	if err != nil {
		return nil, err
	}
	if err := k.tidy(ctx, fresh); err != nil {
		return nil, err
	}
	return k, nil
}

// checkKEK compares kek with the one the key stream was made under,
// recording it if the stream has none yet (fresh is then true).
func (k *Keyring) checkKEK(ctx context.Context, kek KEK) (fresh bool, err error) {
	want := append(append([]byte(nil), checkMagic...), kek.check()...)
	for range 3 {
		m, err := k.stream.GetLastMsgForSubject(ctx, checkSubject)
		if err == nil {
			if !hmac.Equal(m.Data, want) {
				return false, fmt.Errorf("keyring: %w: open it with the key file it was created with", ErrWrongKEK)
			}
			return fresh, nil
		}
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return false, fmt.Errorf("key stream: %w", err)
		}
		fresh = true
		_, err = k.js.Publish(ctx, checkSubject, want, jetstream.WithExpectLastSequencePerSubject(0))
		if err != nil && !isWrongLastSequence(err) {
			return false, fmt.Errorf("key stream: %w", err)
		}
		// Recorded, by us or by a process that raced us: read it back.
	}
	return false, errors.New("key stream: could not record the key-encryption key check")
}

// tidy finishes interrupted changes. On a stream without a KEK check (one
// of an older version, or new) every key is looked at, to wrap the ones
// stored in the clear; otherwise only subjects holding more than one
// message, which is what an interrupted change leaves.
func (k *Keyring) tidy(ctx context.Context, all bool) error {
	info, err := k.stream.Info(ctx, jetstream.WithSubjectFilter(subjectPrefix+">"))
	if err != nil {
		return fmt.Errorf("key stream: %w", err)
	}
	wrapped, finished := 0, 0
	for subj, n := range info.State.Subjects {
		// Bookkeeping (the KEK check, the reconciled checkpoint) starts
		// with an underscore, which no key id does.
		if strings.HasPrefix(subj, subjectPrefix+"_") || (!all && n < 2) {
			continue
		}
		id := strings.TrimPrefix(subj, subjectPrefix)
		w, f, err := k.settle(ctx, id)
		if err != nil {
			return err
		}
		wrapped += w
		finished += f
	}
	if wrapped > 0 || finished > 0 {
		k.log.Info().Int("keys_wrapped", wrapped).Int("leftovers_overwritten", finished).Msg("key stream tidied")
	}
	return nil
}

// settle leaves the key of id as one message that is a wrapped key or a
// tombstone: earlier messages are overwritten and a key in the clear is
// wrapped, then overwritten.
func (k *Keyring) settle(ctx context.Context, id string) (wrapped, overwritten int, err error) {
	last, err := k.stream.GetLastMsgForSubject(ctx, subjectPrefix+id)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("key of %s: %w", id, err)
	}
	if overwritten, err = k.overwriteBefore(ctx, id, last.Sequence); err != nil {
		return 0, 0, err
	}
	if len(last.Data) != dataKeySize { // wrapped, or a tombstone
		return 0, overwritten, nil
	}
	if err := k.wrapInPlace(ctx, id, last.Sequence, last.Data); err != nil {
		return 0, overwritten, err
	}
	return 1, overwritten, nil
}

// wrapInPlace replaces the plaintext key at seq by its wrapped form and
// overwrites the plaintext on disk.
func (k *Keyring) wrapInPlace(ctx context.Context, id string, seq uint64, key []byte) error {
	w, err := k.wrap(id, key)
	if err != nil {
		return err
	}
	if _, err := k.js.Publish(ctx, subjectPrefix+id, w, jetstream.WithExpectLastSequencePerSubject(seq)); err != nil {
		if !isWrongLastSequence(err) {
			return fmt.Errorf("wrap key of %s: %w", id, err)
		}
		// Changed meanwhile (wrapped or destroyed by another process):
		// the plaintext is still overwritten below.
	}
	if err := k.stream.SecureDeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("wrap key of %s: overwrite the plaintext: %w", id, err)
	}
	return nil
}

// overwriteBefore overwrites every message of id's subject before seq.
func (k *Keyring) overwriteBefore(ctx context.Context, id string, seq uint64) (int, error) {
	n := 0
	for from := uint64(1); from < seq; {
		m, err := k.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(subjectPrefix+id))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("key of %s: %w", id, err)
		}
		if m.Sequence >= seq {
			return n, nil
		}
		if err := k.stream.SecureDeleteMsg(ctx, m.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, fmt.Errorf("key of %s: overwrite: %w", id, err)
		}
		n++
		from = m.Sequence + 1
	}
	return n, nil
}

// Seal encrypts plaintext under the key keyID names (a stakeholder id, or
// a record key id), creating the key on first use. The key id is the
// additional authenticated data, so sealed data cannot be moved to another
// person. Once the key was destroyed, ErrKeyDestroyed is returned.
func (k *Keyring) Seal(ctx context.Context, keyID string, plaintext []byte) (stakeholder.Sealed, error) {
	key, err := k.key(ctx, keyID, true)
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
		KeyID:      keyID,
		Nonce:      nonce,
		Ciphertext: aead.Seal(nil, nonce, plaintext, []byte(keyID)),
	}, nil
}

// Open decrypts data sealed under keyID. It returns ErrKeyDestroyed once
// the key was destroyed (the person erased, the record shredded).
func (k *Keyring) Open(ctx context.Context, keyID string, s stakeholder.Sealed) ([]byte, error) {
	if s.KeyID != keyID {
		return nil, fmt.Errorf("sealed data of %s presented for %s", s.KeyID, keyID)
	}
	key, err := k.key(ctx, keyID, false)
	if err != nil {
		return nil, err
	}
	return open(key, s)
}

// open decrypts s with its data key.
func open(key []byte, s stakeholder.Sealed) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, s.Nonce, s.Ciphertext, []byte(s.KeyID))
	if err != nil {
		return nil, fmt.Errorf("open sealed data of %s: %w", s.KeyID, err)
	}
	return plain, nil
}

// Destroy erases the key keyID names: a tombstone takes its place, so that
// from then on nothing can seal or open with it, and then the key's message
// is overwritten on disk. If a crash comes in between, the next [New] or
// Destroy of the same key finishes the overwrite. Destroying twice, or a
// key never made, is harmless: the tombstone still stops it being made.
func (k *Keyring) Destroy(ctx context.Context, keyID string) error {
	_, err := k.destroy(ctx, keyID)
	return err
}

// destroy reports whether a key (not only a leftover) was there.
func (k *Keyring) destroy(ctx context.Context, keyID string) (bool, error) {
	if err := checkID(keyID); err != nil {
		return false, err
	}
	subj := subjectPrefix + keyID
	for range 3 {
		last, err := k.stream.GetLastMsgForSubject(ctx, subj)
		var keySeq uint64
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return false, fmt.Errorf("destroy key of %s: %w", keyID, err)
		case bytes.Equal(last.Data, tombstone):
			_, err := k.overwriteBefore(ctx, keyID, last.Sequence)
			return false, err
		default:
			keySeq = last.Sequence
			// Make room for the tombstone: only the key itself may remain.
			if _, err := k.overwriteBefore(ctx, keyID, keySeq); err != nil {
				return false, err
			}
		}
		_, err = k.js.Publish(ctx, subj, tombstone, jetstream.WithExpectLastSequencePerSubject(keySeq))
		if isWrongLastSequence(err) {
			continue // the key changed meanwhile: look again
		}
		if err != nil {
			return false, fmt.Errorf("destroy key of %s: %w", keyID, err)
		}
		if keySeq == 0 {
			return false, nil
		}
		if k.afterTombstone != nil {
			if err := k.afterTombstone(); err != nil {
				return true, err
			}
		}
		if err := k.stream.SecureDeleteMsg(ctx, keySeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return true, fmt.Errorf("destroy key of %s: overwrite: %w", keyID, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("destroy key of %s: it kept changing", keyID)
}

func (k *Keyring) key(ctx context.Context, keyID string, create bool) ([]byte, error) {
	if err := checkID(keyID); err != nil {
		return nil, err
	}
	subj := subjectPrefix + keyID
	for range 3 {
		m, err := k.stream.GetLastMsgForSubject(ctx, subj)
		if err == nil {
			switch {
			case bytes.Equal(m.Data, tombstone):
				return nil, ErrKeyDestroyed
			case len(m.Data) == dataKeySize:
				// Written in the clear by an older version after this one
				// migrated the stream: wrap it now.
				if err := k.wrapInPlace(ctx, keyID, m.Sequence, m.Data); err != nil {
					return nil, err
				}
				return m.Data, nil
			default:
				return k.unwrap(keyID, m.Data)
			}
		}
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("key of %s: %w", keyID, err)
		}
		if !create {
			return nil, fmt.Errorf("key of %s: %w", keyID, ErrKeyDestroyed)
		}
		key := make([]byte, dataKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		w, err := k.wrap(keyID, key)
		if err != nil {
			return nil, err
		}
		_, err = k.js.Publish(ctx, subj, w, jetstream.WithExpectLastSequencePerSubject(0))
		if err == nil {
			return key, nil
		}
		if !isWrongLastSequence(err) {
			return nil, fmt.Errorf("create key of %s: %w", keyID, err)
		}
		// Somebody else created it first: read theirs.
	}
	return nil, fmt.Errorf("key of %s: could not read or create it", keyID)
}

// wrapAAD binds a wrapped key to the key id it belongs to, so that a
// wrapped key moved to another subject does not open.
func wrapAAD(keyID string) []byte { return []byte("together data key\x00" + keyID) }

func (k *Keyring) wrap(keyID string, key []byte) ([]byte, error) {
	nonce := make([]byte, k.wrapKey.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append(append([]byte(nil), wrappedMagic...), nonce...)
	return k.wrapKey.Seal(out, nonce, key, wrapAAD(keyID)), nil
}

func (k *Keyring) unwrap(keyID string, data []byte) ([]byte, error) {
	if len(data) != wrappedSize || !bytes.HasPrefix(data, wrappedMagic) {
		return nil, fmt.Errorf("key of %s: not a wrapped key (%d bytes)", keyID, len(data))
	}
	n := len(wrappedMagic)
	ns := k.wrapKey.NonceSize()
	key, err := k.wrapKey.Open(nil, data[n:n+ns], data[n+ns:], wrapAAD(keyID))
	if err != nil {
		return nil, fmt.Errorf("key of %s: unwrap: %w", keyID, err)
	}
	return key, nil
}

// checkID refuses a key id that would not be one NATS subject token of
// its own, or that could collide with the stream's bookkeeping, or that
// would not cross the bus unchanged (JSON makes invalid UTF-8 valid).
func checkID(id string) error {
	if id == "" || len(id) > 128 || strings.HasPrefix(id, "_") || strings.ContainsAny(id, ".*> \t\r\n") ||
		!utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return nil
}

func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return cipher.NewGCM(block)
}
