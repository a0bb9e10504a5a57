package keyring

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// KEKSize is the length of a key-encryption key in bytes.
const KEKSize = 32

// Purposes of the subkeys [KEK.Derive] makes. Each is API: changing one
// makes what it protected unreadable.
const (
	// PurposeDataKeyWrap wraps the data keys in the key stream.
	PurposeDataKeyWrap = "data-key-wrap"
	// PurposeKEKCheck tells whether a key stream was made with this KEK.
	PurposeKEKCheck = "kek-check"
	// PurposeNATSStore encrypts the embedded nats-server's store.
	PurposeNATSStore = "nats-store"
	// PurposeSnapshotMAC authenticates the reports' ledger snapshot.
	PurposeSnapshotMAC = "snapshot-mac"
)

// KEK is the key-encryption key: the one secret that is not in the data
// directory. Data keys are wrapped under a subkey of it, and the other
// at-rest protections derive their own subkeys with [KEK.Derive]. The zero
// KEK is unusable; make one with [LoadOrCreateKeyFile], [GenerateKEK] or
// [NewKEK]. A KEK is immutable and safe for concurrent use.
type KEK struct {
	key []byte
}

// NewKEK returns the KEK of raw, which must be [KEKSize] bytes. It keeps a
// copy of raw.
func NewKEK(raw []byte) (KEK, error) {
	if len(raw) != KEKSize {
		return KEK{}, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidKEK, len(raw), KEKSize)
	}
	return KEK{key: append([]byte(nil), raw...)}, nil
}

// GenerateKEK returns a new random KEK.
func GenerateKEK() (KEK, error) {
	raw := make([]byte, KEKSize)
	if _, err := rand.Read(raw); err != nil {
		return KEK{}, err
	}
	return KEK{key: raw}, nil
}

// IsZero reports whether k is the unusable zero KEK.
func (k KEK) IsZero() bool { return len(k.key) == 0 }

// Derive returns a 32-byte subkey of k for purpose (HKDF-SHA256, the
// purpose in the info), so that no two uses share a key and none reveals
// the KEK. It panics on the zero KEK, which no constructor returns.
func (k KEK) Derive(purpose string) []byte {
	if k.IsZero() {
		panic("keyring: Derive on the zero KEK")
	}
	sub, err := hkdf.Key(sha256.New, k.key, nil, "together/"+purpose, 32)
	if err != nil { // only for lengths HKDF cannot make
		panic(err)
	}
	return sub
}

// check is what the key stream keeps to recognise its KEK: a MAC of a
// fixed text, which says nothing about the key.
func (k KEK) check() []byte {
	m := hmac.New(sha256.New, k.Derive(PurposeKEKCheck))
	m.Write([]byte("together key stream"))
	return m.Sum(nil)
}
