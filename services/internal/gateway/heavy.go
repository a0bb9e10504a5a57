package gateway

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/together-coop/together/services/internal/auth"
	"github.com/together-coop/together/services/internal/problem"
)

// HeavyReads bounds the reads that walk the whole history (the audit log,
// verification): each identity may start Burst of them at once and then
// one every Every, so that no one caller, by mistake or on purpose, keeps
// the store busy for everyone.
type HeavyReads struct {
	Every time.Duration
	Burst int
}

// DefaultHeavyReads lets an identity start 8 heavy reads at once, then
// four a second: enough to page through the log, too few to keep the store
// busy for everyone.
func DefaultHeavyReads() HeavyReads { return HeavyReads{Every: 250 * time.Millisecond, Burst: 8} }

// perIdentity hands each identity its own token bucket.
type perIdentity struct {
	limit HeavyReads
	mu    sync.Mutex
	seen  map[string]*visitor
}

type visitor struct {
	limiter *rate.Limiter
	last    time.Time
}

func newPerIdentity(limit HeavyReads) *perIdentity {
	return &perIdentity{limit: limit, seen: map[string]*visitor{}}
}

// serve passes requests on to next, answering 429 with Retry-After to an
// identity past its budget for the routes of mux named by patterns.
func (p *perIdentity) serve(mux *http.ServeMux, next http.Handler, patterns ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); !slices.Contains(patterns, pattern) {
			next.ServeHTTP(w, r)
			return
		}
		key := auth.ActorID(r.Context())
		now := time.Now()
		p.mu.Lock()
		v, ok := p.seen[key]
		if !ok {
			p.forget(now)
			v = &visitor{limiter: rate.NewLimiter(rate.Every(p.limit.Every), p.limit.Burst)}
			p.seen[key] = v
		}
		v.last = now
		res := v.limiter.ReserveN(now, 1)
		delay := res.DelayFrom(now)
		if delay > 0 {
			res.CancelAt(now)
		}
		p.mu.Unlock()
		if delay > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
			problem.Write(w, r, http.StatusTooManyRequests, "too many reads of the whole history at once; try again in "+delay.Round(time.Second).String())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// forget drops identities idle long enough to have a full bucket again;
// the caller holds mu.
func (p *perIdentity) forget(now time.Time) {
	idle := p.limit.Every * time.Duration(p.limit.Burst+1)
	for k, v := range p.seen {
		if now.Sub(v.last) > idle {
			delete(p.seen, k)
		}
	}
}
