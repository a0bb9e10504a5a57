package catalogue_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/engagement"
	"github.com/together-coop/together/events/feedback"
	"github.com/together-coop/together/events/stakeholder"
)

const id1, id2 = "01a20000-0000-7000-8000-000000000001", "01a20000-0000-7000-8000-000000000002"

const sealed = `{"key_id":"` + id1 + `","nonce":"AAECAwQFBgcICQoL","ciphertext":"c2VjcmV0"}`

// valid has one well-formed payload of every event type in the catalogue.
var valid = map[string]string{
	"ProjectRegistered":       `{"programme":"South Tyneside","name":"Waiting areas","aim":"Calmer","lead":"Sarah"}`,
	"ProjectElementAdded":     `{"element_id":"` + id1 + `","name":"Reception desk"}`,
	"InvolvementDutyAssessed": `{"applies":true,"basis":"NHS Act 2006 s242","assessed_by":"Governance","rationale":"Changes care"}`,
	"InvolvementDecided":      `{"element_id":"` + id1 + `","level":"co_design","previous_level":"consult","rationale":"r","decided_by":"Board","decision_rights":[{"holder":"patients","right":"veto"}],"expectations":"e"}`,
	"ProjectClosed":           `{"summary":"Done"}`,
	"StakeholderRegistered":   `{"roles":["service_user","frontline_staff"],"current_experience":true,"recruitment_channel":"advert","pii":` + sealed + `}`,
	"StakeholderRolesChanged": `{"roles":["carer"]}`,
	"DemographicsDeclared":    `{"demographics":` + sealed + `}`,
	"SupportNeedRecorded":     `{"need":"interpreter","note":"Polish"}`,
	"ConsentRecorded":         `{"scope":"quotes"}`,
	"ConsentWithdrawn":        `{"scope":"quotes"}`,
	"StakeholderErased":       `{"reason":"Asked"}`,
	"EngagementPlanned":       `{"project_id":"` + id1 + `","element_ids":["` + id2 + `"],"title":"Workshop","method":"workshop","level":"co_produce","scheduled_for":"2026-03-01T10:00:00Z"}`,
	"StakeholderInvited":      `{"stakeholder_id":"` + id1 + `","channel":"letter"}`,
	"InvitationAnswered":      `{"stakeholder_id":"` + id1 + `","accepted":false,"reason":"Working"}`,
	"EngagementHeld":          `{"held_on":"2026-03-01","attendee_ids":["` + id1 + `"],"unnamed_attendees":4}`,
	"SupportProvided":         `{"stakeholder_id":"` + id1 + `","kind":"childcare","amount_pence":2500}`,
	"EngagementCancelled":     `{"reason":"Snow"}`,
	"FeedbackGiven":           `{"project_id":"` + id1 + `","channel":"survey","sentiment":"mixed","themes":["access"],"summary":"Hard to park"}`,
	"FeedbackResponded":       `{"influence":"partly_adopted","reason":"Two spaces added"}`,
	"FeedbackRetracted":       `{"reason":"Duplicate"}`,
	"FeedbackRedacted":        `{"reason":"Named a member of staff"}`,
	"ActionAgreed":            `{"project_id":"` + id1 + `","feedback_ids":["` + id2 + `"],"description":"Add spaces","owner":"Estates","due_on":"2026-06-30"}`,
	"ActionReassigned":        `{"owner":"Facilities"}`,
	"ActionRescheduled":       `{"due_on":"2026-07-31","reason":"Delay"}`,
	"ActionCompleted":         `{"completed_on":"2026-07-01","outcome":"Done"}`,
	"ActionDropped":           `{"reason":"No budget"}`,
	"OutcomeCommunicated":     `{"audience":"contributors","channel":"newsletter"}`,
	"LedgerSealed":            `{"through_position":41,"events":41,"chain_hash":"0d1e7c1c4b9a4b7f1a2e3d4c5b6a79880d1e7c1c4b9a4b7f1a2e3d4c5b6a7988"}`,
}

func envelope(typ, payload string) events.Envelope { return envelopeAt(typ, 1, payload) }

func envelopeAt(typ string, version int, payload string) events.Envelope {
	return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: version, Payload: json.RawMessage(payload)}
}

func TestCatalogueIsComplete(t *testing.T) {
	r := catalogue.New()
	if got := len(r.Types()); got != len(valid) {
		t.Errorf("catalogue has %d types, the design lists %d", got, len(valid))
	}
	for _, typ := range r.Types() {
		if _, ok := valid[typ]; !ok {
			t.Errorf("type %s has no valid sample in this test", typ)
		}
	}
}

func TestDecodeEncodeRoundTrip(t *testing.T) {
	r := catalogue.New()
	for typ, payload := range valid {
		t.Run(typ, func(t *testing.T) {
			p, err := r.Decode(envelope(typ, payload))
			if err != nil {
				t.Fatalf("Decode(%s) error: %v", payload, err)
			}
			gotType, version, data, err := r.Encode(p)
			if want := r.SchemaVersion(typ); err != nil || gotType != typ || version != want {
				t.Fatalf("Encode = %s v%d, %v; want %s v%d", gotType, version, err, typ, want)
			}
			again, err := r.Decode(envelopeAt(typ, version, string(data)))
			if err != nil {
				t.Fatalf("Decode(Encode(x)) error: %v", err)
			}
			if !reflect.DeepEqual(p, again) {
				t.Errorf("Decode(Encode(x)) = %+v, want %+v", again, p)
			}
		})
	}
}

// TestUpcastSealedFields checks that events stored with plaintext under
// schema 1 still replay, their text kept as legacy, and that schema 2
// seals it.
func TestUpcastSealedFields(t *testing.T) {
	r := catalogue.New()
	tests := []struct {
		typ, v1 string
		want    events.Payload
	}{
		{"SupportNeedRecorded", `{"need":"interpreter","note":"Polish"}`, &stakeholder.SupportNeedRecorded{Need: "interpreter", LegacyNote: "Polish"}},
		{"SupportNeedRecorded", `{"need":"travel","note":""}`, &stakeholder.SupportNeedRecorded{Need: "travel"}},
		{"SupportNeedRecorded", `{"need":"travel"}`, &stakeholder.SupportNeedRecorded{Need: "travel"}},
		{"StakeholderErased", `{"reason":"Asked"}`, &stakeholder.Erased{LegacyReason: "Asked"}},
		{"InvitationAnswered", `{"stakeholder_id":"` + id1 + `","accepted":false,"reason":"Working"}`, &engagement.InvitationAnswered{StakeholderID: id1, LegacyReason: "Working"}},
		{"FeedbackGiven", `{"project_id":"` + id1 + `","channel":"survey","sentiment":"mixed","themes":[],"summary":"Hard to park"}`, &feedback.Given{ProjectID: id1, Channel: "survey", Sentiment: "mixed", Themes: []string{}, LegacySummary: "Hard to park"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+tt.v1, func(t *testing.T) {
			got, err := r.Decode(envelope(tt.typ, tt.v1))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode(v1 %s) = %+v, want %+v", tt.v1, got, tt.want)
			}
		})
	}
	for typ, v2 := range map[string]string{
		"SupportNeedRecorded": `{"need":"interpreter","note":` + sealed + `}`,
		"StakeholderErased":   `{"reason":` + sealed + `}`,
		"InvitationAnswered":  `{"stakeholder_id":"` + id1 + `","accepted":false,"reason":` + sealed + `}`,
		"FeedbackGiven":       `{"project_id":"` + id1 + `","channel":"survey","sentiment":"mixed","themes":[],"summary":` + sealed + `}`,
	} {
		if _, err := r.Decode(envelopeAt(typ, 2, v2)); err != nil {
			t.Errorf("Decode(v2 %s) error: %v", v2, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	r := catalogue.New()
	tests := []struct {
		name, typ, payload string
		version            int
		wantField          string // a field named in the ValidationError, if any
	}{
		{"unknown type", "ProjectArchived", `{}`, 1, ""},
		{"schema from the future", "ProjectClosed", `{"summary":"x"}`, 2, ""},
		{"schema zero", "ProjectClosed", `{"summary":"x"}`, 0, ""},
		{"malformed JSON", "ProjectClosed", `{"summary":`, 1, ""},
		{"trailing data", "ProjectClosed", `{"summary":"x"} {}`, 1, ""},
		{"unknown field", "ProjectClosed", `{"summary":"x","by":"y"}`, 1, ""},
		{"wrong JSON type", "EngagementHeld", `{"held_on":"2026-03-01","attendee_ids":[],"unnamed_attendees":"four"}`, 1, ""},
		{"blank text", "ProjectClosed", `{"summary":"  "}`, 1, "summary"},
		{"unknown level", "InvolvementDecided", `{"element_id":"` + id1 + `","level":"partnership","rationale":"r","decided_by":"b","decision_rights":[],"expectations":""}`, 1, "level"},
		{"unknown previous level", "InvolvementDecided", `{"element_id":"` + id1 + `","level":"consult","previous_level":"x","rationale":"r","decided_by":"b","decision_rights":[],"expectations":""}`, 1, "previous_level"},
		{"id not a UUID", "ProjectElementAdded", `{"element_id":"42","name":"n"}`, 1, "element_id"},
		{"uppercase UUID", "StakeholderInvited", `{"stakeholder_id":"01A20000-0000-7000-8000-000000000001","channel":"email"}`, 1, "stakeholder_id"},
		{"no roles", "StakeholderRolesChanged", `{"roles":[]}`, 1, "roles"},
		{"repeated role", "StakeholderRolesChanged", `{"roles":["carer","carer"]}`, 1, "roles[1]"},
		{"unknown role", "StakeholderRolesChanged", `{"roles":["patient"]}`, 1, "roles[0]"},
		{"unsealed pii", "StakeholderRegistered", `{"roles":["public"],"current_experience":false,"recruitment_channel":"advert","pii":{}}`, 1, "pii"},
		{"bad date", "ActionRescheduled", `{"due_on":"2026-02-30","reason":"r"}`, 1, ""},
		{"missing date", "ActionCompleted", `{"outcome":"o"}`, 1, "completed_on"},
		{"negative unnamed", "EngagementHeld", `{"held_on":"2026-03-01","attendee_ids":[],"unnamed_attendees":-2}`, 1, "unnamed_attendees"},
		{"attendee twice", "EngagementHeld", `{"held_on":"2026-03-01","attendee_ids":["` + id1 + `","` + id1 + `"],"unnamed_attendees":0}`, 1, "attendee_ids[1]"},
		{"unknown method", "EngagementPlanned", `{"project_id":"` + id1 + `","element_ids":[],"title":"t","method":"party","level":"engage","scheduled_for":"2026-03-01T10:00:00Z"}`, 1, "method"},
		{"negative amount", "SupportProvided", `{"stakeholder_id":"` + id1 + `","kind":"travel","amount_pence":-1}`, 1, "amount_pence"},
		{"unknown influence", "FeedbackResponded", `{"influence":"maybe","reason":"r"}`, 1, "influence"},
		{"unknown audience", "OutcomeCommunicated", `{"audience":"everyone","channel":"email"}`, 1, "audience"},
		{"unsealed note", "SupportNeedRecorded", `{"need":"travel","note":{}}`, 2, "note"},
		{"plain note at schema 2", "SupportNeedRecorded", `{"need":"travel","note":"Polish"}`, 2, ""},
		{"unsealed erasure reason", "StakeholderErased", `{"reason":{"key_id":"x"}}`, 2, "reason"},
		{"plain and legacy at once", "StakeholderErased", `{"reason":"a","legacy_reason":"b"}`, 1, ""},
		{"no summary", "FeedbackGiven", `{"project_id":"` + id1 + `","channel":"survey","sentiment":"mixed","themes":[]}`, 2, "legacy_summary"},
		{"plain summary at schema 2", "FeedbackGiven", `{"project_id":"` + id1 + `","channel":"survey","sentiment":"mixed","themes":[],"summary":"x"}`, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := envelope(tt.typ, tt.payload)
			e.SchemaVersion = tt.version
			_, err := r.Decode(e)
			if !errors.Is(err, events.ErrInvalidEvent) {
				t.Fatalf("Decode error = %v, want ErrInvalidEvent", err)
			}
			if tt.wantField == "" {
				return
			}
			var v *events.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Decode error = %v, want a ValidationError naming %s", err, tt.wantField)
			}
			for _, f := range v.Fields {
				if f.Field == tt.wantField {
					return
				}
			}
			t.Errorf("ValidationError %v does not name %s", v, tt.wantField)
		})
	}
}

// FuzzDecode feeds arbitrary payloads to every event type: decoding must
// never panic, and whatever decodes must survive Encode and Decode again
// unchanged.
func FuzzDecode(f *testing.F) {
	r := catalogue.New()
	types := r.Types()
	for i, typ := range types {
		f.Add(uint8(i), []byte(valid[typ]))
	}
	f.Add(uint8(0), []byte(`null`))
	f.Add(uint8(3), []byte(`{"level":null}`))
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		typ := types[int(which)%len(types)]
		p, err := r.Decode(envelope(typ, string(payload)))
		if err != nil {
			if !errors.Is(err, events.ErrInvalidEvent) {
				t.Fatalf("Decode error %v does not wrap ErrInvalidEvent", err)
			}
			return
		}
		_, version, data, err := r.Encode(p)
		if err != nil {
			t.Fatalf("Encode of a decoded %s failed: %v", typ, err)
		}
		again, err := r.Decode(envelopeAt(typ, version, string(data)))
		if err != nil {
			t.Fatalf("Decode(Encode(x)) of %s failed: %v (%s)", typ, err, data)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("Decode(Encode(x)) = %+v, want %+v", again, p)
		}
	})
}

func TestEveryTypeBelongsToOneAggregate(t *testing.T) {
	r := catalogue.New()
	owner := map[string]string{}
	for _, a := range r.Aggregates() {
		for _, typ := range a.Types {
			if prev, dup := owner[typ]; dup {
				t.Errorf("%s belongs to %s and %s", typ, prev, a.Name)
			}
			owner[typ] = a.Name
		}
	}
	for _, typ := range r.Types() {
		if owner[typ] == "" {
			t.Errorf("%s belongs to no aggregate", typ)
		}
	}
}

func TestCheckStream(t *testing.T) {
	r := catalogue.New()
	tests := []struct {
		stream, typ string
		wantErr     error
	}{
		{"project-" + id1, "ProjectRegistered", nil},
		{"action-" + id1, "ActionAgreed", nil},
		{"ledger-seals", "LedgerSealed", nil},
		{"project-" + id1, "ActionAgreed", events.ErrInvalidEvent},
		{"ledger-seals", "ProjectRegistered", events.ErrInvalidEvent},
		{"project-", "ProjectRegistered", events.ErrInvalidEvent},
		{"stakeholder-" + id1, "LedgerSealed", events.ErrInvalidEvent},
		{"project-" + id1, "NoSuchEvent", events.ErrInvalidEvent},
	}
	for _, tt := range tests {
		t.Run(tt.stream+"/"+tt.typ, func(t *testing.T) {
			if err := r.CheckStream(tt.stream, tt.typ); !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckStream(%q, %q) = %v, want %v", tt.stream, tt.typ, err, tt.wantErr)
			}
		})
	}
}

func TestStreamPrefixes(t *testing.T) {
	want := []string{"project-", "stakeholder-", "engagement-", "feedback-", "action-", "ledger-seals"}
	if got := catalogue.StreamPrefixes(); !reflect.DeepEqual(got, want) {
		t.Errorf("StreamPrefixes() = %v, want %v", got, want)
	}
}
