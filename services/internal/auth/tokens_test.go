package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/services/internal/auth"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	st := auth.MemoryStores()
	s, err := auth.New(st, auth.WithClock(c.Now), auth.WithPasswordParams(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.CreateToken(ctx, " nightly export ", auth.Auditor, "user:admin")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "nightly export" || tok.Role != auth.Auditor || tok.CreatedBy != "user:admin" || !tok.CreatedAt.Equal(c.Now()) || tok.RevokedAt != nil {
		t.Errorf("CreateToken = %+v", tok)
	}
	// together_<32 hex>_<43 base64url characters = 32 random bytes>
	parts := strings.SplitN(secret, "_", 3)
	if len(parts) != 3 || parts[0] != "together" || len(parts[1]) != 32 {
		t.Fatalf("secret %q is not together_<id>_<random>", secret)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || len(raw) < 32 {
		t.Errorf("the random part has %d bytes (%v), want at least 32", len(raw), err)
	}

	id, err := s.VerifyToken(ctx, secret)
	want := auth.Identity{ID: "token:" + tok.ID, Name: "nightly export", Role: auth.Auditor, Kind: auth.KindToken}
	if err != nil || id != want {
		t.Errorf("VerifyToken = %+v, %v, want %+v", id, err, want)
	}
	for _, bad := range []string{"", "together_", secret + "x", secret[:len(secret)-1], strings.Replace(secret, parts[1], strings.Repeat("0", 32), 1)} {
		if _, err := s.VerifyToken(ctx, bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("VerifyToken(%q) error = %v, want ErrInvalidToken", bad, err)
		}
	}

	// Only the hash is at rest.
	values, _ := st.State.List(ctx, "tokens.")
	if len(values) != 1 || strings.Contains(string(values[0]), parts[2]) {
		t.Errorf("the stored token %s holds its secret", values)
	}

	c.Advance(time.Hour)
	revoked, err := s.RevokeToken(ctx, tok.ID, "user:admin")
	if err != nil || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(c.Now()) {
		t.Fatalf("RevokeToken = %+v, %v", revoked, err)
	}
	if _, err := s.VerifyToken(ctx, secret); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("VerifyToken after revoke: %v, want ErrRevoked", err)
	}
	c.Advance(time.Hour)
	again, err := s.RevokeToken(ctx, tok.ID, "user:admin")
	if err != nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("a second revoke changed the revocation time: %v, %v", again.RevokedAt, err)
	}
	if _, err := s.RevokeToken(ctx, "00000000-0000-0000-0000-000000000000", "x"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoking an unknown token: %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeToken(ctx, "../etc", "x"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoking a malformed id: %v, want ErrNotFound", err)
	}

	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].RevokedAt == nil {
		t.Errorf("ListTokens = %+v, %v", list, err)
	}
	for _, tt := range []struct {
		name string
		role auth.Role
	}{{"", auth.Viewer}, {"x", "root"}, {strings.Repeat("n", 101), auth.Viewer}} {
		if _, _, err := s.CreateToken(ctx, tt.name, tt.role, "x"); !errors.Is(err, auth.ErrInvalidInput) {
			t.Errorf("CreateToken(%q, %q) error = %v, want ErrInvalidInput", tt.name, tt.role, err)
		}
	}
}

// laggingKV is a MemoryKV that counts its reads and whose watches report
// changes only when deliver is called: a watch that lags, as one across
// processes does.
type laggingKV struct {
	*auth.MemoryKV
	gets atomic.Int64

	mu      sync.Mutex
	held    []string
	changed map[string]func(key string) // by prefix
}

func newLaggingKV() *laggingKV {
	return &laggingKV{MemoryKV: auth.NewMemoryKV(), changed: map[string]func(string){}}
}

func (l *laggingKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	l.gets.Add(1)
	return l.MemoryKV.Get(ctx, key)
}

func (l *laggingKV) Watch(ctx context.Context, prefix string, began func(), changed func(key string)) error {
	l.mu.Lock()
	l.changed[prefix] = changed
	l.mu.Unlock()
	return l.MemoryKV.Watch(ctx, prefix, began, func(key string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.held = append(l.held, key)
	})
}

// deliver reports the changes the watches held back.
func (l *laggingKV) deliver() {
	l.mu.Lock()
	held := l.held
	l.held = nil
	changed := maps.Clone(l.changed)
	l.mu.Unlock()
	for _, key := range held {
		for prefix, f := range changed {
			if strings.HasPrefix(key, prefix) {
				f(key)
			}
		}
	}
}

// reads returns how many times l was read while f ran.
func (l *laggingKV) reads(f func()) int64 {
	before := l.gets.Load()
	f()
	return l.gets.Load() - before
}

// While the tokens are watched, a token's record read once serves the
// requests after it; a revocation through the same service holds from the
// next request whatever the watch's lag, one through another (another
// process on the same buckets) once the watch reports it; and without a
// watch every request reads its record.
func TestTokensKeptWhileWatched(t *testing.T) {
	ctx := context.Background()
	state := newLaggingKV()
	st := auth.Stores{State: state, Sessions: auth.NewMemoryKV()}
	reg := prometheus.NewRegistry()
	s, err := auth.New(st, auth.WithMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	other, err := auth.New(st)
	if err != nil {
		t.Fatal(err)
	}
	reads := state.reads
	verifier := func(secret string, want error) func() {
		return func() {
			t.Helper()
			if _, err := s.VerifyToken(ctx, secret); !errors.Is(err, want) {
				t.Fatalf("VerifyToken: %v, want %v", err, want)
			}
		}
	}
	first, firstSecret, err := s.CreateToken(ctx, "first", auth.Viewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	if n := reads(func() { verifier(firstSecret, nil)(); verifier(firstSecret, nil)() }); n != 2 {
		t.Errorf("two requests before any watch read the record %d times, want 2", n)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() { watched <- s.WatchRecords(watchCtx) }()
	waitUntil(t, "the watch begins", func() bool { return watchedGauge(t, reg, "tokens") == 1 })
	if n := reads(func() { verifier(firstSecret, nil)() }); n != 1 {
		t.Errorf("the first request once watched read the record %d times, want 1", n)
	}
	if n := reads(func() {
		for range 10 {
			verifier(firstSecret, nil)()
		}
	}); n != 0 {
		t.Errorf("ten more requests read the record %d times, want 0", n)
	}
	if n := reads(func() { verifier(firstSecret+"x", auth.ErrInvalidToken)() }); n != 0 {
		t.Errorf("a wrong secret for a kept token read its record %d times, want 0 (the hash is kept)", n)
	}

	// Revoked here: refused at once, though the watch has not reported it.
	if _, err := s.RevokeToken(ctx, first.ID, "test"); err != nil {
		t.Fatal(err)
	}
	verifier(firstSecret, auth.ErrRevoked)()
	state.deliver()

	// Revoked by another process: refused once the watch reports it.
	second, secondSecret, err := other.CreateToken(ctx, "second", auth.Recorder, "test")
	if err != nil {
		t.Fatal(err)
	}
	state.deliver()
	verifier(secondSecret, nil)()
	if n := reads(verifier(secondSecret, nil)); n != 0 {
		t.Errorf("the second token's record read again: %d", n)
	}
	if _, err := other.RevokeToken(ctx, second.ID, "test"); err != nil {
		t.Fatal(err)
	}
	state.deliver()
	verifier(secondSecret, auth.ErrRevoked)()

	// Without a watch, every request reads again.
	stopWatch()
	if err := <-watched; err != nil {
		t.Errorf("WatchRecords ended with %v, want nil", err)
	}
	if g := watchedGauge(t, reg, "tokens"); g != 0 {
		t.Errorf("together_auth_records_watched{records=tokens} = %v after the watch ended, want 0", g)
	}
	_, thirdSecret, err := s.CreateToken(ctx, "third", auth.Viewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	if n := reads(func() { verifier(thirdSecret, nil)(); verifier(thirdSecret, nil)() }); n != 2 {
		t.Errorf("two requests after the watch ended read the record %d times, want 2", n)
	}
}

// While the sessions and accounts are watched, a signed-in browser's
// session and account read once serve the requests after it; an account
// disabled by another process is refused once the watch reports it, and a
// session ended here from the next request whatever the watch's lag.
func TestSessionsKeptWhileWatched(t *testing.T) {
	ctx := context.Background()
	state, sessions := newLaggingKV(), newLaggingKV()
	st := auth.Stores{State: state, Sessions: sessions}
	reg := prometheus.NewRegistry()
	cheap := auth.WithPasswordParams(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1})
	s, err := auth.New(st, auth.WithMetrics(reg), cheap)
	if err != nil {
		t.Fatal(err)
	}
	other, err := auth.New(st, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser(ctx, "sarah", "Sarah", auth.Viewer, password, "test"); err != nil {
		t.Fatal(err)
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() { _ = s.WatchRecords(watchCtx) }()
	waitUntil(t, "the watches begin", func() bool {
		return watchedGauge(t, reg, "sessions") == 1 && watchedGauge(t, reg, "users") == 1
	})
	reads := func(f func()) int64 {
		before := state.gets.Load() + sessions.gets.Load()
		f()
		return state.gets.Load() + sessions.gets.Load() - before
	}
	request := func(b *browser, want int) {
		t.Helper()
		if code, body, _ := b.do(http.MethodGet, "/api/v1/reports/participation", nil, nil); code != want {
			t.Fatalf("a request = %d %s, want %d", code, body, want)
		}
	}
	b := newBrowser(t, handler(s))
	if code := b.signIn("sarah", password); code != http.StatusSeeOther {
		t.Fatalf("sign in = %d", code)
	}
	request(b, http.StatusOK)
	if n := reads(func() {
		for range 10 {
			request(b, http.StatusOK)
		}
	}); n != 0 {
		t.Errorf("ten requests of a session kept read %d records, want 0", n)
	}

	// Disabled by another process: refused once the watch reports it.
	if _, err := other.DisableUser(ctx, "sarah", "test"); err != nil {
		t.Fatal(err)
	}
	state.deliver()
	request(b, http.StatusUnauthorized)

	// Enabled again (with a new password) by the other process, signed in
	// afresh; then signed out here: the session's cookie is refused at
	// once, though the watch has not reported its end.
	if _, err := other.ResetPassword(ctx, "sarah", password+"!", "test"); err != nil {
		t.Fatal(err)
	}
	state.deliver()
	sessions.deliver()
	b = newBrowser(t, handler(s))
	if code := b.signIn("sarah", password+"!"); code != http.StatusSeeOther {
		t.Fatalf("sign in again = %d", code)
	}
	request(b, http.StatusOK)
	request(b, http.StatusOK)
	var cookie string
	for _, c := range b.c.Jar.Cookies(mustParse(t, b.srv.URL)) {
		if c.Name == auth.SessionCookie {
			cookie = c.Value
		}
	}
	if code, _, _ := b.post("/sign-out", url.Values{auth.CSRFField: {b.csrf}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign out = %d", code)
	}
	header := map[string]string{"Cookie": auth.SessionCookie + "=" + cookie}
	if code, body, _ := newBrowser(t, handler(s)).do(http.MethodGet, "/api/v1/reports/participation", nil, header); code != http.StatusUnauthorized {
		t.Errorf("the cookie of a session ended = %d %s, want 401", code, body)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
