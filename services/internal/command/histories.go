package command

import (
	"container/list"
	"sync"
)

// DefaultKeptEvents bounds the events an executor keeps decoded: about a
// kilobyte each, two megabytes at most for each command service: enough
// for the streams of the workshops being recorded at once.
const DefaultKeptEvents = 2_000

// histories keeps the decoded histories of the streams commands used
// last, so that loading one again reads and decodes only what was
// appended since. An event never changes once recorded and a stream
// never loses one, so a history read once stays a true prefix of its
// stream; the store's expected-version check still guards every append.
// The stream used longest ago goes first when the bound is passed.
type histories struct {
	mu     sync.Mutex
	max    int
	held   int
	byName map[string]*list.Element
	order  *list.List // of *kept, most recently used first
}

// history is what is kept of a stream: its first read events as the store
// answered them, then the events this executor appended after those, as
// it sent them, until a load reads them back. Those carry none of the
// store's stamps (position, recorded time, hashes): decisions are made on
// them, and only loads answer with events, which read them back.
type history struct {
	recs []Recorded
	read int
}

// readBack returns the events of h the store answered.
func (h history) readBack() []Recorded { return h.recs[:h.read:h.read] }

type kept struct {
	stream string
	history
}

func newHistories(max int) *histories {
	return &histories{max: max, byName: map[string]*list.Element{}, order: list.New()}
}

// get returns what is kept of stream, nothing if nothing is. Its events'
// length is their capacity, so a caller's append copies rather than
// writes into a slice other callers read.
func (h *histories) get(stream string) history {
	h.mu.Lock()
	defer h.mu.Unlock()
	el, ok := h.byName[stream]
	if !ok {
		return history{}
	}
	h.order.MoveToFront(el)
	k := el.Value.(*kept)
	return history{recs: k.recs[:len(k.recs):len(k.recs)], read: k.read}
}

// put keeps recs, a history read from the store, as stream's unless a
// longer one is kept: two loads at once each bring a true prefix, and the
// longer is the newer; of two as long, the one read back.
func (h *histories) put(stream string, recs []Recorded) {
	h.keep(stream, history{recs: recs, read: len(recs)})
}

// appended keeps as stream's history on, the history a command was decided
// on, followed by recs, what the command appended to it, unless a longer
// one is kept: that one was read or decided on after the append.
func (h *histories) appended(stream string, on history, recs []Recorded) {
	h.keep(stream, history{recs: append(on.recs[:len(on.recs):len(on.recs)], recs...), read: on.read})
}

func (h *histories) keep(stream string, hist history) {
	if len(hist.recs) == 0 || len(hist.recs) > h.max {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if el, ok := h.byName[stream]; ok {
		k := el.Value.(*kept)
		h.order.MoveToFront(el)
		if len(k.recs) > len(hist.recs) || len(k.recs) == len(hist.recs) && k.read >= hist.read {
			return
		}
		h.held += len(hist.recs) - len(k.recs)
		k.history = hist
	} else {
		h.byName[stream] = h.order.PushFront(&kept{stream: stream, history: hist})
		h.held += len(hist.recs)
	}
	for h.held > h.max {
		h.drop(h.order.Back())
	}
}

// forget drops what is kept of stream.
func (h *histories) forget(stream string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if el, ok := h.byName[stream]; ok {
		h.drop(el)
	}
}

func (h *histories) drop(el *list.Element) {
	k := h.order.Remove(el).(*kept)
	delete(h.byName, k.stream)
	h.held -= len(k.recs)
}
