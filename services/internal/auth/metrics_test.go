package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/together-coop/together/services/internal/auth"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c := newClock()
	s, headers := newService(t, c, auth.Viewer, auth.WithMetrics(reg))
	b := newBrowser(t, handler(s))
	b.signIn("sarah@example.org", "wrong password!")
	b.signIn("sarah@example.org", password)
	b.do(http.MethodPost, "/api/v1/projects", nil, nil)                                               // csrf
	b.do(http.MethodGet, "/api/v1/events", nil, nil)                                                  // forbidden
	b.do(http.MethodGet, "/api/v1/events", nil, map[string]string{"Authorization": "Bearer nope"})    // unauthenticated
	b.do(http.MethodGet, "/api/v1/events", nil, map[string]string{"Authorization": headers["admin"]}) // fine
	want := `
# HELP together_auth_refusals_total Requests refused by the identity layer, by reason (unauthenticated, forbidden, csrf).
# TYPE together_auth_refusals_total counter
together_auth_refusals_total{reason="csrf"} 1
together_auth_refusals_total{reason="forbidden"} 1
together_auth_refusals_total{reason="unauthenticated"} 1
# HELP together_auth_sign_ins_total Browser sign-ins, by method (password, oidc) and outcome (ok, refused, throttled, error).
# TYPE together_auth_sign_ins_total counter
together_auth_sign_ins_total{method="password",outcome="ok"} 1
together_auth_sign_ins_total{method="password",outcome="refused"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}
