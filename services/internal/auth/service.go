package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	state, sessions KV
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
	// tokens keeps tokens' records while [Service.WatchTokens] runs.
	tokens tokenCache
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
		state: st.State, sessions: st.Sessions, dir: NewDirectory(st.State),
		now: o.now, log: o.log, idle: o.idle, lifetime: o.lifetime, secureCookies: o.secureCookies,
		hasher: newHasher(o.password, o.hashers), maxFailures: o.maxFailures, failureWindow: o.failureWindow,
		oidc: o.oidc, m: newMetrics(o.reg),
		natsWorkers: o.natsWorkers, natsTimeout: o.natsTimeout, ready: make(chan struct{}),
	}
	s.dummyHash = sync.OnceValues(func() (string, error) {
		return s.hasher.hash(context.Background(), randomString(24))
	})
	return s, nil
}

func (s *Service) logger() *zerolog.Logger { return &s.log }

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
