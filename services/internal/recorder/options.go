package recorder

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
)

// Option configures [New]. An option that cannot be applied makes New
// fail with an error wrapping [events.ErrInvalidOption].
type Option func(*options) error

type options struct {
	log          zerolog.Logger
	now          func() time.Time
	workers      int
	timeout      time.Duration
	sealEvery    int
	sealInterval time.Duration
	registerer   prometheus.Registerer
	storeName    string
	version      string
}

func defaultOptions() options {
	return options{
		log: zerolog.Nop(), now: time.Now, workers: 16, timeout: 30 * time.Second,
		sealEvery: 1000, sealInterval: time.Minute, storeName: "unnamed", version: buildVersion(),
	}
}

// WithLogger sets the logger every request's logger derives from.
// Default: no logging.
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithClock sets the clock that stamps recorded times. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", events.ErrInvalidOption)
		}
		o.now = now
		return nil
	}
}

// WithMetrics registers the recorder's metrics with reg, labelled with
// the store's name (jetstream, kurrentdb, memory), which $SRV.INFO also
// reports. Default: not registered, store "unnamed".
func WithMetrics(reg prometheus.Registerer, store string) Option {
	return func(o *options) error {
		if reg == nil || store == "" {
			return fmt.Errorf("%w: metrics need a registerer and a store name", events.ErrInvalidOption)
		}
		o.registerer, o.storeName = reg, store
		return nil
	}
}

// WithSeals sets how often the recorder seals the global order: after
// every events appended, and every interval if anything was appended since.
// every 0 turns sealing off (for tests that count events). Default 1000
// events or one minute.
func WithSeals(every int, interval time.Duration) Option {
	return func(o *options) error {
		if every < 0 || every > 0 && interval <= 0 {
			return fmt.Errorf("%w: seals every %d events and %s: want events >= 0 and, when sealing, an interval > 0", events.ErrInvalidOption, every, interval)
		}
		o.sealEvery, o.sealInterval = every, interval
		return nil
	}
}

// WithWorkers sets how many requests the recorder handles at once. Each
// worker is one instance of the micro service, with its own subscriptions
// and its own statistics in $SRV.STATS. Default 16.
func WithWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 256 {
			return fmt.Errorf("%w: %d workers: want 1 to 256", events.ErrInvalidOption, n)
		}
		o.workers = n
		return nil
	}
}

// WithRequestTimeout bounds how long one request may take, including the
// store's acknowledgement. Stopping waits at most this long for a request
// in flight. Default 30 seconds.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: request timeout %s: want > 0", events.ErrInvalidOption, d)
		}
		o.timeout = d
		return nil
	}
}

// WithVersion sets the version $SRV.INFO reports (semantic versioning).
// Default: the module version of the running binary, or 0.0.0-dev for a
// build from a working copy.
func WithVersion(v string) Option {
	return func(o *options) error {
		if v == "" {
			return fmt.Errorf("%w: empty version", events.ErrInvalidOption)
		}
		o.version = v
		return nil
	}
}

// buildVersion is the version Go stamped into the binary, without the "v"
// that micro's semantic-version check refuses.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && len(bi.Main.Version) > 1 && bi.Main.Version[0] == 'v' {
		return bi.Main.Version[1:]
	}
	return "0.0.0-dev"
}

// buildRevision is the VCS revision Go stamped into the binary, if any.
func buildRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
