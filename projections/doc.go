// Package projections turns the event history into the reports of
// together, one package each, all computed from the [ledger] by pure
// functions: participation breadth, follow-through, involvement
// decisions, the programme view, the duty to involve, feedback influence,
// representativeness, reach and reciprocity. The table of them, and the
// memo that keeps them, is the report package; small-number suppression
// is the disclosure package. Nothing here does I/O or reads a clock: the moment a report is "as of" is always a
// parameter, so the same events and the same [Query] give byte-identical
// reports.
//
// This package holds what the reports share: the [Query] (scope, window,
// as-of, and the programme's time zone, in which every calendar date and
// day count is taken), the header every report echoes, the participations
// the reports count people by, the CSV tables, the statistics (ratios,
// medians, nearest-rank percentiles), and what lets a report be kept: a
// query's [Key], the [Revision] of its scope, and [Kept]. docs/reports.md
// defines every figure.
package projections
