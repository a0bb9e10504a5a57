package projections

import (
	"iter"

	"github.com/together-coop/together/projections/ledger"
)

// Participation is one stakeholder taking part once: as a named attendee
// of a held engagement (once per engagement), or by giving identified
// feedback that was not retracted. Anonymous feedback and unnamed
// attendees are never participations: nobody can be counted twice or
// told apart through them.
type Participation struct {
	StakeholderID string
	Fact          ledger.Fact
}

// Participations yields every participation in the projects known at
// AsOf, ignoring the window, engagements first. It yields rather than
// lists: a report over everything counts hundreds of thousands.
func (q Query) Participations(l *ledger.Ledger, projects []*ledger.Project) iter.Seq[Participation] {
	return func(yield func(Participation) bool) {
		for _, p := range projects {
			for _, id := range p.EngagementIDs {
				h := l.Engagements.Get(id).HeldAt(q.AsOf)
				if h == nil {
					continue
				}
				for _, s := range h.AttendeeIDs {
					if !yield(Participation{StakeholderID: s, Fact: h.Fact}) {
						return
					}
				}
			}
		}
		for _, p := range projects {
			for _, id := range p.FeedbackIDs {
				fb := l.Feedback.Get(id)
				if fb.StakeholderID == "" || !q.Known(fb.Fact) || fb.RetractedAt(q.AsOf) {
					continue
				}
				if !yield(Participation{StakeholderID: fb.StakeholderID, Fact: fb.Fact}) {
					return
				}
			}
		}
	}
}

// Participants returns the number of participations of each stakeholder
// in the window: the people the reports call participants.
func (q Query) Participants(l *ledger.Ledger, projects []*ledger.Project) map[string]int {
	counts := map[string]int{}
	for p := range q.Participations(l, projects) {
		if q.InWindow(p.Fact.OccurredAt()) {
			counts[p.StakeholderID]++
		}
	}
	return counts
}

// EngagementsInWindow yields the engagements of projects known at AsOf
// that were held in the window, or, not yet held, are scheduled in it,
// each with its holding (nil if not held yet). An engagement cancelled
// before it was held is no opportunity to attend: it is left out. These
// are the engagements the duty register counts, and whose invitations the
// participation funnel and reach count, whenever each was sent.
func (q Query) EngagementsInWindow(l *ledger.Ledger, projects []*ledger.Project) iter.Seq2[*ledger.Engagement, *ledger.Held] {
	return func(yield func(*ledger.Engagement, *ledger.Held) bool) {
		for _, en := range l.EngagementsOf(projects) {
			if !q.Known(en.Fact) || !q.InWindow(en.Moment(q.AsOf)) {
				continue
			}
			h := en.HeldAt(q.AsOf)
			if h == nil && en.CancelledAt(q.AsOf) {
				continue
			}
			if !yield(en, h) {
				return
			}
		}
	}
}
