// Package bench is the load tool behind together bench: it drives a
// running together over its HTTP API with the command mix of a programme
// at work (projects and their decisions, stakeholders registered, invited,
// answering and attending engagements, feedback, actions agreed, completed
// and fed back) from several concurrent clients, for a bounded time and
// count, and measures what the machine allows underneath — durable
// JetStream publishes and an ordered read on the same disk — so that every
// figure is printed next to its ceiling.
//
// It only talks to loopback addresses: it is for measuring a machine, not
// for loading someone else's server.
package bench
