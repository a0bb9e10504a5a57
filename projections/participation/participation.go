// Package participation computes the participation breadth report: who
// was involved, from which groups, and whether beyond the usual voices.
package participation

import (
	"math"
	"sort"
	"strings"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
)

// Name is the report's name in URLs and headers.
const Name = "participation"

// Report is the participation breadth report. Field names are binding
// (docs/reports.md, "Participation breadth").
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
	LivedExperience      int                                     `json:"lived_experience"`
	LivedExperienceShare *float64                                `json:"lived_experience_share"`
	Coverage             map[events.Level]projections.RoleCounts `json:"coverage"`
	// MissingRoles lists every role with no participant, in the order of
	// [events.Roles]; MissingLivedExperienceRoles those of them that bring
	// lived experience.
	MissingRoles                []events.Role `json:"missing_roles"`
	MissingLivedExperienceRoles []events.Role `json:"missing_lived_experience_roles"`
}

// Compute returns the report for q.
func Compute(l *ledger.Ledger, q projections.Query) Report {
	return (*Parts)(nil).Compute(l, q)
}

// Parts keeps what each project adds to the report between computations,
// each for as long as the revision of its project holds (see
// [projections.Parts]). It is safe for concurrent use; the zero Parts is
// ready.
type Parts projections.Parts[struct{}, *part]

// part is what one project adds to the report before its people are
// looked up. Nothing changes a part once made: it may be kept.
type part struct {
	voices map[string]voice
	// attendees are the distinct named attendees of the engagements in
	// the window, by level.
	attendees                                                                 map[events.Level]map[string]bool
	invited, accepted, attendedOfInvited, unnamedAttendees, anonymousFeedback int
}

// voice is what one person's participations in a project or a scope come
// to.
type voice struct {
	inWindow int         // participations in the window
	first    ledger.Fact // first participation ever
}

// Compute returns the report for q as [Compute] does, taking the part of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := Report{
		Header:       projections.HeaderOf(Name, q, l),
		ByRole:       projections.NewRoleCounts(),
		Coverage:     map[events.Level]projections.RoleCounts{},
		MissingRoles: []events.Role{}, MissingLivedExperienceRoles: []events.Role{},
	}
	for _, lv := range events.Levels {
		r.Coverage[lv] = projections.NewRoleCounts()
	}

	parts := projections.EachProject(l, q, (*projections.Parts[struct{}, *part])(ps), struct{}{}, func(pq projections.Query, p *ledger.Project) *part {
		return partOf(l, pq, p)
	})
	most := 0
	for _, p := range parts {
		most = max(most, len(p.voices))
	}
	voices := make(map[string]voice, most)
	attendees := map[events.Level]map[string]bool{}
	for _, p := range parts {
		for id, v := range p.voices {
			sum, ok := voices[id]
			if !ok || earlier(v.first, sum.first) {
				sum.first = v.first
			}
			sum.inWindow += v.inWindow
			voices[id] = sum
		}
		for level, ids := range p.attendees {
			if attendees[level] == nil {
				attendees[level] = map[string]bool{}
			}
			for a := range ids {
				attendees[level][a] = true
			}
		}
		r.Invited += p.invited
		r.Accepted += p.accepted
		r.AttendedOfInvited += p.attendedOfInvited
		r.UnnamedAttendees += p.unnamedAttendees
		r.AnonymousFeedback += p.anonymousFeedback
	}

	lived := 0
	var cs []int
	sum, sumSq := 0, 0
	for id, v := range voices {
		c := v.inWindow
		if c == 0 {
			continue
		}
		r.Participants++
		roles := q.RolesOf(l, id)
		for _, role := range roles {
			r.ByRole[role]++
		}
		if projections.LivedExperience(roles) {
			lived++
		}
		if q.InWindow(v.first.OccurredAt) {
			r.NewVoices++
		}
		cs = append(cs, c)
		sum += c
		sumSq += c * c
	}
	r.NewVoiceShare = projections.Ratio(r.NewVoices, r.Participants)
	r.LivedExperience = lived
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
	for _, role := range events.Roles {
		if r.ByRole[role] == 0 {
			r.MissingRoles = append(r.MissingRoles, role)
			if role.LivedExperience() {
				r.MissingLivedExperienceRoles = append(r.MissingLivedExperienceRoles, role)
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
	return r
}

// partOf returns what project p adds to the report for q.
func partOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) *part {
	projects := []*ledger.Project{p}
	out := &part{voices: map[string]voice{}, attendees: map[events.Level]map[string]bool{}}
	for pt := range q.Participations(l, projects) {
		v, ok := out.voices[pt.StakeholderID]
		if !ok || earlier(pt.Fact, v.first) {
			v.first = pt.Fact
		}
		if q.InWindow(pt.Fact.OccurredAt) {
			v.inWindow++
		}
		out.voices[pt.StakeholderID] = v
	}

	// The funnel counts the invitations to the engagements that took
	// place in the window, so that invited, accepted and
	// attended_of_invited speak of the same engagements.
	for en, h := range q.EngagementsInWindow(l, projects) {
		if h != nil {
			out.unnamedAttendees += h.UnnamedAttendees
			if out.attendees[en.Level] == nil {
				out.attendees[en.Level] = map[string]bool{}
			}
			for _, a := range h.AttendeeIDs {
				out.attendees[en.Level][a] = true
			}
		}
		for _, inv := range en.Invitations {
			if !q.Known(inv.Fact) {
				continue
			}
			out.invited++
			if inv.AcceptedAt(q.AsOf) {
				out.accepted++
			}
			if h != nil && h.Attended(inv.StakeholderID) {
				out.attendedOfInvited++
			}
		}
	}
	for _, fb := range l.FeedbackOf(projects) {
		if fb.StakeholderID == "" && q.Counts(fb.Fact) && !fb.RetractedAt(q.AsOf) {
			out.anonymousFeedback++
		}
	}
	return out
}

// earlier orders participations by business time, then by position.
func earlier(a, b ledger.Fact) bool {
	if !a.OccurredAt.Equal(b.OccurredAt) {
		return a.OccurredAt.Before(b.OccurredAt)
	}
	return a.Position < b.Position
}

// CSV returns the report as one row per figure.
func (r Report) CSV() []byte { return r.Table().Bytes() }

// Table returns the report as one row per figure.
func (r Report) Table() projections.Table {
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
	f.Int("lived_experience", r.LivedExperience)
	f.Ratio("lived_experience_share", r.LivedExperienceShare)
	for _, lv := range events.Levels {
		f.Roles("coverage."+string(lv), r.Coverage[lv])
	}
	f.Text("missing_roles", roleList(r.MissingRoles))
	f.Text("missing_lived_experience_roles", roleList(r.MissingLivedExperienceRoles))
	return f.Table()
}

func roleList(roles []events.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ";")
}

// Disclosure declares the report's counts for small-number suppression.
// Roles overlap (a person may hold several), so no counts add up to
// another; each share is recomputed from published counts.
func (r Report) Disclosure() disclosure.Plan {
	var p disclosure.Plan
	p.Count("participants", r.Participants)
	for _, role := range events.Roles {
		p.Count("by_role."+string(role), r.ByRole[role])
	}
	for _, name := range []string{"invited", "accepted", "attended_of_invited", "unnamed_attendees", "anonymous_feedback", "new_voices"} {
		p.Count(name, map[string]int{"invited": r.Invited, "accepted": r.Accepted, "attended_of_invited": r.AttendedOfInvited,
			"unnamed_attendees": r.UnnamedAttendees, "anonymous_feedback": r.AnonymousFeedback, "new_voices": r.NewVoices}[name])
	}
	p.Count("lived_experience", r.LivedExperience)
	p.Ratio("new_voice_share", "new_voices", "participants")
	p.Ratio("lived_experience_share", "lived_experience", "participants")
	p.Derive("effective_voices", "participants")
	p.Derive("top_decile_share", "participants")
	for _, lv := range events.Levels {
		for _, role := range events.Roles {
			p.Count("coverage."+string(lv)+"."+string(role), r.Coverage[lv][role])
		}
	}
	return p
}
