package engagements

import (
	"context"
	"errors"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/projects"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// Service serves the engagement commands.
type Service struct {
	x    *command.Executor
	keys Sealer
}

// Sealer seals text under a stakeholder's key: the keyring.
type Sealer interface {
	Seal(ctx context.Context, keyID string, plaintext []byte) (stakeholder.Sealed, error)
}

// Option configures [New].
type Option func(*Service)

// WithSealer seals the reasons given with answers under the invitee's
// key. Default: none, and an answer with a reason is refused rather than
// recorded in the clear.
func WithSealer(k Sealer) Option { return func(s *Service) { s.keys = k } }

// New returns the service. Options: [WithSealer].
func New(x *command.Executor, opts ...Option) *Service {
	s := &Service{x: x}
	for _, o := range opts {
		o(s)
	}
	return s
}

type planBody struct {
	command.Common
	engagement.Planned
}

type inviteBody struct {
	command.Common
	engagement.StakeholderInvited
}

// answerBody is the plain request; the reason is sealed before it is
// recorded.
type answerBody struct {
	command.Common
	StakeholderID string `json:"stakeholder_id"`
	Accepted      bool   `json:"accepted"`
	Reason        string `json:"reason"`
}

type heldBody struct {
	command.Common
	engagement.Held
}

type supportBody struct {
	command.Common
	engagement.SupportProvided
}

type cancelBody struct {
	command.Common
	engagement.Cancelled
}

// Routes adds the service's endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/engagements", command.Handler(s.x, http.StatusCreated, s.plan))
	mux.Handle("POST /api/v1/engagements/{id}/invitations", command.Handler(s.x, http.StatusOK, s.invite))
	mux.Handle("POST /api/v1/engagements/{id}/answers", command.Handler(s.x, http.StatusOK, s.answer))
	mux.Handle("POST /api/v1/engagements/{id}/held", command.Handler(s.x, http.StatusOK, s.hold))
	mux.Handle("POST /api/v1/engagements/{id}/support", command.Handler(s.x, http.StatusOK, s.provideSupport))
	mux.Handle("POST /api/v1/engagements/{id}/cancel", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *cancelBody, st State) ([]events.Payload, error) {
			return cancel(st, b.Cancelled)
		}))
}

func (s *Service) plan(ctx context.Context, _ *http.Request, b *planBody, meta command.Meta) (command.Result, error) {
	if err := b.Planned.Validate(); err != nil {
		return command.Result{}, err
	}
	proj, err := projects.Aggregate.Load(ctx, s.x, b.ProjectID)
	if err != nil {
		return command.Result{}, err
	}
	if err := plannedOn(proj, b.Planned); err != nil {
		return command.Result{}, err
	}
	if b.ElementIDs == nil {
		b.ElementIDs = []string{}
	}
	return Aggregate.Create(ctx, s.x, meta, func(st State) ([]events.Payload, error) { return plan(st, b.Planned) })
}

func (s *Service) invite(ctx context.Context, r *http.Request, b *inviteBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if err := s.checkStakeholders(ctx, b.Validate, b.StakeholderID); err != nil {
		return command.Result{}, err
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return invite(st, b.StakeholderInvited) })
}

func (s *Service) answer(ctx context.Context, r *http.Request, b *answerBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if err := engagement.ValidateAnswer(b.StakeholderID, b.Reason); err != nil {
		return command.Result{}, err
	}
	p := engagement.InvitationAnswered{StakeholderID: b.StakeholderID, Accepted: b.Accepted}
	if b.Reason != "" {
		if s.keys == nil {
			return command.Result{}, errors.New("engagements: no keyring to seal the reason with")
		}
		if err := stakeholders.CheckActive(ctx, s.x, b.StakeholderID); err != nil {
			return command.Result{}, err
		}
		sealed, err := s.keys.Seal(ctx, b.StakeholderID, []byte(b.Reason))
		if errors.Is(err, keyring.ErrKeyDestroyed) {
			return command.Result{}, command.Rejectf(command.ErrConflict, "stakeholder %s was erased", b.StakeholderID)
		}
		if err != nil {
			return command.Result{}, err
		}
		p.Reason = &sealed
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return answer(st, p) })
}

func (s *Service) hold(ctx context.Context, r *http.Request, b *heldBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if _, err := Aggregate.Load(ctx, s.x, id); err != nil {
		return command.Result{}, err
	}
	if err := s.checkStakeholders(ctx, b.Validate, b.AttendeeIDs...); err != nil {
		return command.Result{}, err
	}
	today := events.DateOf(s.x.Now())
	if meta.OccurredAt.IsZero() && !b.HeldOn.IsZero() {
		// The business time of a held engagement is the day it was held,
		// so reports place it in the right window even when it is
		// recorded days later.
		meta.OccurredAt = b.HeldOn.Time()
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return hold(st, b.Held, today) })
}

func (s *Service) provideSupport(ctx context.Context, r *http.Request, b *supportBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if err := s.checkStakeholders(ctx, b.Validate, b.StakeholderID); err != nil {
		return command.Result{}, err
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return provideSupport(st, b.SupportProvided) })
}

// checkStakeholders validates the body first, so malformed ids are 400
// rather than lookups, then requires each id to be a registered, not
// erased, stakeholder.
func (s *Service) checkStakeholders(ctx context.Context, validate func() error, ids ...string) error {
	if err := validate(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := stakeholders.CheckActive(ctx, s.x, id); err != nil {
			return err
		}
	}
	return nil
}
