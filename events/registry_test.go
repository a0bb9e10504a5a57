package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/together-coop/together/events"
)

// renamed is a test event whose v1 called its field "title" and whose v2
// and v3 call it "name" and add a "source".
type renamed struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

func (*renamed) EventType() string { return "ThingNamed" }
func (p *renamed) Validate() error {
	var c events.Check
	c.Text("name", p.Name)
	return c.Err("ThingNamed")
}

func registryWithUpcasters() *events.Registry {
	r := events.NewRegistry()
	r.Register(3, func() events.Payload { return &renamed{} })
	r.RegisterUpcaster("ThingNamed", 1, func(old json.RawMessage) (json.RawMessage, error) {
		var v1 struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal(old, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"name": v1.Title})
	})
	r.RegisterUpcaster("ThingNamed", 2, func(old json.RawMessage) (json.RawMessage, error) {
		var v2 map[string]any
		if err := json.Unmarshal(old, &v2); err != nil {
			return nil, err
		}
		v2["source"] = "before v3"
		return json.Marshal(v2)
	})
	return r
}

func TestUpcasting(t *testing.T) {
	r := registryWithUpcasters()
	tests := []struct {
		version int
		payload string
		want    renamed
	}{
		{1, `{"title":"Desk"}`, renamed{Name: "Desk", Source: "before v3"}},
		{2, `{"name":"Desk"}`, renamed{Name: "Desk", Source: "before v3"}},
		{3, `{"name":"Desk","source":"form"}`, renamed{Name: "Desk", Source: "form"}},
	}
	for _, tt := range tests {
		p, err := r.Decode(events.Envelope{ID: uuid.New(), Type: "ThingNamed", SchemaVersion: tt.version, Payload: json.RawMessage(tt.payload)})
		if err != nil {
			t.Fatalf("Decode(v%d %s) error: %v", tt.version, tt.payload, err)
		}
		if got := *p.(*renamed); got != tt.want {
			t.Errorf("Decode(v%d %s) = %+v, want %+v", tt.version, tt.payload, got, tt.want)
		}
	}
	if _, _, _, err := r.Encode(&renamed{Name: "x"}); err != nil {
		t.Errorf("Encode: %v", err)
	}
}

func TestMissingUpcasterIsAnError(t *testing.T) {
	r := events.NewRegistry()
	r.Register(2, func() events.Payload { return &renamed{} })
	_, err := r.Decode(events.Envelope{Type: "ThingNamed", SchemaVersion: 1, Payload: json.RawMessage(`{"name":"x"}`)})
	if !errors.Is(err, events.ErrInvalidEvent) || !strings.Contains(err.Error(), "no upcaster") {
		t.Errorf("Decode without upcaster error = %v, want ErrInvalidEvent naming the missing upcaster", err)
	}
}

func TestEncodeRefusesWhatDoesNotValidate(t *testing.T) {
	r := registryWithUpcasters()
	_, _, _, err := r.Encode(&renamed{})
	var v *events.ValidationError
	if !errors.As(err, &v) || v.Fields[0].Field != "name" {
		t.Errorf("Encode(empty) error = %v, want a ValidationError on name", err)
	}
}

func TestRegistrationMistakesPanic(t *testing.T) {
	tests := map[string]func(){
		"twice": func() {
			r := events.NewRegistry()
			r.Register(1, func() events.Payload { return &renamed{} })
			r.Register(1, func() events.Payload { return &renamed{} })
		},
		"version zero":     func() { events.NewRegistry().Register(0, func() events.Payload { return &renamed{} }) },
		"upcaster unknown": func() { events.NewRegistry().RegisterUpcaster("Nope", 1, nil) },
		"upcaster too far": func() {
			r := events.NewRegistry()
			r.Register(2, func() events.Payload { return &renamed{} })
			r.RegisterUpcaster("ThingNamed", 2, nil)
		},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// FuzzEnvelope checks that any envelope that decodes survives a JSON
// round trip unchanged.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(`{"id":"01a21461-acfb-70a4-938a-6bcf565a55ff","type":"ProjectRegistered","schema_version":1,"stream":"project-1","stream_version":1,"position":1,"occurred_at":"2026-11-25T20:24:35.323034Z","recorded_at":"2026-11-25T20:24:35.323167Z","actor":"sarah","correlation_id":"c","causation_id":"c","idempotency":{"key":"k","digest":"d"},"prev_hash":"","hash":"","payload":{"programme":"p"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"payload":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e events.Envelope
		if json.Unmarshal(data, &e) != nil {
			return
		}
		out, err := json.Marshal(e)
		if err != nil {
			return // e.g. a payload that is not valid JSON on its own
		}
		var again events.Envelope
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		out2, _ := json.Marshal(again)
		if string(out) != string(out2) {
			t.Fatalf("round trip changed the envelope:\n%s\n%s", out, out2)
		}
	})
}

func TestRegisterAggregateRefusesClashes(t *testing.T) {
	tests := map[string]func(r *events.Registry){
		"same name":     func(r *events.Registry) { r.RegisterAggregate(events.Aggregate{Name: "a", StreamPrefix: "b-"}) },
		"same prefix":   func(r *events.Registry) { r.RegisterAggregate(events.Aggregate{Name: "b", StreamPrefix: "a-"}) },
		"nested prefix": func(r *events.Registry) { r.RegisterAggregate(events.Aggregate{Name: "b", StreamPrefix: "a-x"}) },
		"owned stream":  func(r *events.Registry) { r.RegisterAggregate(events.Aggregate{Name: "b", Stream: "a-1"}) },
		"prefix and name": func(r *events.Registry) {
			r.RegisterAggregate(events.Aggregate{Name: "b", StreamPrefix: "b-", Stream: "b"})
		},
		"neither": func(r *events.Registry) { r.RegisterAggregate(events.Aggregate{Name: "b"}) },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			r := events.NewRegistry()
			r.RegisterAggregate(events.Aggregate{Name: "a", StreamPrefix: "a-"})
			defer func() {
				if recover() == nil {
					t.Error("RegisterAggregate did not panic")
				}
			}()
			f(r)
		})
	}
}
