package engagements

import (
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/services/internal/command"
)

// State is an engagement as its history tells it.
type State struct {
	ID         string
	Exists     bool
	ProjectID  string
	ElementIDs []string
	Held       bool
	Cancelled  bool
	// Invited maps each invitee to their latest answer: nil if none yet.
	Invited map[string]*bool
}

// Fold builds the state from an engagement's history.
func Fold(id string, history []command.Recorded) State {
	s := State{ID: id, Invited: map[string]*bool{}}
	for _, r := range history {
		switch p := r.Data.(type) {
		case *engagement.Planned:
			s.Exists, s.ProjectID, s.ElementIDs = true, p.ProjectID, p.ElementIDs
		case *engagement.StakeholderInvited:
			s.Invited[p.StakeholderID] = nil
		case *engagement.InvitationAnswered:
			accepted := p.Accepted
			s.Invited[p.StakeholderID] = &accepted
		case *engagement.Held:
			s.Held = true
		case *engagement.Cancelled:
			s.Cancelled = true
		}
	}
	return s
}

// Aggregate is the engagement aggregate: its streams and how their
// history folds into a [State].
var Aggregate = command.Aggregate[State]{
	Name:   "engagement",
	Stream: engagement.Stream,
	Fold:   Fold,
	Exists: func(s State) bool { return s.Exists },
}

func (s State) exists() error {
	if !s.Exists {
		return command.Rejectf(command.ErrNotFound, "no engagement %s", s.ID)
	}
	return nil
}

// upcoming rejects commands that only make sense before the engagement
// took place.
func (s State) upcoming() error {
	if err := s.exists(); err != nil {
		return err
	}
	if s.Cancelled {
		return command.Rejectf(command.ErrConflict, "engagement %s was cancelled", s.ID)
	}
	if s.Held {
		return command.Rejectf(command.ErrConflict, "engagement %s was already held", s.ID)
	}
	return nil
}
