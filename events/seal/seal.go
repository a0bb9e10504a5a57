// Package seal defines the ledger seal: an event the recorder appends
// every so often to the stream "ledger-seals", carrying the chain hash of
// the whole global order up to a position. Per-stream hash chains catch an
// edited event; the seals catch a removed, reordered or inserted one
// anywhere. See package hashchain.
package seal

import "github.com/together-coop/together/events"

// TypeLedgerSealed is the stored type name.
const TypeLedgerSealed = "LedgerSealed"

// Stream is the one stream of seals.
const Stream = "ledger-seals"

// Register adds the seal event.
func Register(r *events.Registry) {
	r.RegisterAggregate(events.Aggregate{Name: "seal", Stream: Stream},
		events.Version(1, func() events.Payload { return &LedgerSealed{} }),
	)
}

// LedgerSealed states that the events up to and including position
// ThroughPosition, Events of them, chain to ChainHash.
type LedgerSealed struct {
	ThroughPosition uint64 `json:"through_position"`
	Events          uint64 `json:"events"`
	ChainHash       string `json:"chain_hash"`
}

// EventType implements [events.Payload].
func (*LedgerSealed) EventType() string { return TypeLedgerSealed }

// Validate implements [events.Payload].
func (p *LedgerSealed) Validate() error {
	var c events.Check
	if p.ThroughPosition == 0 || p.Events == 0 {
		c.Fail("through_position", "a seal covers at least one event")
	}
	if len(p.ChainHash) != 64 {
		c.Fail("chain_hash", "must be 64 hex digits")
	}
	return c.Err(TypeLedgerSealed)
}
