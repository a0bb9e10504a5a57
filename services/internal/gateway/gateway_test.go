package gateway

import (
	"bufio"
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/auth"
)

// headerAuth takes the identity from a test header, as a stand-in for
// package auth's sign-in.
type headerAuth struct{}

func (headerAuth) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("Test-Identity"); id != "" {
			r = r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{ID: id, Role: auth.Auditor}))
		}
		next.ServeHTTP(w, r)
	})
}

// slowLog yields n events, then waits for release before yielding more,
// so a test can see what reached the client meanwhile.
type slowLog struct {
	n       int
	release chan struct{}
}

func (l slowLog) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for i := 1; ; i++ {
			if i == l.n+1 {
				select {
				case <-l.release:
				case <-ctx.Done():
					return
				}
			}
			if i > 2*l.n || !yield(events.Envelope{Position: after + uint64(i), Type: "ProjectClosed", Payload: []byte(`{}`)}, nil) {
				return
			}
		}
	}
}

func newTestGateway(t *testing.T, log EventReader, heavy HeavyReads) *httptest.Server {
	t.Helper()
	policy := auth.Policy{"GET /api/v1/events": auth.ReadAudit, "GET /healthz": auth.Public, "GET /readyz": auth.Public,
		"GET /{$}": auth.Public, "/": auth.Public}
	srv := httptest.NewServer(New(Config{Events: log, Auth: headerAuth{}, Policy: policy, HeavyReads: heavy,
		Logger: zerolog.New(zerolog.NewTestWriter(t))}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEventsStreamWhileReading: the first lines of a page reach the client
// while the log is still being read, so a page is never held whole.
func TestEventsStreamWhileReading(t *testing.T) {
	log := slowLog{n: 600, release: make(chan struct{})}
	srv := newTestGateway(t, log, HeavyReads{Every: time.Millisecond, Burst: 10})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/events?limit=1000", nil)
	req.Header.Set("Test-Identity", "token:auditor")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	lines := 0
	for lines < 256 && sc.Scan() {
		lines++
	}
	if lines != 256 {
		t.Fatalf("read %d lines before the log went on, want 256 streamed", lines)
	}
	close(log.release)
	for sc.Scan() {
		lines++
	}
	if lines != 1000 {
		t.Errorf("page of %d lines, want 1000", lines)
	}
	if got := res.Trailer.Get("Next-After"); got != "1000" {
		t.Errorf("Next-After trailer = %q, want 1000", got)
	}
}

// failingLog fails after n events.
type failingLog struct{ n int }

func (l failingLog) ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error] {
	return func(yield func(events.Envelope, error) bool) {
		for i := 1; i <= l.n; i++ {
			if !yield(events.Envelope{Position: uint64(i), Type: "ProjectClosed", Payload: []byte(`{}`)}, nil) {
				return
			}
		}
		yield(events.Envelope{}, fmt.Errorf("%w: the store went away", events.ErrUnavailable))
	}
}

func TestEventsPageCutShortHasNoCursor(t *testing.T) {
	srv := newTestGateway(t, failingLog{n: 300}, HeavyReads{Every: time.Millisecond, Burst: 10})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/events?limit=1000", nil)
	req.Header.Set("Test-Identity", "token:auditor")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
	}
	if got := res.Trailer.Get("Next-After"); got != "" {
		t.Errorf("a page cut short carries Next-After %q; want none, so the client knows", got)
	}
	// Failing before anything was sent is an ordinary problem.
	srv = newTestGateway(t, failingLog{n: 0}, HeavyReads{Every: time.Millisecond, Burst: 10})
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/events", nil)
	req.Header.Set("Test-Identity", "token:auditor")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("failing read = %d %s, want 503 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestHeavyReadsAreLimitedPerIdentity: one identity past its budget is
// told to wait; another is not held up by it.
func TestHeavyReadsAreLimitedPerIdentity(t *testing.T) {
	srv := newTestGateway(t, failingLog{n: 1}, HeavyReads{Every: time.Hour, Burst: 2})
	get := func(id string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/events?limit=1", nil)
		req.Header.Set("Test-Identity", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := range 2 {
		if res := get("token:a"); res.StatusCode != http.StatusOK {
			t.Fatalf("read %d of a = %d, want 200", i+1, res.StatusCode)
		}
	}
	res := get("token:a")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("third read of a = %d (Retry-After %q), want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := get("token:b"); res.StatusCode != http.StatusOK {
		t.Errorf("b's first read = %d, want 200 whatever a does", res.StatusCode)
	}
}

func TestSecurityHeadersAndHosts(t *testing.T) {
	srv := httptest.NewServer(New(Config{Auth: headerAuth{}, AllowedHosts: []string{"127.0.0.1"},
		Policy: auth.Policy{"GET /healthz": auth.Public, "GET /readyz": auth.Public, "GET /{$}": auth.Public, "/": auth.Public}}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'", "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store",
	} {
		if !strings.Contains(res.Header.Get(h), want) {
			t.Errorf("%s = %q, want %q", h, res.Header.Get(h), want)
		}
	}
	// DNS rebinding: a page on evil.example resolving to 127.0.0.1.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Host = "evil.example"
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("request for host evil.example = %d, want 421", res.StatusCode)
	}
}

// TestPlainHTTPOnlyThroughTheProxy: a server answering in plain HTTP
// beyond loopback because a TLS-terminating proxy is in front takes
// requests from that proxy and from loopback only; one that reaches the
// port directly would send passwords and personal data in the clear.
func TestPlainHTTPOnlyThroughTheProxy(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	policy := auth.Policy{"GET /healthz": auth.Public, "GET /readyz": auth.Public, "GET /{$}": auth.Public, "/": auth.Public}
	for _, tc := range []struct {
		name   string
		remote string
		proxy  []netip.Prefix
		tls    bool
		want   int
	}{
		{"from the proxy's network", "10.1.2.3:51000", proxies, false, http.StatusOK},
		{"from the proxy's address", "192.0.2.7:51000", proxies, false, http.StatusOK},
		{"from loopback", "127.0.0.1:51000", proxies, false, http.StatusOK},
		{"from IPv6 loopback", "[::1]:51000", proxies, false, http.StatusOK},
		{"from the proxy as IPv4 in IPv6", "[::ffff:10.1.2.3]:51000", proxies, false, http.StatusOK},
		{"from elsewhere", "198.51.100.9:51000", proxies, false, http.StatusForbidden},
		{"from the address next to the proxy's", "192.0.2.8:51000", proxies, false, http.StatusForbidden},
		{"from an address that cannot be read", "somewhere", proxies, false, http.StatusForbidden},
		{"over TLS, from anywhere", "198.51.100.9:51000", proxies, true, http.StatusOK},
		{"no proxy configured", "198.51.100.9:51000", nil, false, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(Config{Auth: headerAuth{}, Policy: policy, TLS: tc.tls, TrustedProxies: tc.proxy})
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.RemoteAddr = tc.remote
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("GET /healthz from %s = %d, want %d: %s", tc.remote, rec.Code, tc.want, rec.Body)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(rec.Body.String(), "proxy") {
				t.Errorf("refusal does not say to come through the proxy: %s", rec.Body)
			}
		})
	}
}
