package web

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureFile is a component's fixtures.json as nhsuk-frontend ships it
// (testdata/nhsuk, trimmed by static/vendor.sh to what the tests read).
type fixtureFile struct {
	Component string    `json:"component"`
	Fixtures  []fixture `json:"fixtures"`
}

type fixture struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Context     map[string]any `json:"context"`
	HTML        string         `json:"html"`
}

// componentCase says how to render one nhsuk component from its fixtures:
// which template, into what parameters, which string options nhsuk also
// accepts as {"text": ...} objects, and how many of the fixtures at least
// must use only the options implemented (so that a change that stops
// decoding them cannot pass unnoticed).
type componentCase struct {
	file, template string
	params         func() any
	textKeys       []string
	minimum        int
	// skip says why a fixture that decodes is not comparable, or "".
	skip func(f fixture) string
}

func componentCases() []componentCase {
	fields := []string{"label", "hint", "errorMessage", "legend"}
	return []componentCase{
		{"tag", "tag", func() any { return &Tag{} }, nil, 12, nil},
		{"tables", "table", func() any { return &Table{} }, []string{"caption", "head", "rows"}, 10, nil},
		{"summary-list", "summary-list", func() any { return &SummaryList{} }, []string{"key", "value"}, 8, nil},
		{"error-summary", "error-summary", func() any { return &ErrorSummary{} }, []string{"heading"}, 4, nil},
		{"error-message", "error-message", func() any { return &ErrorMessage{} }, nil, 3, nil},
		{"hint", "hint", func() any { return &Hint{} }, nil, 2, nil},
		{"label", "label", func() any { return &Label{} }, []string{"heading"}, 10, nil},
		{"input", "input", func() any { return &Input{} }, append(fields, "heading"), 15, nil},
		{"textarea", "textarea", func() any { return &Textarea{} }, append(fields, "heading"), 8, nil},
		{"select", "select", func() any { return &Select{} }, append(fields, "heading"), 8, nil},
		{"checkboxes", "choices", func() any { return &Choices{} }, append(fields, "heading"), 8, nil},
		{"radios", "choices", func() any { return &Choices{Radio: true} }, append(fields, "heading"), 8, nil},
		{"date-input", "date-input", func() any { return &DateInput{} }, append(fields, "heading"), 6, nil},
		{"fieldset", "fieldset", func() any { return &Fieldset{} }, []string{"legend", "heading"}, 1, nil},
		{"button", "button", func() any { return &Button{} }, nil, 20, nil},
		{"back-link", "back-link", func() any { return &BackLink{} }, nil, 3, nil},
		{"inset-text", "inset-text", func() any { return &InsetText{} }, nil, 2, nil},
		{"details", "details", func() any { return &Details{} }, []string{"summary"}, 6, nil},
		{"card", "card", func() any { return &Card{} }, []string{"heading", "description"}, 3, func(f fixture) string {
			if _, ok := f.Context["description"]; !ok {
				return "its content comes from a Nunjucks caller"
			}
			if v, _ := f.Context["variant"].(string); v == "non-urgent" || v == "urgent" || v == "emergency" {
				return "care cards are not implemented"
			}
			return ""
		}},
		{"pagination", "pagination", func() any { return &Pagination{} }, nil, 3, nil},
		{"breadcrumb", "breadcrumb", func() any { return &Breadcrumb{} }, nil, 1, nil},
		{"skip-link", "skip-link", func() any { return &SkipLink{} }, nil, 2, nil},
		{"header", "header", func() any { return &Header{} }, nil, 23, nil},
		{"footer", "footer", func() any { return &Footer{} }, nil, 2, nil},
	}
}

// TestComponentsMatchNHSUK renders every nhsuk fixture whose options the
// component implements and compares it, normalised, with nhsuk's own
// rendering.
func TestComponentsMatchNHSUK(t *testing.T) {
	tmpl, err := parseComponents(func(s string) string { return s })
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range componentCases() {
		t.Run(cc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "nhsuk", cc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var ff fixtureFile
			if err := json.Unmarshal(raw, &ff); err != nil {
				t.Fatal(err)
			}
			rendered := 0
			for i, f := range ff.Fixtures {
				if strings.Contains(f.Name, "call block") {
					continue // a Nunjucks caller, which templates here take as HTML
				}
				if cc.skip != nil && cc.skip(f) != "" {
					continue
				}
				params := cc.params()
				if !decodeStrict(textObjects(f.Context, cc.textKeys), params) {
					continue
				}
				rendered++
				name := f.Name
				if f.Description != "" {
					name += " (" + f.Description + ")"
				}
				got, err := execute(tmpl, cc.template, params)
				if err != nil {
					t.Errorf("fixture %d %q: %v", i, name, err)
					continue
				}
				g, w := normalise(t, string(got)), normalise(t, f.HTML)
				if g != w {
					t.Errorf("fixture %d %q: rendering differs from nhsuk's at %s\ngot HTML:\n%s", i, name, diff(g, w), got)
				}
			}
			if rendered < cc.minimum {
				t.Errorf("rendered %d of %d fixtures, want at least %d", rendered, len(ff.Fixtures), cc.minimum)
			}
			t.Logf("rendered %d of %d fixtures", rendered, len(ff.Fixtures))
		})
	}
}

// decodeStrict decodes v into params, reporting false if it uses an
// option params does not have (or in another shape).
func decodeStrict(v any, params any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(params) == nil
}

// textObjects rewrites, anywhere in v, the options named in keys whose
// value is a string (or a list of strings) into {"text": ...}: nhsuk
// accepts both for these options and the Go types have the object.
func textObjects(v any, keys []string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if contains(keys, k) {
				val = stringsToText(val)
			}
			out[k] = textObjects(val, keys)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = textObjects(e, keys)
		}
		return out
	}
	return v
}

func stringsToText(v any) any {
	switch x := v.(type) {
	case string:
		return map[string]any{"text": x}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stringsToText(e)
		}
		return out
	}
	return v
}

func contains(keys []string, k string) bool {
	for _, key := range keys {
		if strings.EqualFold(key, k) {
			return true
		}
	}
	return false
}
