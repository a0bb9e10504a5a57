package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Payload is the body of one event type of the catalogue.
type Payload interface {
	// EventType is the stored type name: an explicit constant, never derived
	// from the Go type, so renaming Go code cannot split the history.
	EventType() string
	// Validate reports every broken field rule as a [*ValidationError].
	Validate() error
}

// Upcaster rewrites a payload of one schema version into the next one, so
// that events stored under an old schema still replay.
type Upcaster func(old json.RawMessage) (json.RawMessage, error)

// Registry knows every event type: its current schema version, how to make
// an empty payload and how to upcast older versions. Build it once at start
// up (see package catalogue) and share it; after registration it is safe for
// concurrent use because it is only read.
type Registry struct {
	types      map[string]*registration
	aggregates []Aggregate
}

type registration struct {
	version    int
	newFunc    func() Payload
	upcasters  map[int]Upcaster // from version → to version+1
	aggregates []int            // indexes in Registry.aggregates
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: make(map[string]*registration)}
}

// Register adds an event type at its current schema version. It panics on a
// duplicate or a version below 1: registration is start-up wiring, and a
// mistake there must stop the program.
func (r *Registry) Register(version int, newPayload func() Payload) {
	name := newPayload().EventType()
	if version < 1 {
		panic(fmt.Sprintf("events: %s registered with schema version %d", name, version))
	}
	if _, dup := r.types[name]; dup {
		panic(fmt.Sprintf("events: %s registered twice", name))
	}
	r.types[name] = &registration{version: version, newFunc: newPayload, upcasters: map[int]Upcaster{}}
}

// RegisterUpcaster adds the step from schema version from to from+1 for an
// already registered type. It panics on an unknown type or a step that does
// not lead below the current version.
func (r *Registry) RegisterUpcaster(eventType string, from int, up Upcaster) {
	reg, ok := r.types[eventType]
	if !ok {
		panic(fmt.Sprintf("events: upcaster for unregistered type %s", eventType))
	}
	if from < 1 || from >= reg.version {
		panic(fmt.Sprintf("events: upcaster %s v%d→v%d is outside 1..%d", eventType, from, from+1, reg.version))
	}
	reg.upcasters[from] = up
}

// Types lists the registered type names, sorted.
func (r *Registry) Types() []string {
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SchemaVersion returns the current schema version of eventType, or 0 if it
// is not registered.
func (r *Registry) SchemaVersion(eventType string) int {
	if reg, ok := r.types[eventType]; ok {
		return reg.version
	}
	return 0
}

// Decode turns a stored envelope's payload into its typed [Payload],
// upcasting older schema versions first. Unknown types, unknown or
// malformed fields and broken rules are errors wrapping [ErrInvalidEvent].
func (r *Registry) Decode(e Envelope) (Payload, error) {
	reg, ok := r.types[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: unknown event type %q", ErrInvalidEvent, e.Type)
	}
	if e.SchemaVersion < 1 || e.SchemaVersion > reg.version {
		return nil, fmt.Errorf("%w: %s has schema version %d, this build knows 1..%d", ErrInvalidEvent, e.Type, e.SchemaVersion, reg.version)
	}
	raw := e.Payload
	for v := e.SchemaVersion; v < reg.version; v++ {
		up, ok := reg.upcasters[v]
		if !ok {
			return nil, fmt.Errorf("%w: no upcaster for %s v%d→v%d", ErrInvalidEvent, e.Type, v, v+1)
		}
		var err error
		if raw, err = up(raw); err != nil {
			return nil, fmt.Errorf("%w: upcast %s v%d→v%d: %v", ErrInvalidEvent, e.Type, v, v+1, err)
		}
	}
	p := reg.newFunc()
	if err := DecodeStrict(raw, p); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidEvent, e.Type, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Encode validates p and returns its JSON with the type and current schema
// version to put in an envelope. Unregistered types are refused so that
// nothing undecodable is ever stored.
func (r *Registry) Encode(p Payload) (eventType string, version int, payload json.RawMessage, err error) {
	eventType = p.EventType()
	reg, ok := r.types[eventType]
	if !ok {
		return "", 0, nil, fmt.Errorf("%w: unknown event type %q", ErrInvalidEvent, eventType)
	}
	if err := p.Validate(); err != nil {
		return "", 0, nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", eventType, err)
	}
	return eventType, reg.version, b, nil
}

// DecodeStrict unmarshals exactly one JSON value into v, refusing unknown
// fields, trailing data, invalid UTF-8, repeated keys and keys that match a
// field only when case is ignored: a misspelt field is a mistake to report,
// not something to drop silently.
func DecodeStrict(data []byte, v any) error {
	// One pass of the v2 decoder refuses all of that and otherwise decodes
	// as encoding/json does, at a fraction of the cost of the two passes
	// below; only input it refuses pays for them, as they put the mistake
	// in words (and accept a key given twice inside a raw value, which v2
	// refuses everywhere). It decodes only into a zero value, which a
	// refusal can put back.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().IsZero() {
		if jsonv2.Unmarshal(data, v, strictOptions) == nil {
			return nil
		}
		rv.Elem().SetZero()
	}
	return decodeStrictInTwoPasses(data, v)
}

// strictOptions are encoding/json's semantics with what DecodeStrict
// refuses refused.
var strictOptions = jsonv2.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
	jsonv2.MatchCaseInsensitiveNames(false),
	jsonv2.RejectUnknownMembers(true),
)

// decodeStrictInTwoPasses is DecodeStrict with encoding/json: a walk of
// the keys, then the decoder refusing unknown fields.
func decodeStrictInTwoPasses(data []byte, v any) error {
	if err := checkKeys(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Errorf("field %s: want %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return fmt.Errorf("want %s, got JSON %s", typeErr.Type, typeErr.Value)
	case errors.Is(err, io.EOF):
		return errors.New("empty JSON")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated JSON")
	}
	return err
}
