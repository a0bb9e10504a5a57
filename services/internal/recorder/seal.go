package recorder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/hashchain"
	"github.com/together-coop/together/events/seal"
)

// sealer is where the last seal left the global chain.
type sealer struct {
	loaded  bool
	version uint64 // of the seal stream
	through uint64
	events  uint64
	chain   string
}

func (s *Service) runSealer(ctx context.Context) {
	if s.opts.sealEvery <= 0 {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(s.opts.sealInterval)
	defer tick.Stop()
	// After a failure, wait before trying again however many events ask
	// for a seal meanwhile, and say so once rather than on every try.
	var retry <-chan time.Time
	pause, failing := time.Second, false
	for {
		sealNow := s.sealNow
		if retry != nil {
			sealNow = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-sealNow:
		case <-tick.C:
		case <-retry:
		}
		err := s.seal(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				s.opts.log.Warn().Err(err).Msg("seal failed; trying again")
			}
			s.metrics.sealFailures.Inc()
			failing = true
			retry = time.After(pause)
			pause = min(2*pause, s.opts.sealInterval)
		case failing:
			s.opts.log.Info().Msg("sealing again")
			failing, retry, pause = false, nil, time.Second
		}
	}
}

// seal folds the events appended since the last seal into the chain and
// appends a seal over them. The seal stream's expected version keeps two
// recorders from sealing the same stretch twice.
func (s *Service) seal(ctx context.Context) error {
	for attempt := 0; attempt < 3; attempt++ {
		if !s.sealer.loaded {
			if err := s.loadSeal(ctx); err != nil {
				return err
			}
		}
		next := s.sealer
		facts := 0
		for e, err := range s.store.ReadAll(ctx, next.through) {
			if err != nil {
				return fmt.Errorf("read for seal: %w", err)
			}
			next.chain = hashchain.Chain(next.chain, e.Hash)
			next.events++
			next.through = e.Position
			if e.Type != seal.TypeLedgerSealed {
				facts++
			}
		}
		if facts == 0 {
			// Nothing new but seals: sealing them would append a seal a
			// minute to an idle history, and one at every restart. The
			// next seal folds them in.
			return nil
		}
		id, err := events.NewEventID()
		if err != nil {
			return err
		}
		p := &seal.LedgerSealed{ThroughPosition: next.through, Events: next.events, ChainHash: next.chain}
		typ, version, data, err := s.registry.Encode(p)
		if err != nil {
			return err
		}
		env := events.Envelope{ID: id, Type: typ, SchemaVersion: version, OccurredAt: s.opts.now().UTC(), Actor: "recorder", CorrelationID: id.String(), Payload: data}
		res, err := s.append(ctx, seal.Stream, s.sealer.version, []events.Envelope{env})
		if errors.Is(err, events.ErrWrongExpectedVersion) {
			s.sealer.loaded = false // another recorder sealed: start from its seal
			continue
		}
		if err != nil {
			return fmt.Errorf("append seal: %w", err)
		}
		next.version = res.StreamVersion
		s.sealer = next
		s.appendMu.Lock()
		s.unsealed = 0
		s.appendMu.Unlock()
		s.opts.log.Debug().Uint64("position", next.through).Uint64("events", next.events).Msg("sealed")
		return nil
	}
	return errors.New("the seal stream kept changing")
}

// loadSeal reads the last seal to continue the chain from it.
func (s *Service) loadSeal(ctx context.Context) error {
	st := sealer{loaded: true}
	e, found, err := s.lastSeal(ctx)
	if err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	if found {
		p, err := s.registry.Decode(e)
		if err != nil {
			return fmt.Errorf("read seals: %w", err)
		}
		ls, ok := p.(*seal.LedgerSealed)
		if !ok {
			return fmt.Errorf("read seals: event %s of the seal stream is a %s", e.ID, e.Type)
		}
		st.version, st.through, st.events, st.chain = e.StreamVersion, ls.ThroughPosition, ls.Events, ls.ChainHash
	}
	s.sealer = st
	return nil
}

// lastReader is a store that reads a stream's last event in one lookup.
// On JetStream the seals lie one in every block of the history, and
// reading them all, as a store without it must, loads the whole history
// from disk (and, at a million events, a gigabyte of blocks into memory).
type lastReader interface {
	ReadLast(ctx context.Context, stream string) (events.Envelope, error)
}

// lastSeal returns the last event of the seal stream; found is false if
// there is none.
func (s *Service) lastSeal(ctx context.Context) (last events.Envelope, found bool, err error) {
	if lr, ok := s.store.(lastReader); ok {
		last, err = lr.ReadLast(ctx, seal.Stream)
		if errors.Is(err, events.ErrStreamNotFound) {
			return events.Envelope{}, false, nil
		}
		return last, err == nil, err
	}
	for e, err := range s.store.ReadStream(ctx, seal.Stream, 1) {
		if errors.Is(err, events.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return events.Envelope{}, false, err
		}
		last, found = e, true
	}
	return last, found, nil
}
