package openapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
	"github.com/together-coop/together/services/internal/openapi/openapitest"
)

// identityServer serves the identity routes as together does, behind
// Authenticate and the route policy, and returns a client whose every
// exchange openapitest checks, with a cookie jar and redirects not
// followed (as a test of a browser's steps needs).
type identityServer struct {
	t       *testing.T
	srv     *httptest.Server
	handler atomic.Pointer[http.Handler]
	client  *http.Client
	headers map[auth.Role]string
}

// newIdentityServer listens at once, so that its URL can be configured
// in the auth.Service it will serve.
func newIdentityServer(t *testing.T) *identityServer {
	t.Helper()
	s := &identityServer{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*s.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// serve serves svc's routes behind Authenticate and together's route
// policy; headers authenticate each role.
func (s *identityServer) serve(svc *auth.Service, headers map[auth.Role]string) {
	mux := http.NewServeMux()
	svc.Routes(mux)
	policy := auth.Policy{}
	for route, perm := range app.Policy(false) {
		if _, ours := auth.RoutesPolicy()[route]; ours {
			policy[route] = perm
		}
	}
	h := svc.Authenticate(auth.Guard(policy, mux))
	s.handler.Store(&h)
	s.headers = headers
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.client = &http.Client{Transport: openapitest.NewTransport(s.t, nil), Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and answers the status, body and headers.
func (s *identityServer) do(method, path, contentType, body string, header map[string]string) (int, string, http.Header) {
	s.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = s.srv.URL + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, string(data), res.Header
}

func (s *identityServer) as(role auth.Role) map[string]string {
	return map[string]string{"Authorization": s.headers[role]}
}

func (s *identityServer) expect(name string, got, want int, body string) {
	s.t.Helper()
	if got != want {
		s.t.Errorf("%s = %d, want %d: %s", name, got, want, body)
	}
}

// TestIdentityExchanges sends every identity route's answers, the good
// and the refused, through openapitest: each must be as documented.
func TestIdentityExchanges(t *testing.T) {
	s := newIdentityServer(t)
	svc, headers := authtest.Service(t)
	s.serve(svc, headers)
	const js = "application/json"
	admin := s.as(auth.Admin)

	code, body, _ := s.do("GET", "/api/v1/me", "", "", nil)
	s.expect("GET /api/v1/me without credentials", code, http.StatusUnauthorized, body)
	code, body, _ = s.do("GET", "/api/v1/me", "", "", map[string]string{"Authorization": "Bearer nonsense"})
	s.expect("GET /api/v1/me with a bad token", code, http.StatusUnauthorized, body)
	code, body, _ = s.do("GET", "/api/v1/me", "", "", s.as(auth.Viewer))
	s.expect("GET /api/v1/me", code, http.StatusOK, body)

	code, body, _ = s.do("GET", "/api/v1/tokens", "", "", s.as(auth.Recorder))
	s.expect("GET /api/v1/tokens as a recorder", code, http.StatusForbidden, body)
	code, body, _ = s.do("GET", "/api/v1/tokens", "", "", admin)
	s.expect("GET /api/v1/tokens", code, http.StatusOK, body)
	code, body, _ = s.do("POST", "/api/v1/tokens", js, `{"name":"reports","role":"viewer"}`, admin)
	s.expect("POST /api/v1/tokens", code, http.StatusCreated, body)
	var made struct{ ID, Token string }
	if err := json.Unmarshal([]byte(body), &made); err != nil {
		t.Fatal(err)
	}
	code, body, _ = s.do("POST", "/api/v1/tokens", js, `{"name":"","role":"viewer"}`, admin)
	s.expect("POST /api/v1/tokens without a name", code, http.StatusBadRequest, body)
	code, body, _ = s.do("POST", "/api/v1/tokens", "text/plain", `{"name":"x","role":"viewer"}`, admin)
	s.expect("POST /api/v1/tokens as text", code, http.StatusUnsupportedMediaType, body)
	code, body, _ = s.do("POST", "/api/v1/tokens/"+made.ID+"/revoke", "", "", admin)
	s.expect("POST /api/v1/tokens/{id}/revoke", code, http.StatusOK, body)
	code, body, _ = s.do("POST", "/api/v1/tokens/00000000-0000-4000-8000-000000000000/revoke", "", "", admin)
	s.expect("POST /api/v1/tokens/{id}/revoke of nothing", code, http.StatusNotFound, body)
	code, body, _ = s.do("GET", "/api/v1/me", "", "", map[string]string{"Authorization": "Bearer " + made.Token})
	s.expect("GET /api/v1/me with a revoked token", code, http.StatusUnauthorized, body)

	code, body, _ = s.do("POST", "/api/v1/users", js, `{"username":"sarah","name":"Sarah","role":"recorder","password":"correct horse battery"}`, admin)
	s.expect("POST /api/v1/users", code, http.StatusCreated, body)
	code, body, _ = s.do("POST", "/api/v1/users", js, `{"username":"Sarah","name":"Sarah again","role":"viewer"}`, admin)
	s.expect("POST /api/v1/users with a taken username", code, http.StatusConflict, body)
	code, body, _ = s.do("POST", "/api/v1/users", js, `{"username":"amir","name":"Amir","role":"auditor"}`, admin)
	s.expect("POST /api/v1/users without a password", code, http.StatusCreated, body)
	code, body, _ = s.do("GET", "/api/v1/users", "", "", admin)
	s.expect("GET /api/v1/users", code, http.StatusOK, body)
	code, body, _ = s.do("POST", "/api/v1/users/amir/disable", "", "", admin)
	s.expect("POST /api/v1/users/{id}/disable", code, http.StatusOK, body)
	code, body, _ = s.do("POST", "/api/v1/users/nobody/disable", "", "", admin)
	s.expect("POST /api/v1/users/{id}/disable of nobody", code, http.StatusNotFound, body)
	code, body, _ = s.do("POST", "/api/v1/users/amir/reset", "", "", admin)
	s.expect("POST /api/v1/users/{id}/reset without a body", code, http.StatusOK, body)
	code, body, _ = s.do("POST", "/api/v1/users/amir/reset", js, `{"password":"short"}`, admin)
	s.expect("POST /api/v1/users/{id}/reset with a short password", code, http.StatusBadRequest, body)

	// A browser signs in and out.
	form := "application/x-www-form-urlencoded"
	code, body, _ = s.do("GET", "/sign-in", "", "", nil)
	s.expect("GET /sign-in", code, http.StatusOK, body)
	code, body, _ = s.do("POST", "/sign-in", form, url.Values{"username": {"sarah"}}.Encode(), nil)
	s.expect("POST /sign-in without a password", code, http.StatusBadRequest, body)
	code, body, _ = s.do("POST", "/sign-in", form, url.Values{"username": {"sarah"}, "password": {"wrong password!"}}.Encode(), nil)
	s.expect("POST /sign-in with a wrong password", code, http.StatusUnauthorized, body)
	code, body, _ = s.do("POST", "/sign-in", form, url.Values{"username": {"sarah"}, "password": {"correct horse battery"}}.Encode(), nil)
	s.expect("POST /sign-in", code, http.StatusSeeOther, body)
	code, body, _ = s.do("GET", "/api/v1/me", "", "", nil)
	s.expect("GET /api/v1/me signed in", code, http.StatusOK, body)
	code, body, _ = s.do("GET", "/api/v1/users", "", "", nil)
	s.expect("GET /api/v1/users signed in as a recorder", code, http.StatusForbidden, body)
	code, body, _ = s.do("POST", "/sign-out", form, "", nil)
	s.expect("POST /sign-out without the CSRF token", code, http.StatusForbidden, body)
	_, page, _ := s.do("GET", "/sign-in", "", "", nil)
	_, rest, ok := strings.Cut(page, `name="csrf_token" value="`)
	if !ok {
		t.Fatal("the sign-in page of a signed-in browser carries no CSRF token")
	}
	csrf, _, _ := strings.Cut(rest, `"`)
	code, body, _ = s.do("POST", "/sign-out", form, url.Values{"csrf_token": {csrf}}.Encode(), nil)
	s.expect("POST /sign-out", code, http.StatusSeeOther, body)
	code, body, _ = s.do("POST", "/sign-in", form, url.Values{"username": {"sarah"}, "password": {"x"}}.Encode(),
		map[string]string{"Sec-Fetch-Site": "cross-site"})
	s.expect("POST /sign-in from another site", code, http.StatusForbidden, body)

	code, body, _ = s.do("GET", "/auth/oidc/login", "", "", nil)
	s.expect("GET /auth/oidc/login unconfigured", code, http.StatusNotFound, body)
	code, body, _ = s.do("GET", "/auth/oidc/callback?state=x&code=y", "", "", nil)
	s.expect("GET /auth/oidc/callback unconfigured", code, http.StatusNotFound, body)
}

// TestOIDCExchanges walks a browser through a sign-in with an
// organisation's identity provider; together's side of every step is
// checked against the document (the provider's is not together's API).
func TestOIDCExchanges(t *testing.T) {
	for _, tt := range []struct {
		name   string
		claims map[string]any
		want   int
	}{
		{"signed in", map[string]any{"sub": "alice", "name": "Alice", "roles": "together-recorders"}, http.StatusOK},
		{"no role", map[string]any{"sub": "alice", "roles": "staff"}, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := authtest.NewProvider(t)
			p.SignInAs(tt.claims)
			s := newIdentityServer(t)
			roles, err := auth.ParseRoleMappings("together-recorders=recorder")
			if err != nil {
				t.Fatal(err)
			}
			o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
				RedirectURL: s.srv.URL + "/auth/oidc/callback", Roles: roles})
			if err != nil {
				t.Fatal(err)
			}
			svc, headers := authtest.Service(t, auth.WithOIDC(o))
			s.serve(svc, headers)

			code, body, h := s.do("GET", "/auth/oidc/login", "", "", nil)
			s.expect("GET /auth/oidc/login", code, http.StatusFound, body)
			// The provider's own step, with a client that checks nothing.
			plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := plain.Get(h.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.StatusCode != http.StatusFound {
				t.Fatalf("the provider's authorize = %d", res.StatusCode)
			}
			code, body, _ = s.do("GET", res.Header.Get("Location"), "", "", nil)
			s.expect("GET /auth/oidc/callback", code, tt.want, body)
			code, body, _ = s.do("GET", res.Header.Get("Location"), "", "", nil)
			s.expect("GET /auth/oidc/callback again", code, http.StatusBadRequest, body)
		})
	}
}
