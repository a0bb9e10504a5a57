// Package participation computes the participation breadth report: who
// was involved, from which groups, and whether beyond the usual voices.
package participation

import (
	"iter"
	"maps"
	"math"
	"slices"
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
// and those parts added up (see [projections.SummedParts]). It is safe for
// concurrent use; the zero Parts is ready.
type Parts projections.SummedParts[*part, *sum]

// part is what one project adds to the report before its people are
// looked up. Nothing changes a part once made: it may be kept.
type part struct {
	project string
	voices  map[string]voice
	// attendees are the distinct named attendees of the engagements in
	// the window, by level.
	attendees                                                                 map[events.Level]map[string]bool
	invited, accepted, attendedOfInvited, unnamedAttendees, anonymousFeedback int
}

func (p *part) Project() string { return p.project }

func (p *part) People() iter.Seq[string] { return maps.Keys(p.voices) }

// voice is what one person's participations in a project or a scope come
// to.
type voice struct {
	inWindow int         // participations in the window
	first    ledger.Fact // first participation ever
}

// Compute returns the report for q as [Compute] does, taking the part of
// each project that ps keeps for its revision instead of computing it
// again, and keeping those it computes; it goes on from the sum of the
// parts it kept for the same query. Nil ps keeps none.
func (ps *Parts) Compute(l *ledger.Ledger, q projections.Query) Report {
	r := projections.AddUpParts((*projections.SummedParts[*part, *sum])(ps), l, q, partOf, newSum, (*sum).report)
	r.Header = projections.HeaderOf(Name, q, l)
	return r
}

// sum is the parts of a scope added up: by person, then what those people
// come to. Every figure it keeps is a whole number, so taking away a part
// added before leaves exactly what was there without it.
type sum struct {
	voices    map[string]*person
	roles     projections.Roles
	attendees map[events.Level]map[string]int // how many parts name each

	invited, accepted, attendedOfInvited, unnamedAttendees, anonymousFeedback int

	// What the people with participations in the window come to.
	participants, newVoices, lived, total, totalSq int
	byRole                                         projections.RoleCounts
	byCount                                        map[int]int // people by their participations in the window
	coverage                                       map[events.Level]projections.RoleCounts
}

// person is one person's voices in the parts summed.
type person struct {
	voice
	parts      int
	firstTaken bool // the part holding the first participation was taken away
}

func newSum() *sum {
	return &sum{voices: map[string]*person{}, roles: projections.Roles{},
		attendees: map[events.Level]map[string]int{}, byRole: projections.RoleCounts{}, byCount: map[int]int{},
		coverage: map[events.Level]projections.RoleCounts{}}
}

// Move implements [projections.Sum].
func (sm *sum) Move(l *ledger.Ledger, q projections.Query, parts, gone, came []*part) {
	// What the people of the parts that change come to is taken away
	// first, and counted again once their voices are summed anew.
	touched := projections.PeopleOf(gone, came)
	for id := range touched {
		if pr, ok := sm.voices[id]; ok {
			sm.count(q, pr, sm.roles[id], -1)
		}
	}
	for _, p := range gone {
		sm.take(p)
	}
	for _, p := range came {
		sm.add(l, q, p)
	}
	for id := range touched {
		pr, ok := sm.voices[id]
		if !ok {
			continue
		}
		if pr.firstTaken {
			pr.first, pr.firstTaken = firstOf(id, parts), false
		}
		sm.count(q, pr, sm.roles.Of(l, q, id), +1)
	}
}

// firstOf returns the first participation of person id in parts.
func firstOf(id string, parts []*part) ledger.Fact {
	var first ledger.Fact
	found := false
	for _, p := range parts {
		if v, ok := p.voices[id]; ok && (!found || earlier(v.first, first)) {
			first, found = v.first, true
		}
	}
	return first
}

// take takes part p away from the sum, but for what its people come to.
func (sm *sum) take(p *part) {
	for id, v := range p.voices {
		pr := sm.voices[id]
		pr.inWindow -= v.inWindow
		pr.parts--
		switch {
		case pr.parts == 0:
			delete(sm.voices, id)
		case !earlier(pr.first, v.first):
			pr.firstTaken = true
		}
	}
	for level, ids := range p.attendees {
		for id := range ids {
			if sm.attendees[level][id]--; sm.attendees[level][id] == 0 {
				delete(sm.attendees[level], id)
				sm.cover(level, sm.roles[id], -1)
			}
		}
	}
	sm.invited -= p.invited
	sm.accepted -= p.accepted
	sm.attendedOfInvited -= p.attendedOfInvited
	sm.unnamedAttendees -= p.unnamedAttendees
	sm.anonymousFeedback -= p.anonymousFeedback
}

// add adds part p to the sum, but for what its people come to.
func (sm *sum) add(l *ledger.Ledger, q projections.Query, p *part) {
	for id, v := range p.voices {
		pr, ok := sm.voices[id]
		if !ok {
			pr = &person{voice: voice{first: v.first}}
			sm.voices[id] = pr
		} else if earlier(v.first, pr.first) {
			pr.first = v.first
		}
		pr.inWindow += v.inWindow
		pr.parts++
	}
	for level, ids := range p.attendees {
		if sm.attendees[level] == nil {
			sm.attendees[level] = map[string]int{}
		}
		for id := range ids {
			if sm.attendees[level][id]++; sm.attendees[level][id] == 1 {
				sm.cover(level, sm.roles.Of(l, q, id), +1)
			}
		}
	}
	sm.invited += p.invited
	sm.accepted += p.accepted
	sm.attendedOfInvited += p.attendedOfInvited
	sm.unnamedAttendees += p.unnamedAttendees
	sm.anonymousFeedback += p.anonymousFeedback
}

// count adds (by +1) or takes away (by -1) what a person with roles
// comes to.
func (sm *sum) count(q projections.Query, pr *person, roles []events.Role, by int) {
	c := pr.inWindow
	if c == 0 {
		return
	}
	sm.participants += by
	for _, role := range roles {
		sm.byRole[role] += by
	}
	if projections.LivedExperience(roles) {
		sm.lived += by
	}
	if q.InWindow(pr.first.OccurredAt()) {
		sm.newVoices += by
	}
	if sm.byCount[c] += by; sm.byCount[c] == 0 {
		delete(sm.byCount, c)
	}
	sm.total += by * c
	sm.totalSq += by * c * c
}

func (sm *sum) cover(level events.Level, roles []events.Role, by int) {
	if sm.coverage[level] == nil {
		sm.coverage[level] = projections.RoleCounts{}
	}
	for _, role := range roles {
		sm.coverage[level][role] += by
	}
}

// report returns what the sum comes to.
func (sm *sum) report() Report {
	r := Report{
		ByRole:       projections.NewRoleCounts(),
		Coverage:     map[events.Level]projections.RoleCounts{},
		MissingRoles: []events.Role{}, MissingLivedExperienceRoles: []events.Role{},
		Invited: sm.invited, Accepted: sm.accepted, AttendedOfInvited: sm.attendedOfInvited,
		UnnamedAttendees: sm.unnamedAttendees, AnonymousFeedback: sm.anonymousFeedback,
		Participants: sm.participants, NewVoices: sm.newVoices, LivedExperience: sm.lived,
	}
	addCounts(r.ByRole, sm.byRole)
	for _, lv := range events.Levels {
		r.Coverage[lv] = projections.NewRoleCounts()
		addCounts(r.Coverage[lv], sm.coverage[lv])
	}
	r.NewVoiceShare = projections.Ratio(r.NewVoices, r.Participants)
	r.LivedExperienceShare = projections.Ratio(r.LivedExperience, r.Participants)
	if sm.totalSq > 0 {
		ev := float64(sm.total) * float64(sm.total) / float64(sm.totalSq)
		r.EffectiveVoices = &ev
		// The top tenth of the participants, by their participations.
		counts := slices.Sorted(maps.Keys(sm.byCount))
		left, topSum := int(math.Ceil(0.1*float64(r.Participants))), 0
		for i := len(counts) - 1; i >= 0 && left > 0; i-- {
			n := min(left, sm.byCount[counts[i]])
			topSum += n * counts[i]
			left -= n
		}
		r.TopDecileShare = projections.Ratio(topSum, sm.total)
	}
	for _, role := range events.Roles {
		if r.ByRole[role] == 0 {
			r.MissingRoles = append(r.MissingRoles, role)
			if role.LivedExperience() {
				r.MissingLivedExperienceRoles = append(r.MissingLivedExperienceRoles, role)
			}
		}
	}
	return r
}

// addCounts adds the counts of from that are not zero to to.
func addCounts(to, from projections.RoleCounts) {
	for role, n := range from {
		if n != 0 {
			to[role] += n
		}
	}
}

// partOf returns what project p adds to the report for q.
func partOf(l *ledger.Ledger, q projections.Query, p *ledger.Project) *part {
	projects := []*ledger.Project{p}
	out := &part{project: p.ID, voices: map[string]voice{}, attendees: map[events.Level]map[string]bool{}}
	for pt := range q.Participations(l, projects) {
		v, ok := out.voices[pt.StakeholderID]
		if !ok || earlier(pt.Fact, v.first) {
			v.first = pt.Fact
		}
		if q.InWindow(pt.Fact.OccurredAt()) {
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
	if !a.OccurredAt().Equal(b.OccurredAt()) {
		return a.OccurredAt().Before(b.OccurredAt())
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
