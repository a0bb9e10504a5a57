package actions

import (
	"context"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/feedback"
	"github.com/together-coop/together/services/internal/projects"
)

// State is an action as its history tells it.
type State struct {
	ID        string
	Exists    bool
	AgreedOn  events.Date
	Completed bool
	Dropped   bool
}

// Fold builds the state from an action's history.
func Fold(id string, history []command.Recorded) State {
	s := State{ID: id}
	for _, r := range history {
		switch r.Data.(type) {
		case *action.Agreed:
			s.Exists, s.AgreedOn = true, events.DateOf(r.OccurredAt)
		case *action.Completed:
			s.Completed = true
		case *action.Dropped:
			s.Dropped = true
		}
	}
	return s
}

func agree(s State, p action.Agreed) ([]events.Payload, error) {
	if s.Exists {
		return nil, command.Rejectf(command.ErrConflict, "action %s already exists", s.ID)
	}
	if p.FeedbackIDs == nil {
		p.FeedbackIDs = []string{}
	}
	return []events.Payload{&p}, nil
}

// open accepts p for an action that is neither completed nor dropped.
func open(s State, p events.Payload) ([]events.Payload, error) {
	switch {
	case !s.Exists:
		return nil, command.Rejectf(command.ErrNotFound, "no action %s", s.ID)
	case s.Completed:
		return nil, command.Rejectf(command.ErrConflict, "action %s was already completed", s.ID)
	case s.Dropped:
		return nil, command.Rejectf(command.ErrConflict, "action %s was dropped", s.ID)
	}
	return []events.Payload{p}, nil
}

// reschedule moves the due date of an open action. A date before the
// action was agreed is a typing mistake, not a plan, and would count as a
// reschedule for ever.
func reschedule(s State, p action.Rescheduled) ([]events.Payload, error) {
	if _, err := open(s, &p); err != nil {
		return nil, err
	}
	if p.DueOn.Before(s.AgreedOn) {
		return nil, command.Rejectf(command.ErrInvalid, "due_on %s is before the action was agreed (%s)", p.DueOn, s.AgreedOn)
	}
	return []events.Payload{&p}, nil
}

func complete(s State, p action.Completed, today events.Date) ([]events.Payload, error) {
	if _, err := open(s, &p); err != nil {
		return nil, err
	}
	if p.CompletedOn.After(today) {
		return nil, command.Rejectf(command.ErrInvalid, "completed_on %s is in the future", p.CompletedOn)
	}
	if p.CompletedOn.Before(s.AgreedOn) {
		return nil, command.Rejectf(command.ErrInvalid, "completed_on %s is before the action was agreed (%s)", p.CompletedOn, s.AgreedOn)
	}
	return []events.Payload{&p}, nil
}

// communicate closes the loop: there is an outcome to feed back once the
// action was completed or dropped.
func communicate(s State, p action.OutcomeCommunicated) ([]events.Payload, error) {
	switch {
	case !s.Exists:
		return nil, command.Rejectf(command.ErrNotFound, "no action %s", s.ID)
	case !s.Completed && !s.Dropped:
		return nil, command.Rejectf(command.ErrConflict, "action %s is still open: complete or drop it before communicating its outcome", s.ID)
	}
	return []events.Payload{&p}, nil
}

// Service serves the action commands.
type Service struct {
	x *command.Executor
}

// New returns the service.
func New(x *command.Executor) *Service { return &Service{x: x} }

type agreeBody struct {
	command.Common
	action.Agreed
}

type completeBody struct {
	command.Common
	action.Completed
}

type dropBody struct {
	command.Common
	action.Dropped
}

type rescheduleBody struct {
	command.Common
	action.Rescheduled
}

type reassignBody struct {
	command.Common
	action.Reassigned
}

type communicateBody struct {
	command.Common
	action.OutcomeCommunicated
}

// Aggregate is the action aggregate: its streams and how their history
// folds into a [State].
var Aggregate = command.Aggregate[State]{
	Name:   "action",
	Stream: action.Stream,
	Fold:   Fold,
	Exists: func(s State) bool { return s.Exists },
}

// Routes adds the service's endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/actions", command.Handler(s.x, http.StatusCreated, s.agree))
	mux.Handle("POST /api/v1/actions/{id}/complete", command.Handler(s.x, http.StatusOK, s.complete))
	mux.Handle("POST /api/v1/actions/{id}/drop", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *dropBody, st State) ([]events.Payload, error) { return open(st, &b.Dropped) }))
	mux.Handle("POST /api/v1/actions/{id}/reschedule", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *rescheduleBody, st State) ([]events.Payload, error) {
			return reschedule(st, b.Rescheduled)
		}))
	mux.Handle("POST /api/v1/actions/{id}/reassign", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *reassignBody, st State) ([]events.Payload, error) {
			return open(st, &b.Reassigned)
		}))
	mux.Handle("POST /api/v1/actions/{id}/communicate", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *communicateBody, st State) ([]events.Payload, error) {
			return communicate(st, b.OutcomeCommunicated)
		}))
}

func (s *Service) agree(ctx context.Context, _ *http.Request, b *agreeBody, meta command.Meta) (command.Result, error) {
	if err := b.Agreed.Validate(); err != nil {
		return command.Result{}, err
	}
	if _, err := projects.Aggregate.Load(ctx, s.x, b.ProjectID); err != nil {
		return command.Result{}, err
	}
	var from []feedback.State
	for _, fid := range b.FeedbackIDs {
		f, err := feedback.Aggregate.Load(ctx, s.x, fid)
		if err != nil {
			return command.Result{}, err
		}
		from = append(from, f)
	}
	var eng *engagements.State
	if b.EngagementID != "" {
		e, err := engagements.Aggregate.Load(ctx, s.x, b.EngagementID)
		if err != nil {
			return command.Result{}, err
		}
		eng = &e
	}
	if err := agreedFrom(b.ProjectID, from, eng); err != nil {
		return command.Result{}, err
	}
	return Aggregate.Create(ctx, s.x, meta, func(st State) ([]events.Payload, error) { return agree(st, b.Agreed) })
}

// agreedFrom checks an action against the feedback and the engagement it
// answers: all of project projectID, and the feedback still standing.
func agreedFrom(projectID string, from []feedback.State, eng *engagements.State) error {
	for _, f := range from {
		if f.ProjectID != projectID {
			return command.Rejectf(command.ErrInvalid, "feedback %s belongs to project %s, not %s", f.ID, f.ProjectID, projectID)
		}
		if f.Retracted {
			return command.Rejectf(command.ErrConflict, "feedback %s was retracted", f.ID)
		}
	}
	if eng != nil && eng.ProjectID != projectID {
		return command.Rejectf(command.ErrInvalid, "engagement %s belongs to project %s, not %s", eng.ID, eng.ProjectID, projectID)
	}
	return nil
}

func (s *Service) complete(ctx context.Context, r *http.Request, b *completeBody, meta command.Meta) (command.Result, error) {
	if err := b.Completed.Validate(); err != nil {
		return command.Result{}, err
	}
	today := events.DateOf(s.x.Now())
	if meta.OccurredAt.IsZero() {
		// Completed on a given day: that is when it happened.
		meta.OccurredAt = b.CompletedOn.Time()
	}
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return complete(st, b.Completed, today) })
}
