package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/services/internal/auth"
)

func TestSignIn(t *testing.T) {
	c := newClock()
	s, _ := newService(t, c, auth.Recorder)
	b := newBrowser(t, handler(s))
	for _, tt := range []struct {
		name, username, password string
		want                     int
	}{
		{"wrong password", "sarah@example.org", "not the password", http.StatusUnauthorized},
		{"unknown user", "nobody@example.org", password, http.StatusUnauthorized},
		{"empty", "", "", http.StatusBadRequest},
		{"case and spaces in the username", "  SARAH@example.org ", password, http.StatusSeeOther},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.signIn(tt.username, tt.password); got != tt.want {
				t.Errorf("sign in as %q = %d, want %d", tt.username, got, tt.want)
			}
		})
	}
	code, body, _ := b.do(http.MethodGet, "/api/v1/stakeholders/01", nil, nil)
	if code != http.StatusOK || !strings.HasPrefix(body, "user:") {
		t.Errorf("GET with the session = %d %q, want 200 as user:…", code, body)
	}
}

func TestSessionCookie(t *testing.T) {
	c := newClock()
	s, _ := newService(t, c, auth.Viewer)
	b := newBrowser(t, handler(s))
	_, _, h := b.post("/sign-in", url.Values{"username": {"sarah@example.org"}, "password": {password}}, nil)
	cookie := h.Get("Set-Cookie")
	for _, want := range []string{auth.SessionCookie + "=", "Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on plain HTTP without WithSecureCookies", cookie)
	}
	s2, _ := newService(t, c, auth.Viewer, auth.WithSecureCookies(true))
	b2 := newBrowser(t, handler(s2))
	_, _, h = b2.post("/sign-in", url.Values{"username": {"sarah@example.org"}, "password": {password}}, nil)
	if !strings.Contains(h.Get("Set-Cookie"), "Secure") {
		t.Errorf("Set-Cookie %q is not Secure with WithSecureCookies(true)", h.Get("Set-Cookie"))
	}
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// steps advance the clock and then make a request.
		steps    []time.Duration
		wantLast int
		change   func(s *auth.Service)
	}{
		{"fresh", []time.Duration{0}, http.StatusOK, nil},
		{"used within the idle time", []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute}, http.StatusOK, nil},
		{"idle too long", []time.Duration{31 * time.Minute}, http.StatusUnauthorized, nil},
		{"idle exactly the limit", []time.Duration{30 * time.Minute}, http.StatusUnauthorized, nil},
		{"past the absolute lifetime though in use", func() []time.Duration {
			var steps []time.Duration
			for range 12 * 3 {
				steps = append(steps, 20*time.Minute)
			}
			return steps
		}(), http.StatusUnauthorized, nil},
		{"account disabled", []time.Duration{time.Minute}, http.StatusUnauthorized, func(s *auth.Service) {
			if _, err := s.DisableUser(ctx, "sarah@example.org", "test"); err != nil {
				t.Fatal(err)
			}
		}},
		{"password reset", []time.Duration{time.Minute}, http.StatusUnauthorized, func(s *auth.Service) {
			if _, err := s.ResetPassword(ctx, "sarah@example.org", "a brand new password", "test"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s, _ := newService(t, c, auth.Viewer)
			b := newBrowser(t, handler(s))
			if code := b.signIn("sarah@example.org", password); code != http.StatusSeeOther {
				t.Fatalf("sign in = %d", code)
			}
			if tt.change != nil {
				tt.change(s)
			}
			var code int
			for i, d := range tt.steps {
				c.Advance(d)
				var body string
				code, body, _ = b.do(http.MethodGet, "/api/v1/reports/participation", nil, nil)
				if i < len(tt.steps)-1 && code != http.StatusOK {
					t.Fatalf("request %d after %s = %d %s, want 200", i, d, code, body)
				}
			}
			if code != tt.wantLast {
				t.Errorf("last request = %d, want %d", code, tt.wantLast)
			}
		})
	}
}

func TestSignOut(t *testing.T) {
	c := newClock()
	s, _ := newService(t, c, auth.Viewer)
	b := newBrowser(t, handler(s))
	b.signIn("sarah@example.org", password)
	// Keep the cookie, as a thief would, to show the session ends on the
	// server and not only in the browser.
	u, _ := url.Parse(b.srv.URL)
	stolen := b.c.Jar.Cookies(u)
	if code, _, _ := b.post("/sign-out", url.Values{"csrf_token": {b.csrf}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign out = %d, want 303", code)
	}
	b.c.Jar.SetCookies(u, stolen)
	if code, _, _ := b.do(http.MethodGet, "/api/v1/reports/participation", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("the old cookie after sign-out = %d, want 401", code)
	}
}

func TestCSRF(t *testing.T) {
	c := newClock()
	s, headers := newService(t, c, auth.Recorder)
	b := newBrowser(t, handler(s))
	b.signIn("sarah@example.org", password)
	if b.csrf == "" {
		t.Fatal("the page of a signed-in browser carries no CSRF token")
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"no token", url.Values{"name": {"x"}}, nil, http.StatusForbidden},
		{"wrong token", url.Values{"csrf_token": {"forged"}}, nil, http.StatusForbidden},
		{"another session's token", url.Values{"csrf_token": {otherSessionCSRF(t, s, b)}}, nil, http.StatusForbidden},
		{"form field", url.Values{"csrf_token": {b.csrf}}, nil, http.StatusOK},
		{"header", nil, map[string]string{auth.CSRFHeader: b.csrf}, http.StatusOK},
		{"bearer needs none", nil, map[string]string{"Authorization": headers[auth.Recorder]}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := b.post("/api/v1/projects", tt.form, tt.header)
			if code != tt.want {
				t.Errorf("POST = %d %s, want %d", code, body, tt.want)
			}
		})
	}
	// A safe method needs no token.
	if code, _, _ := b.do(http.MethodGet, "/api/v1/stakeholders/01", nil, nil); code != http.StatusOK {
		t.Errorf("GET with the session = %d, want 200", code)
	}
}

// otherSessionCSRF signs sarah in from a second browser and returns that
// session's token.
func otherSessionCSRF(t *testing.T, s *auth.Service, first *browser) string {
	other := newBrowser(t, handler(s))
	other.signIn("sarah@example.org", password)
	if other.csrf == "" || other.csrf == first.csrf {
		t.Fatalf("two sessions share a CSRF token (%q)", other.csrf)
	}
	return other.csrf
}

func TestSignInCrossOrigin(t *testing.T) {
	c := newClock()
	s, _ := newService(t, c, auth.Viewer)
	b := newBrowser(t, handler(s))
	code, _, _ := b.post("/sign-in", url.Values{"username": {"sarah@example.org"}, "password": {password}},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if code != http.StatusForbidden {
		t.Errorf("a cross-site sign-in post = %d, want 403", code)
	}
}

func TestSignInThrottle(t *testing.T) {
	c := newClock()
	s, _ := newService(t, c, auth.Viewer, auth.WithSignInThrottle(3, 10*time.Minute))
	b := newBrowser(t, handler(s))
	for i := range 3 {
		if code := b.signIn("sarah@example.org", "wrong password!"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, code)
		}
	}
	code, _, h := b.post("/sign-in", url.Values{"username": {"Sarah@example.org"}, "password": {password}}, nil)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") != "600" {
		t.Errorf("the right password after 3 failures = %d (Retry-After %q), want 429 with 600", code, h.Get("Retry-After"))
	}
	if code := b.signIn("other@example.org", password); code != http.StatusUnauthorized {
		t.Errorf("another username = %d, want 401 (unknown, not throttled)", code)
	}
	c.Advance(10 * time.Minute)
	if code := b.signIn("sarah@example.org", password); code != http.StatusSeeOther {
		t.Errorf("after the window = %d, want 303", code)
	}
	// Success forgets the failures: two more do not lock.
	for range 2 {
		b.signIn("sarah@example.org", "wrong password!")
	}
	if code := b.signIn("sarah@example.org", password); code != http.StatusSeeOther {
		t.Errorf("after a success and 2 failures = %d, want 303", code)
	}
	// Failures spread wider than the window never lock.
	for range 5 {
		b.signIn("sarah@example.org", "wrong password!")
		c.Advance(6 * time.Minute)
	}
	if code := b.signIn("sarah@example.org", password); code != http.StatusSeeOther {
		t.Errorf("after failures spread out = %d, want 303", code)
	}
}
