package ledger_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
)

// TestFrozenVersionsNeverChange applies a history in batches, freezing a
// version after each, reads every version in its own goroutine while
// the next ones are applied (so -race sees any write to what a frozen
// version shares), and checks each read as a ledger that applied only the
// events before it.
func TestFrozenVersionsNeverChange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		history  *historytest.Builder
		maxBatch int
	}{
		{"story", historytest.Story(), 6},
		// Five thousand people and more: paths three levels deep.
		{"generated", historytest.Generate(11, 6000), 1200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := tc.history.Events
			rng := rand.New(rand.NewPCG(3, 4))
			type version struct {
				applied int
				read    []byte
			}
			var (
				versions []*version
				readers  sync.WaitGroup
			)
			l := ledger.New()
			for applied := 0; applied < len(evs); {
				n := min(1+rng.IntN(tc.maxBatch), len(evs)-applied)
				for _, e := range evs[applied : applied+n] {
					l.Apply(e.Envelope, e.Payload)
				}
				applied += n
				v, frozen := &version{applied: applied}, l
				versions = append(versions, v)
				l = l.Next()
				readers.Go(func() { v.read = dump(t, frozen) })
			}
			readers.Wait()
			for _, v := range versions {
				if got := dump(t, historytest.LedgerOf(evs[:v.applied])); string(got) != string(v.read) {
					t.Fatalf("the version after %d events read differently from a ledger of those events alone:\n got %.2000s\nwant %.2000s",
						v.applied, v.read, got)
				}
			}
		})
	}
}

// dump writes every entity of the ledger, in the ledger's orders, and
// what it says of its position.
func dump(t *testing.T, l *ledger.Ledger) []byte {
	type entities struct {
		Position     uint64
		LastEvent    uuid.UUID
		Recorded     []ledger.Stamp
		Projects     []*ledger.Project
		Stakeholders []*ledger.Stakeholder
		Engagements  []*ledger.Engagement
		Feedback     []*ledger.Feedback
		Actions      []*ledger.Action
		Counts       [5]int
	}
	d := entities{Position: l.Position, LastEvent: l.LastEvent, Recorded: slices.Collect(l.Recorded.All()),
		Counts: [5]int{l.Projects.Len(), l.Stakeholders.Len(), l.Engagements.Len(), l.Feedback.Len(), l.Actions.Len()}}
	for _, id := range l.ProjectOrder {
		d.Projects = append(d.Projects, l.Projects.Get(id))
	}
	for _, id := range l.StakeholderOrder {
		d.Stakeholders = append(d.Stakeholders, l.Stakeholders.Get(id))
	}
	for _, id := range l.EngagementOrder {
		d.Engagements = append(d.Engagements, l.Engagements.Get(id))
	}
	for _, id := range l.FeedbackOrder {
		d.Feedback = append(d.Feedback, l.Feedback.Get(id))
	}
	for _, id := range l.ActionOrder {
		d.Actions = append(d.Actions, l.Actions.Get(id))
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Error(err)
	}
	return b
}

// TestNextFreezes checks a frozen ledger refuses to change or to have a
// second next.
func TestNextFreezes(t *testing.T) {
	h := historytest.Story()
	l := ledger.New()
	l.Apply(h.Events[0].Envelope, h.Events[0].Payload)
	l.Next()
	for name, f := range map[string]func(){
		"Apply": func() { l.Apply(h.Events[1].Envelope, h.Events[1].Payload) },
		"Next":  func() { l.Next() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s of a frozen ledger did not panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSnapshotInManyChunks restores a ledger with more stamps and more of
// several kinds of entity than one chunk of a snapshot holds (invitations
// too, which it writes apart from their engagements, each to be handed
// back to its own), and refuses the same snapshot cut short.
func TestSnapshotInManyChunks(t *testing.T) {
	l := historytest.Generate(5, 60_000).Ledger()
	invitations := 0
	for _, id := range l.EngagementOrder {
		invitations += len(l.Engagements.Get(id).Invitations)
	}
	if l.Stakeholders.Len() <= 1024 || l.Feedback.Len() <= 1024 || invitations <= 1024 {
		t.Fatalf("%d stakeholders, %d pieces of feedback and %d invitations: want more than a chunk of each",
			l.Stakeholders.Len(), l.Feedback.Len(), invitations)
	}
	data, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := ledger.Restore(data)
	if err != nil {
		t.Fatal(err)
	}
	// gob does not tell an empty list from none, which the reports do not
	// either.
	noneForEmpty := func(b []byte) string { return strings.ReplaceAll(string(b), "[]", "null") }
	if got, want := noneForEmpty(dump(t, restored)), noneForEmpty(dump(t, l)); got != want {
		t.Fatal("the restored ledger differs from the one snapshotted")
	}
	for _, cut := range []int{len(data) / 3, len(data) - 1} {
		if _, err := ledger.Restore(data[:cut]); err == nil {
			t.Errorf("restored a snapshot cut to %d of its %d bytes", cut, len(data))
		}
	}
}

// FuzzRestore feeds Restore what a damaged or foreign snapshot might hold:
// it refuses or restores, never panics, and what it restores snapshots
// and restores again to the same ledger.
func FuzzRestore(f *testing.F) {
	story := historytest.Story()
	for _, n := range []int{0, 1, len(story.Events) / 2, len(story.Events)} {
		data, err := historytest.LedgerOf(story.Events[:n]).Snapshot()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte("not a snapshot"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ledger.Restore(data)
		if err != nil {
			return
		}
		again, err := l.Snapshot()
		if err != nil {
			t.Fatalf("a restored ledger does not snapshot: %v", err)
		}
		back, err := ledger.Restore(again)
		if err != nil {
			t.Fatalf("a restored ledger's snapshot does not restore: %v", err)
		}
		if got, want := dump(t, back), dump(t, l); string(got) != string(want) {
			t.Fatalf("restored twice differs from restored once:\n%s\n%s", got, want)
		}
	})
}

// TestABatchCopiesAListOnce answers every invitation to one engagement in
// one version and checks the list of invitations was copied for the
// first answer only: copying it for each would make a batch of answers
// cost the square of the list.
func TestABatchCopiesAListOnce(t *testing.T) {
	b := historytest.NewBuilder(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	b.Project("p", "Programme", "P").Element("p", "e", "E").Plan("en", "p", events.Level("consult"), "survey", "e")
	for i := range 50 {
		b.Stakeholder(fmt.Sprint("s", i)).Invite("en", fmt.Sprint("s", i))
	}
	invited := len(b.Events)
	for i := range 50 {
		b.Answer("en", fmt.Sprint("s", i), true)
	}
	l := ledger.New()
	for _, e := range b.Events[:invited] {
		l.Apply(e.Envelope, e.Payload)
	}
	frozen := l
	l = l.Next()
	var first **ledger.Invitation // the list's array after the first answer
	for i, e := range b.Events[invited:] {
		l.Apply(e.Envelope, e.Payload)
		array := &l.Engagements.Get("en").Invitations[0]
		if i == 0 {
			first = array
		} else if array != first {
			t.Fatalf("answer %d copied the list of invitations again", i+1)
		}
	}
	for _, inv := range frozen.Engagements.Get("en").Invitations {
		if len(inv.Answers) != 0 {
			t.Fatal("the frozen version sees an answer")
		}
	}
}
