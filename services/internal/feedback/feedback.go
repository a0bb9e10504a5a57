package feedback

import (
	"context"
	"errors"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/engagements"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// State is a piece of feedback as its history tells it.
type State struct {
	ID        string
	Exists    bool
	ProjectID string
	Retracted bool
	// Anonymous feedback has a key of its own, which redaction destroys.
	Anonymous bool
	Redacted  bool
}

// Fold builds the state from a feedback stream's history.
func Fold(id string, history []command.Recorded) State {
	s := State{ID: id}
	for _, r := range history {
		switch p := r.Data.(type) {
		case *feedback.Given:
			s.Exists, s.ProjectID, s.Anonymous = true, p.ProjectID, p.Anonymous()
		case *feedback.Retracted:
			s.Retracted = true
		case *feedback.Redacted:
			s.Redacted = true
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

// redact accepts a redaction of anonymous feedback not yet redacted.
// Retracted feedback may be redacted too: its text is still stored.
func redact(s State, p feedback.Redacted) ([]events.Payload, error) {
	if !s.Exists {
		return nil, command.Rejectf(command.ErrNotFound, "no feedback %s", s.ID)
	}
	if !s.Anonymous {
		return nil, command.Rejectf(command.ErrConflict, "feedback %s has a named author: its summary is erased with them", s.ID)
	}
	if s.Redacted {
		return nil, command.Rejectf(command.ErrConflict, "feedback %s was redacted", s.ID)
	}
	return []events.Payload{&p}, nil
}

// Keyring seals summaries and shreds the key of anonymous feedback.
type Keyring interface {
	Seal(ctx context.Context, keyID string, plaintext []byte) (stakeholder.Sealed, error)
	Destroy(ctx context.Context, keyID string) error
}

// Service serves the feedback commands.
type Service struct {
	x    *command.Executor
	keys Keyring
}

// Option configures [New].
type Option func(*Service)

// WithKeyring seals summaries (under the named author's key, or one of
// the feedback's own) and lets anonymous feedback be redacted. Default:
// none, and feedback is refused rather than recorded in the clear.
func WithKeyring(k Keyring) Option { return func(s *Service) { s.keys = k } }

// New returns the service. Options: [WithKeyring].
func New(x *command.Executor, opts ...Option) *Service {
	s := &Service{x: x}
	for _, o := range opts {
		o(s)
	}
	return s
}

// giveBody is the plain request; the summary is sealed before it is
// recorded.
type giveBody struct {
	command.Common
	feedback.Given
	Summary string `json:"summary"`
}

type redactBody struct {
	command.Common
	feedback.Redacted
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
	mux.Handle("POST /api/v1/feedback/{id}/redact", command.Handler(s.x, http.StatusOK, s.redact))
}

func (s *Service) give(ctx context.Context, _ *http.Request, b *giveBody, meta command.Meta) (command.Result, error) {
	if err := b.Given.ValidatePlain(b.Summary); err != nil {
		return command.Result{}, err
	}
	if s.keys == nil {
		return command.Result{}, errors.New("feedback: no keyring to seal the summary with")
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
	id, err := meta.NewID(Aggregate.Name)
	if err != nil {
		return command.Result{}, err
	}
	p := b.Given
	p.LegacySummary = ""
	keyID := b.StakeholderID
	if keyID == "" {
		keyID = feedback.RecordKeyID(id)
	}
	sealed, err := s.keys.Seal(ctx, keyID, []byte(b.Summary))
	if errors.Is(err, keyring.ErrKeyDestroyed) {
		if b.StakeholderID != "" {
			return command.Result{}, command.Rejectf(command.ErrConflict, "stakeholder %s was erased", b.StakeholderID)
		}
		return command.Result{}, command.Rejectf(command.ErrConflict, "feedback %s was redacted", id)
	}
	if err != nil {
		return command.Result{}, err
	}
	p.Summary = &sealed
	return Aggregate.OnNew(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return give(st, p) })
}

// redact shreds the summary of anonymous feedback: its key is destroyed
// first, so that a crash before the redaction is recorded still leaves it
// unreadable, and a retry records it.
func (s *Service) redact(ctx context.Context, r *http.Request, b *redactBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if err := b.Redacted.Validate(); err != nil {
		return command.Result{}, err
	}
	if s.keys == nil {
		return command.Result{}, errors.New("feedback: no keyring to redact with")
	}
	st, err := Aggregate.Load(ctx, s.x, id)
	if err != nil {
		return command.Result{}, err
	}
	if _, err := redact(st, b.Redacted); err != nil && !st.Redacted {
		return command.Result{}, err
	}
	if err := s.keys.Destroy(ctx, feedback.RecordKeyID(id)); err != nil {
		return command.Result{}, err
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return redact(st, b.Redacted) })
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
