// Package participation computes the participation breadth report: who
// was involved, from which groups, and whether beyond the usual voices.
package participation

import (
	"math"
	"sort"
	"strings"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "participation"

// Report is the participation breadth report. Field names are binding
// (DESIGN.md, "Participation breadth").
type Report struct {
	projections.Header
	Participants         int                                     `json:"participants"`
	ByRole               projections.RoleCounts                  `json:"by_role"`
	Invited              int                                     `json:"invited"`
	Accepted             int                                     `json:"accepted"`
	AttendedOfInvited    int                                     `json:"attended_of_invited"`
	UnnamedAttendees     int                                     `json:"unnamed_attendees"`
	AnonymousFeedback    int                                     `json:"anonymous_feedback"`
	NewVoices            int                                     `json:"new_voices"`
	NewVoiceShare        *float64                                `json:"new_voice_share"`
	EffectiveVoices      *float64                                `json:"effective_voices"`
	TopDecileShare       *float64                                `json:"top_decile_share"`
	LivedExperienceShare *float64                                `json:"lived_experience_share"`
	Coverage             map[events.Level]projections.RoleCounts `json:"coverage"`
	MissingRoles         []events.Role                           `json:"missing_roles"`
}

// participation is one stakeholder taking part once.
type participation struct {
	stakeholderID string
	fact          ledger.Fact
}

// participations lists every participation in scope known at AsOf,
// ignoring the window: attendance of held engagements (one per engagement)
// and identified feedback that was not retracted.
func participations(l *ledger.Ledger, q projections.Query, projects []*ledger.Project) []participation {
	var out []participation
	for _, en := range l.EngagementsOf(projects) {
		h := en.HeldAt(q.AsOf)
		if h == nil {
			continue
		}
		for _, s := range h.AttendeeIDs {
			out = append(out, participation{stakeholderID: s, fact: h.Fact})
		}
	}
	for _, fb := range l.FeedbackOf(projects) {
		if fb.StakeholderID == "" || !q.Known(fb.Fact) || fb.RetractedAt(q.AsOf) {
			continue
		}
		out = append(out, participation{stakeholderID: fb.StakeholderID, fact: fb.Fact})
	}
	return out
}

// Compute returns the report for q.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	projects := q.Projects(l)
	r := Report{
		Header:       projections.HeaderOf(Name, q, l),
		ByRole:       projections.NewRoleCounts(),
		Coverage:     map[events.Level]projections.RoleCounts{},
		MissingRoles: []events.Role{},
	}
	for _, lv := range events.Levels {
		r.Coverage[lv] = projections.NewRoleCounts()
	}

	counts := map[string]int{}        // participations in the window
	first := map[string]ledger.Fact{} // first participation ever, in scope
	for _, p := range participations(l, q, projects) {
		if f, ok := first[p.stakeholderID]; !ok || earlier(p.fact, f) {
			first[p.stakeholderID] = p.fact
		}
		if q.InWindow(p.fact.OccurredAt) {
			counts[p.stakeholderID]++
		}
	}
	r.Participants = len(counts)
	lived := 0
	var cs []int
	sum, sumSq := 0, 0
	for id, c := range counts {
		roles := q.RolesOf(l, id)
		for _, role := range roles {
			r.ByRole[role]++
		}
		if projections.LivedExperience(roles) {
			lived++
		}
		if q.InWindow(first[id].OccurredAt) {
			r.NewVoices++
		}
		cs = append(cs, c)
		sum += c
		sumSq += c * c
	}
	r.NewVoiceShare = projections.Ratio(r.NewVoices, r.Participants)
	r.LivedExperienceShare = projections.Ratio(lived, r.Participants)
	if sumSq > 0 {
		ev := float64(sum) * float64(sum) / float64(sumSq)
		r.EffectiveVoices = &ev
		sort.Sort(sort.Reverse(sort.IntSlice(cs)))
		top := int(math.Ceil(0.1 * float64(len(cs))))
		topSum := 0
		for _, c := range cs[:top] {
			topSum += c
		}
		r.TopDecileShare = projections.Ratio(topSum, sum)
	}
	for _, role := range events.LivedExperienceRoles {
		if r.ByRole[role] == 0 {
			r.MissingRoles = append(r.MissingRoles, role)
		}
	}

	attendees := map[events.Level]map[string]bool{} // distinct attendees per level
	for _, en := range l.EngagementsOf(projects) {
		if !q.Known(en.Fact) {
			continue
		}
		h := en.HeldAt(q.AsOf)
		if h != nil && q.InWindow(h.OccurredAt) {
			r.UnnamedAttendees += h.UnnamedAttendees
			if attendees[en.Level] == nil {
				attendees[en.Level] = map[string]bool{}
			}
			for _, a := range h.AttendeeIDs {
				attendees[en.Level][a] = true
			}
		}
		for _, inv := range en.Invitations {
			if !q.Counts(inv.Fact) {
				continue
			}
			r.Invited++
			if inv.AcceptedAt(q.AsOf) {
				r.Accepted++
			}
			if h != nil && h.Attended(inv.StakeholderID) {
				r.AttendedOfInvited++
			}
		}
	}
	for level, ids := range attendees {
		for a := range ids {
			for _, role := range q.RolesOf(l, a) {
				r.Coverage[level][role]++
			}
		}
	}
	for _, fb := range l.FeedbackOf(projects) {
		if fb.StakeholderID == "" && q.Counts(fb.Fact) && !fb.RetractedAt(q.AsOf) {
			r.AnonymousFeedback++
		}
	}
	return r
}

// earlier orders participations by business time, then by position.
func earlier(a, b ledger.Fact) bool {
	if !a.OccurredAt.Equal(b.OccurredAt) {
		return a.OccurredAt.Before(b.OccurredAt)
	}
	return a.Position < b.Position
}

// CSV returns the report as one row per figure.
func (r Report) CSV() []byte {
	f := projections.NewFigures(r.Header)
	f.Int("participants", r.Participants)
	f.Roles("by_role", r.ByRole)
	f.Int("invited", r.Invited)
	f.Int("accepted", r.Accepted)
	f.Int("attended_of_invited", r.AttendedOfInvited)
	f.Int("unnamed_attendees", r.UnnamedAttendees)
	f.Int("anonymous_feedback", r.AnonymousFeedback)
	f.Int("new_voices", r.NewVoices)
	f.Ratio("new_voice_share", r.NewVoiceShare)
	f.Ratio("effective_voices", r.EffectiveVoices)
	f.Ratio("top_decile_share", r.TopDecileShare)
	f.Ratio("lived_experience_share", r.LivedExperienceShare)
	for _, lv := range events.Levels {
		f.Roles("coverage."+string(lv), r.Coverage[lv])
	}
	missing := make([]string, len(r.MissingRoles))
	for i, m := range r.MissingRoles {
		missing[i] = string(m)
	}
	f.Text("missing_roles", strings.Join(missing, ";"))
	return f.Table().Bytes()
}
