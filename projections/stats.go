package projections

import (
	"math"
	"slices"

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

// DaysBetweenDates returns the whole calendar days from a to b.
func DaysBetweenDates(a, b events.Date) int { return a.DaysUntil(b) }

// RoleCounts is a count per role, listing every role so that reports
// always have the same shape.
type RoleCounts map[events.Role]int

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
