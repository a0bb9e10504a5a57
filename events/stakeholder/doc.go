// Package stakeholder defines the events of a person involved in
// co-production: registration with their roles, demographics, support needs,
// consent, and erasure. Names, contacts and demographics are personal data
// and are stored only as [Sealed] ciphertext under a key held per
// stakeholder outside the event store: destroying that key erases the
// person while the rest of the history still replays. Streams are named
// "stakeholder-<id>".
package stakeholder
