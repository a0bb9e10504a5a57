package stakeholder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/together-coop/together/events"
)

// Event type names, as stored. Never rename one: history is kept under it.
const (
	TypeRegistered           = "StakeholderRegistered"
	TypeRolesChanged         = "StakeholderRolesChanged"
	TypeDemographicsDeclared = "DemographicsDeclared"
	TypeSupportNeedRecorded  = "SupportNeedRecorded"
	TypeConsentRecorded      = "ConsentRecorded"
	TypeConsentWithdrawn     = "ConsentWithdrawn"
	TypeErased               = "StakeholderErased"
)

// StreamPrefix starts the name of every stakeholder stream.
const StreamPrefix = "stakeholder-"

// Stream returns the stream name of stakeholder id.
func Stream(id string) string { return StreamPrefix + id }

// PreferNotToSay is accepted for every demographic answer.
const PreferNotToSay = "prefer_not_to_say"

// Register adds every stakeholder event at its current schema version.
func Register(r *events.Registry) {
	r.RegisterAggregate(events.Aggregate{Name: "stakeholder", StreamPrefix: StreamPrefix},
		events.Version(1, func() events.Payload { return &Registered{} }),
		events.Version(1, func() events.Payload { return &RolesChanged{} }),
		events.Version(1, func() events.Payload { return &DemographicsDeclared{} }),
		events.Version(2, func() events.Payload { return &SupportNeedRecorded{} }),
		events.Version(1, func() events.Payload { return &ConsentRecorded{} }),
		events.Version(1, func() events.Payload { return &ConsentWithdrawn{} }),
		events.Version(2, func() events.Payload { return &Erased{} }),
	)
	// Schema 1 kept these texts in the clear; schema 2 seals them. The
	// history is never rewritten, so an old text stays, renamed as legacy,
	// and is shown only while the person is not erased.
	r.RegisterUpcaster(TypeSupportNeedRecorded, 1, RenameField("note", "legacy_note"))
	r.RegisterUpcaster(TypeErased, 1, RenameField("reason", "legacy_reason"))
}

// RenameField returns an upcaster that moves a payload's field from to to,
// as the step from a plaintext field to its sealed successor does.
func RenameField(from, to string) events.Upcaster {
	return func(old json.RawMessage) (json.RawMessage, error) {
		if renamed, ok := renameInPlace(old, from, to); ok {
			return renamed, nil
		}
		return renameThroughMap(old, from, to)
	}
}

// renameInPlace renames the member from of the JSON object old to to and
// copies every other member as it stands, in one pass: a rebuild upcasts
// every event stored under the older schema. It reports false for
// anything but one object with distinct names, not both from and to
// among them, that jsontext reads; renameThroughMap then decides as it
// always has. FuzzRenameField holds the two to the same members.
func renameInPlace(old []byte, from, to string) ([]byte, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(old))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	out := make([]byte, 0, len(old)+len(to))
	out = append(out, '{')
	var seenFrom, seenTo bool
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		name := tok.String()
		switch name {
		case from:
			seenFrom, name = true, to
		case to:
			seenTo = true
		}
		value, err := dec.ReadValue()
		if err != nil {
			return nil, false
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		if out, err = jsontext.AppendQuote(out, name); err != nil {
			return nil, false
		}
		out = append(append(out, ':'), value...)
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '}' || seenFrom && seenTo {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	return append(out, '}'), true
}

// renameThroughMap is RenameField's first form, through a map of the
// members.
func renameThroughMap(old []byte, from, to string) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(old, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, fmt.Errorf("payload is not an object")
	}
	if v, ok := fields[from]; ok {
		if _, clash := fields[to]; clash {
			return nil, fmt.Errorf("payload has both %s and %s", from, to)
		}
		delete(fields, from)
		fields[to] = v
	}
	return json.Marshal(fields)
}

// Sealed is personal data encrypted with the stakeholder's own key
// (AES-256-GCM). The key id names the key in the key store; the
// stakeholder id is the additional authenticated data, so a sealed value
// cannot be moved to another person.
type Sealed struct {
	KeyID      string `json:"key_id"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// Check fails field on c unless s is sealed data: for payloads of other
// contexts that hold data sealed under a stakeholder's key.
func (s Sealed) Check(c *events.Check, field string) { s.check(c, field) }

func (s Sealed) check(c *events.Check, field string) {
	if s.KeyID == "" || len(s.Nonce) == 0 || len(s.Ciphertext) == 0 {
		c.Fail(field, "must be sealed personal data (key_id, nonce, ciphertext)")
	}
}

// PII is what [Registered.PII] seals.
type PII struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
}

// Validate checks the plain personal data before it is sealed.
func (p PII) Validate() error {
	var c events.Check
	c.Text("name", p.Name)
	c.OptionalText("contact", p.Contact)
	return c.Err("")
}

// Demographics is what [DemographicsDeclared.Demographics] seals. Every
// answer may be [PreferNotToSay]; an empty answer means not asked.
type Demographics struct {
	AgeBand           string `json:"age_band,omitempty"`
	Ethnicity         string `json:"ethnicity,omitempty"`
	Disability        string `json:"disability,omitempty"`
	DeprivationDecile string `json:"deprivation_decile,omitempty"`
}

// AgeBands are the accepted age bands.
var AgeBands = []string{"under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus", PreferNotToSay}

// DisabilityAnswers are the accepted answers on disability.
var DisabilityAnswers = []string{"yes", "no", PreferNotToSay}

// DeprivationDeciles are the accepted deciles of the Index of Multiple
// Deprivation, 1 the most deprived.
var DeprivationDeciles = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", PreferNotToSay}

// Validate checks the plain answers before they are sealed.
func (d Demographics) Validate() error {
	var c events.Check
	if d == (Demographics{}) {
		c.Fail("demographics", "declare at least one of age_band, ethnicity, disability, deprivation_decile")
	}
	optionalOneOf(&c, "age_band", d.AgeBand, AgeBands)
	c.OptionalText("ethnicity", d.Ethnicity)
	optionalOneOf(&c, "disability", d.Disability, DisabilityAnswers)
	optionalOneOf(&c, "deprivation_decile", d.DeprivationDecile, DeprivationDeciles)
	return c.Err("")
}

func optionalOneOf(c *events.Check, field, s string, allowed []string) {
	if s != "" {
		c.OneOf(field, s, allowed)
	}
}

// RecruitmentChannels are the ways people are found, recorded to see whether
// a programme reaches beyond the usual voices.
var RecruitmentChannels = []string{"existing_group", "service_contact", "community_organisation", "staff_referral", "advert", "social_media", "word_of_mouth", "other"}

// Registered records a new stakeholder.
type Registered struct {
	Roles              []events.Role `json:"roles"`
	CurrentExperience  bool          `json:"current_experience"`
	RecruitmentChannel string        `json:"recruitment_channel"`
	PII                Sealed        `json:"pii"`
}

// EventType implements [events.Payload].
func (*Registered) EventType() string { return TypeRegistered }

// Validate implements [events.Payload].
func (p *Registered) Validate() error {
	var c events.Check
	p.checkDetails(&c)
	p.PII.check(&c, "pii")
	return c.Err(TypeRegistered)
}

// ValidateDetails checks everything but the sealed personal data: what a
// service checks before it makes a key for somebody.
func (p *Registered) ValidateDetails() error {
	var c events.Check
	p.checkDetails(&c)
	return c.Err(TypeRegistered)
}

func (p *Registered) checkDetails(c *events.Check) {
	c.Roles("roles", p.Roles)
	c.OneOf("recruitment_channel", p.RecruitmentChannel, RecruitmentChannels)
}

// RolesChanged replaces the stakeholder's roles.
type RolesChanged struct {
	Roles []events.Role `json:"roles"`
}

// EventType implements [events.Payload].
func (*RolesChanged) EventType() string { return TypeRolesChanged }

// Validate implements [events.Payload].
func (p *RolesChanged) Validate() error {
	var c events.Check
	c.Roles("roles", p.Roles)
	return c.Err(TypeRolesChanged)
}

// DemographicsDeclared records sealed [Demographics].
type DemographicsDeclared struct {
	Demographics Sealed `json:"demographics"`
}

// EventType implements [events.Payload].
func (*DemographicsDeclared) EventType() string { return TypeDemographicsDeclared }

// Validate implements [events.Payload].
func (p *DemographicsDeclared) Validate() error {
	var c events.Check
	p.Demographics.check(&c, "demographics")
	return c.Err(TypeDemographicsDeclared)
}

// SupportNeeds are the kinds of support a person may need to take part.
var SupportNeeds = []string{"accessibility", "interpreter", "travel", "childcare", "caring_cover", "digital", "communication", "other"}

// SupportNeedRecorded notes an adjustment the person needs to take part.
// The note says things about the person's health and life, so it is
// sealed under their key (schema 2).
type SupportNeedRecorded struct {
	Need string `json:"need"`
	// Note, if given, is the sealed note text.
	Note *Sealed `json:"note,omitempty"`
	// LegacyNote is a note recorded in the clear under schema 1. Never
	// written now.
	LegacyNote string `json:"legacy_note,omitempty"`
}

// EventType implements [events.Payload].
func (*SupportNeedRecorded) EventType() string { return TypeSupportNeedRecorded }

// Validate implements [events.Payload].
func (p *SupportNeedRecorded) Validate() error {
	var c events.Check
	c.OneOf("need", p.Need, SupportNeeds)
	if p.Note != nil {
		p.Note.check(&c, "note")
	}
	c.OptionalText("legacy_note", p.LegacyNote)
	return c.Err(TypeSupportNeedRecorded)
}

// ValidateSupportNeed checks a support need and its plain note before the
// note is sealed.
func ValidateSupportNeed(need, note string) error {
	var c events.Check
	c.OneOf("need", need, SupportNeeds)
	c.OptionalText("note", note)
	return c.Err(TypeSupportNeedRecorded)
}

// ConsentScopes are what a person can consent to.
var ConsentScopes = []string{"contact", "data_processing", "quotes", "photography", "recording"}

// ConsentRecorded records consent for one scope.
type ConsentRecorded struct {
	Scope string `json:"scope"`
}

// EventType implements [events.Payload].
func (*ConsentRecorded) EventType() string { return TypeConsentRecorded }

// Validate implements [events.Payload].
func (p *ConsentRecorded) Validate() error {
	var c events.Check
	c.OneOf("scope", p.Scope, ConsentScopes)
	return c.Err(TypeConsentRecorded)
}

// ConsentWithdrawn withdraws consent for one scope.
type ConsentWithdrawn struct {
	Scope string `json:"scope"`
}

// EventType implements [events.Payload].
func (*ConsentWithdrawn) EventType() string { return TypeConsentWithdrawn }

// Validate implements [events.Payload].
func (p *ConsentWithdrawn) Validate() error {
	var c events.Check
	c.OneOf("scope", p.Scope, ConsentScopes)
	return c.Err(TypeConsentWithdrawn)
}

// Erased records that the person's key was destroyed (right to erasure);
// their sealed data can no longer be read. The reason may name them, so it
// is sealed under that same key, just before it is destroyed: the history
// shows that a reason was given, and nobody can read it (schema 2).
type Erased struct {
	// Reason is the sealed reason; absent when the key was already gone
	// when the erasure was recorded (a retry after a crash).
	Reason *Sealed `json:"reason,omitempty"`
	// LegacyReason is a reason recorded in the clear under schema 1.
	// Never written now.
	LegacyReason string `json:"legacy_reason,omitempty"`
}

// EventType implements [events.Payload].
func (*Erased) EventType() string { return TypeErased }

// Validate implements [events.Payload].
func (p *Erased) Validate() error {
	var c events.Check
	if p.Reason != nil {
		p.Reason.check(&c, "reason")
	}
	c.OptionalText("legacy_reason", p.LegacyReason)
	return c.Err(TypeErased)
}

// ValidateErasureReason checks the plain reason for an erasure before it
// is sealed: one must be given.
func ValidateErasureReason(reason string) error {
	var c events.Check
	c.Text("reason", reason)
	return c.Err(TypeErased)
}
