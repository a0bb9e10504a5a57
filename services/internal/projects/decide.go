package projects

import (
	"strings"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
)

func register(s State, p project.Registered) ([]events.Payload, error) {
	if s.Exists {
		return nil, command.Rejectf(command.ErrConflict, "project %s already exists", s.ID)
	}
	return []events.Payload{&p}, nil
}

func addElement(s State, p project.ElementAdded) ([]events.Payload, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	if _, dup := s.Elements[p.ElementID]; dup {
		return nil, command.Rejectf(command.ErrConflict, "element %s already exists", p.ElementID)
	}
	for _, el := range s.Elements {
		if strings.EqualFold(strings.TrimSpace(el.Name), strings.TrimSpace(p.Name)) {
			return nil, command.Rejectf(command.ErrConflict, "project %s already has an element named %q (%s)", s.ID, el.Name, el.ID)
		}
	}
	return []events.Payload{&p}, nil
}

func assessDuty(s State, p project.DutyAssessed) ([]events.Payload, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	return []events.Payload{&p}, nil
}

// decide records an involvement decision; the previous level comes from
// the history, never from the client, so the record cannot misstate it.
func decide(s State, p project.InvolvementDecided) ([]events.Payload, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	el, ok := s.Elements[p.ElementID]
	if !ok {
		return nil, command.Rejectf(command.ErrNotFound, "project %s has no element %s", s.ID, p.ElementID)
	}
	p.PreviousLevel = el.Level
	return []events.Payload{&p}, nil
}

func closeProject(s State, p project.Closed) ([]events.Payload, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	return []events.Payload{&p}, nil
}
