package keyring

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/together-coop/together/services/internal/microsvc"
)

// Ready is closed once [Keyring.ServeNATS] has registered the keys
// service with the NATS server, so that a request sent from then on is
// answered.
func (k *Keyring) Ready() <-chan struct{} { return k.ready }

// ServeNATS answers, on nc, the requests of [Remote]s in other processes
// as the micro service [ServiceName]: seal on [SubjectSeal], destroy on
// [SubjectDestroy], [WithNATSWorkers] requests at a time, until ctx ends.
// It closes [Keyring.Ready] once registered. Then it stops taking
// requests, lets those in flight finish and returns.
//
// What a remote may ask is less than what the Keyring does here. It may
// seal under a stakeholder's key or a record key (anonymous feedback's),
// and gets back only the sealed data. It may destroy a record key, never
// a person's: erasure is recorded and decided by the stakeholders
// service. It can never open sealed data or see a key. Anything else is
// refused with [ErrNotAllowed] on its side.
//
// The plaintext to seal crosses the bus: connect over TLS where the bus
// leaves the machine. It is never logged, nor is a key id; only the
// operation and the outcome are.
func (k *Keyring) ServeNATS(ctx context.Context, nc *nats.Conn) error {
	if nc == nil {
		return errors.New("keyring: the keys service needs a NATS connection")
	}
	g := &microsvc.Gate{}
	pool := microsvc.Pool{
		Config: micro.Config{
			Name:        ServiceName,
			Version:     "1.0.0",
			Description: "together keys: seals personal data for the other services, and shreds anonymous feedback",
			QueueGroup:  keysQueue,
		},
		Workers: k.workers,
		Endpoints: []microsvc.Endpoint{
			{Name: "seal", Subject: SubjectSeal, Handler: k.handler(g, "seal", k.serveSeal)},
			{Name: "destroy", Subject: SubjectDestroy, Handler: k.handler(g, "destroy", k.serveDestroy)},
		},
		Timeout: k.timeout,
	}
	err := microsvc.Serve(ctx, nc, pool, g, func() {
		k.readyOnce.Do(func() { close(k.ready) })
		k.log.Info().Int("workers", k.workers).Msg("keys service serving")
	})
	k.log.Info().Msg("keys service stopped")
	return err
}

// handler answers one request with handle, which returns the answer, or
// an error code and an error to tell the remote.
func (k *Keyring) handler(g *microsvc.Gate, op string, handle func(context.Context, []byte) ([]byte, string, error)) micro.HandlerFunc {
	return func(req micro.Request) {
		if !g.Enter() {
			k.served.requests.WithLabelValues(op, outcomeUnavailable).Inc()
			_ = req.Error(codeUnavailable, "the keys service is stopping; retry", nil)
			return
		}
		defer g.Leave()
		// A request in flight when the service stops is finished, not
		// abandoned.
		ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
		defer cancel()
		answer, code, err := handle(ctx, req.Data())
		k.served.requests.WithLabelValues(op, outcomeOfCode(code)).Inc()
		switch code {
		case "":
			if err := req.Respond(answer); err != nil {
				k.log.Warn().Err(err).Str("op", op).Msg("answering a keys request")
			}
			return
		case codeNotAllowed:
			// A process asked for more than its job needs: worth an
			// operator's look. The key id is left out, as everywhere.
			k.log.Warn().Str("op", op).Msg("refused a keys request another process is not allowed to make")
		case codeUnavailable:
			// The error names the key id, a pseudonymous id and never the
			// data; it is logged here because the remote only hears 503.
			k.log.Error().Err(err).Str("op", op).Msg("keys request failed")
		}
		_ = req.Error(code, errorText(code), nil)
	}
}

// errorText is what the remote hears with a code: fixed words, so that
// nothing of the request or the key stream travels back.
func errorText(code string) string {
	switch code {
	case codeMalformed:
		return "malformed keys request"
	case codeNotAllowed:
		return "not allowed to use this key over NATS"
	case codeDestroyed:
		return "the key was destroyed"
	}
	return "the key stream failed; retry"
}

func (k *Keyring) serveSeal(ctx context.Context, data []byte) ([]byte, string, error) {
	r, err := decodeSealRequest(data)
	if err != nil {
		return nil, codeMalformed, err
	}
	if !mayRemoteSeal(r.KeyID) {
		return nil, codeNotAllowed, nil
	}
	sealed, err := k.Seal(ctx, r.KeyID, r.Plaintext)
	clear(r.Plaintext)
	if errors.Is(err, ErrKeyDestroyed) {
		return nil, codeDestroyed, err
	}
	if err != nil {
		return nil, codeUnavailable, err
	}
	answer, err := json.Marshal(sealed)
	if err != nil {
		return nil, codeUnavailable, err
	}
	return answer, "", nil
}

func (k *Keyring) serveDestroy(ctx context.Context, data []byte) ([]byte, string, error) {
	r, err := decodeDestroyRequest(data)
	if err != nil {
		return nil, codeMalformed, err
	}
	if !mayRemoteDestroy(r.KeyID) {
		return nil, codeNotAllowed, nil
	}
	if err := k.Destroy(ctx, r.KeyID); err != nil {
		return nil, codeUnavailable, err
	}
	answer, err := json.Marshal(destroyAnswer{Destroyed: r.KeyID})
	if err != nil {
		return nil, codeUnavailable, err
	}
	return answer, "", nil
}
