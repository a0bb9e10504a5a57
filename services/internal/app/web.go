package app

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/projections/disclosure"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/report"
	"github.com/together-coop/together/services/internal/audit"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/reports"
	"github.com/together-coop/together/services/internal/web"
)

// projectActions lists a project's actions for the web pages, from the
// reports' ledger, as known at a moment.
type projectActions struct{ runner *reports.Runner }

func (p projectActions) ProjectActions(_ *http.Request, projectID string, asOf time.Time) ([]web.ActionItem, error) {
	var out []web.ActionItem
	p.runner.Read(func(l *ledger.Ledger) {
		pr := l.Projects.Get(projectID)
		if pr == nil {
			return
		}
		for _, id := range pr.ActionIDs {
			a := l.Actions.Get(id)
			if a == nil || !a.Fact.KnownAt(asOf) {
				continue
			}
			item := web.ActionItem{ID: a.ID, Description: a.Description, Owner: a.OwnerAt(asOf),
				AgreedOn: events.DateOf(a.Fact.OccurredAt()), DueOn: a.DueOnAt(asOf), State: "open"}
			switch {
			case a.CompletedAt(asOf) != nil:
				item.State, item.CompletedOn = "completed", a.CompletedAt(asOf).CompletedOn
			case a.DroppedAt(asOf):
				item.State = "dropped"
			}
			out = append(out, item)
		}
	})
	return out, nil
}

// account is the header's account menu: who is signed in, and signing out
// (a form, with the session's CSRF token).
func account(r *http.Request) *web.HeaderAccount {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		return nil
	}
	items := []web.AccountItem{{Content: web.Content{Text: id.Name}, Icon: true}}
	if token := auth.CSRFToken(r.Context()); token != "" {
		items = append(items, web.AccountItem{Content: web.Content{Text: "Sign out"}, Action: "/sign-out",
			Fields: map[string]string{"csrf_token": token}})
	}
	return &web.HeaderAccount{Items: items}
}

// annualPacks computes the annual involvement pack for the web page from
// the reports' ledger, as of now, always under the convention for
// published counts: the pack is for publishing, whoever downloads it.
type annualPacks struct {
	runner *reports.Runner
	now    func() time.Time
	loc    *time.Location
	config report.Config
}

func (p annualPacks) AnnualPack(_ *http.Request, programme string, year int) ([]audit.PackFile, error) {
	var files []audit.PackFile
	var err error
	p.runner.Read(func(l *ledger.Ledger) {
		files, err = audit.ProgrammePack(l, programme, year, p.now(), p.loc, disclosure.NHSEngland(), p.config)
	})
	if errors.Is(err, audit.ErrNothingSelected) {
		return nil, fmt.Errorf("%w: %w", err, web.ErrNotFound)
	}
	return files, err
}
