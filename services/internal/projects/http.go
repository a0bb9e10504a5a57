package projects

import (
	"context"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
)

// Service serves the project commands.
type Service struct {
	x *command.Executor
}

// New returns the service.
func New(x *command.Executor) *Service { return &Service{x: x} }

type registerBody struct {
	command.Common
	project.Registered
}

type elementBody struct {
	command.Common
	Name string `json:"name"`
}

type decisionBody struct {
	command.Common
	Level          events.Level            `json:"level"`
	Rationale      string                  `json:"rationale"`
	DecidedBy      string                  `json:"decided_by"`
	DecisionRights []project.DecisionRight `json:"decision_rights"`
	Expectations   string                  `json:"expectations"`
}

type dutyBody struct {
	command.Common
	project.DutyAssessed
}

type closeBody struct {
	command.Common
	project.Closed
}

// Routes adds the service's endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/projects", command.Handler(s.x, http.StatusCreated, s.register))
	mux.Handle("POST /api/v1/projects/{id}/elements", command.Handler(s.x, http.StatusCreated, s.addElement))
	mux.Handle("POST /api/v1/projects/{id}/elements/{element_id}/decisions", command.OnPath(s.x, Aggregate, http.StatusCreated,
		func(r *http.Request, b *decisionBody, st State) ([]events.Payload, error) {
			elementID, err := command.PathID(r, "element_id")
			if err != nil {
				return nil, err
			}
			return decide(st, project.InvolvementDecided{
				ElementID: elementID, Level: b.Level, Rationale: b.Rationale, DecidedBy: b.DecidedBy,
				DecisionRights: b.DecisionRights, Expectations: b.Expectations,
			})
		}))
	mux.Handle("POST /api/v1/projects/{id}/duty", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *dutyBody, st State) ([]events.Payload, error) {
			return assessDuty(st, b.DutyAssessed)
		}))
	mux.Handle("POST /api/v1/projects/{id}/close", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *closeBody, st State) ([]events.Payload, error) {
			return closeProject(st, b.Closed)
		}))
}

func (s *Service) register(ctx context.Context, _ *http.Request, b *registerBody, meta command.Meta) (command.Result, error) {
	return Aggregate.Create(ctx, s.x, meta, func(st State) ([]events.Payload, error) { return register(st, b.Registered) })
}

// addElement names the new element by an id of its own, derived like an
// aggregate's from the Idempotency-Key.
func (s *Service) addElement(ctx context.Context, r *http.Request, b *elementBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	elementID, err := meta.NewID("element/" + id)
	if err != nil {
		return command.Result{}, err
	}
	res, err := Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) {
		return addElement(st, project.ElementAdded{ElementID: elementID, Name: b.Name})
	})
	res.ID = elementID
	return res, err
}
