// Package natsjs is the [events.Store] on a NATS JetStream file stream: the
// embedded default of together serve, and the store of a NATS cluster when
// one machine is outgrown.
//
// Every stream of the event catalogue ("project-<id>", …) is one subject,
// "events.<stream>", of one JetStream stream (EVENTS by default), so the
// JetStream sequence is the global position. Each message is the JSON
// envelope; headers carry the event id (Nats-Msg-Id, for the server's
// duplicate window) and the stream version (so the version of a stream is
// known from its last message alone).
//
// Optimistic concurrency is JetStream's own: every append carries the
// expected last sequence of its subject, and the server refuses a stale
// one (error 10071, or 10164 on replicated streams). An append of several
// events is one atomic batch. A refused or ambiguous append is resolved by
// reading the stream back: if its event ids are already stored where they
// were meant to go, the append had landed and is reported as done.
//
// Reads leave nothing behind on the server: ReadStream and ReadAll use
// batched direct gets (one request answers up to a thousand messages),
// and only Subscribe has a consumer, one ordered consumer deleted when
// the subscription ends. A consumer per read would outlive the read and,
// under load, exhaust the server's limit of consumers per stream. A
// [Reader] reads the same way from another account, through the stream
// info and direct gets that account exports, and follows without a
// consumer, reading on at each announced append.
package natsjs
