// Package commandtest tests the decisions of together's command services
// given, when, then: given the events an aggregate's history holds (folded
// through the aggregate's own Fold), when a command is decided on that
// state, then exactly these events come out, or a rejection of this kind.
//
// Every event goes through the catalogue's registry on the way: a given
// history must be one the store would have accepted, and a decision must
// produce events the executor can encode. Tests written with it therefore
// cannot pass on payloads the real system would refuse.
package commandtest
