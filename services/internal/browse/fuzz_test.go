package browse_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzQuery throws arbitrary query strings at every list: each must be
// answered 200, or 400 or 404 with a problem document, never anything
// else and never a panic.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		"", "limit=1", "limit=500&after=3", "after=18446744073709551615", "limit=-1", "as_of=2026-03-01",
		"as_of=2026-03-01T10:00:00%2B01:00", "programme=North", "project=x", "state=overdue&state=open",
		"min_position=0", "%zz", "limit=1e3", "as_of=0001-01-01",
	} {
		f.Add(seed)
	}
	s := serve(f)
	paths := []string{"/api/v1/projects", "/api/v1/engagements", "/api/v1/feedback", "/api/v1/actions", "/api/v1/stakeholders"}
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range paths {
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
			req.URL.RawQuery = query
			// A wait that can never end would only time out; not what is fuzzed.
			if req.URL.Query().Has("min_position") {
				return
			}
			rec := httptest.NewRecorder()
			s.mux.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK:
				var page map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
					t.Fatalf("GET %s?%s = 200 with no JSON: %s", path, query, rec.Body)
				}
			case http.StatusBadRequest, http.StatusNotFound:
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("GET %s?%s = %d as %s", path, query, rec.Code, ct)
				}
			default:
				t.Fatalf("GET %s?%s = %d: %s", path, query, rec.Code, rec.Body)
			}
		}
	})
}
