// Package recorder is the one service that holds the event store. Command
// services, the reports service and the audit log reach the store only
// through it, over NATS request/reply (a nats.go micro service named
// "recorder"); [Client] is their side of that conversation and is itself an
// [events.Store], so the same conformance suite checks the whole path.
//
// Before appending, the recorder refuses any event the catalogue cannot
// decode, stamps the recorded time, and after the store has acknowledged
// the append it publishes the new head position on [SubjectAppended] so
// that readers wake up instead of polling.
package recorder
