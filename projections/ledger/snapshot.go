package ledger

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
)

// SnapshotVersion names the ledger's shape. Change it whenever the ledger
// or anything it holds changes shape: an older snapshot is then refused
// and the ledger rebuilt from the history.
const SnapshotVersion = 3

// ErrSnapshotVersion is returned by [Restore] for a snapshot of another
// shape; rebuild from the history instead.
var ErrSnapshotVersion = errors.New("snapshot of another ledger version")

// snapshot is what gob encodes: the whole ledger, every field of which is
// exported, so that no field can be left out of a snapshot by mistake.
type snapshot struct {
	Version int
	Ledger  *Ledger
}

// Snapshot encodes the ledger, so that a restart can resume from it
// instead of replaying the whole history. Applying the events after
// Position to the restored ledger gives the same ledger as replaying all.
func (l *Ledger) Snapshot() ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(snapshot{Version: SnapshotVersion, Ledger: l}); err != nil {
		return nil, fmt.Errorf("snapshot ledger: %w", err)
	}
	return b.Bytes(), nil
}

// Restore decodes a [Ledger.Snapshot].
func Restore(data []byte) (*Ledger, error) {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return nil, fmt.Errorf("restore ledger: %w", err)
	}
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("%w: %d, this build reads %d", ErrSnapshotVersion, s.Version, SnapshotVersion)
	}
	l := s.Ledger
	if l == nil {
		l = New()
	}
	// gob sends no empty map, so an empty one comes back nil: keep the
	// ledger's maps always usable.
	empty := New()
	if l.Projects == nil {
		l.Projects = empty.Projects
	}
	if l.Stakeholders == nil {
		l.Stakeholders = empty.Stakeholders
	}
	if l.Engagements == nil {
		l.Engagements = empty.Engagements
	}
	if l.Feedback == nil {
		l.Feedback = empty.Feedback
	}
	if l.Actions == nil {
		l.Actions = empty.Actions
	}
	return l, nil
}
