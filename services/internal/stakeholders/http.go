package stakeholders

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
)

// Keyring seals personal data under a key per stakeholder and destroys
// the key on erasure.
type Keyring interface {
	Seal(ctx context.Context, stakeholderID string, plaintext []byte) (stakeholder.Sealed, error)
	Open(ctx context.Context, stakeholderID string, s stakeholder.Sealed) ([]byte, error)
	Destroy(ctx context.Context, stakeholderID string) error
}

// Service serves the stakeholder commands and the stakeholder record.
type Service struct {
	x    *command.Executor
	keys Keyring
}

// New returns the service.
func New(x *command.Executor, keys Keyring) *Service { return &Service{x: x, keys: keys} }

type registerBody struct {
	command.Common
	Name               string        `json:"name"`
	Contact            string        `json:"contact"`
	Roles              []events.Role `json:"roles"`
	CurrentExperience  bool          `json:"current_experience"`
	RecruitmentChannel string        `json:"recruitment_channel"`
}

type rolesBody struct {
	command.Common
	stakeholder.RolesChanged
}

type demographicsBody struct {
	command.Common
	stakeholder.Demographics
}

// supportNeedBody is the plain request; the note is sealed before it is
// recorded.
type supportNeedBody struct {
	command.Common
	Need string `json:"need"`
	Note string `json:"note"`
}

type consentBody struct {
	command.Common
	Scope string `json:"scope"`
}

type eraseBody struct {
	command.Common
	Reason string `json:"reason"`
}

// Routes adds the service's endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/stakeholders", command.Handler(s.x, http.StatusCreated, s.register))
	mux.Handle("POST /api/v1/stakeholders/{id}/roles", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *rolesBody, st State) ([]events.Payload, error) {
			return onActive(st, &b.RolesChanged)
		}))
	mux.Handle("POST /api/v1/stakeholders/{id}/demographics", command.Handler(s.x, http.StatusOK, s.declareDemographics))
	mux.Handle("POST /api/v1/stakeholders/{id}/support-needs", command.Handler(s.x, http.StatusOK, s.recordSupportNeed))
	mux.Handle("POST /api/v1/stakeholders/{id}/consent", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *consentBody, st State) ([]events.Payload, error) {
			return recordConsent(st, stakeholder.ConsentRecorded{Scope: b.Scope})
		}))
	mux.Handle("POST /api/v1/stakeholders/{id}/consent-withdrawals", command.OnPath(s.x, Aggregate, http.StatusOK,
		func(_ *http.Request, b *consentBody, st State) ([]events.Payload, error) {
			return withdrawConsent(st, stakeholder.ConsentWithdrawn{Scope: b.Scope})
		}))
	mux.Handle("POST /api/v1/stakeholders/{id}/erase", command.Handler(s.x, http.StatusOK, s.erase))
	mux.HandleFunc("GET /api/v1/stakeholders/{id}", s.show)
}

// seal checks and seals v (PII or Demographics) for stakeholder id.
func (s *Service) seal(ctx context.Context, id string, v interface{ Validate() error }) (stakeholder.Sealed, error) {
	if err := v.Validate(); err != nil {
		return stakeholder.Sealed{}, err
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return stakeholder.Sealed{}, err
	}
	return s.keys.Seal(ctx, id, plain)
}

func (s *Service) register(ctx context.Context, _ *http.Request, b *registerBody, meta command.Meta) (command.Result, error) {
	// The key is made under the id the command will record, before it
	// is recorded.
	id, err := meta.NewID(Aggregate.Name)
	if err != nil {
		return command.Result{}, err
	}
	p := stakeholder.Registered{Roles: b.Roles, CurrentExperience: b.CurrentExperience, RecruitmentChannel: b.RecruitmentChannel}
	// Check every field, the plain ones and those to be sealed, before a
	// key is made for somebody the command will not register, and report
	// them all at once.
	pii := stakeholder.PII{Name: b.Name, Contact: b.Contact}
	if err := allRules(stakeholder.TypeRegistered, p.ValidateDetails(), pii.Validate()); err != nil {
		return command.Result{}, err
	}
	if p.PII, err = s.seal(ctx, id, pii); err != nil {
		return command.Result{}, err
	}
	return Aggregate.OnNew(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return register(st, p) })
}

// allRules joins the broken field rules of several checks into one
// validation error of eventType, so that a form shows them together.
func allRules(eventType string, errs ...error) error {
	var fields []events.FieldError
	for _, err := range errs {
		var v *events.ValidationError
		switch {
		case err == nil:
		case errors.As(err, &v):
			fields = append(fields, v.Fields...)
		default:
			return err
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &events.ValidationError{Type: eventType, Fields: fields}
}

func (s *Service) declareDemographics(ctx context.Context, r *http.Request, b *demographicsBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if _, err := Aggregate.Load(ctx, s.x, id); err != nil {
		return command.Result{}, err
	}
	sealed, err := s.seal(ctx, id, b.Demographics)
	if err != nil {
		return command.Result{}, s.erasedIfDestroyed(id, err)
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) {
		return onActive(st, &stakeholder.DemographicsDeclared{Demographics: sealed})
	})
}

func (s *Service) recordSupportNeed(ctx context.Context, r *http.Request, b *supportNeedBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if err := stakeholder.ValidateSupportNeed(b.Need, b.Note); err != nil {
		return command.Result{}, err
	}
	p := stakeholder.SupportNeedRecorded{Need: b.Need}
	if b.Note != "" {
		if _, err := Aggregate.Load(ctx, s.x, id); err != nil { // make no key for nobody
			return command.Result{}, err
		}
		sealed, err := s.keys.Seal(ctx, id, []byte(b.Note))
		if err != nil {
			return command.Result{}, s.erasedIfDestroyed(id, err)
		}
		p.Note = &sealed
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return onActive(st, &p) })
}

// erase seals the reason under the person's key, destroys the key, then
// records the erasure. Destroying first means that whatever happens next,
// nobody reads the person's data again: if recording fails (or the process
// dies) the command may be retried and records it then (without the
// reason, whose key is gone), and a key somehow left (an erasure recorded
// by an older version, keys restored from a backup) is destroyed at the
// next start by keyring's Reconcile. A retry for somebody already erased
// destroys the key again before answering that they were erased already.
func (s *Service) erase(ctx context.Context, r *http.Request, b *eraseBody, meta command.Meta) (command.Result, error) {
	id, err := command.PathID(r, "id")
	if err != nil {
		return command.Result{}, err
	}
	if err := stakeholder.ValidateErasureReason(b.Reason); err != nil {
		return command.Result{}, err
	}
	if _, err := Aggregate.Load(ctx, s.x, id); err != nil { // nobody to erase: make no tombstone
		return command.Result{}, err
	}
	var p stakeholder.Erased
	switch sealed, err := s.keys.Seal(ctx, id, []byte(b.Reason)); {
	case err == nil:
		p.Reason = &sealed
	case !isDestroyed(err):
		return command.Result{}, err
	}
	if err := s.keys.Destroy(ctx, id); err != nil {
		return command.Result{}, err
	}
	return Aggregate.On(ctx, s.x, id, meta, func(st State) ([]events.Payload, error) { return onActive(st, &p) })
}

// erasedIfDestroyed explains a destroyed key. The history may not say
// the person was erased yet: an erasure destroys the key first, and one
// interrupted before it was recorded is finished by erasing them again.
func (s *Service) erasedIfDestroyed(id string, err error) error {
	if isDestroyed(err) {
		return command.Rejectf(command.ErrConflict, "stakeholder %s was erased (if their record does not say so, the erasure was interrupted: erase them again to record it)", id)
	}
	return err
}
