package actions

import (
	"errors"
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/action"
	"github.com/together-coop/together/services/internal/command"
)

func date(s string) events.Date {
	d, err := events.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestComplete(t *testing.T) {
	today := date("2026-05-10")
	open := State{ID: "a", Exists: true, AgreedOn: date("2026-04-01")}
	tests := []struct {
		name    string
		state   State
		on      string
		wantErr error
	}{
		{"open, done today", open, "2026-05-10", nil},
		{"open, done the day it was agreed", open, "2026-04-01", nil},
		{"unknown action", State{ID: "a"}, "2026-05-01", command.ErrNotFound},
		{"already completed", State{ID: "a", Exists: true, Completed: true}, "2026-05-01", command.ErrConflict},
		{"dropped", State{ID: "a", Exists: true, Dropped: true}, "2026-05-01", command.ErrConflict},
		{"tomorrow", open, "2026-05-11", command.ErrInvalid},
		{"before it was agreed", open, "2026-03-31", command.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := complete(tt.state, action.Completed{CompletedOn: date(tt.on), Outcome: "o"}, today)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("complete() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && len(got) != 1 {
				t.Errorf("complete() = %d events, want 1", len(got))
			}
		})
	}
}

func TestOpenAndCommunicate(t *testing.T) {
	tests := []struct {
		name            string
		state           State
		wantOpen        error
		wantCommunicate error
	}{
		{"open", State{Exists: true}, nil, command.ErrConflict},
		{"completed", State{Exists: true, Completed: true}, command.ErrConflict, nil},
		{"dropped", State{Exists: true, Dropped: true}, command.ErrConflict, nil},
		{"unknown", State{}, command.ErrNotFound, command.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := open(tt.state, &action.Reassigned{Owner: "x"}); !errors.Is(err, tt.wantOpen) {
				t.Errorf("open() error = %v, want %v", err, tt.wantOpen)
			}
			if _, err := communicate(tt.state, action.OutcomeCommunicated{Audience: "contributors", Channel: "email"}); !errors.Is(err, tt.wantCommunicate) {
				t.Errorf("communicate() error = %v, want %v", err, tt.wantCommunicate)
			}
		})
	}
}
