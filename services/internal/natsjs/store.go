package natsjs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/directget"
)

// errCodeNoSuitablePeers is JetStream's "no suitable peers for placement":
// too few cluster nodes are up, for now, to place the replicas.
const errCodeNoSuitablePeers jetstream.ErrorCode = 10005

// JetStream's codes for a message refused for want of storage (nats.go
// names none of them).
const (
	errCodeAccountResourcesExceeded jetstream.ErrorCode = 10002
	errCodeInsufficientResources    jetstream.ErrorCode = 10023
	errCodeStorageResourcesExceeded jetstream.ErrorCode = 10047
)

// DefaultStreamName is the JetStream stream that holds the events.
const DefaultStreamName = "EVENTS"

const (
	// defaultAPIPrefix is the JetStream API of the connection's own
	// account.
	defaultAPIPrefix = "$JS.API"
	subjectPrefix    = "events."
	// headerStreamVersion carries the event's version within its stream.
	headerStreamVersion = "Together-Stream-Version"
)

// Store is an [events.Store] on one JetStream stream. It is safe for
// concurrent use.
type Store struct {
	prefix   string
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	name     string
	replicas int
	timeout  time.Duration
	// get reads with batched direct gets, for ReadStream and ReadAll.
	get   *directget.Getter
	check func() error
	// async and tails serve AppendGroup.
	async asyncState
	tails tailCache
}

var _ events.Store = (*Store)(nil)

type options struct {
	prefix   string
	name     string
	replicas int
	timeout  time.Duration
	check    func() error
}

// Option configures [New].
type Option func(*options) error

// WithStreamName names the JetStream stream. Default [DefaultStreamName].
func WithStreamName(name string) Option {
	return func(o *options) error {
		if name == "" {
			return fmt.Errorf("%w: stream name is empty", events.ErrInvalidOption)
		}
		o.name = name
		return nil
	}
}

// WithSubjectPrefix sets the first token of the event subjects, so that
// several stores can share one NATS account. Default "events".
func WithSubjectPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" || strings.ContainsAny(prefix, ".*> ") {
			return fmt.Errorf("%w: subject prefix %q must be one token", events.ErrInvalidOption, prefix)
		}
		o.prefix = prefix + "."
		return nil
	}
}

// WithReplicas sets the stream's replica count: 1 on a single server, 3 or
// 5 on a cluster. Default 1.
func WithReplicas(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("%w: replicas must be 1 to 5", events.ErrInvalidOption)
		}
		o.replicas = n
		return nil
	}
}

// WithDefaultTimeout bounds each call to the server when ctx has no
// deadline. Default 10s.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout must be positive", events.ErrInvalidOption)
		}
		o.timeout = d
		return nil
	}
}

// WithStorageCheck makes Append ask check first and, while it returns an
// error, refuse at once with [events.ErrUnavailable] wrapping it. A server
// whose disk is full does not answer a publish at all, so without it
// every append waits out its timeout; the embedded server's watchdog
// (embednats.Server.Health) knows the cause.
func WithStorageCheck(check func() error) Option {
	return func(o *options) error {
		if check == nil {
			return fmt.Errorf("%w: storage check is nil", events.ErrInvalidOption)
		}
		o.check = check
		return nil
	}
}

// New creates the event stream on the server behind nc, or finds it and
// checks that it still guards the history, and returns a store on it. Options: [WithStreamName], [WithSubjectPrefix],
// [WithReplicas], [WithDefaultTimeout], [WithStorageCheck].
//
// The stream keeps everything forever and refuses deletes and purges: the
// history of record may only grow. An existing stream is never updated
// (the NATS users may not update streams at all); one whose settings no
// longer guard the history is refused with [ErrStreamSettings].
func New(ctx context.Context, nc *nats.Conn, opts ...Option) (*Store, error) {
	o := options{prefix: subjectPrefix, name: DefaultStreamName, replicas: 1, timeout: 10 * time.Second}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(o.timeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	cfg := jetstream.StreamConfig{
		Name:              o.name,
		Description:       "together: the history of record of every involvement event",
		Subjects:          []string{o.prefix + ">"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: -1,
		MaxAge:            0,
		// Should a limit ever be set, refuse new events rather than
		// silently dropping old history.
		Discard:            jetstream.DiscardNew,
		Duplicates:         2 * time.Minute,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		Replicas:           o.replicas,
	}
	// A cluster that is still forming, or re-electing after a node left,
	// answers "no responders" or "no suitable peers" for a moment: wait for
	// it as long as ctx allows.
	var s jetstream.Stream
	err = retry(ctx, func() (err error) {
		s, err = createOrVerify(ctx, js, cfg)
		return err
	}, func(err error) bool {
		var apiErr *jetstream.APIError
		return notAnswered(err) || errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeNoSuitablePeers
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", o.name, err)
	}
	return &Store{prefix: o.prefix, nc: nc, js: js, stream: s, name: o.name, replicas: o.replicas, timeout: o.timeout, get: directget.New(nc, defaultAPIPrefix, o.name), check: o.check}, nil
}

func (s *Store) subject(stream string) string { return s.prefix + stream }

// Head implements [events.Store].
func (s *Store) Head(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// withTimeout applies timeout when ctx has no deadline.
func withTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// isConflict reports whether err is JetStream refusing a stale expected
// sequence: 10071 on a single server, 10164 on a replicated stream.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// outOfSpace reports whether err is JetStream refusing a message for want
// of storage: 10023 when the server's file store has reached its limit
// (which nats-server sizes from the disk's free space), 10047 when no
// server has room for a stream, 10002 when the account's limit is reached.
func outOfSpace(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case errCodeInsufficientResources, errCodeStorageResourcesExceeded, errCodeAccountResourcesExceeded:
		return true
	}
	return false
}

// ErrStreamSettings is returned by [New] when the event stream exists with
// settings that no longer guard the history.
var ErrStreamSettings = errors.New("the event stream's settings do not guard the history")

// createOrVerify creates the stream, which succeeds too when it exists
// with exactly cfg. If it exists otherwise (say with another replica count
// or description), it is used as it is provided that what protects the
// history holds.
func createOrVerify(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.CreateStream(ctx, cfg)
	if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return s, err
	}
	if s, err = js.Stream(ctx, cfg.Name); err != nil {
		return nil, err
	}
	got := s.CachedInfo().Config
	var wrong []string
	check := func(ok bool, what string) {
		if !ok {
			wrong = append(wrong, what)
		}
	}
	check(slices.Equal(got.Subjects, cfg.Subjects), fmt.Sprintf("subjects %v, want %v", got.Subjects, cfg.Subjects))
	check(got.Storage == jetstream.FileStorage, "not on file storage")
	check(got.Retention == jetstream.LimitsPolicy, "retention is not limits")
	check(got.MaxMsgs <= 0 && got.MaxBytes <= 0 && got.MaxAge == 0 && got.MaxMsgsPerSubject <= 0, "a limit is set")
	check(got.Discard == jetstream.DiscardNew, "discards old messages")
	check(got.DenyDelete && got.DenyPurge, "allows deletes or purges")
	check(got.AllowDirect && got.AllowAtomicPublish, "direct gets or atomic batches are off")
	if len(wrong) > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrStreamSettings, cfg.Name, strings.Join(wrong, "; "))
	}
	return s, nil
}
