package stakeholders

import (
	"context"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
)

// State is a stakeholder as their history tells it.
type State struct {
	ID                 string
	Exists             bool
	Erased             bool
	Roles              []events.Role
	CurrentExperience  bool
	RecruitmentChannel string
	PII                stakeholder.Sealed
	Demographics       *stakeholder.Sealed
	SupportNeeds       []stakeholder.SupportNeedRecorded
	// Consents maps each scope to whether consent currently stands.
	Consents map[string]bool
}

// Fold builds the state from a stakeholder's history.
func Fold(id string, history []command.Recorded) State {
	s := State{ID: id, Consents: map[string]bool{}}
	for _, r := range history {
		switch p := r.Data.(type) {
		case *stakeholder.Registered:
			s.Exists, s.Roles, s.CurrentExperience, s.RecruitmentChannel, s.PII = true, p.Roles, p.CurrentExperience, p.RecruitmentChannel, p.PII
		case *stakeholder.RolesChanged:
			s.Roles = p.Roles
		case *stakeholder.DemographicsDeclared:
			d := p.Demographics
			s.Demographics = &d
		case *stakeholder.SupportNeedRecorded:
			s.SupportNeeds = append(s.SupportNeeds, *p)
		case *stakeholder.ConsentRecorded:
			s.Consents[p.Scope] = true
		case *stakeholder.ConsentWithdrawn:
			s.Consents[p.Scope] = false
		case *stakeholder.Erased:
			s.Erased = true
		}
	}
	return s
}

// Aggregate is the stakeholder aggregate: its streams and how their
// history folds into a [State].
var Aggregate = command.Aggregate[State]{
	Name:   "stakeholder",
	Stream: stakeholder.Stream,
	Fold:   Fold,
	Exists: func(s State) bool { return s.Exists },
}

// CheckActive rejects a stakeholder who does not exist or was erased, for
// commands that would record them taking part.
func CheckActive(ctx context.Context, x *command.Executor, id string) error {
	s, err := Aggregate.Load(ctx, x, id)
	if err != nil {
		return err
	}
	return s.active()
}

func (s State) active() error {
	if !s.Exists {
		return command.Rejectf(command.ErrNotFound, "no stakeholder %s", s.ID)
	}
	if s.Erased {
		return command.Rejectf(command.ErrConflict, "stakeholder %s was erased", s.ID)
	}
	return nil
}
