package projections

import (
	"strings"
	"time"

	"github.com/together-coop/together/projections/ledger"
)

// Revision is how far the ledger has changed for a scope: the last event
// that changed a project in it, and the last that changed the people its
// reports may refer to. Positions only grow, so two versions of the
// ledger with the same revision of a scope hold the same history of it.
// Keys is, for a report that opens sealed data, the revision of the keys
// it opens with (which change outside the ledger: see
// report.Config.KeysRevision); 0 for the others.
type Revision struct {
	Projects uint64
	People   uint64
	Keys     uint64
}

// After reports whether r is newer than o in any part.
func (r Revision) After(o Revision) bool {
	return r.Projects > o.Projects || r.People > o.People || r.Keys > o.Keys
}

// Key is what a report over a scope depends on besides the ledger: two
// queries with the same key, over versions of the ledger with the same
// [Revision] of their scope, give the same report but for its header.
//
// A report reads the ledger only through facts known at AsOf, and the
// calendar date of AsOf (overdue is judged on it). Once AsOf is at or
// after every fact of the scope was recorded, a later AsOf knows no more
// of it: such queries are the same one, at Head, for as long as the
// revision holds. Earlier ones are keyed by their AsOf.
type Key struct {
	Project   string
	Programme string
	From, To  bound
	Zone      string
	Head      bool
	AsOf      instant // zero at Head
	Today     string
}

// instant is a moment as a comparable value, in any year.
type instant struct {
	Unix int64
	Nano int
}

func instantOf(t time.Time) instant { return instant{t.Unix(), t.Nanosecond()} }

// bound is a window bound as a comparable value.
type bound struct {
	Set bool
	At  instant
}

func boundOf(t *time.Time) bound {
	if t == nil {
		return bound{}
	}
	return bound{Set: true, At: instantOf(*t)}
}

// KeyOf returns the key of q and the revision of its scope in l. The
// scope is every project q names, known at AsOf or not: a project
// registered later only makes the revision newer.
func (q Query) KeyOf(l *ledger.Ledger) (Key, Revision) {
	rev := Revision{People: l.PeopleRevised.Position}
	last := l.PeopleRevised.At
	revise := func(p *ledger.Project) {
		rev.Projects = max(rev.Projects, p.Revised.Position)
		last = max(last, p.Revised.At)
	}
	switch {
	case q.Project != "":
		if p := l.Projects.Get(q.Project); p != nil {
			revise(p)
		}
	default:
		for _, id := range l.ProjectOrder {
			if p := l.Projects.Get(id); q.Programme == "" || SameProgramme(p.Programme, q.Programme) {
				revise(p)
			}
		}
	}
	k := Key{Project: q.Project, Programme: strings.TrimSpace(q.Programme), From: boundOf(q.From), To: boundOf(q.To),
		Zone: q.Loc().String(), Today: q.Today().String()}
	if k.Head = !q.AsOf.Before(time.Unix(0, last)); !k.Head {
		k.AsOf = instantOf(q.AsOf)
	}
	return k, rev
}
