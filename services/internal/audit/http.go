package audit

import (
	"context"
	"iter"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/services/internal/problem"
)

// verifyTimeout bounds one walk of the history for GET /api/v1/audit/verify.
const verifyTimeout = 10 * time.Minute

// Reader reads the global log.
type Reader interface {
	ReadAll(ctx context.Context, after uint64) iter.Seq2[events.Envelope, error]
}

// Service serves the audit endpoints of a running system.
type Service struct {
	history Reader
	// runs lets requests that arrive while a verification is under way
	// share its result rather than walk the history again each.
	runs singleflight.Group
}

// NewService returns the audit service over the recorder.
func NewService(history Reader) *Service { return &Service{history: history} }

// Routes adds GET /api/v1/audit/verify.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/audit/verify", s.verify)
}

// verify walks the whole history: 200 with ok true and the final chain
// hash, or ok false and the first break. One walk runs at a time; requests
// made meanwhile get its result. The walk is not tied to the request that
// started it, so the others are not failed by its client going away.
func (s *Service) verify(w http.ResponseWriter, r *http.Request) {
	ch := s.runs.DoChan("verify", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), verifyTimeout)
		defer cancel()
		return VerifyStore(ctx, s.history, nil)
	})
	var res any
	var err error
	select {
	case <-r.Context().Done():
		return
	case out := <-ch:
		res, err = out.Val, out.Err
	}
	if err != nil {
		problem.WriteError(w, r, err)
		return
	}
	problem.WriteJSON(w, http.StatusOK, res)
}
