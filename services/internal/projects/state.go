package projects

import (
	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
)

// State is a project as its history tells it.
type State struct {
	ID        string
	Exists    bool
	Closed    bool
	Programme string
	Name      string
	// Elements by id, each with its current level ("" before any decision).
	Elements map[string]*Element
}

// Element is one part of the project.
type Element struct {
	ID    string
	Name  string
	Level events.Level
}

// Fold builds the state from a project's history.
func Fold(id string, history []command.Recorded) State {
	s := State{ID: id, Elements: map[string]*Element{}}
	for _, r := range history {
		switch p := r.Data.(type) {
		case *project.Registered:
			s.Exists, s.Programme, s.Name = true, p.Programme, p.Name
		case *project.ElementAdded:
			s.Elements[p.ElementID] = &Element{ID: p.ElementID, Name: p.Name}
		case *project.InvolvementDecided:
			if el := s.Elements[p.ElementID]; el != nil {
				el.Level = p.Level
			}
		case *project.Closed:
			s.Closed = true
		}
	}
	return s
}

// Aggregate is the project aggregate: its streams and how their history
// folds into a [State].
var Aggregate = command.Aggregate[State]{
	Name:   "project",
	Stream: project.Stream,
	Fold:   Fold,
	Exists: func(s State) bool { return s.Exists },
}

// open rejects commands on a project that does not exist or was closed.
func (s State) open() error {
	if !s.Exists {
		return command.Rejectf(command.ErrNotFound, "no project %s", s.ID)
	}
	if s.Closed {
		return command.Rejectf(command.ErrConflict, "project %s is closed", s.ID)
	}
	return nil
}

// CheckOpen rejects work planned on a closed project.
func (s State) CheckOpen() error { return s.open() }
