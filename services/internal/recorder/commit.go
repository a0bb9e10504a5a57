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

// groupAppender is a store that appends to several streams at once, in
// the order given, each append succeeding or failing on its own (the
// JetStream store pipelines them: one round of acknowledgements instead
// of one per append). written[i] says the call stored evs[i] itself
// rather than finding an earlier try of it stored.
type groupAppender interface {
	AppendGroup(ctx context.Context, streams []string, expected []uint64, evs [][]events.Envelope) (results []events.AppendResult, errs []error, written []bool)
}

// runCommitter is the only goroutine that stamps, chains and appends. It
// takes every append waiting (up to maxGroup), at most one per stream,
// and commits them together; an append to a stream already in the group
// waits for the next one, since its expected version and previous hash
// depend on the first. It stops when stop is closed and nothing is left.
//
// Recorded times are stamped in the group's order and the store keeps that
// order, and a group is answered before the next one starts: recorded
// times never go backwards along the global order, so an as-of view is
// always a prefix of the log.
func (s *Service) runCommitter(stop <-chan struct{}) {
	defer close(s.committerDone)
	var carry []*commit
	for {
		batch := carry
		carry = nil
		if len(batch) == 0 {
			select {
			case c := <-s.commits:
				batch = append(batch, c)
			case <-stop:
				return
			}
		}
	drain:
		for len(batch) < maxGroup {
			select {
			case c := <-s.commits:
				batch = append(batch, c)
			default:
				break drain
			}
		}
		seen := make(map[string]bool, len(batch))
		group := make([]*commit, 0, len(batch))
		for _, c := range batch {
			if seen[c.stream] {
				carry = append(carry, c)
				continue
			}
			seen[c.stream] = true
			group = append(group, c)
		}
		s.commitGroup(group)
	}
}

// commitGroup stamps, chains and appends one group, and answers each
// append with its own result.
func (s *Service) commitGroup(group []*commit) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.timeout)
	defer cancel()
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
		return
	}
	s.metrics.groupSize.Observe(float64(len(ready)))
	results, errs, written := s.appendGroup(ctx, ready)
	appended := 0
	for i, c := range ready {
		if errs[i] != nil {
			// A conflict, or an outcome the store could not tell: read the
			// stream's tail afresh next time.
			delete(s.tails, c.stream)
			c.done <- commitResult{res: results[i], err: errs[i]}
			continue
		}
		if written[i] {
			if len(s.tails) >= maxTails {
				clear(s.tails)
			}
			s.tails[c.stream] = tail{version: results[i].StreamVersion, hash: c.evs[len(c.evs)-1].Hash}
		} else {
			// An earlier try's events, stamped then: only the store
			// knows their hash.
			delete(s.tails, c.stream)
		}
		note, _ := json.Marshal(Appended{Stream: c.stream, Position: results[i].Position})
		if err := s.nc.Publish(SubjectAppended, note); err != nil {
			zerolog.Ctx(c.ctx).Warn().Err(err).Msg("publish append notification")
		}
		appended += len(c.evs)
		c.done <- commitResult{res: results[i]}
	}
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

// appendGroup appends the group's appends, in order: all at once if the
// store can, one after the other otherwise. A store that cannot say
// whether it wrote an append or found it stored has nothing cached.
func (s *Service) appendGroup(ctx context.Context, group []*commit) ([]events.AppendResult, []error, []bool) {
	if ga, ok := s.store.(groupAppender); ok {
		streams := make([]string, len(group))
		expected := make([]uint64, len(group))
		evs := make([][]events.Envelope, len(group))
		for i, c := range group {
			streams[i], expected[i], evs[i] = c.stream, c.expected, c.evs
		}
		return ga.AppendGroup(ctx, streams, expected, evs)
	}
	results, errs := make([]events.AppendResult, len(group)), make([]error, len(group))
	for i, c := range group {
		results[i], errs[i] = s.store.Append(ctx, c.stream, c.expected, c.evs)
	}
	return results, errs, make([]bool, len(group))
}
