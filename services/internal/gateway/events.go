package gateway

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/problem"
)

// EventReader reads the global log.
type EventReader interface {
	ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
}

const (
	defaultEventsLimit = 100
	maxEventsLimit     = 10_000
)

// eventsHandler serves the audit log as NDJSON: one envelope a line, in
// global order, after the position given. Events are written as they are
// read, so a page of any size holds one recorder page in memory, not the
// whole answer. The cursor for the next page is the position of the last
// line, and also the Next-After trailer, which is sent only when the page
// is complete: a page cut short by a failing read has none (the connection
// is aborted rather than ended as if the page were whole).
func eventsHandler(store EventReader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, err := uintParam(q.Get("after"), 0)
		if err != nil {
			problem.Write(w, r, http.StatusBadRequest, "after must be a position (a whole number ≥ 0)",
				events.FieldError{Field: "after", Message: "must be a whole number ≥ 0"})
			return
		}
		limit, err := uintParam(q.Get("limit"), defaultEventsLimit)
		if err != nil || limit < 1 || limit > maxEventsLimit {
			problem.Write(w, r, http.StatusBadRequest, "limit must be a whole number from 1 to "+strconv.Itoa(maxEventsLimit),
				events.FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(maxEventsLimit)})
			return
		}
		next, sent := after, uint64(0)
		enc := json.NewEncoder(w)
		flusher, _ := w.(http.Flusher)
		for e, err := range store.ReadAll(r.Context(), after) {
			if err != nil {
				if sent == 0 {
					problem.WriteError(w, r, err)
					return
				}
				zerolog.Ctx(r.Context()).Warn().Err(err).Uint64("position", next).Msg("audit log read failed mid-page")
				panic(http.ErrAbortHandler)
			}
			if sent == 0 {
				w.Header().Set("Content-Type", "application/x-ndjson")
				w.Header().Set("Trailer", "Next-After")
			}
			if err := enc.Encode(e); err != nil {
				return // the client went away
			}
			next, sent = e.Position, sent+1
			if sent%256 == 0 && flusher != nil {
				flusher.Flush()
			}
			if sent == limit {
				break
			}
		}
		if sent == 0 {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Trailer", "Next-After")
		}
		w.Header().Set("Next-After", strconv.FormatUint(next, 10))
	}
}

func uintParam(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
