package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/together-coop/together/services/internal/microsvc"
)

// The identities service: the process that keeps the identities answers,
// for the others, whom a request's credentials belong to.
const (
	// IdentitiesService is the micro service's name.
	IdentitiesService = "identities"
	// SubjectAuthenticate is where it answers authenticate requests.
	SubjectAuthenticate = "together.identities.authenticate"
	// identitiesQueue spreads requests over every worker of every
	// process that serves them.
	identitiesQueue = "identities"
)

// ErrMalformed is returned for an authenticate request or answer that
// does not decode to one this package would send.
var ErrMalformed = errors.New("malformed identities message")

// Kinds of credentials.
const (
	kindBearer  = "bearer"
	kindSession = "session"
)

// credentials are what an authenticate request carries: the secret that
// [authenticate] read from the HTTP request, and which kind it is. Only
// the secret crosses the bus: the CSRF check runs where the request is,
// in the same code for [Service] and [Remote], against the session's CSRF
// token that the verdict carries. So the request's body is read (for a
// form's csrf_token field) exactly when and as a local check reads it.
type credentials struct {
	Kind   string `json:"kind"`
	Secret string `json:"secret"`
}

// Outcomes of checking credentials.
const (
	// outcomeNone is a request without credentials; it is decided where
	// the request is and never crosses the bus.
	outcomeNone     = "none"
	outcomeOK       = "ok"
	outcomeBadToken = "bad_token"
	outcomeExpired  = "expired_session"
)

// verdict is the answer to credentials: their identity, and for a
// session its CSRF token; or why they give none.
type verdict struct {
	Outcome  string    `json:"outcome"`
	Identity *Identity `json:"identity,omitempty"`
	CSRF     string    `json:"csrf,omitempty"`
}

// maxRequestSize bounds an authenticate request, far above the longest
// valid one.
const maxRequestSize = 1 << 10

// maxVerdictSize bounds an answer: an identity's id and name are short.
const maxVerdictSize = 16 << 10

// decodeCredentials reads an authenticate request.
func decodeCredentials(data []byte) (credentials, error) {
	if len(data) > maxRequestSize {
		return credentials{}, fmt.Errorf("%w: request of %d bytes", ErrMalformed, len(data))
	}
	var c credentials
	if err := decodeStrict(data, &c); err != nil {
		return credentials{}, err
	}
	switch c.Kind {
	case kindBearer:
		if len(c.Secret) > maxTokenLen {
			return credentials{}, fmt.Errorf("%w: bearer token too long", ErrMalformed)
		}
	case kindSession:
		if c.Secret == "" || len(c.Secret) > maxSessionIDLen {
			return credentials{}, fmt.Errorf("%w: session id of %d bytes", ErrMalformed, len(c.Secret))
		}
	default:
		return credentials{}, fmt.Errorf("%w: credentials of kind %q", ErrMalformed, c.Kind)
	}
	return c, nil
}

// decodeVerdict reads the answer to credentials of the given kind.
func decodeVerdict(data []byte, kind string) (verdict, error) {
	if len(data) > maxVerdictSize {
		return verdict{}, fmt.Errorf("%w: answer of %d bytes", ErrMalformed, len(data))
	}
	var v verdict
	if err := decodeStrict(data, &v); err != nil {
		return verdict{}, err
	}
	switch v.Outcome {
	case outcomeOK:
		id := v.Identity
		if id == nil || id.ID == "" || (id.Kind != KindToken && id.Kind != KindUser && id.Kind != KindOIDC) {
			return verdict{}, fmt.Errorf("%w: an identity without id or kind", ErrMalformed)
		}
		if _, err := ParseRole(string(id.Role)); err != nil {
			return verdict{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if (kind == kindSession) != (v.CSRF != "") {
			return verdict{}, fmt.Errorf("%w: a CSRF token goes with a session, and only with one", ErrMalformed)
		}
	case outcomeBadToken, outcomeExpired:
		if v.Identity != nil || v.CSRF != "" {
			return verdict{}, fmt.Errorf("%w: a refusal with an identity", ErrMalformed)
		}
		if (v.Outcome == outcomeBadToken) != (kind == kindBearer) {
			return verdict{}, fmt.Errorf("%w: outcome %s for credentials of kind %s", ErrMalformed, v.Outcome, kind)
		}
	default:
		return verdict{}, fmt.Errorf("%w: outcome %q", ErrMalformed, v.Outcome)
	}
	return v, nil
}

// decodeStrict decodes one JSON object, refusing unknown fields and
// anything after it: both sides are built from the same code.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the object", ErrMalformed)
	}
	return nil
}

// Ready is closed once [Service.ServeNATS] has registered the identities
// service with the NATS server, so that a request sent from then on is
// answered.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// ServeNATS answers, on nc, the authenticate requests of [Remote]s in
// other processes as the micro service [IdentitiesService] on
// [SubjectAuthenticate], with [WithNATSWorkers] requests at a time, until
// ctx ends. It closes [Service.Ready] once registered. Then it stops
// taking requests, lets those in flight finish and returns.
//
// The answer is exactly what [Service.Authenticate] decides from the
// same credentials, refreshing a session's idle expiry here. Neither the
// secrets nor the identities are logged.
func (s *Service) ServeNATS(ctx context.Context, nc *nats.Conn) error {
	if nc == nil {
		return fmt.Errorf("%w: the identities service needs a NATS connection", ErrInvalidOption)
	}
	g := &microsvc.Gate{}
	pool := microsvc.Pool{
		Config: micro.Config{
			Name:        IdentitiesService,
			Version:     "1.0.0",
			Description: "together identities: whom a request's credentials belong to",
			QueueGroup:  identitiesQueue,
		},
		Workers:   s.natsWorkers,
		Endpoints: []microsvc.Endpoint{{Name: "authenticate", Subject: SubjectAuthenticate, Handler: micro.HandlerFunc(s.handleAuthenticate(g))}},
		Timeout:   s.natsTimeout,
	}
	err := microsvc.Serve(ctx, nc, pool, g, func() {
		s.readyOnce.Do(func() { close(s.ready) })
		s.log.Info().Int("workers", s.natsWorkers).Msg("identities service serving")
	})
	s.log.Info().Msg("identities service stopped")
	return err
}

func (s *Service) handleAuthenticate(g *microsvc.Gate) func(micro.Request) {
	return func(req micro.Request) {
		if !g.Enter() {
			_ = req.Error("503", "the identities service is stopping; retry", nil)
			return
		}
		defer g.Leave()
		c, err := decodeCredentials(req.Data())
		if err != nil {
			_ = req.Error("400", "malformed authenticate request", nil)
			return
		}
		// A request in flight when the service stops is finished, not
		// abandoned.
		ctx, cancel := context.WithTimeout(context.Background(), s.natsTimeout)
		defer cancel()
		v, err := s.check(ctx, c)
		if err != nil {
			// The error names bucket keys, which are hashes or token ids,
			// never a secret.
			s.log.Error().Err(err).Str("kind", c.Kind).Msg("checking credentials for another process")
			_ = req.Error("503", "identities cannot be checked just now", nil)
			return
		}
		if err := req.RespondJSON(v); err != nil {
			s.log.Warn().Err(err).Msg("answering an authenticate request")
		}
	}
}
