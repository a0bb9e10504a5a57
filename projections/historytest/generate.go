package historytest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
)

// Generate returns a history of at least n events that looks like a real
// programme: five programmes of forty projects with their elements and
// decisions; five thousand stakeholders, three in five of whom declare
// their demographics ("sealed" as [Builder.Declare] does) and a few of
// whom take part over and over while most come once or twice (a Zipf
// distribution, as the usual voices are); and engagements through their
// whole lifecycle: invitations, answers, attendance with walk-ins and
// unnamed attendees, support, feedback (some anonymous, some retracted),
// and actions agreed from it that are rescheduled, completed, dropped and
// fed back. The same seed gives the same history, ids and all (event ids
// aside).
func Generate(seed uint64, n int) *Builder {
	g := &generator{
		seed:  seed,
		rng:   rand.New(rand.NewPCG(seed, seed^0x5eed)),
		clock: time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC),
	}
	g.b = NewBuilder(g.clock)
	g.popularity = rand.NewZipf(g.rng, 1.2, 4, uint64(stakeholders-1))
	g.setUp()
	for len(g.b.Events) < n {
		g.engagement()
	}
	return g.b
}

const (
	programmes         = 5
	projectsPerProg    = 8
	stakeholders       = 5000
	elementsPerProj    = 4
	maxInvitations     = 25
	feedbackPerHeld    = 6
	secondsPerEventGap = 9 * 60
)

type generator struct {
	seed        uint64
	b           *Builder
	rng         *rand.Rand
	clock       time.Time
	popularity  *rand.Zipf
	projects    []string
	elements    map[string][]string
	engagements int
	feedback    int
	actions     int
	open        []openAction
}

type openAction struct {
	id  string
	due time.Time
	fb  bool
}

func id(kind, n int) string { return fmt.Sprintf("%08x-0000-7000-8000-%012x", kind, n) }

const (
	kindProject = iota + 1
	kindElement
	kindStakeholder
	kindEngagement
	kindFeedback
	kindAction
)

func (g *generator) tick() {
	g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(secondsPerEventGap)) * time.Second)
	g.b.At(g.clock)
}

var roleMix = [][]events.Role{
	{events.RoleServiceUser}, {events.RoleServiceUser}, {events.RoleServiceUser}, {events.RoleCarer}, {events.RoleCarer},
	{events.RoleFrontlineStaff}, {events.RoleFrontlineStaff}, {events.RoleFrontlineStaff, events.RoleCarer},
	{events.RoleManager}, {events.RoleCommissioner}, {events.RolePartner}, {events.RolePublic}, {events.RolePublic},
	{events.RoleServiceUser, events.RoleCarer}, {events.RoleFrontlineStaff, events.RoleServiceUser},
}

func (g *generator) setUp() {
	g.elements = map[string][]string{}
	for p := range programmes * projectsPerProg {
		pid := id(kindProject, p)
		g.projects = append(g.projects, pid)
		g.b.Project(pid, fmt.Sprintf("Programme %d", p%programmes), fmt.Sprintf("Project %d", p))
		for e := range elementsPerProj {
			eid := id(kindElement, p*elementsPerProj+e)
			g.elements[pid] = append(g.elements[pid], eid)
			g.b.Element(pid, eid, fmt.Sprintf("Element %d", e))
			g.b.Decide(pid, eid, events.Levels[g.rng.IntN(len(events.Levels))], "", "Board", "initial view")
		}
	}
	for s := range stakeholders {
		g.b.Stakeholder(id(kindStakeholder, s), roleMix[g.rng.IntN(len(roleMix))]...)
	}
	// Their own random source, so that the rest of the history is the one
	// the seed gave before people declared anything.
	answers := rand.New(rand.NewPCG(g.seed, g.seed^0xdec1a7e))
	pick := func(from []string) string { return from[answers.IntN(len(from))] }
	for s := range stakeholders {
		if answers.Float64() < declaring {
			g.b.Declare(id(kindStakeholder, s), stakeholder.Demographics{AgeBand: pick(stakeholder.AgeBands),
				Ethnicity: pick(ethnicities), Disability: pick(stakeholder.DisabilityAnswers),
				DeprivationDecile: pick(stakeholder.DeprivationDeciles)})
		}
	}
}

// declaring is the share of people who declare their demographics.
const declaring = 0.6

var ethnicities = []string{"White British", "White British", "White British", "White Irish", "Pakistani", "Indian",
	"Bangladeshi", "Black Caribbean", "Black African", "Chinese", "Mixed", stakeholder.PreferNotToSay}

func (g *generator) person() string { return id(kindStakeholder, int(g.popularity.Uint64())) }

func (g *generator) engagement() {
	g.tick()
	pid := g.projects[g.rng.IntN(len(g.projects))]
	els := g.elements[pid]
	linked := els[:1+g.rng.IntN(len(els))]
	eid := id(kindEngagement, g.engagements)
	g.engagements++
	level := events.Levels[g.rng.IntN(len(events.Levels))]
	g.b.Plan(eid, pid, level, "workshop", linked...)
	invited := map[string]bool{}
	var accepted []string
	for range 3 + g.rng.IntN(maxInvitations) {
		s := g.person()
		if invited[s] {
			continue
		}
		invited[s] = true
		g.b.Invite(eid, s)
		if g.rng.Float64() < 0.7 {
			yes := g.rng.Float64() < 0.75
			g.b.Answer(eid, s, yes)
			if yes {
				accepted = append(accepted, s)
			}
		}
	}
	g.tick()
	if g.rng.Float64() < 0.08 {
		g.b.Cancel(eid)
		return
	}
	attended := map[string]bool{}
	var attendees []string
	for _, s := range accepted {
		if g.rng.Float64() < 0.85 {
			attended[s] = true
			attendees = append(attendees, s)
		}
	}
	for range g.rng.IntN(3) { // walk-ins
		if s := g.person(); !attended[s] {
			attended[s] = true
			attendees = append(attendees, s)
		}
	}
	g.b.Hold(eid, g.rng.IntN(6), attendees...)
	if len(attendees) > 0 && g.rng.Float64() < 0.5 {
		g.b.add(streamOfEngagement(eid), supportPayload(attendees[0]))
	}
	for range g.rng.IntN(feedbackPerHeld + 1) {
		g.tick()
		fid := id(kindFeedback, g.feedback)
		g.feedback++
		author := ""
		if len(attendees) > 0 && g.rng.Float64() < 0.7 {
			author = attendees[g.rng.IntN(len(attendees))]
		}
		g.b.Feedback(fid, pid, eid, linked[g.rng.IntN(len(linked))], author)
		if g.rng.Float64() < 0.03 {
			g.b.Retract(fid)
			continue
		}
		if g.rng.Float64() < 0.5 {
			aid := id(kindAction, g.actions)
			g.actions++
			due := g.clock.Add(time.Duration(7+g.rng.IntN(60)) * 24 * time.Hour)
			g.b.Agree(aid, pid, due, fid)
			g.open = append(g.open, openAction{id: aid, due: due, fb: true})
		}
	}
	g.settleActions()
	if g.rng.Float64() < 0.05 {
		el := linked[0]
		g.b.Decide(pid, el, events.Levels[g.rng.IntN(len(events.Levels))], "", "Board", "revisited after engagement")
	}
}

// settleActions moves some open actions on: completed (and often fed
// back), dropped or rescheduled.
func (g *generator) settleActions() {
	keep := g.open[:0]
	for _, a := range g.open {
		switch r := g.rng.Float64(); {
		case r < 0.25:
			g.tick()
			g.b.Complete(a.id)
			if g.rng.Float64() < 0.6 {
				g.b.Communicate(a.id)
			}
		case r < 0.30:
			g.b.Drop(a.id)
		case r < 0.36:
			a.due = a.due.Add(14 * 24 * time.Hour)
			g.b.Reschedule(a.id, a.due)
			keep = append(keep, a)
		default:
			keep = append(keep, a)
		}
	}
	g.open = keep
}
