// Package projections turns the event history into read models. It is pure:
// events in, reports out, with no I/O and no clock of its own.
package projections
