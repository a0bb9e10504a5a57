package command

import (
	"crypto/sha256"
	"encoding/hex"

	"time"

	"github.com/google/uuid"
)

// Meta is what a command carries besides its body: who, why, when, and
// its Idempotency-Key.
type Meta struct {
	Actor         string
	CorrelationID string
	CausationID   string
	// OccurredAt is the business time; zero means now.
	OccurredAt     time.Time
	IdempotencyKey string
	// digest fingerprints the request so a reused key is told apart from a
	// retry.
	digest string
}

// idNamespace scopes the ids derived from Idempotency-Keys.
var idNamespace = uuid.MustParse("7c4a3e52-5b1f-4d0e-9a51-3f1a8e2d6b90")

// NewID returns the id of something a command creates. With an
// Idempotency-Key the id is derived from the key and kind, so a retried
// creation names the same stream and is recognised there; without one it
// is a fresh UUIDv7.
func (m Meta) NewID(kind string) (string, error) {
	if m.IdempotencyKey != "" {
		return uuid.NewSHA1(idNamespace, []byte(kind+"\x00"+m.IdempotencyKey)).String(), nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func digest(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
