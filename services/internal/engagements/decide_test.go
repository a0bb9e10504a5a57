package engagements

import (
	"errors"
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/services/internal/command"
)

func TestDecisions(t *testing.T) {
	yes := true
	planned := State{ID: "e", Exists: true, Invited: map[string]*bool{"ann": nil, "ben": &yes}}
	held := planned
	held.Held = true
	cancelled := planned
	cancelled.Cancelled = true
	today, _ := events.ParseDate("2026-05-10")
	day := func(s string) events.Date { d, _ := events.ParseDate(s); return d }

	tests := []struct {
		name    string
		decide  func(State) ([]events.Payload, error)
		state   State
		wantErr error
	}{
		{"invite a new person", func(s State) ([]events.Payload, error) {
			return invite(s, engagement.StakeholderInvited{StakeholderID: "cat"})
		}, planned, nil},
		{"invite twice", func(s State) ([]events.Payload, error) {
			return invite(s, engagement.StakeholderInvited{StakeholderID: "ann"})
		}, planned, command.ErrConflict},
		{"invite after held", func(s State) ([]events.Payload, error) {
			return invite(s, engagement.StakeholderInvited{StakeholderID: "cat"})
		}, held, command.ErrConflict},
		{"invite to unknown", func(s State) ([]events.Payload, error) {
			return invite(s, engagement.StakeholderInvited{StakeholderID: "cat"})
		}, State{}, command.ErrNotFound},
		{"answer an invitation", func(s State) ([]events.Payload, error) {
			return answer(s, engagement.InvitationAnswered{StakeholderID: "ann"})
		}, planned, nil},
		{"change an answer", func(s State) ([]events.Payload, error) {
			return answer(s, engagement.InvitationAnswered{StakeholderID: "ben"})
		}, planned, nil},
		{"answer uninvited", func(s State) ([]events.Payload, error) {
			return answer(s, engagement.InvitationAnswered{StakeholderID: "cat"})
		}, planned, command.ErrConflict},
		{"hold", func(s State) ([]events.Payload, error) {
			return hold(s, engagement.Held{HeldOn: day("2026-05-10")}, today)
		}, planned, nil},
		{"hold twice", func(s State) ([]events.Payload, error) {
			return hold(s, engagement.Held{HeldOn: day("2026-05-10")}, today)
		}, held, command.ErrConflict},
		{"hold cancelled", func(s State) ([]events.Payload, error) {
			return hold(s, engagement.Held{HeldOn: day("2026-05-10")}, today)
		}, cancelled, command.ErrConflict},
		{"hold tomorrow", func(s State) ([]events.Payload, error) {
			return hold(s, engagement.Held{HeldOn: day("2026-05-11")}, today)
		}, planned, command.ErrInvalid},
		{"support after held", func(s State) ([]events.Payload, error) { return provideSupport(s, engagement.SupportProvided{}) }, held, nil},
		{"support cancelled", func(s State) ([]events.Payload, error) { return provideSupport(s, engagement.SupportProvided{}) }, cancelled, command.ErrConflict},
		{"cancel", func(s State) ([]events.Payload, error) { return cancel(s, engagement.Cancelled{Reason: "r"}) }, planned, nil},
		{"cancel held", func(s State) ([]events.Payload, error) { return cancel(s, engagement.Cancelled{Reason: "r"}) }, held, command.ErrConflict},
		{"plan twice", func(s State) ([]events.Payload, error) { return plan(s, engagement.Planned{}) }, planned, command.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decide(tt.state)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && len(got) != 1 {
				t.Errorf("%d events, want 1", len(got))
			}
		})
	}
}
