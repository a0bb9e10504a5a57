package projections_test

import (
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
)

// TestKeyOf checks a query's key and its scope's revision on a small
// history: North's two projects and South's one, each changed at its own
// moment, and a change of someone's roles.
func TestKeyOf(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	b := historytest.NewBuilder(day(1, 9)).
		Project("n1", "North", "One").  // 1
		Project("n2", "North", "Two").  // 2
		Project("s1", "South", "Three") // 3
	b.At(day(2, 9)).Stakeholder("ann", events.RoleCarer)              // 4: nobody named her before
	b.At(day(3, 9)).Plan("w1", "n2", events.LevelConsult, "workshop") // 5
	b.At(day(4, 9)).Roles("ann", events.RoleServiceUser)              // 6
	b.At(day(5, 9)).Duty("s1", true, "basis")                         // 7
	l := b.Ledger()
	from := day(2, 0)
	for _, tc := range []struct {
		name  string
		q     projections.Query
		rev   projections.Revision
		head  bool
		today string
	}{
		{"everything at its last change", projections.Query{AsOf: day(5, 9)}, projections.Revision{Projects: 7, People: 6}, true, "2026-03-05"},
		{"everything, a day later", projections.Query{AsOf: day(6, 9)}, projections.Revision{Projects: 7, People: 6}, true, "2026-03-06"},
		{"everything before South's duty", projections.Query{AsOf: day(5, 8)}, projections.Revision{Projects: 7, People: 6}, false, "2026-03-05"},
		{"North, after its last change and the roles'", projections.Query{Programme: " north", AsOf: day(4, 9), From: &from},
			projections.Revision{Projects: 5, People: 6}, true, "2026-03-04"},
		{"North, before the roles changed", projections.Query{Programme: "North", AsOf: day(3, 9)}, projections.Revision{Projects: 5, People: 6}, false, "2026-03-03"},
		{"one project", projections.Query{Project: "n1", AsOf: day(4, 9)}, projections.Revision{Projects: 1, People: 6}, true, "2026-03-04"},
		{"a project the ledger does not know", projections.Query{Project: "nope", AsOf: day(9, 9)}, projections.Revision{People: 6}, true, "2026-03-09"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, rev := tc.q.KeyOf(l)
			if rev != tc.rev || k.Head != tc.head || k.Today != tc.today {
				t.Errorf("revision %+v, head %v, today %s; want %+v, %v, %s", rev, k.Head, k.Today, tc.rev, tc.head, tc.today)
			}
			if k.Head != (k.AsOf == projections.Key{}.AsOf) {
				t.Errorf("as-of kept in the key %+v at head %v", k.AsOf, k.Head)
			}
		})
	}
}
