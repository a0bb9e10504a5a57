package web

import "github.com/together-coop/together/services/internal/auth"

// RoutesPolicy is the [auth.Policy] of every route [Site.Routes] may add:
// the reports' pages and the lists to anyone who reads reports, people
// and their details to those who may read personal data, the forms (GET
// and POST alike) to recorders, the audit pages to auditors, and the
// static files to anyone, so that the sign-in page looks as it should.
// The in-process calls a page makes are not checked again; this table is
// what stands in front of them.
func RoutesPolicy() auth.Policy {
	p := auth.Policy{
		"GET /{$}":                           auth.ReadReports,
		"GET /projects/{id}":                 auth.ReadReports,
		"GET /projects/{id}/you-said-we-did": auth.ReadReports,
		"GET " + staticPrefix:                auth.Public,
		// The statutory reports, and the annual pack, whose counts are
		// always suppressed.
		"GET " + dutyPath:        auth.ReadReports,
		"GET " + definitionsPath: auth.ReadReports,
		"GET " + annualPackPath:  auth.ReadReports,
		"GET " + packDocPath:     auth.ReadReports,
		"GET " + packCSVPath:     auth.ReadReports,
		// Importing a spreadsheet records commands.
		"GET /import":               auth.RecordCommands,
		"POST /import":              auth.RecordCommands,
		"GET /import/{id}":          auth.RecordCommands,
		"POST /import/{id}/approve": auth.RecordCommands,
		"POST /import/{id}/discard": auth.RecordCommands,

		"GET /projects":                  auth.ReadReports,
		"GET /projects/{id}/involvement": auth.ReadReports,
		"GET /engagements":               auth.ReadReports,
		"GET /engagements/{id}":          auth.ReadReports,
		"GET /feedback/{id}":             auth.ReadReports,
		"GET /actions":                   auth.ReadReports,
		"GET /actions/{id}":              auth.ReadReports,

		"GET /stakeholders":      auth.ReadPersonalData,
		"GET /stakeholders/{id}": auth.ReadPersonalData,

		"GET /audit":               auth.ReadAudit,
		"GET /audit/projects/{id}": auth.ReadAudit,
	}
	for _, path := range formPaths {
		p["GET "+path] = auth.RecordCommands
		p["POST "+path] = auth.RecordCommands
	}
	return p
}
