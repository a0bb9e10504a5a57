package auth_test

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/auth/authtest"
)

func TestGuard(t *testing.T) {
	s, headers := authtest.Service(t)
	mux := http.NewServeMux()
	s.Routes(mux)
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.Handle("GET /healthz", ok)
	mux.Handle("POST /api/v1/projects", ok)
	mux.Handle("GET /api/v1/stakeholders/{id}", ok)
	mux.Handle("POST /api/v1/stakeholders/{id}/erase", ok)
	mux.Handle("GET /api/v1/forgotten", ok) // in no policy
	policy := auth.Policy{
		"GET /healthz":                         auth.Public,
		"POST /api/v1/projects":                auth.RecordCommands,
		"GET /api/v1/stakeholders/{id}":        auth.ReadPersonalData,
		"POST /api/v1/stakeholders/{id}/erase": auth.Erase,
	}
	maps.Copy(policy, auth.RoutesPolicy())
	h := s.Authenticate(auth.Guard(policy, mux))

	// Every route of the policy, as every role and as nobody.
	for pattern, perm := range policy {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.ReplaceAll(path, "{id}", "01")
		for _, role := range append([]auth.Role{""}, auth.Roles...) {
			r := httptest.NewRequest(method, path, nil)
			if role != "" {
				r.Header.Set("Authorization", headers[role])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			switch {
			case perm == auth.Public:
				if w.Code == http.StatusForbidden || w.Code == http.StatusInternalServerError ||
					w.Code == http.StatusUnauthorized && pattern != "GET /api/v1/me" {
					t.Errorf("%s as %q = %d, want it open", pattern, role, w.Code)
				}
			case role == "":
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s as nobody = %d, want 401", pattern, w.Code)
				}
			case !auth.Allowed(role, perm):
				if w.Code != http.StatusForbidden {
					t.Errorf("%s as %s = %d, want 403", pattern, role, w.Code)
				}
			default:
				if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code == http.StatusInternalServerError {
					t.Errorf("%s as %s = %d, want it allowed", pattern, role, w.Code)
				}
			}
		}
	}
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/api/v1/forgotten", http.StatusInternalServerError},
		{http.MethodGet, "/nowhere", http.StatusNotFound},
		{http.MethodDelete, "/api/v1/projects", http.StatusMethodNotAllowed},
	} {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		r.Header.Set("Authorization", headers[auth.Admin])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s %s as admin = %d, want %d", tt.method, tt.path, w.Code, tt.want)
		}
	}
}
