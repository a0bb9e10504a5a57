// Package action defines the events of an action agreed from feedback or an
// engagement: its owner and due date, completion, dropping or rescheduling,
// and the communication of its outcome back to those who asked for it,
// which closes the loop ("you said, we did"). Streams are named
// "action-<id>".
package action
