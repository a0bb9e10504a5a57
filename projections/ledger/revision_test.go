package ledger_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/seal"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
)

// TestRevisions applies one event at a time and checks what each revises:
// its project (whatever entity of the project it is about) and any other
// project that reads the entity, or the people the reports refer to, or,
// for a seal or the registration of someone nothing refers to yet,
// neither.
func TestRevisions(t *testing.T) {
	day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	b := historytest.NewBuilder(day)
	steps := []struct {
		event    func()
		projects string // the projects revised, or ""
		people   bool
	}{
		{func() { b.Project("p1", "North", "One") }, "p1", false},
		{func() { b.Project("p2", "North", "Two") }, "p2", false},
		{func() { b.Element("p1", "e1", "Element") }, "p1", false},
		{func() { b.Decide("p1", "e1", events.LevelConsult, events.LevelInform, "board", "why") }, "p1", false},
		{func() { b.Duty("p2", true, "basis") }, "p2", false},
		{func() { b.Stakeholder("s1", events.RoleCarer) }, "", false},
		{func() { b.Plan("g1", "p2", events.LevelConsult, "workshop") }, "p2", false},
		{func() { b.Invite("g1", "s1") }, "p2", false},
		{func() { b.Answer("g1", "s1", true) }, "p2", false},
		{func() { b.Hold("g1", 0, "s1") }, "p2", false},
		{func() { b.Support("g1", "s1", "travel", 300) }, "p2", false},
		{func() { b.Feedback("f1", "p2", "g1", "", "s1") }, "p2", false},
		{func() { b.Respond("f1", "adopted", "why") }, "p2", false},
		{func() { b.Agree("a0", "p2", day, "f1") }, "p2", false},
		{func() { b.Complete("a0") }, "p2", false},
		// An action of p1 on feedback of p2 (the write side refuses it):
		// each project reads what the other holds of it from then on.
		{func() { b.Agree("a1", "p1", day, "f1") }, "p1 p2", false},
		{func() { b.Reassign("a1", "someone") }, "p1 p2", false},
		{func() { b.Reschedule("a1", day.AddDate(0, 1, 0)) }, "p1 p2", false},
		{func() { b.Complete("a1") }, "p1 p2", false},
		{func() { b.Communicate("a1") }, "p1 p2", false},
		{func() { b.Drop("a1") }, "p1 p2", false},
		{func() { b.Retract("f1") }, "p2 p1", false},
		// Feedback of p1 on an engagement not yet planned, planned for p2.
		{func() { b.Feedback("f2", "p1", "g9", "", "s1") }, "p1", false},
		{func() { b.Plan("g9", "p2", events.LevelConsult, "workshop") }, "p2 p1", false},
		{func() { b.Hold("g9", 1) }, "p2 p1", false},
		{func() { b.Cancel("g1") }, "p2", false},
		{func() { b.Roles("s1", events.RoleServiceUser) }, "", true},
		{func() { b.Declare("s1", stakeholder.Demographics{}) }, "", true},
		{func() { b.Need("s1", "hearing loop") }, "", true},
		{func() { b.Consent("s1", "case_study", true) }, "", true},
		{func() { b.Consent("s1", "case_study", false) }, "", true},
		{func() { b.Erase("s1") }, "", true},
		{func() { b.Stakeholder("s2", events.RoleCarer) }, "", false},
		// Someone invited before they are registered (the write side
		// refuses it; a ledger must still answer truly): from then on a
		// registration may change what a report says of them.
		{func() { b.Invite("g1", "s3") }, "p2", false},
		{func() { b.Stakeholder("s3", events.RoleCarer) }, "", true},
		{func() { b.Stakeholder("s4", events.RoleCarer) }, "", false},
		// A seal changes no report.
		{func() {
			last := b.Events[len(b.Events)-1].Envelope
			b.Events = append(b.Events, historytest.Event{Envelope: events.Envelope{ID: uuid.Must(uuid.NewV7()),
				Type: seal.TypeLedgerSealed, Stream: seal.Stream, StreamVersion: 1, Position: last.Position + 1,
				OccurredAt: last.RecordedAt, RecordedAt: last.RecordedAt}, Payload: &seal.LedgerSealed{ThroughPosition: last.Position}})
		}, "", false},
	}
	project, people := map[string]uint64{}, uint64(0)
	for i, s := range steps {
		s.event()
		pos := uint64(len(b.Events))
		for _, id := range strings.Fields(s.projects) {
			project[id] = pos
		}
		if s.people {
			people = pos
		}
		// The same from a snapshot of the ledger before the event: what
		// a restored ledger revises is what the original would.
		data, err := historytest.LedgerOf(b.Events[:pos-1]).Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		restored, err := ledger.Restore(data)
		if err != nil {
			t.Fatal(err)
		}
		last := b.Events[pos-1]
		restored.Apply(last.Envelope, last.Payload)
		for name, l := range map[string]*ledger.Ledger{"replayed": b.Ledger(), "restored": restored} {
			for _, id := range []string{"p1", "p2"} {
				var got ledger.Stamp
				if pr := l.Projects.Get(id); pr != nil {
					got = pr.Revised
				}
				if got.Position != project[id] || got.Position != 0 && got.At != b.Events[got.Position-1].Envelope.RecordedAt.UnixNano() {
					t.Errorf("step %d (%s), %s: %s revised at %+v, want position %d", i, last.Envelope.Type, name, id, got, project[id])
				}
			}
			if got := l.PeopleRevised.Position; got != people {
				t.Errorf("step %d (%s), %s: people revised at %d, want %d", i, last.Envelope.Type, name, got, people)
			}
		}
	}
}
