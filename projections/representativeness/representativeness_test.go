package representativeness_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/representativeness"
)

func baseline(t *testing.T) representativeness.Baseline {
	t.Helper()
	b, err := representativeness.ParseBaseline([]byte(`{"area":"North","source":"test",
		"ethnicity":{"White British":0.85,"Pakistani":0.03},
		"deprivation_decile":{"1":0.25,"2":0.15,"6":0.1}}`))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func row(rows []representativeness.Row, value string) representativeness.Row {
	for _, r := range rows {
		if r.Value == value {
			return r
		}
	}
	return representativeness.Row{Value: "missing " + value}
}

// TestStory: programme North's participants as of the 21st are Ann, Ben,
// Cat, Dev and Eve. Ann (65–74, White British, disabled, decile 1), Ben
// (35–44, Pakistani, not disabled, decile 2), Cat (age and disability
// prefer not to say, White British, decile 6); Dev declared but was erased
// on the 18th, and Eve never declared: both are "not recorded".
func TestStory(t *testing.T) {
	l := historytest.Story().Ledger()
	got := representativeness.Compute(l, projections.Query{Programme: "North", AsOf: historytest.Day(21)}, baseline(t), historytest.Open)
	if got.Participants != 5 || got.Area != "North" {
		t.Fatalf("participants, area = %d, %q; want 5, North", got.Participants, got.Area)
	}
	checks := []struct {
		name string
		row  representativeness.Row
		n    int
	}{
		{"age 65_74", row(got.AgeBand, "65_74"), 1},
		{"age prefer not to say", row(got.AgeBand, stakeholder.PreferNotToSay), 1},
		{"age not recorded (Dev erased, Eve)", row(got.AgeBand, representativeness.NotRecorded), 2},
		{"White British", row(got.Ethnicity, "White British"), 2},
		{"Black Caribbean: Dev's, erased", row(got.Ethnicity, "Black Caribbean"), 0},
		{"disabled", row(got.Disability, "yes"), 1},
		{"decile 6", row(got.DeprivationDecile, "6"), 1},
	}
	for _, c := range checks {
		if c.row.Participants != c.n {
			t.Errorf("%s = %d participants, want %d", c.name, c.row.Participants, c.n)
		}
	}
	// White British: 2 of the 3 who answered, against 0.85.
	wb := row(got.Ethnicity, "White British")
	twoThirds := 2.0 / 3
	if *wb.Share != 2.0/5 || *wb.ShareOfKnown != twoThirds || *wb.Baseline != 0.85 || *wb.Gap != twoThirds-0.85 {
		t.Errorf("White British = %v %v %v %v, want 0.4, 2/3, 0.85, 2/3−0.85", *wb.Share, *wb.ShareOfKnown, *wb.Baseline, *wb.Gap)
	}
	if r := row(got.Disability, "yes"); r.Baseline != nil || r.Gap != nil {
		t.Errorf("disability has no baseline, yet yes = %v, %v", r.Baseline, r.Gap)
	}
	// Core20: Ann and Ben of the 3 with a decile, against 0.25 + 0.15.
	if c := got.Core20; c.Participants != 2 || *c.ShareOfKnown != 2.0/3 || *c.Baseline != 0.4 {
		t.Errorf("core20 = %d, %v, %v; want 2, 2/3, 0.4", c.Participants, *c.ShareOfKnown, *c.Baseline)
	}
	// As of the 17th Dev was not yet erased, but the erasure destroyed
	// the key his answers were sealed under: once it is known, not even a
	// report of the past can read them, as a replay could not.
	before := representativeness.Compute(l, projections.Query{Programme: "North", AsOf: historytest.Day(17)}, baseline(t), historytest.Open)
	if n := row(before.Ethnicity, "Black Caribbean").Participants; n != 0 {
		t.Errorf("Black Caribbean as of the 17th, after the erasure = %d, want 0", n)
	}
	untilThen := ledger.New()
	for _, e := range historytest.Story().Events {
		if !e.Envelope.RecordedAt.After(historytest.Day(17)) {
			untilThen.Apply(e.Envelope, e.Payload)
		}
	}
	known := representativeness.Compute(untilThen, projections.Query{Programme: "North", AsOf: historytest.Day(17)}, baseline(t), historytest.Open)
	if n := row(known.Ethnicity, "Black Caribbean").Participants; n != 1 {
		t.Errorf("Black Caribbean as of the 17th, before the erasure was recorded = %d, want 1 (Dev)", n)
	}
	// Without an opener nobody's demographics are known.
	blind := representativeness.Compute(l, projections.Query{Programme: "North", AsOf: historytest.Day(21)}, baseline(t), nil)
	if n := row(blind.AgeBand, representativeness.NotRecorded).Participants; n != 5 {
		t.Errorf("not recorded without an opener = %d, want 5", n)
	}
}

// TestOpensEveryoneAtOnce: the opener is asked once, for the declared
// answers of exactly the participants who are not erased (Ann, Ben and
// Cat; Dev is erased and Eve never declared), so that the keys can be read
// together.
func TestOpensEveryoneAtOnce(t *testing.T) {
	var asked [][]string
	open := func(sealed map[string]stakeholder.Sealed) map[string]stakeholder.Demographics {
		asked = append(asked, slices.Sorted(maps.Keys(sealed)))
		return historytest.Open(sealed)
	}
	got := representativeness.Compute(historytest.Story().Ledger(), projections.Query{Programme: "North", AsOf: historytest.Day(21)}, baseline(t), open)
	want := [][]string{slices.Sorted(slices.Values([]string{historytest.Ann, historytest.Ben, historytest.Cat}))}
	if !slices.EqualFunc(asked, want, slices.Equal) {
		t.Errorf("asked to open %v, want %v", asked, want)
	}
	if n := row(got.AgeBand, representativeness.NotRecorded).Participants; n != 2 {
		t.Errorf("not recorded = %d, want 2 (Dev, Eve)", n)
	}
	asked = nil
	representativeness.Compute(historytest.Story().Ledger(), projections.Query{Programme: "North", AsOf: historytest.Day(1)}, baseline(t), open)
	if len(asked) != 0 {
		t.Errorf("as of the first day, with no participant declared, asked to open %v, want no call", asked)
	}
}

func TestParseBaseline(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"age_band":{"20_30":0.5}}`, "no answer"},
		{`{"disability":{"yes":1.5}}`, "between 0 and 1"},
		{`{"deprivation_decile":{"1":0.6,"2":0.6}}`, "more than 1"},
		{`{"age_band":{"prefer_not_to_say":0.1}}`, "no answer"},
		{`{"colour":{}}`, "unknown field"},
		{`[`, "baseline"},
	} {
		if _, err := representativeness.ParseBaseline([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseBaseline(%s) error = %v, want one mentioning %q", tt.in, err, tt.want)
		}
	}
}

// TestPartsFollowPeopleInAndOut follows one kept sum over everything as
// people come to a project, stay while it changes, move to another and
// leave: after each step it must count what computing afresh counts. No
// step changes a person, so the sum is never started again.
func TestPartsFollowPeopleInAndOut(t *testing.T) {
	b := historytest.NewBuilder(historytest.Day(1)).
		Project("p-a", "North", "A").Project("p-b", "North", "B").
		Stakeholder("ann", "service_user").Stakeholder("ben", "carer").
		Declare("ann", stakeholder.Demographics{AgeBand: "65_74", DeprivationDecile: "1"}).
		Declare("ben", stakeholder.Demographics{AgeBand: "35_44", DeprivationDecile: "2"}).
		Plan("w-a", "p-a", "consult", "workshop").Plan("w-b", "p-b", "consult", "workshop")
	steps := []struct {
		name         string
		do           func(*historytest.Builder)
		participants int
	}{
		{"Ann gives feedback on A", func(b *historytest.Builder) { b.Feedback("f-ann-a", "p-a", "", "", "ann") }, 1},
		{"Ben too: A changes, Ann stays", func(b *historytest.Builder) { b.Feedback("f-ben-a", "p-a", "", "", "ben") }, 2},
		{"A changes without them", func(b *historytest.Builder) { b.Feedback("f-anon", "p-a", "", "", "") }, 2},
		{"Ann gives feedback on B", func(b *historytest.Builder) { b.Feedback("f-ann-b", "p-b", "", "", "ann") }, 2},
		{"Ann's feedback on A retracted: still on B", func(b *historytest.Builder) { b.Retract("f-ann-a") }, 2},
		{"and on B: Ann is gone", func(b *historytest.Builder) { b.Retract("f-ann-b") }, 1},
		{"Ann comes to A's workshop", func(b *historytest.Builder) { b.Hold("w-a", 0, "ann") }, 2},
		{"Ben's feedback retracted", func(b *historytest.Builder) { b.Retract("f-ben-a") }, 1},
	}
	var parts representativeness.Parts
	q := projections.Query{AsOf: historytest.Day(28)}
	for i, s := range steps {
		b.At(historytest.Day(2 + i))
		s.do(b)
		l := b.Ledger()
		got := parts.Compute(l, q, baseline(t), historytest.Open)
		want := representativeness.Compute(l, q, baseline(t), historytest.Open)
		if got.Participants != s.participants {
			t.Errorf("%s: %d participants, want %d", s.name, got.Participants, s.participants)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: kept\n%+v\nafresh\n%+v", s.name, got, want)
		}
	}
}
