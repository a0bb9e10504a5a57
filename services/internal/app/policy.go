package app

import (
	"maps"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/web"
)

// Policy is what every route of together needs, in one table: a route
// missing here is refused (see [auth.Guard]). Only /healthz is open to
// anyone, and /readyz and /metrics when openProbes says so, for probes and
// scrapers that cannot sign in.
func Policy(openProbes bool) auth.Policy {
	probes := auth.ReadReports
	if openProbes {
		probes = auth.Public
	}
	p := auth.Policy{
		"GET /healthz": auth.Public,
		"GET /readyz":  probes,
		"GET /metrics": probes,
		// Unknown paths answer 404 only to someone signed in.
		"/": auth.ReadReports,

		"GET /api/v1/reports/{report}": auth.ReadReports,
		"GET /api/v1/openapi.json":     auth.ReadReports,
		// The reads show what was recorded without who anyone is: the
		// list of stakeholders has ids, roles and recruitment channels.
		"GET /api/v1/projects":                      auth.ReadReports,
		"GET /api/v1/projects/{id}":                 auth.ReadReports,
		"GET /api/v1/engagements":                   auth.ReadReports,
		"GET /api/v1/engagements/{id}":              auth.ReadReports,
		"GET /api/v1/feedback":                      auth.ReadReports,
		"GET /api/v1/feedback/{id}":                 auth.ReadReports,
		"GET /api/v1/actions":                       auth.ReadReports,
		"GET /api/v1/actions/{id}":                  auth.ReadReports,
		"GET /api/v1/stakeholders":                  auth.ReadReports,
		"GET /api/v1/events":                        auth.ReadAudit,
		"GET /api/v1/audit/verify":                  auth.ReadAudit,
		"GET /api/v1/stakeholders/{id}":             auth.ReadPersonalData,
		"GET /api/v1/stakeholders/{id}/certificate": auth.ReadPersonalData,

		"POST /api/v1/stakeholders/{id}/erase": auth.Erase,
		// Shredding what someone typed into the wrong box is an erasure too.
		"POST /api/v1/feedback/{id}/redact": auth.Erase,
	}
	for _, route := range []string{
		"POST /api/v1/projects",
		"POST /api/v1/projects/{id}/elements",
		"POST /api/v1/projects/{id}/elements/{element_id}/decisions",
		"POST /api/v1/projects/{id}/duty",
		"POST /api/v1/projects/{id}/close",
		"POST /api/v1/stakeholders",
		"POST /api/v1/stakeholders/{id}/roles",
		"POST /api/v1/stakeholders/{id}/demographics",
		"POST /api/v1/stakeholders/{id}/support-needs",
		"POST /api/v1/stakeholders/{id}/consent",
		"POST /api/v1/stakeholders/{id}/consent-withdrawals",
		"POST /api/v1/engagements",
		"POST /api/v1/engagements/{id}/invitations",
		"POST /api/v1/engagements/{id}/answers",
		"POST /api/v1/engagements/{id}/held",
		"POST /api/v1/engagements/{id}/support",
		"POST /api/v1/engagements/{id}/cancel",
		"POST /api/v1/feedback",
		"POST /api/v1/feedback/{id}/response",
		"POST /api/v1/feedback/{id}/retract",
		"POST /api/v1/actions",
		"POST /api/v1/actions/{id}/complete",
		"POST /api/v1/actions/{id}/drop",
		"POST /api/v1/actions/{id}/reschedule",
		"POST /api/v1/actions/{id}/reassign",
		"POST /api/v1/actions/{id}/communicate",
	} {
		p[route] = auth.RecordCommands
	}
	maps.Copy(p, auth.RoutesPolicy())
	// The web pages and forms; their assets are open, so that the
	// sign-in page looks as it should.
	maps.Copy(p, web.RoutesPolicy())
	return p
}
