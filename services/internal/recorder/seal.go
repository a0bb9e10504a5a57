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
	if s.sealEvery <= 0 {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(s.sealInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.sealNow:
		case <-tick.C:
		}
		if err := s.seal(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("seal failed; will try again")
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
		for e, err := range s.store.ReadAll(ctx, next.through) {
			if err != nil {
				return fmt.Errorf("read for seal: %w", err)
			}
			next.chain = hashchain.Chain(next.chain, e.Hash)
			next.events++
			next.through = e.Position
		}
		if next.events == s.sealer.events {
			return nil // nothing new
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
		env := events.Envelope{ID: id, Type: typ, SchemaVersion: version, OccurredAt: s.now().UTC(), Actor: "recorder", CorrelationID: id.String(), Payload: data}
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
		s.log.Debug().Uint64("position", next.through).Uint64("events", next.events).Msg("sealed")
		return nil
	}
	return errors.New("the seal stream kept changing")
}

// loadSeal reads the last seal to continue the chain from it.
func (s *Service) loadSeal(ctx context.Context) error {
	st := sealer{loaded: true}
	for e, err := range s.store.ReadStream(ctx, seal.Stream, 1) {
		if errors.Is(err, events.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("read seals: %w", err)
		}
		p, err := s.registry.Decode(e)
		if err != nil {
			return fmt.Errorf("read seals: %w", err)
		}
		ls := p.(*seal.LedgerSealed)
		st.version, st.through, st.events, st.chain = e.StreamVersion, ls.ThroughPosition, ls.Events, ls.ChainHash
	}
	s.sealer = st
	return nil
}
