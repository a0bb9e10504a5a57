package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
)

// maxGroup bounds how many appends one group commit takes: enough to keep
// the store busy through one round of acknowledgements, few enough that
// one group's wait stays short.
const maxGroup = 256

// maxTails bounds the committer's cache of streams' last hashes; past it,
// the cache starts again empty (a miss costs one read).
const maxTails = 100_000

// commit is one append waiting for the committer.
type commit struct {
	ctx      context.Context
	stream   string
	expected uint64
	evs      []events.Envelope
	queued   time.Time
	done     chan commitResult // buffered: the committer never waits on it
}

type commitResult struct {
	res events.AppendResult
	err error
}

// tail is what the committer knows of a stream's last event.
type tail struct {
	version uint64
	hash    string
}

// groupSender is a store that sends appends to several streams at once,
// in the order given, each succeeding or failing on its own, and lets the
// caller send more groups before it waits for the first one's
// acknowledgements (the JetStream store: the server is never left idle
// between groups). written[i] says the store wrote evs[i] itself rather
// than finding an earlier try of it stored.
type groupSender interface {
	SendGroup(ctx context.Context, streams []string, expected []uint64, evs [][]events.Envelope) (wait func() (results []events.AppendResult, errs []error, written []bool))
}

// maxInFlight bounds the groups sent and not yet acknowledged.
const maxInFlight = 4

// sentGroup is a group on its way to the store.
type sentGroup struct {
	group  []*commit
	wait   func() ([]events.AppendResult, []error, []bool)
	cancel context.CancelFunc
}

// ackedGroup is what the committer learns back of a group: the new tails
// of the streams it wrote, and which streams are free again.
type ackedGroup struct {
	streams []string
	tails   []tail
	known   []bool // tails[i] holds; otherwise the stream's tail must be read
}

// runCommitter is the only goroutine that stamps, chains and sends
// appends. It takes every append waiting (up to maxGroup), at most one per
// stream and none to a stream whose previous append is still in flight,
// since an append's expected version and previous hash depend on the one
// before; the others wait for a later group. Each group is sent behind the
// previous one without waiting for it (up to maxInFlight groups), and
// runAcker answers them in the order sent. It stops once stop is closed
// and nothing is left.
//
// Recorded times are stamped in the order sent and the store keeps that
// order, so recorded times never go backwards along the global order: an
// as-of view is always a prefix of the log.
func (s *Service) runCommitter(stop <-chan struct{}) {
	defer close(s.committerDone)
	sent := make(chan sentGroup, maxInFlight)
	acked := make(chan ackedGroup, maxInFlight)
	go s.runAcker(sent, acked)
	defer close(sent)
	busy := map[string]bool{}
	inFlight := 0
	var carry []*commit
	settle := func(a ackedGroup) {
		inFlight--
		for i, stream := range a.streams {
			delete(busy, stream)
			if !a.known[i] {
				delete(s.tails, stream)
				continue
			}
			if len(s.tails) >= maxTails {
				clear(s.tails)
			}
			s.tails[stream] = a.tails[i]
		}
	}
	stopping := false
	for {
		// Learn what was acknowledged, without waiting.
	learn:
		for {
			select {
			case a := <-acked:
				settle(a)
			default:
				break learn
			}
		}
		if inFlight == maxInFlight {
			settle(<-acked)
			continue
		}
	drain:
		for len(carry) < maxGroup {
			select {
			case c := <-s.commits:
				carry = append(carry, c)
			default:
				break drain
			}
		}
		var group, rest []*commit
		seen := map[string]bool{}
		for _, c := range carry {
			if busy[c.stream] || seen[c.stream] || len(group) == maxGroup {
				rest = append(rest, c)
				continue
			}
			seen[c.stream] = true
			group = append(group, c)
		}
		carry = rest
		if len(group) > 0 {
			if g, ok := s.sendGroup(group); ok {
				for _, c := range g.group {
					busy[c.stream] = true
				}
				inFlight++
				sent <- g
			}
			continue
		}
		if stopping && inFlight == 0 && len(carry) == 0 {
			return
		}
		var stopC <-chan struct{}
		if !stopping {
			stopC = stop
		}
		select {
		case c := <-s.commits:
			carry = append(carry, c)
		case a := <-acked:
			settle(a)
		case <-stopC:
			stopping = true
		}
	}
}

// sendGroup stamps and sends one group; appends that cannot be stamped are
// answered at once. It returns false if none is left to send.
func (s *Service) sendGroup(group []*commit) (sentGroup, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.timeout)
	ready := group[:0]
	for _, c := range group {
		s.metrics.queueWait.Observe(time.Since(c.queued).Seconds())
		if err := c.ctx.Err(); err != nil {
			c.done <- commitResult{err: fmt.Errorf("append to %s: %w", c.stream, err)}
			continue
		}
		if err := s.stamp(ctx, c); err != nil {
			c.done <- commitResult{err: err}
			continue
		}
		ready = append(ready, c)
	}
	if len(ready) == 0 {
		cancel()
		return sentGroup{}, false
	}
	s.metrics.groupSize.Observe(float64(len(ready)))
	return sentGroup{group: ready, wait: s.send(ctx, ready), cancel: cancel}, true
}

// runAcker waits for each sent group's acknowledgements, in the order
// sent, answers its appends and tells the committer what it learnt.
func (s *Service) runAcker(sent <-chan sentGroup, acked chan<- ackedGroup) {
	for g := range sent {
		results, errs, written := g.wait()
		g.cancel()
		a := ackedGroup{streams: make([]string, len(g.group)), tails: make([]tail, len(g.group)), known: make([]bool, len(g.group))}
		appended := 0
		for i, c := range g.group {
			a.streams[i] = c.stream
			if errs[i] != nil {
				// A conflict, or an outcome the store could not tell: the
				// tail is read afresh next time.
				c.done <- commitResult{res: results[i], err: errs[i]}
				continue
			}
			if written[i] {
				a.tails[i] = tail{version: results[i].StreamVersion, hash: c.evs[len(c.evs)-1].Hash}
				a.known[i] = true
			}
			// Otherwise an earlier try's events, stamped then, are stored:
			// only the store knows their hash.
			note, _ := json.Marshal(Appended{Stream: c.stream, Position: results[i].Position})
			if err := s.nc.Publish(SubjectAppended, note); err != nil {
				zerolog.Ctx(c.ctx).Warn().Err(err).Msg("publish append notification")
			}
			appended += len(c.evs)
			c.done <- commitResult{res: results[i]}
		}
		acked <- a
		s.appendMu.Lock()
		s.unsealed += appended
		due := s.opts.sealEvery > 0 && s.unsealed >= s.opts.sealEvery
		s.appendMu.Unlock()
		if due {
			select {
			case s.sealNow <- struct{}{}:
			default:
			}
		}
	}
}

// stamp sets the recorded time, stream, versions and hash chain on c's
// events. The previous hash comes from the cache when it knows the stream
// at the expected version, from the store otherwise.
func (s *Service) stamp(ctx context.Context, c *commit) error {
	prev := ""
	if t, ok := s.tails[c.stream]; ok && t.version == c.expected {
		prev = t.hash
	} else {
		h, err := s.lastHash(ctx, c.stream, c.expected)
		if err != nil {
			return err
		}
		prev = h
	}
	// One recorded time for the whole append: its events are one fact.
	now := s.recordedAt()
	for i := range c.evs {
		c.evs[i].RecordedAt = now
		c.evs[i].Stream = c.stream
		c.evs[i].StreamVersion = c.expected + uint64(i) + 1
		c.evs[i].OccurredAt = c.evs[i].OccurredAt.UTC()
	}
	return hashchain.Seal(prev, c.evs)
}

// send sends the group's appends, in order, and returns how to wait for
// them: all at once if the store can, one after the other (each waited
// for before the next) otherwise. A store that cannot say whether it
// wrote an append or found it stored has nothing cached.
func (s *Service) send(ctx context.Context, group []*commit) func() ([]events.AppendResult, []error, []bool) {
	streams := make([]string, len(group))
	expected := make([]uint64, len(group))
	evs := make([][]events.Envelope, len(group))
	for i, c := range group {
		streams[i], expected[i], evs[i] = c.stream, c.expected, c.evs
	}
	if gs, ok := s.store.(groupSender); ok {
		return gs.SendGroup(ctx, streams, expected, evs)
	}
	results, errs := make([]events.AppendResult, len(group)), make([]error, len(group))
	for i := range group {
		results[i], errs[i] = s.store.Append(ctx, streams[i], expected[i], evs[i])
	}
	written := make([]bool, len(group))
	return func() ([]events.AppendResult, []error, []bool) { return results, errs, written }
}
