package audit

import (
	"context"
	"iter"
	"net/http"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/problem"
)

// Reader reads the global log.
type Reader interface {
	ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
}

// Service serves the audit endpoints of a running system.
type Service struct {
	history Reader
}

// NewService returns the audit service over the recorder.
func NewService(history Reader) *Service { return &Service{history: history} }

// Routes adds GET /api/v1/audit/verify.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/audit/verify", s.verify)
}

// verify walks the whole history: 200 with ok true and the final chain
// hash, or ok false and the first break.
func (s *Service) verify(w http.ResponseWriter, r *http.Request) {
	res, err := Verify(s.history.ReadAll(r.Context(), 0), nil)
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	problem.WriteJSON(w, http.StatusOK, res)
}
