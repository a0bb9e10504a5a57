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
const SnapshotVersion = 1

// ErrSnapshotVersion is returned by [Restore] for a snapshot of another
// shape; rebuild from the history instead.
var ErrSnapshotVersion = errors.New("snapshot of another ledger version")

// snapshot is the ledger as gob encodes it.
type snapshot struct {
	Version         int
	Projects        map[string]*Project
	Stakeholders    map[string]*Stakeholder
	Engagements     map[string]*Engagement
	Feedback        map[string]*Feedback
	Actions         map[string]*Action
	ProjectOrder    []string
	EngagementOrder []string
	FeedbackOrder   []string
	ActionOrder     []string
	Position        uint64
	LastEventID     string
	Recorded        []stamp
}

// Snapshot encodes the ledger, so that a restart can resume from it
// instead of replaying the whole history. Applying the events after
// Position to the restored ledger gives the same ledger as replaying all.
func (l *Ledger) Snapshot() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(snapshot{
		Version: SnapshotVersion, Projects: l.Projects, Stakeholders: l.Stakeholders, Engagements: l.Engagements,
		Feedback: l.Feedback, Actions: l.Actions, ProjectOrder: l.ProjectOrder, EngagementOrder: l.EngagementOrder,
		FeedbackOrder: l.FeedbackOrder, ActionOrder: l.ActionOrder, Position: l.Position, LastEventID: l.LastEventID,
		Recorded: l.recorded,
	})
	if err != nil {
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
	l := New()
	// gob leaves empty maps nil; keep the ledger's maps always usable.
	if s.Projects != nil {
		l.Projects = s.Projects
	}
	if s.Stakeholders != nil {
		l.Stakeholders = s.Stakeholders
	}
	if s.Engagements != nil {
		l.Engagements = s.Engagements
	}
	if s.Feedback != nil {
		l.Feedback = s.Feedback
	}
	if s.Actions != nil {
		l.Actions = s.Actions
	}
	l.ProjectOrder, l.EngagementOrder, l.FeedbackOrder, l.ActionOrder = s.ProjectOrder, s.EngagementOrder, s.FeedbackOrder, s.ActionOrder
	l.Position, l.LastEventID, l.recorded = s.Position, s.LastEventID, s.Recorded
	return l, nil
}
