package reports

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"encoding/json"

	"github.com/together-coop/together/projections"
	"github.com/together-coop/together/projections/decisions"
	"github.com/together-coop/together/projections/followthrough"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/projections/participation"
	"github.com/together-coop/together/projections/programme"
	"github.com/together-coop/together/services/internal/problem"
)

// MaxWait bounds how long a report waits for min_position.
const MaxWait = 10 * time.Second

// Service serves the reports.
type Service struct {
	runner     *Runner
	thresholds programme.Thresholds
	now        func() time.Time
}

// NewService returns the reports service over runner.
func NewService(runner *Runner, thresholds programme.Thresholds, now func() time.Time) *Service {
	return &Service{runner: runner, thresholds: thresholds, now: now}
}

// Routes adds the report endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/reports/{report}", s.report)
}

// Report is one computed report, ready to render.
type Report interface{ CSV() []byte }

// Names lists the reports in the order they are documented.
var Names = []string{participation.Name, followthrough.Name, decisions.Name, programme.Name}

// Known reports whether there is a report called name.
func Known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Compute computes the report called name, or reports false if there is
// no such report. The live API, replays and exports all compute through
// it, so they give the same document for the same history and query.
func Compute(name string, l *ledger.Ledger, q projections.Query, t programme.Thresholds) (Report, bool) {
	switch name {
	case participation.Name:
		return participation.Compute(l, q), true
	case followthrough.Name:
		return followthrough.Compute(l, q), true
	case decisions.Name:
		return decisions.Compute(l, q), true
	case programme.Name:
		return programme.Compute(l, q, t), true
	}
	return nil, false
}

// JSON renders a report as the API serves it: compact, one line.
func JSON(r Report) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (s *Service) compute(name string, l *ledger.Ledger, q projections.Query) (Report, bool) {
	return Compute(name, l, q, s.thresholds)
}

func (s *Service) report(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("report")
	if !Known(name) {
		problem.Write(w, r, http.StatusNotFound, fmt.Sprintf("no report %q: there are participation, follow-through, decisions and programme", name))
		return
	}
	q, format, minPosition, err := s.parse(r)
	if err != nil {
		problem.Write(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if minPosition > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), MaxWait)
		err := s.runner.WaitFor(ctx, minPosition)
		cancel()
		if err != nil {
			w.Header().Set("Retry-After", "1")
			problem.Write(w, r, http.StatusServiceUnavailable, fmt.Sprintf(
				"the reports have not reached position %d yet (they are at %d): %v", minPosition, s.runner.Checkpoint(), err))
			return
		}
	}
	var rep Report
	var known bool
	s.runner.Read(func(l *ledger.Ledger) {
		known = q.Project == "" || l.Projects[q.Project] != nil && q.Known(l.Projects[q.Project].Fact)
		if known {
			rep, _ = s.compute(name, l, q)
		}
	})
	if !known {
		problem.Write(w, r, http.StatusNotFound, fmt.Sprintf("no project %s as of %s", q.Project, q.AsOf.Format(time.RFC3339)))
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
		_, _ = w.Write(rep.CSV())
		return
	}
	body, err := JSON(rep)
	if err != nil {
		problem.Write(w, r, http.StatusInternalServerError, "the report could not be encoded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (s *Service) parse(r *http.Request) (q projections.Query, format string, minPosition uint64, err error) {
	v := r.URL.Query()
	for key := range v {
		switch key {
		case "project", "programme", "from", "to", "as_of", "format", "min_position":
		default:
			return q, "", 0, fmt.Errorf("unknown parameter %q (want project, programme, from, to, as_of, format, min_position)", key)
		}
	}
	q.Project, q.Programme = v.Get("project"), v.Get("programme")
	now := s.now()
	q.AsOf = now
	if as := v.Get("as_of"); as != "" {
		if q.AsOf, err = projections.ParseMoment(as); err != nil {
			return q, "", 0, fmt.Errorf("as_of: %w", err)
		}
		if q.AsOf.After(now.Add(time.Minute)) {
			return q, "", 0, errors.New("as_of is in the future: a report is as the system knew it at a moment that has passed")
		}
	}
	for key, dst := range map[string]**time.Time{"from": &q.From, "to": &q.To} {
		if s := v.Get(key); s != "" {
			t, err := projections.ParseMoment(s)
			if err != nil {
				return q, "", 0, fmt.Errorf("%s: %w", key, err)
			}
			*dst = &t
		}
	}
	if err := q.Validate(); err != nil {
		return q, "", 0, err
	}
	switch format = v.Get("format"); format {
	case "", "json":
		format = "json"
	case "csv":
	default:
		return q, "", 0, fmt.Errorf("format %q: want json or csv", format)
	}
	if mp := v.Get("min_position"); mp != "" {
		if minPosition, err = strconv.ParseUint(mp, 10, 64); err != nil {
			return q, "", 0, errors.New("min_position must be a store position (a whole number)")
		}
	}
	return q, format, minPosition, nil
}
