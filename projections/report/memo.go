package report

import (
	"sync/atomic"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/ledger"
)

// Memo keeps the reports it computes, each for as long as the revision
// of its scope holds (see [projections.Key]), and the parts of the
// reports made of one a project (see [Parts]): a report asked again over
// a scope in which nothing has changed is not computed again, and one
// made of parts computes only the parts of the projects that changed.
// What it answers is what [Compute] would, header and all, and it keeps a
// report's JSON with the report (see [Answer.JSON]). It is safe for
// concurrent use, and a report several ask for at once is computed once.
type Memo struct {
	config Config

	hits, misses atomic.Uint64

	kept projections.Kept[memoKey, *keptReport]
}

// MaxKept bounds the reports a [Memo] keeps: one for each report, scope
// and query asked of it (window, time zone, as-of).
const MaxKept = 512

type memoKey struct {
	name string
	projections.Key
}

// NewMemo returns a memo of the reports computed with c. It keeps the
// reports' parts by project too, unless c has a keeper of its own.
func NewMemo(c Config) *Memo {
	if c.Parts == nil {
		c.Parts = &Parts{}
	}
	return &Memo{config: c, kept: projections.Kept[memoKey, *keptReport]{Max: MaxKept}}
}

// Compute returns the report called name for q over l, as [Compute] does
// with the memo's configuration, and whether it was kept rather than
// computed by this call; ok is false if there is no such report.
func (m *Memo) Compute(name string, l *ledger.Ledger, q projections.Query) (a Answer, kept, ok bool) {
	r, ok := Lookup(name)
	if !ok {
		return Answer{}, false, false
	}
	key, rev, keep := m.keyOf(r, l, q)
	if !keep {
		return Answer{Doc: r.Compute(l, q, m.config)}, false, true
	}
	k, kept := m.kept.Compute(key, rev, func() *keptReport {
		return &keptReport{doc: r.Compute(l, q, m.config), header: projections.HeaderOf(name, q, l)}
	})
	if !kept {
		m.misses.Add(1)
		return Answer{Doc: k.doc, header: k.header, kept: k}, false, true
	}
	m.hits.Add(1)
	return m.answer(r, k, l, q), true, true
}

// Kept returns the report called name for q over l if the memo keeps it
// for the revision of q's scope, without computing it or waiting for a
// computation under way: a reader that finds it need not queue with
// those that compute.
func (m *Memo) Kept(name string, l *ledger.Ledger, q projections.Query) (Answer, bool) {
	r, ok := Lookup(name)
	if !ok {
		return Answer{}, false
	}
	key, rev, keep := m.keyOf(r, l, q)
	if !keep {
		return Answer{}, false
	}
	k, ok := m.kept.Get(key, rev)
	if !ok {
		return Answer{}, false
	}
	m.hits.Add(1)
	return m.answer(r, k, l, q), true
}

// answer is kept report k, of r, with the header of q over l.
func (m *Memo) answer(r Report, k *keptReport, l *ledger.Ledger, q projections.Query) Answer {
	h := projections.HeaderOf(r.Name, q, l)
	return Answer{Doc: r.rehead(k.doc, h), header: h, kept: k}
}

// keyOf returns what the memo keeps report r for q over l under, and
// whether it keeps it at all.
func (m *Memo) keyOf(r Report, l *ledger.Ledger, q projections.Query) (memoKey, projections.Revision, bool) {
	if r.rehead == nil {
		return memoKey{}, projections.Revision{}, false
	}
	var keys uint64
	if r.opensKeys() {
		// Read before opening: a key destroyed after this reading gives a
		// newer revision the next time.
		if m.config.KeysRevision == nil {
			return memoKey{}, projections.Revision{}, false
		}
		var known bool
		if keys, known = m.config.KeysRevision(); !known {
			return memoKey{}, projections.Revision{}, false
		}
	}
	key, rev := q.KeyOf(l)
	rev.Keys = keys
	return memoKey{name: r.Name, Key: key}, rev, true
}

// Counts returns how many reports the memo answered from what it kept
// (hits) and how many it computed (misses), reports it does not keep
// aside.
func (m *Memo) Counts() (hits, misses uint64) { return m.hits.Load(), m.misses.Load() }
