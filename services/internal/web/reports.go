package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/inproc"
)

// ErrNotFound is returned by a [Reports] or [Actions] for a project or
// programme nobody knows (at the moment asked about); the site answers 404.
var ErrNotFound = errors.New("not found")

// QueryError is returned by a [Reports] for a query it refuses, with the
// reason a person can act on; the site shows it on the filter form.
type QueryError struct {
	Detail string
}

func (e *QueryError) Error() string { return e.Detail }

// Reports computes report documents for the pages.
type Reports interface {
	// Report returns the report called name (participation,
	// follow-through, decisions, programme, influence, …) for the query q,
	// which holds the API's parameters (project, programme, from, to,
	// as_of), as the JSON API would answer the request r: with counts
	// suppressed unless r's caller may see them exact. For an unknown
	// project or programme it returns an error wrapping [ErrNotFound];
	// for a query it refuses, a *[QueryError].
	Report(r *http.Request, name string, q url.Values) ([]byte, error)
}

// Actions lists a project's actions with their owners: the follow-through
// report counts actions but names nobody, so the overdue list needs this.
type Actions interface {
	// ProjectActions returns the project's actions as known at asOf. For
	// an unknown project it returns an error wrapping [ErrNotFound].
	ProjectActions(r *http.Request, projectID string, asOf time.Time) ([]ActionItem, error)
}

// ActionItem is one action agreed.
type ActionItem struct {
	ID          string
	Description string
	Owner       string
	// AgreedOn is the day it was agreed: the overdue list of a period
	// shows the actions agreed in it, as the follow-through report counts.
	AgreedOn events.Date
	DueOn    events.Date
	// State is open, completed or dropped.
	State       string
	CompletedOn events.Date
}

// HandlerReports returns the [Reports] that asks h, the handler serving
// GET /api/v1/reports/{name}, in process: each report is a sub-request
// carrying r's headers (so that whoever may see exact counts sees them
// on the pages too) and nothing of its body.
func HandlerReports(h http.Handler) Reports { return handlerReports{h} }

type handlerReports struct{ h http.Handler }

func (hr handlerReports) Report(r *http.Request, name string, q url.Values) ([]byte, error) {
	sub := r.Clone(r.Context())
	sub.Method = http.MethodGet
	sub.URL = &url.URL{Path: "/api/v1/reports/" + url.PathEscape(name), RawQuery: q.Encode()}
	sub.RequestURI = sub.URL.RequestURI()
	sub.Body, sub.ContentLength = http.NoBody, 0
	sub.Header.Set("Accept", "application/json")
	sub.Header.Del("Content-Type")
	res := inproc.Do(hr.h, sub)
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	switch {
	case res.StatusCode == http.StatusOK:
		return body, nil
	case res.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s report: %s: %w", name, detail(body), ErrNotFound)
	case res.StatusCode == http.StatusBadRequest:
		return nil, &QueryError{Detail: detail(body)}
	}
	return nil, fmt.Errorf("%s report: status %d: %s", name, res.StatusCode, detail(body))
}

// detail returns the detail of a problem+json answer, or a fallback.
func detail(body []byte) string {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return p.Detail
	}
	return "the report could not be computed"
}
