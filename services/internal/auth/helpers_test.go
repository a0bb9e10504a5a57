package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// protected are routes standing in for the real API, one per permission.
var protected = map[auth.Permission]string{
	auth.ReadReports:      "GET /api/v1/reports/participation",
	auth.RecordCommands:   "POST /api/v1/projects",
	auth.ReadPersonalData: "GET /api/v1/stakeholders/{id}",
	auth.ReadAudit:        "GET /api/v1/events",
	auth.Erase:            "POST /api/v1/stakeholders/{id}/erase",
}

// handler serves the auth routes and the protected stand-ins, whose
// answer is the caller's identity ID.
func handler(s *auth.Service) http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	for perm, pattern := range protected {
		mux.Handle(pattern, auth.Require(perm, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := auth.FromContext(r.Context())
			_, _ = io.WriteString(w, id.ID)
		})))
	}
	return s.Authenticate(mux)
}

// browser is an HTTP client with a cookie jar against a test server.
type browser struct {
	t    *testing.T
	srv  *httptest.Server
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, h http.Handler) *browser {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, body io.Reader, header map[string]string) (int, string, http.Header) {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.srv.URL + path
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

// post sends a form.
func (b *browser) post(path string, form url.Values, header map[string]string) (int, string, http.Header) {
	b.t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), h)
}

// signIn signs in with the form and keeps the session's CSRF token.
func (b *browser) signIn(username, password string) int {
	b.t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	if b.csrf != "" { // signed in already: the page's form carries the token
		form.Set("csrf_token", b.csrf)
	}
	code, _, _ := b.post("/sign-in", form, nil)
	if code == http.StatusSeeOther {
		b.csrf = b.csrfFromPage()
	}
	return code
}

// csrfFromPage reads the session's CSRF token off the sign-in page, as a
// template using auth.CSRFToken would render it.
func (b *browser) csrfFromPage() string {
	b.t.Helper()
	_, page, _ := b.do(http.MethodGet, "/sign-in", nil, nil)
	_, rest, ok := strings.Cut(page, `name="csrf_token" value="`)
	if !ok {
		return ""
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

// newService returns a Service on memory stores on the given clock, with
// an admin token, and a user "sarah" with the given role.
func newService(t *testing.T, c *clock, role auth.Role, opts ...auth.Option) (*auth.Service, map[auth.Role]string) {
	t.Helper()
	s, headers := authtest.Service(t, append([]auth.Option{auth.WithClock(c.Now)}, opts...)...)
	if _, err := s.AddUser(context.Background(), "Sarah@Example.org", "Sarah Jones", role, password, "test"); err != nil {
		t.Fatal(err)
	}
	return s, headers
}

const password = "correct horse battery"

// waitUntil waits up to ten seconds for cond, failing the test with what
// it waited for if it never holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited ten seconds for this, in vain: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// watchedGauge reads together_auth_records_watched for records from reg.
func watchedGauge(t testing.TB, reg prometheus.Gatherer, records string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "together_auth_records_watched" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == records {
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}
