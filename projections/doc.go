// Package projections turns the event history into the reports of
// together: participation breadth, follow-through, involvement decisions
// and the programme view, one package each, all computed from the
// [ledger] by pure functions. Nothing here does I/O or reads a clock: the
// moment a report is "as of" is always a parameter, so the same events and
// the same [Query] give byte-identical reports.
//
// This package holds what the reports share: the [Query] (scope, window,
// as-of), the header every report echoes, and the statistics (ratios,
// medians, nearest-rank percentiles, whole UTC days) as DESIGN.md defines
// them.
package projections
