package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/gateway"
)

// TestEveryRouteAsks tries every route of the policy with no identity
// and with each role: 401 without one, 403 with a role that lacks the
// route's permission (both problem+json), and neither with one that has
// it. Public routes answer without an identity.
func TestEveryRouteAsks(t *testing.T) {
	st, err := app.Start(context.Background(), app.Config{Parts: app.AllParts(), DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel), KEK: testKEK(t),
		HeavyReads: gateway.HeavyReads{Every: time.Millisecond, Burst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, st) })
	tokens := map[auth.Role]string{}
	for _, role := range auth.Roles {
		_, secret, err := st.IssueToken(context.Background(), role, string(role))
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = secret
	}
	const id = "01a20000-0000-7000-8000-0000000000aa"
	concrete := strings.NewReplacer("{id}", id, "{element_id}", id, "{report}", "participation", "{$}", "")
	for pattern, perm := range app.Policy(false) {
		method, path, found := strings.Cut(pattern, " ")
		if !found {
			method, path = http.MethodGet, "/no-such-page"
		}
		path = concrete.Replace(path)
		if strings.HasSuffix(path, "/static/") {
			path += "nhsuk/LICENCE.txt"
		}
		t.Run(pattern, func(t *testing.T) {
			send := func(secret string) *http.Response {
				t.Helper()
				var body *strings.Reader
				if method == http.MethodPost {
					body = strings.NewReader("{}")
				} else {
					body = strings.NewReader("")
				}
				req, _ := http.NewRequest(method, st.URL()+path, body)
				if method == http.MethodPost {
					req.Header.Set("Content-Type", "application/json")
				}
				if secret != "" {
					req.Header.Set("Authorization", "Bearer "+secret)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res
			}
			isProblem := func(res *http.Response) bool {
				return res.Header.Get("Content-Type") == "application/problem+json"
			}
			res := send("")
			switch {
			case perm == auth.Public && res.StatusCode == http.StatusUnauthorized && pattern != "GET /api/v1/me":
				t.Errorf("public %s without an identity = 401", pattern)
			case perm != auth.Public && (res.StatusCode != http.StatusUnauthorized || !isProblem(res)):
				t.Errorf("%s without an identity = %d %s, want 401 problem+json", pattern, res.StatusCode, res.Header.Get("Content-Type"))
			}
			if perm == auth.Public {
				return
			}
			for _, role := range auth.Roles {
				res := send(tokens[role])
				allowed := auth.Allowed(role, perm)
				switch {
				case allowed && (res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden):
					t.Errorf("%s as %s (who may %s) = %d", pattern, role, perm, res.StatusCode)
				case !allowed && (res.StatusCode != http.StatusForbidden || !isProblem(res)):
					t.Errorf("%s as %s (who may not %s) = %d %s, want 403 problem+json", pattern, role, perm, res.StatusCode, res.Header.Get("Content-Type"))
				}
			}
		})
	}
}
