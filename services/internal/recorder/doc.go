// Package recorder is the one service that holds the event store. Command
// services, the reports service and the audit log reach the store only
// through it, over NATS request/reply (a nats.go micro service named
// "recorder"); [Client] is their side of that conversation and is itself an
// [events.Store], so the same conformance suite checks the whole path.
// A service in the recorder's own process reaches it through [Local]
// instead: the same checks, stamps and group commit without the round trip
// through the NATS server; it passes the same suite.
//
// Before appending, the recorder refuses any event the catalogue cannot
// decode, stamps the recorded time, and after the store has acknowledged
// the append it publishes the new head position on [SubjectAppended] so
// that readers wake up instead of polling.
//
// Appends are group-committed: the workers that take requests hand them to
// one committer goroutine, which takes every append waiting (at most one
// per stream, none to a stream with an append still in flight), stamps
// their recorded times in order, chains each stream's hashes from a cache
// of the streams' last hashes, and sends the group to the store without
// waiting for the previous group's acknowledgements; an acker answers the
// groups in the order sent. Every append keeps its own expected version,
// conflict and idempotent retry, recorded times still rise along the
// global order, and nothing is answered before the store acknowledged it
// durably.
package recorder
