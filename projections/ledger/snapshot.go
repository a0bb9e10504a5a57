package ledger

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"

	"github.com/google/uuid"
)

// SnapshotVersion names the ledger's shape. Change it whenever the ledger
// or anything it holds changes shape: an older snapshot is then refused
// and the ledger rebuilt from the history.
const SnapshotVersion = 9

// ErrSnapshotVersion is returned by [Restore] for a snapshot of another
// shape; rebuild from the history instead.
var ErrSnapshotVersion = errors.New("snapshot of another ledger version")

// snapshotHeader is the first value of a snapshot: every field of the
// ledger by the same name (TestSnapshotCarriesEveryField keeps the two in
// step), the lists as how many of their items follow. The items follow in
// that order, snapshotChunk at a time, each kind of entity in its order
// (from which the orders are read back). gob writes and reads a whole
// value at once, so chunks keep what it holds at once small: one value
// would be the size of the snapshot again, beside it.
type snapshotHeader struct {
	Version     int
	Position    uint64
	LastEventID string
	// PeopleRevised is carried; whether anything refers to someone unknown
	// is found again as the ids are shared.
	PeopleRevised Stamp
	Recorded      int
	Projects      int
	Stakeholders  int
	Engagements   int
	Feedback      int
	Actions       int
	// Invitations counts the engagements' invitations, which follow the
	// engagements apart from them (see [Ledger.WriteSnapshot]).
	Invitations int
}

// snapshotChunk is how many items a value of a snapshot holds at most.
const snapshotChunk = 1024

// Snapshot encodes the ledger, so that a restart can resume from it
// instead of replaying the whole history. Applying the events after
// Position to the restored ledger gives the same ledger as replaying all.
func (l *Ledger) Snapshot() ([]byte, error) {
	var b bytes.Buffer
	if err := l.WriteSnapshot(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteSnapshot writes [Ledger.Snapshot] to w.
func (l *Ledger) WriteSnapshot(w io.Writer) error {
	projects, stakeholders := slices.Collect(entities(l.Projects, l.ProjectOrder)), slices.Collect(entities(l.Stakeholders, l.StakeholderOrder))
	engagements, feedback := slices.Collect(entities(l.Engagements, l.EngagementOrder)), slices.Collect(entities(l.Feedback, l.FeedbackOrder))
	actions := slices.Collect(entities(l.Actions, l.ActionOrder))
	h := snapshotHeader{Version: SnapshotVersion, Position: l.Position, PeopleRevised: l.PeopleRevised,
		Recorded: l.Recorded.Len(), Projects: len(projects), Stakeholders: len(stakeholders),
		Engagements: len(engagements), Feedback: len(feedback), Actions: len(actions)}
	for _, en := range engagements {
		h.Invitations += len(en.Invitations)
	}
	// The invitations follow the engagements apart from them, with how many
	// each has, so that a restore reads each chunk of them into one array,
	// as Apply keeps them in slabs, rather than each on its own among gob's
	// garbage.
	bare := func(yield func(Engagement) bool) {
		for _, en := range engagements {
			c := *en
			c.Invitations = nil
			if !yield(c) {
				return
			}
		}
	}
	invited := func(yield func(int) bool) {
		for _, en := range engagements {
			if !yield(len(en.Invitations)) {
				return
			}
		}
	}
	invitations := func(yield func(Invitation) bool) {
		for _, en := range engagements {
			for _, inv := range en.Invitations {
				if !yield(*inv) {
					return
				}
			}
		}
	}
	if l.LastEvent != uuid.Nil {
		h.LastEventID = l.LastEvent.String()
	}
	enc := gob.NewEncoder(w)
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("snapshot ledger: %w", err)
	}
	for _, write := range []func() error{
		func() error { return writeChunks(enc, l.Recorded.All()) },
		func() error { return writeChunks(enc, slices.Values(projects)) },
		func() error { return writeChunks(enc, slices.Values(stakeholders)) },
		func() error { return writeChunks(enc, bare) },
		func() error { return writeChunks(enc, invited) },
		func() error { return writeChunks(enc, invitations) },
		func() error { return writeChunks(enc, slices.Values(feedback)) },
		func() error { return writeChunks(enc, slices.Values(actions)) },
	} {
		if err := write(); err != nil {
			return fmt.Errorf("snapshot ledger: %w", err)
		}
	}
	return nil
}

// writeChunks encodes items, snapshotChunk at a time.
func writeChunks[E any](enc *gob.Encoder, items iter.Seq[E]) error {
	chunk := make([]E, 0, snapshotChunk)
	for item := range items {
		chunk = append(chunk, item)
		if len(chunk) == snapshotChunk {
			if err := enc.Encode(chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if len(chunk) > 0 {
		return enc.Encode(chunk)
	}
	return nil
}

// Restore decodes a [Ledger.Snapshot].
func Restore(data []byte) (*Ledger, error) { return RestoreFrom(bytes.NewReader(data), len(data)) }

// RestoreFrom decodes a [Ledger.Snapshot] of size bytes as r yields it,
// so that the snapshot need not be held whole beside the ledger it
// becomes. r must end where the snapshot does.
func RestoreFrom(r io.Reader, size int) (*Ledger, error) {
	l, err := restore(r, size)
	if err != nil {
		return nil, fmt.Errorf("restore ledger: %w", err)
	}
	return l, nil
}

// restore reads a snapshot of size bytes from r; size bounds what is
// made at once, as each item takes at least a byte of it.
func restore(r io.Reader, size int) (*Ledger, error) {
	dec := gob.NewDecoder(r)
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return nil, err
	}
	if h.Version != SnapshotVersion {
		return nil, fmt.Errorf("%w: %d, this build reads %d", ErrSnapshotVersion, h.Version, SnapshotVersion)
	}
	l := &Ledger{Position: h.Position, PeopleRevised: h.PeopleRevised}
	if h.LastEventID != "" {
		id, err := uuid.Parse(h.LastEventID)
		if err != nil {
			return nil, fmt.Errorf("last event: %w", err)
		}
		l.LastEvent = id
	}
	// The counts size what is made at once, but no more than the data
	// could hold: each item takes at least a byte of it.
	var err error
	// The stamps are packed as they come: whole, they would take three
	// times what the ledger keeps of them.
	readChunks(dec, "recorded", h.Recorded, &err, func(chunk []Stamp) {
		for _, st := range chunk {
			l.Recorded.Append(st)
		}
	})
	projects := readList[*Project](dec, "projects", h.Projects, size, &err)
	stakeholders := readList[*Stakeholder](dec, "stakeholders", h.Stakeholders, size, &err)
	engagements := readList[*Engagement](dec, "engagements", h.Engagements, size, &err)
	readInvitations(dec, engagements, h.Invitations, size, &err)
	feedback := readList[*Feedback](dec, "feedback", h.Feedback, size, &err)
	actions := readList[*Action](dec, "actions", h.Actions, size, &err)
	if err != nil {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more data after the ledger")
	}
	l.Projects, l.ProjectOrder = indexed(projects, func(pr *Project) string { return pr.ID })
	l.Stakeholders, l.StakeholderOrder = indexed(stakeholders, func(st *Stakeholder) string { return st.ID })
	l.Engagements, l.EngagementOrder = indexed(engagements, func(en *Engagement) string { return en.ID })
	l.Feedback, l.FeedbackOrder = indexed(feedback, func(fb *Feedback) string { return fb.ID })
	l.Actions, l.ActionOrder = indexed(actions, func(a *Action) string { return a.ID })
	l.shareIDs()
	return l, nil
}

// readList decodes n items written by writeChunks, making room for no
// more than most of them first; it does nothing once *err is set, and sets
// it, naming what it read, if it fails.
func readList[E any](dec *gob.Decoder, what string, n, most int, err *error) []E {
	var out []E
	if *err == nil && n >= 0 {
		out = make([]E, 0, min(n, most))
	}
	readChunks(dec, what, n, err, func(chunk []E) { out = append(out, chunk...) })
	if *err != nil {
		return nil
	}
	return out
}

// readInvitations reads the engagements' invitations, written apart from
// them: how many each has, then n invitations in the engagements' order,
// each chunk into one array. It does nothing once *err is set, and sets it
// if they do not add up.
func readInvitations(dec *gob.Decoder, engagements []*Engagement, n, most int, err *error) {
	invited := readList[int](dec, "invitation counts", len(engagements), most, err)
	if *err != nil {
		return
	}
	total := 0
	for _, c := range invited {
		if c < 0 || c > n-total {
			*err = fmt.Errorf("invitation counts: %d after %d of %d", c, total, n)
			return
		}
		total += c
	}
	if total != n {
		*err = fmt.Errorf("invitation counts: %d of %d", total, n)
		return
	}
	for _, en := range engagements {
		en.Invitations = nil // written apart: only these are theirs
	}
	next := 0 // the engagement the next invitation is of
	readChunks(dec, "invitations", n, err, func(chunk []Invitation) {
		for i := range chunk {
			for len(engagements[next].Invitations) == invited[next] {
				next++
			}
			en := engagements[next]
			if en.Invitations == nil {
				en.Invitations = make([]*Invitation, 0, invited[next])
			}
			en.Invitations = append(en.Invitations, &chunk[i])
		}
	})
}

// readChunks decodes n items written by writeChunks and hands them to
// each a chunk at a time; it does nothing once *err is set, and sets it,
// naming what it read, if it fails.
func readChunks[E any](dec *gob.Decoder, what string, n int, err *error, each func([]E)) {
	if *err != nil {
		return
	}
	if n < 0 {
		*err = fmt.Errorf("%s: %d of them", what, n)
		return
	}
	for read := 0; read < n; {
		var chunk []E
		if e := dec.Decode(&chunk); e != nil {
			*err = fmt.Errorf("%s: %w", what, e)
			return
		}
		if len(chunk) == 0 || read+len(chunk) > n {
			*err = fmt.Errorf("%s: a chunk of %d after %d of %d", what, len(chunk), read, n)
			return
		}
		each(chunk)
		read += len(chunk)
	}
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
