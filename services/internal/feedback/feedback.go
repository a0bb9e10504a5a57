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

// Aggregate is the feedback aggregate: its streams and how their history
// folds into a [State].
var Aggregate = command.Aggregate[State]{
	Name:   "feedback",
	Stream: feedback.Stream,
	Fold:   Fold,
	Exists: func(s State) bool { return s.Exists },
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
	mux.Handle("POST /api/v1/feedback/{id}/response", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *respondBody, st State) ([]events.Payload, error) {
			return standing(st, &b.Responded)
		}))
	mux.Handle("POST /api/v1/feedback/{id}/retract", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *retractBody, st State) ([]events.Payload, error) {
			return standing(st, &b.Retracted)
		}))
}

func (s *Service) give(ctx context.Context, _ *http.Request, b *giveBody, meta command.Meta) (command.Result, error) {
	if err := b.Given.Validate(); err != nil {
		return command.Result{}, err
	}
	proj, err := projects.Aggregate.Load(ctx, s.x, b.ProjectID)
	if err != nil {
		return command.Result{}, err
	}
	var eng *engagements.State
	if b.EngagementID != "" {
		e, err := engagements.Aggregate.Load(ctx, s.x, b.EngagementID)
		if err != nil {
			return command.Result{}, err
		}
		eng = &e
	}
	if err := givenOn(proj, eng, b.Given); err != nil {
		return command.Result{}, err
	}
	if b.StakeholderID != "" {
		if err := stakeholders.CheckActive(ctx, s.x, b.StakeholderID); err != nil {
			return command.Result{}, err
		}
	}
	return Aggregate.Create(ctx, s.x, meta, func(st State) ([]events.Payload, error) { return give(st, b.Given) })
}

// givenOn checks feedback against the project it is about and the
// engagement it was given at, if any: the element is the project's, and
// the engagement too.
func givenOn(proj projects.State, eng *engagements.State, p feedback.Given) error {
	if p.ElementID != "" {
		if _, ok := proj.Elements[p.ElementID]; !ok {
			return command.Rejectf(command.ErrNotFound, "project %s has no element %s", proj.ID, p.ElementID)
		}
	}
	if eng != nil && eng.ProjectID != proj.ID {
		return command.Rejectf(command.ErrInvalid, "engagement %s belongs to project %s, not %s", eng.ID, eng.ProjectID, proj.ID)
	}
	return nil
}
