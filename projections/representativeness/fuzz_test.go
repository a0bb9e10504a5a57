package representativeness_test

import (
	"testing"

	"github.com/together-coop/together/projections/representativeness"
)

// FuzzParseBaseline: any input is a baseline that validates, or an error;
// never a panic.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"area":"a","ethnicity":{"x":0.5},"deprivation_decile":{"1":0.2}}`))
	f.Add([]byte(`{"age_band":{"20_30":0.5}}`))
	f.Add([]byte(`{"disability":{"yes":1e309}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := representativeness.ParseBaseline(data)
		if err == nil {
			if verr := b.Validate(); verr != nil {
				t.Fatalf("ParseBaseline accepted a baseline that does not validate: %v", verr)
			}
		}
	})
}
