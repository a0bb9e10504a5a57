package gateway

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strconv"

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
// global order, after the position given. The Next-After header holds
// the cursor for the next page.
func eventsHandler(store EventReader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, err := uintParam(q.Get("after"), 0)
		if err != nil {
			problem.Write(w, r, http.StatusBadRequest, "after must be a position (a whole number ≥ 0)")
			return
		}
		limit, err := uintParam(q.Get("limit"), defaultEventsLimit)
		if err != nil || limit < 1 || limit > maxEventsLimit {
			problem.Write(w, r, http.StatusBadRequest, "limit must be a whole number from 1 to "+strconv.Itoa(maxEventsLimit))
			return
		}
		var page []events.Envelope
		for e, err := range store.ReadAll(r.Context(), after) {
			if err != nil {
				problem.WriteError(w, r, err)
				return
			}
			page = append(page, e)
			if uint64(len(page)) == limit {
				break
			}
		}
		next := after
		if len(page) > 0 {
			next = page[len(page)-1].Position
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Next-After", strconv.FormatUint(next, 10))
		enc := json.NewEncoder(w)
		for _, e := range page {
			if err := enc.Encode(e); err != nil {
				return
			}
		}
	}
}

func uintParam(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
