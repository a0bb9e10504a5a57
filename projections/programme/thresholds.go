package programme

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Thresholds set when a project turns amber or red. They are
// configuration, read from a file by the reports service; the defaults are
// [DefaultThresholds].
type Thresholds struct {
	LivedExperienceShare Below   `json:"lived_experience_share"`
	EffectiveVoices      Below   `json:"effective_voices"`
	LoopClosedRate       Below   `json:"loop_closed_rate"`
	Overdue              AtLeast `json:"overdue"`
	TokenismElements     AtLeast `json:"tokenism_elements"`
}

// Below flags a figure that is too low: red under Red, amber under Amber.
type Below struct {
	Red   float64 `json:"red_below"`
	Amber float64 `json:"amber_below"`
}

// AtLeast flags a count that is too high: red from Red, amber from Amber.
// Zero disables that colour.
type AtLeast struct {
	Red   int `json:"red_at_least"`
	Amber int `json:"amber_at_least"`
}

// DefaultThresholds are a starting point for a programme office:
//   - lived experience: under a fifth of participants is red, under two
//     fifths amber;
//   - effective voices: fewer than 2 is red (one or two people carry it),
//     fewer than 5 amber;
//   - loop closed: under a quarter of feedback is red, under half amber;
//   - overdue actions: 3 or more red, 1 or more amber;
//   - any element at co-design or co-production without a lived-experience
//     attendee is red.
func DefaultThresholds() Thresholds {
	return Thresholds{
		LivedExperienceShare: Below{Red: 0.2, Amber: 0.4},
		EffectiveVoices:      Below{Red: 2, Amber: 5},
		LoopClosedRate:       Below{Red: 0.25, Amber: 0.5},
		Overdue:              AtLeast{Red: 3, Amber: 1},
		TokenismElements:     AtLeast{Red: 1},
	}
}

// ParseThresholds reads thresholds as JSON over the defaults: a file need
// only name what it changes. Unknown fields are errors.
func ParseThresholds(data []byte) (Thresholds, error) {
	t := DefaultThresholds()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Thresholds{}, fmt.Errorf("thresholds: %w", err)
	}
	return t, t.Validate()
}

// Validate checks that each amber threshold is no stricter than its red.
func (t Thresholds) Validate() error {
	var errs []error
	for name, b := range map[string]Below{"lived_experience_share": t.LivedExperienceShare, "effective_voices": t.EffectiveVoices, "loop_closed_rate": t.LoopClosedRate} {
		if b.Amber < b.Red {
			errs = append(errs, fmt.Errorf("thresholds: %s amber_below %v is under red_below %v", name, b.Amber, b.Red))
		}
	}
	for name, a := range map[string]AtLeast{"overdue": t.Overdue, "tokenism_elements": t.TokenismElements} {
		if a.Red < 0 || a.Amber < 0 || a.Amber > 0 && a.Red > 0 && a.Amber > a.Red {
			errs = append(errs, fmt.Errorf("thresholds: %s amber_at_least %d must be ≥ 0 and at most red_at_least %d", name, a.Amber, a.Red))
		}
	}
	return errors.Join(errs...)
}
