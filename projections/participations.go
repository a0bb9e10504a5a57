package projections

import (
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

// Participations lists every participation in the projects known at
// AsOf, ignoring the window, engagements first.
func (q Query) Participations(l *ledger.Ledger, projects []*ledger.Project) []Participation {
	var out []Participation
	for _, en := range l.EngagementsOf(projects) {
		h := en.HeldAt(q.AsOf)
		if h == nil {
			continue
		}
		for _, s := range h.AttendeeIDs {
			out = append(out, Participation{StakeholderID: s, Fact: h.Fact})
		}
	}
	for _, fb := range l.FeedbackOf(projects) {
		if fb.StakeholderID == "" || !q.Known(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		out = append(out, Participation{StakeholderID: fb.StakeholderID, Fact: fb.Fact})
	}
	return out
}

// Participants returns the number of participations of each stakeholder
// in the window: the people the reports call participants.
func (q Query) Participants(l *ledger.Ledger, projects []*ledger.Project) map[string]int {
	counts := map[string]int{}
	for _, p := range q.Participations(l, projects) {
		if q.InWindow(p.Fact.OccurredAt) {
			counts[p.StakeholderID]++
		}
	}
	return counts
}
