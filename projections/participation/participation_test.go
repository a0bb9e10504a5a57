package participation_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
)

func f(v float64) *float64 { return &v }

func roles(su, carer, fs, manager, commissioner, partner, public int) projections.RoleCounts {
	return projections.RoleCounts{
		events.RoleServiceUser: su, events.RoleCarer: carer, events.RoleFrontlineStaff: fs, events.RoleManager: manager,
		events.RoleCommissioner: commissioner, events.RolePartner: partner, events.RolePublic: public,
	}
}

func coverage(byLevel map[events.Level]projections.RoleCounts) map[events.Level]projections.RoleCounts {
	out := map[events.Level]projections.RoleCounts{}
	for _, lv := range events.Levels {
		out[lv] = projections.NewRoleCounts()
		if rc, ok := byLevel[lv]; ok {
			out[lv] = rc
		}
	}
	return out
}

func date(s string) *time.Time {
	t, _ := projections.ParseMoment(s)
	return &t
}

// TestStory checks every figure against the story of historytest.Story,
// counted by hand (the counts are in the comments).
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	tests := []struct {
		name string
		q    projections.Query
		want participation.Report
	}{
		{
			// Participations: w1 (Ann, Ben, Eve), w2 (Cat, Eve), feedback
			// f1 (Ann) and f3 (Ben); f4 by Dev was retracted. So Ann 2,
			// Ben 2, Eve 2, Cat 1: Σc = 7, Σc² = 13. Cat is a service
			// user as of the 20th.
			name: "Letters as of the 21st",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(21)},
			want: participation.Report{
				Participants:         4,
				ByRole:               roles(2, 1, 2, 0, 0, 0, 1),
				Invited:              5, // w1: Ann, Ben, Cat, Dev; w2: Eve
				Accepted:             2, // Ann, Ben; Dev changed to no, Cat said no, Eve never answered
				AttendedOfInvited:    3, // Ann and Ben at w1, Eve at w2
				UnnamedAttendees:     2,
				AnonymousFeedback:    1, // f2
				NewVoices:            4,
				NewVoiceShare:        f(1),
				EffectiveVoices:      f(49.0 / 13),
				TopDecileShare:       f(2.0 / 7), // ⌈0.4⌉ = 1 person with 2 of 7
				LivedExperience:      3,
				LivedExperienceShare: f(3.0 / 4), // Ann, Ben, Cat
				Coverage: coverage(map[events.Level]projections.RoleCounts{
					events.LevelCoDesign: roles(1, 1, 1, 0, 0, 0, 1), // w1: Ann, Ben, Eve
					events.LevelConsult:  roles(1, 0, 1, 0, 0, 0, 1), // w2: Cat, Eve
				}),
				MissingRoles:                []events.Role{events.RoleManager, events.RoleCommissioner, events.RolePartner},
				MissingLivedExperienceRoles: []events.Role{},
			},
		},
		{
			// Before the 20th Cat was frontline staff only.
			name: "Letters as of the 15th",
			q:    projections.Query{Project: historytest.Letters, AsOf: historytest.Day(15)},
			want: participation.Report{
				Participants: 4, ByRole: roles(1, 1, 2, 0, 0, 0, 1),
				Invited: 5, Accepted: 2, AttendedOfInvited: 3, UnnamedAttendees: 2, AnonymousFeedback: 1,
				NewVoices: 4, NewVoiceShare: f(1), EffectiveVoices: f(49.0 / 13), TopDecileShare: f(2.0 / 7),
				LivedExperience: 2, LivedExperienceShare: f(2.0 / 4),
				Coverage: coverage(map[events.Level]projections.RoleCounts{
					events.LevelCoDesign: roles(1, 1, 1, 0, 0, 0, 1),
					events.LevelConsult:  roles(0, 0, 1, 0, 0, 0, 1),
				}),
				MissingRoles:                []events.Role{events.RoleManager, events.RoleCommissioner, events.RolePartner},
				MissingLivedExperienceRoles: []events.Role{},
			},
		},
		{
			// Window 6th–10th inclusive: f1 (Ann), f3 (Ben), w2 (Cat, Eve),
			// one each. Only Cat took part first inside the window; the
			// others first came to w1 on the 5th. The funnel is that of
			// w2, held on the 10th: Eve invited, never answered, came.
			name: "Letters in a window",
			q:    projections.Query{Project: historytest.Letters, From: date("2026-03-06"), To: date("2026-03-11"), AsOf: historytest.Day(21)},
			want: participation.Report{
				Participants: 4, ByRole: roles(2, 1, 2, 0, 0, 0, 1),
				Invited: 1, Accepted: 0, AttendedOfInvited: 1,
				UnnamedAttendees: 0, AnonymousFeedback: 1,
				NewVoices: 1, NewVoiceShare: f(1.0 / 4), EffectiveVoices: f(4), TopDecileShare: f(1.0 / 4),
				LivedExperience: 3, LivedExperienceShare: f(3.0 / 4),
				Coverage: coverage(map[events.Level]projections.RoleCounts{
					events.LevelConsult: roles(1, 0, 1, 0, 0, 0, 1),
				}),
				MissingRoles:                []events.Role{events.RoleManager, events.RoleCommissioner, events.RolePartner},
				MissingLivedExperienceRoles: []events.Role{},
			},
		},
		{
			// Window of the 5th: w1 was held then, so its four invitations
			// count although they were sent on the 2nd: Ann and Ben said
			// yes and came; Cat said no; Dev changed to no.
			name: "Letters on the day of w1",
			q:    projections.Query{Project: historytest.Letters, From: date("2026-03-05"), To: date("2026-03-06"), AsOf: historytest.Day(21)},
			want: participation.Report{
				Participants: 3, ByRole: roles(1, 1, 1, 0, 0, 0, 1),
				Invited: 4, Accepted: 2, AttendedOfInvited: 2, UnnamedAttendees: 2,
				NewVoices: 3, NewVoiceShare: f(1), EffectiveVoices: f(3), TopDecileShare: f(1.0 / 3),
				LivedExperience: 2, LivedExperienceShare: f(2.0 / 3),
				Coverage: coverage(map[events.Level]projections.RoleCounts{
					events.LevelCoDesign: roles(1, 1, 1, 0, 0, 0, 1),
				}),
				MissingRoles:                []events.Role{events.RoleManager, events.RoleCommissioner, events.RolePartner},
				MissingLivedExperienceRoles: []events.Role{},
			},
		},
		{
			// Parking: w4 with Ann only. Ann's participation in Letters
			// does not make her an old voice here: first participation is
			// counted within the scope.
			name: "Parking, a single service user",
			q:    projections.Query{Project: historytest.Parking, AsOf: historytest.Day(21)},
			want: participation.Report{
				Participants: 1, ByRole: roles(1, 0, 0, 0, 0, 0, 0),
				NewVoices: 1, NewVoiceShare: f(1), EffectiveVoices: f(1), TopDecileShare: f(1),
				LivedExperience: 1, LivedExperienceShare: f(1),
				Coverage: coverage(map[events.Level]projections.RoleCounts{events.LevelEngage: roles(1, 0, 0, 0, 0, 0, 0)}),
				MissingRoles: []events.Role{events.RoleCarer, events.RoleFrontlineStaff, events.RoleManager,
					events.RoleCommissioner, events.RolePartner, events.RolePublic},
				MissingLivedExperienceRoles: []events.Role{events.RoleCarer},
			},
		},
		{
			// Programme North is Letters and Waiting: Dev comes in through
			// w3 and f5 (2 participations). Ann 2, Ben 2, Eve 2, Cat 1,
			// Dev 2: Σc = 9, Σc² = 17; the top ⌈0.5⌉ = 1 has 2.
			name: "programme North",
			q:    projections.Query{Programme: "North", AsOf: historytest.Day(21)},
			want: participation.Report{
				Participants: 5, ByRole: roles(2, 1, 2, 1, 0, 0, 1),
				Invited: 5, Accepted: 2, AttendedOfInvited: 3, UnnamedAttendees: 2, AnonymousFeedback: 1,
				NewVoices: 5, NewVoiceShare: f(1), EffectiveVoices: f(81.0 / 17), TopDecileShare: f(2.0 / 9),
				LivedExperience: 3, LivedExperienceShare: f(3.0 / 5),
				Coverage: coverage(map[events.Level]projections.RoleCounts{
					events.LevelCoDesign: roles(1, 1, 1, 0, 0, 0, 1),
					events.LevelConsult:  roles(1, 0, 1, 0, 0, 0, 1),
					events.LevelEngage:   roles(0, 0, 0, 1, 0, 0, 0),
				}),
				MissingRoles:                []events.Role{events.RoleCommissioner, events.RolePartner},
				MissingLivedExperienceRoles: []events.Role{},
			},
		},
		{
			// Everything, 11th–12th: w3 and f5 (Dev, Waiting), w4 (Ann,
			// Parking). Dev 2, Ann 1: Σc = 3, Σc² = 5; the top ⌈0.2⌉ = 1
			// has 2. Dev's first participation is w3 (f4 was retracted),
			// a new voice; Ann first came to w1 in Letters on the 5th, so
			// she is no new voice although Parking first saw her now.
			name: "everything in a window, one person across projects",
			q:    projections.Query{From: date("2026-03-11"), To: date("2026-03-13"), AsOf: historytest.Day(21)},
			want: participation.Report{
				Participants: 2, ByRole: roles(1, 0, 0, 1, 0, 0, 0),
				NewVoices: 1, NewVoiceShare: f(1.0 / 2), EffectiveVoices: f(9.0 / 5), TopDecileShare: f(2.0 / 3),
				LivedExperience: 1, LivedExperienceShare: f(1.0 / 2),
				Coverage: coverage(map[events.Level]projections.RoleCounts{
					events.LevelEngage: roles(1, 0, 0, 1, 0, 0, 0), // w3: Dev, w4: Ann
				}),
				MissingRoles:                []events.Role{events.RoleCarer, events.RoleFrontlineStaff, events.RoleCommissioner, events.RolePartner, events.RolePublic},
				MissingLivedExperienceRoles: []events.Role{events.RoleCarer},
			},
		},
		{
			// As of the 4th nothing was held and no feedback given.
			name: "before anything happened",
			q:    projections.Query{AsOf: historytest.Day(4)},
			want: participation.Report{
				ByRole: roles(0, 0, 0, 0, 0, 0, 0), Invited: 4, Accepted: 2, // Ann, Ben; Dev's change is known on the 4th at 10:00
				Coverage:                    coverage(nil),
				MissingRoles:                events.Roles,
				MissingLivedExperienceRoles: []events.Role{events.RoleServiceUser, events.RoleCarer},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := participation.Compute(l, tt.q)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(participation.Report{}, "Header")); diff != "" {
				t.Errorf("Compute() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A person with two roles counts once among participants and once under
// each role; anonymous feedback and unnamed attendees count only where
// defined.
func TestCountingRules(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project("p", "P", "p").
		Stakeholder("both", events.RoleServiceUser, events.RoleFrontlineStaff).
		Plan("w", "p", events.LevelCoProduce, "workshop").
		Hold("w", 30, "both").
		Feedback("anon1", "p", "w", "", "").
		Feedback("anon2", "p", "", "", "").
		Feedback("mine", "p", "w", "", "both")
	got := participation.Compute(b.Ledger(), projections.Query{AsOf: historytest.Day(2)})
	if got.Participants != 1 {
		t.Errorf("participants = %d, want 1 (two roles, one person)", got.Participants)
	}
	if got.ByRole[events.RoleServiceUser] != 1 || got.ByRole[events.RoleFrontlineStaff] != 1 {
		t.Errorf("by_role = %v, want 1 under each of her roles", got.ByRole)
	}
	if got.UnnamedAttendees != 30 || got.AnonymousFeedback != 2 {
		t.Errorf("unnamed_attendees, anonymous_feedback = %d, %d, want 30, 2", got.UnnamedAttendees, got.AnonymousFeedback)
	}
	// 2 participations (attendance + her feedback) by one person.
	if got.EffectiveVoices == nil || *got.EffectiveVoices != 1 || *got.TopDecileShare != 1 {
		t.Errorf("effective_voices, top_decile_share = %v, %v, want 1, 1", got.EffectiveVoices, got.TopDecileShare)
	}
	if got.Coverage[events.LevelCoProduce][events.RoleServiceUser] != 1 || got.Coverage[events.LevelCoProduce][events.RolePublic] != 0 {
		t.Errorf("coverage = %v, unnamed attendees must not appear in it", got.Coverage[events.LevelCoProduce])
	}
}

// An event recorded after as_of is invisible, even when back-dated to
// before it; and a back-dated event falls in the window of when it
// occurred.
func TestAsOfAndBackDating(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project("p", "P", "p").Stakeholder("s", events.RoleCarer).Plan("w", "p", events.LevelConsult, "survey")
	// Recorded on the 20th, but held on the 3rd.
	b.At(historytest.Day(20)).BackDated(historytest.Day(3)).Hold("w", 0, "s")
	l := b.Ledger()
	for _, tt := range []struct {
		name string
		q    projections.Query
		want int
	}{
		{"as of the 19th the back-dated event is unknown", projections.Query{AsOf: historytest.Day(19)}, 0},
		{"as of the 20th it is known", projections.Query{AsOf: historytest.Day(20)}, 1},
		{"it counts in the window of the 3rd", projections.Query{AsOf: historytest.Day(21), From: date("2026-03-03"), To: date("2026-03-04")}, 1},
		{"not in the window of the 20th", projections.Query{AsOf: historytest.Day(21), From: date("2026-03-20"), To: date("2026-03-21")}, 0},
		{"to is exclusive", projections.Query{AsOf: historytest.Day(21), From: date("2026-03-01"), To: date("2026-03-03T10:00:00Z")}, 0},
		{"from is inclusive", projections.Query{AsOf: historytest.Day(21), From: date("2026-03-03T10:00:00Z")}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := participation.Compute(l, tt.q).Participants; got != tt.want {
				t.Errorf("participants = %d, want %d", got, tt.want)
			}
		})
	}
}

// The user's November: people invited in October to a workshop held in
// November. The funnel of November speaks of that workshop, so invited,
// accepted and attended_of_invited agree with the participants.
func TestFunnelFollowsTheEngagementsOfTheWindow(t *testing.T) {
	oct := time.Date(2026, 10, 20, 10, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)
	b := historytest.NewBuilder(oct).
		Project("p", "P", "p").Stakeholder("a", events.RoleServiceUser).Stakeholder("b", events.RoleCarer).Stakeholder("c", events.RolePublic).
		PlanFor(nov, "w", "p", events.LevelCoDesign, "workshop").Invite("w", "a").Invite("w", "b").Invite("w", "c").
		Answer("w", "a", true).Answer("w", "b", true).
		PlanFor(nov, "cancelled", "p", events.LevelConsult, "meeting").Invite("cancelled", "c").Cancel("cancelled").
		PlanFor(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), "later", "p", events.LevelConsult, "meeting").Invite("later", "c")
	b.At(nov).Hold("w", 0, "a", "b")
	l := b.Ledger()
	for _, tt := range []struct {
		name                                  string
		from, to                              string
		participants, invited, accepted, came int
	}{
		{"November: w, held then (the cancelled meeting is no opportunity)", "2026-11-01", "2026-12-01", 2, 3, 2, 2},
		{"October, when the invitations were sent: nothing took place", "2026-10-01", "2026-11-01", 0, 0, 0, 0},
		{"December: the meeting scheduled then, not yet held", "2026-12-01", "2027-01-01", 0, 1, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := participation.Compute(l, projections.Query{From: date(tt.from), To: date(tt.to), AsOf: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
			if got.Participants != tt.participants || got.Invited != tt.invited || got.Accepted != tt.accepted || got.AttendedOfInvited != tt.came {
				t.Errorf("participants, invited, accepted, attended_of_invited = %d, %d, %d, %d; want %d, %d, %d, %d",
					got.Participants, got.Invited, got.Accepted, got.AttendedOfInvited, tt.participants, tt.invited, tt.accepted, tt.came)
			}
		})
	}
}

// Windows are calendar dates in the programme's time zone: a workshop
// held at 00:30 on 1 July in London (23:30 UTC on 30 June) is July's in
// London and June's in UTC.
func TestWindowsInTheProgrammesTimeZone(t *testing.T) {
	held := time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC)
	b := historytest.NewBuilder(held.Add(-time.Hour)).Project("p", "P", "p").Stakeholder("a", events.RoleCarer).
		Plan("w", "p", events.LevelEngage, "meeting")
	b.At(held).Hold("w", 0, "a")
	l := b.Ledger()
	asOf := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	july := func(loc *time.Location) projections.Query {
		from, _ := projections.ParseMomentIn("2026-07-01", loc)
		to, _ := projections.ParseMomentIn("2026-08-01", loc)
		return projections.Query{From: &from, To: &to, AsOf: asOf, Location: loc}
	}
	if got := participation.Compute(l, july(nil)).Participants; got != 1 {
		t.Errorf("July in London: participants = %d, want 1", got)
	}
	if got := participation.Compute(l, july(time.UTC)).Participants; got != 0 {
		t.Errorf("July in UTC: participants = %d, want 0", got)
	}
}

// Parts keeps a scope's parts added up and goes on from that sum: the
// part of a project that changed is taken away and its new one added. A
// retraction here moves a's first participation into the window and takes
// b out of the scope; going back restores both.
func TestPartsGoOnFromTheirSum(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project("p", "P", "p").Project("q", "P", "q").
		Stakeholder("a", events.RoleServiceUser).Stakeholder("b", events.RoleCarer)
	b.At(historytest.Day(2)).Feedback("a-early", "p", "", "", "a").Feedback("b-early", "p", "", "", "b")
	b.At(historytest.Day(5)).Feedback("a-later", "q", "", "", "a")
	before := b.Ledger()
	b.At(historytest.Day(6)).Retract("a-early").Retract("b-early")
	after := b.Ledger()
	q := projections.Query{From: date("2026-03-04"), AsOf: historytest.Day(30)}

	var ps participation.Parts
	for i, step := range []struct {
		name string
		l    *ledger.Ledger
		// Only a-later (a's) falls in the window.
		participants, newVoices int
	}{
		{"before the retraction: a first took part on the 2nd", before, 1, 0},
		{"after it: a first took part on the 5th, in the window", after, 1, 1},
		{"before it again", before, 1, 0},
	} {
		got := ps.Compute(step.l, q)
		if got.Participants != step.participants || got.NewVoices != step.newVoices {
			t.Errorf("%d. %s: participants, new_voices = %d, %d; want %d, %d", i+1, step.name,
				got.Participants, got.NewVoices, step.participants, step.newVoices)
		}
		if diff := cmp.Diff(participation.Compute(step.l, q), got, cmpopts.IgnoreFields(participation.Report{}, "Header")); diff != "" {
			t.Errorf("%d. %s: Parts.Compute differs from Compute (-want +got):\n%s", i+1, step.name, diff)
		}
	}
}
