package feedback

import (
	"context"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// State is a piece of feedback as its history tells it.
type State struct {
	ID        string
	Exists    bool
	ProjectID string
	Retracted bool
}

// Fold builds the state from a feedback stream's history.
func Fold(id string, history []command.Recorded) State {
	s := State{ID: id}
	for _, r := range history {
		switch p := r.Data.(type) {
		case *feedback.Given:
			s.Exists, s.ProjectID = true, p.ProjectID
		case *feedback.Retracted:
			s.Retracted = true
		}
	}
	return s
}

// Load returns the state of feedback id, or ErrNotFound.
func Load(ctx context.Context, x *command.Executor, id string) (State, error) {
	h, err := x.Load(ctx, feedback.Stream(id))
	if err != nil {
		return State{}, err
	}
	s := Fold(id, h)
	if !s.Exists {
		return State{}, command.Rejectf(command.ErrNotFound, "no feedback %s", id)
	}
	return s, nil
}

func give(s State, p feedback.Given) ([]events.Payload, error) {
	if s.Exists {
		return nil, command.Rejectf(command.ErrConflict, "feedback %s already exists", s.ID)
	}
	if p.Themes == nil {
		p.Themes = []string{}
	}
	return []events.Payload{&p}, nil
}

// standing accepts p for feedback that exists and was not retracted.
func standing(s State, p events.Payload) ([]events.Payload, error) {
	if !s.Exists {
		return nil, command.Rejectf(command.ErrNotFound, "no feedback %s", s.ID)
	}
	if s.Retracted {
		return nil, command.Rejectf(command.ErrConflict, "feedback %s was retracted", s.ID)
	}
	return []events.Payload{p}, nil
}

// Service serves the feedback commands.
type Service struct {
	x *command.Executor
}

// New returns the service.
func New(x *command.Executor) *Service { return &Service{x: x} }

type giveBody struct {
	command.Common
	feedback.Given
}

type respondBody struct {
	command.Common
	feedback.Responded
}

type retractBody struct {
	command.Common
	feedback.Retracted
}

// Routes adds the service's endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/feedback", command.Handler(s.x, http.StatusCreated, s.give))
	mux.Handle("POST /api/v1/feedback/{id}/response", command.Handler(s.x, http.StatusOK, s.respond))
	mux.Handle("POST /api/v1/feedback/{id}/retract", command.Handler(s.x, http.StatusOK, s.retract))
}

func (s *Service) on(ctx context.Context, id string, meta command.Meta, decide func(State) ([]events.Payload, error)) (command.Result, error) {
	return command.On(ctx, s.x, feedback.Stream(id), id, meta, Fold, decide)
}

func (s *Service) give(ctx context.Context, _ *http.Request, b *giveBody, meta command.Meta) (command.Result, error) {
	if err := b.Given.Validate(); err != nil {
		return command.Result{}, err
	}
	proj, err := projects.Load(ctx, s.x, b.ProjectID)
	if err != nil {
		return command.Result{}, err
	}
	if b.ElementID != "" {
		if _, ok := proj.Elements[b.ElementID]; !ok {
			return command.Result{}, command.Rejectf(command.ErrNotFound, "project %s has no element %s", b.ProjectID, b.ElementID)
		}
	}
	if b.EngagementID != "" {
		eng, err := engagements.Load(ctx, s.x, b.EngagementID)
		if err != nil {
			return command.Result{}, err
		}
		if eng.ProjectID != b.ProjectID {
			return command.Result{}, command.Rejectf(command.ErrInvalid, "engagement %s belongs to project %s, not %s", b.EngagementID, eng.ProjectID, b.ProjectID)
		}
	}
	if b.StakeholderID != "" {
		if err := stakeholders.CheckActive(ctx, s.x, b.StakeholderID); err != nil {
			return command.Result{}, err
		}
	}
	id, err := meta.NewID("feedback")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) { return give(st, b.Given) })
}

func (s *Service) respond(ctx context.Context, r *http.Request, b *respondBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) { return standing(st, &b.Responded) })
}

func (s *Service) retract(ctx context.Context, r *http.Request, b *retractBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	return s.on(ctx, id, meta, func(st State) ([]events.Payload, error) { return standing(st, &b.Retracted) })
}
