// Package actions is the command service for actions agreed from feedback
// or engagements: their owner and due date, completion, dropping or
// rescheduling, and the communication of the outcome that closes the loop.
package actions
