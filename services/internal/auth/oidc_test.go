package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
)

// oidcSetup starts the test provider and a together whose OIDC client
// points at it, and returns a fresh browser for it.
func oidcSetup(t *testing.T) (*authtest.Provider, *auth.Service, func() *browser) {
	t.Helper()
	p := authtest.NewProvider(t)
	var h http.Handler
	indirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })
	first := newBrowser(t, indirect)
	mappings, err := auth.ParseRoleMappings("together-admins=admin, together-recorders=recorder")
	if err != nil {
		t.Fatal(err)
	}
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{
		Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		RedirectURL: first.srv.URL + "/auth/oidc/callback", Roles: mappings,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := authtest.Service(t, auth.WithOIDC(o))
	h = handler(s)
	used := false
	return p, s, func() *browser {
		if !used {
			used = true
			return first
		}
		b := newBrowser(t, indirect)
		b.srv = first.srv
		return b
	}
}

// oidcSignIn walks a browser through the login: together → provider →
// together's callback. It returns the callback's status and body.
func (b *browser) oidcSignIn() (int, string) {
	b.t.Helper()
	code, _, h := b.do(http.MethodGet, "/auth/oidc/login", nil, nil)
	if code != http.StatusFound {
		b.t.Fatalf("GET /auth/oidc/login = %d, want 302", code)
	}
	authorize := h.Get("Location")
	for _, want := range []string{"code_challenge=", "code_challenge_method=S256", "nonce=", "state=", "scope=openid"} {
		if !strings.Contains(authorize, want) {
			b.t.Errorf("the authorization URL %s lacks %s", authorize, want)
		}
	}
	code, body, h := b.do(http.MethodGet, authorize, nil, nil)
	if code != http.StatusFound {
		b.t.Fatalf("the provider's authorize = %d %s", code, body)
	}
	code, body, _ = b.do(http.MethodGet, h.Get("Location"), nil, nil)
	return code, body
}

func (b *browser) me() (auth.Identity, int) {
	b.t.Helper()
	code, body, _ := b.do(http.MethodGet, "/api/v1/me", nil, nil)
	var id auth.Identity
	_ = json.Unmarshal([]byte(body), &id)
	return id, code
}

func TestOIDCSignIn(t *testing.T) {
	for _, tt := range []struct {
		name     string
		claims   map[string]any
		tamper   func(map[string]any)
		wantCode int
		wantRole auth.Role
	}{
		{"mapped role in a list", map[string]any{"sub": "alice", "name": "Alice Smith", "roles": []any{"other", "together-recorders"}}, nil, http.StatusOK, auth.Recorder},
		{"first mapping wins", map[string]any{"sub": "alice", "name": "Alice Smith", "roles": []any{"together-recorders", "together-admins"}}, nil, http.StatusOK, auth.Admin},
		{"role claim as a string", map[string]any{"sub": "alice", "preferred_username": "alice@nhs.example", "roles": "together-admins"}, nil, http.StatusOK, auth.Admin},
		{"no mapped role", map[string]any{"sub": "alice", "roles": []any{"staff"}}, nil, http.StatusForbidden, ""},
		{"no role claim", map[string]any{"sub": "alice"}, nil, http.StatusForbidden, ""},
		{"wrong nonce", map[string]any{"sub": "alice", "roles": "together-admins"}, func(c map[string]any) { c["nonce"] = "replayed" }, http.StatusUnauthorized, ""},
		{"wrong audience", map[string]any{"sub": "alice", "roles": "together-admins"}, func(c map[string]any) { c["aud"] = "another-app" }, http.StatusUnauthorized, ""},
		{"wrong issuer", map[string]any{"sub": "alice", "roles": "together-admins"}, func(c map[string]any) { c["iss"] = "https://evil.example" }, http.StatusUnauthorized, ""},
		{"expired", map[string]any{"sub": "alice", "roles": "together-admins"}, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, http.StatusUnauthorized, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, s, browsers := oidcSetup(t)
			p.SignInAs(tt.claims)
			p.Tamper(tt.tamper)
			b := browsers()
			code, body := b.oidcSignIn()
			if code != tt.wantCode {
				t.Fatalf("callback = %d, want %d: %s", code, tt.wantCode, body)
			}
			id, meCode := b.me()
			if tt.wantRole == "" {
				if meCode != http.StatusUnauthorized {
					t.Errorf("GET /api/v1/me after a refused sign-in = %d, want 401", meCode)
				}
				return
			}
			wantID := auth.OIDCID(p.URL, "alice")
			if meCode != http.StatusOK || id.ID != wantID || id.Role != tt.wantRole || id.Kind != auth.KindOIDC {
				t.Errorf("signed in as %+v (%d), want %s with role %s", id, meCode, wantID, tt.wantRole)
			}
			name, err := s.Directory().Name(context.Background(), wantID)
			if err != nil || name == "" || name != id.Name {
				t.Errorf("Directory.Name = %q, %v, want %q", name, err, id.Name)
			}
			if !strings.Contains(body, `http-equiv="refresh"`) {
				t.Errorf("the callback's page does not move on by itself: %s", body)
			}
		})
	}
}

func TestOIDCCallbackRefusals(t *testing.T) {
	p, _, browsers := oidcSetup(t)
	p.SignInAs(map[string]any{"sub": "mallory", "roles": "together-admins"})
	attacker := browsers()
	// The attacker starts a login and stops at the callback URL, then
	// tries to make the victim's browser finish it.
	_, _, h := attacker.do(http.MethodGet, "/auth/oidc/login", nil, nil)
	_, _, h = attacker.do(http.MethodGet, h.Get("Location"), nil, nil)
	callback := h.Get("Location")
	victim := browsers()
	if code, _, _ := victim.do(http.MethodGet, callback, nil, nil); code != http.StatusBadRequest {
		t.Errorf("another browser finishing the login = %d, want 400", code)
	}
	if _, code := victim.me(); code != http.StatusUnauthorized {
		t.Errorf("the victim is signed in (%d)", code)
	}
	// The attacker's own browser may finish it once, and only once.
	if code, body, _ := attacker.do(http.MethodGet, callback, nil, nil); code != http.StatusOK {
		t.Fatalf("finishing the login = %d %s", code, body)
	}
	// Replaying it, even with the state cookie put back, fails: the login
	// was used up.
	u, _ := url.Parse(callback)
	attacker.c.Jar.SetCookies(u, []*http.Cookie{{Name: "together_oidc_state", Value: u.Query().Get("state"), Path: "/auth/oidc/"}})
	if code, body, _ := attacker.do(http.MethodGet, callback, nil, nil); code != http.StatusBadRequest || !strings.Contains(body, "already used") {
		t.Errorf("replaying the callback = %d %s, want 400, already used", code, body)
	}
}

func TestOIDCNotConfigured(t *testing.T) {
	s, _ := authtest.Service(t)
	b := newBrowser(t, handler(s))
	if code, _, _ := b.do(http.MethodGet, "/auth/oidc/login", nil, nil); code != http.StatusNotFound {
		t.Errorf("GET /auth/oidc/login without OIDC = %d, want 404", code)
	}
}

func TestParseRoleMappings(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []auth.RoleMapping
		wantErr bool
	}{
		{"a=admin,b=viewer", []auth.RoleMapping{{"a", auth.Admin}, {"b", auth.Viewer}}, false},
		{" group=with=equals = recorder ", []auth.RoleMapping{{"group=with=equals", auth.Recorder}}, false},
		{"", nil, true},
		{"a=root", nil, true},
		{"noequals", nil, true},
	} {
		got, err := auth.ParseRoleMappings(tt.in)
		if (err != nil) != tt.wantErr || len(got) != len(tt.want) {
			t.Errorf("ParseRoleMappings(%q) = %v, %v", tt.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("ParseRoleMappings(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}
