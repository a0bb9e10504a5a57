// Package browse serves the read side of the API: lists and details of
// projects, engagements, feedback, actions and stakeholders, read from the
// ledger the reports runner folds, so that a client can find the ids its
// commands need without digging through the audit log.
//
// Every answer is computed from one version of the ledger, which never
// changes while it is read. Lists are paged in the order things were
// registered (which never changes), with a cursor that stays valid while
// new things are recorded. Like the reports, every read takes
// min_position (wait until a write is reflected) and as_of (the state as
// the system knew it at a past moment). Stakeholders are shown by id,
// roles and how they were recruited only: their personal data is sealed,
// and only the stakeholder service, which holds the keys, opens it.
package browse
