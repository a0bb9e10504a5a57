// Package reports is the reports service: a [Runner] that keeps the
// projections' ledger caught up with the store (catching up from its
// checkpoint, then following the recorder's notifications), and the HTTP
// endpoints that compute the reports from it in JSON or CSV.
package reports
