// Package disclosure applies small-number suppression to a report before
// a viewer or the public sees it, so that nobody can be picked out of a
// published count.
//
// A report declares its [Plan]: which of its cells are counts of people or
// things, which counts add up to which totals ([Sum]), which ratios are
// computed from which counts ([Ratio]) and which other figures rest on
// which counts ([Derived]). A [Rule] then decides what is published. The
// default, [NHSEngland], follows NHS England's convention for published
// counts: a count from 1 to 7 is shown as "*", every other count is
// rounded to the nearest 5, and, so that a hidden count cannot be worked
// back from its total and the other parts, a second count of the same sum
// is hidden too (secondary suppression). Ratios are recomputed from the
// published counts, never from the exact ones, and a figure that rests on
// a hidden count is hidden.
//
// Exact counts stay available: the zero [Rule] publishes everything as it
// is, for callers allowed to see personal data.
//
// Everything here is pure: the same plan and rule give the same result.
package disclosure
