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
	mux.Handle("POST /api/v1/projects/{id}/elements/{element_id}/decisions", command.Handler(s.x, http.StatusCreated, s.decide))
	mux.Handle("POST /api/v1/projects/{id}/duty", command.Handler(s.x, http.StatusOK, s.assessDuty))
	mux.Handle("POST /api/v1/projects/{id}/close", command.Handler(s.x, http.StatusOK, s.close))
}

// on runs decide on the state of project id.
func (s *Service) on(ctx context.Context, id string, meta command.Meta, decide func(State) ([]events.Payload, error)) (command.Result, error) {
	return command.On(ctx, s.x, project.Stream(id), id, meta, Fold, decide)
}

func (s *Service) register(ctx context.Context, _ *http.Request, b *registerBody, meta command.Meta) (command.Result, error) {
	id, err := meta.NewID("project")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) { return register(st, b.Registered) })
}

func (s *Service) addElement(ctx context.Context, r *http.Request, b *elementBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	elementID, err := meta.NewID("element/" + id)
	if err != nil {
		return command.Result{}, err
	}
	res, err := s.on(ctx, id, meta, func(st State) ([]events.Payload, error) {
		return addElement(st, project.ElementAdded{ElementID: elementID, Name: b.Name})
	})
	res.ID = elementID
	return res, err
}

func (s *Service) decide(ctx context.Context, r *http.Request, b *decisionBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	elementID, err := command.PathID(r, "element_id")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) {
		return decide(st, project.InvolvementDecided{
			ElementID: elementID, Level: b.Level, Rationale: b.Rationale, DecidedBy: b.DecidedBy,
			DecisionRights: b.DecisionRights, Expectations: b.Expectations,
		})
	})
}

func (s *Service) assessDuty(ctx context.Context, r *http.Request, b *dutyBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) { return assessDuty(st, b.DutyAssessed) })
}

func (s *Service) close(ctx context.Context, r *http.Request, b *closeBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) { return closeProject(st, b.Closed) })
}
