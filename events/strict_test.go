package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/together-coop/together/events"
)

type inner struct {
	Name string `json:"name"`
}

type strictBody struct {
	inner
	Contact string          `json:"contact"`
	Nested  inner           `json:"nested"`
	List    []inner         `json:"list"`
	Raw     json.RawMessage `json:"raw"`
	Day     events.Date     `json:"day"`
}

func TestDecodeStrictRefusesWhatWasNotMeant(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"plain", `{"name":"Zoë","contact":"z@example.org"}`, ""},
		{"nested and raw", `{"nested":{"name":"a"},"list":[{"name":"b"}],"raw":{"Name":1,"Name":2},"day":"2026-03-01"}`, ""},
		{"duplicate key", `{"name":"a","name":"b"}`, "field name is given twice"},
		{"duplicate nested key", `{"nested":{"name":"a","name":"b"}}`, "field nested.name is given twice"},
		{"duplicate key in a list", `{"list":[{"name":"a"},{"name":"a","name":"b"}]}`, "field list[1].name is given twice"},
		{"wrong case", `{"Name":"a"}`, `field Name: names are case-sensitive; did you mean "name"?`},
		{"wrong case promoted", `{"CONTACT":"a"}`, `did you mean "contact"?`},
		{"wrong case nested", `{"nested":{"NAME":"a"}}`, `field nested.NAME: names are case-sensitive`},
		{"invalid UTF-8", "{\"name\":\"Zo\xeb\"}", "not valid UTF-8"},
		{"unknown field", `{"nom":"a"}`, "unknown field"},
		// Truncated inside a list, the walk of the keys once looped for
		// ever: a request body cut short held a CPU.
		{"truncated in a list", `{"list":["`, "truncated JSON"},
		{"truncated in a list of objects", `{"list":[{"name":"a"`, "truncated JSON"},
		{"truncated after a list", `{"list":[{"name":"a"}`, "truncated JSON"},
		{"list closed as an object", `{"list":[{"name":"a"]}`, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strictBody
			err := events.DecodeStrict([]byte(tt.in), &b)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("DecodeStrict(%s) = %v, want no error", tt.in, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("DecodeStrict(%s) = %v, want an error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestBlankCountsEveryInvisibleCharacter(t *testing.T) {
	for _, s := range []string{" ", "\u00a0\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", "\u202e", "\u3164", "\u2800", "\t\n"} {
		var c events.Check
		c.Text("name", s)
		if c.Err("") == nil {
			t.Errorf("Text(%q) passed as not blank", s)
		}
	}
	var c events.Check
	c.Text("name", "\u00a0Zoë")
	if err := c.Err(""); err != nil {
		t.Errorf("Text(nbsp + name) = %v, want it accepted", err)
	}
}

func TestDatesBeforeNineteenNinetyAreMistakes(t *testing.T) {
	for _, d := range []string{"0000-01-01", "1989-12-31"} {
		day, err := events.ParseDate(d)
		if err != nil {
			t.Fatal(err)
		}
		var c events.Check
		c.Date("held_on", day)
		if c.Err("") == nil {
			t.Errorf("Date(%s) accepted", d)
		}
	}
	day, _ := events.ParseDate("1990-01-01")
	var c events.Check
	c.Date("held_on", day)
	if err := c.Err(""); err != nil {
		t.Errorf("Date(1990-01-01) = %v", err)
	}
}
