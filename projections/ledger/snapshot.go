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
const SnapshotVersion = 5

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
	l.shareIDs()
	return l, nil
}

// shareIDs makes every id the ledger holds one string per entity again, as
// Apply keeps it: gob decodes each copy of an id on its own, and a
// restored ledger would otherwise hold more than the rebuild it replaces.
func (l *Ledger) shareIDs() {
	l.Projects = keyedByID(l.Projects, l.ProjectOrder, func(pr *Project) string { return pr.ID })
	l.Stakeholders = keyedByID(l.Stakeholders, l.StakeholderOrder, func(s *Stakeholder) string { return s.ID })
	l.Engagements = keyedByID(l.Engagements, l.EngagementOrder, func(en *Engagement) string { return en.ID })
	l.Feedback = keyedByID(l.Feedback, l.FeedbackOrder, func(fb *Feedback) string { return fb.ID })
	l.Actions = keyedByID(l.Actions, l.ActionOrder, func(a *Action) string { return a.ID })
	share := func(ids []string, canonical func(string) string) {
		for i, id := range ids {
			ids[i] = canonical(id)
		}
	}
	actionID := func(id string) string {
		if a := l.Actions.Get(id); a != nil {
			return a.ID
		}
		return id
	}
	share(l.ProjectOrder, l.projectID)
	share(l.StakeholderOrder, l.stakeholderID)
	share(l.EngagementOrder, l.engagementID)
	share(l.FeedbackOrder, l.feedbackID)
	share(l.ActionOrder, actionID)
	for pr := range entities(l.Projects, l.ProjectOrder) {
		share(pr.EngagementIDs, l.engagementID)
		share(pr.FeedbackIDs, l.feedbackID)
		share(pr.ActionIDs, actionID)
		for _, el := range pr.Elements {
			el.ProjectID = pr.ID
			share(el.EngagementIDs, l.engagementID)
			share(el.FeedbackIDs, l.feedbackID)
		}
	}
	for en := range entities(l.Engagements, l.EngagementOrder) {
		en.ProjectID = l.projectID(en.ProjectID)
		for i, id := range en.ElementIDs {
			en.ElementIDs[i] = l.elementID(en.ProjectID, id)
		}
		for _, inv := range en.Invitations {
			inv.StakeholderID = l.stakeholderID(inv.StakeholderID)
		}
		if en.Held != nil {
			share(en.Held.AttendeeIDs, l.stakeholderID)
		}
		for i := range en.Support {
			en.Support[i].StakeholderID = l.stakeholderID(en.Support[i].StakeholderID)
		}
	}
	for fb := range entities(l.Feedback, l.FeedbackOrder) {
		fb.ElementID = l.elementID(fb.ProjectID, fb.ElementID)
		fb.ProjectID = l.projectID(fb.ProjectID)
		fb.EngagementID = l.engagementID(fb.EngagementID)
		fb.StakeholderID = l.stakeholderID(fb.StakeholderID)
		share(fb.ActionIDs, actionID)
	}
	for a := range entities(l.Actions, l.ActionOrder) {
		a.ProjectID = l.projectID(a.ProjectID)
		a.EngagementID = l.engagementID(a.EngagementID)
		share(a.FeedbackIDs, l.feedbackID)
	}
}

// keyedByID returns the entities of x, in order, keyed by each entity's
// own id string.
func keyedByID[E comparable](x Index[E], order []string, id func(E) string) Index[E] {
	var out Index[E]
	for e := range entities(x, order) {
		out = out.set(0, id(e), e)
	}
	return out
}

// entities yields the entities of x in order, skipping ids it lacks.
func entities[E comparable](x Index[E], order []string) func(func(E) bool) {
	return func(yield func(E) bool) {
		var none E
		for _, id := range order {
			if e := x.Get(id); e != none && !yield(e) {
				return
			}
		}
	}
}
