package disclosure

import (
	"fmt"
	"slices"
)

// Hidden is what a suppressed cell shows.
const Hidden = "*"

// Rule says how counts are published. The zero Rule publishes exact
// counts.
type Rule struct {
	// HideUpTo hides every count from 1 to HideUpTo (0 hides none). Zero
	// itself is always shown: nobody can be picked out of nobody.
	HideUpTo int
	// RoundTo rounds every shown count to the nearest multiple of it,
	// halves up (0 or 1 keeps counts exact).
	RoundTo int
}

// NHSEngland is NHS England's convention for published counts: 1 to 7
// hidden, the rest rounded to the nearest 5.
func NHSEngland() Rule { return Rule{HideUpTo: 7, RoundTo: 5} }

// Exact reports whether the rule publishes counts as they are.
func (r Rule) Exact() bool { return r.HideUpTo <= 0 && r.RoundTo <= 1 }

// String names the rule as reports echo it.
func (r Rule) String() string {
	if r.Exact() {
		return "exact"
	}
	return fmt.Sprintf("suppressed: 1 to %d shown as *, others rounded to the nearest %d", r.HideUpTo, max(r.RoundTo, 1))
}

// Validate checks the rule.
func (r Rule) Validate() error {
	if r.HideUpTo < 0 || r.RoundTo < 0 {
		return fmt.Errorf("disclosure rule: hide_up_to %d and round_to %d must be ≥ 0", r.HideUpTo, r.RoundTo)
	}
	return nil
}

// Plan is what a report declares about its cells. Paths name cells the
// way the report's JSON nests them, segments joined by dots, array
// elements by index ("projects.0.participants"); a CSV cell names its
// path in [projections.Table].
type Plan struct {
	Counts  []Count
	Sums    []Sum
	Ratios  []Ratio
	Derived []Derived
}

// Count is one count cell.
type Count struct {
	Path  string
	Value int
	// Internal counts are not in the report, only under one of its
	// ratios; they are suppressed like any other, so the ratio is
	// computed from what could have been published.
	Internal bool
}

// Sum says Total is the sum of Parts, so a reader could work back any
// one hidden cell among them. Total may be "" when the total is not
// published but the parts are known to add up to something that is.
type Sum struct {
	Total string
	Parts []string
}

// Ratio is Num / Den − Minus, Num and Den count paths: a share, or its
// gap from a known baseline share (Minus).
type Ratio struct {
	Path, Num, Den string
	Minus          float64
}

// Derived is a figure computed from people or things counted by On (a
// median, a share, an effective number): hidden when any of them is.
type Derived struct {
	Path string
	On   []string
}

// Count adds a published count.
func (p *Plan) Count(path string, v int) { p.Counts = append(p.Counts, Count{Path: path, Value: v}) }

// Internal adds a count that is used only under a ratio.
func (p *Plan) Internal(path string, v int) {
	p.Counts = append(p.Counts, Count{Path: path, Value: v, Internal: true})
}

// Sum declares that total is the sum of parts.
func (p *Plan) Sum(total string, parts ...string) {
	p.Sums = append(p.Sums, Sum{Total: total, Parts: parts})
}

// Ratio declares path = num / den.
func (p *Plan) Ratio(path, num, den string) {
	p.Ratios = append(p.Ratios, Ratio{Path: path, Num: num, Den: den})
}

// Gap declares path = num / den − baseline.
func (p *Plan) Gap(path, num, den string, baseline float64) {
	p.Ratios = append(p.Ratios, Ratio{Path: path, Num: num, Den: den, Minus: baseline})
}

// Derive declares that path rests on the counts on.
func (p *Plan) Derive(path string, on ...string) {
	p.Derived = append(p.Derived, Derived{Path: path, On: on})
}

// Cell is a published count.
type Cell struct {
	Value  int
	Hidden bool
}

// Text writes the cell as a CSV or table shows it.
func (c Cell) Text() string {
	if c.Hidden {
		return Hidden
	}
	return fmt.Sprint(c.Value)
}

// Figure is a published ratio or derived figure: hidden, or a value (nil
// for a ratio over nothing). Keep reports the figure unchanged.
type Figure struct {
	Hidden bool
	Keep   bool
	Value  *float64
}

// Published is a plan after a rule: what each cell shows.
type Published struct {
	Rule    Rule
	Counts  map[string]Cell
	Figures map[string]Figure
}

// Apply publishes plan under the rule. A count of 1 to HideUpTo is hidden
// (primary suppression); then, until nothing changes, every sum with
// exactly one hidden cell among its total and parts has its smallest
// shown part hidden too (or its total, if every part is hidden), so no
// hidden cell is the difference of shown ones (secondary suppression);
// every shown count is then rounded. Ratios are recomputed from the
// published counts and hidden when either is; derived figures are hidden
// when a count they rest on is.
func (r Rule) Apply(plan Plan) Published {
	out := Published{Rule: r, Counts: map[string]Cell{}, Figures: map[string]Figure{}}
	value := map[string]int{}
	for _, c := range plan.Counts {
		value[c.Path] = c.Value
		out.Counts[c.Path] = Cell{Value: c.Value, Hidden: c.Value >= 1 && c.Value <= r.HideUpTo}
	}
	hide := func(path string) {
		c := out.Counts[path]
		c.Hidden = true
		out.Counts[path] = c
	}
	hidden := func(path string) bool { return out.Counts[path].Hidden }
	for changed := true; changed; {
		changed = false
		for _, s := range plan.Sums {
			members := slices.Clone(s.Parts)
			if s.Total != "" {
				members = append(members, s.Total)
			}
			n := 0
			for _, m := range members {
				if hidden(m) {
					n++
				}
			}
			if n != 1 {
				continue
			}
			pick := ""
			for _, part := range s.Parts {
				if !hidden(part) && (pick == "" || value[part] < value[pick]) {
					pick = part
				}
			}
			if pick == "" {
				pick = s.Total
			}
			if pick != "" {
				hide(pick)
				changed = true
			}
		}
	}
	for path, c := range out.Counts {
		if !c.Hidden {
			c.Value = round(c.Value, r.RoundTo)
			out.Counts[path] = c
		}
	}
	for _, ra := range plan.Ratios {
		num, den := out.Counts[ra.Num], out.Counts[ra.Den]
		switch {
		case num.Hidden || den.Hidden:
			out.Figures[ra.Path] = Figure{Hidden: true}
		case den.Value == 0:
			out.Figures[ra.Path] = Figure{}
		default:
			v := float64(num.Value)/float64(den.Value) - ra.Minus
			out.Figures[ra.Path] = Figure{Value: &v}
		}
	}
	for _, d := range plan.Derived {
		f := Figure{Keep: true}
		for _, on := range d.On {
			if hidden(on) {
				f = Figure{Hidden: true}
			}
		}
		out.Figures[d.Path] = f
	}
	// Internal counts are never shown.
	for _, c := range plan.Counts {
		if c.Internal {
			delete(out.Counts, c.Path)
		}
	}
	return out
}

// round rounds v to the nearest multiple of to, halves up.
func round(v, to int) int {
	if to <= 1 {
		return v
	}
	return (v + to/2) / to * to
}
