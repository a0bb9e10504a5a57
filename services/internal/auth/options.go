package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// ErrInvalidOption is returned by [New] for an option with a value it
// cannot use.
var ErrInvalidOption = errors.New("invalid option")

// Option configures a [Service].
type Option func(*options) error

type options struct {
	log            zerolog.Logger
	now            func() time.Time
	idle, lifetime time.Duration
	secureCookies  bool
	password       PasswordParams
	hashers        int
	maxFailures    int
	failureWindow  time.Duration
	oidc           *OIDC
	reg            prometheus.Registerer
	natsWorkers    int
	natsTimeout    time.Duration
}

func defaultOptions() options {
	return options{
		log:           zerolog.Nop(),
		now:           time.Now,
		idle:          30 * time.Minute,
		lifetime:      12 * time.Hour,
		password:      DefaultPasswordParams,
		hashers:       2,
		maxFailures:   5,
		failureWindow: 15 * time.Minute,
		natsWorkers:   4,
		natsTimeout:   5 * time.Second,
	}
}

// WithLogger sets the logger for sign-ins and administrative changes
// (identity ids only, never names or usernames). Default: none.
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithClock sets the clock sessions and throttles are measured by.
// Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithSessionTimeouts sets how long a browser session lasts without use
// (idle) and at most since sign-in (lifetime). Default 30 minutes and 12
// hours.
func WithSessionTimeouts(idle, lifetime time.Duration) Option {
	return func(o *options) error {
		if idle <= 0 || lifetime < idle || lifetime > sessionBucketTTL {
			return fmt.Errorf("%w: session timeouts want 0 < idle <= lifetime <= %s", ErrInvalidOption, sessionBucketTTL)
		}
		o.idle, o.lifetime = idle, lifetime
		return nil
	}
}

// WithSecureCookies marks cookies Secure even on plain HTTP requests, for
// a server behind a proxy that terminates TLS. Cookies on a request that
// arrived over TLS are Secure regardless. Default false.
func WithSecureCookies(secure bool) Option {
	return func(o *options) error { o.secureCookies = secure; return nil }
}

// WithPasswordParams sets the argon2id cost of new password hashes.
// Default [DefaultPasswordParams].
func WithPasswordParams(p PasswordParams) Option {
	return func(o *options) error {
		if p.Memory < 8 || p.Time < 1 || p.Threads < 1 {
			return fmt.Errorf("%w: argon2id wants memory >= 8 KiB, time >= 1, threads >= 1", ErrInvalidOption)
		}
		o.password = p
		return nil
	}
}

// WithSignInThrottle sets how many failed sign-ins a username may have
// within window before it is refused for the rest of that window.
// Default 5 in 15 minutes.
func WithSignInThrottle(maxFailures int, window time.Duration) Option {
	return func(o *options) error {
		if maxFailures < 1 || window <= 0 {
			return fmt.Errorf("%w: throttle wants maxFailures >= 1 and a positive window", ErrInvalidOption)
		}
		o.maxFailures, o.failureWindow = maxFailures, window
		return nil
	}
}

// WithOIDC enables sign-in through an OpenID Connect provider. Default
// none: the routes under /auth/oidc/ answer 404.
func WithOIDC(p *OIDC) Option {
	return func(o *options) error {
		if p == nil {
			return fmt.Errorf("%w: nil OIDC provider", ErrInvalidOption)
		}
		o.oidc = p
		return nil
	}
}

// WithMetrics registers the package's metrics with reg. Default none.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(o *options) error { o.reg = reg; return nil }
}

// WithNATSWorkers sets how many authenticate requests
// [Service.ServeNATS] answers at once. Default 4.
func WithNATSWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 256 {
			return fmt.Errorf("%w: NATS workers want 1 to 256", ErrInvalidOption)
		}
		o.natsWorkers = n
		return nil
	}
}

// WithNATSTimeout sets how long a [Remote] waits for the answer to an
// authenticate request, and how long [Service.ServeNATS] gives itself to
// register and to answer one. Default 5 seconds.
func WithNATSTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: NATS timeout must be positive", ErrInvalidOption)
		}
		o.natsTimeout = d
		return nil
	}
}
