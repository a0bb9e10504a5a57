package projections

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/together-coop/together/events"
)

// Ratio returns num/den, or nil (JSON null) when den is zero.
func Ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	r := float64(num) / float64(den)
	return &r
}

// Median returns the median of xs (the mean of the two middle values for
// an even count), or nil for none.
func Median(xs []int) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	m := float64(s[n/2])
	if n%2 == 0 {
		m = float64(s[n/2-1]+s[n/2]) / 2
	}
	return &m
}

// P90 returns the nearest-rank 90th percentile of xs, the ⌈0.9·n⌉-th
// smallest, or nil for none.
func P90(xs []int) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(0.9 * float64(len(s))))
	v := float64(s[rank-1])
	return &v
}

// Tally is a multiset of whole numbers, counted by value, that numbers
// can be added to and taken from: the durations a median is taken over,
// kept as a report's parts come and go, so that the median and the p90
// cost the distinct values rather than a sort of every one. The zero
// Tally is empty and ready.
type Tally struct {
	counts map[int]int
	n      int
}

// Add counts each of xs by more times (less than zero takes them away).
// Taking away more of a value than were added is a bug in the caller.
func (t *Tally) Add(xs []int, by int) {
	if t.counts == nil {
		t.counts = make(map[int]int, len(xs))
	}
	for _, x := range xs {
		c := t.counts[x] + by
		if c < 0 {
			panic("projections: a tally took away a value it did not hold")
		}
		if c == 0 {
			delete(t.counts, x)
		} else {
			t.counts[x] = c
		}
		t.n += by
	}
}

// Len is how many numbers the tally holds.
func (t *Tally) Len() int { return t.n }

// Median returns what [Median] returns for the numbers the tally holds.
func (t *Tally) Median() *float64 {
	if t.n == 0 {
		return nil
	}
	values := t.values()
	m := float64(t.nth(values, t.n/2))
	if t.n%2 == 0 {
		m = float64(t.nth(values, t.n/2-1)+t.nth(values, t.n/2)) / 2
	}
	return &m
}

// P90 returns what [P90] returns for the numbers the tally holds.
func (t *Tally) P90() *float64 {
	if t.n == 0 {
		return nil
	}
	v := float64(t.nth(t.values(), int(math.Ceil(0.9*float64(t.n)))-1))
	return &v
}

// values returns the distinct numbers held, in order.
func (t *Tally) values() []int {
	vs := make([]int, 0, len(t.counts))
	for v := range t.counts {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// nth returns the number of rank i (from 0) among those held, values being
// the distinct ones in order.
func (t *Tally) nth(values []int, i int) int {
	for _, v := range values {
		if i < t.counts[v] {
			return v
		}
		i -= t.counts[v]
	}
	panic("projections: a tally's rank beyond what it holds")
}

// DaysBetweenDates returns the whole calendar days from a to b.
func DaysBetweenDates(a, b events.Date) int { return a.DaysUntil(b) }

// RoleCounts is a count per role, listing every role so that reports
// always have the same shape.
type RoleCounts map[events.Role]int

// MarshalJSON writes the counts as encoding/json writes a map, the roles
// in order, without its reflection: a report has one for every row of
// some of its tables, and encodes them at every reading.
func (rc RoleCounts) MarshalJSON() ([]byte, error) {
	if rc == nil {
		return []byte("null"), nil
	}
	roles := make([]events.Role, 0, len(rc))
	for r := range rc {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	b := make([]byte, 0, 2+len(roles)*24)
	b = append(b, '{')
	for i, r := range roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, string(r))
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(rc[r]), 10)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as encoding/json writes a string. A role is
// a plain word, written as it is; anything that needs escaping (as
// encoding/json escapes <, > and & too) is written by encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// NewRoleCounts returns zero for every role.
func NewRoleCounts() RoleCounts {
	rc := RoleCounts{}
	for _, r := range events.Roles {
		rc[r] = 0
	}
	return rc
}

// LivedExperience reports whether any of roles brings lived experience.
func LivedExperience(roles []events.Role) bool {
	for _, r := range roles {
		if r.LivedExperience() {
			return true
		}
	}
	return false
}

func rolesInOrder() []events.Role { return events.Roles }
