package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Service is the identity layer: API tokens, local accounts, browser
// sessions, OpenID Connect sign-in, the middleware that puts an
// [Identity] in each request's context, and the administration API.
// Every process that shares the same [Stores] sees the same identities.
// A Service is safe for concurrent use.
type Service struct {
	// state and sessions keep the records every request reads (tokens,
	// accounts, sessions) while [Service.WatchRecords] runs.
	state, sessions *keptKV
	dir             *Directory
	now             func() time.Time
	log             zerolog.Logger
	idle, lifetime  time.Duration
	secureCookies   bool
	hasher          *hasher
	maxFailures     int
	failureWindow   time.Duration
	oidc            *OIDC
	m               *metrics
	natsWorkers     int
	natsTimeout     time.Duration
	ready           chan struct{}
	readyOnce       sync.Once
	// dummyHash is verified against when a username is unknown, so that
	// a sign-in takes as long whether or not the account exists. It is
	// made on first use: a hash costs a noticeable fraction of a second,
	// which a command line tool need not pay.
	dummyHash func() (string, error)
}

// New returns a Service keeping its records in st. Options:
// [WithLogger], [WithClock], [WithSessionTimeouts], [WithSecureCookies],
// [WithPasswordParams], [WithSignInThrottle], [WithOIDC], [WithMetrics],
// and for [Service.ServeNATS] [WithNATSWorkers] and [WithNATSTimeout].
func New(st Stores, opts ...Option) (*Service, error) {
	if st.State == nil || st.Sessions == nil {
		return nil, fmt.Errorf("%w: both stores are required", ErrInvalidOption)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	s := &Service{
		state: newKeptKV(st.State, "tokens.", "users."), sessions: newKeptKV(st.Sessions, "sessions."),
		now: o.now, log: o.log, idle: o.idle, lifetime: o.lifetime, secureCookies: o.secureCookies,
		hasher: newHasher(o.password, o.hashers), maxFailures: o.maxFailures, failureWindow: o.failureWindow,
		oidc: o.oidc, m: newMetrics(o.reg),
		natsWorkers: o.natsWorkers, natsTimeout: o.natsTimeout, ready: make(chan struct{}),
	}
	s.dir = NewDirectory(s.state)
	s.dummyHash = sync.OnceValues(func() (string, error) {
		return s.hasher.hash(context.Background(), randomString(24))
	})
	return s, nil
}

func (s *Service) logger() *zerolog.Logger { return &s.log }

// WatchRecords keeps the records the service reads on every request (API
// tokens, browser sessions and the accounts behind them) between requests,
// from watches of the buckets, until ctx ends: while a record's watch is
// under way, a record read since it began is used again without reading
// it. A change made through this service (a revocation, a session ended,
// an account disabled) takes the record out before it returns; one made
// by another process (together token revoke --nats) as soon as the watch
// reports it. While no watch is under way (before it begins, after it
// breaks, on a bucket that cannot be watched) every request reads its
// records, as without it.
func (s *Service) WatchRecords(ctx context.Context) error {
	watched := func(prefix string, on bool) {
		g := s.m.recordsWatched.WithLabelValues(strings.TrimSuffix(prefix, "."))
		if on {
			g.Set(1)
		} else {
			g.Set(0)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.state.watch(ctx, &s.log, watched) })
	wg.Go(func() { s.sessions.watch(ctx, &s.log, watched) })
	wg.Wait()
	return nil
}

// Directory returns the directory of the identities this Service knows.
func (s *Service) Directory() *Directory { return s.dir }

// keyHash names a secret or a personal value in a bucket key: the key is
// its SHA-256, so neither the secret nor the value is readable from the
// bucket's key list, and any characters are allowed.
func keyHash(prefix, secret string) string {
	h := sha256.Sum256([]byte(secret))
	return prefix + hex.EncodeToString(h[:])
}

// getJSON reads a record.
func getJSON(ctx context.Context, kv KV, key string, v any) (uint64, error) {
	data, rev, err := kv.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := decodeRecord(key, data, v); err != nil {
		return 0, err
	}
	return rev, nil
}

// decodeRecord decodes data, the record stored under key, into v.
func decodeRecord(key string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	return nil
}

// updateJSON applies change to the record under key until it lands
// without a concurrent change in between.
func updateJSON[T any](ctx context.Context, kv KV, key string, change func(*T) error) (T, error) {
	for {
		var v T
		rev, err := getJSON(ctx, kv, key, &v)
		if err != nil {
			return v, err
		}
		if err := change(&v); err != nil {
			return v, err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return v, err
		}
		_, err = kv.Update(ctx, key, data, rev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return v, err
	}
}

// listJSON reads every record under prefix.
func listJSON[T any](ctx context.Context, kv KV, prefix string) ([]T, error) {
	values, err := kv.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(values))
	for _, data := range values {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("record under %s: %w", prefix, err)
		}
		out = append(out, v)
	}
	return out, nil
}
