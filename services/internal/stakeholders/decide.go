package stakeholders

import (
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
)

func register(s State, p stakeholder.Registered) ([]events.Payload, error) {
	if s.Exists {
		return nil, command.Rejectf(command.ErrConflict, "stakeholder %s already exists", s.ID)
	}
	return []events.Payload{&p}, nil
}

// onActive accepts p for a stakeholder who exists and was not erased.
func onActive(s State, p events.Payload) ([]events.Payload, error) {
	if err := s.active(); err != nil {
		return nil, err
	}
	return []events.Payload{p}, nil
}

func recordConsent(s State, p stakeholder.ConsentRecorded) ([]events.Payload, error) {
	if err := s.active(); err != nil {
		return nil, err
	}
	if s.Consents[p.Scope] {
		return nil, command.Rejectf(command.ErrConflict, "stakeholder %s already consented to %s", s.ID, p.Scope)
	}
	return []events.Payload{&p}, nil
}

func withdrawConsent(s State, p stakeholder.ConsentWithdrawn) ([]events.Payload, error) {
	if err := s.active(); err != nil {
		return nil, err
	}
	if !s.Consents[p.Scope] {
		return nil, command.Rejectf(command.ErrConflict, "stakeholder %s has no consent to %s to withdraw", s.ID, p.Scope)
	}
	return []events.Payload{&p}, nil
}
