package app

import (
	"net/http"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/gateway"
	"github.com/together-coop/together/services/internal/web"
)

// importPages returns the pages that import spreadsheets, when this
// process runs what an import records through: the stakeholders and
// engagements services and the reads. Each row is a sub-request to them,
// in process, checked against the same policy as the API; nil when they
// run elsewhere.
func (a *App) importPages(site *web.Site, services []gateway.Routable) (*web.Import, error) {
	if !a.cfg.runs(Stakeholders) || !a.cfg.runs(Engagements) || !a.cfg.runs(Reports) {
		return nil, nil
	}
	mux := http.NewServeMux()
	for _, s := range services {
		s.Routes(mux)
	}
	return web.NewImport(site, auth.Guard(Policy(a.cfg.OpenProbes), mux))
}
