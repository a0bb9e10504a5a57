package hashchain

import (
	"encoding/json"
	"fmt"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/seal"
)

// Break is the first place where the history is not what it claims to be.
type Break struct {
	Position      uint64 `json:"position"`
	Stream        string `json:"stream"`
	StreamVersion uint64 `json:"stream_version"`
	EventID       string `json:"event_id"`
	Reason        string `json:"reason"`
}

func (b *Break) Error() string {
	return fmt.Sprintf("break at position %d (%s version %d, event %s): %s", b.Position, b.Stream, b.StreamVersion, b.EventID, b.Reason)
}

// Result sums up a verified history.
type Result struct {
	Events uint64 `json:"events"`
	// ChainHash is the chain hash over every event: publish it, and any
	// later change to the history up to here can be shown.
	ChainHash          string `json:"chain_hash"`
	Seals              int    `json:"seals"`
	LastSealedPosition uint64 `json:"last_sealed_position"`
	LastPosition       uint64 `json:"last_position"`
	// Unsealed counts the events no seal covers: those after the last
	// sealed position, except seals. A seal states something about the
	// events before it and holds no fact of its own, and no seal can
	// cover itself, so the seal a recorder appends when it stops is not
	// "unsealed": after a clean stop Unsealed is 0.
	Unsealed uint64 `json:"unsealed_events"`
}

// sealWindow is how many recent positions a seal may refer back to: the
// recorder reads the head and appends its seal moments later, and events
// appended in between land before the seal.
const sealWindow = 1 << 16

type point struct {
	position uint64
	chain    string
	events   uint64
	seals    uint64 // seal events up to and including this one
}

type streamState struct {
	version uint64
	hash    string
}

// Verifier checks a history event by event, in global order. It is not
// safe for concurrent use.
type Verifier struct {
	streams map[string]streamState
	result  Result
	recent  []point // ring of the last sealWindow chain points
	seals   uint64  // seal events so far
}

// NewVerifier returns a verifier at the start of a history.
func NewVerifier() *Verifier {
	return &Verifier{streams: map[string]streamState{}}
}

// Add checks the next event and returns a [*Break] if it does not follow.
func (v *Verifier) Add(e events.Envelope) error {
	brk := func(format string, args ...any) error {
		return &Break{Position: e.Position, Stream: e.Stream, StreamVersion: e.StreamVersion, EventID: e.ID.String(), Reason: fmt.Sprintf(format, args...)}
	}
	if e.Position <= v.result.LastPosition {
		return brk("out of order: position %d comes after %d", e.Position, v.result.LastPosition)
	}
	st := v.streams[e.Stream]
	if e.StreamVersion != st.version+1 {
		return brk("stream version %d follows version %d: an event of the stream is missing, repeated or moved", e.StreamVersion, st.version)
	}
	if e.PrevHash != st.hash {
		return brk("prev_hash %q is not the hash of the previous event of the stream (%q)", short(e.PrevHash), short(st.hash))
	}
	h, err := Hash(e)
	if err != nil {
		return brk("cannot be hashed: %v", err)
	}
	if h != e.Hash {
		return brk("content does not match its hash (recorded %q, computed %q): the event was altered", short(e.Hash), short(h))
	}
	isSeal := e.Type == seal.TypeLedgerSealed
	var sealed *point
	if isSeal {
		p, err := v.checkSeal(e)
		if err != "" {
			return brk("%s", err)
		}
		sealed = p
	}
	v.streams[e.Stream] = streamState{version: e.StreamVersion, hash: h}
	v.result.ChainHash = Chain(v.result.ChainHash, h)
	v.result.Events++
	v.result.LastPosition = e.Position
	switch {
	case sealed != nil:
		// Unsealed now: the events after the sealed point but before this
		// seal, less the seals among them.
		v.result.Unsealed = (v.result.Events - 1 - sealed.events) - (v.seals - sealed.seals)
	case !isSeal:
		v.result.Unsealed++
	}
	if isSeal {
		v.seals++
	}
	p := point{position: e.Position, chain: v.result.ChainHash, events: v.result.Events, seals: v.seals}
	if len(v.recent) < sealWindow {
		v.recent = append(v.recent, p)
	} else {
		v.recent[v.result.Events%sealWindow] = p
	}
	return nil
}

// checkSeal checks a seal against the chain and returns the point it
// seals if that is later than any sealed before (nil if an earlier seal
// already covered it), or why it does not hold.
func (v *Verifier) checkSeal(e events.Envelope) (*point, string) {
	var s seal.LedgerSealed
	if err := json.Unmarshal(e.Payload, &s); err != nil {
		return nil, "seal payload unreadable: " + err.Error()
	}
	for i := range v.recent {
		p := v.recent[i]
		if p.position != s.ThroughPosition {
			continue
		}
		if p.chain != s.ChainHash || p.events != s.Events {
			return nil, fmt.Sprintf("seal through position %d says %d events chaining to %q, the history has %d chaining to %q: an event before it was removed, reordered or inserted",
				s.ThroughPosition, s.Events, short(s.ChainHash), p.events, short(p.chain))
		}
		v.result.Seals++
		if s.ThroughPosition < v.result.LastSealedPosition {
			return nil, "" // a seal over less than an earlier one: true, but it adds nothing
		}
		v.result.LastSealedPosition = s.ThroughPosition
		return &p, ""
	}
	return nil, fmt.Sprintf("seal through position %d refers to an event that is not in the history just before it", s.ThroughPosition)
}

// Result returns the summary of what was verified so far.
func (v *Verifier) Result() Result { return v.result }

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
