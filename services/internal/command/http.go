package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/problem"
)

// Request headers a command reads.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderCorrelationID  = "X-Correlation-Id"
	HeaderRequestID      = "X-Request-Id"
)

// MaxBodyBytes bounds a command's body.
const MaxBodyBytes = 64 << 10

// clockSkew is how far into the future an occurred_at may be, to forgive a
// client whose clock runs a little ahead of the server's.
const clockSkew = time.Minute

// Common holds the fields every command body accepts. Embed it.
type Common struct {
	// OccurredAt back-dates the event (RFC 3339); it may not be in the future.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

func (c *Common) common() *Common { return c }

// Body is a command body: a struct embedding [Common].
type Body interface{ common() *Common }

// Run carries out one decoded command.
type Run[PB Body] func(ctx context.Context, r *http.Request, body PB, meta Meta) (Result, error)

// Handler adapts a command to HTTP: it answers status (201 for a creation,
// 200 otherwise) with the [Result], or a problem.
func Handler[B any, PB interface {
	*B
	Body
}](x *Executor, status int, run Run[PB]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		outcome := OutcomeInvalid
		defer func() { x.observe(r.Pattern, outcome) }()
		// No Content-Type is refused too: a cross-site form can send a
		// body without one, never with application/json.
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			problem.Write(w, r, http.StatusUnsupportedMediaType, "send the command as application/json (Content-Type: application/json)")
			return
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			msg := fmt.Sprintf("the body is declared as %s; send it as UTF-8 (charset=utf-8, or no charset)", cs)
			problem.Write(w, r, http.StatusBadRequest, msg, events.FieldError{Field: "body", Message: msg})
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			problem.Write(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes))
			return
		}
		if err != nil {
			problem.Write(w, r, http.StatusBadRequest, "the request body could not be read: "+err.Error(),
				events.FieldError{Field: "body", Message: "could not be read"})
			return
		}
		body := PB(new(B))
		if err := events.DecodeStrict(raw, body); err != nil {
			problem.Write(w, r, http.StatusBadRequest, "the request body is not a valid command: "+err.Error(),
				events.FieldError{Field: "body", Message: err.Error()})
			return
		}
		meta, err := metaOf(r, raw, body.common(), x.Now())
		if err != nil {
			problem.WriteError(w, r, err)
			return
		}
		res, err := run(r.Context(), r, body, meta)
		outcome = outcomeOf(err)
		if err != nil {
			problem.WriteError(w, r, err)
			return
		}
		answer := status
		if res.Replayed {
			outcome = OutcomeReplayed
			answer = http.StatusOK
			w.Header().Set("Idempotent-Replayed", "true")
		}
		problem.WriteJSON(w, answer, res)
	}
}

func metaOf(r *http.Request, raw []byte, c *Common, now time.Time) (Meta, error) {
	m := Meta{
		// Who acted is who signed in, never what a header claims.
		Actor:          auth.ActorID(r.Context()),
		CorrelationID:  strings.TrimSpace(r.Header.Get(HeaderCorrelationID)),
		CausationID:    r.Header.Get(HeaderRequestID),
		IdempotencyKey: r.Header.Get(HeaderIdempotencyKey),
	}
	if m.CorrelationID == "" {
		m.CorrelationID = m.CausationID
	}
	for name, v := range map[string]string{HeaderCorrelationID: m.CorrelationID, HeaderIdempotencyKey: m.IdempotencyKey} {
		if len(v) > 200 || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return Meta{}, problem.Invalid(name, "header %s must be at most 200 printable characters", name)
		}
	}
	if c.OccurredAt != nil {
		if c.OccurredAt.IsZero() {
			return Meta{}, problem.Invalid("occurred_at", "occurred_at is empty; leave it out to mean now")
		}
		if c.OccurredAt.Before(events.EarliestDate()) {
			return Meta{}, problem.Invalid("occurred_at", "occurred_at %s is before %s; check the year", c.OccurredAt.Format(time.RFC3339), events.EarliestDate().Format(time.DateOnly))
		}
		if c.OccurredAt.After(now.Add(clockSkew)) {
			return Meta{}, problem.Invalid("occurred_at", "occurred_at %s is in the future; events may be back-dated, not forward-dated", c.OccurredAt.Format(time.RFC3339))
		}
		m.OccurredAt = c.OccurredAt.UTC()
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		compact.Reset()
		compact.Write(raw)
	}
	m.digest = digest(r.Method, r.URL.Path, compact.Bytes())
	return m, nil
}
