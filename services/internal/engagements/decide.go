package engagements

import (
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/projects"
)

func plan(s State, p engagement.Planned) ([]events.Payload, error) {
	if s.Exists {
		return nil, command.Rejectf(command.ErrConflict, "engagement %s already exists", s.ID)
	}
	return []events.Payload{&p}, nil
}

func invite(s State, p engagement.StakeholderInvited) ([]events.Payload, error) {
	if err := s.upcoming(); err != nil {
		return nil, err
	}
	if _, dup := s.Invited[p.StakeholderID]; dup {
		return nil, command.Rejectf(command.ErrConflict, "stakeholder %s is already invited to engagement %s", p.StakeholderID, s.ID)
	}
	return []events.Payload{&p}, nil
}

func answer(s State, p engagement.InvitationAnswered) ([]events.Payload, error) {
	if err := s.upcoming(); err != nil {
		return nil, err
	}
	if _, invited := s.Invited[p.StakeholderID]; !invited {
		return nil, command.Rejectf(command.ErrConflict, "stakeholder %s was not invited to engagement %s", p.StakeholderID, s.ID)
	}
	return []events.Payload{&p}, nil
}

// hold records the day; attendees need not have been invited (people
// bring a friend), but they must be registered, which the caller checks.
func hold(s State, p engagement.Held, today events.Date) ([]events.Payload, error) {
	if err := s.upcoming(); err != nil {
		return nil, err
	}
	if p.HeldOn.After(today) {
		return nil, command.Rejectf(command.ErrInvalid, "held_on %s is in the future; record an engagement once it was held", p.HeldOn)
	}
	if p.AttendeeIDs == nil {
		p.AttendeeIDs = []string{}
	}
	return []events.Payload{&p}, nil
}

func provideSupport(s State, p engagement.SupportProvided) ([]events.Payload, error) {
	if err := s.exists(); err != nil {
		return nil, err
	}
	if s.Cancelled {
		return nil, command.Rejectf(command.ErrConflict, "engagement %s was cancelled", s.ID)
	}
	return []events.Payload{&p}, nil
}

func cancel(s State, p engagement.Cancelled) ([]events.Payload, error) {
	if err := s.upcoming(); err != nil {
		return nil, err
	}
	return []events.Payload{&p}, nil
}

// plannedOn checks an engagement against the project it is planned on: the
// project is open and has every element the engagement is linked to.
func plannedOn(proj projects.State, p engagement.Planned) error {
	if err := proj.CheckOpen(); err != nil {
		return err
	}
	for _, el := range p.ElementIDs {
		if _, ok := proj.Elements[el]; !ok {
			return command.Rejectf(command.ErrNotFound, "project %s has no element %s", proj.ID, el)
		}
	}
	return nil
}
