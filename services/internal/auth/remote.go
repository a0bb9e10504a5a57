package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/rs/zerolog"
)

// Remote authenticates requests in a process that does not keep the
// identities, by asking one that does ([Service.ServeNATS]) over NATS.
// Its [Remote.Authenticate] behaves exactly like [Service.Authenticate]:
// the same context values, the same 401 and 403 answers, the same CSRF
// check; a session's idle expiry is refreshed by the serving side. When
// no identities service answers in time, a request with credentials is
// answered 503 (one without passes on, as it would locally). A Remote is
// safe for concurrent use.
type Remote struct {
	nc            *nats.Conn
	timeout       time.Duration
	secureCookies bool
	log           zerolog.Logger
	m             *remoteMetrics
}

// NewRemote returns a Remote asking over nc. Options: [WithLogger],
// [WithMetrics], [WithSecureCookies] (as for the [Service], it marks the
// cookie that clears an expired session) and [WithNATSTimeout]; the
// others concern the keeping of identities and are ignored.
func NewRemote(nc *nats.Conn, opts ...Option) (*Remote, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: a remote authenticator needs a NATS connection", ErrInvalidOption)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Remote{nc: nc, timeout: o.natsTimeout, secureCookies: o.secureCookies, log: o.log, m: newRemoteMetrics(o.reg)}, nil
}

// Authenticate puts the identity of the request's credentials in its
// context, as [Service.Authenticate] does.
func (rm *Remote) Authenticate(next http.Handler) http.Handler { return authenticate(rm, next) }

// check asks the identities service. Its errors carry no secret.
func (rm *Remote) check(ctx context.Context, c credentials) (verdict, error) {
	start := time.Now()
	v, err := rm.ask(ctx, c)
	rm.m.duration.Observe(time.Since(start).Seconds())
	outcome := v.Outcome
	if err != nil {
		outcome = "error"
	}
	rm.m.checks.WithLabelValues(outcome).Inc()
	return v, err
}

func (rm *Remote) ask(ctx context.Context, c credentials) (verdict, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return verdict{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, rm.timeout)
	defer cancel()
	msg, err := rm.nc.RequestWithContext(ctx, SubjectAuthenticate, data)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return verdict{}, fmt.Errorf("ask the identities service: none is running: %w", err)
		}
		return verdict{}, fmt.Errorf("ask the identities service: %w", err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		return verdict{}, fmt.Errorf("the identities service answered %s: %s", code, msg.Header.Get(micro.ErrorHeader))
	}
	return decodeVerdict(msg.Data, c.Kind)
}

func (rm *Remote) refused(reason string) { rm.m.refusals.WithLabelValues(reason).Inc() }

func (rm *Remote) secure(r *http.Request) bool { return rm.secureCookies || r.TLS != nil }

func (rm *Remote) logger() *zerolog.Logger { return &rm.log }
