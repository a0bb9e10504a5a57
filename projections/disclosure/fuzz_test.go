package disclosure_test

import (
	"encoding/json"
	"testing"

	"github.com/together-coop/together/projections/disclosure"
)

// FuzzJSON: rewriting any JSON document under a plan gives valid JSON (or
// an error for input that is not one JSON value), never a panic; the zero
// plan changes nothing but the "counts" field.
func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"counts":"exact","a":{"b":[1,2,{"c":3}]},"r":0.5}`))
	f.Add([]byte(`[1,"*",null,true]`))
	f.Add([]byte(`{"a":1} {"b":2}`))
	var plan disclosure.Plan
	plan.Count("a.b.2.c", 3)
	plan.Count("a.b.0", 12)
	plan.Ratio("r", "a.b.0", "a.b.2.c")
	published := disclosure.NHSEngland().Apply(plan)
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := published.JSON(doc)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("JSON(%s) = %s, not valid JSON", doc, out)
		}
	})
}
