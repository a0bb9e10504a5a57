package report_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/duty"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/projections/representativeness"
)

// TestMemoAnswersAsComputed applies random histories in random batches,
// one version of the ledger after each, and asks every report over
// scopes, windows, time zones and as-of moments of each version through
// one memo: every answer, and the JSON the memo keeps of it (exact or
// published), must be byte for byte what computing the report afresh on
// that version gives. The histories change people's roles, needs, consent
// and erasure, back-date, retract and cancel, so that a memo keeping a
// report past a change that alters it fails here. They
// also name what the write side refuses (feedback on another project's
// engagement, actions on another project's feedback, an engagement before
// it is planned), which a ledger must still answer truly.
func TestMemoAnswersAsComputed(t *testing.T) {
	config := report.DefaultConfig()
	config.Baseline = representativeness.Baseline{}
	config.Demographics = historytest.Open
	// historytest's keys are never destroyed: one revision of them.
	config.KeysRevision = func() (uint64, bool) { return 1, true }
	rules := []disclosure.Rule{{}, {}, {}, {}, {}, disclosure.NHSEngland()}
	for seed := range uint64(10) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 99))
			evs := randomHistory(rng, 250).Events
			memo := report.NewMemo(config)
			l := ledger.New()
			for applied := 0; applied < len(evs); {
				n := min(1+rng.IntN(8), len(evs)-applied)
				for _, e := range evs[applied : applied+n] {
					l.Apply(e.Envelope, e.Payload)
				}
				applied += n
				for _, q := range queries(rng, l, evs[:applied]) {
					for _, name := range report.Names() {
						got, kept, _ := memo.Compute(name, l, q)
						again, ok := memo.Kept(name, l, q)
						if !ok {
							t.Fatalf("after %d events, the memo keeps no %s it just answered for %+v", applied, name, q)
						}
						if !kept && name == duty.Name {
							continue // computed afresh, of no kept parts
						}
						want, _ := report.Compute(name, l, q, config)
						w := encode(t, want, disclosure.Rule{})
						// got's document is again's if it was kept, and the one
						// computed if not.
						if g := encode(t, again.Doc, disclosure.Rule{}); w != g {
							t.Fatalf("after %d events, %s for %+v:\nmemo     %.1500s\ncomputed %.1500s", applied, name, q, g, w)
						}
						// The JSON the memo keeps, under one rule or the other:
						// publishing every report would double the time this test takes.
						rule := rules[rng.IntN(len(rules))]
						if !rule.Exact() {
							w = encode(t, want, rule)
						}
						for _, got := range []report.Answer{got, again} {
							if g, err := got.JSON(rule); err != nil || string(g) != w {
								t.Fatalf("after %d events, %s for %+v, %s: the memo's JSON (%v)\n%.1500s\ncomputed\n%.1500s", applied, name, q, rule, err, g, w)
							}
						}
					}
				}
				l = l.Next()
			}
			hits, misses := memo.Counts()
			t.Logf("%d events: %d reports kept and answered again, %d computed", len(evs), hits, misses)
			if hits == 0 || misses == 0 {
				t.Fatalf("the memo answered %d from what it kept and computed %d: the test checks nothing", hits, misses)
			}
		})
	}
}

func encode(t *testing.T, d report.Document, rule disclosure.Rule) string {
	t.Helper()
	b, err := report.JSON(d, rule)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// queries returns what to ask of a version: everything, each programme
// (one as typed loosely) and each project, with a window or none, as of
// its head (now, a second later, a day and a half later, years ahead) and
// of earlier moments, in two time zones.
func queries(rng *rand.Rand, l *ledger.Ledger, applied []historytest.Event) []projections.Query {
	last := applied[len(applied)-1].Envelope.RecordedAt
	past := applied[rng.IntN(len(applied))].Envelope.RecordedAt
	first := applied[0].Envelope.RecordedAt
	mid := first.Add(last.Sub(first) / 2)
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		panic(err)
	}
	scopes := []projections.Query{{}, {Programme: "North"}, {Programme: "south "}}
	for _, id := range l.ProjectOrder {
		scopes = append(scopes, projections.Query{Project: id})
	}
	var out []projections.Query
	for _, s := range scopes {
		for _, asOf := range []time.Time{last, last.Add(time.Second), last.Add(36 * time.Hour), last.AddDate(3, 0, 0), past, past.Add(-time.Nanosecond)} {
			q := s
			q.AsOf = asOf
			switch rng.IntN(4) {
			case 0:
				q.From = &mid
			case 1:
				q.To = &mid
			}
			if rng.IntN(3) == 0 {
				q.Location = auckland
			}
			out = append(out, q)
		}
	}
	return out
}

// randomHistory writes about n events of two programmes, mixing every
// kind of event the reports read.
func randomHistory(rng *rand.Rand, n int) *historytest.Builder {
	clock := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	b := historytest.NewBuilder(clock)
	type engagement struct {
		id, project string
		invited     []string
		held        bool
	}
	var (
		projects, people, attended []string
		feedback, actions          []string
		elements                   = map[string][]string{}
		projectOf                  = map[string]string{}
		engagements                []*engagement
		roles                      = events.Roles
	)
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	level := func() events.Level { return events.Levels[rng.IntN(len(events.Levels))] }
	someRoles := func() []events.Role { return []events.Role{roles[rng.IntN(len(roles))]} }
	for len(b.Events) < n {
		clock = clock.Add(time.Duration(rng.IntN(30*60)) * time.Minute / 10)
		b.At(clock)
		if rng.IntN(8) == 0 {
			b.BackDated(clock.Add(-time.Duration(rng.IntN(20*24)) * time.Hour))
		}
		switch step := rng.IntN(20); {
		case len(projects) < 2 || step == 0 && len(projects) < 6:
			id := fmt.Sprintf("p%d", len(projects))
			b.Project(id, []string{"North", "South"}[len(projects)%2], "Project "+id)
			projects = append(projects, id)
			el := id + "-e"
			b.Element(id, el, "element of "+id)
			elements[id] = append(elements[id], el)
		case len(people) < 4 || step == 1:
			id := fmt.Sprintf("s%d", len(people))
			b.Stakeholder(id, someRoles()...)
			people = append(people, id)
		case step == 2:
			p := pick(projects)
			b.Decide(p, pick(elements[p]), level(), level(), "board", "because")
		case step == 3:
			b.Duty(pick(projects), rng.IntN(2) == 0, "basis")
		case step == 4:
			b.Roles(pick(people), someRoles()...)
		case step == 5:
			switch rng.IntN(5) {
			case 0:
				b.Erase(pick(people))
			case 4:
				decile := fmt.Sprint(1 + rng.IntN(10))
				b.Declare(pick(people), stakeholder.Demographics{AgeBand: "25_34", Ethnicity: "White British", DeprivationDecile: decile})
			case 1, 2:
				// Most often someone who came, and as of days before: a need
				// known by the day they came changes what reciprocity says.
				who := pick(people)
				if len(attended) > 0 && rng.IntN(3) > 0 {
					who = pick(attended)
				}
				b.BackDated(clock.Add(-time.Duration(rng.IntN(10*24))*time.Hour)).Need(who, "hearing loop")
			default:
				b.Consent(pick(people), "case_study", rng.IntN(2) == 0)
			}
		case len(engagements) == 0 || step == 6:
			p := pick(projects)
			en := &engagement{id: fmt.Sprintf("g%d", len(engagements)), project: p}
			b.PlanFor(clock.Add(time.Duration(rng.IntN(96))*time.Hour), en.id, p, level(), "workshop", pick(elements[p]))
			engagements = append(engagements, en)
		case step <= 9:
			en := engagements[rng.IntN(len(engagements))]
			s := pick(people)
			b.Invite(en.id, s)
			en.invited = append(en.invited, s)
		case step == 10:
			en := engagements[rng.IntN(len(engagements))]
			if len(en.invited) > 0 {
				b.Answer(en.id, pick(en.invited), rng.IntN(3) > 0)
			}
		case step == 11:
			en := engagements[rng.IntN(len(engagements))]
			if !en.held && len(en.invited) > 0 {
				en.held = true
				if rng.IntN(6) == 0 {
					b.Cancel(en.id)
				} else {
					came := en.invited[:1+rng.IntN(len(en.invited))]
					b.Hold(en.id, rng.IntN(3), came...)
					attended = append(attended, came...)
				}
			}
		case step == 12:
			en := engagements[rng.IntN(len(engagements))]
			b.Support(en.id, pick(people), "travel", int64(100+rng.IntN(900)))
		case step <= 14:
			en := engagements[rng.IntN(len(engagements))]
			id := fmt.Sprintf("f%d", len(feedback))
			who := pick(people)
			if rng.IntN(4) == 0 {
				who = ""
			}
			project, engagementID := en.project, en.id
			switch rng.IntN(12) {
			case 0: // on another project's engagement, which the write side refuses
				project = pick(projects)
			case 1: // on an engagement planned later
				engagementID = fmt.Sprintf("g%d", len(engagements))
			}
			b.Feedback(id, project, engagementID, pick(elements[project]), who, "access")
			feedback = append(feedback, id)
			projectOf[id] = project
		case step == 15 && len(feedback) > 0:
			f := pick(feedback)
			if rng.IntN(5) == 0 {
				b.Retract(f)
			} else {
				b.Respond(f, []string{"adopted", "partly_adopted", "not_adopted"}[rng.IntN(3)], "reason")
			}
		case step == 16 && len(feedback) > 0:
			f := pick(feedback)
			id := fmt.Sprintf("a%d", len(actions))
			project := projectOf[f]
			if rng.IntN(3) == 0 { // on another project's feedback, which the write side refuses
				project = pick(projects)
			}
			b.Agree(id, project, clock.Add(time.Duration(rng.IntN(20*24))*time.Hour), f)
			actions = append(actions, id)
		case step == 17 && rng.IntN(3) == 0:
			// Someone invited a moment before their registration lands,
			// as concurrent writers may leave the log.
			en := engagements[rng.IntN(len(engagements))]
			s := fmt.Sprintf("s%d", len(people))
			b.Invite(en.id, s)
			en.invited = append(en.invited, s)
		case len(actions) > 0:
			a := pick(actions)
			switch rng.IntN(5) {
			case 0:
				b.Complete(a)
			case 1:
				b.Communicate(a)
			case 2:
				b.Reschedule(a, clock.Add(time.Duration(rng.IntN(30*24))*time.Hour))
			case 3:
				b.Reassign(a, "another owner")
			default:
				b.Drop(a)
			}
		}
	}
	return b
}

// TestMemoOpensAgainWhenTheKeysChange: representativeness is kept for as
// long as the keys' revision holds; once a key is destroyed (before the
// ledger hears of the erasure) and the revision grows, it is computed
// again and the person's answers stay shut; with the revision unknown it
// is computed at every request.
func TestMemoOpensAgainWhenTheKeysChange(t *testing.T) {
	l := historytest.Story().Ledger()
	q := projections.Query{Programme: "North", AsOf: historytest.Day(21)}
	destroyed := map[string]bool{}
	revision, known := uint64(7), true
	config := report.DefaultConfig()
	config.Demographics = func(sealed map[string]stakeholder.Sealed) map[string]stakeholder.Demographics {
		opened := historytest.Open(sealed)
		for id := range destroyed {
			delete(opened, id)
		}
		return opened
	}
	config.KeysRevision = func() (uint64, bool) { return revision, known }
	memo := report.NewMemo(config)
	steps := []struct {
		name     string
		change   func()
		decile1  int // Ann declared decile 1
		wantKept bool
	}{
		{"first", func() {}, 1, false},
		{"again", func() {}, 1, true},
		{"Ann's key destroyed, the revision not yet read anew", func() { destroyed[historytest.Ann] = true }, 1, true},
		{"the revision grows", func() { revision++ }, 0, false},
		{"again after", func() {}, 0, true},
		{"the revision unknown", func() { known = false }, 0, false},
		{"still unknown", func() {}, 0, false},
	}
	for _, s := range steps {
		s.change()
		doc, kept, ok := memo.Compute(representativeness.Name, l, q)
		if !ok {
			t.Fatal("no representativeness report")
		}
		n := 0
		for _, r := range doc.Doc.(representativeness.Report).DeprivationDecile {
			if r.Value == "1" {
				n = r.Participants
			}
		}
		if n != s.decile1 || kept != s.wantKept {
			t.Errorf("%s: decile 1 = %d, kept %v; want %d, %v", s.name, n, kept, s.decile1, s.wantKept)
		}
		if _, ok := memo.Kept(representativeness.Name, l, q); ok != known {
			t.Errorf("%s: Kept answers %v, want %v", s.name, ok, known)
		}
	}
}
