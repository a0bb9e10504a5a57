package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
	"github.com/together-coop/together/services/internal/problem"
)

// TestRequire tries every stand-in route as every role and as nobody: the
// shape of the table test the API's wiring should have.
func TestRequire(t *testing.T) {
	s, headers := authtest.Service(t)
	h := handler(s)
	for perm, pattern := range protected {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.ReplaceAll(path, "{id}", "01")
		for _, role := range append([]auth.Role{""}, auth.Roles...) {
			t.Run(string(perm)+"/"+string(role), func(t *testing.T) {
				r := httptest.NewRequest(method, path, nil)
				if role != "" {
					r.Header.Set("Authorization", headers[role])
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				want := http.StatusOK
				switch {
				case role == "":
					want = http.StatusUnauthorized
				case !auth.Allowed(role, perm):
					want = http.StatusForbidden
				}
				if w.Code != want {
					t.Fatalf("%s %s as %q = %d, want %d: %s", method, path, role, w.Code, want, w.Body)
				}
				if want != http.StatusOK {
					checkProblem(t, w, want)
				}
				if want == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", w.Header().Get("WWW-Authenticate"))
				}
				if want == http.StatusOK && !strings.HasPrefix(w.Body.String(), "token:") {
					t.Errorf("the handler saw identity %q, want a token identity", w.Body)
				}
			})
		}
	}
}

func checkProblem(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("Content-Type = %q, want %q", ct, problem.ContentType)
	}
	var d problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || d.Status != status || d.Detail == "" {
		t.Errorf("problem = %+v (%v), want status %d with a detail", d, err, status)
	}
}

func TestAuthenticateBadCredentials(t *testing.T) {
	s, headers := authtest.Service(t)
	ctx := context.Background()
	revoked, secret, err := s.CreateToken(ctx, "old script", auth.Admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeToken(ctx, revoked.ID, "test"); err != nil {
		t.Fatal(err)
	}
	good := strings.TrimPrefix(headers[auth.Admin], "Bearer ")
	last := "A"
	if strings.HasSuffix(good, "A") {
		last = "B"
	}
	tampered := good[:len(good)-1] + last
	for _, tt := range []struct {
		name, header, wantAuth string
	}{
		{"revoked", "Bearer " + secret, `error="invalid_token"`},
		{"tampered", "Bearer " + tampered, `error="invalid_token"`},
		{"garbage", "Bearer nonsense", `error="invalid_token"`},
		{"basic scheme", "Basic dXNlcjpwYXNz", `error="invalid_token"`},
		{"lower-case scheme works", "bearer " + good, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/projects", nil)
			r.Header.Set("Authorization", tt.header)
			w := httptest.NewRecorder()
			handler(s).ServeHTTP(w, r)
			if tt.wantAuth == "" {
				if w.Code != http.StatusOK {
					t.Errorf("status = %d, want 200: %s", w.Code, w.Body)
				}
				return
			}
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), tt.wantAuth) {
				t.Errorf("status = %d, WWW-Authenticate %q; want 401 with %s", w.Code, w.Header().Get("WWW-Authenticate"), tt.wantAuth)
			}
		})
	}
}

func TestMe(t *testing.T) {
	s, headers := authtest.Service(t)
	r := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	r.Header.Set("Authorization", headers[auth.Auditor])
	w := httptest.NewRecorder()
	handler(s).ServeHTTP(w, r)
	var got struct {
		auth.Identity
		Permissions []auth.Permission `json:"permissions"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Role != auth.Auditor || got.Kind != auth.KindToken || len(got.Permissions) != 2 {
		t.Errorf("GET /api/v1/me = %d %s, want the auditor token", w.Code, w.Body)
	}
}
