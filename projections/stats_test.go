package projections_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections"
)

func TestStatistics(t *testing.T) {
	tests := []struct {
		name        string
		xs          []int
		median, p90 *float64
	}{
		{"none", nil, nil, nil},
		{"one", []int{7}, f(7), f(7)},
		{"two: the mean of the middle", []int{18, 9}, f(13.5), f(18)},
		{"odd", []int{5, 1, 3}, f(3), f(5)},
		// ⌈0.9·10⌉ = 9th smallest.
		{"ten", []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, f(5.5), f(9)},
		// ⌈0.9·11⌉ = 10th smallest.
		{"eleven", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, f(6), f(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := projections.Median(tt.xs); !same(got, tt.median) {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, show(got), show(tt.median))
			}
			if got := projections.P90(tt.xs); !same(got, tt.p90) {
				t.Errorf("P90(%v) = %v, want %v", tt.xs, show(got), show(tt.p90))
			}
			var tally projections.Tally
			tally.Add(tt.xs, 1)
			if got := tally.Median(); !same(got, tt.median) {
				t.Errorf("Tally(%v).Median() = %v, want %v", tt.xs, show(got), show(tt.median))
			}
			if got := tally.P90(); !same(got, tt.p90) {
				t.Errorf("Tally(%v).P90() = %v, want %v", tt.xs, show(got), show(tt.p90))
			}
		})
	}
	if projections.Ratio(1, 0) != nil || *projections.Ratio(1, 4) != 0.25 {
		t.Error("Ratio: want nil over nothing and 0.25 for 1/4")
	}
	late := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	early := time.Date(2026, 3, 2, 0, 1, 0, 0, time.UTC)
	if d := (projections.Query{}).Days(late, early); d != 1 {
		t.Errorf("Days across midnight = %d, want 1 (calendar days, not 24-hour periods)", d)
	}
}

// A tally that numbers are added to and taken from in parts answers as
// Median and P90 over the numbers left.
func TestTallyAnswersAsTheNumbersLeft(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var tally projections.Tally
	var parts [][]int
	for step := range 2000 {
		if len(parts) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(parts))
			tally.Add(parts[i], -1)
			parts = slices.Delete(parts, i, i+1)
		} else {
			part := make([]int, rng.IntN(4))
			for j := range part {
				part[j] = rng.IntN(40) - 5 // back-dated: some are negative
			}
			tally.Add(part, 1)
			parts = append(parts, part)
		}
		left := slices.Concat(parts...)
		if tally.Len() != len(left) || !same(tally.Median(), projections.Median(left)) || !same(tally.P90(), projections.P90(left)) {
			t.Fatalf("step %d: tally holds %d, median %v, p90 %v; the %d left give median %v, p90 %v",
				step, tally.Len(), show(tally.Median()), show(tally.P90()), len(left), show(projections.Median(left)), show(projections.P90(left)))
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("taking away a number the tally does not hold did not panic")
		}
	}()
	tally.Add([]int{1000}, -1)
}

// Calendar days are the programme's: in British Summer Time 23:30 UTC is
// already the next day in London.
func TestDaysInTheProgrammesTimeZone(t *testing.T) {
	a := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)   // 1 July, 10:00 in London
	b := time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC) // 2 July, 00:30 in London
	london := projections.Query{}
	utc := projections.Query{Location: time.UTC}
	if d := london.Days(a, b); d != 1 {
		t.Errorf("London Days(%v, %v) = %d, want 1", a, b, d)
	}
	if d := utc.Days(a, b); d != 0 {
		t.Errorf("UTC Days(%v, %v) = %d, want 0", a, b, d)
	}
	if got := london.Date(b).String(); got != "2026-07-02" {
		t.Errorf("London Date(%v) = %s, want 2026-07-02", b, got)
	}
}

func TestParseMoment(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-03-01":                time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),   // GMT
		"2026-07-01":                time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC), // midnight BST
		"2026-03-01T10:00:00+01:00": time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00Z":      time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), // an instant stays exact
	} {
		if got, err := projections.ParseMoment(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseMoment(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01", "2026-02-30", "1 March 2026"} {
		if _, err := projections.ParseMoment(bad); !errors.Is(err, projections.ErrMoment) {
			t.Errorf("ParseMoment(%q) error = %v, want ErrMoment", bad, err)
		}
	}
	if got, _ := projections.ParseMomentIn("2026-07-01", time.UTC); !got.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseMomentIn(2026-07-01, UTC) = %v, want midnight UTC", got)
	}
}

func f(v float64) *float64 { return &v }

func same(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func show(v *float64) any {
	if v == nil {
		return "null"
	}
	return *v
}

// FuzzRoleCountsJSON holds RoleCounts' own encoding to what encoding/json
// writes for the same map: the reports' golden files are byte for byte.
func FuzzRoleCountsJSON(f *testing.F) {
	f.Add("service_user", 3, "carer", -1)
	f.Add("<b>&", 0, "é\u2028", 1<<40)
	f.Add("\x00\xff", 7, "", 0)
	f.Fuzz(func(t *testing.T, r1 string, n1 int, r2 string, n2 int) {
		for _, rc := range []projections.RoleCounts{nil, {}, {events.Role(r1): n1}, {events.Role(r1): n1, events.Role(r2): n2}, projections.NewRoleCounts()} {
			got, err := json.Marshal(rc)
			if err != nil {
				t.Fatal(err)
			}
			var plain map[string]int
			if rc != nil {
				plain = map[string]int{}
				for r, n := range rc {
					plain[string(r)] = n
				}
			}
			want, err := json.Marshal(plain)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("RoleCounts %v encodes as %s, encoding/json writes %s", rc, got, want)
			}
		}
	})
}
