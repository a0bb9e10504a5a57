package projects

import (
	"errors"
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/project"
	"github.com/together-coop/together/services/internal/command"
)

func TestDecide(t *testing.T) {
	state := func(level events.Level, closed bool) State {
		return State{ID: "p", Exists: true, Closed: closed, Elements: map[string]*Element{"el": {ID: "el", Name: "Desk", Level: level}}}
	}
	tests := []struct {
		name         string
		state        State
		element      string
		level        events.Level
		wantPrevious events.Level
		wantErr      error
	}{
		{"first decision", state("", false), "el", events.LevelConsult, "", nil},
		{"raise", state(events.LevelConsult, false), "el", events.LevelCoProduce, events.LevelConsult, nil},
		{"lower", state(events.LevelCoDesign, false), "el", events.LevelInform, events.LevelCoDesign, nil},
		{"unknown element", state("", false), "nope", events.LevelConsult, "", command.ErrNotFound},
		{"closed project", state("", true), "el", events.LevelConsult, "", command.ErrConflict},
		{"unknown project", State{ID: "p"}, "el", events.LevelConsult, "", command.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A client cannot set the previous level: it comes from history.
			got, err := decide(tt.state, project.InvolvementDecided{ElementID: tt.element, Level: tt.level, PreviousLevel: events.LevelInform})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("decide() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			d := got[0].(*project.InvolvementDecided)
			if d.PreviousLevel != tt.wantPrevious || d.Level != tt.level {
				t.Errorf("decide() = %s (previous %q), want %s (previous %q)", d.Level, d.PreviousLevel, tt.level, tt.wantPrevious)
			}
		})
	}
}

func TestAddElement(t *testing.T) {
	s := State{ID: "p", Exists: true, Elements: map[string]*Element{"el": {ID: "el", Name: "Reception desk"}}}
	tests := []struct {
		name    string
		id      string
		elName  string
		wantErr error
	}{
		{"new", "el2", "Signage", nil},
		{"same id", "el", "Signage", command.ErrConflict},
		{"same name, other case and spaces", "el3", "  reception DESK ", command.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := addElement(s, project.ElementAdded{ElementID: tt.id, Name: tt.elName}); !errors.Is(err, tt.wantErr) {
				t.Errorf("addElement() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
