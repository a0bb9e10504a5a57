package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The report documents as the API publishes them. A count is a number,
// or "*" where small-number suppression hid it; a ratio is a number, null
// (over nothing) or "*". The pages show what the caller may see and no
// more: they read the published document, never the exact one.

// Count is a published count.
type Count struct {
	N      int
	Hidden bool
}

// UnmarshalJSON reads a number or "*".
func (c *Count) UnmarshalJSON(b []byte) error {
	if string(b) == `"*"` {
		*c = Count{Hidden: true}
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a count must be a number or \"*\", not %s", b)
	}
	*c = Count{N: n}
	return nil
}

// String writes the count, "*" when hidden.
func (c Count) String() string {
	if c.Hidden {
		return "*"
	}
	return strconv.Itoa(c.N)
}

// Ratio is a published ratio or statistic.
type Ratio struct {
	V      float64
	Null   bool
	Hidden bool
}

// UnmarshalJSON reads a number, null or "*".
func (r *Ratio) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"*"`:
		*r = Ratio{Hidden: true}
		return nil
	case "null":
		*r = Ratio{Null: true}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("a ratio must be a number, null or \"*\", not %s", b)
	}
	*r = Ratio{V: v}
	return nil
}

// Known reports whether the ratio has a value.
func (r Ratio) Known() bool { return !r.Null && !r.Hidden }

// Percent writes the ratio as a whole percentage, "*" when hidden and
// "none" over nothing.
func (r Ratio) Percent() string {
	switch {
	case r.Hidden:
		return "*"
	case r.Null:
		return "none"
	}
	return strconv.FormatFloat(r.V*100, 'f', 0, 64) + "%"
}

// Number writes the value with one decimal, "*" when hidden and "none"
// over nothing.
func (r Ratio) Number() string {
	switch {
	case r.Hidden:
		return "*"
	case r.Null:
		return "none"
	}
	return strings.TrimSuffix(strconv.FormatFloat(r.V, 'f', 1, 64), ".0")
}

// header is what every report echoes.
type header struct {
	Report string `json:"report"`
	Scope  struct {
		Project   *string `json:"project"`
		Programme *string `json:"programme"`
	} `json:"scope"`
	From     *time.Time `json:"from"`
	To       *time.Time `json:"to"`
	AsOf     time.Time  `json:"as_of"`
	TimeZone string     `json:"time_zone"`
	Counts   string     `json:"counts"`
	Position uint64     `json:"position"`
}

// Suppressed reports whether counts were rounded or hidden.
func (h header) Suppressed() bool { return h.Counts != "" && h.Counts != "exact" }

type participationDoc struct {
	header
	Participants                Count                       `json:"participants"`
	ByRole                      map[string]Count            `json:"by_role"`
	Invited                     Count                       `json:"invited"`
	Accepted                    Count                       `json:"accepted"`
	AttendedOfInvited           Count                       `json:"attended_of_invited"`
	UnnamedAttendees            Count                       `json:"unnamed_attendees"`
	AnonymousFeedback           Count                       `json:"anonymous_feedback"`
	NewVoices                   Count                       `json:"new_voices"`
	NewVoiceShare               Ratio                       `json:"new_voice_share"`
	EffectiveVoices             Ratio                       `json:"effective_voices"`
	TopDecileShare              Ratio                       `json:"top_decile_share"`
	LivedExperience             Count                       `json:"lived_experience"`
	LivedExperienceShare        Ratio                       `json:"lived_experience_share"`
	Coverage                    map[string]map[string]Count `json:"coverage"`
	MissingRoles                []string                    `json:"missing_roles"`
	MissingLivedExperienceRoles []string                    `json:"missing_lived_experience_roles"`
}

type followThroughDoc struct {
	header
	Agreed                      Count `json:"agreed"`
	Completed                   Count `json:"completed"`
	CompletedOnTime             Count `json:"completed_on_time"`
	Rescheduled                 Count `json:"rescheduled"`
	Dropped                     Count `json:"dropped"`
	Open                        Count `json:"open"`
	Overdue                     Count `json:"overdue"`
	CompletionRate              Ratio `json:"completion_rate"`
	OnTimeRate                  Ratio `json:"on_time_rate"`
	MedianDaysToComplete        Ratio `json:"median_days_to_complete"`
	Feedback                    Count `json:"feedback"`
	FeedbackWithAction          Count `json:"feedback_with_action"`
	Responded                   Count `json:"responded"`
	LoopClosed                  Count `json:"loop_closed"`
	ResponseRate                Ratio `json:"response_rate"`
	LoopClosedRate              Ratio `json:"loop_closed_rate"`
	MedianDaysFeedbackToOutcome Ratio `json:"median_days_feedback_to_outcome"`
}

type decisionsDoc struct {
	header
	Elements []struct {
		ProjectID   string `json:"project_id"`
		ProjectName string `json:"project_name"`
		ElementID   string `json:"element_id"`
		Name        string `json:"name"`
		Level       string `json:"level"`
		Tokenism    bool   `json:"tokenism"`
		Decisions   []struct {
			OccurredAt     time.Time `json:"occurred_at"`
			Level          string    `json:"level"`
			PreviousLevel  string    `json:"previous_level"`
			DecidedBy      string    `json:"decided_by"`
			Rationale      string    `json:"rationale"`
			DecisionRights []struct {
				Holder string `json:"holder"`
				Right  string `json:"right"`
			} `json:"decision_rights"`
			Evidence struct {
				Participants Count            `json:"participants"`
				ByRole       map[string]Count `json:"by_role"`
				Feedback     Count            `json:"feedback"`
			} `json:"evidence"`
		} `json:"decisions"`
	} `json:"elements"`
}

type programmeDoc struct {
	header
	Projects []programmeRow `json:"projects"`
}

type programmeRow struct {
	ProjectID            string   `json:"project_id"`
	Name                 string   `json:"name"`
	Programme            string   `json:"programme"`
	Participants         Count    `json:"participants"`
	EffectiveVoices      Ratio    `json:"effective_voices"`
	LivedExperience      Count    `json:"lived_experience"`
	LivedExperienceShare Ratio    `json:"lived_experience_share"`
	Overdue              Count    `json:"overdue"`
	Feedback             Count    `json:"feedback"`
	LoopClosed           Count    `json:"loop_closed"`
	LoopClosedRate       Ratio    `json:"loop_closed_rate"`
	TokenismElements     int      `json:"tokenism_elements"`
	DutyAssessed         bool     `json:"duty_assessed"`
	RAG                  string   `json:"rag"`
	Reasons              []string `json:"reasons"`
}

type influenceDoc struct {
	header
	Projects []struct {
		ProjectID    string `json:"project_id"`
		Name         string `json:"name"`
		Feedback     Count  `json:"feedback"`
		YouSaidWeDid struct {
			Themes []struct {
				Theme    string `json:"theme"`
				Feedback Count  `json:"feedback"`
			} `json:"themes"`
			WeDecided []struct {
				Influence string `json:"influence"`
				Reason    string `json:"reason"`
				On        string `json:"on"`
				Feedback  Count  `json:"feedback"`
			} `json:"we_decided"`
			WeDid []struct {
				Action      string  `json:"action"`
				Outcome     string  `json:"outcome"`
				CompletedOn string  `json:"completed_on"`
				ToldOn      *string `json:"told_on"`
			} `json:"we_did"`
		} `json:"you_said_we_did"`
	} `json:"projects"`
}

// decode reads a published report document.
func decode(name string, b []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("read the %s report: %w", name, err)
	}
	return nil
}
