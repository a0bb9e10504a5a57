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

type kept struct {
	stream string
	recs   []Recorded
}

func newHistories(max int) *histories {
	return &histories{max: max, byName: map[string]*list.Element{}, order: list.New()}
}

// get returns what is kept of stream, nil if nothing. Its length is its
// capacity, so a caller's append copies rather than writes into a slice
// other callers read.
func (h *histories) get(stream string) []Recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	el, ok := h.byName[stream]
	if !ok {
		return nil
	}
	h.order.MoveToFront(el)
	recs := el.Value.(*kept).recs
	return recs[:len(recs):len(recs)]
}

// put keeps recs as stream's history unless a longer one is kept: two
// loads at once each bring a true prefix, and the longer is the newer.
func (h *histories) put(stream string, recs []Recorded) {
	if len(recs) == 0 || len(recs) > h.max {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if el, ok := h.byName[stream]; ok {
		k := el.Value.(*kept)
		h.order.MoveToFront(el)
		if len(k.recs) >= len(recs) {
			return
		}
		h.held += len(recs) - len(k.recs)
		k.recs = recs
	} else {
		h.byName[stream] = h.order.PushFront(&kept{stream: stream, recs: recs})
		h.held += len(recs)
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
