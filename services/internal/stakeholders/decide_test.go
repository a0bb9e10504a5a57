package stakeholders

import (
	"context"
	"testing"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/events/stakeholder"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/command/commandtest"
)

const stakeholderID = "019a0000-0000-7000-8000-0000000000b1"

// sealed stands for personal data sealed under the stakeholder's key; the
// decisions never look inside it.
func sealed(b byte) stakeholder.Sealed {
	return stakeholder.Sealed{KeyID: "key-" + stakeholderID, Nonce: []byte{b, 1}, Ciphertext: []byte{b, 2, 3}}
}

var (
	registered = &stakeholder.Registered{
		Roles: []events.Role{events.RoleServiceUser, events.RoleCarer}, CurrentExperience: true,
		RecruitmentChannel: "community_organisation", PII: sealed(1),
	}
	rolesChanged = &stakeholder.RolesChanged{Roles: []events.Role{events.RoleFrontlineStaff, events.RoleCarer}}
	demographics = &stakeholder.DemographicsDeclared{Demographics: sealed(2)}
	needRecorded = &stakeholder.SupportNeedRecorded{Need: "interpreter", Note: commandtest.Sealed("Somali")}
	erased       = &stakeholder.Erased{Reason: commandtest.Sealed("asked to be forgotten")}
)

func consented(scope string) *stakeholder.ConsentRecorded {
	return &stakeholder.ConsentRecorded{Scope: scope}
}
func withdrew(scope string) *stakeholder.ConsentWithdrawn {
	return &stakeholder.ConsentWithdrawn{Scope: scope}
}

func given(ps ...events.Payload) []events.Payload { return ps }

func TestRegister(t *testing.T) {
	when := func(s State) ([]events.Payload, error) { return register(s, *registered) }
	commandtest.Run(t, Aggregate, stakeholderID, []commandtest.Case[State]{
		{Name: "a new stakeholder", When: when, Then: given(registered)},
		{Name: "registered already", Given: given(registered), When: when, Rejected: command.ErrConflict},
		{Name: "erased", Given: given(registered, erased), When: when, Rejected: command.ErrConflict},
	})
}

// TestOnActive covers the commands that only need a stakeholder who is
// registered and not erased: roles, demographics, support needs, erasure.
func TestOnActive(t *testing.T) {
	for _, p := range []events.Payload{rolesChanged, demographics, needRecorded, erased} {
		when := func(s State) ([]events.Payload, error) { return onActive(s, p) }
		t.Run(p.EventType(), func(t *testing.T) {
			commandtest.Run(t, Aggregate, stakeholderID, []commandtest.Case[State]{
				{Name: "registered", Given: given(registered), When: when, Then: given(p)},
				{Name: "after other changes", Given: given(registered, rolesChanged, demographics, needRecorded, consented("contact")),
					When: when, Then: given(p)},
				{Name: "unknown", When: when, Rejected: command.ErrNotFound},
				{Name: "erased", Given: given(registered, erased), When: when, Rejected: command.ErrConflict},
			})
		})
	}
}

func TestRecordConsent(t *testing.T) {
	to := func(scope string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return recordConsent(s, *consented(scope)) }
	}
	commandtest.Run(t, Aggregate, stakeholderID, []commandtest.Case[State]{
		{Name: "the first consent", Given: given(registered), When: to("quotes"), Then: given(consented("quotes"))},
		{Name: "another scope", Given: given(registered, consented("contact")), When: to("quotes"), Then: given(consented("quotes"))},
		{Name: "again after a withdrawal", Given: given(registered, consented("quotes"), withdrew("quotes")), When: to("quotes"),
			Then: given(consented("quotes"))},
		{Name: "consented already", Given: given(registered, consented("quotes")), When: to("quotes"), Rejected: command.ErrConflict},
		{Name: "consented again after a withdrawal", Given: given(registered, consented("quotes"), withdrew("quotes"), consented("quotes")),
			When: to("quotes"), Rejected: command.ErrConflict},
		{Name: "unknown", When: to("quotes"), Rejected: command.ErrNotFound},
		{Name: "erased", Given: given(registered, erased), When: to("quotes"), Rejected: command.ErrConflict},
	})
}

func TestWithdrawConsent(t *testing.T) {
	from := func(scope string) func(State) ([]events.Payload, error) {
		return func(s State) ([]events.Payload, error) { return withdrawConsent(s, *withdrew(scope)) }
	}
	commandtest.Run(t, Aggregate, stakeholderID, []commandtest.Case[State]{
		{Name: "a standing consent", Given: given(registered, consented("recording")), When: from("recording"), Then: given(withdrew("recording"))},
		{Name: "a consent given again", Given: given(registered, consented("recording"), withdrew("recording"), consented("recording")),
			When: from("recording"), Then: given(withdrew("recording"))},
		{Name: "never consented", Given: given(registered), When: from("recording"), Rejected: command.ErrConflict},
		{Name: "consented to another scope only", Given: given(registered, consented("contact")), When: from("recording"),
			Rejected: command.ErrConflict},
		{Name: "withdrawn already", Given: given(registered, consented("recording"), withdrew("recording")), When: from("recording"),
			Rejected: command.ErrConflict},
		{Name: "unknown", When: from("recording"), Rejected: command.ErrNotFound},
		{Name: "erased with a standing consent", Given: given(registered, consented("recording"), erased), When: from("recording"),
			Rejected: command.ErrConflict},
	})
}

func TestFold(t *testing.T) {
	got := commandtest.Fold(t, Aggregate, stakeholderID, registered, rolesChanged, demographics, needRecorded,
		consented("contact"), consented("quotes"), withdrew("quotes"), &stakeholder.SupportNeedRecorded{Need: "travel"}, erased)
	d := sealed(2)
	want := State{
		ID: stakeholderID, Exists: true, Erased: true,
		Roles: rolesChanged.Roles, CurrentExperience: true, RecruitmentChannel: "community_organisation",
		PII: sealed(1), Demographics: &d,
		SupportNeeds: []stakeholder.SupportNeedRecorded{*needRecorded, {Need: "travel"}},
		Consents:     map[string]bool{"contact": true, "quotes": false},
	}
	if diff := commandtest.Diff(want, got); diff != "" {
		t.Errorf("Fold() (-want +got):\n%s", diff)
	}
}

func TestCheckActive(t *testing.T) {
	ctx := context.Background()
	x, err := command.NewExecutor(memstore.New(), catalogue.New())
	if err != nil {
		t.Fatal(err)
	}
	record := func(id string, ps ...events.Payload) {
		t.Helper()
		if _, err := x.Execute(ctx, Aggregate.Stream(id), command.Meta{Actor: "test"}, func([]command.Recorded) ([]events.Payload, error) {
			return ps, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	const (
		active = "019a0000-0000-7000-8000-0000000000b2"
		gone   = "019a0000-0000-7000-8000-0000000000b3"
	)
	record(active, registered, consented("contact"))
	record(gone, registered, erased)
	tests := []struct {
		name string
		id   string
		want error
	}{
		{"registered", active, nil},
		{"erased", gone, command.ErrConflict},
		{"unknown", stakeholderID, command.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commandtest.Check(t, CheckActive(ctx, x, tt.id), tt.want)
		})
	}
}
