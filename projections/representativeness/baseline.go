package representativeness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/together-coop/together/events/stakeholder"
)

// Baseline is the population a programme serves, as shares per answer
// of each category (for example from the census for the programme's
// area). It is configuration, read from a file by the services; a
// category left out has no baseline and its gaps are null.
type Baseline struct {
	// Area and Source say what the shares describe and where they come
	// from; they are echoed in the report.
	Area   string `json:"area"`
	Source string `json:"source"`
	// Each category maps an answer to its share of the population, in
	// [0, 1]. The shares of a category add up to at most 1.
	AgeBand           map[string]float64 `json:"age_band"`
	Ethnicity         map[string]float64 `json:"ethnicity"`
	Disability        map[string]float64 `json:"disability"`
	DeprivationDecile map[string]float64 `json:"deprivation_decile"`
}

// ParseBaseline reads a baseline file (JSON, as [Baseline] spells it).
// Unknown fields, unknown answers of the fixed categories, shares outside
// [0, 1] and categories adding up to more than 1 are errors.
func ParseBaseline(data []byte) (Baseline, error) {
	var b Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	return b, b.Validate()
}

// Validate checks the shares.
func (b Baseline) Validate() error {
	var errs []error
	for _, c := range []struct {
		name    string
		shares  map[string]float64
		answers []string // nil: free text
	}{
		{"age_band", b.AgeBand, stakeholder.AgeBands},
		{"ethnicity", b.Ethnicity, nil},
		{"disability", b.Disability, stakeholder.DisabilityAnswers},
		{"deprivation_decile", b.DeprivationDecile, stakeholder.DeprivationDeciles},
	} {
		sum := 0.0
		for answer, share := range c.shares {
			if answer == stakeholder.PreferNotToSay || c.answers != nil && !slices.Contains(c.answers, answer) || answer == "" {
				errs = append(errs, fmt.Errorf("baseline: %s has no answer %q", c.name, answer))
			}
			if math.IsNaN(share) || share < 0 || share > 1 {
				errs = append(errs, fmt.Errorf("baseline: %s %q share %v must be between 0 and 1", c.name, answer, share))
			}
			sum += share
		}
		if sum > 1+1e-9 {
			errs = append(errs, fmt.Errorf("baseline: %s shares add up to %v, more than 1", c.name, sum))
		}
	}
	return errors.Join(errs...)
}
