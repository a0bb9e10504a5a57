// Package problem writes HTTP errors as RFC 9457 problem details
// (application/problem+json), the one error shape of together's API.
package problem

import (
	"encoding/json"
	"net/http"

	"github.com/together-coop/together/events"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// Details is an RFC 9457 problem document. Errors lists each broken field
// rule, so a client can show them next to its form fields.
type Details struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []events.FieldError `json:"errors,omitempty"`
}

// Write sends a problem with the given status. The title is the status
// text; detail says what went wrong in words a user can act on.
func Write(w http.ResponseWriter, r *http.Request, status int, detail string, fields ...events.FieldError) {
	d := Details{
		Type:     "about:blank",
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: r.URL.Path,
		Errors:   fields,
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(d)
}
