package ledger

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// SnapshotVersion names the ledger's shape. Change it whenever the ledger
// or anything it holds changes shape: an older snapshot is then refused
// and the ledger rebuilt from the history.
const SnapshotVersion = 7

// ErrSnapshotVersion is returned by [Restore] for a snapshot of another
// shape; rebuild from the history instead.
var ErrSnapshotVersion = errors.New("snapshot of another ledger version")

// snapshot is what gob encodes: the ledger's entities, each kind in its
// order (from which the orders are read back), and every other field of
// the ledger by the same name. TestSnapshotCarriesEveryField keeps the
// two in step.
type snapshot struct {
	Version     int
	Position    uint64
	LastEventID string
	Recorded    []Stamp
	// PeopleRevised is carried; whether anything refers to someone unknown
	// is found again as the ids are shared.
	PeopleRevised Stamp
	Projects      []*Project
	Stakeholders  []*Stakeholder
	Engagements   []*Engagement
	Feedback      []*Feedback
	Actions       []*Action
}

// Snapshot encodes the ledger, so that a restart can resume from it
// instead of replaying the whole history. Applying the events after
// Position to the restored ledger gives the same ledger as replaying all.
func (l *Ledger) Snapshot() ([]byte, error) {
	s := snapshot{Version: SnapshotVersion, Position: l.Position, Recorded: l.Recorded,
		PeopleRevised: l.PeopleRevised, Projects: slices.Collect(entities(l.Projects, l.ProjectOrder)), Stakeholders: slices.Collect(entities(l.Stakeholders, l.StakeholderOrder)),
		Engagements: slices.Collect(entities(l.Engagements, l.EngagementOrder)), Feedback: slices.Collect(entities(l.Feedback, l.FeedbackOrder)),
		Actions: slices.Collect(entities(l.Actions, l.ActionOrder))}
	if l.LastEvent != uuid.Nil {
		s.LastEventID = l.LastEvent.String()
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s); err != nil {
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
	l := &Ledger{Position: s.Position, Recorded: s.Recorded, PeopleRevised: s.PeopleRevised}
	if s.LastEventID != "" {
		id, err := uuid.Parse(s.LastEventID)
		if err != nil {
			return nil, fmt.Errorf("restore ledger: last event: %w", err)
		}
		l.LastEvent = id
	}
	l.Projects, l.ProjectOrder = indexed(s.Projects, func(pr *Project) string { return pr.ID })
	l.Stakeholders, l.StakeholderOrder = indexed(s.Stakeholders, func(st *Stakeholder) string { return st.ID })
	l.Engagements, l.EngagementOrder = indexed(s.Engagements, func(en *Engagement) string { return en.ID })
	l.Feedback, l.FeedbackOrder = indexed(s.Feedback, func(fb *Feedback) string { return fb.ID })
	l.Actions, l.ActionOrder = indexed(s.Actions, func(a *Action) string { return a.ID })
	l.shareIDs()
	return l, nil
}

// shareIDs makes every id the ledger holds one string per entity again, as
// Apply keeps it: gob decodes each copy of an id on its own, and a
// restored ledger would otherwise hold more than the rebuild it replaces.
func (l *Ledger) shareIDs() {
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
	// What reads across projects is found again, as is who was named
	// unknown (by stakeholderID above).
	for fb := range entities(l.Feedback, l.FeedbackOrder) {
		l.noteFeedbackReads(fb)
	}
	for a := range entities(l.Actions, l.ActionOrder) {
		l.noteActionReads(a)
	}
}

// indexed returns the entities keyed by their own id strings, and their
// ids in order.
func indexed[E any](list []E, id func(E) string) (Index[E], []string) {
	var x Index[E]
	order := make([]string, len(list))
	for i, e := range list {
		order[i] = id(e)
		x = x.set(0, order[i], e)
	}
	return x, order
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
