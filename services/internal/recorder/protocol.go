package recorder

import (
	"time"

	"github.com/together-coop/together/events"
)

// Subjects of the recorder service. They are API: renaming one breaks
// every running client.
const (
	ServiceName        = "recorder"
	subjectGroup       = "together.recorder"
	SubjectAppend      = subjectGroup + ".append"
	SubjectReadStream  = subjectGroup + ".read_stream"
	SubjectReadAll     = subjectGroup + ".read_all"
	SubjectHead        = subjectGroup + ".head"
	SubjectAppended    = "together.appended"
	queueGroup         = "recorder"
	maxReplyBytes      = 512 << 10 // well under NATS's default 1 MiB message limit
	defaultPageEvents  = 1000
	errorCodeInvalid   = "400"
	errorCodeNotFound  = "404"
	errorCodeConflict  = "409"
	errorCodeTooLarge  = "413"
	errorCodeStore     = "503"
	errorCodeMalformed = "422"
)

// HeaderCorrelationID carries the request's correlation id to the
// recorder, for its logs; the id itself is stored in each envelope.
const HeaderCorrelationID = "X-Correlation-Id"

type appendRequest struct {
	Stream          string            `json:"stream"`
	ExpectedVersion uint64            `json:"expected_version"`
	Events          []events.Envelope `json:"events"`
}

// unreadableDetail is where a read met a message that is not an event.
type unreadableDetail struct {
	Position uint64 `json:"unreadable_position"`
}

type conflictDetail struct {
	Expected uint64 `json:"expected"`
	Actual   uint64 `json:"actual"`
}

type readStreamRequest struct {
	Stream      string `json:"stream"`
	FromVersion uint64 `json:"from_version"`
}

type readAllRequest struct {
	After uint64 `json:"after"`
	Limit int    `json:"limit"`
	// Types, when given, keeps only the events of those types: the
	// recorder reads the history where it is kept and sends only what
	// matches, a page at most every maxScanEvents events read.
	Types []string `json:"types,omitempty"`
}

// page is one reply of a read: events in order, and whether more follow.
type page struct {
	Events []events.Envelope `json:"events"`
	More   bool              `json:"more"`
	// Through is the last position a read of some types looked at, so
	// that the next page starts after it.
	Through uint64 `json:"through,omitempty"`
}

// maxScanEvents and maxScanTime bound how much one read of some types
// looks at before it answers, so that a page comes well within a
// request's timeout however few events match; maxReadTypes bounds the
// types one read may ask for.
const (
	maxScanEvents = 100_000
	maxScanTime   = 2 * time.Second
	maxReadTypes  = 16
)

type headReply struct {
	Position uint64 `json:"position"`
}

// Appended is the notification published after every append.
type Appended struct {
	Stream   string `json:"stream"`
	Position uint64 `json:"position"`
}
